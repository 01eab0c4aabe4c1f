/**
 * Helpers for the seeded transport fuzzer and the differential check
 * (transport-fuzz.test.ts): a seeded PRNG, an echo handler that answers each
 * request with its sequence number and a hash of what it received, a
 * generator of connections (valid requests, then sometimes one invalid one),
 * a raw client that writes at random boundaries, and an incremental parser of
 * the responses that comes back.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { HttpRequestHandler, IncomingHeaders } from '../src/index.js';

// ---- randomness ------------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence on every platform. */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(this.next() * 256);
    return b;
  }
  /** `n` characters from `alphabet`. */
  text(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
}

/** The PRNG seed of connection `index` under run seed `seed` (so one connection replays alone). */
export function connectionSeed(seed: number, index: number): number {
  let x = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

// ---- hashing ---------------------------------------------------------------------

const FNV_OFFSET = 0x811c9dc5;
/** FNV-1a over bytes, continuing from `h`. */
export function fnv1a(data: Uint8Array, h = FNV_OFFSET): number {
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data[i]!, 0x01000193) >>> 0;
  return h;
}
const hex = (h: number): string => h.toString(16).padStart(8, '0');

/** Hash of the test fields (names starting with 'x-f'), sorted by name: what the handler saw of the head. */
export function fieldsHash(fields: readonly (readonly [string, string])[]): string {
  const sorted = [...fields].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return hex(fnv1a(Buffer.from(sorted.map(([k, v]) => `${k}=${v}\n`).join(''), 'latin1')));
}

function headerFields(headers: IncomingHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const k of Object.keys(headers)) {
    if (!k.startsWith('x-f')) continue;
    const v = headers[k];
    out.push([k, Array.isArray(v) ? v.join('|') : (v ?? '')]);
  }
  return out;
}

