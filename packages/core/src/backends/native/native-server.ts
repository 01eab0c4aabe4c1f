/**
 * What the native TCP server and HTTP transport share, on either driver
 * (io_uring or epoll): the thread's loop (acquired on listen, released when
 * closed), one listener, and stats().
 */
import type { NativeListenOptions, NativeStats } from '@ringside/native';
import type { AddressInfo, NativeDriver, ServerStats } from '../../types.js';
import { ServerLifecycle } from '../../server-lifecycle.js';
import type { LoopClient, LoopTuning, NativeLoop } from './native-loop.js';
import { toAddressInfo } from './listen.js';

export abstract class NativeServer extends ServerLifecycle implements LoopClient {
  private listenerId = -1;
  private addr: AddressInfo | null = null;
  private acquired = false;
  private finalStats: NativeStats | null = null;
  protected accepted = 0;

  constructor(
    readonly loop: NativeLoop,
    readonly backend: NativeDriver,
  ) {
    super();
  }

  abstract onOpen(id: number, address: string, port: number, family: 4 | 6): void;
  abstract onEvent(type: number, id: number, at: number): void;

  protected bind(opts: NativeListenOptions, tuning: LoopTuning): AddressInfo {
    if (this.listenerId >= 0) throw new Error('Server is already listening; create another server to listen on a second address');
    if (this.closeCalled) throw new Error('Server is closed; create a new one to listen again');
    this.loop.acquire({ ...tuning, driver: this.backend });
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

  protected stopAccepting(done: () => void): void {
    if (this.listenerId >= 0) this.loop.closeListener(this.listenerId);
    this.listenerId = -1;
    done();
  }

  protected closed(): void {
    this.addr = null;
    if (this.acquired) {
      this.finalStats = this.loop.binding.stats();
      this.acquired = false;
      this.loop.release();
    }
  }

  /** Counters; byte and batch counts are the thread's loop's (shared by its servers). */
  stats(): ServerStats {
    const n = this.acquired ? this.loop.binding.stats() : this.finalStats;
    return {
      backend: this.backend,
      connections: this.openCount,
      accepted: this.accepted,
      bytesRead: n?.bytesRead ?? 0,
      bytesWritten: n?.bytesWritten ?? 0,
      enobufs: n?.enobufs ?? 0,
      batches: n?.batches ?? 0,
      events: n?.events ?? 0,
      refused: n?.refused ?? 0,
      acceptErrors: n?.acceptErrors ?? 0,
      cqOverflows: n?.cqOverflows ?? 0,
      sendStalls: n?.sendStalls ?? 0,
      headersTimeouts: n?.headersTimeouts ?? 0,
      requestTimeouts: n?.requestTimeouts ?? 0,
      idleTimeouts: n?.idleTimeouts ?? 0,
    };
  }
}
