/**
 * The app: route registration, hooks, plugins, decorators, and the lifecycle
 * (ready → listen → close). Each plugin scope is an object whose prototype is
 * its parent scope (see plugin.ts); state shared by the whole app lives in
 * one Root.
 */
import {
  createHttpTransport,
  releaseStartupMemory,
  type AddressInfo,
  type BackendName,
  type CloseOptions,
  type ListenOptions as CoreListenOptions,
  type HttpTransport,
  type RawRequest,
  type RawResponse,
} from '@ringside/core';
import { parse as parseQueryString } from 'node:querystring';
import { createRequire } from 'node:module';
import type FindMyWay from 'find-my-way';
import { createError } from './errors.js';
import { hookEntry, Hooks, runAppHooks, type HookEntry, type HookName } from './hooks.js';
import { ContentTypeParser, type ContentTypeParserFn, type ContentTypeParserOptions } from './content-type-parser.js';
import type { RawIncomingMessage } from './raw-request.js';
import { createLogger, type Logger } from './logger.js';
import {
  checkListenOptions,
  resolveOptions,
  type AppOptions,
  type ConstraintStrategy,
  type InitialConfig,
  type ResolvedOptions,
  type TrustProxy,
} from './options.js';
import {
  createLoader,
  FASTIFY_VERSION,
  fromAvvio,
  hasPlugin,
  kAfter,
  kClose,
  kOnClose,
  kReady,
  kUse,
  type Avvio,
  type PluginInput,
  type PluginOptions,
} from './plugin.js';
import { defaultErrorHandler, Reply, REPLY_FIELDS, type ErrorHandler, type ErrorHandlerEntry } from './reply.js';
import { Request, REQUEST_FIELDS, type RouteGeneric } from './request.js';
import {
  badUrlHandler,
  defaultNotFoundHandler,
  handleRequest,
  headKey,
  HTTP_METHODS,
  mount,
  notFoundHooks,
  parseRouteOptions,
  ROUTE_KEYS,
  specialContext,
  type RouteContext,
  type RouteHandler,
  type RouteOptions,
  type RouteShorthandOptions,
} from './route.js';
import { afterListen, closeWorkers, loopListenOptions, type ProcessOptions } from './process.js';
import { inject, InjectChain, type InjectOptions, type InjectResponse } from './inject.js';
import {
  ownSchemaController,
  SchemaController,
  type SchemaErrorFormatter,
  type SchemaSettings,
  type SerializerCompiler,
  type ValidatorCompiler,
} from './schemas.js';
import {
  kAvvio,
  kChildren,
  kDecoratorProps,
  kErrorHandler,
  kSchemaController,
  kSchemaErrorFormatter,
  kGenReqId,
  kHooks,
  kLogLevel,
  kNotFoundHandler,
  kParent,
  kParsers,
  kPluginNameChain,
  kPrefix,
  kRegisteredPlugins,
  kReplyClass,
  kRequestClass,
  kRoot,
  kSerializer,
} from './symbols.js';
import type { RequestHookName } from './hooks.js';
import type { DefaultTypeProvider, RouteTypes, TypeProvider } from './type-provider.js';
import {
  builtinPlugin,
  fastifyWebSocketRoute,
  websocketRouteHandler,
  type WebSocketHandlers,
  type WebSocketLike,
  type WebSocketRouteOptions,
} from './websocket.js';
import type { RouteSchema } from './validation.js';

/** A shorthand route's options: the schema S the provider P reads, and the handler typed from it. */
type ShorthandOptions<P extends TypeProvider, RG extends RouteGeneric, S> = RouteShorthandOptions & {
  schema?: S;
  handler?: RouteHandler<RouteTypes<P, RG, S>>;
};

/**
 * find-my-way is CommonJS: required, not imported, so that Node does not scan
 * its source for named exports (cjs-module-lexer) at every start — work hot
 * enough to wake V8's optimizing compiler before the first request, about
 * 8 MiB of resident memory for the app's whole life.
 */
const findMyWay = createRequire(import.meta.url)('find-my-way') as typeof FindMyWay;

type Router = FindMyWay.Instance<FindMyWay.HTTPVersion.V1> & {
  constrainer: { deriveConstraints(req: unknown, ctx?: unknown): Record<string, unknown> | undefined };
  compile?: () => unknown;
};

interface NotFoundEntry {
  handler: RouteHandler;
  hooks: Partial<Record<RequestHookName, HookEntry[]>> | null;
}

/** State shared by every scope of one app. */
export class Root {
  readonly options: ResolvedOptions;
  readonly log: Logger;
  readonly logEnabled: boolean;
  readonly router: Router;
  readonly notFoundRouter: Router;
  readonly routes: RouteContext[] = [];
  readonly headKeys = new Set<string>();
  readonly notFoundScopes: App[] = [];
  /** The not-found context of each scope that set a handler (after finalize). */
  readonly notFoundContexts = new Map<App, RouteContext>();
  readonly trustProxy: TrustProxy;
  /** What schema compilers need from the options (ajv, serializerOpts). */
  readonly schemaSettings: SchemaSettings;
  readonly onRequest: (raw: RawRequest, res: RawResponse) => void;
  scope!: App;
  defaultNotFound: RouteContext | null = null;
  badUrl: RouteContext | null = null;
  /** Requests seen (default ids). */
  seq = 0;
  /** Some route uses constraints: derive them per request. */
  constrained = false;
  maxBodyLimit: number;
  /** Routes are final (avvio's preReady): nothing may be added any more. */
  ready = false;
  /** The first ready() call's outcome (plugins loaded, onReady hooks run). */
  readyPromise: Promise<void> | null = null;
  listening = false;
  /** close() was called: requests are answered 503 when return503OnClosing. */
  closing = false;
  /** Options of the close() call that started closing (timeout, force, idleGrace). */
  closeOptions: CloseOptions = {};
  transport: HttpTransport | null = null;