function one(headers: IncomingHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What the handler answers for a request: `seq method version bodyLength bodyHash fieldsHash`. */
export function echoLine(seq: string, method: string, version: string, bodyLength: number, bodyHash: number, fields: string): string {
  return `${seq} ${method} ${version} ${bodyLength} ${hex(bodyHash)} ${fields}`;
}

/**
 * The fuzz server's handler: reads the whole body, then answers 200 with the
 * echo line in an `x-echo` header and as the body (HEAD: header only).
 * `x-delay: N` answers after N ms (so pipelined answers finish out of order);
 * `x-stream: 1` answers with writeHead + writes + end (chunked on 1.1).
 */
export const echoHandler: HttpRequestHandler = (req, res) => {
  const seq = one(req.headers, 'x-seq') ?? '-';
  const delay = Number(one(req.headers, 'x-delay') ?? 0);
  const stream = one(req.headers, 'x-stream') === '1';
  const fields = fieldsHash(headerFields(req.headers));
  let length = 0;
  let h = FNV_OFFSET;
  req.readBody(
    (c) => {
      length += c.length;
      h = fnv1a(c, h);
    },
    () => {
      const echo = echoLine(seq, req.method, req.httpVersion, length, h, fields);
      const answer = (): void => {
        if (res.aborted) return;
        if (!stream) {
          res.send(200, { 'content-type': 'text/plain', 'x-echo': echo }, echo);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain', 'x-echo': echo });
        const cut = Math.floor(echo.length / 2);
        res.write(echo.slice(0, cut));
        res.write(echo.slice(cut));
        res.end();
      };
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    },
    () => {
      /* invalid body or gone: the transport answers (400/413) or there is no one to answer */
    },
  );
};

// ---- generated connections -------------------------------------------------------

export const HEAD_LIMIT = 16 * 1024; // defaultHttpLimits.maxHeaderSize
export const URL_LIMIT = 8 * 1024; // defaultHttpLimits.maxUrlLength

export interface ValidRequest {
  seq: number;
  bytes: Buffer;
  method: string;
  /** The answer has no body (HEAD). */
  head: boolean;
  /** The echo line the handler must answer with. */
  echo: string;
  /** The server closes the connection after answering it (Connection: close, or HTTP/1.0 without keep-alive). */
  closes: boolean;
  /** How it was built, for failure messages. */
  shape: string;
}

export type InvalidKind =
  | 'bad-request-line'
  | 'bare-lf'
  | 'bad-chunk'
  | 'cl-te'
  | 'head-too-large'
  | 'uri-too-long'
  | 'bad-version'
  | 'control-byte'
  | 'garbage'
  | 'tls-client-hello';

export interface InvalidRequest {
  kind: InvalidKind;
  bytes: Buffer;
  /** The statuses allowed for it; null: any 4xx/5xx (no single answer is right, e.g. random bytes). */
  expect: number[] | null;
  shape: string;
}

export interface ConnectionPlan {
  valid: ValidRequest[];
  invalid: InvalidRequest | null;
  /** Bytes after the last request the server may answer (must never be answered). */
  trailing: Buffer | null;
  /** Send everything at once (split at random) instead of one request per answer. */
  pipelined: boolean;
  /** Half-close (FIN) right after the last byte. */
  halfClose: boolean;
  /** Reset mid-stream after `abortAfter` bytes (nothing is checked but the server's cleanup). */
  abortAfter: number | null;
  /** The server must close after the last expected answer. */
  serverCloses: boolean;
}

const TCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const VALUE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\t';
const PATH = "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/%";

function fieldValue(r: Rand, n: number): string {
  if (n <= 0) return '';
  // No leading/trailing whitespace: both parsers trim OWS, the hash compares what is left.
  const v = r.text(n, VALUE).replace(/^[ \t]+|[ \t]+$/g, '');
  return v || 'v';
}

function randomCase(r: Rand, s: string): string {
  if (!r.chance(0.3)) return s;
  return [...s].map((c) => (r.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');
}

function bodySize(r: Rand): number {
  const p = r.next();
  if (p < 0.15) return 0;
  if (p < 0.55) return r.int(1, 32);
  if (p < 0.9) return r.int(33, 2048);
  if (p < 0.98) return r.int(2049, 64 * 1024);
  return r.int(64 * 1024, 300 * 1024);
}

/** A chunked encoding of `body`: random chunk sizes (often 1-byte), hex case and zeros, extensions, trailers. */
function chunked(r: Rand, body: Buffer): { bytes: Buffer; shape: string } {
  const parts: Buffer[] = [];
  const mode = r.pick(['ones', 'small', 'mixed', 'one'] as const);
  let ext = 0;
  let at = 0;
  while (at < body.length) {
    let n: number;
    if (mode === 'ones' && body.length <= 512) n = 1;
    else if (mode === 'one') n = body.length;
    else if (mode === 'small') n = r.int(1, 16);
    else n = r.chance(0.3) ? 1 : r.int(1, 8192);
    n = Math.min(n, body.length - at);
    let size = n.toString(16);
    if (r.chance(0.2)) size = size.toUpperCase();
    if (r.chance(0.1)) size = '0'.repeat(r.int(1, 3)) + size;
    parts.push(Buffer.from(size + chunkExt(r, () => ext++) + '\r\n', 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n'));
    at += n;
  }
  let last = r.chance(0.1) ? '000' : '0';
  last += chunkExt(r, () => ext++) + '\r\n';
  let trailers = 0;
  if (r.chance(0.25)) {
    trailers = r.int(1, 4);
    for (let i = 0; i < trailers; i++) last += `x-t${i}: ${fieldValue(r, r.int(0, 40))}\r\n`;
  }
  parts.push(Buffer.from(last + '\r\n', 'latin1'));
  return { bytes: Buffer.concat(parts), shape: `chunked/${mode}${ext ? `+ext${ext}` : ''}${trailers ? `+trailers${trailers}` : ''}` };
}

function chunkExt(r: Rand, count: () => void): string {
  if (!r.chance(0.15)) return '';
  count();
  let s = '';
  for (let i = r.int(1, 2); i > 0; i--) {
    const name = r.text(r.int(1, 6), 'abcxyz-');
    switch (r.int(0, 2)) {
      case 0:
        s += `;${name}`;
        break;
      case 1:
        s += `;${name}=${r.text(r.int(1, 6), 'abc123')}`;
        break;
      default:
        s += `;${name}="${r.text(r.int(0, 6), 'ab ;=,')}\\"q"`;
        break;
    }
  }
  return s;
}

/** One valid request. `last`: it may close the connection (Connection: close, or HTTP/1.0 without keep-alive). */
export function validRequest(r: Rand, seq: number, last: boolean): ValidRequest {
  const v10 = r.chance(0.12);
  const method = r.pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'PUT', 'PUT', 'DELETE', 'OPTIONS'] as const);
  const shape: string[] = [method, v10 ? '1.0' : '1.1'];
  const lines: string[] = [];
  const fields: [string, string][] = [];
  if (!v10 || r.chance(0.5)) lines.push(`${randomCase(r, 'Host')}: ${r.pick(['localhost', '127.0.0.1:8080', 'example.com', 'a-b.c_d~e'])}`);
  lines.push(`x-seq: ${seq}`);
  if (r.chance(0.2)) lines.push(`x-delay: ${r.int(0, 25)}`);
  const stream = !v10 && method !== 'HEAD' && r.chance(0.15);
  if (stream) {
    lines.push('x-stream: 1');
    shape.push('stream');
  }

  // The body: none, Content-Length, or chunked (1.1 only). HEAD carries one now and then.
  let body: Buffer | null = null;
  let framing: Buffer = Buffer.alloc(0);
  const wantsBody = method === 'POST' || method === 'PUT' || (r.chance(0.05) && method !== 'GET');
  if (wantsBody) {
    body = r.bytes(bodySize(r));
    if (!v10 && r.chance(0.45)) {
      const c = chunked(r, body);
      lines.push(`${randomCase(r, 'Transfer-Encoding')}: ${randomCase(r, 'chunked')}`);
      framing = c.bytes;
      shape.push(`${c.shape}/${body.length}B`);
    } else {
      lines.push(`${randomCase(r, 'Content-Length')}: ${body.length}`);
      framing = body;
      shape.push(`cl/${body.length}B`);
    }
    if (!v10 && body.length > 0 && r.chance(0.1)) {
      lines.push('Expect: 100-continue');
      shape.push('expect');
    }
  } else if (r.chance(0.05)) {
    lines.push('Content-Length: 0');
  }

  // Test fields: a few, many, or one big one that takes the head near the limit.
  const p = r.next();
  const nFields = p < 0.8 ? r.int(0, 8) : p < 0.93 ? r.int(50, 900) : r.int(0, 4);
  for (let i = 0; i < nFields; i++) {
    const name = `x-f${i}-${r.text(r.int(0, 6), TCHAR).toLowerCase()}`;
    const value = fieldValue(r, nFields > 50 ? r.int(0, 6) : r.int(0, 60));
    fields.push([name, value]);
    lines.push(`${randomCase(r, name)}:${r.pick(['', ' ', '  ', '\t'])}${value}${r.pick(['', '', ' ', '\t'])}`);
  }
  if (nFields > 50) shape.push(`fields${nFields}`);

  let closes = false;
  if (v10) {
    if (last && r.chance(0.5)) closes = true;
    else lines.push(`Connection: ${randomCase(r, 'keep-alive')}`);
  } else if (last && r.chance(0.3)) {
    lines.push(`Connection: ${randomCase(r, 'close')}`);
    closes = true;
  } else if (r.chance(0.1)) {
    lines.push('Connection: keep-alive');
  }
  if (closes) shape.push('closes');

  let target = '/' + r.text(r.int(0, 40), PATH).replace(/%/g, '%25');
  if (r.chance(0.03)) target = 'http://example.com' + target;
  let requestLine = `${method} ${target} HTTP/1.${v10 ? 0 : 1}\r\n`;
  if (r.chance(0.08)) {
    requestLine = '\r\n'.repeat(r.int(1, 2)) + requestLine;
    shape.push('leading-crlf');
  }

  let head = requestLine + lines.map((l) => l + '\r\n').join('');
  if (p >= 0.93) {
    // Pad with one field to a raw head size (request line to the final CRLF) in the last 2 KiB under the limit.
    const target = r.int(HEAD_LIMIT - 2048, HEAD_LIMIT);
    const fixed = Buffer.byteLength(head.replace(/^(\r\n)+/, ''), 'latin1') + 'x-fpad: \r\n\r\n'.length;
    const value = fieldValue(r, Math.max(1, target - fixed));
    const padded = value + 'z'.repeat(Math.max(0, target - fixed - value.length));
    fields.push(['x-fpad', padded]);
    head += `x-fpad: ${padded}\r\n`;
    shape.push(`head${target}`);
  }
  head += '\r\n';
  const bytes = Buffer.concat([Buffer.from(head, 'latin1'), framing]);
  const echo = echoLine(String(seq), method, v10 ? '1.0' : '1.1', body?.length ?? 0, fnv1a(body ?? Buffer.alloc(0)), fieldsHash(fields));
  return { seq, bytes, method, head: method === 'HEAD', echo, closes, shape: shape.join(' ') };
}

/** A minimal TLS 1.2 ClientHello for 'localhost' (what a client speaking TLS to a plain port sends first). */
export function tlsClientHello(r: Rand): Buffer {
  const sni = Buffer.from('localhost');
  const ext = Buffer.concat([
    Buffer.from([0x00, 0x00, 0x00, sni.length + 5, 0x00, sni.length + 3, 0x00, 0x00, sni.length]),
    sni,
    Buffer.from([0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x01]), // signature_algorithms
  ]);
  const hello = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    r.bytes(32),
    Buffer.from([0x00]), // version, random, empty session id
    Buffer.from([0x00, 0x04, 0xc0, 0x2f, 0x00, 0x9c]),
    Buffer.from([0x01, 0x00]), // 2 suites, null compression
    Buffer.from([ext.length >> 8, ext.length & 0xff]),
    ext,
  ]);
  const hs = Buffer.concat([Buffer.from([0x01, 0x00, hello.length >> 8, hello.length & 0xff]), hello]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, hs.length >> 8, hs.length & 0xff]), hs]);
}

