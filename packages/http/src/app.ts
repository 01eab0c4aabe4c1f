/**
 * The app: route registration, hooks, plugins, decorators, and the lifecycle
 * (ready → listen → close). Each plugin scope is an object whose prototype is
 * its parent scope (see plugin.ts); state shared by the whole app lives in
 * one Root.
 */
import { createHttpTransport, type AddressInfo, type BackendName, type ListenOptions as CoreListenOptions, type HttpTransport, type RawRequest, type RawResponse } from '@ringside/core';
import { parse as parseQueryString } from 'node:querystring';
import FindMyWay from 'find-my-way';
import { createError } from './errors.js';
import { hookEntry, Hooks, type HookEntry, type HookName } from './hooks.js';
import { ContentTypeParser, type ContentTypeParserFn, type ContentTypeParserOptions } from './content-type-parser.js';
import { createLogger, type Logger } from './logger.js';
import { checkListenOptions, resolveOptions, type AppOptions, type ResolvedOptions, type TrustProxy } from './options.js';
import { checkPluginInput, loadFrom, type PluginInput, type PluginOptions, type Queue } from './plugin.js';
import { Reply, REPLY_FIELDS, type ErrorHandler, type ErrorHandlerEntry } from './reply.js';
import { Request, REQUEST_FIELDS, type RouteGeneric } from './request.js';
import {
  badUrlHandler, defaultNotFoundHandler, handleRequest, headKey, HTTP_METHODS, mount, notFoundHooks, parseRouteOptions, specialContext,
  type RouteContext, type RouteHandler, type RouteOptions, type RouteShorthandOptions,
} from './route.js';
import { inject, type InjectOptions, type InjectResponse } from './inject.js';
import {
  kDecoratorProps, kErrorHandler, kHooks, kNotFoundHandler, kParent, kParsers, kPrefix, kQueue, kReplyClass, kRequestClass, kRoot, kSerializer,
} from './symbols.js';
import type { RequestHookName } from './hooks.js';

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
  readonly onClose: HookEntry[] = [];
  readonly genReqId: ((raw: RawRequest) => string) | undefined;
  readonly trustProxy: TrustProxy;
  readonly onRequest: (raw: RawRequest, res: RawResponse) => void;
  scope!: App;
  defaultNotFound: RouteContext | null = null;
  badUrl: RouteContext | null = null;
  /** Requests seen (default ids). */
  seq = 0;
  /** Some route uses constraints: derive them per request. */
  constrained = false;
  maxBodyLimit: number;
  ready = false;
  readyPromise: Promise<void> | null = null;
  loading = false;
  loadChain: Promise<void> = Promise.resolve();
  listening = false;
  transport: HttpTransport | null = null;
  closePromise: Promise<void> | null = null;

  constructor(options: ResolvedOptions) {
    this.options = options;
    const { log, enabled } = createLogger(options.logger);
    this.log = log;
    this.logEnabled = enabled;
    this.genReqId = options.genReqId;
    this.trustProxy = options.trustProxy;
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
    this.router = FindMyWay({ ...routerOptions, onBadUrl: () => {} } as FindMyWay.Config<FindMyWay.HTTPVersion.V1>) as Router;
    this.notFoundRouter = FindMyWay(routerOptions as FindMyWay.Config<FindMyWay.HTTPVersion.V1>) as Router;
    this.onRequest = (raw, res) => handleRequest(this, raw, res);
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
      if (taken.has(paths[0]!)) throw createError('RS_ERR_ROUTE_INVALID', 'not-found handler', `a not-found handler is already set for prefix '${prefix || '/'}'`);
      taken.add(paths[0]!);
      const ctx = specialContext(this, s, paths[0]!, paths, entry.handler, entry.hooks);
      for (const p of paths) this.notFoundRouter.on(HTTP_METHODS as unknown as FindMyWay.HTTPMethod[], p, () => {}, ctx);
      ctx.finalize();
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
    this.badUrl = specialContext(this, scope, '', [], badUrlHandler as RouteHandler, null);
    this.badUrl.finalize();
    this.router.compile?.();
    this.notFoundRouter.compile?.();
    this.ready = true;
  }
}