  constructor(options: ResolvedOptions) {
    this.options = options;
    const { log, enabled } = createLogger(options.logger);
    this.log = log;
    this.logEnabled = enabled;
    this.trustProxy = options.trustProxy;
    this.schemaSettings = { ajv: options.ajv, serializerOpts: options.serializerOpts };
    this.maxBodyLimit = options.bodyLimit;
    const routerOptions = {
      ignoreTrailingSlash: options.ignoreTrailingSlash,
      ignoreDuplicateSlashes: options.ignoreDuplicateSlashes,
      caseSensitive: options.caseSensitive,
      maxParamLength: options.maxParamLength,
      // The query string is parsed on first use of req.query, not per request.
      querystringParser: (qs: string) => qs,
      ...(options.constraints ? { constraints: options.constraints } : {}),
    };
    this.router = findMyWay({ ...options.routerOptions, ...routerOptions, onBadUrl: () => {} } as FindMyWay.Config<FindMyWay.HTTPVersion.V1>) as Router;
    this.notFoundRouter = findMyWay({ ...options.routerOptions, ...routerOptions } as FindMyWay.Config<FindMyWay.HTTPVersion.V1>) as Router;
    this.onRequest = (raw, res) => handleRequest(this, raw, res);
  }

  /** Whether this request gets the "incoming request" / "request completed" lines (disableRequestLogging). */
  logsRequest(req: Request): boolean {
    const disable = this.options.disableRequestLogging;
    return disable === false ? true : disable === true ? false : !disable(req);
  }

  /** The not-found context that serves `scope` (reply.callNotFound): the nearest scope's with a not-found handler, else the root's. */
  notFoundFor(scope: App): RouteContext {
    for (let s: App | null = scope; s !== null; s = s[kParent]) {
      const ctx = this.notFoundContexts.get(s);
      if (ctx !== undefined) return ctx;
    }
    return this.defaultNotFound!;
  }

  parseQuery(qs: string): Record<string, unknown> {
    if (qs.length === 0) return {};
    const parse = this.options.querystringParser;
    return parse ? parse(qs) : parseQueryString(qs);
  }

  /** Every plugin has loaded: build the per-route data. */
  finalize(): void {
    const scope = this.scope;
    // Automatic HEAD routes for GET routes that have no HEAD of their own.
    for (const ctx of this.routes.slice()) {
      if (ctx.method !== 'GET' || !ctx.exposeHead) continue;
      if (ctx.paths.some((p) => this.headKeys.has(headKey(p, ctx.constraints)))) continue;
      mount(this, ctx.headVariant());
    }
    for (const ctx of this.routes) ctx.finalize();
    // Not-found handlers, by prefix; the root's (or the default) catches the rest.
    const taken = new Set<string>();
    const setNotFound = (s: App, entry: NotFoundEntry): RouteContext => {
      const prefix = s[kPrefix];
      const paths = prefix === '' ? ['*'] : [prefix, prefix + '/*'];
      if (taken.has(paths[0]!))
        throw createError('RS_ERR_ROUTE_INVALID', 'not-found handler', `a not-found handler is already set for prefix '${prefix || '/'}'`);
      taken.add(paths[0]!);
      const ctx = specialContext(this, s, paths[0]!, paths, entry.handler, entry.hooks);
      for (const p of paths) this.notFoundRouter.on(HTTP_METHODS as unknown as FindMyWay.HTTPMethod[], p, () => {}, ctx);
      ctx.finalize();
      this.notFoundContexts.set(s, ctx);
      return ctx;
    };
    let rootCtx: RouteContext | null = null;
    for (const s of this.notFoundScopes) {
      const ctx = setNotFound(s, s[kNotFoundHandler]!);
      if (s[kPrefix] === '' && s === scope) rootCtx = ctx;
    }
    if (rootCtx === null && !taken.has('*')) rootCtx = setNotFound(scope, { handler: defaultNotFoundHandler as RouteHandler, hooks: null });
    if (rootCtx === null) {
      rootCtx = specialContext(this, scope, '*', ['*'], defaultNotFoundHandler as RouteHandler, null);
      rootCtx.finalize();
    }
    this.defaultNotFound = rootCtx;
    const frameworkErrors = this.options.frameworkErrors;
    // frameworkErrors answers routing errors in place of the default answer, as in fastify.
    const onBadUrl =
      frameworkErrors === null ? badUrlHandler : (req: Request, reply: Reply) => frameworkErrors(createError('FST_ERR_BAD_URL', req.url), req, reply);
    this.badUrl = specialContext(this, scope, '', [], onBadUrl as RouteHandler, null);
    this.badUrl.finalize();
    this.router.compile?.();
    this.notFoundRouter.compile?.();
    this.ready = true;
  }
}

type RequestCtor = typeof Request;
type ReplyCtor = typeof Reply;
type DecoratorName = string | symbol;
type DecoratedClass = (new (...args: never[]) => object) & { [kDecoratorProps]?: [DecoratorName, unknown][] };