const KINDS: readonly InvalidKind[] = [
  'bad-request-line',
  'bare-lf',
  'bad-chunk',
  'cl-te',
  'head-too-large',
  'uri-too-long',
  'bad-version',
  'control-byte',
  'garbage',
  'tls-client-hello',
];

/** One invalid request of a random kind, with the answer it must get where one answer is right. */
export function invalidRequest(r: Rand): InvalidRequest {
  const kind = r.pick(KINDS);
  const host = 'Host: localhost\r\n';
  const b = (s: string): Buffer => Buffer.from(s, 'latin1');
  switch (kind) {
    case 'bad-request-line': {
      const variants = [
        'GET / HTTP/1.1 ',
        'GET /',
        '/ HTTP/1.1',
        'G(T / HTTP/1.1',
        'GET / HTTP/1.1 extra',
        'GET\t/ HTTP/1.1',
        ' GET / HTTP/1.1',
        'GET / http/1.1',
        'GET / HTTP/1.1x',
      ];
      const v = r.pick(variants);
      // No version at all reads as HTTP/0.9: 505 is as right as 400 there.
      return { kind, bytes: b(`${v}\r\n${host}\r\n`), expect: v === 'GET /' ? [400, 505] : [400], shape: JSON.stringify(v) };
    }
    case 'bare-lf': {
      const variants = [`GET / HTTP/1.1\n${host}\r\n`, `GET / HTTP/1.1\r\nHost: localhost\nx-a: b\r\n\r\n`, `GET / HTTP/1.1\r\n${host}x-a: b\n\r\n\r\n`];
      const i = r.int(0, variants.length - 1);
      return { kind, bytes: b(variants[i]!), expect: [400], shape: `variant ${i}` };
    }
    case 'bad-chunk': {
      const variants = [
        'zz\r\nhello\r\n0\r\n\r\n',
        '5\r\nhelloXX\r\n0\r\n\r\n',
        '-1\r\nx\r\n0\r\n\r\n',
        '10000000000000000\r\nx\r\n0\r\n\r\n',
        '5 x\r\nhello\r\n0\r\n\r\n',
        '5\nhello\r\n0\r\n\r\n',
        '5;="\r\nhello\r\n0\r\n\r\n',
      ];
      const v = r.pick(variants);
      return { kind, bytes: b(`POST /c HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n${v}`), expect: [400], shape: JSON.stringify(v) };
    }
    case 'cl-te':
      return { kind, bytes: b(`POST / HTTP/1.1\r\n${host}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`), expect: [400], shape: '' };
    case 'head-too-large': {
      // Over the limit however it is counted (raw bytes, or node's names + values only).
      const n = r.int(HEAD_LIMIT * 1.25, HEAD_LIMIT * 2);
      const many = r.chance(0.5);
      const fields = many ? Array.from({ length: Math.ceil(n / 40) }, (_, i) => `x-m${i}: ${'m'.repeat(30)}\r\n`).join('') : `x-big: ${'b'.repeat(n)}\r\n`;
      return { kind, bytes: b(`GET / HTTP/1.1\r\n${host}${fields}\r\n`), expect: [431], shape: `${many ? 'many fields' : 'one field'} ~${n}B` };
    }
    case 'uri-too-long': {
      const n = r.int(URL_LIMIT + 1, URL_LIMIT + 4096);
      return { kind, bytes: b(`GET /${'u'.repeat(n - 1)} HTTP/1.1\r\n${host}\r\n`), expect: [414], shape: `${n}B` };
    }
    case 'bad-version': {
      // (HTTP/1.2 and higher 1.x minors are served as 1.1: RFC 9110 §2.5; the differential check covers them.)
      const v = r.pick(['HTTP/2.0', 'HTTP/3.0', 'HTTP/0.9', 'HTTP/9.9']);
      return { kind, bytes: b(`GET / ${v}\r\n${host}\r\n`), expect: [505], shape: v };
    }
    case 'control-byte': {
      const c = String.fromCharCode(r.pick([0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x7f]));
      const where = r.int(0, 2);
      const s =
        where === 0
          ? `GET /a${c}b HTTP/1.1\r\n${host}\r\n`
          : where === 1
            ? `GET / HTTP/1.1\r\n${host}x-a: a${c}b\r\n\r\n`
            : `GET / HTTP/1.1\r\n${host}x-${c}a: b\r\n\r\n`;
      return { kind, bytes: b(s), expect: [400], shape: `0x${c.charCodeAt(0).toString(16)} in ${['target', 'value', 'name'][where]}` };
    }
    case 'garbage': {
      const g = r.bytes(r.int(1, 3000));
      return { kind, bytes: g, expect: null, shape: `${g.length}B` };
    }
    case 'tls-client-hello':
      return { kind, bytes: tlsClientHello(r), expect: null, shape: '' };
  }
}

