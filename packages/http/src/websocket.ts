/**
 * WebSocket routes. A WebSocket route is a GET route (so hooks, constraints and
 * encapsulation apply to the upgrade request as to any other) whose handler
 * accepts the transport's offer (RawRequest.websocket) and then hands the
 * socket's events to the app:
 *
 *   - app.websocket(path, { upgrade?, open, message, drain?, close?, ping?, pong? }, options?)
 *     with a uWebSockets.js-shaped socket (send, publish, subscribe, userData…);
 *   - @fastify/websocket's shape: a route with `{ websocket: true }` whose
 *     handler gets `(socket, request)`, socket an EventEmitter like `ws`'s.
 *     `app.register(require('@fastify/websocket'))` registers the built-in
 *     equivalent (fastifyWebsocket below), because the real plugin needs
 *     node:http's 'upgrade' event with a net.Socket, which the native backends
 *     do not have (they frame in C++).
 */
import { EventEmitter } from 'node:events';
import type { RawResponse, RawWebSocket, WebSocketAccept, WebSocketCompression, WebSocketEvents, WebSocketOffer, WebSocketOptions } from '@ringside/core';
import { createError } from './errors.js';
import type { App } from './app.js';
import type { Reply } from './reply.js';
import type { Request } from './request.js';
import type { RouteHandler, RouteOptions } from './route.js';
import { kPluginMeta, kSkipOverride, kTransportRequest, kTransportResponse } from './symbols.js';

/** Options of app.websocket(): the transport's WebSocket options, and which subprotocol to speak. */
export interface WebSocketRouteOptions extends Partial<WebSocketOptions> {
  /** Choose one of the client's subprotocols (in its order); undefined: none. Default: none. */
  protocols?(offered: readonly string[]): string | undefined;
}

/** What upgrade() answers: accept (true, nothing, or options with the socket's userData) or refuse (false). */
export type UpgradeDecision<UserData extends object> = boolean | undefined | (WebSocketAccept & { userData?: UserData });

/** The app's handlers of a WebSocket route; `this` is the scope the route was declared in. */
export interface WebSocketHandlers<UserData extends object = Record<string, unknown>> {
  /**
   * Decide on the upgrade, after the route's hooks: true (or nothing) accepts, false
   * refuses (403 unless reply was used), an object accepts with those options
   * (protocol, headers, limits, and the socket's userData). Answer with reply
   * yourself to refuse with another status.
   */
  upgrade?(this: App, req: Request, reply: Reply): UpgradeDecision<UserData> | Promise<UpgradeDecision<UserData>>;
  open?(this: App, ws: ServerWebSocket<UserData>, req: Request): void;
  message(this: App, ws: ServerWebSocket<UserData>, data: Buffer, isBinary: boolean): void;
  /** The socket's buffered output fell below maxBackpressure after send() returned false. */
  drain?(this: App, ws: ServerWebSocket<UserData>): void;
  close?(this: App, ws: ServerWebSocket<UserData>, code: number, reason: Buffer): void;
  ping?(this: App, ws: ServerWebSocket<UserData>, data: Buffer): void;
  pong?(this: App, ws: ServerWebSocket<UserData>, data: Buffer): void;
}

/** The socket of an app.websocket() route. */
export class ServerWebSocket<UserData extends object = Record<string, unknown>> {
  /** The app's data for this socket: upgrade()'s `userData`, else {} to fill in open(). */
  userData: UserData;
  /** Set once the transport accepted: before that the socket does not exist. */
  #raw: RawWebSocket | null = null;
  readonly remoteAddress: string;

  constructor(remoteAddress: string, userData: UserData) {
    this.remoteAddress = remoteAddress;
    this.userData = userData;
  }

  attach(raw: RawWebSocket): void {
    this.#raw = raw;
  }

  get #socket(): RawWebSocket {
    if (this.#raw === null) throw new Error('The WebSocket is not open yet: use it from open() on');
    return this.#raw;
  }