/** A subclass of a Request/Reply class, where decorators of one scope live. */
function extendClass<C extends DecoratedClass>(Base: C): C {
  const props: [DecoratorName, unknown][] = [];
  const B = Base as unknown as new (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => Record<DecoratorName, unknown>;
  const Sub = class extends B {
    constructor(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) {
      super(a, b, c, d, e);
      for (let i = 0; i < props.length; i++) this[props[i]![0]] = props[i]![1];
    }
  };
  (Sub as unknown as DecoratedClass)[kDecoratorProps] = props;
  return Sub as unknown as C;
}

/** Whether `scope` has its own decorated subclass under `key` (else the first decorator creates one). */
function ownsClass(scope: App, key: typeof kRequestClass | typeof kReplyClass): boolean {
  return Object.hasOwn(scope, key) && Object.hasOwn(scope[key], kDecoratorProps);
}

function classHas(Cls: DecoratedClass, fields: ReadonlySet<string>, name: DecoratorName): boolean {
  if (typeof name === 'string' && fields.has(name)) return true;
  if (name in Cls.prototype) return true;
  for (let C: DecoratedClass | null = Cls; C && C !== Function.prototype; C = Object.getPrototypeOf(C) as DecoratedClass | null) {
    if (Object.hasOwn(C, kDecoratorProps) && C[kDecoratorProps]!.some(([k]) => k === name)) return true;
  }
  return false;
}

/** `{ getter, setter }` decorates with an accessor. */
export interface DecoratorAccessor<T = unknown> {
  getter: () => T;
  setter?: (value: T) => void;
}

function isAccessor(value: unknown): value is DecoratorAccessor {
  return value !== null && typeof value === 'object' && typeof (value as DecoratorAccessor).getter === 'function';
}

function decorateClass(Cls: DecoratedClass, name: DecoratorName, value: unknown): void {
  if (typeof value === 'function') {
    Object.defineProperty(Cls.prototype, name, { value, writable: true, configurable: true });
  } else if (isAccessor(value)) {
    Object.defineProperty(Cls.prototype, name, { get: value.getter, set: value.setter, configurable: true });
  } else if (value !== null && typeof value === 'object') {
    throw createError('FST_ERR_DEC_REFERENCE_TYPE', String(name), Array.isArray(value) ? 'array' : typeof value);
  } else {
    Cls[kDecoratorProps]!.push([name, value]);
  }
}

/** fastify's checks before a decorator is added: not after start, dependencies present. */
function checkDecorator(app: App, name: DecoratorName, dependencies: DecoratorName[] | undefined, has: (d: DecoratorName) => boolean): void {
  if (app[kRoot].ready) throw createError('FST_ERR_DEC_AFTER_START', String(name));
  for (const d of dependencies ?? []) if (!has(d)) throw createError('FST_ERR_DEC_MISSING_DEPENDENCY', String(d));
}

/** decorateRequest / decorateReply: a property on this scope's own subclass. */
function decorateScopeClass(app: App, key: typeof kRequestClass | typeof kReplyClass, fields: ReadonlySet<string>, name: DecoratorName, value: unknown): void {
  if (classHas(app[key] as unknown as DecoratedClass, fields, name)) throw createError('FST_ERR_DEC_ALREADY_PRESENT', String(name));
  if (!ownsClass(app, key)) (app as unknown as Record<symbol, unknown>)[key] = extendClass(app[key] as unknown as DecoratedClass);
  decorateClass(app[key] as unknown as DecoratedClass, name, value);
}

export type HookDone = (err?: Error | null) => void;
export type OnSendDone = (err?: Error | null, payload?: unknown) => void;

/**
 * Hook shapes: an async function (or one returning nothing), or a callback
 * that takes `done` as its last parameter (declare it only if you call it).
 */
export type RequestHook = (this: App, req: Request, reply: Reply, done: HookDone) => unknown;
export type OnSendHook = (this: App, req: Request, reply: Reply, payload: unknown, done: OnSendDone) => unknown;
export type OnErrorHook = (this: App, req: Request, reply: Reply, error: Error & { statusCode?: number; code?: string }, done: HookDone) => unknown;
export type OnCloseHook = (this: App, app: App, done: HookDone) => unknown;
export type PreParsingHook = (
  this: App,
  req: Request,
  reply: Reply,
  payload: NodeJS.ReadableStream,
  done: (err?: Error | null, payload?: NodeJS.ReadableStream) => void,
) => unknown;
export type OnRequestAbortHook = (this: App, req: Request, done: HookDone) => unknown;
/** onRoute: the route's options, which the hook may change (add hooks, config) before the route is made. */
export type OnRouteHook = (this: App, routeOptions: RouteOptions & { routePath: string; prefix: string; path: string }) => void;
export type OnRegisterHook = (this: App, instance: App, opts: PluginOptions) => void;
/** onReady, onListen, preClose: `this` is the scope; async, or take done. */
export type AppHook = (this: App, done: HookDone) => unknown;

/** listen() options: core's, re-exported so apps need only @ringside/http. */
export type ListenOptions = CoreListenOptions & ProcessOptions;

/** P: the type provider (`withTypeProvider<P>()`) that types requests from route schemas. */
export class App<P extends TypeProvider = DefaultTypeProvider> {
  declare [kRoot]: Root;
  declare [kHooks]: Hooks;
  declare [kPrefix]: string;
  declare [kParent]: App | null;
  declare [kChildren]: App[];
  declare [kErrorHandler]: ErrorHandlerEntry | undefined;
  declare [kNotFoundHandler]: NotFoundEntry | undefined;
  declare [kParsers]: ContentTypeParser;
  declare [kRequestClass]: RequestCtor;
  declare [kReplyClass]: ReplyCtor;
  declare [kSerializer]: (payload: unknown) => string;
  declare [kSchemaController]: SchemaController;
  declare [kSchemaErrorFormatter]: SchemaErrorFormatter | undefined;
  declare [kPluginNameChain]: string[];
  declare [kRegisteredPlugins]: string[];
  declare [kGenReqId]: RequestIdGenerator | undefined;
  declare [kLogLevel]: string | undefined;
  declare [kAvvio]: Avvio;

  constructor(options?: AppOptions) {
    const root = new Root(resolveOptions(options));
    root.scope = this;
    this[kRoot] = root;
    this[kHooks] = new Hooks();
    this[kPrefix] = '';
    this[kParent] = null;
    this[kChildren] = [];
    this[kParsers] = new ContentTypeParser({ protoAction: root.options.onProtoPoisoning, constructorAction: root.options.onConstructorPoisoning });
    this[kRequestClass] = Request;
    this[kReplyClass] = Reply;
    this[kSerializer] = JSON.stringify;
    this[kSchemaController] = new SchemaController(null, root.options.schemaController);
    this[kSchemaErrorFormatter] = root.options.schemaErrorFormatter?.bind(this);
    this[kPluginNameChain] = ['fastify'];
    this[kRegisteredPlugins] = [];
    this[kGenReqId] = withRequestIdHeader(root.options.requestIdHeader, root.options.genReqId);
    this[kLogLevel] = undefined;
    const avvio = createLoader(this, root.options.pluginTimeout);
    // Everything is registered: routes take their final hooks, handlers and classes (fastify does this at preReady too).
    avvio.once('preReady', () => {
      // Runs first on close (avvio runs onClose handlers last added first): stop serving, then the app's onClose hooks.
      (this as unknown as Record<symbol, Function>)[kOnClose]!.call(this, (_: unknown, done: (err?: Error) => void) => {
        shutDown(root).then(() => done(), done);
      });
      root.finalize();
    });
  }

  /** The app logger (a no-op logger when logging is off). */
  get log(): Logger {
    return this[kRoot].log;
  }

  /** URL prefix of this scope ('' at the root). */
  get prefix(): string {
    return this[kPrefix];
  }

  /** The backend serving requests ('io_uring' or 'node'), once listening. */
  get backend(): BackendName | undefined {
    return this[kRoot].transport?.backend;
  }

  /** The HTTP transport, once listening (stats(), limits, backendReason). */
  get transport(): HttpTransport | null {
    return this[kRoot].transport;
  }

  /** True from the moment close() is called (e.g. by closeOnSignals): a readiness route answers 503 then. */
  get closing(): boolean {
    return this[kRoot].closing;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    return this[kRoot].transport?.address() ?? null;
  }

  /** The bound addresses (fastify's addresses()): one entry once listening. */
  addresses(): AddressInfo[] {
    const addr = this.address();
    return addr === null ? [] : [addr];
  }

  /** 'http://127.0.0.1:3000' once listening (fastify's listeningOrigin). */
  get listeningOrigin(): string | undefined {
    const addr = this.address();
    if (addr === null) return undefined;
    return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  /** The fastify version whose API this implements (plugins check their `fastify` range against it). */
  get version(): string {
    return FASTIFY_VERSION;
  }

  /** The app's options as resolved, frozen (fastify's initialConfig). */
  get initialConfig(): InitialConfig {
    return this[kRoot].options.initialConfig;
  }

  /** The name of the plugin this scope belongs to ('fastify' at the root; 'a -> b' when wrapped plugins ran in it). */
  get pluginName(): string {
    const chain = this[kPluginNameChain];
    return chain.length > 1 ? chain.join(' -> ') : chain[0]!;
  }

  /** The error handler of this scope: the nearest set with setErrorHandler(), else the default one. */
  get errorHandler(): ErrorHandler {
    return this[kErrorHandler]?.fn ?? (defaultErrorHandler as ErrorHandler);
  }

  /** The request id generator of this scope (undefined: 'req-1', 'req-2', …). */
  get genReqId(): RequestIdGenerator | undefined {
    return this[kGenReqId];
  }

  /** Methods routes may use. */
  get supportedMethods(): string[] {
    return [...HTTP_METHODS];
  }

  // ---- routes ----------------------------------------------------------------

  route<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(options: RouteOptions<RouteTypes<P, RG, S>> & { schema?: S }): this {
    const root = mutable(this, 'Cannot add route!');
    const opts = runOnRoute(this, options as unknown as RouteOptions);
    for (const ctx of parseRouteOptions(root, this, fastifyWebSocketRoute(opts.options), opts.prefix)) mount(root, ctx);
    return this;
  }

  /**
   * A WebSocket route: a GET route (hooks and encapsulation apply to the upgrade
   * request) that accepts upgrades and hands the socket's events to `handlers`;
   * other requests get 426 (or 400). See README "WebSocket".
   */
  websocket<UserData extends object = Record<string, unknown>>(path: string, handlers: WebSocketHandlers<UserData>, options?: WebSocketRouteOptions): this {
    return this.route({ method: 'GET', url: path, handler: websocketRouteHandler(handlers, options) });
  }

  /** Send to every WebSocket subscribed to `topic` on this process's transport (a no-op before listen()). */
  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress = true): void {
    this[kRoot].transport?.publish(topic, data, isBinary, compress);
  }

  /** WebSockets subscribed to `topic` on this process's transport now. */
  subscriberCount(topic: string): number {
    return this[kRoot].transport?.subscriberCount(topic) ?? 0;
  }

  get<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  /** @fastify/websocket's route: the handler gets the socket of each upgrade (plain requests get 404). */
  get<RG extends RouteGeneric = RouteGeneric>(
    path: string,
    options: RouteShorthandOptions & { websocket: true },
    handler: (this: App, socket: WebSocketLike, req: Request<RG>) => unknown,
  ): this;
  get<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  get(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'GET', path, a, b);
  }

  head<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  head<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  head(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'HEAD', path, a, b);
  }

  post<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  post<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  post(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'POST', path, a, b);
  }

  put<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  put<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  put(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'PUT', path, a, b);
  }

  patch<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  patch<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  patch(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'PATCH', path, a, b);
  }

  delete<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  delete<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  delete(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'DELETE', path, a, b);
  }

  options<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  options<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  options(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'OPTIONS', path, a, b);
  }

  /** Every method find-my-way routes. */
  all<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  all<RG extends RouteGeneric = RouteGeneric, const S extends RouteSchema = RouteSchema>(
    path: string,
    options: ShorthandOptions<P, RG, S>,
    handler?: RouteHandler<RouteTypes<P, RG, S>>,
  ): this;
  all(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, HTTP_METHODS, path, a, b);
  }

  /** Whether a route exists for method and url (after ready, automatic HEAD routes included). */
  hasRoute(options: { method: string; url: string; constraints?: Record<string, unknown> }): boolean {
    return this[kRoot].router.hasRoute(options.method.toUpperCase() as 'GET', options.url, options.constraints);
  }

  /** The route matching method and url: `{ handler, params, searchParams }`, or null. */
  findRoute(options: {
    method: string;
    url: string;
    constraints?: Record<string, unknown>;
  }): { handler: RouteHandler; params: Record<string, string | undefined>; searchParams: Record<string, unknown> } | null {
    const found = this[kRoot].router.find(options.method.toUpperCase() as 'GET', options.url || '', options.constraints) as {
      params: Record<string, string | undefined>;
      store: RouteContext | null;
      searchParams: string;
    } | null;
    if (found === null || found.store === null) return null;
    return { handler: found.store.handler, params: found.params, searchParams: this[kRoot].parseQuery(found.searchParams) };
  }

  /** Add a find-my-way constraint strategy (as the `constraints` option does). */
  addConstraintStrategy(strategy: ConstraintStrategy): this {
    const root = mutable(this, 'Cannot add constraint strategy!');
    root.router.addConstraintStrategy(strategy as never);
    root.notFoundRouter.addConstraintStrategy(strategy as never);
    return this;
  }

  hasConstraintStrategy(name: string): boolean {
    return this[kRoot].router.hasConstraintStrategy(name);
  }

  /** The route tree, for debugging. */
  printRoutes(): string {
    return this[kRoot].router.prettyPrint();
  }

  // ---- hooks -------------------------------------------------------------------

  addHook(name: 'onRequest' | 'preValidation' | 'preHandler' | 'onResponse' | 'onTimeout', fn: RequestHook): this;
  addHook(name: 'preParsing', fn: PreParsingHook): this;
  addHook(name: 'onSend' | 'preSerialization', fn: OnSendHook): this;
  addHook(name: 'onError', fn: OnErrorHook): this;
  addHook(name: 'onRequestAbort', fn: OnRequestAbortHook): this;
  addHook(name: 'onRoute', fn: OnRouteHook): this;
  addHook(name: 'onRegister', fn: OnRegisterHook): this;
  addHook(name: 'onReady' | 'onListen' | 'preClose', fn: AppHook): this;
  addHook(name: 'onClose', fn: OnCloseHook): this;
  addHook(name: HookName, fn: unknown): this {
    mutable(this, `Cannot call "addHook"!`);
    const entry = hookEntry(name, fn, this);
    if (entry.name === 'onClose') {
      this.onClose((fn as Function).bind(this) as OnCloseHook);
    } else if (entry.name === 'onRoute' || entry.name === 'onReady' || entry.name === 'onListen' || entry.name === 'preClose') {
      this[kHooks].add(entry);
    } else {
      // As fastify: added once the plugins registered before it have loaded, to this scope and every child scope made so far.
      this.after((err, done) => {
        addToTree(this, entry);
        done!(err);
      });
    }
    return this;
  }

  // ---- plugins (avvio) -------------------------------------------------------------

  /**
   * Register a plugin. It loads in order when ready(), listen() or inject() is
   * called, or at once with `await app.register(p)`.
   */
  register<Opts extends PluginOptions = PluginOptions>(plugin: PluginInput<Opts>, opts?: Opts | ((parent: App) => Opts)): this {
    mutable(this, 'Cannot call "register"!');
    if (opts !== undefined && typeof opts !== 'function' && (opts === null || typeof opts !== 'object')) {
      throw createError('RS_ERR_OPTION_INVALID', `register() options must be an object like { prefix: '/v1' }, got ${String(opts)}`);
    }
    callAvvio(() => (this as unknown as Record<symbol, Function>)[kUse]!.call(this, builtinPlugin(plugin), opts));
    return this;
  }

  /**
   * after(fn): run fn(err) once the plugins registered before it have loaded
   * (fn(err, done) or fn(err, app, done) as in avvio).
   * after(): load the plugins registered so far.
   */
  after(fn: (err: Error | null, done?: (err?: Error | null) => void) => unknown): this;
  after(): Promise<void>;
  after(fn?: Function): this | Promise<void> {
    if (fn === undefined) return (this as unknown as Record<symbol, Function>)[kAfter]!.call(this) as Promise<void>;
    if (typeof fn !== 'function') throw createError('FST_ERR_PLUGIN_CALLBACK_NOT_FN', `Callback for 'after' hook is not a function. Received: '${typeof fn}'`);
    callAvvio(() => (this as unknown as Record<symbol, Function>)[kAfter]!.call(this, fn));
    return this;
  }

  /**
   * Load every plugin, make the routes final and run the onReady hooks, once.
   * ready(cb) calls cb(err, app) instead of returning a promise.
   */
  ready(): Promise<this>;
  ready(cb: (err: Error | null, app: this) => void): undefined;
  ready(cb?: (err: Error | null, app: this) => void): Promise<this> | undefined {
    if (cb !== undefined && typeof cb !== 'function')
      throw createError('FST_ERR_PLUGIN_CALLBACK_NOT_FN', `Callback for 'ready' hook is not a function. Received: '${typeof cb}'`);
    const root = this[kRoot];
    root.readyPromise ??= new Promise<void>((resolve, reject) => {
      (root.scope as unknown as Record<symbol, Function>)[kReady]!.call(root.scope, (err: Error | null, done: () => void) => {
        if (err) reject(fromAvvio(err));
        else runAppHooks('onReady', root.scope, root.options.pluginTimeout).then(resolve, reject);
        done();
      });
    });
    const p = root.readyPromise.then(() => this);
    if (cb === undefined) return p;
    p.then(
      (app) => cb(null, app),
      (err: Error) => cb(err, this),
    );
    return undefined;
  }

  /** The plugin tree with load times, as text. */
  printPlugins(): string {
    return this[kRoot].scope[kAvvio].prettyPrint();
  }

  /** Whether a plugin of this name (fastify-plugin metadata or function name) was registered in this scope or above. */
  hasPlugin(name: string): boolean {
    return hasPlugin(this, name);
  }

  /** Run fn(app) when the app closes, after the server stopped; last added runs first. */
  onClose(fn: OnCloseHook): this {
    if (typeof fn !== 'function')
      throw createError('FST_ERR_PLUGIN_CALLBACK_NOT_FN', `Callback for 'onClose' hook is not a function. Received: '${typeof fn}'`);
    (this as unknown as Record<symbol, Function>)[kOnClose]!.call(this, fn);
    return this;
  }

  // ---- decorators --------------------------------------------------------------

  /** Add a property to this scope (and its children): a value, a function, or { getter, setter }; `dependencies` must be decorators already. */
  decorate(name: DecoratorName, value: unknown, dependencies?: DecoratorName[]): this {
    checkDecorator(this, name, dependencies, (d) => this.hasDecorator(d));
    if (name in this) throw createError('FST_ERR_DEC_ALREADY_PRESENT', String(name));
    if (isAccessor(value)) Object.defineProperty(this, name, { get: value.getter, set: value.setter, configurable: true, enumerable: true });
    else (this as unknown as Record<DecoratorName, unknown>)[name] = value;
    return this;
  }

  /** Add a property to every Request of this scope: a function, a primitive or null, or { getter, setter }. */
  decorateRequest(name: DecoratorName, value: unknown, dependencies?: DecoratorName[]): this {
    checkDecorator(this, name, dependencies, (d) => this.hasRequestDecorator(d));
    decorateScopeClass(this, kRequestClass, REQUEST_FIELDS, name, value);
    return this;
  }

  /** Add a property to every Reply of this scope. */
  decorateReply(name: DecoratorName, value: unknown, dependencies?: DecoratorName[]): this {
    checkDecorator(this, name, dependencies, (d) => this.hasReplyDecorator(d));
    decorateScopeClass(this, kReplyClass, REPLY_FIELDS, name, value);
    return this;
  }

  hasDecorator(name: DecoratorName): boolean {
    return name in this;
  }

  hasRequestDecorator(name: DecoratorName): boolean {
    return classHas(this[kRequestClass] as unknown as DecoratedClass, REQUEST_FIELDS, name);
  }

  hasReplyDecorator(name: DecoratorName): boolean {
    return classHas(this[kReplyClass] as unknown as DecoratedClass, REPLY_FIELDS, name);
  }

  /** A decorator of this scope (functions bound to the scope); FST_ERR_DEC_UNDECLARED when there is none. */
  getDecorator<T = unknown>(name: DecoratorName): T {
    if (!this.hasDecorator(name)) throw createError('FST_ERR_DEC_UNDECLARED', String(name), 'instance');
    const value = (this as unknown as Record<DecoratorName, unknown>)[name];
    return (typeof value === 'function' ? value.bind(this) : value) as T;
  }

  // ---- handlers ----------------------------------------------------------------

  /** Handle errors of this scope's routes (return a payload or call reply.send). Errors it throws go to the parent's handler. */
  setErrorHandler(handler: (this: App, error: Error & { statusCode?: number; code?: string }, req: Request, reply: Reply) => unknown): this {
    mutable(this, 'Cannot call "setErrorHandler"!');
    if (typeof handler !== 'function') throw createError('FST_ERR_ERROR_HANDLER_NOT_FN');
    this[kErrorHandler] = { fn: handler as ErrorHandler, scope: this };
    return this;
  }

  /** Answer requests that match no route under this scope's prefix. Options: { onRequest, preHandler }. */
  setNotFoundHandler(handler: RouteHandler): this;
  setNotFoundHandler(options: { onRequest?: RequestHook | RequestHook[]; preHandler?: RequestHook | RequestHook[] }, handler: RouteHandler): this;
  setNotFoundHandler(a: unknown, b?: unknown): this {
    const root = mutable(this, 'Cannot call "setNotFoundHandler"!');
    const [options, handler] = typeof a === 'function' ? [undefined, a] : [a, b];
    if (typeof handler !== 'function') throw createError('RS_ERR_ROUTE_INVALID', 'not-found handler', 'setNotFoundHandler() expects a function (req, reply)');
    const hooks = notFoundHooks(options, this);
    if (!Object.hasOwn(this, kNotFoundHandler)) root.notFoundScopes.push(this);
    this[kNotFoundHandler] = { handler: handler as RouteHandler, hooks };
    return this;
  }

  /** Request ids of this scope's routes: `(raw) => string` (requestIdHeader, when set, still wins). */
  setGenReqId(fn: (raw: RawRequest) => string): this {
    mutable(this, 'Cannot call "setGenReqId"!');
    if (typeof fn !== 'function') throw createError('RS_ERR_OPTION_INVALID', `setGenReqId() expects a function (raw) => string, got ${typeof fn}`);
    this[kGenReqId] = withRequestIdHeader(this[kRoot].options.requestIdHeader, fn);
    return this;
  }

  /** Serializer for values sent as JSON in this scope. Default JSON.stringify. */
  setReplySerializer(serializer: (payload: unknown) => string): this {
    mutable(this, 'Cannot call "setReplySerializer"!');
    if (typeof serializer !== 'function') throw createError('RS_ERR_OPTION_INVALID', 'setReplySerializer() expects a function (payload) => string');
    this[kSerializer] = serializer;
    return this;
  }

  // ---- schemas -------------------------------------------------------------------

  /** Share a schema (with an $id) with this scope's routes and its children's: reference it with { $ref: 'id#' }. */
  addSchema(schema: object): this {
    mutable(this, 'add a schema');
    ownSchemaController(this).add(schema);
    return this;
  }

  /** A schema added with addSchema() in this scope or a parent. */
  getSchema(id: string): unknown {
    return this[kSchemaController].bucket.getSchema(id);
  }

  /** The schemas visible in this scope, by $id. */
  getSchemas(): Record<string, unknown> {
    return this[kSchemaController].bucket.getSchemas();
  }

  /** Compile this scope's request schemas with `compiler` ({ schema, method, url, httpPart }) => validate. */
  setValidatorCompiler(compiler: ValidatorCompiler): this {
    mutable(this, 'set the validator compiler');
    if (typeof compiler !== 'function')
      throw createError('RS_ERR_OPTION_INVALID', 'setValidatorCompiler() expects a function ({ schema, method, url, httpPart }) => validate');
    ownSchemaController(this).setValidatorCompiler(compiler);
    return this;
  }

  /** Compile this scope's response schemas with `compiler` ({ schema, method, url, httpStatus }) => serialize. */
  setSerializerCompiler(compiler: SerializerCompiler): this {
    mutable(this, 'set the serializer compiler');
    if (typeof compiler !== 'function')
      throw createError('RS_ERR_OPTION_INVALID', 'setSerializerCompiler() expects a function ({ schema, method, url, httpStatus }) => serialize');
    ownSchemaController(this).setSerializerCompiler(compiler);
    return this;
  }

  /** The validator compiler set in (or built for) this scope; undefined before any. */
  get validatorCompiler(): ValidatorCompiler | undefined {
    return this[kSchemaController].validatorCompiler;
  }

  get serializerCompiler(): SerializerCompiler | undefined {
    return this[kSchemaController].serializerCompiler;
  }

  /** Build the Error answered for a failed validation: (errors, 'body' | 'querystring' | 'params' | 'headers') => Error. */
  setSchemaErrorFormatter(formatter: SchemaErrorFormatter): this {
    mutable(this, 'set the schema error formatter');
    if (typeof formatter !== 'function') throw createError('FST_ERR_SCHEMA_ERROR_FORMATTER_NOT_FN', typeof formatter);
    this[kSchemaErrorFormatter] = formatter.bind(this); // `this` in the formatter is the scope, as fastify
    return this;
  }

  /**
   * This app, typed with type provider `Provider` (types only, as fastify):
   * routes declared through it get req.body, req.query, req.params and
   * req.headers typed from their schema, e.g. `withTypeProvider<TypeBoxTypeProvider>()`.
   */
  withTypeProvider<Provider extends TypeProvider>(): App<Provider> {
    return this as unknown as App<Provider>;
  }

  // ---- content-type parsers ------------------------------------------------------

  /** Parse bodies of `type` ('*' catches every type without a parser). parseAs defaults to 'buffer'. */
  addContentTypeParser(
    type: string | RegExp | readonly (string | RegExp)[],
    options: { parseAs: 'string'; bodyLimit?: number },
    parser: ContentTypeParserFn<string>,
  ): this;
  addContentTypeParser(
    type: string | RegExp | readonly (string | RegExp)[],
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: ContentTypeParserFn<Buffer>,
  ): this;
  /** Without parseAs the parser gets request.raw, the body as a stream (as in fastify). */
  addContentTypeParser(
    type: string | RegExp | readonly (string | RegExp)[],
    options: { parseAs?: undefined; bodyLimit?: number },
    parser: ContentTypeParserFn<RawIncomingMessage>,
  ): this;
  addContentTypeParser(type: string | RegExp | readonly (string | RegExp)[], parser: ContentTypeParserFn<RawIncomingMessage>): this;
  addContentTypeParser(type: string | RegExp | readonly (string | RegExp)[], a: unknown, b?: unknown): this {
    mutable(this, 'Cannot call "addContentTypeParser"!');
    const [options, fn] = typeof a === 'function' ? [{}, a] : [a, b];
    if (options === null || typeof options !== 'object') throw createError('RS_ERR_CTP_INVALID', "options must be an object like { parseAs: 'string' }");
    this[kParsers].add(type, options as ContentTypeParserOptions, fn as ContentTypeParserFn, this);
    // The transport refuses bodies above the largest limit in use.
    const limit = (options as ContentTypeParserOptions).bodyLimit;
    if (limit !== undefined && limit > this[kRoot].maxBodyLimit) this[kRoot].maxBodyLimit = limit;
    return this;
  }

  hasContentTypeParser(type: string | RegExp): boolean {
    return this[kParsers].has(type);
  }

  removeContentTypeParser(type: string | RegExp | readonly (string | RegExp)[]): this {
    mutable(this, 'Cannot call "removeContentTypeParser"!');
    for (const t of (Array.isArray(type) ? type : [type]) as (string | RegExp)[]) this[kParsers].remove(t);
    return this;
  }

  removeAllContentTypeParsers(): this {
    mutable(this, 'Cannot call "removeAllContentTypeParsers"!');
    this[kParsers].removeAll();
    return this;
  }

  // ---- lifecycle -----------------------------------------------------------------

  /**
   * Load plugins, start the transport, listen. Resolves to the address
   * ('http://127.0.0.1:3000'); listen(options, cb) calls cb(err, address).
   * The onListen hooks run once it listens (their errors are logged).
   */
  listen(options?: ListenOptions): Promise<string>;
  listen(options: ListenOptions | undefined, cb: (err: Error | null, address: string) => void): undefined;
  listen(cb: (err: Error | null, address: string) => void): undefined;
  listen(a?: unknown, b?: unknown): Promise<string> | undefined {
    const [options, cb] = typeof a === 'function' ? [undefined, a] : [a, b];
    if (cb !== undefined && typeof cb !== 'function') throw createError('FST_ERR_LISTEN_OPTIONS_INVALID', String(cb));
    const p = startListening(this, options);
    if (cb === undefined) return p;
    p.then(
      (address) => (cb as Function)(null, address),
      (err: Error) => (cb as Function)(err),
    );
    return undefined;
  }

  /**
   * Close gracefully: the preClose hooks, then stop accepting, let in-flight
   * requests finish and close idle keep-alive connections (every connection
   * with forceCloseConnections: true); then the onClose hooks, last added
   * first. `timeout` (ms) destroys what is still open after it; `idleGrace` (ms)
   * keeps idle keep-alive connections open that long first (README "Deploying");
   * worker threads (listen({ workers })) close the same way. close(cb)
   * calls cb(err) instead of returning a promise.
   */
  close(options?: CloseOptions): Promise<void>;
  close(cb: (err?: Error | null) => void): undefined;
  close(a?: unknown): Promise<void> | undefined {
    const root = this[kRoot];
    const closeFn = (root.scope as unknown as Record<symbol, Function>)[kClose]!;
    if (!root.closing) {
      root.closing = true;
      if (a !== null && typeof a === 'object') root.closeOptions = a as Root['closeOptions'];
    }
    if (typeof a === 'function') {
      closeFn.call(this, (err: Error | null) => (a as Function)(err ? fromAvvio(err) : undefined));
      return undefined;
    }
    return (closeFn.call(this) as Promise<void>).catch((err: unknown) => {
      throw fromAvvio(err);
    });
  }

  /**
   * Run a request through routing, hooks and serialization without a socket.
   * inject(opts) resolves to the response, inject(opts, cb) calls cb(err, res),
   * inject() returns a chain: `app.inject().get('/').headers({...}).end()`.
   */
  inject(): InjectChain;
  inject(options: InjectOptions | string): Promise<InjectResponse>;
  inject(options: InjectOptions | string, cb: (err: Error | null, res?: InjectResponse) => void): undefined;
  inject(options?: InjectOptions | string, cb?: (err: Error | null, res?: InjectResponse) => void): Promise<InjectResponse> | InjectChain | undefined {
    if (options === undefined) return new InjectChain((opts: InjectOptions) => this.inject(opts));
    const root = this[kRoot];
    const run = async (): Promise<InjectResponse> => {
      if (root.closing) throw createError('FST_ERR_REOPENED_CLOSE_SERVER');
      await this.ready();
      return inject(root.onRequest, options);
    };
    if (cb === undefined) return run();
    run().then(
      (res) => cb(null, res),
      (err: Error) => cb(err),
    );
    return undefined;
  }
}

