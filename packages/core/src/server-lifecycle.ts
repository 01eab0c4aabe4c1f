/**
 * The close() every server of every backend shares: stop accepting, let the
 * open connections end (or end them: force, timeout), resolve once the
 * listener and the last connection are gone. Backends say how to stop
 * accepting and how to end connections.
 */
import type { CloseOptions } from './types.js';

export abstract class ServerLifecycle {
  private closeState: { resolve: () => void; timer?: NodeJS.Timeout } | null = null;
  private closePromise: Promise<void> | null = null;
  private listenerGone = false;

  /** Open connections. */
  protected abstract get openCount(): number;
  /** Stop accepting; call `done` once the listener is gone (at once if there was none). */
  protected abstract stopAccepting(done: () => void): void;
  /** close() began, not forced: end what should end now (e.g. idle keep-alive connections). */
  protected abstract beginClose(): void;
  /** Destroy every open connection (force, or the close timeout ran out). */
  protected abstract destroyAll(): void;
  /** Everything is gone, just before close() resolves. */
  protected abstract closed(): void;

  /** True from close() until it resolves. */
  protected get closing(): boolean {
    return this.closeState !== null;
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
    this.closePromise = new Promise<void>((resolve) => {
      this.closeState = { resolve };
      this.stopAccepting(() => {
        this.listenerGone = true;
        this.connectionGone();
      });
      if (options.force) this.destroyAll();
      else {
        this.beginClose();
        if (options.timeout !== undefined && this.openCount > 0) this.closeState.timer = setTimeout(() => this.destroyAll(), options.timeout);
      }
      this.connectionGone();
    });
    return this.closePromise;
  }

  /** Call after a connection closed: the last one completes a close(). */
  protected connectionGone(): void {
    const state = this.closeState;
    if (!state || !this.listenerGone || this.openCount > 0) return;
    if (state.timer) clearTimeout(state.timer);
    this.closeState = null;
    this.closed();
    state.resolve();
  }
}
