/**
 * TcpServer over node:net: the fallback backend, same contract as the
 * io_uring one (types.ts), checked by the same test suite. One net.Socket per
 * connection; ids are small integers counted per server.
 */
import net from 'node:net';
import type { AddressInfo, ListenOptions, ServerStats, TcpConnection, TcpServer, TcpServerOptions } from '../../types.js';
import { NodeServer, nodeStats, peerAddress, sentBytes } from './server-common.js';

const DEFAULT_HWM = 64 * 1024;

class NodeConnection implements TcpConnection {
  closed = false;
  data?: unknown;
  ended = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: 'IPv4' | 'IPv6';

  constructor(
    readonly id: number,
    readonly socket: net.Socket,
  ) {
    // Read now: node forgets the peer once the socket is destroyed.
    this.remoteAddress = peerAddress(socket);
    this.remotePort = socket.remotePort ?? 0;
    this.remoteFamily = socket.remoteFamily === 'IPv6' && this.remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
  }

  get bufferedAmount(): number {
    return this.closed ? 0 : this.socket.writableLength;
  }

  write(data: Uint8Array | string): boolean {
    if (this.closed || this.ended) return false;
    // The socket's writable high-water mark is the server's (see createServer below),
    // so its answer and its 'drain' are exactly the contract's.
    return this.socket.write(data);
  }

  end(data?: Uint8Array | string): void {
    if (this.closed || this.ended) return;
    this.ended = true;
    if (data === undefined) this.socket.end();
    else this.socket.end(data);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }

  pause(): void {
    if (!this.closed) this.socket.pause();
  }

  resume(): void {
    if (!this.closed) this.socket.resume();
  }
}

class NodeTcpServer extends NodeServer implements TcpServer {
  readonly backend = 'node' as const;
  private readonly conns = new Map<number, NodeConnection>();
  private readonly highWaterMark: number;
  private nextId = 1;

  constructor(
    private readonly options: TcpServerOptions,
    readonly backendReason: string,
  ) {
    const hwm = options.highWaterMark ?? DEFAULT_HWM;
    if (!Number.isInteger(hwm) || hwm <= 0)
      throw new RangeError(`Option "highWaterMark" must be a positive integer (bytes), got ${JSON.stringify(options.highWaterMark)}`);
    // allowHalfOpen: the peer's FIN goes to onEnd and the connection stays
    // writable; the default onEnd ends it (see onSocket).
    // highWaterMark (Node >= 20.1) sets the writable mark of every accepted socket.
    super(net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: hwm }));
    this.highWaterMark = hwm;
    this.server.on('connection', (socket) => this.onSocket(socket));
  }

  get connections(): number {
    return this.conns.size;
  }

  protected get openCount(): number {
    return this.conns.size;
  }

  listen(options: ListenOptions = {}): Promise<AddressInfo> {
    return this.bind(options);
  }

  private onSocket(socket: net.Socket): void {
    const conn = new NodeConnection(this.nextId++, socket);
    this.conns.set(conn.id, conn);
    this.counters.accepted++;
    socket.setNoDelay(true);
    if (socket.writableHighWaterMark !== this.highWaterMark) {
      // Node 20.0 ignores createServer's highWaterMark: set the socket's own.
      (socket as unknown as { _writableState: { highWaterMark: number } })._writableState.highWaterMark = this.highWaterMark;
    }
    let error: Error | undefined;
    socket.on('error', (err) => {
      error ??= err;
    });
    socket.on('close', () => this.onSocketClose(conn, error));
    if (this.closing) {
      conn.destroy();
      return;
    }
    const o = this.options;
    socket.on('data', (chunk: Buffer) => {
      // Each read is a fresh Buffer: the callee may keep it.
      if (!conn.closed) o.onData?.(conn, chunk);
    });
    socket.on('end', () => {
      if (conn.closed) return;
      if (o.onEnd) o.onEnd(conn);
      else conn.end();
    });
    socket.on('drain', () => {
      if (!conn.closed) o.onDrain?.(conn);
    });
    o.onOpen?.(conn);
  }

  private onSocketClose(conn: NodeConnection, error: Error | undefined): void {
    if (!this.conns.delete(conn.id)) return;
    conn.closed = true;
    this.counters.bytesRead += conn.socket.bytesRead;
    this.counters.bytesWritten += sentBytes(conn.socket);
    this.options.onClose?.(conn, error);
    this.connectionGone();
  }

  protected beginClose(): void {
    // Open connections are served until they end; nothing to do now.
  }

  protected destroyAll(): void {
    for (const c of this.conns.values()) c.destroy();
  }

  stats(): ServerStats {
    return nodeStats(
      this.counters,
      Array.from(this.conns.values(), (c) => c.socket),
      this.conns.size,
    );
  }
}

export function createNodeTcpServer(options: TcpServerOptions, reason: string): TcpServer {
  return new NodeTcpServer(options, reason);
}