/** A connection: 0–8 valid requests, then sometimes one invalid one, sometimes bytes that must go unanswered. */
export function connectionPlan(r: Rand, seqBase: number): ConnectionPlan {
  const n = r.pick([0, 1, 1, 2, 3, 4, 5, 8]);
  const invalid = r.chance(0.3) || n === 0 ? invalidRequest(r) : null;
  const valid: ValidRequest[] = [];
  for (let i = 0; i < n; i++) {
    const req = validRequest(r, seqBase + i, i === n - 1 && !invalid);
    valid.push(req);
  }
  const closes = valid.length > 0 && valid[valid.length - 1]!.closes;
  // After a request that closes the connection, a valid GET must go unanswered.
  const trailing = (invalid || closes) && r.chance(0.3) ? Buffer.from(`GET /never HTTP/1.1\r\nHost: localhost\r\nx-seq: never\r\n\r\n`, 'latin1') : null;
  const pipelined = r.chance(0.5);
  const abortAfter = r.chance(0.04) ? r.int(0, 400) : null;
  return { valid, invalid, trailing, pipelined, halfClose: pipelined && r.chance(0.15), abortAfter, serverCloses: !!invalid || closes };
}

// ---- sending ---------------------------------------------------------------------

/** Write `bytes` in pieces of random sizes (some 1 byte), yielding to the loop or sleeping a little between some. */
export async function writeSplit(c: FuzzClient, bytes: Buffer, r: Rand): Promise<void> {
  const mode = r.pick(['whole', 'ones', 'small', 'mixed', 'large'] as const);
  // At most ~200 pieces after the first 200: with 32 connections and the server in this process, more
  // (a 16 KiB head byte by byte, a 300 KiB body 64 bytes at a time) outlasts the server's headers timeout.
  const floor = Math.ceil(bytes.length / 200);
  let at = 0;
  let pieces = 0;
  while (at < bytes.length) {
    if (!c.writable) return; // the server answered and closed: stop, as a client would
    let n: number;
    switch (mode) {
      case 'whole':
        n = bytes.length;
        break;
      case 'ones':
        n = pieces < 200 ? 1 : Math.max(floor, r.int(1, 2048));
        break;
      case 'small':
        n = pieces < 200 ? r.int(1, 64) : Math.max(floor, r.int(1, 64));
        break;
      case 'mixed':
        n = r.chance(0.3) && pieces < 200 ? 1 : Math.max(floor, r.int(1, 4096));
        break;
      case 'large':
        n = r.int(1024, 65536);
        break;
    }
    pieces++;
    c.write(bytes.subarray(at, at + n));
    at += n;
    if (at >= bytes.length) break;
    const p = r.next();
    if (p < 0.05) await new Promise((res) => setTimeout(res, r.int(1, 4)));
    else if (p < 0.4) await new Promise((res) => setImmediate(res));
  }
}

