import type net from 'node:net';
import type { AddressInfo, ListenOptions, ServerStats } from '../../types.js';
import { listenOptions } from '../io_uring/listen.js';

/**
 * Listen a node:net (or node:http) server with Ringside's validated options.
 * reusePort: node:net honours it from Node 22.12 / 23.1 and ignores it before
 * (Node 20 has no SO_REUSEPORT), so on Node 20 a second listener on the same
 * port fails with EADDRINUSE. Errors of the listening socket after that
 * (accept failing, e.g. EMFILE) become warnings, never a crash.
 */
export async function listenServer(server: net.Server, options: ListenOptions): Promise<AddressInfo> {
  const opts = listenOptions(options, null);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: opts.port, host: opts.host, backlog: opts.backlog, ipv6Only: opts.ipv6Only, reusePort: opts.reusePort }, () => {
      server.off('error', reject);
      server.on('error', (err) => process.emitWarning(`ringside: server error: ${err.message}`));
      resolve();
    });
  });
  const a = server.address() as net.AddressInfo;
  return { address: a.address, port: a.port, family: a.family === 'IPv6' || (a.family as unknown) === 6 ? 'IPv6' : 'IPv4' };
}

/** Bytes handed to the kernel: node's bytesWritten also counts what is still queued. */
export function sentBytes(socket: net.Socket): number {
  return Math.max(0, socket.bytesWritten - (socket.destroyed ? 0 : socket.writableLength));
}

/** stats() of a node-backend server: counters of closed sockets plus the live ones'. */
export function nodeStats(counters: { accepted: number; bytesRead: number; bytesWritten: number }, sockets: Iterable<net.Socket>, connections: number): ServerStats {
  let bytesRead = counters.bytesRead;
  let bytesWritten = counters.bytesWritten;
  for (const s of sockets) {
    bytesRead += s.bytesRead;
    bytesWritten += sentBytes(s);
  }
  return { backend: 'node', connections, accepted: counters.accepted, bytesRead, bytesWritten, enobufs: 0, batches: 0, events: 0 };
}
