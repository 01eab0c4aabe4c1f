/**
 * Response bytes for the native transport. A response head (and a small
 * body) is assembled as bytes in one scratch buffer, then leaves in one copy
 * into the output area: no string concatenation, no flattening, no C++ call
 * for short ASCII bodies. The first part of the head (status line, Date, the
 * app's headers) is kept as bytes and reused while the next response has the
 * same status and header values: a route answers with the same headers and a
 * different body. A flat object the app sends as JSON is written there too,
 * byte for byte what JSON.stringify makes, without building that string.
 */
import { STATUS_CODES } from 'node:http';
import type { OutgoingHeaders } from '../../http-types.js';
import { checkStatus, scanHeaders, type HeaderScan } from '../../http-framing.js';
import type { FlatJsonFields } from '../../flat-json.js';

const statusLines: string[] = [];
export function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    checkStatus(status);
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    statusLines[status] = line;
  }
  return line;
}

// The Date header, rendered at most once a second: a timer (unref'd, so it
// never keeps the process alive) marks it stale; the next response renders it.
let dateLine = '';
let dateTimer: NodeJS.Timeout | undefined;
export function dateHeader(): string {
  if (dateLine === '') {
    dateLine = `Date: ${new Date().toUTCString()}\r\n`;
    if (dateTimer === undefined) {
      dateTimer = setInterval(() => {
        dateLine = '';
      }, 1000);
      dateTimer.unref();
    }
  }
  return dateLine;
}

/** The scratch a response is assembled in; a larger head grows it for that response only. */
const SCRATCH_BYTES = 16384;
/** Bodies up to this many characters are copied by a JS loop, longer ones by one utf8Write (a C++ call). */
export const SHORT_BODY = 256;
/** Views of the scratch are kept per length up to here (a new one per response above). */
const VIEW_CACHE = 1024;
/** Room kept after the head part for the transport's framing lines (Content-Length, Connection…). */
const TAIL_BYTES = 128;
const CONTENT_LENGTH = 'Content-Length: ';
const CRLF = '\r\n';

/**
 * The scratch holds the previous response until the next one overwrites it:
 * [0, prefixLength) its head part, then up to tailEnd its framing lines, then
 * the length's digits, then its body from bodyAt. A response with the same
 * head part starts after it without rewriting it, likewise for the same
 * framing lines; one whose framing ends where the previous body began, with
 * the same body string, finds that body already in place.
 */
class ResponseBytes {
  private buf = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  /** buf.length, kept as a number: a typed array's length getter can be a builtin call in optimised code. */
  private size = SCRATCH_BYTES;
  private at = 0;
  /** views[n]: the first n bytes of buf, what take() hands out. */
  private views: Uint8Array[] = [];

  // The head part at the start of buf (-1: none), and what it was rendered from.
  private prefixLength = -1;
  private prefixStatus = 0;
  private prefixDate = '';
  private readonly prefixKeys: string[] = [];
  private readonly prefixValues: (string | number)[] = [];
  private prefixScan: HeaderScan | null = null;

  // The framing lines after the head part (Connection, Transfer-Encoding, `Content-Length: `), ending at tailEnd (-1: none).
  private tailEnd = -1;
  private tailConnection = '';
  private tailLength = false;
  private tailChunked = false;

  // The last string body written, where and its bytes (null: none intact), and whether this response wrote one.
  private lastBody: string | null = null;
  private bodyAt = 0;
  private bodyBytes = 0;
  private wroteBody = false;

