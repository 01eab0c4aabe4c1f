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
import { bodyless } from '@ringside/core';
import { Readable } from 'node:stream';
import { createError, statusText } from './errors.js';
import { PASS_VALUE, REPLACE_VALUE, runHooks } from './hooks.js';
import { BODY_DONE, isJsonMediaType, mediaType } from './content-type-parser.js';
import { kBodyState, kContext, kErrorDepth, kHeaders, kSent, kStart, kWritten } from './symbols.js';
import type { Logger } from './logger.js';
import type { Request } from './request.js';
import type { RouteContext } from './route.js';

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';
const OCTET = 'application/octet-stream';

// Header names are HTTP tokens; values carry no CR, LF or NUL (response splitting).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const goodNames = new Set<string>();

export type HeaderInput = string | number | readonly string[];

export class Reply {
  /** The transport's response. */
  declare readonly raw: RawResponse;
  declare readonly request: Request;
  /** Status to send; default 200. */
  declare statusCode: number;
  declare [kContext]: RouteContext;
  declare [kHeaders]: Record<string, string | number | string[]>;
  declare [kSent]: boolean;
  declare [kWritten]: boolean;
  declare [kErrorDepth]: number;

  constructor(raw: RawResponse, request: Request, ctx: RouteContext) {
    this.raw = raw;
    this.request = request;
    this.statusCode = 200;
    this[kContext] = ctx;
    this[kHeaders] = {};
    this[kSent] = false;
    this[kWritten] = false;
    this[kErrorDepth] = 0;
  }

  /** True once send() was called (or a hook or the transport answered). */
  get sent(): boolean {
    return this[kSent];
  }

  /** The request's logger. */
  get log(): Logger {
    return this.request.log;
  }

  /** Set the status code (100–599). */
  code(statusCode: number): this {
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) throw createError('RS_ERR_REPLY_INVALID_STATUS', statusCode);
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
    if (!goodNames.has(key)) {
      if (!TOKEN.test(key)) throw createError('RS_ERR_REPLY_INVALID_HEADER', JSON.stringify(name), 'header names must be HTTP tokens');
      if (goodNames.size < 1024) goodNames.add(key);
    }
    let v: string | number | string[];
    if (typeof value === 'string') {
      if (BAD_VALUE.test(value)) throw createError('RS_ERR_REPLY_INVALID_HEADER', name, 'CR, LF and NUL are not allowed in values');
      v = value;
    } else if (typeof value === 'number') {
      v = value;
    } else if (Array.isArray(value)) {
      const list = value.map(String);
      for (const s of list) if (BAD_VALUE.test(s)) throw createError('RS_ERR_REPLY_INVALID_HEADER', name, 'CR, LF and NUL are not allowed in values');
      v = list;
    } else if (value === undefined) {
      return this;
    } else {
      const s = String(value);
      if (BAD_VALUE.test(s)) throw createError('RS_ERR_REPLY_INVALID_HEADER', name, 'CR, LF and NUL are not allowed in values');
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
    delete this[kHeaders][name.toLowerCase()];
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

  /** Serialize a value with the route's JSON serializer. */
  serialize(payload: unknown): string {
    return this[kContext].serializer(payload);
  }
}

/** Properties every Reply has, which decorateReply may not reuse. */
export const REPLY_FIELDS = new Set(['raw', 'request', 'statusCode']);

export function alreadySent(reply: Reply): void {
  const req = reply.request;
  reply.log.warn({ err: createError('RS_ERR_REPLY_ALREADY_SENT', req.method, req.url) }, 'Reply was already sent; the new payload is ignored');
}

function isStream(value: object): value is Readable {
  return typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function';
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
      if (payload instanceof Uint8Array) {
        if (headers['content-type'] === undefined) headers['content-type'] = OCTET;
        body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        break;
      }
      if (isStream(payload)) {
        if (headers['content-type'] === undefined) headers['content-type'] = OCTET;
        body = payload;
        break;
      }
      if (payload instanceof Error) {
        handleError(reply, payload);
        return;
      }
      if (typeof (payload as { getReader?: unknown }).getReader === 'function') {
        if (headers['content-type'] === undefined) headers['content-type'] = OCTET;
        body = Readable.fromWeb(payload as import('node:stream/web').ReadableStream);
        break;
      }
      const json = toJson(reply, payload);
      if (json === undefined) return;
      body = json;
      break;
    }
    case 'number':
    case 'boolean': {
      const json = toJson(reply, payload);
      if (json === undefined) return;
      body = json;
      break;
    }
    default:
      handleError(reply, createError('RS_ERR_REPLY_INVALID_PAYLOAD', typeof payload, ''));
      return;
  }
  const onSend = reply[kContext].onSend;
  if (onSend !== null) {
    runHooks(onSend, reply.request, reply, PASS_VALUE | REPLACE_VALUE, body, afterOnSend);
  } else {
    write(reply, body);
  }
}

