import type net from 'node:net';
import type { AddressInfo, ListenOptions, ServerStats } from '../../types.js';
import { ServerLifecycle } from '../../server-lifecycle.js';
import { listenOptions } from '../native/listen.js';

/**
 * Listen a node:net (or node:http) server with Ringside's validated options.
 * reusePort: node:net honours it from Node 22.12 / 23.1 and ignores it before
 * (Node 20 has no SO_REUSEPORT), so on Node 20 a second listener on the same
 * port fails with EADDRINUSE. Errors of the listening socket after that
 * (accept failing) go to `onError`, never a crash.
 */
export async function listenServer(server: net.Server, options: ListenOptions, onError: (err: NodeJS.ErrnoException) => void): Promise<AddressInfo> {
  const opts = listenOptions(options, null);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, backlog: opts.backlog, ipv6Only: opts.ipv6Only, reusePort: opts.reusePort }, () => {
      server.off('error', reject);
      server.on('error', onError);
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  return { address: a.address, port: a.port, family: a.family === 'IPv6' || (a.family as unknown) === 6 ? 'IPv6' : 'IPv4' };
}

// An IPv4-mapped IPv6 address (an IPv4 peer on a dual-stack socket).
const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/** The peer's address as the native backends report it: '127.0.0.1', not '::ffff:127.0.0.1', for an IPv4 peer. */
export function peerAddress(socket: net.Socket): string {
  const address = socket.remoteAddress ?? '';
  return MAPPED_V4.exec(address)?.[1] ?? address;
}

/** Bytes handed to the kernel: node's bytesWritten also counts what is still queued. */
export function sentBytes(socket: net.Socket): number {
  return Math.max(0, socket.bytesWritten - (socket.destroyed ? 0 : socket.writableLength));
}

/**
 * Bytes the kernel has taken from the socket so far, moving with each part of a
 * write that goes out: node's bytesWritten and writableLength only move once a
 * whole write completes, libuv's write queue size (the handle's writeQueueSize)
 * as the kernel takes it. Falls back to sentBytes() without those internals.
 */
export function kernelBytes(socket: net.Socket): number {
  const s = socket as net.Socket & { _bytesDispatched?: unknown; _handle?: { writeQueueSize?: unknown } | null };
  const dispatched = s._bytesDispatched;
  const queued = s._handle?.writeQueueSize;
  if (typeof dispatched !== 'number' || typeof queued !== 'number') return sentBytes(socket);
  return dispatched - queued;
}

/** The HTTP deadline counters the node HTTP transport keeps (the native loop counts the same in stats.h). */
export type HttpTimeoutCounters = Pick<ServerStats, 'sendStalls' | 'headersTimeouts' | 'requestTimeouts' | 'idleTimeouts'>;

const noTimeouts: HttpTimeoutCounters = { sendStalls: 0, headersTimeouts: 0, requestTimeouts: 0, idleTimeouts: 0 };

/**
 * stats() of a node-backend server: counters of closed sockets plus the live ones'.
 * The engine-only counters (enobufs, batches, events, refused, cqOverflows) are 0:
 * node:net has no buffer ring, batches or completion queue, and accepts every socket it is given.
 */
export function nodeStats(counters: NodeCounters, sockets: Iterable<net.Socket>, connections: number, timeouts: HttpTimeoutCounters = noTimeouts): ServerStats {
  let bytesRead = counters.bytesRead;
  let bytesWritten = counters.bytesWritten;
  for (const s of sockets) {
    bytesRead += s.bytesRead;
    bytesWritten += sentBytes(s);
  }
  return {
    backend: 'node',
    connections,
    accepted: counters.accepted,
    bytesRead,
    bytesWritten,
    enobufs: 0,
    batches: 0,
    events: 0,
    refused: 0,
    acceptErrors: counters.acceptErrors,
    cqOverflows: 0,
    sendStalls: timeouts.sendStalls,
    headersTimeouts: timeouts.headersTimeouts,
    requestTimeouts: timeouts.requestTimeouts,
    idleTimeouts: timeouts.idleTimeouts,
  };
}

/** What a node-backend server counts itself; bytes of closed sockets (the live ones' are read at stats()). */
interface NodeCounters {
  accepted: number;
  bytesRead: number;
  bytesWritten: number;
  acceptErrors: number;
}

/** What the node TCP server and HTTP transport share: one listening node server. */
export abstract class NodeServer extends ServerLifecycle {
  private addr: AddressInfo | null = null;
  private listening = false;
  protected readonly counters: NodeCounters = { accepted: 0, bytesRead: 0, bytesWritten: 0, acceptErrors: 0 };

  constructor(protected readonly server: net.Server) {
    super();
  }

  protected async bind(options: ListenOptions): Promise<AddressInfo> {
    if (this.listening) throw new Error('Server is already listening; create another server to listen on a second address');
    if (this.closeCalled) throw new Error('Server is closed; create a new one to listen again');
    this.listening = true;
    try {
      this.addr = await listenServer(this.server, options, (err) => this.listenerError(err));
    } catch (e) {
      this.listening = false;
      throw e;
    }
    return this.addr;
  }

  address(): AddressInfo | null {
    return this.addr;
  }

  /**
   * An error of the listening socket: accept failed (libuv's own EMFILE/ENFILE
   * handling accepts and closes such connections unreported; what reaches here
   * is the rest, e.g. ENOMEM). Counted and warned, never a crash.
   */
  private listenerError(err: NodeJS.ErrnoException): void {
    if (err.syscall === 'accept') this.counters.acceptErrors++;
    process.emitWarning(`ringside: server error: ${err.message}`);
  }

  protected stopAccepting(done: () => void): void {
    if (!this.listening) {
      done();
      return;
    }
    this.listening = false;
    // Closes the listening handle now; the callback comes once node has seen
    // every connection go (the lifecycle waits for our own count too).
    this.server.close(() => done());
  }

  protected closed(): void {
    this.addr = null;
  }
}
