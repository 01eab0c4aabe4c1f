/**
 * TcpServer over the native loop (io_uring or epoll driver): connections are integer ids,
 * events arrive in batches (native-loop.ts), writes go through the shared
 * output area.
 */
import { Ev, Op, type Binding } from '@ringside/native';
import type { AddressInfo, ListenOptions, NativeDriver, TcpConnection, TcpServer, TcpServerOptions } from '../../types.js';
import { threadLoop, type NativeLoop } from './native-loop.js';
import { CloseRecord, DataRecord } from './event-records.js';
import { NativeServer } from './native-server.js';
import { errnoError } from './errors.js';
import { listenOptions } from './listen.js';

const DEFAULT_HWM = 64 * 1024;

class NativeConnection implements TcpConnection {
  closed = false;
  data?: unknown;
  /** Bytes written into the output area during `epoch` (not yet seen by native). */
  unflushed = 0;
  epoch = -1;
  paused = false;
  held: Buffer[] | null = null; // data that arrived while paused
  ended = false;

  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly remoteFamily: 'IPv4' | 'IPv6',
    private readonly server: NativeTcpServer,
  ) {}

  get bufferedAmount(): number {
    const loop = this.server.nativeLoop;
    const unflushed = loop.taken(this.epoch) ? 0 : this.unflushed;
    return loop.queuedFor(this.id) + unflushed;
  }

  write(data: Uint8Array | string): boolean {
    if (this.closed || this.ended) return false;
    const loop = this.server.nativeLoop;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const before = this.bufferedAmount;
    const full = before + bytes.byteLength >= this.server.highWaterMark;
    if (loop.taken(this.epoch)) this.unflushed = 0;
    loop.write(this.id, bytes, full);
    this.epoch = loop.epoch;
    this.unflushed += bytes.byteLength;
    return !full;
  }

  end(data?: Uint8Array | string): void {
    if (this.closed || this.ended) return;
    if (data !== undefined) this.write(data);
    this.ended = true;
    this.server.nativeLoop.op(this.id, Op.END);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.nativeLoop.op(this.id, Op.DESTROY);
  }

  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.server.nativeLoop.op(this.id, Op.PAUSE);
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    this.server.nativeLoop.op(this.id, Op.RESUME);
    const held = this.held;
    if (held) {
      this.held = null;
      queueMicrotask(() => {
        for (const chunk of held) this.server.deliverData(this, chunk);
      });
    }
  }
}

class NativeTcpServer extends NativeServer implements TcpServer {
  readonly highWaterMark: number;
  private readonly conns = new Map<number, NativeConnection>();

  constructor(
    binding: Binding,
    driver: NativeDriver,
    private readonly options: TcpServerOptions,
    readonly backendReason: string,
  ) {
    super(threadLoop(binding), driver);
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HWM;
  }

  /** The loop, for this server's connections. */
  get nativeLoop(): NativeLoop {
    return this.loop;
  }

  get connections(): number {
    return this.conns.size;
  }

  protected get openCount(): number {
    return this.conns.size;
  }

  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    return this.bind(listenOptions(options, null), { bufferCount: this.options.bufferCount, bufferSize: this.options.bufferSize });
  }

  protected beginClose(): void {
    // Open connections are served until they end; nothing to do now.
  }

  protected destroyAll(): void {
    for (const c of this.conns.values()) c.destroy();
  }

  onOpen(id: number, address: string, port: number, family: 4 | 6): void {
    const conn = new NativeConnection(id, address, port, family === 6 ? 'IPv6' : 'IPv4', this);
    this.conns.set(id, conn);
    this.accepted++;
    if (this.closing) {
      conn.destroy();
      return;
    }
    this.options.onOpen?.(conn);
  }

  deliverData(conn: NativeConnection, chunk: Buffer): void {
    if (conn.closed) return;
    if (conn.paused) {
      (conn.held ??= []).push(chunk);
      return;
    }
    this.options.onData?.(conn, chunk);
  }

  onEvent(type: number, id: number, at: number): void {
    const conn = this.conns.get(id);
    if (!conn) return;
    const ev = this.loop.events;
    switch (type) {
      case Ev.DATA:
        this.deliverData(conn, DataRecord.copy(ev, at, this.loop.eventData));
        break;
      case Ev.END:
        if (this.options.onEnd) this.options.onEnd(conn);
        else conn.end();
        break;
      case Ev.DRAIN:
        this.options.onDrain?.(conn);
        break;
      case Ev.CLOSE: {
        this.conns.delete(id);
        const err = CloseRecord.error(ev, at);
        conn.closed = true;
        this.options.onClose?.(conn, err < 0 ? errnoError(err, 'recv') : undefined);
        this.connectionGone();
        break;
      }
    }
  }
}

export function createNativeTcpServer(binding: Binding, driver: NativeDriver, options: TcpServerOptions, reason: string): TcpServer {
  return new NativeTcpServer(binding, driver, options, reason);
}
