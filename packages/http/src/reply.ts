/**
 * The reply: status, headers and send(). A payload is serialized (string →
 * text/plain, Buffer → application/octet-stream, stream → piped, anything
 * else → JSON), passed through the onSend hooks, and written to the
 * transport in one raw.send() (or writeHead/write/end for streams).
 *
 * Errors from handlers, hooks and parsers end here too: onError hooks, then
 * the nearest error handler, falling back to the parent's and finally to the
 * default JSON answer. Nothing a handler does can crash the server.
 */
import type { OutgoingHeaders, RawResponse } from '@ringside/core';
import { bodyless, flatJson, isHeaderName, isHeaderValue, isStandardStatus } from '@ringside/core';
import { Readable } from 'node:stream';
import { createError, statusText } from './errors.js';
import { PASS_VALUE, REPLACE_VALUE, REQUEST_ONLY, runHooks, STOP_WHEN_SENT } from './hooks.js';
import { BODY_DONE, isJsonMediaType, mediaType } from './content-type-parser.js';
import { RawServerResponse } from './raw-response.js';
import {
  kBodyState,
  kContext,
  kErrorDepth,
  kHeaders,
  kReplySerializer,
  kHijacked,
  kNodeResponse,
  kSent,
  kStart,
  kTrailers,
  kTransportRequest,
  kTransportResponse,
  kWritten,
} from './symbols.js';
import { compileSerializationSchema, errorPayload, getSerializationFunction, responseSerializer, serializeInput } from './serialization.js';
import type { SerializeFunction } from './schemas.js';
import type { Logger } from './logger.js';
import type { Request } from './request.js';
import { callHandler, type RouteContext } from './route.js';
import type { App } from './app.js';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const OCTET = 'application/octet-stream';

export type HeaderInput = string | number | readonly string[];

/** Trailer function: `(reply, payload, done) => done(err, value)`, or async returning the value. */
export type TrailerFn = (reply: Reply, payload: string | Buffer | null, done: (err: Error | null, value?: string) => void) => unknown;

// Fields that may not be sent as trailers (RFC 9110 §6.5.1), as fastify.
const INVALID_TRAILERS = new Set([
  'transfer-encoding',
  'content-length',
  'host',
  'cache-control',
  'max-forwards',
  'te',
  'authorization',
  'set-cookie',
  'content-encoding',
  'content-type',
  'content-range',
  'trailer',
]);

export class Reply {
  declare readonly request: Request;
  /** Status to send; default 200. */
  declare statusCode: number;
  declare [kContext]: RouteContext;
  declare [kHeaders]: Record<string, string | number | string[]>;
  declare [kSent]: boolean;
  declare [kWritten]: boolean;
  declare [kErrorDepth]: number;
  declare [kReplySerializer]: ((payload: any) => string) | null;
  declare [kTransportResponse]: RawResponse;
  declare [kNodeResponse]: RawServerResponse | null;
  declare [kHijacked]: boolean;
  declare [kTrailers]: Record<string, TrailerFn | undefined> | null;

  constructor(raw: RawResponse, request: Request, ctx: RouteContext) {
    this[kTransportResponse] = raw;
    request[kTransportResponse] = raw;
    this[kNodeResponse] = null;
    this[kHijacked] = false;
    this[kTrailers] = null;
    this.request = request;
    this.statusCode = 200;
    this[kContext] = ctx;
    this[kHeaders] = {};
    this[kSent] = false;
    this[kWritten] = false;
    this[kErrorDepth] = 0;
    this[kReplySerializer] = null;
  }

  /** node's http.ServerResponse shape, sharing this reply's headers and status; built on first use. */
  get raw(): RawServerResponse {
    return (this[kNodeResponse] ??= new RawServerResponse(this));
  }

  /** The app answers through reply.raw itself from now on: send() and returned values are ignored. */
  hijack(): this {
    this[kHijacked] = true;
    this[kSent] = true;
    return this;
  }

  /** Send `name` as a trailer of the (then chunked) response, its value computed once the body is written. */
  trailer(name: string, fn: TrailerFn): this {
    const key = name.toLowerCase();
    if (INVALID_TRAILERS.has(key)) throw createError('FST_ERR_BAD_TRAILER_NAME', key);
    if (typeof fn !== 'function') throw createError('FST_ERR_BAD_TRAILER_VALUE', key, typeof fn);
    (this[kTrailers] ??= {})[key] = fn;
    return this;
  }

