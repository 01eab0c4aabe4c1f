/**
 * Routes: definitions, their precomputed contexts, and the per-request path
 * from the transport's onRequest to the handler.
 *
 * Everything a request needs is computed once per route when the app becomes
 * ready (hook arrays, or null when empty; error handler chain; parsers;
 * Request/Reply classes; serializer), so the request path only reads fields.
 * A route without hooks runs: router lookup → Request/Reply → handler →
 * serialize → raw.send, with no promise unless the handler returns one.
 */
import { turnTime, type RawRequest, type RawResponse } from '@ringside/core';
import { createError } from './errors.js';
import { hookEntry, REQUEST_HOOK_NAMES, runHooks, STOP_WHEN_SENT, type HookEntry, type RequestHookName } from './hooks.js';
import { runPreParsing } from './pre-parsing.js';
import { BODY_BUFFER, BODY_DONE, BODY_NONE, BODY_PARSE, BODY_STREAM, readBody, type ContentTypeParser } from './content-type-parser.js';
import { alreadySent, handleError, onFinished, type ErrorHandler, type ErrorHandlerEntry, type Reply } from './reply.js';
import {
  kBodyState,
  kContext,
  kErrorHandler,
  kGenReqId,
  kHooks,
  kLogLevel,
  kParent,
  kParsers,
  kReplyClass,
  kRequestClass,
  kSchemaController,
  kSchemaErrorFormatter,
  kSent,
  kSerializer,
  kStart,
  kTransportRequest,
} from './symbols.js';
import type { Request, RouteGeneric } from './request.js';
import {
  compileValidation,
  defaultSchemaErrorFormatter,
  normalizeSchema,
  validateRequest,
  type RouteSchema,
  type RouteSchemaOptions,
  type RouteValidation,
} from './validation.js';
import { compileSerialization, type ResponseSerializers } from './serialization.js';
import type { SchemaErrorFormatter, SerializeFunction, SerializerCompiler, ValidateFunction, ValidatorCompiler } from './schemas.js';
import type { App, Root } from './app.js';
import type { WebSocketLike } from './websocket.js';

/** Methods find-my-way routes (node's http.METHODS as of Node 22). */
export const HTTP_METHODS = [
  'ACL',
  'BIND',
  'CHECKOUT',
  'CONNECT',
  'COPY',
  'DELETE',
  'GET',
  'HEAD',
  'LINK',
  'LOCK',
  'M-SEARCH',
  'MERGE',
  'MKACTIVITY',
  'MKCALENDAR',
  'MKCOL',
  'MOVE',
  'NOTIFY',
  'OPTIONS',
  'PATCH',
  'POST',
  'PROPFIND',
  'PROPPATCH',
  'PURGE',
  'PUT',
  'QUERY',
  'REBIND',
  'REPORT',
  'SEARCH',
  'SOURCE',
  'SUBSCRIBE',
  'TRACE',
  'UNBIND',
  'UNLINK',
  'UNLOCK',
  'UNSUBSCRIBE',
] as const;
const METHOD_SET: ReadonlySet<string> = new Set(HTTP_METHODS);

/** `this` is the app scope the route was declared in. Return a payload, or call reply.send(). */
export type RouteHandler<RG extends RouteGeneric = RouteGeneric> = (this: App, req: Request<RG>, reply: Reply) => unknown;

/** A hook function as accepted in route options (see app.addHook for the shapes). */
export type AnyHook = (...args: any[]) => unknown;

