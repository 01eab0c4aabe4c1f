/**
 * TcpServer over the native io_uring loop: connections are integer ids,
 * events arrive in batches (native-loop.ts), writes go through the shared
 * output area.
 */
import { Ev, Op, type Binding } from '@ringside/native';
import type { AddressInfo, CloseOptions, ListenOptions, ServerStats, TcpConnection, TcpServer, TcpServerOptions } from '../../types.js';
import { threadLoop, type LoopClient, type NativeLoop } from './native-loop.js';
import { errnoError } from './errors.js';
import { listenOptions, toAddressInfo } from './listen.js';

const DEFAULT_HWM = 64 * 1024;

class UringConnection implements TcpConnection {
  closed = false;
  data?: unknown;
  /** Bytes written into the output area during `epoch` (not yet seen by native). */
  unflushed = 0;
  epoch = -1;
  paused = false;
  held: Buffer[] | null = null;  // data that arrived while paused
  ended = false;

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly remoteFamily: 'IPv4' | 'IPv6',
    private readonly server: UringTcpServer,
  ) {}

  get bufferedAmount(): number {
    const loop = this.server.loop;
    const unflushed = this.epoch === loop.epoch && loop.out[0]! > 0 ? this.unflushed : 0;
    return loop.queuedFor(this.id) + unflushed;
  }

  write(data: Uint8Array | string): boolean {
    if (this.closed || this.ended) return false;
    const loop = this.server.loop;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const before = this.bufferedAmount;
    const full = before + bytes.byteLength >= this.server.highWaterMark;
    if (this.epoch !== loop.epoch || loop.out[0] === 0) { this.unflushed = 0; }
    loop.write(this.id, bytes, full);
    this.epoch = loop.epoch;
    this.unflushed += bytes.byteLength;
    return !full;
  }

  end(data?: Uint8Array | string): void {
    if (this.closed || this.ended) return;
    if (data !== undefined) this.write(data);
    this.ended = true;
    this.server.loop.op(this.id, Op.END);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.loop.op(this.id, Op.DESTROY);
  }

  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.server.loop.op(this.id, Op.PAUSE);
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.server.loop.op(this.id, Op.RESUME);
    const held = this.held;
    if (held) {
      this.held = null;
      queueMicrotask(() => { for (const chunk of held) this.server.deliverData(this, chunk); });
    }
  }
}

class UringTcpServer implements TcpServer, LoopClient {
  readonly backend = 'io_uring' as const;
  readonly loop: NativeLoop;
  readonly highWaterMark: number;
  private readonly conns = new Map<number, UringConnection>();
  private listenerId = -1;
  private addr: AddressInfo | null = null;
  private closing: { resolve: () => void; timer?: NodeJS.Timeout } | null = null;
  private closePromise: Promise<void> | null = null;
  private acquired = false;
  private counters = { accepted: 0, bytesRead: 0, bytesWritten: 0 };

  constructor(binding: Binding, private readonly options: TcpServerOptions, readonly backendReason: string) {
    this.loop = threadLoop(binding);
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HWM;
  }

  get connections(): number {
    return this.conns.size;
  }

  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    if (this.listenerId >= 0) throw new Error('Server is already listening; create another server to listen on a second address');
    if (this.closePromise) throw new Error('Server is closed; create a new one to listen again');
    const opts = listenOptions(options, null);
    this.loop.acquire({ bufferCount: this.options.bufferCount, bufferSize: this.options.bufferSize });
    this.acquired = true;
    try {
      const r = this.loop.listen(this, opts);
      this.listenerId = r.id;
      this.addr = toAddressInfo(r);
    } catch (e) {
      this.acquired = false;
      this.loop.release();
      throw e;
    }
    return this.addr;
  }

  address(): AddressInfo | null {
    return this.addr;
  }

  onOpen(id: number, address: string, port: number, family: 4 | 6): void {
    const conn = new UringConnection(id, address, port, family === 6 ? 'IPv6' : 'IPv4', this);
    this.conns.set(id, conn);
    this.counters.accepted++;
    if (this.closing) { conn.destroy(); return; }
    this.options.onOpen?.(conn);
  }

  deliverData(conn: UringConnection, chunk: Buffer): void {
    if (conn.closed) return;
    if (conn.paused) { (conn.held ??= []).push(chunk); return; }
    this.options.onData?.(conn, chunk);
  }

  onEvent(type: number, id: number, at: number): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    const ev = this.loop.events;
    switch (type) {
      case Ev.DATA: {
        const off = ev[at + 2]!;
        const len = ev[at + 3]!;
        this.counters.bytesRead += len;
        // The callee owns it: copy out of the shared batch memory.
        const chunk = Buffer.allocUnsafe(len);
        this.loop.eventData.copy(chunk, 0, off, off + len);
        this.deliverData(conn, chunk);
        break;
      }
      case Ev.END:
        if (this.options.onEnd) this.options.onEnd(conn);
        else conn.end();
        break;
      case Ev.DRAIN:
        this.options.onDrain?.(conn);
        break;
      case Ev.CLOSE: {
        this.conns.delete(id);
        const err = ev[at + 2]!;
        conn.closed = true;
        this.options.onClose?.(conn, err < 0 ? errnoError(err, 'recv') : undefined);
        if (this.closing && this.conns.size === 0) this.finishClose();
        break;
      }
    }
  }

  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise) {
      if (options.force) for (const c of this.conns.values()) c.destroy();
      return this.closePromise;
    }
    this.closePromise = new Promise<void>((resolve) => {
      this.closing = { resolve };
      if (this.listenerId >= 0) this.loop.closeListener(this.listenerId);
      this.listenerId = -1;
      if (options.force) for (const c of this.conns.values()) c.destroy();
      else if (options.timeout !== undefined && this.conns.size > 0) {
        this.closing.timer = setTimeout(() => { for (const c of this.conns.values()) c.destroy(); }, options.timeout);
      }
      if (this.conns.size === 0) this.finishClose();
    });
    return this.closePromise;
  }

  private finishClose(): void {
    const closing = this.closing;
    if (!closing) return;
    if (closing.timer) clearTimeout(closing.timer);
    this.closing = null;
    this.addr = null;
    if (this.acquired) { this.acquired = false; this.loop.release(); }
    closing.resolve();
  }

  stats(): ServerStats {
    // Byte counters are per loop (shared by the servers of this thread).
    const n = this.acquired ? this.loop.binding.stats() : null;
    return {
      backend: 'io_uring',
      connections: this.conns.size,
      accepted: this.counters.accepted,
      bytesRead: n ? n.bytesRead : this.counters.bytesRead,
      bytesWritten: n ? n.bytesWritten : 0,
      enobufs: n ? n.enobufs : 0,
      batches: n ? n.batches : 0,
      events: n ? n.events : 0,
    };
  }
}

export function createUringTcpServer(binding: Binding, options: TcpServerOptions, reason: string): TcpServer {
  return new UringTcpServer(binding, options, reason);
}