  hasTrailer(name: string): boolean {
    return this[kTrailers]?.[name.toLowerCase()] !== undefined;
  }

  removeTrailer(name: string): this {
    if (this[kTrailers] !== null) this[kTrailers][name.toLowerCase()] = undefined;
    return this;
  }

  /** True once send() was called (or a hook or the transport answered). */
  get sent(): boolean {
    return this[kSent];
  }

  /** The request's logger. */
  get log(): Logger {
    return this.request.log;
  }

  /** The app scope of the route. */
  get server(): App {
    return this[kContext].scope;
  }

  /** Milliseconds since the request was routed. */
  get elapsedTime(): number {
    return performance.now() - this.request[kStart];
  }

  /** A decorateReply() decorator of this reply (functions bound to it); FST_ERR_DEC_UNDECLARED when there is none. */
  getDecorator<T = unknown>(name: string | symbol): T {
    if (!this.server.hasReplyDecorator(name)) throw createError('FST_ERR_DEC_UNDECLARED', String(name), 'reply');
    const value = (this as unknown as Record<string | symbol, unknown>)[name];
    return (typeof value === 'function' ? value.bind(this) : value) as T;
  }

  /** Answer with the not-found handler of the route's scope, after that handler's own preHandler hooks. */
  callNotFound(): this {
    const nf = this[kContext].root.notFoundFor(this[kContext].scope);
    if (nf.preHandler === null) callHandler(this, nf);
    else runHooks(nf.preHandler, this.request, this, STOP_WHEN_SENT, undefined, (_r, err) => (err !== null ? handleError(this, err) : callHandler(this, nf)));
    return this;
  }

  /** Set the status code (100–599). */
  code(statusCode: number): this {
    if (!isStandardStatus(statusCode)) throw createError('FST_ERR_BAD_STATUS_CODE', statusCode);
    this.statusCode = statusCode;
    return this;
  }

  /** Alias of code(). */
  status(statusCode: number): this {
    return this.code(statusCode);
  }

  /** Set a header (names are case-insensitive; set-cookie accumulates). */
  header(name: string, value: HeaderInput): this {
    const key = name.toLowerCase();
    if (!isHeaderName(key)) throw createError('RS_ERR_REPLY_INVALID_HEADER', JSON.stringify(name), 'header names must be HTTP tokens');
    let v: string | number | string[];
    if (typeof value === 'string') {
      if (!isHeaderValue(value)) throw createError('RS_ERR_REPLY_INVALID_HEADER', name, 'CR, LF and NUL are not allowed in values');
      v = value;
    } else if (typeof value === 'number') {
      v = value;
    } else if (Array.isArray(value)) {
      const list = value.map(String);
      for (const s of list) if (!isHeaderValue(s)) throw createError('RS_ERR_REPLY_INVALID_HEADER', name, 'CR, LF and NUL are not allowed in values');
      v = list;
    } else if (value === undefined) {
      return this;
    } else {
      const s = String(value);
      if (!isHeaderValue(s)) throw createError('RS_ERR_REPLY_INVALID_HEADER', name, 'CR, LF and NUL are not allowed in values');
      v = s;
    }
    const headers = this[kHeaders];
    if (key === 'set-cookie' && headers[key] !== undefined) {
      const prev = headers[key];
      headers[key] = (Array.isArray(prev) ? prev : [String(prev)]).concat(v as string | string[]);
    } else {
      headers[key] = v;
    }
    return this;
  }

  /** Set several headers. */
  headers(values: Record<string, HeaderInput>): this {
    for (const name of Object.keys(values)) this.header(name, values[name]!);
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this[kHeaders][name.toLowerCase()];
  }

  /** A copy of the headers set so far (lower-case names). */
  getHeaders(): Record<string, string | number | string[]> {
    return { ...this[kHeaders] };
  }

  hasHeader(name: string): boolean {
    return this[kHeaders][name.toLowerCase()] !== undefined;
  }

  removeHeader(name: string): this {
    const headers = this[kHeaders];
    const key = name.toLowerCase();
    // reply.raw.setHeader() removes before each set (helmet sets a dozen): skip the delete when there is nothing to remove.
    if (headers[key] !== undefined) delete headers[key];
    return this;
  }

