/**
 * What the io_uring TCP server and HTTP transport share: the thread's loop
 * (acquired on listen, released when closed), one listener, and close() —
 * stop accepting, let connections end (or end them: force, timeout), resolve
 * when the last one is gone.
 */
import type { NativeListenOptions, NativeStats } from '@ringside/native';
import type { AddressInfo, CloseOptions, ServerStats } from '../../types.js';
import type { LoopClient, LoopTuning, NativeLoop } from './native-loop.js';
import { toAddressInfo } from './listen.js';

export abstract class UringServer implements LoopClient {
  private listenerId = -1;
  private addr: AddressInfo | null = null;
  private acquired = false;
  private closeState: { resolve: () => void; timer?: NodeJS.Timeout } | null = null;
  private closePromise: Promise<void> | null = null;
  private finalStats: NativeStats | null = null;
  protected accepted = 0;

  constructor(protected readonly loop: NativeLoop) {}

  /** Open connections. */
  protected abstract get openCount(): number;
  /** close() began: end what should end now (all of them when `force`). */
  protected abstract beginClose(force: boolean): void;
  /** Destroy every open connection (force, or the close timeout ran out). */
  protected abstract destroyAll(): void;
  abstract onOpen(id: number, address: string, port: number, family: 4 | 6): void;
  abstract onEvent(type: number, id: number, at: number): void;

  /** True from close() until it resolves. */
  protected get closing(): boolean {
    return this.closeState !== null;
  }

  protected bind(opts: NativeListenOptions, tuning: LoopTuning): AddressInfo {
    if (this.listenerId >= 0) throw new Error('Server is already listening; create another server to listen on a second address');
    if (this.closePromise) throw new Error('Server is closed; create a new one to listen again');
    this.loop.acquire(tuning);
    try {
      const r = this.loop.listen(this, opts);
      this.listenerId = r.id;
      this.addr = toAddressInfo(r);
    } catch (e) {
      this.loop.release();
      throw e;
    }
    this.acquired = true;
    return this.addr;
  }

  address(): AddressInfo | null {
    return this.addr;
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise) {
      if (options.force) this.destroyAll();
      return this.closePromise;
    }
    this.closePromise = new Promise<void>((resolve) => {
      this.closeState = { resolve };
      if (this.listenerId >= 0) this.loop.closeListener(this.listenerId);
      this.listenerId = -1;
      this.beginClose(!!options.force);
      if (!options.force && options.timeout !== undefined && this.openCount > 0) {
        this.closeState.timer = setTimeout(() => this.destroyAll(), options.timeout);
      }
      this.connectionGone();
    });
    return this.closePromise;
  }

  /** Call after a connection closed: the last one completes a close(). */
  protected connectionGone(): void {
    const state = this.closeState;
    if (!state || this.openCount > 0) return;
    if (state.timer) clearTimeout(state.timer);
    this.closeState = null;
    this.addr = null;
    if (this.acquired) {
      this.finalStats = this.loop.binding.stats();
      this.acquired = false;
      this.loop.release();
    }
    state.resolve();
  }

  /** Counters; byte and batch counts are the thread's loop's (shared by its servers). */
  stats(): ServerStats {
    const n = this.acquired ? this.loop.binding.stats() : this.finalStats;
    return {
      backend: 'io_uring',
      connections: this.openCount,
      accepted: this.accepted,
      bytesRead: n?.bytesRead ?? 0,
      bytesWritten: n?.bytesWritten ?? 0,
      enobufs: n?.enobufs ?? 0,
      batches: n?.batches ?? 0,
      events: n?.events ?? 0,
    };
  }
}