export interface RouteShorthandOptions {
  /** Largest body this route accepts, bytes. Default: the app's bodyLimit (1 MiB). */
  bodyLimit?: number;
  /**
   * How the body is read: 'parse' (default: by content type), 'buffer' (req.body
   * is the raw Buffer), 'stream' (req.body is a Readable, not buffered).
   * GET and HEAD routes discard bodies unless this is set.
   */
  body?: 'parse' | 'buffer' | 'stream';
  onRequest?: AnyHook | AnyHook[];
  preHandler?: AnyHook | AnyHook[];
  onSend?: AnyHook | AnyHook[];
  onResponse?: AnyHook | AnyHook[];
  onError?: AnyHook | AnyHook[];
  preParsing?: AnyHook | AnyHook[];
  preValidation?: AnyHook | AnyHook[];
  preSerialization?: AnyHook | AnyHook[];
  onTimeout?: AnyHook | AnyHook[];
  onRequestAbort?: AnyHook | AnyHook[];
  /** Log level of this route's request logger (e.g. 'warn', 'silent'). */
  logLevel?: string;
  /** A '/' route under a prefix answers: 'both' (default) prefix and prefix + '/', 'slash' only prefix + '/', 'no-slash' only prefix. */
  prefixTrailingSlash?: 'both' | 'slash' | 'no-slash';
  /** Error handler for this route only (before the scope's). */
  errorHandler?: ErrorHandler;
  /** JSON serializer for this route. Default: the scope's (JSON.stringify). */
  serializer?: (payload: unknown) => string;
  /** Free data, readable as req.routeOptions.config. */
  config?: Record<string, unknown>;
  /** find-my-way constraints, e.g. { version: '1.2.0' } or { host: 'example.com' }. */
  constraints?: Record<string, unknown>;
  /** Add the automatic HEAD route for this GET route. Default: the app's exposeHeadRoutes. */
  exposeHeadRoute?: boolean;
  /** JSON schemas: body, querystring (or query), params, headers (validated), response by status (serialized). */
  schema?: RouteSchema;
  /** @fastify/websocket: the handler is `(socket, request)` for WebSocket upgrades (websocket.ts). */
  websocket?: boolean;
  /** @fastify/websocket: `(socket, request)` for upgrades, beside `handler` for other requests. */
  wsHandler?: (this: App, socket: WebSocketLike, req: Request) => unknown;
  /** Put a validation failure on req.validationError and call the handler, instead of answering 400. */
  attachValidation?: boolean;
  /** Compiles this route's request schemas (default: the scope's, ajv). */
  validatorCompiler?: ValidatorCompiler;
  /** Compiles this route's response schemas (default: the scope's, fast-json-stringify). */
  serializerCompiler?: SerializerCompiler;
  /** Builds the error for a failed validation (default: the scope's). */
  schemaErrorFormatter?: SchemaErrorFormatter;
}

export interface RouteOptions<RG extends RouteGeneric = RouteGeneric> extends RouteShorthandOptions {
  method: string | readonly string[];
  url?: string;
  /** Alias of url. */
  path?: string;
  handler: RouteHandler<RG>;
}

/** req.routeOptions. */
export interface RouteOptionsView {
  readonly method: string;
  readonly url: string;
  readonly bodyLimit: number;
  readonly body: 'none' | 'parse' | 'buffer' | 'stream';
  readonly config: Readonly<Record<string, unknown>>;
}

export const ROUTE_KEYS = [
  'method',
  'url',
  'path',
  'handler',
  'bodyLimit',
  'body',
  'onRequest',
  'preHandler',
  'onSend',
  'onResponse',
  'onError',
  'errorHandler',
  'serializer',
  'config',
  'constraints',
  'exposeHeadRoute',
  'preParsing',
  'preValidation',
  'preSerialization',
  'onTimeout',
  'onRequestAbort',
  'logLevel',
  'prefixTrailingSlash',
  'schema',
  'attachValidation',
  'validatorCompiler',
  'serializerCompiler',
  'schemaErrorFormatter',
  'websocket',
  'wsHandler',
];
const BODY_MODES: Record<string, number> = { parse: BODY_PARSE, buffer: BODY_BUFFER, stream: BODY_STREAM };
const BODY_NAMES = ['none', 'parse', 'buffer', 'stream'] as const;

type RequestClass = new (raw: RawRequest, params: Record<string, string | undefined>, qs: string, ctx: RouteContext, seq: number) => Request;
type ReplyClass = new (raw: RawResponse, req: Request, ctx: RouteContext) => Reply;