  /** Set the Content-Type. */
  type(contentType: string): this {
    return this.header('content-type', contentType);
  }

  /** Redirect: `redirect(url)`, `redirect(code, url)` or `redirect(url, code)`; default 302. */
  redirect(codeOrUrl: number | string, urlOrCode?: string | number): this {
    let code = 302;
    let url: string;
    if (typeof codeOrUrl === 'number') {
      code = codeOrUrl;
      url = String(urlOrCode);
    } else {
      url = codeOrUrl;
      if (typeof urlOrCode === 'number') code = urlOrCode;
    }
    this.header('location', url).code(code);
    return this.send();
  }

  /** Send the response: string, Buffer, stream, null/undefined (empty), or a value sent as JSON. */
  send(payload?: unknown): this {
    if (this[kSent]) {
      alreadySent(this);
      return this;
    }
    this[kSent] = true;
    serialize(this, payload);
    return this;
  }

  /** Serialize a value as send() would: reply.serializer(), else the scope's, else the response schema for the status. */
  serialize(payload: unknown): string {
    return (this[kReplySerializer] ?? jsonSerializer(this))(payload);
  }

  /** Serialize values this reply sends (other than strings, Buffers and streams) with `fn`, whatever the content type. */
  serializer(fn: (payload: any) => string): this {
    this[kReplySerializer] = fn;
    return this;
  }

  /** The route's compiled response serializer for a status (and content type), or the one compiled for a schema object. */
  getSerializationFunction(schemaOrStatus: object | string | number, contentType?: string): SerializeFunction | undefined {
    return getSerializationFunction(this, schemaOrStatus, contentType);
  }

  /** Compile a schema with the route's serializer compiler (cached per route and schema object). */
  compileSerializationSchema(schema: object, httpStatus: string | null = null, contentType: string | null = null): SerializeFunction {
    return compileSerializationSchema(this, schema, httpStatus, contentType);
  }

  /** Serialize `input` with a schema, or with the route's response schema for a status. */
  serializeInput(input: unknown, schema: object | string | number, httpStatus?: string | number, contentType?: string): string {
    return serializeInput(this, input, schema, httpStatus, contentType);
  }
}

/** Properties every Reply has, which decorateReply may not reuse. */
export const REPLY_FIELDS = new Set(['raw', 'request', 'statusCode']);

export function alreadySent(reply: Reply): void {
  const req = reply.request;
  reply.log.warn({ err: createError('FST_ERR_REP_ALREADY_SENT', req.method, req.url) }, 'Reply was already sent; the new payload is ignored');
}

function isStream(value: object): value is Readable {
  return typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function';
}

/**
 * A plain object or array (most payloads): sent as JSON without the checks
 * for bytes, web Responses and errors (one that is a stream or has its own
 * `getReader` still gets them).
 */
function isPlainData(value: object): boolean {
  // The constructor rather than Object.getPrototypeOf, which optimised code calls into the runtime for.
  const ctor = (value as { constructor?: unknown }).constructor;
  return (ctor === Object || ctor === Array) && !isStream(value) && typeof (value as { getReader?: unknown }).getReader !== 'function';
}

const NOT_SPECIAL = Symbol('not special');

/** The body of an object payload that is not JSON (bytes, web Response, stream); undefined after routing an error; NOT_SPECIAL for JSON. */
function specialBody(reply: Reply, payload: object): string | Buffer | Readable | null | undefined | typeof NOT_SPECIAL {
  if (ArrayBuffer.isView(payload)) {
    // Any typed array or DataView is sent as its bytes, as fastify does.
    const headers = reply[kHeaders];
    if (headers['content-type'] === undefined) headers['content-type'] = OCTET;
    return Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  }
  if (isWebResponse(payload)) return webResponseBody(reply, payload);
  // As fastify: a stream gets no default content type (a 304 from a file stream carries none).
  if (isStream(payload)) return payload;
  if (payload instanceof Error) {
    handleError(reply, payload);
    return undefined;
  }
  if (typeof (payload as { getReader?: unknown }).getReader === 'function') return Readable.fromWeb(payload as import('node:stream/web').ReadableStream);
  return NOT_SPECIAL;
}