/** Load, start the transport, listen, then run the onListen hooks. */
async function startListening(app: App, options: unknown): Promise<string> {
  const opts = checkListenOptions(options);
  const root = app[kRoot];
  if (root.closing) throw createError('FST_ERR_REOPENED_CLOSE_SERVER');
  if (root.listening) throw createError('FST_ERR_REOPENED_SERVER');
  root.listening = true;
  let address: string;
  try {
    await app.ready();
    if (root.closing) throw createError('FST_ERR_REOPENED_CLOSE_SERVER');
    const log = root.logEnabled ? (line: string) => root.log.info(line) : undefined;
    const loop = loopListenOptions(opts, root.options.backend, log);
    const transport = createHttpTransport({
      ...(root.options.backend !== undefined ? { backend: root.options.backend } : {}),
      limits: { ...root.options.limits, bodyLimit: root.maxBodyLimit },
      onRequest: root.onRequest,
      ...(log ? { log } : {}),
    });
    root.transport = transport;
    const bound = await transport.listen(loop.listen);
    address = app.listeningOrigin!;
    root.log.info(`Server listening at ${address} (backend: ${transport.backend})`);
    await afterListen(root, (o) => app.close(o), opts, loop.count, bound.port, log);
  } catch (err) {
    root.listening = false;
    root.transport = null;
    throw err;
  }
  void runAppHooks('onListen', root.scope, 0, (err) => root.log.error({ err }, 'an onListen hook failed'));
  releaseStartupMemory();
  return address;
}