// ---- the client and the responses ------------------------------------------------

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Incremental HTTP/1.1 response parser over latin1 text: Content-Length,
 * chunked, bodyless (1xx, 204, 304, answers to HEAD) and close-delimited
 * bodies. `isHead(i)`: whether the i-th final (non-1xx) response answers a HEAD.
 */
export class ResponseParser {
  /** Every response in order, 1xx included. */
  readonly all: ParsedResponse[] = [];
  /** Final responses only. */
  readonly finals: ParsedResponse[] = [];
  error: string | null = null;
  /** Error answers to a HEAD that carried a body anyway. */
  headErrorBodies = 0;
  private data = '';
  private pos = 0;

  constructor(private readonly isHead: (i: number) => boolean) {}

  feed(chunk: string, closed = false): void {
    this.data += chunk;
    while (!this.error && this.pos < this.data.length) {
      if (!this.parseOne(closed)) break;
    }
  }

  /** Bytes received and not part of a complete response. */
  get pending(): number {
    return this.data.length - this.pos;
  }

  get text(): string {
    return this.data;
  }

  private parseOne(closed: boolean): boolean {
    const d = this.data;
    const start = this.pos;
    const end = d.indexOf('\r\n\r\n', start);
    if (end < 0) {
      if (!/^H(T(T(P(\/(1(\.[01]?)?)?)?)?)?)?$/.test(d.slice(start, start + 8)))
        this.error = `not a response at byte ${start}: ${JSON.stringify(d.slice(start, start + 80))}`;
      return false;
    }
    const lines = d.slice(start, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0]!);
    if (!m) {
      this.error = `bad status line at byte ${start}: ${JSON.stringify(lines[0]!.slice(0, 80))}`;
      return false;
    }
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i <= 0) {
        this.error = `bad header line ${JSON.stringify(l.slice(0, 80))}`;
        return false;
      }
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    let at = end + 4;
    let body = '';
    const interim = status >= 100 && status < 200;
    const length = headers['content-length'] === undefined ? -1 : Number(headers['content-length']);
    // A transport's error answer is a fixed response with a body, even to a HEAD; it closes the connection.
    // Where such a body follows (no next status line), read it rather than call the rest unparsable.
    const headErrorBody =
      status >= 400 &&
      length > 0 &&
      headers.connection === 'close' &&
      this.isHead(this.finals.length) &&
      d.length > at &&
      !d.startsWith('HTTP/'.slice(0, d.length - at), at);
    if (headErrorBody) {
      if (d.length < at + length) return false;
      body = d.slice(at, at + length);
      at += length;
      this.headErrorBodies++;
    } else if (interim || status === 204 || status === 304 || this.isHead(this.finals.length)) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      for (;;) {
        const le = d.indexOf('\r\n', at);
        if (le < 0) return false;
        const size = parseInt(d.slice(at, le), 16);
        if (!Number.isFinite(size)) {
          this.error = `bad chunk size ${JSON.stringify(d.slice(at, le))}`;
          return false;
        }
        if (size === 0) {
          const te = d.indexOf('\r\n\r\n', le);
          if (te < 0 && d.slice(le, le + 4) !== '\r\n\r\n') return false;
          at = (d.startsWith('\r\n\r\n', le) ? le : te) + 4;
          break;
        }
        if (d.length < le + 2 + size + 2) return false;
        body += d.slice(le + 2, le + 2 + size);
        at = le + 2 + size + 2;
      }
    } else if (length >= 0) {
      if (d.length < at + length) return false;
      body = d.slice(at, at + length);
      at += length;
    } else {
      if (!closed) return false; // close-delimited
      body = d.slice(at);
      at = d.length;
    }
    const r = { status, headers, body };
    this.all.push(r);
    if (!interim) this.finals.push(r);
    this.pos = at;
    return true;
  }
}

