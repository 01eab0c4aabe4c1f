/**
 * Request bodies: read (up to the route's bodyLimit) before the preHandler
 * hooks, then parsed by content type. Built in: application/json (strict),
 * text/plain (string), application/x-www-form-urlencoded (object); any other
 * type, or none, gives the raw Buffer (the catch-all parser '*', which
 * removeContentTypeParser('*') turns into 415 answers). Parsers are copied
 * per plugin scope, like hooks.
 */
import { parse as parseQueryString } from 'node:querystring';
import { Readable } from 'node:stream';
import { createError } from './errors.js';
import { kBodyState, kSent, kWritten } from './symbols.js';
import type { Reply } from './reply.js';
import type { Request } from './request.js';
import type { RouteContext } from './route.js';

export type ParseAs = 'string' | 'buffer';

/** `async (req, body) => parsed`, or `(req, body, done) => done(err, parsed)`. */
export type ContentTypeParserFn<Body extends string | Buffer = string | Buffer> =
  (this: unknown, req: Request, body: Body, done: (err: Error | null, parsed?: unknown) => void) => unknown;

export interface ContentTypeParserOptions {
  /** Give the parser the body as a utf-8 string or as a Buffer. Default 'buffer'. */
  parseAs?: ParseAs;
}

export interface Parser {
  readonly parseAs: ParseAs;
  readonly fn: ContentTypeParserFn;
  /** Built-in: a plain synchronous `(body) => value` that throws coded errors. */
  readonly builtin: boolean;
  readonly callback: boolean;
  readonly scope: unknown;
}

/** Route body handling. */
export const BODY_NONE = 0; // GET, HEAD, not-found: any body is discarded
export const BODY_PARSE = 1; // read, then parse by content type
export const BODY_BUFFER = 2; // read into a Buffer, whatever the content type
export const BODY_STREAM = 3; // req.body is a Readable

/** kBodyState values. */
export const BODY_UNREAD = 0;
export const BODY_READING = 1;
export const BODY_DONE = 2;

const EMPTY = Buffer.alloc(0);

/** Media type of a Content-Type value: lower-case type/subtype, no parameters. */
export function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

function headerString(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : value?.[0];
}

export function isJsonMediaType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

// JSON.parse keeps "__proto__" as an own key, which turns into prototype
// pollution when merged later; such bodies are refused, as fastify does.
function rejectPoisoning(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new SyntaxError('Object contains forbidden prototype property');
  if (key === 'constructor' && value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, 'prototype')) {
    throw new SyntaxError('Object contains forbidden prototype property');
  }
  return value;
}

export function parseJson(text: string): unknown {
  if (text.length === 0) throw createError('RS_ERR_BODY_EMPTY_JSON');
  try {
    if (text.includes('__proto__') || text.includes('constructor')) return JSON.parse(text, rejectPoisoning);
    return JSON.parse(text);
  } catch (e) {
    throw createError('RS_ERR_BODY_INVALID_JSON', (e as Error).message);
  }
}

function builtin(parseAs: ParseAs, fn: (body: never) => unknown): Parser {
  return { parseAs, fn: fn as unknown as ContentTypeParserFn, builtin: true, callback: false, scope: null };
}

const JSON_PARSER = builtin('string', parseJson);
const TEXT_PARSER = builtin('string', (text: string) => text);
const FORM_PARSER = builtin('string', (text: string) => parseQueryString(text));
const BUFFER_PARSER = builtin('buffer', (buf: Buffer) => buf);
const BUILTIN_TYPES = new Set(['application/json', 'text/plain', 'application/x-www-form-urlencoded', '*']);

export class ContentTypeParser {
  private exact = new Map<string, Parser>();
  private patterns: [RegExp, Parser][] = [];
  private catchAll: Parser | null = BUFFER_PARSER;
  /** Types added by the user in this scope (built-ins may be overridden once). */
  private own = new Set<string>();
  /** Content-Type header value → parser, for the values seen most. */
  private cache = new Map<string, Parser | null>();

  constructor() {
    this.exact.set('application/json', JSON_PARSER);
    this.exact.set('text/plain', TEXT_PARSER);
    this.exact.set('application/x-www-form-urlencoded', FORM_PARSER);
  }

  clone(): ContentTypeParser {
    const c = new ContentTypeParser();
    c.exact = new Map(this.exact);
    c.patterns = this.patterns.slice();
    c.catchAll = this.catchAll;
    return c;
  }

