/**
 * inject(): a request through the same routing, hooks and serialization as
 * a socket, without one. It builds a RawRequest/RawResponse pair that
 * follows the transport contract (packages/core/src/http-types.ts),
 * including what the transports add: Date and Content-Length, chunked
 * framing for streams, no body for HEAD, 204 and 304.
 */
import { STATUS_CODES } from 'node:http';
import type { IncomingHeaders, OutgoingHeaders, RawRequest, RawResponse, RawWebSocket } from '@ringside/core';
import { bodyless, validateResponse } from '@ringside/core';
import type { Readable } from 'node:stream';
import { stringify as stringifyQuery, type ParsedUrlQueryInput } from 'node:querystring';

export interface InjectOptions {
  /** Default 'GET'. */
  method?: string;
  /** Path and optional query string. Default '/'. */
  url?: string;
  /** Alias of url. */
  path?: string;
  /** Added to the url's query string. */
  query?: string | ParsedUrlQueryInput;
  headers?: Record<string, string | number | readonly string[] | undefined>;
  /** A string, Buffer, stream, or a value sent as JSON (content-type application/json unless given). */
  payload?: unknown;
  /** Alias of payload. */
  body?: unknown;
  /** Peer address seen by req.ip. Default '127.0.0.1'. */
  remoteAddress?: string;
  /** Cookies to send: added to the Cookie header as name=value (value URI-encoded). */
  cookies?: Record<string, string>;
}

export interface InjectResponse {
  statusCode: number;
  statusMessage: string;
  /** Lower-case names; values as strings (set-cookie: string[]). */
  headers: Record<string, string | string[]>;
  /** The body as a utf-8 string. */
  body: string;
  /** Same as body. */
  payload: string;
  rawPayload: Buffer;
  /** Trailers sent after a chunked body (lower-case names). */
  trailers: Record<string, string>;
  json<T = any>(): T;
}

const SINGLE_VALUE = new Set(['content-type', 'content-length', 'host', 'user-agent', 'authorization']);

function isStream(value: unknown): value is Readable {
  return value !== null && typeof value === 'object' && typeof (value as Readable).pipe === 'function' && typeof (value as Readable).on === 'function';
}

class InjectRequest implements RawRequest {
  readonly httpVersion = '1.1' as const;
  readonly remotePort = 54321;
  readonly hasBody: boolean;
  readonly contentLength: number;
  readonly expectContinue = false;
  readonly websocket = null;
  private read = false;
  private stream: Readable | null;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHeaders,
    readonly remoteAddress: string,
    private body: Buffer | null,
    stream: Readable | null,
  ) {
    this.stream = stream;
    const cl = headers['content-length'];
    this.contentLength = typeof cl === 'string' && /^\d+$/.test(cl) ? Number(cl) : -1;
    this.hasBody = stream !== null ? this.contentLength !== 0 : body !== null && body.length > 0;
  }

  readBody(onChunk: (chunk: Buffer) => void, onEnd: () => void, onError: (err: Error) => void): void {
    if (this.read) throw new Error('readBody() may be called once per request');
    this.read = true;
    const stream = this.stream;
    if (stream !== null) {
      stream.on('data', (c: Buffer | string) => onChunk(typeof c === 'string' ? Buffer.from(c) : c));
      stream.once('end', onEnd);
      stream.once('error', onError);
      return;
    }
    // Delivered asynchronously, as from a socket.
    queueMicrotask(() => {
      if (this.body !== null && this.body.length > 0) onChunk(this.body);
      this.body = null;
      onEnd();
    });
  }

  pauseBody(): void {
    this.stream?.pause();
  }

  resumeBody(): void {
    this.stream?.resume();
  }

  discardBody(): void {
    this.body = null;
    if (this.stream !== null && !this.read) this.stream.resume();
  }
}

class InjectResponseImpl implements RawResponse {
  finished = false;
  aborted = false;
  status = 0;
  headers: Record<string, string | string[]> = {};
  trailers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private started = false;
  private noBody = false;
  private closeCbs: ((aborted: boolean) => void)[] = [];

  constructor(
    private readonly isHead: boolean,
    private readonly done: (res: InjectResponseImpl) => void,
    private readonly failed: (err: Error) => void,
  ) {}