/** Turn a payload into a body (string, Buffer, stream or null), then onSend hooks, then write. */
function serialize(reply: Reply, payload: unknown): void {
  const headers = reply[kHeaders];
  let body: string | Buffer | Readable | null;
  switch (typeof payload) {
    case 'string':
      if (headers['content-type'] === undefined) headers['content-type'] = TEXT;
      body = payload;
      break;
    case 'undefined':
      body = null;
      break;
    case 'object': {
      if (payload === null) {
        body = null;
        break;
      }
      if (!isPlainData(payload)) {
        const special = specialBody(reply, payload);
        if (special !== NOT_SPECIAL) {
          if (special === undefined) return;
          body = special;
          break;
        }
      }
      if (reply[kContext].preSerialization !== null) {
        runHooks(reply[kContext].preSerialization!, reply.request, reply, PASS_VALUE | REPLACE_VALUE, payload, afterPreSerialization);
        return;
      }
      if (!jsonContentType(reply, payload) || sentAsJson(reply, payload)) return;
      const json = stringify(reply, payload);
      if (json === undefined) return;
      body = json;
      break;
    }
    case 'number':
    case 'boolean': {
      if (reply[kContext].preSerialization !== null) {
        runHooks(reply[kContext].preSerialization!, reply.request, reply, PASS_VALUE | REPLACE_VALUE, payload, afterPreSerialization);
        return;
      }
      const json = toJson(reply, payload);
      if (json === undefined) return;
      body = json;
      break;
    }
    default:
      handleError(reply, createError('FST_ERR_REP_INVALID_PAYLOAD_TYPE', typeof payload, ''));
      return;
  }
  sendBody(reply, body);
}

/** The body is final: onSend hooks, then the transport. */
function sendBody(reply: Reply, body: string | Buffer | Readable | null): void {
  const onSend = reply[kContext].onSend;
  if (onSend !== null) {
    runHooks(onSend, reply.request, reply, PASS_VALUE | REPLACE_VALUE, body, afterOnSend);
  } else {
    write(reply, body);
  }
}

/** preSerialization hooks ran on a value sent as JSON (they may replace it): serialize it now. */
function afterPreSerialization(reply: Reply, err: unknown, value: unknown): void {
  if (err !== null) {
    handleError(reply, err);
    return;
  }
  if (typeof value === 'string' || Buffer.isBuffer(value) || value === null || value === undefined) {
    if (typeof value === 'string' && reply[kHeaders]['content-type'] === undefined) reply[kHeaders]['content-type'] = TEXT;
    sendBody(reply, (value ?? null) as string | Buffer | null);
    return;
  }
  const json = toJson(reply, value);
  if (json !== undefined) sendBody(reply, json);
}

/** The route's JSON serializer for the reply's status: a response schema's (serialization.ts) when one matches. */
function jsonSerializer(reply: Reply): (payload: unknown) => string {
  const ctx = reply[kContext];
  const table = ctx.sendSerializers;
  if (table === null) return ctx.serializer;
  return responseSerializer(table, reply.statusCode, reply[kHeaders]['content-type']) ?? ctx.serializer;
}

function isWebResponse(value: object): value is Response {
  return Object.prototype.toString.call(value) === '[object Response]';
}

/** A web Response: its status and headers go to the reply, its body stream is the payload; undefined after an error. */
function webResponseBody(reply: Reply, res: Response): Readable | null | undefined {
  if (res.body !== null && res.bodyUsed) {
    handleError(reply, createError('FST_ERR_REP_RESPONSE_BODY_CONSUMED'));
    return undefined;
  }
  try {
    reply.code(res.status);
    for (const [name, value] of res.headers) reply.header(name, value);
  } catch (err) {
    handleError(reply, err);
    return undefined;
  }
  return res.body === null ? null : Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
}

/** JSON for a value, or undefined after routing a failure to the error handler. */
function toJson(reply: Reply, payload: unknown): string | undefined {
  return jsonContentType(reply, payload) ? stringify(reply, payload) : undefined;
}

/** The content type of a value sent as JSON: set when there is none; false after routing a type that is not JSON to the error handler. */
function jsonContentType(reply: Reply, payload: unknown): boolean {
  const headers = reply[kHeaders];
  const type = headers['content-type'];
  const custom = reply[kReplySerializer];
  if (type === undefined) {
    // As fastify: a reply.serializer() decides its own content type.
    if (custom === null) headers['content-type'] = JSON_TYPE;
  } else if (custom === null && type !== JSON_TYPE && !isJsonMediaType(mediaType(String(type)))) {
    handleError(
      reply,
      createError(
        'FST_ERR_REP_INVALID_PAYLOAD_TYPE',
        typeof payload,
        ` with content-type "${String(type)}" (objects are sent as JSON only; serialize it yourself for other types)`,
      ),
    );
    return false;
  }
  return true;
}