type RequestCtor = typeof Request;
type ReplyCtor = typeof Reply;
type DecoratedClass = (new (...args: never[]) => object) & { [kDecoratorProps]?: [string, unknown][] };

/** A subclass of a Request/Reply class, where decorators of one scope live. */
function extendClass<C extends DecoratedClass>(Base: C): C {
  const props: [string, unknown][] = [];
  const B = Base as unknown as new (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => Record<string, unknown>;
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
  return Object.prototype.hasOwnProperty.call(scope, key) && Object.prototype.hasOwnProperty.call(scope[key], kDecoratorProps);
}

function classHas(Cls: DecoratedClass, fields: ReadonlySet<string>, name: string): boolean {
  if (fields.has(name) || name in Cls.prototype) return true;
  for (let C: DecoratedClass | null = Cls; C && C !== Function.prototype; C = Object.getPrototypeOf(C) as DecoratedClass | null) {
    if (Object.prototype.hasOwnProperty.call(C, kDecoratorProps) && C[kDecoratorProps]!.some(([k]) => k === name)) return true;
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

function decorateClass(Cls: DecoratedClass, name: string, value: unknown, kind: 'request' | 'reply'): void {
  if (typeof value === 'function') {
    Object.defineProperty(Cls.prototype, name, { value, writable: true, configurable: true });
  } else if (isAccessor(value)) {
    Object.defineProperty(Cls.prototype, name, { get: value.getter, set: value.setter, configurable: true });
  } else if (value !== null && typeof value === 'object') {
    throw createError('RS_ERR_DECORATOR_REFERENCE_TYPE', name, kind, kind);
  } else {
    Cls[kDecoratorProps]!.push([name, value]);
  }
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

/** listen() options: core's, re-exported so apps need only @ringside/http. */
export type ListenOptions = CoreListenOptions;

export class App {
  declare [kRoot]: Root;
  declare [kHooks]: Hooks;
  declare [kPrefix]: string;
  declare [kParent]: App | null;
  declare [kErrorHandler]: ErrorHandlerEntry | undefined;
  declare [kNotFoundHandler]: NotFoundEntry | undefined;
  declare [kParsers]: ContentTypeParser;
  declare [kRequestClass]: RequestCtor;
  declare [kReplyClass]: ReplyCtor;
  declare [kSerializer]: (payload: unknown) => string;
  declare [kQueue]: Queue;

  constructor(options?: AppOptions) {
    const root = new Root(resolveOptions(options));
    root.scope = this;
    this[kRoot] = root;
    this[kHooks] = new Hooks();
    this[kPrefix] = '';
    this[kParent] = null;
    this[kParsers] = new ContentTypeParser();
    this[kRequestClass] = Request;
    this[kReplyClass] = Reply;
    this[kSerializer] = JSON.stringify;
    this[kQueue] = { items: [], pos: 0 };
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

  /** The bound address, once listening. */
  address(): AddressInfo | null {
    return this[kRoot].transport?.address() ?? null;
  }

  // ---- routes ----------------------------------------------------------------

  route<RG extends RouteGeneric = RouteGeneric>(options: RouteOptions<RG>): this {
    const root = mutable(this, 'add a route');
    for (const ctx of parseRouteOptions(root, this, options as unknown as RouteOptions, this[kPrefix])) mount(root, ctx);
    return this;
  }

  get<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  get<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  get(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'GET', path, a, b);
  }

  head<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  head<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  head(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'HEAD', path, a, b);
  }

  post<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  post<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  post(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'POST', path, a, b);
  }

  put<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  put<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  put(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'PUT', path, a, b);
  }

  patch<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  patch<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  patch(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'PATCH', path, a, b);
  }

  delete<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  delete<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  delete(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'DELETE', path, a, b);
  }

  options<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  options<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  options(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, 'OPTIONS', path, a, b);
  }

  /** Every method find-my-way routes. */
  all<RG extends RouteGeneric = RouteGeneric>(path: string, handler: RouteHandler<RG>): this;
  all<RG extends RouteGeneric = RouteGeneric>(path: string, options: RouteShorthandOptions & { handler?: RouteHandler<RG> }, handler?: RouteHandler<RG>): this;
  all(path: string, a: unknown, b?: unknown): this {
    return shorthand(this, HTTP_METHODS, path, a, b);
  }

  /** Whether a route exists for method and url (after ready, automatic HEAD routes included). */
  hasRoute(options: { method: string; url: string; constraints?: Record<string, unknown> }): boolean {
    return this[kRoot].router.hasRoute(options.method.toUpperCase() as 'GET', options.url, options.constraints);
  }

  /** The route tree, for debugging. */
  printRoutes(): string {
    return this[kRoot].router.prettyPrint();
  }

  // ---- hooks -------------------------------------------------------------------

  addHook(name: 'onRequest' | 'preHandler' | 'onResponse', fn: RequestHook): this;
  addHook(name: 'onSend', fn: OnSendHook): this;
  addHook(name: 'onError', fn: OnErrorHook): this;
  addHook(name: 'onClose', fn: OnCloseHook): this;
  addHook(name: HookName, fn: unknown): this {
    const root = mutable(this, `add a ${String(name)} hook`);
    const entry = hookEntry(name, fn, this);
    if (entry.name === 'onClose') root.onClose.push(entry);
    else this[kHooks].add(entry);
    return this;
  }

  // ---- plugins -------------------------------------------------------------------

  /** Register a plugin; it loads (in order) when ready(), listen() or inject() is called. */
  register<Opts extends PluginOptions = PluginOptions>(plugin: PluginInput<Opts>, opts?: Opts): this {
    mutable(this, 'register a plugin');
    checkPluginInput(plugin);
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw createError('RS_ERR_OPTION_INVALID', `register() options must be an object like { prefix: '/v1' }, got ${String(opts)}`);
    this[kQueue].items.push({ plugin: plugin as PluginInput, opts: opts ?? {} });
    return this;
  }

  /**
   * after(fn): run fn once the plugins registered before it have loaded.
   * after(): load the plugins registered so far; resolves to the app.
   */
  after(fn: (err?: Error) => unknown): this;
  after(): Promise<this>;
  after(fn?: (err?: Error) => unknown): this | Promise<this> {
    if (fn === undefined) return loadFrom(this).then(() => this);
    mutable(this, 'add an after() callback');
    if (typeof fn !== 'function') throw createError('RS_ERR_PLUGIN_NOT_FUNCTION', typeof fn);
    this[kQueue].items.push({ after: fn });
    return this;
  }

  /** Load every plugin and prepare the routes. Idempotent. */
  ready(): Promise<this> {
    const root = this[kRoot];
    root.readyPromise ??= loadFrom(root.scope).then(() => root.finalize());
    return root.readyPromise.then(() => this);
  }

  // ---- decorators --------------------------------------------------------------

  /** Add a property to this scope (and its children): a value, a function, or { getter, setter }. */
  decorate(name: string, value: unknown): this {
    mutable(this, `decorate '${name}'`);
    if (name in this) throw createError('RS_ERR_DECORATOR_EXISTS', name);
    if (isAccessor(value)) Object.defineProperty(this, name, { get: value.getter, set: value.setter, configurable: true, enumerable: true });
    else (this as unknown as Record<string, unknown>)[name] = value;
    return this;
  }

  /** Add a property to every Request of this scope: a function, a primitive or null, or { getter, setter }. */
  decorateRequest(name: string, value: unknown): this {
    mutable(this, `decorate the request with '${name}'`);
    if (classHas(this[kRequestClass] as unknown as DecoratedClass, REQUEST_FIELDS, name)) throw createError('RS_ERR_DECORATOR_EXISTS', name);
    if (!ownsClass(this, kRequestClass)) this[kRequestClass] = extendClass(this[kRequestClass] as unknown as DecoratedClass) as unknown as RequestCtor;
    decorateClass(this[kRequestClass] as unknown as DecoratedClass, name, value, 'request');
    return this;
  }

  /** Add a property to every Reply of this scope. */
  decorateReply(name: string, value: unknown): this {
    mutable(this, `decorate the reply with '${name}'`);
    if (classHas(this[kReplyClass] as unknown as DecoratedClass, REPLY_FIELDS, name)) throw createError('RS_ERR_DECORATOR_EXISTS', name);
    if (!ownsClass(this, kReplyClass)) this[kReplyClass] = extendClass(this[kReplyClass] as unknown as DecoratedClass) as unknown as ReplyCtor;
    decorateClass(this[kReplyClass] as unknown as DecoratedClass, name, value, 'reply');
    return this;
  }

  hasDecorator(name: string): boolean {
    return name in this;
  }

  hasRequestDecorator(name: string): boolean {
    return classHas(this[kRequestClass] as unknown as DecoratedClass, REQUEST_FIELDS, name);
  }

  hasReplyDecorator(name: string): boolean {
    return classHas(this[kReplyClass] as unknown as DecoratedClass, REPLY_FIELDS, name);
  }

  // ---- handlers ----------------------------------------------------------------

  /** Handle errors of this scope's routes (return a payload or call reply.send). Errors it throws go to the parent's handler. */
  setErrorHandler(handler: (this: App, error: Error & { statusCode?: number; code?: string }, req: Request, reply: Reply) => unknown): this {
    mutable(this, 'set an error handler');
    if (typeof handler !== 'function') throw createError('RS_ERR_ROUTE_INVALID', 'error handler', 'setErrorHandler() expects a function (error, req, reply)');
    this[kErrorHandler] = { fn: handler as ErrorHandler, scope: this };
    return this;
  }

  /** Answer requests that match no route under this scope's prefix. Options: { onRequest, preHandler }. */
  setNotFoundHandler(handler: RouteHandler): this;
  setNotFoundHandler(options: { onRequest?: RequestHook | RequestHook[]; preHandler?: RequestHook | RequestHook[] }, handler: RouteHandler): this;
  setNotFoundHandler(a: unknown, b?: unknown): this {
    const root = mutable(this, 'set a not-found handler');
    const [options, handler] = typeof a === 'function' ? [undefined, a] : [a, b];
    if (typeof handler !== 'function') throw createError('RS_ERR_ROUTE_INVALID', 'not-found handler', 'setNotFoundHandler() expects a function (req, reply)');
    const hooks = notFoundHooks(options, this);
    if (!Object.prototype.hasOwnProperty.call(this, kNotFoundHandler)) root.notFoundScopes.push(this);
    this[kNotFoundHandler] = { handler: handler as RouteHandler, hooks };
    return this;
  }

  /** Serializer for values sent as JSON in this scope. Default JSON.stringify. */
  setReplySerializer(serializer: (payload: unknown) => string): this {
    mutable(this, 'set a reply serializer');
    if (typeof serializer !== 'function') throw createError('RS_ERR_OPTION_INVALID', 'setReplySerializer() expects a function (payload) => string');
    this[kSerializer] = serializer;
    return this;
  }

  // ---- content-type parsers ------------------------------------------------------

  /** Parse bodies of `type` ('*' catches every type without a parser). parseAs defaults to 'buffer'. */
  addContentTypeParser(type: string | RegExp | readonly (string | RegExp)[], options: { parseAs: 'string' }, parser: ContentTypeParserFn<string>): this;
  addContentTypeParser(type: string | RegExp | readonly (string | RegExp)[], options: { parseAs?: 'buffer' }, parser: ContentTypeParserFn<Buffer>): this;
  addContentTypeParser(type: string | RegExp | readonly (string | RegExp)[], parser: ContentTypeParserFn<Buffer>): this;
  addContentTypeParser(type: string | RegExp | readonly (string | RegExp)[], a: unknown, b?: unknown): this {
    mutable(this, 'add a content-type parser');
    const [options, fn] = typeof a === 'function' ? [{}, a] : [a, b];
    if (options === null || typeof options !== 'object') throw createError('RS_ERR_CTP_INVALID', 'options must be an object like { parseAs: \'string\' }');
    this[kParsers].add(type, options as ContentTypeParserOptions, fn as ContentTypeParserFn, this);
    return this;
  }

  hasContentTypeParser(type: string | RegExp): boolean {
    return this[kParsers].has(type);
  }

  removeContentTypeParser(type: string | RegExp | readonly (string | RegExp)[]): this {
    mutable(this, 'remove a content-type parser');
    for (const t of (Array.isArray(type) ? type : [type]) as (string | RegExp)[]) this[kParsers].remove(t);
    return this;
  }

  removeAllContentTypeParsers(): this {
    mutable(this, 'remove content-type parsers');
    this[kParsers].removeAll();
    return this;
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** Load plugins, start the transport, listen. Resolves to the bound address. */
  async listen(options?: ListenOptions): Promise<AddressInfo> {
    const opts = checkListenOptions(options);
    const root = this[kRoot];
    if (root.closePromise) throw createError('RS_ERR_APP_CLOSED');
    if (root.listening) throw createError('RS_ERR_APP_ALREADY_LISTENING');
    root.listening = true;
    try {
      await this.ready();
      if (root.closePromise) throw createError('RS_ERR_APP_CLOSED');
      const transport = createHttpTransport({
        ...(root.options.backend !== undefined ? { backend: root.options.backend } : {}),
        limits: { ...root.options.limits, bodyLimit: root.maxBodyLimit },
        onRequest: root.onRequest,
        ...(root.logEnabled ? { log: (line: string) => root.log.info(line) } : {}),
      });
      root.transport = transport;
      const addr = await transport.listen(opts);
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      root.log.info(`Server listening at http://${host}:${addr.port} (backend: ${transport.backend})`);
      return addr;
    } catch (err) {
      root.listening = false;
      root.transport = null;
      throw err;
    }
  }

  /**
   * Close gracefully: stop accepting, let in-flight requests finish, close
   * idle keep-alive connections; then run the onClose hooks (last added first).
   * `timeout` (ms) destroys what is still open after it.
   */
  close(options: { timeout?: number; force?: boolean } = {}): Promise<void> {
    const root = this[kRoot];
    root.closePromise ??= (async () => {
      const transport = root.transport;
      if (transport) {
        try {
          await transport.close(options);
        } catch (err) {
          root.log.error({ err }, 'closing the transport failed');
        }
      }
      for (const hook of root.onClose.slice().reverse()) {
        try {
          await callCloseHook(hook);
        } catch (err) {
          root.log.error({ err }, 'an onClose hook failed');
        }
      }
    })();
    return root.closePromise;
  }

  /** Run a request through routing, hooks and serialization without a socket. */
  async inject(options: InjectOptions | string): Promise<InjectResponse> {
    const root = this[kRoot];
    if (root.closePromise) throw createError('RS_ERR_APP_CLOSED');
    await this.ready();
    return inject(root.onRequest, options);
  }
}