/** JSON for a value, or undefined after routing a failure to the error handler. */
function toJson(reply: Reply, payload: unknown): string | undefined {
  const headers = reply[kHeaders];
  const type = headers['content-type'];
  if (type === undefined) {
    headers['content-type'] = JSON_TYPE;
  } else if (type !== JSON_TYPE && !isJsonMediaType(mediaType(String(type)))) {
    handleError(reply, createError('RS_ERR_REPLY_INVALID_PAYLOAD', typeof payload, ` with content-type "${String(type)}" (objects are sent as JSON only; serialize it yourself for other types)`));
    return undefined;
  }
  try {
    return reply[kContext].serializer(payload);
  } catch (err) {
    handleError(reply, err);
    return undefined;
  }
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
    handleError(reply, createError('RS_ERR_REPLY_INVALID_PAYLOAD', typeof value, ' from an onSend hook (return a string, Buffer, stream or null)'));
  }
}

/** Hand the response to the transport. */
function write(reply: Reply, body: string | Buffer | Readable | null): void {
  const raw = reply.raw;
  if (reply[kWritten] || raw.finished) {
    // The transport answered by itself (body refused, timeout) or the response went out already.
    if (body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) body.destroy();
    return;
  }
  const req = reply.request;
  if (req[kBodyState] !== BODY_DONE && req.raw.hasBody) {
    // The body will not be read (any more): let the transport skip it (or close).
    req[kBodyState] = BODY_DONE;
    req.raw.discardBody();
  }
  const status = reply.statusCode;
  if (!(Number.isInteger(status) && status >= 100 && status <= 599)) {
    reply.statusCode = 500;
    handleError(reply, createError('RS_ERR_REPLY_INVALID_STATUS', status));
    return;
  }
  const headers = reply[kHeaders] as OutgoingHeaders;
  if (body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) {
    if (bodyless(status) || req.method === 'HEAD') {
      body.destroy();
      body = null;
    } else {
      pipeStream(reply, body);
      return;
    }
  }
  reply[kWritten] = true;
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
    reply.raw.destroy();
  } catch {
    // already gone
  }
}

/** Pipe a Readable: head on the first chunk (so an early error can still answer 500), back-pressure via onDrain. */
function pipeStream(reply: Reply, stream: Readable): void {
  const raw = reply.raw;
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
    raw.end();
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

// ---- errors ------------------------------------------------------------------

export type ErrorHandler = (this: unknown, error: Error, req: Request, reply: Reply) => unknown;
export interface ErrorHandlerEntry {
  readonly fn: ErrorHandler;
  readonly scope: unknown;
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value !== null && typeof value === 'object' && typeof (value as Error).message === 'string') return value as Error;
  return new Error(`Non-error thrown: ${typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)}`);
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
  const err = toError(value);
  if (reply[kWritten] || reply.raw.finished) {
    // Too late to answer: the head is out (a failing stream) or the transport answered.
    reply.log.error({ err }, 'error after the response was started');
    if (!reply.raw.finished) reply.raw.destroy();
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
  const status = reply.statusCode;
  if (status >= 500) reply.log.error({ err }, err.message);
  else reply.log.info({ err }, err.message);
  const code = (err as { code?: unknown }).code;
  const body = typeof code === 'string'
    ? { statusCode: status, code, error: statusText(status), message: err.message }
    : { statusCode: status, error: statusText(status), message: err.message };
  if (depth === handlers.length + 1) {
    reply.send(body); // through onSend, like any reply
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
  if (ctx.root.logEnabled) {
    const responseTime = performance.now() - req[kStart];
    if (aborted) req.log.info({ method: req.method, url: req.url, statusCode: reply.statusCode, responseTime, aborted: true }, 'request completed');
    else req.log.info({ method: req.method, url: req.url, statusCode: reply.statusCode, responseTime }, 'request completed');
  }
  if (ctx.onResponse !== null) runHooks(ctx.onResponse, req, reply, 0, undefined, afterOnResponse);
}

function afterOnResponse(reply: Reply, err: unknown): void {
  if (err !== null) reply.log.error({ err }, 'an onResponse hook failed');
}