  /** The agreed subprotocol ('' when none). */
  get protocol(): string {
    return this.#raw?.protocol ?? '';
  }

  /** Send a message: a string as text, bytes as binary (unless isBinary says otherwise); compressed when permessage-deflate was agreed. False: past maxBackpressure, wait for drain(). */
  send(data: string | Uint8Array, isBinary?: boolean, compress = true): boolean {
    return this.#socket.send(data, isBinary, compress);
  }

  /** Closing handshake (code default 1000, reason up to 123 bytes); close() follows. */
  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  /** Same as close(): ends with the closing handshake. */
  end(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  /** Drop the connection without a handshake (close() gets 1006). */
  terminate(): void {
    this.#socket.terminate();
  }

  ping(data?: string | Uint8Array): void {
    this.#socket.ping(data);
  }

  subscribe(topic: string): void {
    this.#socket.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.#socket.unsubscribe(topic);
  }

  isSubscribed(topic: string): boolean {
    return this.#socket.isSubscribed(topic);
  }

  /** Send to every subscriber of `topic` but this socket. */
  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress = true): void {
    this.#socket.publish(topic, data, isBinary, compress);
  }

  /** Bytes queued for this socket and not yet taken by the kernel. */
  getBufferedAmount(): number {
    return this.#raw?.bufferedAmount ?? 0;
  }

  /** True once closed (by either side) or close()/terminate() was called. */
  get closed(): boolean {
    return this.#raw?.closed ?? false;
  }
}

// ---- answering requests that are not a valid upgrade -------------------------------------

/** 426 with Sec-WebSocket-Version: 13 when the version is missing or wrong, else 400 (RFC 6455 §4.2.2). */
function refuseNonUpgrade(req: Request, reply: Reply): Reply {
  const version = req.headers['sec-websocket-version'];
  if (version !== '13') {
    return reply.code(426).header('sec-websocket-version', '13').header('upgrade', 'websocket').send(createError('RS_ERR_WS_UPGRADE_REQUIRED'));
  }
  const why = req.method !== 'GET' ? 'not a GET request' : 'check Connection: upgrade, Upgrade: websocket, Sec-WebSocket-Key and Sec-WebSocket-Protocol';
  return reply.code(400).send(createError('RS_ERR_WS_BAD_UPGRADE', why));
}

/** The route's options without the route-only ones, as a WebSocketAccept. */
function acceptOptions(options: WebSocketRouteOptions | undefined): WebSocketAccept {
  if (options === undefined) return {};
  const { protocols: _p, ...rest } = options;
  return rest;
}

/** Switch the request's connection; the reply is done (hijacked, status 101 for logs and onResponse). */
function upgradeReply(reply: Reply, accept: WebSocketAccept, events: WebSocketEvents): RawWebSocket {
  const res: RawResponse = reply[kTransportResponse];
  reply.hijack();
  reply.statusCode = 101;
  return res.upgradeWebSocket(accept, events);
}

/** Run one of the app's socket callbacks: a throw is logged and closes the socket with 1011 (internal error). */
function guarded(req: Request, raw: () => RawWebSocket | null, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    req.log.error({ err }, 'a WebSocket handler threw; closing the socket with 1011');
    const ws = raw();
    try {
      ws?.close(1011);
    } catch {
      // A transport that refuses the code must still not leave the socket open.
      ws?.terminate();
    }
  }
}

