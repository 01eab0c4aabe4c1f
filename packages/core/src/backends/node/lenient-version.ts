/**
 * HTTP/1.2, 1.3, … are HTTP/1.1 to a 1.1 server (RFC 9110 §2.5: a higher
 * minor version is processed as the highest one it implements), but llhttp
 * refuses every version except 0.9, 1.0, 1.1 and 2.0 ("Invalid HTTP version")
 * unless its lenient-version flag is set, and node:http only sets its lenient
 * flags all together (insecureHTTPParser). This sets that one flag on a new
 * connection's parser: node:http has just initialized it (connectionListener),
 * and it is initialized again with the same arguments plus the flag, before
 * any byte is parsed. The refusal of other majors and of 0.9 stays in the
 * transport (505).
 *
 * It uses node internals, checked here: `_http_common`'s HTTPParser (its
 * kLenientVersion constant, initialize() and remove()), `socket.parser`, and
 * the server's ConnectionsList (the `http.server.connections` symbol; the
 * parser is removed from it first, because the list is ordered by the time of
 * the last message, which initialize() resets). Where one is missing, parsing
 * stays strict and an HTTP/1.2 request is answered 505.
 */
import { createRequire } from 'node:module';
import type http from 'node:http';
import type net from 'node:net';

interface NodeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number, connections: object): void;
  remove(): void;
}

interface ParserBinding {
  REQUEST: number;
  kLenientVersion: number;
  prototype: Partial<NodeParser>;
}

const binding: ParserBinding | null = (() => {
  try {
    const p = (createRequire(import.meta.url)('_http_common') as { HTTPParser?: ParserBinding }).HTTPParser;
    const ok =
      p &&
      typeof p.REQUEST === 'number' &&
      typeof p.kLenientVersion === 'number' &&
      typeof p.prototype.initialize === 'function' &&
      typeof p.prototype.remove === 'function';
    return ok ? p : null;
  } catch {
    return null;
  }
})();

let connectionsKey: symbol | undefined;

/** The server's ConnectionsList (created when it starts listening), or null. */
function connectionsList(server: http.Server): object | null {
  connectionsKey ??= Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connections');
  const list = connectionsKey && (server as unknown as Record<symbol, unknown>)[connectionsKey];
  return typeof list === 'object' && list !== null ? list : null;
}

/**
 * Let the parser of `socket`, just set up by node:http's connection listener,
 * accept any HTTP/x.y version. Returns false (and changes nothing) where the
 * internals it needs are missing.
 */
export function acceptAnyMinorVersion(server: http.Server, socket: net.Socket, maxHeaderSize: number): boolean {
  const parser = (socket as net.Socket & { parser?: NodeParser | null }).parser;
  const list = connectionsList(server);
  if (!binding || !parser || !list || typeof parser.initialize !== 'function') return false;
  parser.remove();
  // The async resource node:http gives its parsers (HTTPServerAsyncResource): a type and the socket.
  parser.initialize(binding.REQUEST, { type: 'HTTPINCOMINGMESSAGE', socket }, maxHeaderSize, binding.kLenientVersion, list);
  return true;
}
