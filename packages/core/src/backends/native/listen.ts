import type { HttpListenOptions, NativeListenOptions } from '@ringside/native';
import type { AddressInfo, ListenOptions } from '../../types.js';

/** Validate ListenOptions (messages say what to do) and fill defaults. */
export function listenOptions(options: ListenOptions, http: HttpListenOptions | null): NativeListenOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new RangeError(`Option "port" must be an integer from 0 to 65535 (0 picks a free port), got ${JSON.stringify(options.port)}`);
  const backlog = options.backlog ?? 4096;
  if (!Number.isInteger(backlog) || backlog <= 0) throw new RangeError(`Option "backlog" must be a positive integer, got ${JSON.stringify(options.backlog)}`);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string') throw new TypeError(`Option "host" must be a string (an IPv4/IPv6 address or 'localhost'), got ${typeof host}`);
  return { host, port, backlog, reusePort: !!options.reusePort, ipv6Only: !!options.ipv6Only, http };
}

export function toAddressInfo(r: { address: string; port: number; family: 4 | 6 }): AddressInfo {
  return { address: r.address, port: r.port, family: r.family === 6 ? 'IPv6' : 'IPv4' };
}
