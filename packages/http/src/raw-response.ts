/**
 * reply.raw: a view of the transport's response shaped like node's
 * http.ServerResponse, for plugins written against node (helmet's setHeader,
 * send's pipe into the response, hijacked replies). Built on first access
 * only: a route that never reads reply.raw pays nothing for it.
 *
 * It shares the reply's state instead of copying it: setHeader() and
 * reply.header() write the same header map, statusCode is reply.statusCode,
 * and whichever writes first (reply.send, or write()/end() here) owns the
 * response. Differences from node: the reason phrase is always the standard
 * one (statusMessage is kept, not sent), and Date is always sent.
 */
import { STATUS_CODES } from 'node:http';
import { Stream } from 'node:stream';
import type { OutgoingHeaders } from '@ringside/core';
import { HTTP_HIGH_WATER_MARK, isStatusCode } from '@ringside/core';
import { kHeaders, kSent, kTransportResponse, kWritten } from './symbols.js';
import type { HeaderInput, Reply } from './reply.js';
import type { RawIncomingMessage, RawSocket } from './raw-request.js';

type Callback = (err?: Error | null) => void;

function codedError(code: string, message: string, Type: new (m: string) => Error = Error): Error {
  return Object.assign(new Type(message), { code });
}

function toChunk(chunk: unknown, encoding: BufferEncoding | undefined): Buffer | string {
  if (typeof chunk === 'string') return encoding === undefined || encoding === 'utf8' || encoding === 'utf-8' ? chunk : Buffer.from(chunk, encoding);
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw codedError(
    'ERR_INVALID_ARG_TYPE',
    `The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${typeof chunk}`,
    TypeError,
  );
}

export class RawServerResponse extends Stream {
  readonly sendDate = true;
  #statusMessage: string | undefined = undefined;
  /** writeHead() was called here: the head waits for the first write or end. */
  #headPending = false;
  /** The head went to the transport from here (streaming). */
  #streaming = false;
  #ended = false;
  #finished = false;
  #closed = false;
  #waitingDrain = false;
  #trailers: OutgoingHeaders | undefined = undefined;