  private head(status: number, headers: OutgoingHeaders, bodyLength: number): void {
    validateResponse(status, headers);
    this.started = true;
    this.status = status;
    const noContent = bodyless(status);
    this.noBody = this.isHead || noContent;
    const out: Record<string, string | string[]> = {};
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) continue;
      out[name.toLowerCase()] = typeof value === 'object' ? value.map(String) : String(value);
    }
    out.date ??= new Date().toUTCString();
    if (!noContent && out['content-length'] === undefined) {
      if (bodyLength >= 0) out['content-length'] = String(bodyLength);
      else if (bodyLength === -1 && out['transfer-encoding'] === undefined) out['transfer-encoding'] = 'chunked';
    }
    this.headers = out;
  }

  send(status: number, headers: OutgoingHeaders, body: Buffer | string | null): void {
    if (this.finished || this.started) throw new Error('Response already started; send() must be the only write of a response');
    const buf = body === null ? null : typeof body === 'string' ? Buffer.from(body) : body;
    // HEAD with a null body: headers as given (the framework sets Content-Length itself).
    this.head(status, headers, buf === null && this.isHead ? -2 : (buf?.length ?? 0));
    if (buf !== null && !this.noBody) this.chunks.push(buf);
    this.finish(false);
  }

  writeHead(status: number, headers: OutgoingHeaders): void {
    if (this.finished || this.started) throw new Error('Response already started');
    this.head(status, headers, -1);
  }

  write(chunk: Buffer | string): boolean {
    if (!this.started) throw new Error('write() before writeHead()');
    if (this.finished) return false;
    if (!this.noBody) this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return true;
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.finished) return;
    if (!this.started) {
      this.send(200, {}, null);
      return;
    }
    // As on a socket: trailers follow the last chunk of a chunked body only.
    if (trailers !== undefined && !this.noBody && this.headers['transfer-encoding'] === 'chunked') {
      validateResponse(this.status, trailers);
      for (const name of Object.keys(trailers)) this.trailers[name.toLowerCase()] = String(trailers[name]);
    }
    this.finish(false);
  }

  onDrain(): void {
    // write() never applies back-pressure here.
  }

  onClose(cb: (aborted: boolean) => void): void {
    if (this.finished) cb(this.aborted);
    else this.closeCbs.push(cb);
  }

  destroy(): void {
    if (this.finished) return;
    this.aborted = true;
    this.finish(true);
  }

  upgradeWebSocket(): RawWebSocket {
    throw new Error('inject() has no connection to upgrade to WebSocket: listen() and connect a WebSocket client');
  }

  private finish(aborted: boolean): void {
    this.finished = true;
    const cbs = this.closeCbs;
    this.closeCbs = [];
    for (const cb of cbs) cb(aborted);
    if (aborted) {
      this.failed(Object.assign(new Error('The response was destroyed before it completed (the connection would have been closed)'), { code: 'ECONNRESET' }));
    } else {
      this.done(this);
    }
  }

  result(): InjectResponse {
    const rawPayload = Buffer.concat(this.chunks);
    const body = rawPayload.toString('utf8');
    return {
      statusCode: this.status,
      statusMessage: STATUS_CODES[this.status] ?? 'Unknown',
      headers: this.headers,
      body,
      payload: body,
      rawPayload,
      trailers: this.trailers,
      json<T>(): T {
        return JSON.parse(body) as T;
      },
    };
  }
}

const INJECT_BASE = 'http://localhost';

function buildUrl(options: InjectOptions): string {
  let url = options.url ?? options.path ?? '/';
  if (url === '') url = '/';
  // Parsed as a WHATWG URL, as light-my-request (fastify's inject) does: dot segments are resolved.
  const u = new URL(url.startsWith('/') ? INJECT_BASE + url : url, INJECT_BASE);
  url = u.pathname + u.search;
  const q = options.query;
  if (q !== undefined) {
    const qs = typeof q === 'string' ? q.replace(/^\?/, '') : stringifyQuery(q);
    if (qs !== '') url += (url.includes('?') ? '&' : '?') + qs;
  }
  return url;
}

