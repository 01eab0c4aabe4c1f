/**
 * The keep-alive decision, written once for both backends: whether a
 * connection may serve another request after this one.
 */
import type { HttpLimits } from './http-types.js';

/**
 * The limits let a connection serve another request after its `index`-th
 * (1-based): keep-alive is on (keepAliveTimeout > 0) and maxRequestsPerSocket
 * is not reached.
 */
export function limitsAllowAnother(limits: Readonly<HttpLimits>, index: number): boolean {
  const max = limits.maxRequestsPerSocket;
  return limits.keepAliveTimeout > 0 && (max === 0 || index < max);
}

/**
 * The connection stays open after the response to its `index`-th request:
 * the client allows it (`clientKeepAlive`: its Connection header and
 * version), neither the connection nor the server is closing, the request's
 * body was read whole or discarded (otherwise unread bytes would be taken for
 * the next request; a discarded body counts only if the client was asked for
 * it: one that expects 100-continue and got no 100 may never send it), and
 * the limits allow another request.
 */
export function keepAliveAfter(limits: Readonly<HttpLimits>, index: number, clientKeepAlive: boolean, closing: boolean, bodySettled: boolean): boolean {
  return clientKeepAlive && !closing && bodySettled && limitsAllowAnother(limits, index);
}

/**
 * The Connection header a response needs when the app set none: `close` when
 * the connection closes after it, `keep-alive` when an HTTP/1.0 connection
 * stays open (1.0 closes by default), none otherwise.
 */
export function connectionHeader(keepAlive: boolean, httpVersion: '1.0' | '1.1'): string {
  if (!keepAlive) return 'Connection: close\r\n';
  return httpVersion === '1.0' ? 'Connection: keep-alive\r\n' : '';
}

/** An app-set Connection header that ends keep-alive (`close`, a token of the list). */
export function closesConnection(connection: string | undefined): boolean {
  return connection !== undefined && (connection === 'close' || /(?:^|,)\s*close\s*(?:,|$)/i.test(connection));
}