/** Everything one route needs per request, computed once. */
export class RouteContext {
  // Filled by finalize() when the app becomes ready.
  onRequest: HookEntry[] | null = null;
  preHandler: HookEntry[] | null = null;
  onSend: HookEntry[] | null = null;
  onResponse: HookEntry[] | null = null;
  onError: HookEntry[] | null = null;
  preParsing: HookEntry[] | null = null;
  preValidation: HookEntry[] | null = null;
  preSerialization: HookEntry[] | null = null;
  onTimeout: HookEntry[] | null = null;
  onRequestAbort: HookEntry[] | null = null;
  /** Request ids of the route's scope (setGenReqId); undefined: 'req-1', 'req-2', … */
  genReqId: ((raw: RawRequest) => string | undefined) | undefined = undefined;
  /** The route's log level (route option, else register(p, { logLevel })). */
  logLevel: string | undefined = undefined;
  /** The logLevel route option. */
  routeLogLevel: string | undefined = undefined;
  errorHandlers: ErrorHandlerEntry[] = [];
  parsers!: ContentTypeParser;
  Request!: RequestClass;
  Reply!: ReplyClass;
  serializer: (payload: unknown) => string = JSON.stringify;
  routeOptions!: RouteOptionsView;
  /** Needs raw.onClose (onResponse hooks or logging). */
  needsFinish = false;
  /** The schema options of the route; null without any. */
  schemaOptions: RouteSchemaOptions | null = null;
  /** The route set its own bodyLimit (it then wins over a content-type parser's). */
  ownBodyLimit = false;
  /** Compiled request validators; null when nothing is validated. */
  validation: RouteValidation | null = null;
  /** Compiled response serializers by status; null without response schemas. */
  responseSerializers: ResponseSerializers | null = null;
  /** The serializers reply.send() uses: responseSerializers unless a custom reply serializer takes precedence. */
  sendSerializers: ResponseSerializers | null = null;
  /** reply.compileSerializationSchema() results by schema object. */
  serializerCache: WeakMap<object, SerializeFunction> | null = null;
  /** req.compileValidationSchema() results by schema object. */
  validatorCache: WeakMap<object, ValidateFunction> | null = null;

  constructor(
    readonly root: Root,
    readonly scope: App,
    readonly method: string,
    /** The pattern (first path when a prefix made two). */
    readonly url: string,
    readonly paths: readonly string[],
    readonly handler: RouteHandler,
    readonly bodyMode: number,
    readonly bodyLimit: number,
    readonly routeHooks: Partial<Record<RequestHookName, HookEntry[]>> | null,
    readonly routeErrorHandler: ErrorHandlerEntry | null,
    readonly routeSerializer: ((payload: unknown) => string) | null,
    readonly config: Record<string, unknown>,
    readonly constraints: Record<string, unknown> | undefined,
    readonly exposeHead: boolean,
    readonly notFound: boolean,
  ) {}

  /** Compute the per-request data from the scope, now that every plugin has loaded. */
  finalize(): void {
    const scope = this.scope;
    const hooks = scope[kHooks];
    for (const name of REQUEST_HOOK_NAMES) {
      const own = this.routeHooks?.[name];
      const list = own ? hooks[name].concat(own) : hooks[name].slice();
      this[name] = list.length > 0 ? list : null;
    }
    const chain: ErrorHandlerEntry[] = [];
    if (this.routeErrorHandler) chain.push(this.routeErrorHandler);
    for (let s: App | null = scope; s !== null; s = s[kParent]) {
      if (Object.hasOwn(s, kErrorHandler)) chain.push(s[kErrorHandler]!);
    }
    this.errorHandlers = chain;
    this.parsers = scope[kParsers];
    this.Request = scope[kRequestClass] as unknown as RequestClass;
    this.Reply = scope[kReplyClass] as unknown as ReplyClass;
    this.serializer = this.routeSerializer ?? scope[kSerializer];
    this.needsFinish = this.onResponse !== null || this.onRequestAbort !== null || this.onTimeout !== null || this.root.logEnabled;
    this.genReqId = scope[kGenReqId];
    this.logLevel = this.routeLogLevel ?? scope[kLogLevel];
    if (this.schemaOptions !== null) this.compileSchemas();
    this.routeOptions = Object.freeze({
      method: this.method,
      url: this.url,
      bodyLimit: this.bodyLimit,
      body: BODY_NAMES[this.bodyMode]!,
      config: this.config,
    });
  }