  constructor(private readonly reply: Reply) {
    super();
    reply[kTransportResponse].onClose((aborted) => this.#transportClosed(aborted));
  }

  get req(): RawIncomingMessage {
    return this.reply.request.raw;
  }

  get socket(): RawSocket {
    return this.reply.request.raw.socket;
  }

  get connection(): RawSocket {
    return this.socket;
  }

  get statusCode(): number {
    return this.reply.statusCode;
  }

  set statusCode(value: number) {
    this.reply.statusCode = value;
  }

  get statusMessage(): string {
    return this.#statusMessage ?? STATUS_CODES[this.reply.statusCode] ?? 'Unknown';
  }

  set statusMessage(value: string) {
    this.#statusMessage = value;
  }

  /** True once the head is decided: writeHead() here, or the app or the transport answered. */
  get headersSent(): boolean {
    return this.#headPending || this.reply[kWritten];
  }

  get writable(): boolean {
    return !this.writableEnded && !this.destroyed;
  }

  get writableEnded(): boolean {
    return this.#ended || this.reply[kTransportResponse].finished;
  }

  /** Deprecated alias of writableEnded, still read by plugins. */
  get finished(): boolean {
    return this.writableEnded;
  }

  get writableFinished(): boolean {
    return this.#finished;
  }

  get writableNeedDrain(): boolean {
    return this.#waitingDrain;
  }

  get writableHighWaterMark(): number {
    return HTTP_HIGH_WATER_MARK;
  }

  get writableLength(): number {
    return 0;
  }

  get writableCorked(): number {
    return 0;
  }

  get destroyed(): boolean {
    return this.reply[kTransportResponse].aborted;
  }

  get chunkedEncoding(): boolean {
    return this.#streaming && this.reply[kHeaders]['content-length'] === undefined;
  }

  // ---- headers: the reply's map --------------------------------------------------

  setHeader(name: string, value: HeaderInput): this {
    if (this.headersSent) throw codedError('ERR_HTTP_HEADERS_SENT', 'Cannot set headers after they are sent to the client');
    if (value === undefined) throw codedError('ERR_HTTP_INVALID_HEADER_VALUE', `Invalid value "undefined" for header "${name}"`, TypeError);
    const key = name.toLowerCase();
    // reply.header() replaces a value, except set-cookie's, which it accumulates.
    if (key === 'set-cookie') this.reply.removeHeader(key);
    this.reply.header(key, value);
    return this;
  }

  appendHeader(name: string, value: HeaderInput): this {
    if (this.headersSent) throw codedError('ERR_HTTP_HEADERS_SENT', 'Cannot append headers after they are sent to the client');
    const prev = this.reply.getHeader(name);
    if (prev === undefined) return this.setHeader(name, value);
    const add = Array.isArray(value) ? value.map(String) : [String(value)];
    return this.setHeader(name, (Array.isArray(prev) ? prev : [String(prev)]).concat(add));
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.reply[kHeaders][name.toLowerCase()];
  }

  getHeaders(): Record<string, string | number | string[]> {
    return Object.assign(Object.create(null) as Record<string, string | number | string[]>, this.reply[kHeaders]);
  }

  getHeaderNames(): string[] {
    return Object.keys(this.reply[kHeaders]);
  }

  hasHeader(name: string): boolean {
    return this.reply[kHeaders][name.toLowerCase()] !== undefined;
  }

  removeHeader(name: string): void {
    if (this.headersSent) throw codedError('ERR_HTTP_HEADERS_SENT', 'Cannot remove headers after they are sent to the client');
    this.reply.removeHeader(name);
  }

  /** Trailers sent after the last chunk of a chunked response (dropped otherwise, as in node). */
  addTrailers(headers: OutgoingHeaders | readonly [string, string][]): void {
    const entries = Array.isArray(headers) ? (headers as readonly [string, string][]) : Object.entries(headers);
    const t = (this.#trailers ??= {}) as Record<string, string | number | readonly string[]>;
    for (const [k, v] of entries) t[k] = v;
  }

  // ---- writing ---------------------------------------------------------------------

  /** writeHead(status, [statusMessage], [headers]): headers merge over those set with setHeader(). */
  writeHead(status: number, message?: string | OutgoingHeaders | readonly string[], headers?: OutgoingHeaders | readonly string[]): this {
    if (this.headersSent) throw codedError('ERR_HTTP_HEADERS_SENT', 'Cannot write headers after they are sent to the client');
    if (!isStatusCode(status)) throw codedError('ERR_HTTP_INVALID_STATUS_CODE', `Invalid status code: ${String(status)}`, RangeError);
    if (typeof message === 'string') this.#statusMessage = message;
    else headers = message;
    if (Array.isArray(headers)) {
      // Flat [name, value, name, value…] or [[name, value], …].
      const list = headers as readonly (string | readonly string[])[];
      if (list.length > 0 && Array.isArray(list[0])) for (const [k, v] of list as readonly (readonly string[])[]) this.setHeader(k!, v!);
      else for (let i = 0; i + 1 < list.length; i += 2) this.setHeader(list[i] as string, list[i + 1] as string);
    } else if (headers !== undefined) {
      for (const k of Object.keys(headers)) this.setHeader(k, (headers as OutgoingHeaders)[k]!);
    }
    this.reply.statusCode = status;
    this.#headPending = true;
    this.reply[kWritten] = true;
    return this;
  }

  /** Sends the head now (chunked unless a Content-Length was set). */
  flushHeaders(): void {
    this.#startStreaming();
  }

  write(chunk: unknown, encoding?: BufferEncoding | Callback, cb?: Callback): boolean {
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    const data = toChunk(chunk, encoding);
    if (this.writableEnded || !this.#startStreaming()) {
      this.#writeAfterEnd(cb);
      return false;
    }
    const ok = this.reply[kTransportResponse].write(data);
    if (!ok) this.#waitDrain();
    if (cb !== undefined) {
      if (ok) process.nextTick(cb, null);
      else this.once('drain', () => cb!(null));
    }
    return ok;
  }

  end(chunk?: unknown, encoding?: BufferEncoding | Callback, cb?: Callback): this {
    if (typeof chunk === 'function') {
      cb = chunk as Callback;
      chunk = undefined;
    }
    if (typeof encoding === 'function') {
      cb = encoding;
      encoding = undefined;
    }
    if (this.writableEnded) {
      if (cb !== undefined) process.nextTick(cb, null);
      return this;
    }
    const data = chunk === undefined || chunk === null ? null : toChunk(chunk, encoding);
    const reply = this.reply;
    const res = reply[kTransportResponse];
    if (cb !== undefined) this.once('finish', () => cb!(null));
    if (!this.#streaming) {
      if (reply[kWritten] && !this.#headPending) return this; // the app (or the transport) has the response
      // Nothing written yet: the whole response in one write, with its length.
      this.#ended = true;
      reply[kWritten] = true;
      reply[kSent] = true;
      res.send(reply.statusCode, reply[kHeaders] as OutgoingHeaders, data);
      return this;
    }
    this.#ended = true;
    reply[kSent] = true;
    if (data !== null) res.write(data);
    res.end(this.#trailers);
    return this;
  }

  destroy(err?: Error): this {
    if (!this.destroyed) this.reply[kTransportResponse].destroy();
    if (err && this.listenerCount('error') > 0) process.nextTick(() => this.emit('error', err));
    return this;
  }

  // Writes go to the transport at once; corking has nothing to hold.
  cork(): void {}
  uncork(): void {}

  /** The transport's timeouts apply (requestTimeout, sendTimeout); accepted for compatibility. */
  setTimeout(_ms?: number, _cb?: () => void): this {
    return this;
  }

  /** Whether writes from here may go to the transport: the head is out from here (sent now if needed). */
  #startStreaming(): boolean {
    if (this.#streaming) return true;
    const reply = this.reply;
    if (reply[kWritten] && !this.#headPending) return false; // the app (or the transport) has the response
    reply[kWritten] = true;
    this.#streaming = true;
    reply[kTransportResponse].writeHead(reply.statusCode, reply[kHeaders] as OutgoingHeaders);
    return true;
  }

  #waitDrain(): void {
    if (this.#waitingDrain) return;
    this.#waitingDrain = true;
    this.reply[kTransportResponse].onDrain(() => {
      this.#waitingDrain = false;
      this.emit('drain');
    });
  }

  #writeAfterEnd(cb: Callback | undefined): void {
    const err = codedError('ERR_STREAM_WRITE_AFTER_END', 'write after end');
    process.nextTick(() => {
      cb?.(err);
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  /** The response was sent ('finish', then 'close') or the connection went first ('close' only). */
  #transportClosed(aborted: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!aborted) this.#finished = true;
    // Always after the call that ended the response, as in node (inject() finishes synchronously).
    process.nextTick(() => {
      if (!aborted) this.emit('finish');
      this.emit('close');
    });
  }
}
