/**
 * The server side of the WebSocket opening handshake, as pure functions every
 * backend shares: whether a request is a valid upgrade (RFC 6455 §4.2.1), the
 * Sec-WebSocket-Accept value (§4.2.2), and the permessage-deflate agreement
 * (RFC 7692 §7).
 */
import { createHash } from 'node:crypto';
import type { IncomingHeaders } from './http-types.js';
import type { WebSocketCompression, WebSocketOffer } from './websocket-types.js';

/** The header's field values as one comma list (repeated fields are one list, RFC 9110 §5.3). */
function joined(value: string | readonly string[] | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.join(',');
}

/** The list's elements, trimmed, empty ones dropped. */
export function commaList(value: string | readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (const part of joined(value).split(',')) {
    const t = part.trim();
    if (t !== '') out.push(t);
  }
  return out;
}

function hasToken(value: string | readonly string[] | undefined, token: string): boolean {
  return commaList(value).some((t) => t.toLowerCase() === token);
}

/** 24 base64 characters ending '==' decode to exactly 16 bytes. */
const KEY_16_BYTES = /^[A-Za-z0-9+/]{21}[AQgw]==$/;

/** RFC 9110 token characters (a subprotocol name is a token, RFC 6455 §4.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What the request offers when it is a valid WebSocket upgrade; null otherwise (answer it as any other request). */
export function websocketOffer(method: string, httpVersion: string, headers: IncomingHeaders): WebSocketOffer | null {
  if (method !== 'GET' || httpVersion !== '1.1') return null;
  if (!hasToken(headers.upgrade, 'websocket') || !hasToken(headers.connection, 'upgrade')) return null;
  if (websocketVersion(headers) !== '13') return null;
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY_16_BYTES.test(key.trim())) return null;
  const protocols = commaList(headers['sec-websocket-protocol']);
  if (!protocols.every((p) => TOKEN.test(p))) return null;
  return { key: key.trim(), protocols, extensions: joined(headers['sec-websocket-extensions']) };
}

/** The Sec-WebSocket-Version the client sent, trimmed ('' when absent or repeated). */
export function websocketVersion(headers: IncomingHeaders): string {
  const v = headers['sec-websocket-version'];
  return typeof v === 'string' ? v.trim() : '';
}

/** Whether the request asks for a WebSocket (Upgrade: websocket), valid or not: such a request that is not valid gets 400 or 426. */
export function asksForWebSocket(headers: IncomingHeaders): boolean {
  return hasToken(headers.upgrade, 'websocket');
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a key (RFC 6455 §4.2.2). */
export function websocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

// ---- permessage-deflate (RFC 7692) -----------------------------------------------------

/** The parameters agreed for one connection. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** LZ77 window of the server's compressor, 8..15. */
  serverMaxWindowBits: number;
  /** LZ77 window of the client's compressor, 8..15 (15 when the client did not offer the parameter). */
  clientMaxWindowBits: number;
}

interface Extension {
  name: string;
  /** Parameter name → value (true when it has none), in order; a repeated name makes the offer invalid. */
  params: Map<string, string | true>;
  duplicate: boolean;
}

/** One quoted-string or token value: unquoted, or null when malformed. */
function paramValue(raw: string): string | null {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return null;
    const inner = raw.slice(1, -1).replace(/\\(.)/g, '$1');
    return TOKEN.test(inner) ? inner : null;
  }
  return TOKEN.test(raw) ? raw : null;
}

/**
 * Sec-WebSocket-Extensions (RFC 6455 §9.1) → its extension offers in order;
 * null when the header is malformed (the client is then failed: RFC 6455 §4.2.1 lets
 * the server refuse, and accepting half of a garbled list is worse).
 */
