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
  return len <= SHORT_STRING ? shortLatin1(data, off, len) : data.latin1Slice(off, off + len);
}

/** Strings up to this many bytes are built by shortLatin1(). */
export const SHORT_STRING = 14;
const char = String.fromCharCode as (...codes: (number | undefined)[]) => string;

/**
 * The one-byte string at d[o, o+n), n <= SHORT_STRING: one String.fromCharCode
 * with the bytes as arguments, a builtin. latin1Slice is a call into C++ whose
 * entry costs more than building a short string (a URL such as /user/42).
 */
export function shortLatin1(d: Buffer, o: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return char(d[o]);
    case 2:
      return char(d[o], d[o + 1]);
    case 3:
      return char(d[o], d[o + 1], d[o + 2]);
    case 4:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3]);
    case 5:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4]);
    case 6:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5]);
    case 7:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6]);
    case 8:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7]);
    case 9:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7], d[o + 8]);
    case 10:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7], d[o + 8], d[o + 9]);
    case 11:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7], d[o + 8], d[o + 9], d[o + 10]);
    case 12:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7], d[o + 8], d[o + 9], d[o + 10], d[o + 11]);
    case 13:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7], d[o + 8], d[o + 9], d[o + 10], d[o + 11], d[o + 12]);
    case 14:
      return char(d[o], d[o + 1], d[o + 2], d[o + 3], d[o + 4], d[o + 5], d[o + 6], d[o + 7], d[o + 8], d[o + 9], d[o + 10], d[o + 11], d[o + 12], d[o + 13]);
    default:
      return d.latin1Slice(o, o + n);
  }
}

/** UTF-8 byte length of a string, without a C++ call for short ASCII ones. */
export function byteLengthOf(s: string): number {
  const n = s.length;
  if (n > 128) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return n;
}