  /** Compile the route's schemas with its scope's compilers (at ready, never per request). */
  private compileSchemas(): void {
    const options = this.schemaOptions!;
    const controller = this.scope[kSchemaController];
    const settings = this.root.schemaSettings;
    const formatter = this.scope[kSchemaErrorFormatter] ?? defaultSchemaErrorFormatter;
    this.validation = compileValidation(options, controller, settings, formatter, this.method, this.url);
    this.responseSerializers = compileSerialization(options, controller, settings, this.method, this.url);
    // As in fastify, a serializer set with setReplySerializer (or the route's) wins over response schemas.
    this.sendSerializers = this.serializer === JSON.stringify ? this.responseSerializers : null;
  }

  /** The same route answering HEAD (automatic HEAD for GET routes). */
  headVariant(): RouteContext {
    const head = new RouteContext(
      this.root,
      this.scope,
      'HEAD',
      this.url,
      this.paths,
      this.handler,
      BODY_NONE,
      this.bodyLimit,
      this.routeHooks,
      this.routeErrorHandler,
      this.routeSerializer,
      this.config,
      this.constraints,
      false,
      false,
    );
    head.schemaOptions = this.schemaOptions;
    head.routeLogLevel = this.routeLogLevel;
    return head;
  }
}

function invalid(what: string, why: string): Error {
  return createError('RS_ERR_ROUTE_INVALID', what, why);
}

function hookList(name: RequestHookName, value: unknown, scope: unknown, what: string): HookEntry[] {
  const fns = Array.isArray(value) ? value : [value];
  return fns.map((fn) => {
    if (typeof fn !== 'function') throw invalid(what, `option "${name}" must be a function or an array of functions`);
    return hookEntry(name, fn, scope);
  });
}

/** Paths a route answers under a prefix ('/' under '/v1' answers '/v1' and '/v1/'). */
function prefixed(prefix: string, url: string, ignoreTrailingSlash: boolean, trailingSlash: string | undefined): string[] {
  if (prefix === '') return [url === '' ? '/' : url];
  if (url === '') return [prefix];
  if (url === '/' && trailingSlash === 'slash') return [prefix + '/'];
  if (url === '/') return ignoreTrailingSlash || trailingSlash === 'no-slash' ? [prefix] : [prefix, prefix + '/'];
  if (url.startsWith('*')) return [prefix + '/' + url];
  return [prefix + url];
}

