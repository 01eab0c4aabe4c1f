/**
 * The request a handler sees. Fields are assigned in the constructor (one
 * hidden class); what is rarely read (query, id, ip, log) is computed on
 * first use. Method, url and headers are the transport's JS strings, valid
 * for the whole life of the request.
 */
import type { IncomingHeaders, RawRequest } from '@ringside/core';
import { nullLogger, type Logger } from './logger.js';
import { kBodyState, kContext, kId, kLog, kQuery, kQueryString, kSeq, kStart } from './symbols.js';
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
  /** The transport's request. */
  declare readonly raw: RawRequest;
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
  declare [kContext]: RouteContext;
  declare [kQueryString]: string;
  declare [kQuery]: QueryOf<RG> | undefined;
  declare [kSeq]: number;
  declare [kId]: string | undefined;
  declare [kLog]: Logger | undefined;
  declare [kStart]: number;
  declare [kBodyState]: number;

  constructor(raw: RawRequest, params: Record<string, string | undefined>, queryString: string, ctx: RouteContext, seq: number) {
    this.raw = raw;
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
      const gen = this[kContext].root.genReqId;
      id = gen === undefined ? 'req-' + this[kSeq] : String(gen(this.raw));
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
    const remote = this.raw.remoteAddress;
    const trust = this[kContext].root.trustProxy;
    if (trust === false) return [remote];
    const xff = this.headers['x-forwarded-for'];
    if (xff === undefined || xff === '') return [remote];
    const forwarded = (typeof xff === 'string' ? xff : xff.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
    // Nearest first: the peer, then the forwarded entries from right to left.
    const chain = [remote, ...forwarded.reverse()];
    let hops: number;
    if (trust === true) hops = chain.length - 1;
    else if (typeof trust === 'number') hops = Math.min(trust, chain.length - 1);
    else {
      hops = 0;
      while (hops < chain.length - 1 && trust.has(chain[hops]!)) hops++;
    }
    return chain.slice(0, hops + 1);
  }

  /** Host header (with port), or X-Forwarded-Host when the proxy is trusted. */
  get host(): string {
    const fwd = trusted(this) ? this.headers['x-forwarded-host'] : undefined;
    const h = (typeof fwd === 'string' && fwd !== '' ? fwd.split(',')[0]!.trim() : undefined) ?? this.headers.host;
    return typeof h === 'string' ? h : h?.[0] ?? '';
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
    return typeof fwd === 'string' && fwd !== '' ? fwd.split(',')[0]!.trim().toLowerCase() : 'http';
  }

  /** A child of the app logger with this request's id (the no-op logger when logging is off). */
  get log(): Logger {
    let log = this[kLog];
    if (log === undefined) {
      const root = this[kContext].root;
      log = root.logEnabled ? root.log.child({ reqId: this.id }) : nullLogger;
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
}

/** Whether the peer is a proxy whose X-Forwarded-* headers count. */
function trusted(req: Request): boolean {
  const trust = req[kContext].root.trustProxy;
  if (trust === false) return false;
  if (trust === true) return true;
  if (typeof trust === 'number') return trust > 0;
  return trust.has(req.raw.remoteAddress);
}

/** Properties every Request has, which decorateRequest may not reuse. */
export const REQUEST_FIELDS = new Set(['raw', 'method', 'url', 'headers', 'params', 'body']);