/** The value through the reply's serializer, or undefined after routing a failure to the error handler. */
function stringify(reply: Reply, payload: unknown): string | undefined {
  try {
    return (reply[kReplySerializer] ?? jsonSerializer(reply))(payload);
  } catch (err) {
    handleError(reply, err);
    return undefined;
  }
}

/**
 * Send a plain object through the transport's sendJson() (no JSON string is
 * built) where write() would hand JSON.stringify's string to raw.send(): the
 * default serializer and no onSend hooks (they see the string). The object
 * is read first, as JSON.stringify would read it (a getter that throws goes
 * to the error handler); then the reply is read as write() reads it, and
 * what sendJson() does not take (HEAD, trailers, a status without a body,
 * a body left to discard) gets the fields' text through write(). False,
 * with nothing read, for a value that is not a flat object: JSON.stringify
 * serializes it (reading again any field read before it stopped).
 */
function sentAsJson(reply: Reply, payload: object): boolean {
  const raw = reply[kTransportResponse];
  if (raw.sendJson === undefined || reply[kContext].onSend !== null || reply[kReplySerializer] !== null || jsonSerializer(reply) !== JSON.stringify)
    return false;
  if ((payload as { constructor?: unknown }).constructor !== Object) return false;
  let length: number;
  try {
    length = flatJson.measure(payload);
  } catch (err) {
    handleError(reply, err);
    return true;
  }
  if (length < 0) return false;
  const req = reply.request;
  const status = reply.statusCode;
  if (
    reply[kWritten] ||
    raw.finished ||
    reply[kTrailers] !== null ||
    req.method === 'HEAD' ||
    !isStandardStatus(status) ||
    bodyless(status) ||
    (req[kBodyState] !== BODY_DONE && req[kTransportRequest].hasBody)
  ) {
    write(reply, flatJson.text());
    return true;
  }
  reply[kWritten] = true;
  try {
    raw.sendJson(status, reply[kHeaders] as OutgoingHeaders, flatJson, length);
  } catch (err) {
    writeFailed(reply, err);
  }
  return true;
}

