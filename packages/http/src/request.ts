/**
 * The request a handler sees. Fields are assigned in the constructor (one
 * hidden class); what is rarely read (query, id, ip, log) is computed on
 * first use. Method, url and headers are the transport's JS strings, valid
 * for the whole life of the request.
 */
import type { IncomingHeaders, RawRequest, RawResponse } from '@ringside/core';
import { createError } from './errors.js';
import { nullLogger, type Logger } from './logger.js';
import { RawIncomingMessage, type RawSocket } from './raw-request.js';
import { kBodyState, kContext, kId, kLog, kNodeRequest, kQuery, kQueryString, kSeq, kStart, kTransportRequest, kTransportResponse } from './symbols.js';
import { compileValidationSchema, getValidationFunction, validateInput } from './validation.js';
import type { HttpPart, ValidateFunction } from './schemas.js';
import type { App } from './app.js';
import type { RouteContext, RouteOptionsView } from './route.js';

/** Types of one route's request parts, for `app.get<{ Params: { id: string } }>(…)`. */
export interface RouteGeneric {
  Params?: unknown;
  Querystring?: unknown;
  Body?: unknown;
  Headers?: unknown;
}

type Pick_<RG, K extends string, D> = RG extends { [P in K]: infer T } ? T : D;
export type ParamsOf<RG> = Pick_<RG, 'Params', Record<string, string>>;
export type QueryOf<RG> = Pick_<RG, 'Querystring', Record<string, string | string[] | undefined>>;
export type BodyOf<RG> = Pick_<RG, 'Body', unknown>;
export type HeadersOf<RG> = Pick_<RG, 'Headers', unknown> & IncomingHeaders;

export class Request<RG extends RouteGeneric = RouteGeneric> {
  /** Upper-case method as sent. */
  declare readonly method: string;
  /** Request-target as sent (path and query). */
  declare readonly url: string;
  /** Lower-case names, as the transport parsed them. */
  declare readonly headers: HeadersOf<RG>;
  /** Route parameters (`/user/:id` → `{ id }`; a wildcard is `'*'`). */
  declare params: ParamsOf<RG>;
  /** The parsed body (see content-type parsers); undefined when the request has none. */
  declare body: BodyOf<RG>;
  /** The validation failure of a route with attachValidation: true (set only when validation failed). */
  declare validationError?: Error & { validation?: unknown; validationContext?: string };
  declare [kContext]: RouteContext;
  declare [kQueryString]: string;
  declare [kQuery]: QueryOf<RG> | undefined;
  declare [kSeq]: number;
  declare [kId]: string | undefined;
  declare [kLog]: Logger | undefined;
  declare [kStart]: number;
  declare [kBodyState]: number;
  declare [kTransportRequest]: RawRequest;
  /** Set by the Reply built for this request. */
  declare [kTransportResponse]: RawResponse;
  declare [kNodeRequest]: RawIncomingMessage | null;

  constructor(raw: RawRequest, params: Record<string, string | undefined>, queryString: string, ctx: RouteContext, seq: number) {
    this[kTransportRequest] = raw;
    this[kTransportResponse] = null!;
    this[kNodeRequest] = null;
    this.method = raw.method;
    this.url = raw.url;
    this.headers = raw.headers as HeadersOf<RG>;
    this.params = params as ParamsOf<RG>;
    this.body = undefined as BodyOf<RG>;
    this[kContext] = ctx;
    this[kQueryString] = queryString;
    this[kQuery] = undefined;
    this[kSeq] = seq;
    this[kId] = undefined;
    this[kLog] = undefined;
    this[kStart] = 0;
    this[kBodyState] = 0;
  }

  /** node's http.IncomingMessage shape (a Readable of the body), built on first use. */
  get raw(): RawIncomingMessage {
    return (this[kNodeRequest] ??= new RawIncomingMessage(this));
  }

  /** request.raw.socket: the connection's addresses. */
  get socket(): RawSocket {
    return this.raw.socket;
  }

  /** The parsed query string (an empty object when there is none). */
  get query(): QueryOf<RG> {
    let q = this[kQuery];
    if (q === undefined) {
      q = this[kContext].root.parseQuery(this[kQueryString]) as QueryOf<RG>;
      this[kQuery] = q;
    }
    return q;
  }

  set query(value: QueryOf<RG>) {
    this[kQuery] = value;
  }

  /** The path, without the query string. */
  get path(): string {
    const url = this.url;
    const q = url.indexOf('?');
    return q === -1 ? url : url.slice(0, q);
  }

  /** 'req-1', 'req-2', … or the app's genReqId(raw). */
  get id(): string {
    let id = this[kId];
    if (id === undefined) {
      const gen = this[kContext].genReqId;
      const made = gen === undefined ? undefined : gen(this.raw as never);
      id = made === undefined || made === null ? 'req-' + this[kSeq] : String(made);
      this[kId] = id;
    }
    return id;
  }

  /** Client address: the peer, or from X-Forwarded-For when trustProxy allows. */
  get ip(): string {
    const ips = this.ips;
    return ips[ips.length - 1]!;
  }