/** Route-level hooks and options, validated. */
export function parseRouteOptions(root: Root, scope: App, options: RouteOptions, prefix: string): RouteContext[] {
  if (options === null || typeof options !== 'object') throw invalid('', `route() expects an options object, got ${String(options)}`);
  const url = options.url ?? options.path;
  const what = `${JSON.stringify(options.method)} ${JSON.stringify(url)}`;
  for (const key of Object.keys(options)) {
    if (!ROUTE_KEYS.includes(key)) throw invalid(what, `unknown route option "${key}" (known: ${ROUTE_KEYS.join(', ')})`);
  }
  if (typeof url !== 'string') throw invalid(what, 'the url must be a string');
  if (!(url === '' && prefix !== '') && url[0] !== '/' && url[0] !== '*') throw invalid(what, `the url must start with '/' or '*'`);
  if (typeof options.handler !== 'function')
    throw invalid(what, `the handler must be a function, got ${options.handler === null ? 'null' : typeof options.handler}`);
  const methods = (Array.isArray(options.method) ? options.method : [options.method]) as unknown[];
  if (methods.length === 0) throw createError('FST_ERR_ROUTE_METHOD_NOT_SUPPORTED', '(no method)');
  const upper = methods.map((m) => {
    if (typeof m !== 'string' || !METHOD_SET.has(m.toUpperCase())) throw createError('FST_ERR_ROUTE_METHOD_NOT_SUPPORTED', JSON.stringify(m));
    return m.toUpperCase();
  });
  let bodyLimit = root.options.bodyLimit;
  if (options.bodyLimit !== undefined) {
    const b = options.bodyLimit;
    if (typeof b !== 'number' || !Number.isInteger(b) || b <= 0)
      throw invalid(what, `option "bodyLimit" must be a positive integer (bytes), got ${JSON.stringify(b)}`);
    bodyLimit = b;
  }
  if (options.body !== undefined && BODY_MODES[options.body] === undefined) {
    throw invalid(what, `option "body" must be 'parse', 'buffer' or 'stream', got ${JSON.stringify(options.body)}`);
  }
  let routeHooks: Partial<Record<RequestHookName, HookEntry[]>> | null = null;
  for (const name of REQUEST_HOOK_NAMES) {
    if (options[name] !== undefined) (routeHooks ??= {})[name] = hookList(name, options[name], scope, what);
  }
  if (options.errorHandler !== undefined && typeof options.errorHandler !== 'function') throw invalid(what, 'option "errorHandler" must be a function');
  if (options.serializer !== undefined && typeof options.serializer !== 'function') throw invalid(what, 'option "serializer" must be a function');
  if (options.config !== undefined && (typeof options.config !== 'object' || options.config === null)) throw invalid(what, 'option "config" must be an object');
  if (options.constraints !== undefined && (typeof options.constraints !== 'object' || options.constraints === null))
    throw invalid(what, 'option "constraints" must be an object');
  if (options.exposeHeadRoute !== undefined && typeof options.exposeHeadRoute !== 'boolean')
    throw invalid(what, 'option "exposeHeadRoute" must be true or false');
  const trailing = options.prefixTrailingSlash;
  if (trailing !== undefined && trailing !== 'both' && trailing !== 'slash' && trailing !== 'no-slash')
    throw invalid(what, `option "prefixTrailingSlash" must be 'both', 'slash' or 'no-slash'`);
  if (options.logLevel !== undefined && typeof options.logLevel !== 'string')
    throw invalid(what, 'option "logLevel" must be a pino level name such as \'warn\'');
  const paths = prefixed(prefix, url, root.options.ignoreTrailingSlash, trailing);
  const errorHandler = options.errorHandler ? { fn: options.errorHandler as ErrorHandler, scope } : null;
  const config = Object.freeze({ ...options.config });
  const exposeHead = options.exposeHeadRoute ?? root.options.exposeHeadRoutes;
  const schemaOptions = parseSchemaOptions(options, what);
  const bodyless = upper.find((m) => m === 'GET' || m === 'HEAD' || m === 'TRACE');
  if (bodyless !== undefined && schemaOptions?.schema?.body !== undefined)
    throw createError('FST_ERR_ROUTE_BODY_VALIDATION_SCHEMA_NOT_SUPPORTED', bodyless, url);
  return upper.map((method) => {
    const mode = options.body !== undefined ? BODY_MODES[options.body]! : method === 'GET' || method === 'HEAD' ? BODY_NONE : BODY_PARSE;
    const ctx = new RouteContext(
      root,
      scope,
      method,
      paths[0]!,
      paths,
      options.handler as RouteHandler,
      mode,
      bodyLimit,
      routeHooks,
      errorHandler,
      options.serializer ?? null,
      config,
      options.constraints,
      exposeHead,
      false,
    );
    ctx.schemaOptions = schemaOptions;
    ctx.ownBodyLimit = options.bodyLimit !== undefined;
    ctx.routeLogLevel = options.logLevel;
    return ctx;
  });
}

/** The schema-related route options, checked; null when the route has none. */
function parseSchemaOptions(options: RouteOptions, what: string): RouteSchemaOptions | null {
  const { schema, attachValidation, validatorCompiler, serializerCompiler, schemaErrorFormatter } = options;
  if (schema === undefined && validatorCompiler === undefined && serializerCompiler === undefined && schemaErrorFormatter === undefined) return null;
  if (schema !== undefined && (schema === null || typeof schema !== 'object'))
    throw invalid(what, 'option "schema" must be an object like { body, querystring, params, headers, response }');
  if (attachValidation !== undefined && typeof attachValidation !== 'boolean') throw invalid(what, 'option "attachValidation" must be true or false');
  for (const [name, fn] of [
    ['validatorCompiler', validatorCompiler],
    ['serializerCompiler', serializerCompiler],
  ] as const) {
    if (fn !== undefined && typeof fn !== 'function') throw invalid(what, `option "${name}" must be a function`);
  }
  if (schemaErrorFormatter !== undefined && typeof schemaErrorFormatter !== 'function')
    throw createError('FST_ERR_SCHEMA_ERROR_FORMATTER_NOT_FN', typeof schemaErrorFormatter);
  return {
    schema: schema === undefined ? undefined : normalizeSchema(schema),
    validatorCompiler,
    serializerCompiler,
    schemaErrorFormatter,
    attachValidation: attachValidation ?? false,
  };
}