/** The first step of closing (avvio's first onClose handler): preClose hooks, then the transport. */
async function shutDown(root: Root): Promise<void> {
  root.closing = true;
  await runAppHooks('preClose', root.scope, 0, (err) => root.log.error({ err }, 'a preClose hook failed'));
  const transport = root.transport;
  if (transport === null) return;
  const { timeout, force, idleGrace } = root.closeOptions;
  const options = {
    ...(timeout !== undefined ? { timeout } : {}),
    ...(idleGrace !== undefined ? { idleGrace } : {}),
    force: force ?? root.options.forceCloseConnections === true,
  };
  const workers = closeWorkers(root, options);
  try {
    await transport.close(options);
  } catch (err) {
    root.log.error({ err }, 'closing the transport failed');
  }
  await workers;
}

/** Call into avvio, reporting its errors under fastify's codes. */
function callAvvio(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    throw fromAvvio(err);
  }
}

/** Add a hook to a scope and every scope below it (fastify's addHook, once the earlier plugins loaded). */
function addToTree(scope: App, entry: HookEntry): void {
  scope[kHooks].add(entry);
  for (const child of scope[kChildren]) addToTree(child, entry);
}

/** Makes a request id from the raw request; undefined falls back to 'req-<n>'. */
export type RequestIdGenerator = (raw: RawRequest) => string | undefined;