export function parseExtensions(header: string): Extension[] | null {
  const out: Extension[] = [];
  if (header.trim() === '') return out;
  // A comma inside a quoted value is not expected for these parameters: values are tokens.
  for (const element of header.split(',')) {
    const parts = element.split(';').map((p) => p.trim());
    const name = parts[0]!;
    if (!TOKEN.test(name)) return null;
    const ext: Extension = { name: name.toLowerCase(), params: new Map(), duplicate: false };
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      const key = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      if (!TOKEN.test(key)) return null;
      let value: string | true = true;
      if (eq >= 0) {
        const v = paramValue(p.slice(eq + 1).trim());
        if (v === null) return null;
        value = v;
      }
      if (ext.params.has(key)) ext.duplicate = true;
      ext.params.set(key, value);
    }
    out.push(ext);
  }
  return out;
}

const WINDOW_BITS = /^(?:8|9|1[0-5])$/;

/**
 * The parameters the server answers one permessage-deflate offer with, within
 * what `c` allows, or null when the offer cannot be accepted (an unknown or
 * repeated parameter, an invalid value, or a server window the offer forbids).
 */
function acceptOffer(ext: Extension, c: WebSocketCompression): DeflateParams | null {
  if (ext.duplicate) return null;
  const serverLimit = c.serverMaxWindowBits ?? 15;
  const clientLimit = c.clientMaxWindowBits ?? 15;
  const agreed: DeflateParams = {
    serverNoContextTakeover: c.serverNoContextTakeover === true,
    clientNoContextTakeover: c.clientNoContextTakeover === true,
    serverMaxWindowBits: serverLimit,
    clientMaxWindowBits: 15,
  };
  let clientMayLimit = false;
  for (const [key, value] of ext.params) {
    switch (key) {
      case 'server_no_context_takeover':
        if (value !== true) return null;
        agreed.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return null;
        // The client will reset its context anyway; saying so costs nothing.
        agreed.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits':
        if (value === true || !WINDOW_BITS.test(value)) return null;
        agreed.serverMaxWindowBits = Math.min(serverLimit, Number(value));
        break;
      case 'client_max_window_bits':
        if (value !== true && !WINDOW_BITS.test(value)) return null;
        clientMayLimit = true;
        agreed.clientMaxWindowBits = value === true ? clientLimit : Math.min(clientLimit, Number(value));
        break;
      default:
        return null;
    }
  }
  // Without client_max_window_bits in the offer the client cannot be asked to use a smaller window (§7.1.2.2).
  if (!clientMayLimit && clientLimit < 15) return null;
  if (!clientMayLimit) agreed.clientMaxWindowBits = 15;
  return agreed;
}

/** The response's extension element for agreed parameters. */
function formatDeflate(p: DeflateParams, offer: Extension): string {
  let s = 'permessage-deflate';
  if (p.serverNoContextTakeover) s += '; server_no_context_takeover';
  if (p.clientNoContextTakeover) s += '; client_no_context_takeover';
  // Offered, it must be answered (§7.1.2.1); else only a smaller window than the default needs saying.
  if (offer.params.has('server_max_window_bits') || p.serverMaxWindowBits < 15) s += `; server_max_window_bits=${p.serverMaxWindowBits}`;
  if (offer.params.has('client_max_window_bits') && p.clientMaxWindowBits < 15) s += `; client_max_window_bits=${p.clientMaxWindowBits}`;
  return s;
}

/**
 * permessage-deflate for a Sec-WebSocket-Extensions value: the first offer the
 * server can accept under `compression`, as the response's header value and the
 * parameters both ends then use; null when nothing is agreed (no compression).
 */
export function negotiateDeflate(extensionsHeader: string, compression: WebSocketCompression): { response: string; params: DeflateParams } | null {
  const offers = parseExtensions(extensionsHeader);
  if (offers === null) return null;
  for (const ext of offers) {
    if (ext.name !== 'permessage-deflate') continue;
    const params = acceptOffer(ext, compression);
    if (params !== null) return { response: formatDeflate(params, ext), params };
  }
  return null;
}