/** The GET handler of app.websocket(path, handlers, options). */
export function websocketRouteHandler(handlers: WebSocketHandlers<any>, options?: WebSocketRouteOptions): RouteHandler {
  if (handlers === null || typeof handlers !== 'object' || typeof handlers.message !== 'function')
    throw createError('RS_ERR_ROUTE_INVALID', 'websocket()', 'the handlers must be an object with at least message(ws, data, isBinary)');
  for (const name of ['upgrade', 'open', 'drain', 'close', 'ping', 'pong'] as const) {
    if (handlers[name] !== undefined && typeof handlers[name] !== 'function')
      throw createError('RS_ERR_ROUTE_INVALID', 'websocket()', `handler "${name}" must be a function`);
  }
  if (options?.protocols !== undefined && typeof options.protocols !== 'function')
    throw createError('RS_ERR_ROUTE_INVALID', 'websocket()', 'option "protocols" must be a function (offered) => chosen');
  const base = acceptOptions(options);
  return async function websocketRoute(this: App, req: Request, reply: Reply): Promise<void> {
    const offer = req[kTransportRequest].websocket;
    if (offer === null) {
      refuseNonUpgrade(req, reply);
      return;
    }
    const decision = handlers.upgrade ? await handlers.upgrade.call(this, req, reply) : true;
    if (reply.sent) return;
    if (decision === false) {
      reply.code(403).send(createError('RS_ERR_WS_REFUSED'));
      return;
    }
    const { userData = {}, ...chosen } = typeof decision === 'object' && decision !== null ? decision : {};
    const accept: WebSocketAccept = { ...base, ...chosen };
    if (accept.protocol === undefined && options?.protocols) {
      const chosen = options.protocols(offer.protocols);
      if (chosen !== undefined) accept.protocol = chosen;
    }
    const ws = new ServerWebSocket(req[kTransportRequest].remoteAddress, userData);
    let raw: RawWebSocket | null = null;
    const get = (): RawWebSocket | null => raw;
    raw = upgradeReply(reply, accept, {
      onMessage: (data, isBinary) => guarded(req, get, () => handlers.message.call(this, ws, data, isBinary)),
      onDrain: () => handlers.drain && guarded(req, get, () => handlers.drain!.call(this, ws)),
      onPing: (data) => handlers.ping && guarded(req, get, () => handlers.ping!.call(this, ws, data)),
      onPong: (data) => handlers.pong && guarded(req, get, () => handlers.pong!.call(this, ws, data)),
      onClose: (code, reason) => {
        if (!handlers.close) return;
        try {
          handlers.close.call(this, ws, code, reason);
        } catch (err) {
          req.log.error({ err }, 'a WebSocket close handler threw');
        }
      },
    });
    ws.attach(raw);
    if (handlers.open) guarded(req, get, () => handlers.open!.call(this, ws, req));
  };
}

// ---- @fastify/websocket -----------------------------------------------------------------

/** ws's readyState values. */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

type SendCallback = (err?: Error) => void;

/**
 * The socket @fastify/websocket handlers get: the part of `ws`'s WebSocket apps
 * use. Events: 'message' (data, isBinary), 'close' (code, reason), 'ping',
 * 'pong', 'drain', 'error'.
 */
export class WebSocketLike extends EventEmitter {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;
  readonly binaryType = 'nodebuffer';
  #raw: RawWebSocket | null = null;
  #state = CONNECTING;

  attach(raw: RawWebSocket): void {
    this.#raw = raw;
    this.#state = OPEN;
  }

  /** The transport's events, forwarded. */
  events(): WebSocketEvents {
    return {
      onMessage: (data, isBinary) => this.emit('message', data, isBinary),
      onDrain: () => this.emit('drain'),
      onPing: (data) => this.emit('ping', data),
      onPong: (data) => this.emit('pong', data),
      onClose: (code, reason) => {
        this.#state = CLOSED;
        this.emit('close', code, reason);
      },
    };
  }

  get readyState(): number {
    return this.#state;
  }

  get protocol(): string {
    return this.#raw?.protocol ?? '';
  }

  get extensions(): string {
    return this.#raw?.extensions ?? '';
  }

  get bufferedAmount(): number {
    return this.#raw?.bufferedAmount ?? 0;
  }

  /** ws's send(data, [options], [cb]): options { binary, compress }; cb once queued (or with the error when not open). */
  send(data: unknown, options?: { binary?: boolean; compress?: boolean } | SendCallback, cb?: SendCallback): void {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    const payload = typeof data === 'string' || data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : String(data);
    if (this.#state !== OPEN || this.#raw === null) {
      const err = new Error(`WebSocket is not open: readyState ${this.#state} (${['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'][this.#state]})`);
      if (cb) process.nextTick(cb, err);
      return;
    }
    this.#raw.send(payload, options?.binary ?? typeof payload !== 'string', options?.compress ?? true);
    if (cb) process.nextTick(cb);
  }