function afterOnSend(reply: Reply, err: unknown, value: unknown): void {
  if (err !== null) {
    handleError(reply, err);
    return;
  }
  if (value === undefined || value === null) {
    write(reply, null);
  } else if (typeof value === 'string' || value instanceof Uint8Array) {
    write(reply, Buffer.isBuffer(value) || typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  } else if (typeof value === 'object' && isStream(value)) {
    write(reply, value);
  } else {
    handleError(reply, createError('FST_ERR_REP_INVALID_PAYLOAD_TYPE', typeof value, ' from an onSend hook (return a string, Buffer, stream or null)'));
  }
}

/** Hand the response to the transport. */
function write(reply: Reply, body: string | Buffer | Readable | null): void {
  const raw = reply[kTransportResponse];
  if (reply[kWritten] || raw.finished) {
    // The transport answered by itself (body refused, timeout) or the response went out already.
    if (body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) body.destroy();
    return;
  }
  const req = reply.request;
  if (req[kBodyState] !== BODY_DONE && req[kTransportRequest].hasBody) {
    // The body will not be read (any more): let the transport skip it (or close).
    req[kBodyState] = BODY_DONE;
    req[kTransportRequest].discardBody();
  }
  const status = reply.statusCode;
  if (!isStandardStatus(status)) {
    reply.statusCode = 500;
    handleError(reply, createError('FST_ERR_BAD_STATUS_CODE', status));
    return;
  }
  const headers = reply[kHeaders] as OutgoingHeaders;
  const trailers = reply[kTrailers] !== null && !bodyless(status) && req.method !== 'HEAD' && declareTrailers(reply);
  if (body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) {
    if (bodyless(status) || req.method === 'HEAD') {
      body.destroy();
      body = null;
    } else {
      pipeStream(reply, body, trailers);
      return;
    }
  }
  reply[kWritten] = true;
  // As fastify: an empty answer says so (Content-Length: 0), except where a length is not allowed or HEAD keeps the GET's.
  if (body === null && !trailers && status >= 200 && status !== 204 && status !== 304 && req.method !== 'HEAD') headers['content-length'] = '0';
  if (trailers) {
    try {
      raw.writeHead(status, headers);
      if (body !== null) raw.write(body);
    } catch (err) {
      writeFailed(reply, err);
      return;
    }
    endWithTrailers(reply, body);
    return;
  }
  try {
    if (bodyless(status)) {
      raw.send(status, headers, null);
    } else if (req.method === 'HEAD') {
      // Same headers as GET, Content-Length of the GET body, no body.
      const h = headers as Record<string, string | number | readonly string[]>;
      if (body !== null && h['content-length'] === undefined) h['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      raw.send(status, headers, null);
    } else {
      raw.send(status, headers, body);
    }
  } catch (err) {
    writeFailed(reply, err);
  }
}

function writeFailed(reply: Reply, err: unknown): void {
  const e = createError('RS_ERR_INTERNAL', (err as Error)?.message ?? String(err));
  (e as { cause?: unknown }).cause = err;
  reply.log.error({ err: e }, 'the transport refused the response; closing the connection');
  try {
    reply[kTransportResponse].destroy();
  } catch {
    // already gone
  }
}

/** Pipe a Readable: head on the first chunk (so an early error can still answer 500), back-pressure via onDrain. */
function pipeStream(reply: Reply, stream: Readable, trailers: boolean): void {
  const raw = reply[kTransportResponse];
  let started = false;
  let done = false;
  const start = (): boolean => {
    if (started) return true;
    started = true;
    reply[kWritten] = true;
    try {
      raw.writeHead(reply.statusCode, reply[kHeaders] as OutgoingHeaders);
      return true;
    } catch (err) {
      done = true;
      stream.destroy();
      writeFailed(reply, err);
      return false;
    }
  };
  const resume = (): void => {
    if (!done) stream.resume();
  };
  stream.on('data', (chunk: unknown) => {
    if (done || !start()) return;
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
      done = true;
      stream.destroy();
      reply.log.error({ err: createError('RS_ERR_REPLY_STREAM', `a stream chunk must be a string or Buffer, got ${typeof chunk}`) }, 'response stream failed');
      raw.destroy();
      return;
    }
    if (!raw.write(chunk as Buffer)) {
      stream.pause();
      raw.onDrain(resume);
    }
  });
  stream.once('end', () => {
    if (done || !start()) return;
    done = true;
    if (trailers) endWithTrailers(reply, null);
    else raw.end();
  });
  stream.once('error', (err: Error) => {
    if (done) return;
    done = true;
    const e = createError('RS_ERR_REPLY_STREAM', err?.message ?? String(err));
    (e as { cause?: unknown }).cause = err;
    if (!started) {
      handleError(reply, e);
    } else {
      reply.log.error({ err: e }, 'response stream failed after the head was sent; closing the connection');
      raw.destroy();
    }
  });
  raw.onClose((aborted) => {
    if (aborted && !done) {
      done = true;
      stream.destroy();
    }
  });
}

// ---- trailers --------------------------------------------------------------------

/** Announce the trailers (Trailer header; chunked, so no Content-Length). False when none is left. */
function declareTrailers(reply: Reply): boolean {
  const fns = reply[kTrailers]!;
  const names = Object.keys(fns).filter((k) => fns[k] !== undefined);
  if (names.length === 0) return false;
  const headers = reply[kHeaders];
  delete headers['content-length'];
  headers.trailer = names.join(', ');
  return true;
}

/** Compute every trailer (callbacks and promises alike), then end the response with them. */
function endWithTrailers(reply: Reply, payload: string | Buffer | null): void {
  const raw = reply[kTransportResponse];
  const fns = reply[kTrailers]!;
  const names = Object.keys(fns).filter((k) => fns[k] !== undefined);
  const values: Record<string, string> = {};
  let pending = names.length;
  const finish = (): void => {
    try {
      raw.end(values);
    } catch (err) {
      writeFailed(reply, err);
    }
  };
  if (pending === 0) finish();
  for (const name of names) {
    let called = false;
    // A failing trailer is left out: the body is already with the client.
    const done = (err: unknown, value?: unknown): void => {
      if (called) return;
      called = true;
      if (err) reply.log.debug({ err }, `trailer "${name}" failed`);
      else if (value !== undefined && value !== null) values[name] = String(value);
      if (--pending === 0) finish();
    };
    try {
      const result = fns[name]!(reply, payload, done);
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(
          (v) => done(null, v),
          (e) => done(e ?? new Error('trailer rejected')),
        );
      }
    } catch (err) {
      done(err);
    }
  }
}

