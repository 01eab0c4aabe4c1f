/**
 * Request bodies: read (up to the route's bodyLimit) before the preHandler
 * hooks, then parsed by content type. Built in, as in fastify:
 * application/json (strict) and text/plain (string); form bodies need a
 * parser such as @fastify/formbody's. A body
 * of any other type, of a malformed type, or without a Content-Type is
 * answered 415 FST_ERR_CTP_INVALID_MEDIA_TYPE, as in fastify, unless a
 * catch-all parser '*' was added. Parsers are copied per plugin scope, like hooks.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type SecureJson from 'secure-json-parse';
import { createError } from './errors.js';
import { kBodyState, kSent, kTransportRequest, kWritten } from './symbols.js';
import type { Reply } from './reply.js';
import type { Request } from './request.js';
import type { RouteContext } from './route.js';
import type { RawIncomingMessage } from './raw-request.js';

// CommonJS, required rather than imported: see findMyWay in app.ts.
const secureJson = createRequire(import.meta.url)('secure-json-parse') as typeof SecureJson;

export type ParseAs = 'string' | 'buffer';

/** `async (req, body) => parsed`, or `(req, body, done) => done(err, parsed)`. */
export type ContentTypeParserFn<Body extends string | Buffer | RawIncomingMessage = string | Buffer | RawIncomingMessage> = (
  this: unknown,
  req: Request,
  body: Body,
  done: (err: Error | null, parsed?: unknown) => void,
) => unknown;

export interface ContentTypeParserOptions {
  /**
   * Give the parser the body read whole, as a utf-8 string or a Buffer (up to
   * the route's bodyLimit). Without it the parser gets request.raw, the body
   * as a stream, and reads it itself (as in fastify).
   */
  parseAs?: ParseAs;
  /** Largest body this parser reads, bytes (parseAs parsers; a route's own bodyLimit wins, as in fastify). */
  bodyLimit?: number;
}

export interface Parser {
  readonly parseAs: ParseAs | 'stream';
  readonly fn: ContentTypeParserFn;
  /** The parser's bodyLimit option, when given. */
  readonly bodyLimit?: number;
  /** Built-in: a plain synchronous `(body) => value` that throws coded errors. */
  readonly builtin: boolean;
  /** The built-in JSON parser (an empty body is refused before reading). */
  readonly json?: boolean;
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

/**
 * Errors of a body stream a preParsing hook returned (a decompressor given
 * bad bytes), as opposed to the transport's own body failures, which the
 * transport answers itself: these are the app's to answer (400 unless they
 * carry a 4xx/5xx status), as fastify does.
 */
export const hookStreamErrors = new WeakSet<object>();

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

// A media type is `token/token` (RFC 9110 §8.3.1); anything else is answered 415, as fastify.
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+$/;

/** What the JSON parser does with "__proto__" and "constructor.prototype" keys (secure-json-parse's actions). */
export interface PoisoningOptions {
  protoAction: 'error' | 'remove' | 'ignore';
  constructorAction: 'error' | 'remove' | 'ignore';
}

const REFUSE_POISONING: PoisoningOptions = { protoAction: 'error', constructorAction: 'error' };

/**
 * The JSON body parser. JSON.parse keeps "__proto__" as an own key, which
 * turns into prototype pollution when merged later; secure-json-parse refuses
 * (400, the default), removes or ignores it, as the app's onProtoPoisoning /
 * onConstructorPoisoning options say, as in fastify.
 */
function jsonParser(poisoning: PoisoningOptions): Parser {
  const parse = (text: string): unknown => {
    if (text.length === 0) throw createError('FST_ERR_CTP_EMPTY_JSON_BODY');
    try {
      return secureJson.parse(text, undefined, poisoning);
    } catch (e) {
      const err = createError('FST_ERR_CTP_INVALID_JSON_BODY');
      (err as { cause?: unknown }).cause = e;
      throw err;
    }
  };
  return { ...builtin('string', parse), json: true };
}

function builtin(parseAs: ParseAs, fn: (body: never) => unknown): Parser {
  return { parseAs, fn: fn as unknown as ContentTypeParserFn, builtin: true, callback: false, scope: null };
}

const TEXT_PARSER = builtin('string', (text: string) => text);
const BUILTIN_TYPES = new Set(['application/json', 'text/plain', '*']);
const OPTION_KEYS = ['parseAs', 'bodyLimit'];

export class ContentTypeParser {
  private exact = new Map<string, Parser>();
  private patterns: [RegExp, Parser][] = [];
  /** Bodies of a type without a parser: none by default (415, as fastify); addContentTypeParser('*', …) sets one. */
  private catchAll: Parser | null = null;
  /** Types added by the user in this scope (built-ins may be overridden once). */
  private own = new Set<string>();
  /** Content-Type header value → parser, for the values seen most. */
  private cache = new Map<string, Parser | null>();

