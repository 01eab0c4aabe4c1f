/**
 * The transport contract every backend implements. The io_uring backend
 * (backends/native, either driver) and the node:net backend (backends/node) are both
 * checked against it by one contract test suite.
 */

/** io_uring and epoll are the native engine's two I/O drivers; node is node:net/node:http. */
export type BackendName = 'io_uring' | 'epoll' | 'node';
/** The native engine's I/O driver. */
export type NativeDriver = 'io_uring' | 'epoll';
export type BackendChoice = 'auto' | BackendName;

export interface ListenOptions {
  /** TCP port; 0 picks a free one (read it back with `address()`). */
  port?: number;
  /** Address to bind; default 127.0.0.1. Use '::' or '::1' for IPv6. */
  host?: string;
  /** Listen backlog; default 4096 (Node's 511 drops handshakes near 1,000 connections). */
  backlog?: number;
  /** SO_REUSEPORT, so several loops (workers) can listen on one port. Default false. */
  reusePort?: boolean;
  /** For '::', accept IPv6 only. Default false (dual stack). */
  ipv6Only?: boolean;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

export interface CloseOptions {
  /** Destroy open connections at once instead of waiting for them to end. */
  force?: boolean;
  /** Graceful close: after this many ms, destroy what is still open (the hard deadline). Default: wait forever. */
  timeout?: number;
  /**
   * HTTP: keep idle keep-alive connections open this many ms after close()
   * begins; a request arriving on one meanwhile is served with
   * `Connection: close`. Behind a balancer, set it above the balancer's upstream
   * keep-alive timeout, so the balancer closes them first and never sends a
   * request on a connection that is closing. Default 0: idle connections close at once.
   */
  idleGrace?: number;
}

export interface ServerStats {
  backend: BackendName;
  /** Connections open now. */
  connections: number;
  /** Connections accepted since start. */
  accepted: number;
  bytesRead: number;
  bytesWritten: number;
  /** Times a multishot recv stopped because the buffer ring ran dry (io_uring only; 0 on node). */
  enobufs: number;
  /** Native → JS batches delivered (io_uring only). */
  batches: number;
  /** Events carried by those batches (io_uring only). */
  events: number;
  /** Accepted sockets closed at once: no free connection slot, or the listener was closing (native only; 0 on node). */
  refused: number;
  /**
   * accept() calls that failed: out of file descriptors (EMFILE, ENFILE) or
   * memory. Native: the connections wait in the backlog and the loop retries
   * on its next tick; node: what node:net reports (libuv accepts and closes
   * sockets itself under EMFILE, which no counter sees).
   */
  acceptErrors: number;
  /** Loop turns that found the io_uring CQ overflowed (io_uring only; should stay 0). */
  cqOverflows: number;
  /** HTTP connections destroyed because their output did not move for sendTimeout. */
  sendStalls: number;
  /** HTTP: headersTimeout passed before a head was complete (answered 408). */
  headersTimeouts: number;
  /** HTTP: requestTimeout passed (answered 408, or closed once the response had started). */
  requestTimeouts: number;
  /** HTTP: idle keep-alive connections closed after keepAliveTimeout. */
  idleTimeouts: number;
}

export interface TcpConnection {
  /** Integer handle; stable for the life of the connection. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: 'IPv4' | 'IPv6';
  /** Bytes queued for sending and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** True once closed (by either side). */
  readonly closed: boolean;
  /**
   * Queue bytes for sending, in order. Returns false when the queue is past
   * the high-water mark: stop writing until `onDrain` is called.
   */
  write(data: Uint8Array | string): boolean;
  /** Send what is queued, then shut down the write side (FIN). Optional last bytes. */
  end(data?: Uint8Array | string): void;
  /** Close at once, dropping what is queued (RST if unread data remains). */
  destroy(): void;
  /** Stop reading (the kernel's receive window fills and the peer slows down). */
  pause(): void;
  resume(): void;
  /** Free slot for user state. */
  data?: unknown;
}

export interface TcpServerOptions {
  backend?: BackendChoice;
  onOpen?(conn: TcpConnection): void;
  /** `data` belongs to the callee; it stays valid after the call. */
  onData?(conn: TcpConnection, data: Buffer): void;
  /** The peer half-closed (FIN). The connection stays writable; call end() when done. Default: end(). */
  onEnd?(conn: TcpConnection): void;
  onDrain?(conn: TcpConnection): void;
  /** `error` is set when the connection ended by an error (e.g. ECONNRESET). */
  onClose?(conn: TcpConnection, error?: Error): void;
  /** Bytes past which write() returns false. Default 64 KiB. */
  highWaterMark?: number;
  /** io_uring: buffers in the provided buffer ring (power of two). Default 512, or 128 where the kernel consumes buffers incrementally (Linux 6.12+). */
  bufferCount?: number;
  /** io_uring: size of each ring buffer in bytes. Default 8 KiB. */
  bufferSize?: number;
  /** Logger for the one backend-selection line; default console.error-like. Set false to silence. */
  log?: ((line: string) => void) | false;
}

export interface TcpServer {
  readonly backend: BackendName;
  /** Why this backend was chosen (e.g. 'io_uring: requested', 'node: blocked by seccomp (EPERM)'). */
  readonly backendReason: string;
  listen(options?: ListenOptions): Promise<AddressInfo>;
  address(): AddressInfo | null;
  /** Stop accepting; resolve when every connection has closed. */
  close(options?: CloseOptions): Promise<void>;
  stats(): ServerStats;
  /** Connections open now. */
  readonly connections: number;
}
