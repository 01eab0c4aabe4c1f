/**
 * Interned strings for the parts of a request head that repeat: methods and
 * common header names are matched byte-wise in the batch memory and returned
 * as constant strings, skipping a slice, an allocation and a lower-casing.
 */

const METHODS = ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS'];
const COMMON_HEADERS = [
  'host',
  'user-agent',
  'accept',
  'accept-encoding',
  'accept-language',
  'connection',
  'content-type',
  'content-length',
  'cookie',
  'referer',
  'origin',
  'authorization',
  'cache-control',
  'pragma',
  'upgrade-insecure-requests',
  'if-none-match',
  'if-modified-since',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'transfer-encoding',
  'expect',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'dnt',
  'te',
  'range',
  'traceparent',
];

// Candidates by length, then first byte (lower-cased).
function table(words: string[]): (string[] | undefined)[] {
  const t: (string[] | undefined)[] = [];
  for (const w of words) (t[w.length] ??= []).push(w);
  return t;
}
const methodsByLength = table(METHODS);
const headersByLength = table(COMMON_HEADERS);

/** Method at data[off, off+len): an interned constant when common (methods are case-sensitive). */
export function methodAt(data: Buffer, off: number, len: number): string {
  // GET first, without the table (its compares go through the strings' characters).
  if (len === 3 && data[off] === 0x47 && data[off + 1] === 0x45 && data[off + 2] === 0x54) return 'GET';
  const candidates = methodsByLength[len];
  if (candidates !== undefined) {
    outer: for (const m of candidates) {
      for (let i = 0; i < len; i++) if (data[off + i] !== m.charCodeAt(i)) continue outer;
      return m;
    }
  }
  return data.latin1Slice(off, off + len);
}

/** Lower-case header name at data[off, off+len). */
export function headerNameAt(data: Buffer, off: number, len: number): string {
  const candidates = headersByLength[len];
  if (candidates !== undefined) {
    outer: for (const h of candidates) {
      for (let i = 0; i < len; i++) {
        // Header names are tokens: OR 0x20 lower-cases letters and leaves '-' and digits as they are.
        if ((data[off + i]! | 0x20) !== h.charCodeAt(i)) continue outer;
      }
      return h;
    }
  }
  return data.latin1Slice(off, off + len).toLowerCase();
}

/** True when data[off, off+len) holds exactly the one-byte string `s`. */
export function sameBytes(data: Buffer, off: number, len: number, s: string): boolean {
  if (s.length !== len) return false;
  // Last byte first: URLs that differ mostly differ at the end (an id, a query).
  if (len > 0 && data[off + len - 1] !== s.charCodeAt(len - 1)) return false;
  for (let i = 0; i < len; i++) if (data[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

/**
 * The string at data[off, off+len), reusing `previous` when the bytes are the
 * same: on a keep-alive connection the URL and most header values repeat, and
 * comparing a few bytes in JS is cheaper than a slice through C++.
 */
export function latin1At(data: Buffer, off: number, len: number, previous: string | undefined): string {
  if (previous !== undefined && len <= 256 && sameBytes(data, off, len, previous)) return previous;
  return data.latin1Slice(off, off + len);
}

/** UTF-8 byte length of a string, without a C++ call for short ASCII ones. */
export function byteLengthOf(s: string): number {
  const n = s.length;
  if (n > 128) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return n;
}