/** A raw client for the fuzzer: collects and parses responses, knows whether the server closed or reset. */
export class FuzzClient {
  readonly socket: net.Socket;
  readonly parser: ResponseParser;
  /** The server sent FIN. */
  serverEnded = false;
  closed = false;
  /** Error code seen (ECONNRESET: the server reset). */
  errorCode: string | null = null;
  bytesSent = 0;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket, isHead: (i: number) => boolean) {
    this.socket = socket;
    this.parser = new ResponseParser(isHead);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.parser.feed(d);
      this.wake();
    });
    socket.on('end', () => {
      this.serverEnded = true;
      this.parser.feed('', true);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.parser.feed('', true);
      this.wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.errorCode ??= e.code ?? e.message;
      this.wake();
    });
  }

  static connect(port: number, isHead: (i: number) => boolean = () => false): Promise<FuzzClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.setNoDelay(true);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new FuzzClient(s, isHead));
      });
      s.once('error', reject);
    });
  }

  get writable(): boolean {
    return !this.serverEnded && !this.closed && this.socket.writable;
  }

  write(bytes: Buffer): void {
    if (!this.writable) return;
    this.bytesSent += bytes.length;
    this.socket.write(bytes);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until `cond()` holds or `deadline` (epoch ms) passes; returns whether it held. */
  async until(cond: () => boolean, deadline: number): Promise<boolean> {
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    return true;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ---- process resources -----------------------------------------------------------

/** Open fds of this process (the server runs here), or -1 without /proc. */
export function countFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

export const rssMiB = (): number => Math.round(process.memoryUsage.rss() / 1048576);

/** Printable, shortened bytes for failure messages. */
export function show(bytes: Buffer | string, max = 300): string {
  const s = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
  const cut = s.length > max ? s.slice(0, max) : s;
  return JSON.stringify(cut) + (s.length > max ? `…(+${s.length - max} bytes)` : '');
}