  add(type: string | RegExp | readonly (string | RegExp)[], options: ContentTypeParserOptions, fn: ContentTypeParserFn, scope: unknown): void {
    if (typeof fn !== 'function') throw createError('RS_ERR_CTP_INVALID', `the parser must be a function, got ${typeof fn}`);
    const parseAs = options.parseAs ?? 'buffer';
    if (parseAs !== 'string' && parseAs !== 'buffer') throw createError('RS_ERR_CTP_INVALID', `option parseAs must be 'string' or 'buffer', got ${JSON.stringify(parseAs)}`);
    for (const key of Object.keys(options)) {
      if (key !== 'parseAs') throw createError('RS_ERR_CTP_INVALID', `unknown option "${key}" (known: parseAs)`);
    }
    const callback = fn.length > 2;
    if (callback && fn.constructor?.name === 'AsyncFunction') throw createError('RS_ERR_CTP_INVALID', 'an async parser must not also take done()');
    const parser: Parser = { parseAs, fn, builtin: false, callback, scope };
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0) throw createError('RS_ERR_CTP_INVALID', 'no content type given');
    for (const t of types as (string | RegExp)[]) {
      if (t instanceof RegExp) {
        this.patterns.push([t, parser]);
        continue;
      }
      if (typeof t !== 'string' || t.trim() === '') throw createError('RS_ERR_CTP_INVALID', `content type must be a non-empty string or a RegExp, got ${JSON.stringify(t)}`);
      const key = t === '*' ? '*' : mediaType(t);
      if (this.own.has(key)) throw createError('RS_ERR_CTP_ALREADY_PRESENT', key);
      this.own.add(key);
      if (key === '*') this.catchAll = parser;
      else this.exact.set(key, parser);
    }
    this.cache.clear();
  }

  has(type: string | RegExp): boolean {
    if (type instanceof RegExp) return this.patterns.some(([r]) => r.source === type.source && r.flags === type.flags);
    if (type === '*') return this.catchAll !== null;
    return this.exact.has(mediaType(type));
  }

  remove(type: string | RegExp): void {
    if (type instanceof RegExp) this.patterns = this.patterns.filter(([r]) => !(r.source === type.source && r.flags === type.flags));
    else if (type === '*') this.catchAll = null;
    else this.exact.delete(mediaType(type));
    this.own.delete(type instanceof RegExp ? '' : type === '*' ? '*' : mediaType(type));
    this.cache.clear();
  }

  removeAll(): void {
    this.exact.clear();
    this.patterns = [];
    this.catchAll = null;
    this.own.clear();
    this.cache.clear();
  }

  /** The parser for a Content-Type header value (undefined: no header), or null when none applies. */
  find(contentType: string | undefined): Parser | null {
    if (contentType === undefined) return this.catchAll;
    let parser = this.cache.get(contentType);
    if (parser !== undefined) return parser;
    const type = mediaType(contentType);
    parser = this.exact.get(type) ?? null;
    if (parser === null) {
      for (const [re, p] of this.patterns) {
        if (re.test(type)) { parser = p; break; }
      }
    }
    parser ??= this.catchAll;
    if (this.cache.size >= 64) this.cache.clear();
    this.cache.set(contentType, parser);
    return parser;
  }
}

export function isBuiltinType(type: string): boolean {
  return BUILTIN_TYPES.has(type);
}

type BodyNext = (reply: Reply, err: unknown) => void;

/**
 * Read the request body as the route says, set req.body, then call `next`.
 * When the transport fails the body (it has answered the client itself, or
 * the client left), nothing more is sent and `next` is not called.
 */
export function readBody(req: Request, reply: Reply, ctx: RouteContext, next: BodyNext): void {
  const raw = req.raw;
  const mode = ctx.bodyMode;
  if (!raw.hasBody) {
    req[kBodyState] = BODY_DONE;
    if (mode === BODY_STREAM) {
      const empty = new Readable({ read() {} });
      empty.push(null);
      req.body = empty;
    } else if (mode === BODY_PARSE && raw.contentLength === 0) {
      const ct = headerString(raw.headers['content-type']);
      if (ct !== undefined && isJsonMediaType(mediaType(ct)) && ctx.parsers.find(ct) === JSON_PARSER) {
        next(reply, createError('RS_ERR_BODY_EMPTY_JSON'));
        return;
      }
    }
    next(reply, null);
    return;
  }
  const limit = ctx.bodyLimit;
  if (raw.contentLength > limit) {
    req[kBodyState] = BODY_DONE;
    raw.discardBody();
    next(reply, createError('RS_ERR_BODY_TOO_LARGE', limit));
    return;
  }
  if (mode === BODY_STREAM) {
    req[kBodyState] = BODY_READING;
    req.body = new BodyStream(req, reply, limit);
    next(reply, null);
    return;
  }
  let parser: Parser | null = null;
  if (mode === BODY_PARSE) {
    const ct = headerString(raw.headers['content-type']);
    parser = ctx.parsers.find(ct);
    if (parser === null) {
      req[kBodyState] = BODY_DONE;
      raw.discardBody();
      next(reply, createError('RS_ERR_BODY_UNSUPPORTED_MEDIA_TYPE', ct === undefined ? '(no content-type)' : mediaType(ct)));
      return;
    }
  }
  collect(req, reply, parser, limit, next);
}