/** Run one request through `onRequest` (the app's transport handler). */
export function inject(onRequest: (raw: RawRequest, res: RawResponse) => void, input: InjectOptions | string): Promise<InjectResponse> {
  const options: InjectOptions = typeof input === 'string' ? { url: input } : (input ?? {});
  const method = (options.method ?? 'GET').toUpperCase();
  const url = buildUrl(options);
  const headers: IncomingHeaders = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (Array.isArray(value)) headers[key] = key === 'set-cookie' || !SINGLE_VALUE.has(key) ? value.map(String) : String(value[0]);
    else headers[key] = String(value);
  }
  if (options.cookies !== undefined) {
    const pairs = Object.entries(options.cookies).map(([name, value]) => `${name}=${encodeURIComponent(String(value))}`);
    const existing = headers.cookie;
    if (typeof existing === 'string' && existing !== '') pairs.unshift(existing);
    headers.cookie = pairs.join('; ');
  }
  headers.host ??= 'localhost:80';
  headers['user-agent'] ??= 'ringside-inject';
  let payload = options.payload !== undefined ? options.payload : options.body;
  let body: Buffer | null = null;
  let stream: Readable | null = null;
  if (isStream(payload)) {
    stream = payload;
  } else if (payload !== undefined && payload !== null) {
    if (typeof payload === 'string') body = Buffer.from(payload);
    else if (payload instanceof Uint8Array) body = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    else {
      body = Buffer.from(JSON.stringify(payload));
      headers['content-type'] ??= 'application/json';
    }
  }
  payload = undefined;
  if (body !== null && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) headers['content-length'] = String(body.length);
  if (stream !== null && headers['content-length'] === undefined) headers['transfer-encoding'] ??= 'chunked';
  const raw = new InjectRequest(method, url, headers, options.remoteAddress ?? '127.0.0.1', body, stream);
  return new Promise<InjectResponse>((resolve, reject) => {
    const res = new InjectResponseImpl(method === 'HEAD', (r) => resolve(r.result()), reject);
    try {
      onRequest(raw, res);
    } catch (err) {
      reject(err as Error);
    }
  });
}

/**
 * inject() without options: light-my-request's chain, e.g.
 * `await app.inject().post('/items').headers({ a: '1' }).payload({ x: 1 }).end()`.
 * end() (or awaiting the chain) sends it; the options are fixed from then on.
 */
export class InjectChain implements PromiseLike<InjectResponse> {
  private readonly opts: InjectOptions = {};
  private sent: Promise<InjectResponse> | null = null;

  constructor(private readonly run: (options: InjectOptions) => Promise<InjectResponse>) {}

  private set(change: (o: InjectOptions) => void): this {
    if (this.sent !== null) throw new Error('The request was already sent: set options before end()');
    change(this.opts);
    return this;
  }

  delete(url: string): this {
    return this.set((o) => {
      o.method = 'DELETE';
      o.url = url;
    });
  }
  get(url: string): this {
    return this.set((o) => {
      o.method = 'GET';
      o.url = url;
    });
  }
  head(url: string): this {
    return this.set((o) => {
      o.method = 'HEAD';
      o.url = url;
    });
  }
  options(url: string): this {
    return this.set((o) => {
      o.method = 'OPTIONS';
      o.url = url;
    });
  }
  patch(url: string): this {
    return this.set((o) => {
      o.method = 'PATCH';
      o.url = url;
    });
  }
  post(url: string): this {
    return this.set((o) => {
      o.method = 'POST';
      o.url = url;
    });
  }
  put(url: string): this {
    return this.set((o) => {
      o.method = 'PUT';
      o.url = url;
    });
  }
  trace(url: string): this {
    return this.set((o) => {
      o.method = 'TRACE';
      o.url = url;
    });
  }
  headers(headers: NonNullable<InjectOptions['headers']>): this {
    return this.set((o) => {
      o.headers = { ...o.headers, ...headers };
    });
  }
  payload(payload: unknown): this {
    return this.set((o) => {
      o.payload = payload;
    });
  }
  body(body: unknown): this {
    return this.payload(body);
  }
  query(query: NonNullable<InjectOptions['query']>): this {
    return this.set((o) => {
      o.query = query;
    });
  }
  cookies(cookies: Record<string, string>): this {
    return this.set((o) => {
      o.cookies = { ...o.cookies, ...cookies };
    });
  }

  /** Send the request: a promise of the response, or cb(err, res). */
  end(): Promise<InjectResponse>;
  end(cb: (err: Error | null, res?: InjectResponse) => void): void;
  end(cb?: (err: Error | null, res?: InjectResponse) => void): Promise<InjectResponse> | undefined {
    this.sent ??= this.run({ ...this.opts });
    if (cb === undefined) return this.sent;
    this.sent.then(
      (res) => cb(null, res),
      (err: Error) => cb(err),
    );
  }

  // biome-ignore lint/suspicious/noThenProperty: the chain is awaitable on purpose, as light-my-request's is
  then<A = InjectResponse, B = never>(
    onFulfilled?: ((res: InjectResponse) => A | PromiseLike<A>) | null,
    onRejected?: ((err: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.end().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((err: unknown) => B | PromiseLike<B>) | null): Promise<InjectResponse | B> {
    return this.end().catch(onRejected);
  }
}