  /**
   * Start a response: its status line, Date (unless the app set one) and the
   * app's headers, checked (a bad status or header throws before anything is
   * written). Returns what the app's headers say about framing.
   */
  head(status: number, headers: OutgoingHeaders): HeaderScan {
    this.wroteBody = false;
    if (this.size !== SCRATCH_BYTES) {
      this.at = 0;
      this.resize(SCRATCH_BYTES);
    }
    const n = this.prefixLength;
    if (n >= 0 && status === this.prefixStatus && this.sameHeaders(headers)) {
      const scan = this.prefixScan!;
      if (scan.date || this.prefixDate === dateHeader()) {
        this.at = n;
        return scan;
      }
    }
    const scan = scanHeaders(headers, true, null);
    const date = scan.date ? '' : dateHeader();
    const text = statusLine(status) + date + scan.text;
    // Written from 0: what the scratch held is gone.
    this.forget();
    this.at = 0;
    this.room(text.length * 3 + TAIL_BYTES);
    this.at = this.buf.utf8Write(text, 0);
    if (this.size === SCRATCH_BYTES) this.remember(status, headers, date, scan);
    return scan;
  }

  /**
   * The transport's framing lines after head() and the blank line: the
   * Connection line (may be ''), `Transfer-Encoding: chunked` when
   * `chunked`, `Content-Length` unless `contentLength` is -1. The lines up to
   * the length's digits are kept when the next response needs the same ones.
   */
  framing(connection: string, chunked: boolean, contentLength: number): void {
    const hasLength = contentLength >= 0;
    if (this.tailEnd >= 0 && connection === this.tailConnection && hasLength === this.tailLength && chunked === this.tailChunked) {
      this.at = this.tailEnd;
    } else {
      // Kept only right after a kept head part (tailEnd is -1 whenever the head part was not).
      const keep = this.at === this.prefixLength;
      this.ascii(connection);
      if (chunked) this.ascii('Transfer-Encoding: chunked\r\n');
      if (hasLength) this.ascii(CONTENT_LENGTH);
      if (keep) {
        this.tailEnd = this.at;
        this.tailConnection = connection;
        this.tailLength = hasLength;
        this.tailChunked = chunked;
      }
    }
    if (hasLength) this.digits(contentLength);
    this.ascii(CRLF);
  }

  /** `<n>\r\n` (within the TAIL_BYTES head() keeps free). */
  private digits(n: number): void {
    if (n > 0x7fffffff) {
      this.ascii(String(n) + CRLF);
      return;
    }
    const buf = this.buf;
    let at = this.at;
    const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : String(n).length;
    let m = n | 0;
    for (let i = at + digits - 1; i >= at; i--) {
      const q = (m / 10) | 0;
      buf[i] = 48 + m - q * 10;
      m = q;
    }
    at += digits;
    buf[at] = 13;
    buf[at + 1] = 10;
    this.at = at + 2;
  }

  private ascii(s: string): void {
    const n = s.length;
    this.room(n);
    const buf = this.buf;
    const at = this.at;
    for (let i = 0; i < n; i++) buf[at + i] = s.charCodeAt(i);
    this.at = at + n;
  }

  /** Append the body (`length` bytes) when it fits; false when it does not (the caller sends it on its own). */
  body(body: string | Uint8Array, length: number): boolean {
    const at = this.at;
    const buf = this.buf;
    if (at + length > this.size) return false;
    this.wroteBody = true;
    if (typeof body !== 'string') {
      buf.set(body, at);
      this.lastBody = null;
    } else {
      if (body !== this.lastBody || at !== this.bodyAt) {
        if (length === body.length && length <= SHORT_BODY) {
          // ASCII (one byte per character): a loop beats the call into C++.
          for (let i = 0; i < length; i++) buf[at + i] = body.charCodeAt(i);
        } else buf.utf8Write(body, at);
        this.lastBody = body;
        this.bodyAt = at;
        this.bodyBytes = length;
      }
    }
    this.at = at + length;
    return true;
  }

  /**
   * Append a string body of at most SHORT_BODY characters that was framed as
   * ASCII (one byte per character), checking each character as it is copied:
   * one pass over the body instead of a length scan and then a copy. False
   * when it does not fit or a character is not ASCII: the caller frames it
   * again with its UTF-8 length.
   */
  asciiBody(body: string): boolean {
    const at = this.at;
    const buf = this.buf;
    const n = body.length;
    if (at + n > this.size) return false;
    // The same body in place is ASCII only if it took one byte per character.
    if (body !== this.lastBody || at !== this.bodyAt || n !== this.bodyBytes) {
      for (let i = 0; i < n; i++) {
        const c = body.charCodeAt(i);
        if (c > 0x7f) {
          this.lastBody = null;
          return false;
        }
        buf[at + i] = c;
      }
      this.lastBody = body;
      this.bodyAt = at;
      this.bodyBytes = n;
    }
    this.wroteBody = true;
    this.at = at + n;
    return true;
  }