function collect(req: Request, reply: Reply, parser: Parser | null, limit: number, next: BodyNext): void {
  const raw = req.raw;
  let first: Buffer | null = null;
  let chunks: Buffer[] | null = null;
  let received = 0;
  let over = false;
  req[kBodyState] = BODY_READING;
  raw.readBody(
    (chunk) => {
      if (over) return;
      received += chunk.length;
      if (received > limit) {
        over = true;
        req[kBodyState] = BODY_DONE;
        raw.discardBody();
        next(reply, createError('RS_ERR_BODY_TOO_LARGE', limit));
        return;
      }
      if (first === null) first = chunk;
      else (chunks ??= [first]).push(chunk);
    },
    () => {
      if (over) return;
      over = true;
      req[kBodyState] = BODY_DONE;
      const body = chunks !== null ? Buffer.concat(chunks, received) : first ?? EMPTY;
      if (parser === null) {
        req.body = body;
        next(reply, null);
      } else {
        runParser(req, reply, parser, body, next);
      }
    },
    (err) => {
      if (over) return;
      over = true;
      req[kBodyState] = BODY_DONE;
      bodyFailed(reply, err);
    },
  );
}

/** The transport failed the body and has answered (or the client is gone): the app sends nothing. */
function bodyFailed(reply: Reply, err: Error): void {
  reply[kSent] = true;
  reply[kWritten] = true;
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number') reply.statusCode = status; // what the client got, for the completion log and onResponse
  reply.log.info({ err }, status ? `request body refused by the transport (${status})` : 'request body not received completely');
}

function runParser(req: Request, reply: Reply, parser: Parser, body: Buffer, next: BodyNext): void {
  const input = parser.parseAs === 'string' ? body.toString('utf8') : body;
  if (parser.builtin) {
    try {
      req.body = (parser.fn as unknown as (b: string | Buffer) => unknown)(input);
    } catch (err) {
      next(reply, err);
      return;
    }
    next(reply, null);
    return;
  }
  if (parser.callback) {
    let called = false;
    try {
      (parser.fn as (req: Request, b: string | Buffer, done: (err: Error | null, v?: unknown) => void) => void).call(parser.scope, req, input, (err, value) => {
        if (called) return;
        called = true;
        if (err) { next(reply, err); return; }
        req.body = value;
        next(reply, null);
      });
    } catch (err) {
      if (!called) { called = true; next(reply, err); }
    }
    return;
  }
  let result: unknown;
  try {
    result = (parser.fn as (req: Request, b: string | Buffer) => unknown).call(parser.scope, req, input);
  } catch (err) {
    next(reply, err);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(
      (value) => { req.body = value; next(reply, null); },
      (err) => next(reply, err ?? new Error('content-type parser rejected')),
    );
    return;
  }
  req.body = result;
  next(reply, null);
}

/** req.body of a `{ body: 'stream' }` route: the transport's chunks with back-pressure. */
class BodyStream extends Readable {
  private paused = false;
  private received = 0;

  constructor(private readonly req: Request, reply: Reply, limit: number) {
    super();
    const raw = req.raw;
    raw.readBody(
      (chunk) => {
        if (this.destroyed) return;
        this.received += chunk.length;
        if (this.received > limit) {
          req[kBodyState] = BODY_DONE;
          raw.discardBody();
          this.destroy(createError('RS_ERR_BODY_TOO_LARGE', limit));
          return;
        }
        if (!this.push(chunk) && !this.paused) {
          this.paused = true;
          raw.pauseBody();
        }
      },
      () => {
        req[kBodyState] = BODY_DONE;
        if (!this.destroyed) this.push(null);
      },
      (err) => {
        req[kBodyState] = BODY_DONE;
        // The transport has answered (or the client left): the reply must not write.
        reply[kWritten] = true;
        const status = (err as { statusCode?: number }).statusCode;
        if (typeof status === 'number') reply.statusCode = status;
        const e = createError('RS_ERR_BODY_ABORTED', err.message);
        (e as { cause?: unknown }).cause = err;
        if (!this.destroyed) this.destroy(e);
      },
    );
  }

  override _read(): void {
    if (this.paused) {
      this.paused = false;
      this.req.raw.resumeBody();
    }
  }
}