const noop = (): void => {};

/** Add a context to the router, turning find-my-way's errors into coded ones. */
export function mount(root: Root, ctx: RouteContext): void {
  for (const path of ctx.paths) {
    try {
      if (ctx.constraints) root.router.on(ctx.method as 'GET', path, { constraints: ctx.constraints }, noop, ctx);
      else root.router.on(ctx.method as 'GET', path, noop, ctx);
    } catch (e) {
      const msg = (e as Error).message;
      if (/already declared/.test(msg)) throw createError('FST_ERR_DUPLICATED_ROUTE', ctx.method, path);
      throw invalid(`${ctx.method} ${path}`, msg);
    }
    if (ctx.constraints) root.constrained = true;
    if (ctx.method === 'HEAD') root.headKeys.add(headKey(path, ctx.constraints));
  }
  root.routes.push(ctx);
  if (ctx.bodyLimit > root.maxBodyLimit) root.maxBodyLimit = ctx.bodyLimit;
}

export function headKey(path: string, constraints: Record<string, unknown> | undefined): string {
  return constraints ? path + '\0' + JSON.stringify(constraints, Object.keys(constraints).sort()) : path;
}

/** The default not-found handler: fastify's 404 body. */
export function defaultNotFoundHandler(req: Request, reply: Reply): void {
  const message = `Route ${req.method}:${req.url} not found`;
  reply.log.info(message);
  reply.code(404).send({ message, error: 'Not Found', statusCode: 404 });
}

export function badUrlHandler(req: Request): never {
  throw createError('FST_ERR_BAD_URL', req.url);
}

/** A context for not-found or bad-URL answers in `scope`. */
export function specialContext(
  root: Root,
  scope: App,
  url: string,
  paths: string[],
  handler: RouteHandler,
  routeHooks: Partial<Record<RequestHookName, HookEntry[]>> | null,
): RouteContext {
  return new RouteContext(
    root,
    scope,
    '*',
    url,
    paths,
    handler,
    BODY_NONE,
    root.options.bodyLimit,
    routeHooks,
    null,
    null,
    Object.freeze({}),
    undefined,
    false,
    true,
  );
}

export function notFoundHooks(options: unknown, scope: App): Partial<Record<RequestHookName, HookEntry[]>> | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== 'object') throw invalid('not-found handler', 'options must be an object');
  let hooks: Partial<Record<RequestHookName, HookEntry[]>> | null = null;
  for (const key of Object.keys(options)) {
    if (key !== 'onRequest' && key !== 'preHandler') throw invalid('not-found handler', `unknown option "${key}" (known: onRequest, preHandler)`);
    (hooks ??= {})[key] = hookList(key, (options as Record<string, unknown>)[key], scope, 'not-found handler');
  }
  return hooks;
}

// ---- the request path -------------------------------------------------------------

const CLOSING_BODY = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

/** A request that arrived while the app closes (return503OnClosing): fastify's 503, and the connection closes. */
function answerClosing(raw: RawRequest, res: RawResponse): void {
  if (raw.hasBody) raw.discardBody();
  res.send(503, { 'content-type': 'application/json', 'content-length': CLOSING_BODY.length, connection: 'close' }, CLOSING_BODY);
}

function queryStringOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}

interface Found {
  params: Record<string, string | undefined>;
  store: RouteContext | null;
  searchParams: unknown;
}