/** The request id: the requestIdHeader's value when set and present, else gen(raw) (undefined: the default id). */
export function withRequestIdHeader(header: string | false, gen: ((raw: RawRequest) => string) | undefined): RequestIdGenerator | undefined {
  if (header === false) return gen;
  return (raw) => {
    const v = raw.headers[header];
    return typeof v === 'string' && v !== '' ? v : gen?.(raw);
  };
}

/**
 * Call the onRoute hooks with the route's options as fastify shows them
 * (url and path with the prefix, routePath without, prefix, logLevel); a
 * hook may change them. Returns what parseRouteOptions takes.
 */
function runOnRoute(app: App, options: RouteOptions): { options: RouteOptions; prefix: string } {
  const hooks = app[kHooks].onRoute;
  const prefix = app[kPrefix];
  const logLevel = options.logLevel ?? app[kLogLevel];
  if (hooks.length === 0) return { options: logLevel === undefined ? options : { ...options, logLevel }, prefix };
  const routePath = options.url ?? options.path ?? '';
  const url = prefix + routePath;
  const view = { ...options, url, path: url, routePath, prefix, ...(logLevel !== undefined ? { logLevel } : {}) };
  for (const hook of hooks) hook.fn.call(app, view);
  const { path: _path, routePath: _routePath, prefix: _prefix, url: seenUrl, ...seen } = view;
  // Options of plugins (e.g. { helmet: false }) are for the onRoute hooks that read them, as in fastify.
  const rest = Object.fromEntries(Object.entries(seen).filter(([key]) => ROUTE_KEYS.includes(key)));
  // A hook that rewrote the url gives the full url; otherwise the prefix is applied as usual.
  return seenUrl !== url || _path !== url
    ? { options: { ...rest, url: seenUrl !== url ? seenUrl : _path } as RouteOptions, prefix: '' }
    : { options: { ...rest, url: routePath } as RouteOptions, prefix };
}

/** The app's Root, if it is still open to additions. */
function mutable(app: App, what: string): Root {
  const root = app[kRoot];
  if (root.ready) throw createError('FST_ERR_INSTANCE_ALREADY_LISTENING', what);
  return root;
}

function shorthand<T extends App>(app: T, method: string | readonly string[], path: string, a: unknown, b: unknown): T {
  let options: RouteShorthandOptions & { handler?: unknown };
  if (typeof a === 'function') {
    options = { handler: a };
  } else if (a !== null && typeof a === 'object') {
    options = b === undefined ? (a as typeof options) : { ...(a as object), handler: b };
  } else {
    throw createError(
      'RS_ERR_ROUTE_INVALID',
      `${Array.isArray(method) ? 'ALL' : method} ${JSON.stringify(path)}`,
      'expected (path, handler) or (path, options, handler)',
    );
  }
  return app.route({ ...options, method, url: path } as RouteOptions);
}

/** Create an app. */
export function createApp(options?: AppOptions): App {
  return new App(options);
}
