import type net from 'node:net';
import type { AddressInfo, ListenOptions } from '../../types.js';
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