// ---- errors ------------------------------------------------------------------

export type ErrorHandler = (this: unknown, error: Error, req: Request, reply: Reply) => unknown;
export interface ErrorHandlerEntry {
  readonly fn: ErrorHandler;
  readonly scope: unknown;
}

/**
 * As fastify, a thrown object that is not an Error (what @fastify/rate-limit's
 * errorResponseBuilder returns, for one) reaches onError hooks and error
 * handlers as it is, and the default handler answers with it as the body.
 */
function isThrownObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !(value instanceof Error);
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value !== null && typeof value === 'object' && typeof (value as Error).message === 'string') return value as Error;
  return new Error(`Non-error thrown: ${typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))}`);
}

/** The status an error answers with: its own 4xx/5xx statusCode, else the reply's 4xx/5xx, else 500. */
function errorStatus(err: Error, reply: Reply): number {
  const s = (err as { statusCode?: unknown }).statusCode ?? (err as { status?: unknown }).status;
  if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599) return s;
  const current = reply.statusCode;
  return Number.isInteger(current) && current >= 400 && current <= 599 ? current : 500;
}

/**
 * An error happened for this request: run the onError hooks (once), then the
 * nearest error handler; an error thrown there goes to the next handler out,
 * and finally to the default one, which cannot fail.
 */
export function handleError(reply: Reply, value: unknown): void {
  const err = isThrownObject(value) ? (value as unknown as Error) : toError(value);
  if (reply[kHijacked]) {
    // The app answers through reply.raw: its response is left alone.
    reply.log.error({ err }, 'error after the reply was hijacked');
    return;
  }
  const raw = reply[kTransportResponse];
  if (reply[kWritten] || raw.finished) {
    // Too late to answer: the head is out (a failing stream) or the transport answered.
    reply.log.error({ err }, 'error after the response was started');
    if (!raw.finished) raw.destroy();
    return;
  }
  const ctx = reply[kContext];
  if (reply[kErrorDepth] === 0 && ctx.onError !== null) {
    reply[kErrorDepth] = 1;
    runHooks(ctx.onError, reply.request, reply, PASS_VALUE, err, afterOnError);
    return;
  }
  if (reply[kErrorDepth] === 0) reply[kErrorDepth] = 1;
  callErrorHandler(reply, err);
}

function afterOnError(reply: Reply, hookErr: unknown, err: unknown): void {
  if (hookErr !== null) reply.log.error({ err: hookErr }, 'an onError hook failed');
  callErrorHandler(reply, err as Error);
}

/** Log the error (5xx: error, else info) and build fastify's JSON error body. */
function defaultErrorBody(reply: Reply, err: Error): { statusCode: number; code?: string; error: string; message: string } {
  const status = reply.statusCode;
  if (status >= 500) reply.log.error({ err }, err.message);
  else reply.log.info({ err }, err.message);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string'
    ? { statusCode: status, code, error: statusText(status), message: err.message }
    : { statusCode: status, error: statusText(status), message: err.message };
}

/** As fastify's default error handler: an error's own `headers` (e.g. Content-Range of a 416) go to the answer. */
function applyErrorHeaders(reply: Reply, err: Error): void {
  const headers = (err as { headers?: unknown }).headers;
  if (headers !== null && typeof headers === 'object') reply.headers(headers as Record<string, string>);
}

/** The default answer to a thrown non-Error object: its statusCode (or status), its headers, itself as the JSON body. */
function answerThrownObject(reply: Reply, value: Record<string, unknown>): void {
  const err = value as unknown as Error;
  applyErrorHeaders(reply, err);
  reply.statusCode = errorStatus(err, reply);
  if (reply.statusCode >= 500) reply.log.error({ err: value }, 'a non-Error value was thrown');
  else reply.log.info({ err: value }, 'a non-Error value was thrown');
  reply.send(value);
}