/** The app's Root, if it is still open to additions. */
function mutable(app: App, what: string): Root {
  const root = app[kRoot];
  if (root.ready) throw createError('RS_ERR_APP_ALREADY_STARTED', what);
  return root;
}

function shorthand<T extends App>(app: T, method: string | readonly string[], path: string, a: unknown, b: unknown): T {
  let options: RouteShorthandOptions & { handler?: unknown };
  if (typeof a === 'function') {
    options = { handler: a };
  } else if (a !== null && typeof a === 'object') {
    options = b === undefined ? (a as typeof options) : { ...(a as object), handler: b };
  } else {
    throw createError('RS_ERR_ROUTE_INVALID', `${Array.isArray(method) ? 'ALL' : method} ${JSON.stringify(path)}`, 'expected (path, handler) or (path, options, handler)');
  }
  return app.route({ ...options, method, url: path } as RouteOptions);
}

function callCloseHook(hook: HookEntry): Promise<unknown> {
  const fn = hook.fn as (this: unknown, app: unknown, done?: HookDone) => unknown;
  if (hook.callback) {
    return new Promise<void>((resolve, reject) => {
      fn.call(hook.scope, hook.scope, (err) => (err ? reject(err) : resolve()));
    });
  }
  return Promise.resolve(fn.call(hook.scope, hook.scope));
}

/** Create an app. */
export function createApp(options?: AppOptions): App {
  return new App(options);
}