  close(code?: number, reason?: string | Buffer): void {
    if (this.#state === CLOSED || this.#raw === null) return;
    this.#state = CLOSING;
    this.#raw.close(code, reason === undefined ? undefined : String(reason));
  }

  terminate(): void {
    if (this.#raw === null || this.#state === CLOSED) return;
    this.#state = CLOSING;
    this.#raw.terminate();
  }

  ping(data?: unknown, _mask?: boolean, cb?: SendCallback): void {
    if (this.#state === OPEN && this.#raw !== null)
      this.#raw.ping(data === undefined ? undefined : typeof data === 'string' || data instanceof Uint8Array ? data : String(data));
    if (cb) process.nextTick(cb);
  }
}

/** @fastify/websocket's handlers: `(socket, request)`, `this` the route's scope. */
type WsHandler = (this: App, socket: WebSocketLike, req: Request) => unknown;
type WsErrorHandler = (this: App, error: Error, socket: WebSocketLike, req: Request, reply: Reply) => unknown;

/** What `app.register(fastifyWebsocket, opts)` set for the routes of its scope. */
interface WsSettings {
  accept: WebSocketAccept;
  errorHandler: WsErrorHandler;
  /** The websocketServer decorator's socket set (broadcast loops read it). */
  clients: Set<WebSocketLike>;
}

const kWsSettings = Symbol('ringside.websocket.settings');

function defaultWsErrorHandler(this: App, error: Error, socket: WebSocketLike, req: Request): void {
  req.log.error({ err: error }, 'websocket handler failed');
  socket.terminate();
}

const defaultSettings: WsSettings = { accept: {}, errorHandler: defaultWsErrorHandler, clients: new Set() };

/**
 * A route of @fastify/websocket's shape ({ websocket: true } with handler(socket, req),
 * or wsHandler beside an HTTP handler), made an ordinary route: other requests get
 * the HTTP handler, or 404 as with the plugin.
 */
export function fastifyWebSocketRoute(options: RouteOptions & { websocket?: boolean; wsHandler?: WsHandler }): RouteOptions {
  const { websocket, wsHandler, ...rest } = options;
  if (websocket !== true && wsHandler === undefined) return rest as RouteOptions;
  const methods = Array.isArray(options.method) ? options.method : [options.method];
  if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) throw new Error('websocket handler can only be declared in GET method');
  const onSocket = (websocket === true ? options.handler : wsHandler) as unknown as WsHandler;
  if (typeof onSocket !== 'function') throw new TypeError('invalid wsHandler function');
  const http: RouteHandler = websocket === true ? (_req, reply) => reply.code(404).send() : options.handler;
  const handler = function (this: App, req: Request, reply: Reply): unknown {
    const offer = req[kTransportRequest].websocket;
    if (offer === null || req.method !== 'GET') return http.call(this, req, reply);
    return acceptFastifyStyle(this, offer, req, reply, onSocket);
  };
  return { ...rest, handler } as RouteOptions;
}

function acceptFastifyStyle(scope: App, offer: WebSocketOffer, req: Request, reply: Reply, onSocket: WsHandler): void {
  const settings = (scope as App & { [kWsSettings]?: WsSettings })[kWsSettings] ?? defaultSettings;
  const socket = new WebSocketLike();
  // As ws's default: the client's first subprotocol.
  const accept = { ...settings.accept, ...(offer.protocols.length > 0 ? { protocol: offer.protocols[0] } : {}) };
  socket.attach(upgradeReply(reply, accept, socket.events()));
  settings.clients.add(socket);
  socket.once('close', () => settings.clients.delete(socket));
  // ws-style sockets emit 'error'; without a listener EventEmitter would throw it.
  socket.on('error', (err: Error) => settings.errorHandler.call(scope, err, socket, req, reply));
  try {
    const result = onSocket.call(scope, socket, req) as Promise<unknown> | undefined;
    if (result && typeof result.catch === 'function') result.catch((err: Error) => settings.errorHandler.call(scope, err, socket, req, reply));
  } catch (err) {
    settings.errorHandler.call(scope, err as Error, socket, req, reply);
  }
}

/** @fastify/websocket's `options.perMessageDeflate` (ws's option names are ours) → compression. */
function compressionOf(value: unknown): false | WebSocketCompression {
  if (value === undefined || value === false) return false;
  if (value === true) return {};
  const v = value as Record<string, unknown>;
  const c: WebSocketCompression = {};
  for (const key of ['serverNoContextTakeover', 'clientNoContextTakeover'] as const) if (typeof v[key] === 'boolean') c[key] = v[key] as boolean;
  for (const key of ['serverMaxWindowBits', 'clientMaxWindowBits', 'threshold'] as const) if (typeof v[key] === 'number') c[key] = v[key] as number;
  return c;
}

interface FastifyWebsocketOptions {
  options?: { maxPayload?: number; perMessageDeflate?: unknown; noServer?: boolean };
  errorHandler?: WsErrorHandler;
  preClose?: (this: App, done: () => void) => unknown;
}

/**
 * The built-in @fastify/websocket: the same options (ws's maxPayload and
 * perMessageDeflate, errorHandler, preClose), the `websocketServer` decorator
 * (its `clients`), `request.ws`, and routes with `{ websocket: true }`.
 */
export function fastifyWebsocket(app: App, opts: FastifyWebsocketOptions, done: (err?: Error) => void): void {
  if (opts.errorHandler !== undefined && typeof opts.errorHandler !== 'function') {
    done(new Error('invalid errorHandler function'));
    return;
  }
  if (opts.preClose !== undefined && typeof opts.preClose !== 'function') {
    done(new Error('invalid preClose function'));
    return;
  }
  if (opts.options?.noServer) {
    done(new Error("fastify-websocket doesn't support the ws noServer option."));
    return;
  }
  const wsOptions = opts.options ?? {};
  const accept: WebSocketAccept = { compression: compressionOf(wsOptions.perMessageDeflate) };
  // ws's default maxPayload is 100 MiB; Ringside's 1 MiB unless the app says otherwise.
  if (typeof wsOptions.maxPayload === 'number') accept.maxPayload = wsOptions.maxPayload;
  const clients = new Set<WebSocketLike>();
  (app as App & { [kWsSettings]?: WsSettings })[kWsSettings] = { accept, errorHandler: opts.errorHandler ?? defaultWsErrorHandler, clients };
  app.decorate('websocketServer', { clients, options: { ...wsOptions, noServer: true } });
  app.decorateRequest('ws', {
    getter(this: Request) {
      return this[kTransportRequest].websocket !== null;
    },
  });
  app.addHook('preClose', (opts.preClose as never) ?? closeClients(clients));
  done();
}
Object.defineProperty(fastifyWebsocket, kSkipOverride, { value: true });
Object.defineProperty(fastifyWebsocket, kPluginMeta, { value: { name: '@fastify/websocket', fastify: '5.x' } });

function closeClients(clients: Set<WebSocketLike>): (this: App, done: () => void) => void {
  return (done) => {
    for (const c of clients) c.close();
    done();
  };
}

/** register(): @fastify/websocket (by its fastify-plugin name) is served by the built-in one. */
export function builtinPlugin<T>(plugin: T): T {
  if (plugin instanceof Promise) return plugin.then(builtinPlugin) as T;
  const fn = (plugin as { default?: unknown })?.default ?? plugin;
  const name = (fn as { [kPluginMeta]?: { name?: string } } | null)?.[kPluginMeta]?.name;
  return (name === '@fastify/websocket' ? fastifyWebsocket : plugin) as T;
}