/** The transport's onRequest: route, build Request/Reply, run the lifecycle. */
export function handleRequest(root: Root, raw: RawRequest, res: RawResponse): void {
  if (root.closing && root.options.return503OnClosing) {
    answerClosing(raw, res);
    return;
  }
  const url = raw.url;
  const router = root.router;
  const found = router.find(raw.method as 'GET', url, root.constrained ? router.constrainer.deriveConstraints(raw) : undefined) as Found | null;
  let ctx: RouteContext;
  let params: Record<string, string | undefined>;
  let qs: string;
  if (found !== null && found.store !== null) {
    ctx = found.store;
    params = found.params;
    qs = found.searchParams as string;
  } else if (found !== null) {
    ctx = root.badUrl!;
    params = {};
    qs = queryStringOf(url);
  } else {
    const nf = root.notFoundRouter.find(raw.method as 'GET', url) as Found | null;
    if (nf !== null && nf.store !== null) {
      ctx = nf.store;
      params = nf.params;
      qs = nf.searchParams as string;
    } else {
      ctx = root.defaultNotFound!;
      params = {};
      qs = queryStringOf(url);
    }
  }
  const req = new ctx.Request(raw, params, qs, ctx, ++root.seq);
  const reply = new ctx.Reply(res, req, ctx);
  req[kStart] = turnTime();
  if (ctx.needsFinish) {
    if (root.logEnabled && root.logsRequest(req)) {
      req.log.info(
        { req: { method: req.method, url: req.url, host: req.host, remoteAddress: raw.remoteAddress, remotePort: raw.remotePort } },
        'incoming request',
      );
    }
    res.onClose((aborted) => onFinished(reply, aborted));
  }
  if (ctx.onRequest !== null) runHooks(ctx.onRequest, req, reply, STOP_WHEN_SENT, undefined, afterOnRequest);
  else afterOnRequest(reply, null);
}

function afterOnRequest(reply: Reply, err: unknown): void {
  if (err !== null) {
    handleError(reply, err);
    return;
  }
  const ctx = reply[kContext];
  if (ctx.bodyMode === BODY_NONE) {
    const req = reply.request;
    if (req[kTransportRequest].hasBody) {
      req[kBodyState] = BODY_DONE;
      req[kTransportRequest].discardBody();
    }
    if (ctx.preParsing !== null) runPreParsing(reply, ctx.preParsing, afterPreParsing);
    else preValidation(reply);
    return;
  }
  if (ctx.preParsing !== null) runPreParsing(reply, ctx.preParsing, afterPreParsing);
  else readBody(reply.request, reply, ctx, afterBody);
}

function afterPreParsing(reply: Reply, err: unknown): void {
  if (err !== null) handleError(reply, err);
  else if (reply[kContext].bodyMode === BODY_NONE) preValidation(reply);
  else readBody(reply.request, reply, reply[kContext], afterBody);
}

function afterBody(reply: Reply, err: unknown): void {
  if (err !== null) handleError(reply, err);
  else preValidation(reply);
}

/** preValidation hooks: after the body is parsed, before schema validation. */
function preValidation(reply: Reply): void {
  const hooks = reply[kContext].preValidation;
  if (hooks !== null) runHooks(hooks, reply.request, reply, STOP_WHEN_SENT, undefined, afterPreValidation);
  else validation(reply);
}

function afterPreValidation(reply: Reply, err: unknown): void {
  if (err !== null) handleError(reply, err);
  else validation(reply);
}

/** Schema validation (validation.ts) when the route has request schemas, then preHandler. */
function validation(reply: Reply): void {
  if (reply[kContext].validation !== null) validateRequest(reply, preHandler);
  else preHandler(reply);
}

function preHandler(reply: Reply): void {
  const hooks = reply[kContext].preHandler;
  if (hooks !== null) runHooks(hooks, reply.request, reply, STOP_WHEN_SENT, undefined, afterPreHandler);
  else callHandler(reply);
}

function afterPreHandler(reply: Reply, err: unknown): void {
  if (err !== null) handleError(reply, err);
  else callHandler(reply);
}

/** Call the handler of `ctx` (the route's, or a not-found handler for reply.callNotFound()) and send what it returns. */
export function callHandler(reply: Reply, ctx: RouteContext = reply[kContext]): void {
  let result: unknown;
  try {
    result = ctx.handler.call(ctx.scope, reply.request, reply);
  } catch (err) {
    handleError(reply, err);
    return;
  }
  if (result === undefined || result === reply) return;
  if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
    (result as PromiseLike<unknown>).then(
      (value) => handlerResolved(reply, value),
      (err) => handleError(reply, err),
    );
    return;
  }
  if (reply[kSent]) alreadySent(reply);
  else reply.send(result);
}

/** An async handler resolved: send its value, unless it is undefined (reply.send() is awaited, as in fastify). */
function handlerResolved(reply: Reply, value: unknown): void {
  if (value === undefined || value === reply) return;
  if (reply[kSent]) alreadySent(reply);
  else reply.send(value);
}