/** The default error handler, as app.errorHandler gives it (a custom handler may call it): the JSON error answer. */
export function defaultErrorHandler(this: unknown, error: Error, _req: Request, reply: Reply): void {
  if (isThrownObject(error)) {
    answerThrownObject(reply, error);
    return;
  }
  const err = toError(error);
  applyErrorHeaders(reply, err);
  reply.statusCode = errorStatus(err, reply);
  reply[kHeaders]['content-type'] = JSON_TYPE;
  reply.send(errorPayload(reply, err, defaultErrorBody(reply, err)));
}

function callErrorHandler(reply: Reply, err: Error): void {
  const ctx = reply[kContext];
  const handlers = ctx.errorHandlers;
  // kErrorDepth 1..n: custom handlers, nearest first; n+1: default; beyond: last resort.
  const depth = reply[kErrorDepth]++;
  const headers = reply[kHeaders];
  delete headers['content-type'];
  delete headers['content-length'];
  reply[kSent] = false;
  reply.statusCode = errorStatus(err, reply);
  if (depth <= handlers.length) {
    const h = handlers[depth - 1]!;
    let result: unknown;
    try {
      result = h.fn.call(h.scope, err, reply.request, reply);
    } catch (e) {
      handleError(reply, e);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        (v) => {
          if (v !== undefined && v !== reply && !reply[kSent]) reply.send(v);
        },
        (e) => handleError(reply, e),
      );
    } else if (result !== undefined && result !== reply && !reply[kSent]) {
      reply.send(result);
    }
    return;
  }
  if (depth === handlers.length + 1 && isThrownObject(err)) {
    answerThrownObject(reply, err);
    return;
  }
  const body = defaultErrorBody(reply, toError(err));
  if (depth === handlers.length + 1) {
    applyErrorHeaders(reply, err);
    // Serialized here (by the route's response schema for the status, if any), then through onSend like any reply, as fastify.
    headers['content-type'] = JSON_TYPE;
    reply.send(errorPayload(reply, err, body));
    return;
  }
  // The default answer itself failed (an onSend hook threw): write it directly.
  reply[kSent] = true;
  headers['content-type'] = JSON_TYPE;
  write(reply, JSON.stringify(body));
}

// ---- end of a request ----------------------------------------------------------

/** Runs when the transport has sent the response (or the connection closed first). */
export function onFinished(reply: Reply, aborted: boolean): void {
  const req = reply.request;
  const ctx = reply[kContext];
  if (ctx.root.logEnabled && ctx.root.logsRequest(req)) {
    // fastify's line ({ res: { statusCode }, responseTime }), with method and url beside it.
    const responseTime = performance.now() - req[kStart];
    const res = { statusCode: reply.statusCode };
    if (aborted) req.log.info({ res, method: req.method, url: req.url, statusCode: reply.statusCode, responseTime, aborted: true }, 'request completed');
    else req.log.info({ res, method: req.method, url: req.url, statusCode: reply.statusCode, responseTime }, 'request completed');
  }
  const res = reply[kTransportResponse];
  // The transport answered in the app's place while the app was still at work: it does so only for a
  // request past requestTimeout (body errors reach the app first, as errors). fastify's onTimeout.
  const timedOut = res.finished && !reply[kWritten] && !reply[kHijacked] && reply[kErrorDepth] === 0;
  if (timedOut) {
    if (ctx.onTimeout !== null) runHooks(ctx.onTimeout, req, reply, 0, undefined, afterOnTimeout);
  } else if (aborted && !res.finished && ctx.onRequestAbort !== null) {
    runHooks(ctx.onRequestAbort, req, reply, REQUEST_ONLY, undefined, afterOnRequestAbort);
  }
  if (ctx.onResponse !== null) runHooks(ctx.onResponse, req, reply, 0, undefined, afterOnResponse);
}

function afterOnTimeout(reply: Reply, err: unknown): void {
  if (err !== null) reply.log.error({ err }, 'an onTimeout hook failed');
}

function afterOnRequestAbort(reply: Reply, err: unknown): void {
  if (err !== null) reply.log.error({ err }, 'an onRequestAbort hook failed');
}

function afterOnResponse(reply: Reply, err: unknown): void {
  if (err !== null) reply.log.error({ err }, 'an onResponse hook failed');
}