  constructor(private readonly poisoning: PoisoningOptions = REFUSE_POISONING) {
    this.exact.set('application/json', jsonParser(poisoning));
    this.exact.set('text/plain', TEXT_PARSER);
  }

  clone(): ContentTypeParser {
    const c = new ContentTypeParser(this.poisoning);
    c.exact = new Map(this.exact);
    c.patterns = this.patterns.slice();
    c.catchAll = this.catchAll;
    return c;
  }

  add(type: string | RegExp | readonly (string | RegExp)[], options: ContentTypeParserOptions, fn: ContentTypeParserFn, scope: unknown): void {
    if (typeof fn !== 'function') throw createError('RS_ERR_CTP_INVALID', `the parser must be a function, got ${typeof fn}`);
    const parseAs = options.parseAs ?? 'stream';
    if (parseAs !== 'string' && parseAs !== 'buffer' && options.parseAs !== undefined)
      throw createError('RS_ERR_CTP_INVALID', `option parseAs must be 'string' or 'buffer', got ${JSON.stringify(parseAs)}`);
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) throw createError('RS_ERR_CTP_INVALID', `unknown option "${key}" (known: ${OPTION_KEYS.join(', ')})`);
    }
    const bodyLimit = options.bodyLimit;
    if (bodyLimit !== undefined && (typeof bodyLimit !== 'number' || !Number.isInteger(bodyLimit) || bodyLimit <= 0)) {
      throw createError('RS_ERR_CTP_INVALID', `option "bodyLimit" must be a positive integer (bytes), got ${JSON.stringify(bodyLimit)}`);
    }
    const callback = fn.length > 2;
    if (callback && fn.constructor?.name === 'AsyncFunction') throw createError('RS_ERR_CTP_INVALID', 'an async parser must not also take done()');
    const parser: Parser = { parseAs, fn, bodyLimit, builtin: false, callback, scope };
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0) throw createError('RS_ERR_CTP_INVALID', 'no content type given');
    for (const t of types as (string | RegExp)[]) {
      if (t instanceof RegExp) {
        this.patterns.push([t, parser]);
        continue;
      }
      if (typeof t !== 'string' || t.trim() === '')
        throw createError('RS_ERR_CTP_INVALID', `content type must be a non-empty string or a RegExp, got ${JSON.stringify(t)}`);
      const key = t === '*' ? '*' : mediaType(t);
      if (this.own.has(key)) throw createError('FST_ERR_CTP_ALREADY_PRESENT', key);
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
    if (!MEDIA_TYPE.test(type)) return null;
    parser = this.exact.get(type) ?? null;
    if (parser === null) {
      for (const [re, p] of this.patterns) {
        if (re.test(type)) {
          parser = p;
          break;
        }
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
  const raw = req[kTransportRequest];
  const mode = ctx.bodyMode;
  // An earlier hook is reading request.raw: the body is its (read once); req.body stays undefined.
  if (req[kBodyState] !== BODY_UNREAD) {
    next(reply, null);
    return;
  }
  if (!raw.hasBody) {
    req[kBodyState] = BODY_DONE;
    if (mode === BODY_STREAM) {
      const empty = new Readable({ read() {} });
      empty.push(null);
      req.body = empty;
    } else if (mode === BODY_PARSE && raw.contentLength === 0) {
      const ct = headerString(raw.headers['content-type']);
      if (ct !== undefined && isJsonMediaType(mediaType(ct)) && ctx.parsers.find(ct)?.json === true) {
        next(reply, createError('FST_ERR_CTP_EMPTY_JSON_BODY'));
        return;
      }
    }
    next(reply, null);
    return;
  }
  let parser: Parser | null = null;
  if (mode === BODY_PARSE) {
    // As fastify: the media type is checked (415) before the length (413).
    parser = ctx.parsers.find(headerString(raw.headers['content-type']));
    if (parser === null) {
      req[kBodyState] = BODY_DONE;
      raw.discardBody();
      next(reply, createError('FST_ERR_CTP_INVALID_MEDIA_TYPE'));
      return;
    }
  }
  // The route's own bodyLimit, else the parser's, else the app's (fastify's order).
  const limit = parser?.bodyLimit !== undefined && !ctx.ownBodyLimit ? parser.bodyLimit : ctx.bodyLimit;
  if (raw.contentLength > limit) {
    req[kBodyState] = BODY_DONE;
    raw.discardBody();
    next(reply, createError('FST_ERR_CTP_BODY_TOO_LARGE', limit));
    return;
  }
  if (mode === BODY_STREAM) {
    req[kBodyState] = BODY_READING;
    req.body = new BodyStream(req, reply, limit);
    next(reply, null);
    return;
  }
  if (parser !== null) {
    if (parser.parseAs === 'stream') {
      // The parser reads the body itself, from request.raw (which reads it from the transport on demand).
      runParser(req, reply, parser, req.raw, next);
      return;
    }
  }
  collect(req, reply, parser, limit, next);
}

function collect(req: Request, reply: Reply, parser: Parser | null, limit: number, next: BodyNext): void {
  const raw = req[kTransportRequest];
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
        next(reply, createError('FST_ERR_CTP_BODY_TOO_LARGE', limit));
        return;
      }
      if (first === null) first = chunk;
      else (chunks ??= [first]).push(chunk);
    },
    () => {
      if (over) return;
      over = true;
      req[kBodyState] = BODY_DONE;
      const body = chunks !== null ? Buffer.concat(chunks, received) : (first ?? EMPTY);
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
      if (hookStreamErrors.has(err)) {
        const status = (err as { statusCode?: unknown }).statusCode;
        if (!(typeof status === 'number' && status >= 400 && status <= 599)) (err as { statusCode?: number }).statusCode = 400;
        raw.discardBody();
        next(reply, err);
        return;
      }
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

function runParser(req: Request, reply: Reply, parser: Parser, body: Buffer | RawIncomingMessage, next: BodyNext): void {
  const input = parser.parseAs === 'string' ? (body as Buffer).toString('utf8') : body;
  if (parser.builtin) {
    try {
      req.body = (parser.fn as unknown as (b: string | Buffer) => unknown)(input as string | Buffer);
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
      (parser.fn as (req: Request, b: unknown, done: (err: Error | null, v?: unknown) => void) => void).call(parser.scope, req, input, (err, value) => {
        if (called) return;
        called = true;
        if (err) {
          next(reply, err);
          return;
        }
        req.body = value;
        next(reply, null);
      });
    } catch (err) {
      if (!called) {
        called = true;
        next(reply, err);
      }
    }
    return;
  }
  let result: unknown;
  try {
    result = (parser.fn as (req: Request, b: unknown) => unknown).call(parser.scope, req, input);
  } catch (err) {
    next(reply, err);
    return;
  }
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(
      (value) => {
        req.body = value;
        next(reply, null);
      },
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

  constructor(
    private readonly req: Request,
    reply: Reply,
    limit: number,
  ) {
    super();
    const raw = req[kTransportRequest];
    raw.readBody(
      (chunk) => {
        if (this.destroyed) return;
        this.received += chunk.length;
        if (this.received > limit) {
          req[kBodyState] = BODY_DONE;
          raw.discardBody();
          this.destroy(createError('FST_ERR_CTP_BODY_TOO_LARGE', limit));
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
      this.req[kTransportRequest].resumeBody();
    }
  }
}
