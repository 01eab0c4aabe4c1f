/**
 * The close() every server of every backend shares: stop accepting, let the
 * open connections end (or end them: force, timeout), resolve once the
 * listener and the last connection are gone. Backends say how to stop
 * accepting and how to end connections.
 *
 * Idle keep-alive connections are where a drain loses requests: a client (a
 * balancer's upstream pool) may have sent a request on one just as the server
 * closes it, and it then sees a reset it will not retry for a POST. With
 * `idleGrace`, idle connections stay open that long; a request arriving on one
 * is served with `Connection: close`, and only the ones still idle at the end
 * are closed. Set it above the client's idle timeout and the client closes
 * them first, so nothing is lost.
 */
import type { CloseOptions } from './types.js';

interface CloseState {
  resolve: () => void;
  deadline?: NodeJS.Timeout;
  grace?: NodeJS.Timeout;
}

export abstract class ServerLifecycle {
  private closeState: CloseState | null = null;
  private closePromise: Promise<void> | null = null;
  private listenerGone = false;
  private idleClosed = false;

  /** Open connections. */
  protected abstract get openCount(): number;
  /** Stop accepting; call `done` once the listener is gone (at once if there was none). */
  protected abstract stopAccepting(done: () => void): void;
  /** The idle grace is over (at once without one): end idle connections now; busy ones end after their last response, which says `Connection: close`. */
  protected abstract beginClose(): void;
  /** Destroy every open connection (force, or the close timeout ran out). */
  protected abstract destroyAll(): void;
  /** Everything is gone, just before close() resolves. */
  protected abstract closed(): void;

  /** True from close() until it resolves: responses say `Connection: close`. */
  protected get closing(): boolean {
    return this.closeState !== null;
  }

  /** Closing and past the idle grace: a connection that is (or becomes) idle ends now. */
  protected get closingIdle(): boolean {
    return this.idleClosed;
  }

  /** True once close() was called (a closed server does not listen again). */
  protected get closeCalled(): boolean {
    return this.closePromise !== null;
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise) {
      if (options.force) this.destroyAll();
      return this.closePromise;
    }
    const grace = checkMs('idleGrace', options.idleGrace);
    const timeout = checkMs('timeout', options.timeout);
    this.closePromise = new Promise<void>((resolve) => {
      const state: CloseState = { resolve };
      this.closeState = state;
      this.stopAccepting(() => {
        this.listenerGone = true;
        this.connectionGone();
      });
      if (options.force) this.destroyAll();
      else {
        if (grace) state.grace = setTimeout(() => this.endIdle(), grace);
        else this.endIdle();
        if (timeout !== undefined && this.openCount > 0) state.deadline = setTimeout(() => this.destroyAll(), timeout);
      }
      this.connectionGone();
    });
    return this.closePromise;
  }

  private endIdle(): void {
    this.idleClosed = true;
    this.beginClose();
  }

  /** Call after a connection closed: the last one completes a close(). */
  protected connectionGone(): void {
    const state = this.closeState;
    if (!state || !this.listenerGone || this.openCount > 0) return;
    clearTimeout(state.deadline);
    clearTimeout(state.grace);
    this.closeState = null;
    this.closed();
    state.resolve();
  }
}

function checkMs(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RangeError(`close() option "${name}" must be a number of milliseconds ≥ 0, got ${JSON.stringify(v)}`);
  return v;
}