  /**
   * Append the flat JSON of the fields measured (`length` bytes), checking
   * each character of keys and strings as it is copied (one pass). False
   * when it does not fit or a character needs escaping or is not ASCII: the
   * caller frames the response again for fields.text().
   */
  flatJson(fields: FlatJsonFields, length: number): boolean {
    let at = this.at;
    const buf = this.buf;
    if (at + length > this.size) return false;
    this.lastBody = null;
    const n = fields.count;
    const keys = fields.keys;
    const values = fields.values;
    const quoted = fields.quoted;
    buf[at++] = 0x7b; // {
    for (let f = 0; f < n; f++) {
      if (f > 0) buf[at++] = 0x2c; // ,
      at = quotedAscii(buf, at, keys[f]!);
      if (at < 0) return false;
      buf[at++] = 0x3a; // :
      const value = values[f]!;
      if (quoted[f]) {
        at = quotedAscii(buf, at, value);
        if (at < 0) return false;
      } else for (let i = 0; i < value.length; i++) buf[at++] = value.charCodeAt(i);
    }
    buf[at++] = 0x7d; // }
    this.wroteBody = true;
    this.at = at;
    return true;
  }

  /** How many bytes take() hands out. */
  get length(): number {
    return this.at;
  }

  /** The bytes assembled since head(): valid until the next head() (copy them to keep them). */
  take(): Uint8Array {
    const n = this.at;
    // Framing lines written over the last body's start: it is no longer intact.
    if (!this.wroteBody && n > this.bodyAt) this.lastBody = null;
    if (n > VIEW_CACHE) return new Uint8Array(this.buf.buffer, this.buf.byteOffset, n);
    return (this.views[n] ??= new Uint8Array(this.buf.buffer, this.buf.byteOffset, n));
  }

  private room(n: number): void {
    const need = this.at + n;
    if (need > this.size) this.resize(Math.max(need, 2 * this.size));
  }

  /** A new buffer keeps the bytes of this response so far, and nothing of earlier ones. */
  private resize(size: number): void {
    const buf = Buffer.allocUnsafeSlow(size);
    this.buf.copy(buf, 0, 0, this.at);
    this.buf = buf;
    this.size = size;
    this.views = [];
    this.forget();
  }

  private forget(): void {
    this.prefixLength = -1;
    this.tailEnd = -1;
    this.lastBody = null;
  }

  private sameHeaders(headers: OutgoingHeaders): boolean {
    const keys = this.prefixKeys;
    const values = this.prefixValues;
    let i = 0;
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      if (i >= keys.length || keys[i] !== k || values[i] !== v) return false;
      i++;
    }
    return i === keys.length;
  }

  /** Keep the head part just written for the next response (not when a header has list values). */
  private remember(status: number, headers: OutgoingHeaders, date: string, scan: HeaderScan): void {
    const keys = this.prefixKeys;
    const values = this.prefixValues;
    keys.length = 0;
    values.length = 0;
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      if (typeof v === 'object') return;
      keys.push(k);
      values.push(v);
    }
    this.prefixLength = this.at;
    this.prefixStatus = status;
    this.prefixDate = date;
    this.prefixScan = scan;
  }
}

/**
 * Write `"s"` at `at` when every character of s is printable ASCII that JSON
 * does not escape; the offset after it, or -1 at the first one that is not.
 */
function quotedAscii(buf: Buffer, at: number, s: string): number {
  buf[at++] = 0x22;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    buf[at++] = c;
  }
  buf[at++] = 0x22;
  return at;
}

/** This thread's response scratch (module state is per JS thread). */
export const responseBytes = new ResponseBytes();