  /**
   * The trusted address chain, client last: [peer] without trustProxy;
   * otherwise the peer and the X-Forwarded-For entries the proxies vouch for.
   */
  get ips(): string[] {
    const remote = this[kTransportRequest].remoteAddress;
    const trust = this[kContext].root.trustProxy;
    if (trust === false) return [remote];
    const xff = this.headers['x-forwarded-for'];
    if (xff === undefined || xff === '') return [remote];
    const forwarded = (typeof xff === 'string' ? xff : xff.join(','))
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    // Nearest first: the peer, then the forwarded entries from right to left.
    const chain = [remote, ...forwarded.reverse()];
    // As proxy-addr's all(): stop at the first address that is not a trusted proxy.
    let hops = 0;
    while (hops < chain.length - 1 && trust(chain[hops]!, hops)) hops++;
    return chain.slice(0, hops + 1);
  }

  /** Host header (with port), or X-Forwarded-Host when the proxy is trusted. */
  get host(): string {
    const fwd = trusted(this) ? this.headers['x-forwarded-host'] : undefined;
    const h = (typeof fwd === 'string' && fwd !== '' ? lastEntry(fwd) : undefined) ?? this.headers.host;
    return typeof h === 'string' ? h : (h?.[0] ?? '');
  }

  /** host without the port. */
  get hostname(): string {
    const host = this.host;
    if (host.startsWith('[')) {
      const end = host.indexOf(']');
      return end === -1 ? host : host.slice(0, end + 1);
    }
    const colon = host.indexOf(':');
    return colon === -1 ? host : host.slice(0, colon);
  }

  /** 'http', or X-Forwarded-Proto when the proxy is trusted. */
  get protocol(): string {
    const fwd = trusted(this) ? this.headers['x-forwarded-proto'] : undefined;
    return typeof fwd === 'string' && fwd !== '' ? lastEntry(fwd) : 'http';
  }

  /** A child of the app logger with this request's id (the no-op logger when logging is off). */
  get log(): Logger {
    let log = this[kLog];
    if (log === undefined) {
      const root = this[kContext].root;
      const level = this[kContext].logLevel;
      log = root.logEnabled ? root.log.child({ [root.options.requestIdLogLabel]: this.id }, ...(level !== undefined ? [{ level }] : [])) : nullLogger;
      this[kLog] = log;
    }
    return log;
  }

  set log(value: Logger) {
    this[kLog] = value;
  }

  /** The matched route's options: method, url (the pattern), bodyLimit, config. */
  get routeOptions(): RouteOptionsView {
    return this[kContext].routeOptions;
  }

  /** The route pattern, e.g. '/user/:id'. */
  get routerPath(): string {
    return this[kContext].url;
  }

  /** True when no route matched (the not-found handler runs). */
  get is404(): boolean {
    return this[kContext].notFound;
  }

  /** The app scope of the matched route. */
  get server(): App {
    return this[kContext].scope;
  }

  /** A decorateRequest() decorator of this request (functions bound to it); FST_ERR_DEC_UNDECLARED when there is none. */
  getDecorator<T = unknown>(name: string | symbol): T {
    const value = (this as unknown as Record<string | symbol, unknown>)[declared(this, name)];
    return (typeof value === 'function' ? value.bind(this) : value) as T;
  }

  /** Set this request's value of a decorateRequest() decorator. */
  setDecorator(name: string | symbol, value: unknown): void {
    (this as unknown as Record<string | symbol, unknown>)[declared(this, name)] = value;
  }

  /** The route's validator for 'body' | 'querystring' | 'params' | 'headers', or the one compiled for a schema object. */
  getValidationFunction(partOrSchema: string | object): ValidateFunction | undefined {
    return getValidationFunction(this, partOrSchema);
  }

  /** Compile a schema with the route's validator compiler (cached per route and schema object). */
  compileValidationSchema(schema: object, httpPart?: HttpPart): ValidateFunction {
    return compileValidationSchema(this, schema, httpPart ?? null);
  }

  /** Validate `input` with a schema, or with the route's validator for an HTTP part. */
  validateInput(input: unknown, schema: object | string, httpPart?: string): unknown {
    return validateInput(this, input, schema, httpPart);
  }
}

/** Whether the peer is a proxy whose X-Forwarded-* headers count. */
function trusted(req: Request): boolean {
  const trust = req[kContext].root.trustProxy;
  return trust !== false && trust(req[kTransportRequest].remoteAddress, 0);
}

/** The nearest proxy's value of a repeated X-Forwarded-Host/-Proto (the last entry), as fastify. */
function lastEntry(value: string): string {
  const comma = value.lastIndexOf(',');
  return (comma === -1 ? value : value.slice(comma + 1)).trim();
}

/** `name`, if it is a request decorator of the request's scope. */
function declared(req: Request, name: string | symbol): string | symbol {
  if (!req.server.hasRequestDecorator(name)) throw createError('FST_ERR_DEC_UNDECLARED', String(name), 'request');
  return name;
}

/** Properties every Request has, which decorateRequest may not reuse. */
export const REQUEST_FIELDS = new Set(['raw', 'method', 'url', 'headers', 'params', 'body']);
