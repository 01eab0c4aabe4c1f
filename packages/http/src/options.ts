/**
 * createApp() options: defaults and validation at start-up, with messages
 * that say what to do.
 */
import {
  defaultHttpLimits,
  httpLimitProblem,
  resolveHttpLimits,
  type BackendChoice,
  type HttpLimits,
  type ListenOptions,
  type RawRequest,
} from '@ringside/core';
import { createRequire } from 'node:module';
import type proxyAddr from '@fastify/proxy-addr';
import { createError } from './errors.js';
import type { AjvOption, SchemaControllerOptions, SchemaErrorFormatter } from './schemas.js';
import { processOptionsProblem, type ProcessOptions } from './process.js';
import type { Logger, LoggerOption } from './logger.js';

/** A find-my-way constraint strategy (custom `constraints` option). */
export interface ConstraintStrategy {
  name: string;
  mustMatchWhenDerived?: boolean;
  storage(): { get(value: unknown): unknown; set(value: unknown, store: unknown): void };
  validate?(value: unknown): void;
  deriveConstraint(req: RawRequest, ctx?: unknown): unknown;
}

export interface AppOptions extends Partial<HttpLimits> {
  /** Logging: `true`, pino options (with an optional `stream`), or a pino instance. Default off. */
  logger?: LoggerOption;
  /** Transport backend. Default: the RINGSIDE_BACKEND environment variable, else 'auto'. */
  backend?: BackendChoice;
  /** Request ids; default 'req-1', 'req-2', … */
  genReqId?: (raw: RawRequest) => string;
  /**
   * Trust X-Forwarded-* headers for req.ip / req.hostname / req.protocol:
   * `true` (trust all hops), a number of hops, proxy addresses or CIDR ranges
   * (string, comma list or array; 'loopback', 'linklocal', 'uniquelocal'), or
   * a function (address, hop) => boolean. Default false.
   */
  trustProxy?: boolean | number | string | readonly string[] | TrustProxyFn;
  /** ajv settings for the default validator compiler: { customOptions, plugins, onCreate }. */
  ajv?: AjvOption;
  /** Replace the schema bucket or the compiler factories: { bucket, compilersFactory: { buildValidator, buildSerializer } }. */
  schemaController?: SchemaControllerOptions;
  /** The app's schema error formatter (see setSchemaErrorFormatter). */
  schemaErrorFormatter?: SchemaErrorFormatter;
  /** fast-json-stringify options for the default serializer compiler. */
  serializerOpts?: Record<string, unknown>;
  /** A JSON body with a "__proto__" key: 'error' (400, default), 'remove' it, or 'ignore'. */
  onProtoPoisoning?: PoisoningAction;
  /** A JSON body with "constructor": { "prototype": … }: 'error' (400, default), 'remove' it, or 'ignore'. */
  onConstructorPoisoning?: PoisoningAction;
  /** '/a/' matches '/a'. Default false. */
  ignoreTrailingSlash?: boolean;
  /** '//a' matches '/a'. Default false. */
  ignoreDuplicateSlashes?: boolean;
  /** Static path segments match case-sensitively. Default true. */
  caseSensitive?: boolean;
  /** Longest parameter value matched, in characters. Default 100. */
  maxParamLength?: number;
  /** Add a HEAD route for every GET route. Default true. */
  exposeHeadRoutes?: boolean;
  /** Parse query strings; default node:querystring's parse. */
  querystringParser?: (query: string) => Record<string, unknown>;
  /** Custom find-my-way constraint strategies (version and host are built in). */
  constraints?: Record<string, ConstraintStrategy>;
  /** A pino (-compatible) logger to use (fastify 5's way to pass an instance). */
  loggerInstance?: Logger;
  /** Take the request id from this request header when present (lower-cased), e.g. 'x-request-id'. Default false. */
  requestIdHeader?: string | false;
  /** Key of the request id in log lines. Default 'reqId'. */
  requestIdLogLabel?: string;
  /** No "incoming request" / "request completed" log lines: true, or (request) => boolean per request. Default false. */
  disableRequestLogging?: boolean | ((request: any) => boolean);
  /** close(): true destroys every connection at once; 'idle' (default) closes idle keep-alive connections and lets in-flight requests finish. */
  forceCloseConnections?: boolean | 'idle';
  /** A request must be answered within this many ms (0 = off); Ringside applies it as requestTimeout. */
  connectionTimeout?: number;
  /** find-my-way options (ignoreTrailingSlash, ignoreDuplicateSlashes, caseSensitive, maxParamLength, constraints, …). */
  routerOptions?: Record<string, unknown>;
  /** Longest time a plugin (or onReady hook) may take to load, ms (0 = no limit). Default 10 000. */
  pluginTimeout?: number;
  /** Requests that arrive while the app closes are answered 503. Default true. */
  return503OnClosing?: boolean;
  /** Called instead of the default answer for routing errors (a bad URL): (error, req, reply). */
  frameworkErrors?: ((error: Error, req: any, reply: any) => unknown) | null;
  /** Refused: see UNSUPPORTED_OPTIONS. */
  clientErrorHandler?: never;
  serverFactory?: never;
  http2?: false;
  https?: null;
}

/** fastify options whose feature Ringside does not have, and why; each is refused when set. */
const UNSUPPORTED_OPTIONS: Record<string, string> = {
  http2: 'Ringside serves HTTP/1.1; terminate HTTP/2 at a proxy (nginx, HAProxy, Envoy) in front of it',
  https: 'Ringside serves plain HTTP; terminate TLS at a proxy (nginx, HAProxy, Envoy) in front of it',
  serverFactory: "requests are served by Ringside's own transport (io_uring, epoll or node), not by a node:http server you create",
  clientErrorHandler:
    'malformed requests are answered by the transport itself (400, 413, 414, 431 with RS_ERR_HTTP_* codes, see docs/errors.md) before any JavaScript runs',
};

/** app.initialConfig: the options as resolved, as fastify exposes them. */
export interface InitialConfig {
  readonly connectionTimeout: number;
  readonly keepAliveTimeout: number;
  readonly maxRequestsPerSocket: number;
  readonly requestTimeout: number;
  readonly bodyLimit: number;
  readonly caseSensitive: boolean;
  readonly http2: false;
  readonly https: false;
  readonly ignoreTrailingSlash: boolean;
  readonly ignoreDuplicateSlashes: boolean;
  readonly disableRequestLogging: boolean;
  readonly maxParamLength: number;
  readonly onProtoPoisoning: string;
  readonly onConstructorPoisoning: string;
  readonly pluginTimeout: number;
  readonly requestIdHeader: string | false;
  readonly requestIdLogLabel: string;
  readonly exposeHeadRoutes: boolean;
  readonly return503OnClosing: boolean;
  readonly forceCloseConnections: boolean | 'idle';
}

export interface ResolvedOptions {
  logger: LoggerOption | undefined;
  backend: BackendChoice | undefined;
  /** Only the limits the user gave; the transport fills in the rest. */
  limits: Partial<HttpLimits>;
  /** The app-wide body limit (given or default). */
  bodyLimit: number;
  genReqId: ((raw: RawRequest) => string) | undefined;
  trustProxy: TrustProxy;
  ajv: AjvOption;
  schemaController: SchemaControllerOptions | undefined;
  schemaErrorFormatter: SchemaErrorFormatter | undefined;
  serializerOpts: Record<string, unknown> | undefined;
  onProtoPoisoning: PoisoningAction;
  onConstructorPoisoning: PoisoningAction;
  ignoreTrailingSlash: boolean;
  ignoreDuplicateSlashes: boolean;
  caseSensitive: boolean;
  maxParamLength: number;
  exposeHeadRoutes: boolean;
  querystringParser: ((query: string) => Record<string, unknown>) | undefined;
  constraints: Record<string, ConstraintStrategy> | undefined;
  requestIdHeader: string | false;
  requestIdLogLabel: string;
  disableRequestLogging: boolean | ((request: any) => boolean);
  forceCloseConnections: boolean | 'idle';
  routerOptions: Record<string, unknown>;
  pluginTimeout: number;
  return503OnClosing: boolean;
  frameworkErrors: ((error: Error, req: any, reply: any) => unknown) | null;
  initialConfig: InitialConfig;
}

/** Whether the address at `hop` (0: the peer) is a proxy whose X-Forwarded-For entry counts. */
export type TrustProxyFn = (address: string, hop: number) => boolean;
/** trustProxy, resolved: false, or the trust function (proxy-addr's for addresses and CIDR ranges). */
export type TrustProxy = false | TrustProxyFn;
export type PoisoningAction = 'error' | 'remove' | 'ignore';

const LIMIT_KEYS = Object.keys(defaultHttpLimits) as (keyof HttpLimits)[];
const BOOLEAN_KEYS = ['ignoreTrailingSlash', 'ignoreDuplicateSlashes', 'caseSensitive', 'exposeHeadRoutes'] as const;
const FUNCTION_KEYS = ['genReqId', 'querystringParser'] as const;
const OTHER_KEYS = [
  'logger',
  'backend',
  'trustProxy',
  'maxParamLength',
  'constraints',
  'ajv',
  'schemaController',
  'schemaErrorFormatter',
  'serializerOpts',
  'onProtoPoisoning',
  'onConstructorPoisoning',
] as const;
/** fastify's server options (beyond the limits above). */
const FASTIFY_KEYS = [
  'loggerInstance',
  'requestIdHeader',
  'requestIdLogLabel',
  'disableRequestLogging',
  'forceCloseConnections',
  'connectionTimeout',
  'routerOptions',
  'pluginTimeout',
  'return503OnClosing',
  'frameworkErrors',
  ...Object.keys(UNSUPPORTED_OPTIONS),
] as const;
export const KNOWN_OPTIONS: readonly string[] = [...OTHER_KEYS, ...LIMIT_KEYS, ...BOOLEAN_KEYS, ...FUNCTION_KEYS, ...FASTIFY_KEYS];

function invalid(message: string): Error {
  return createError('RS_ERR_OPTION_INVALID', message);
}

function show(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Edit distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

export function suggest(name: string, known: readonly string[]): string {
  let best = '';
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean "${best}"?` : '';
}

/** Check one HTTP limit with the wording of the transport's own check. */
export function checkLimit(key: string, value: unknown, where = 'Option'): void {
  const problem = httpLimitProblem(key, value, where);
  if (problem) throw invalid(problem);
}

const trustAll: TrustProxyFn = () => true;

function resolveTrustProxy(value: unknown): TrustProxy {
  if (value === undefined || value === false) return false;
  if (value === true) return trustAll;
  if (typeof value === 'function') return value as TrustProxyFn;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw invalid(`Option "trustProxy" as a number must be a non-negative integer (proxy hops), got ${show(value)}`);
    return (_address, hop) => hop < value;
  }
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : null;
  if (list?.every((v) => typeof v === 'string' && v.trim() !== '')) {
    try {
      // Loaded only for an address list: most apps trust no proxy.
      const { compile } = createRequire(import.meta.url)('@fastify/proxy-addr') as typeof proxyAddr;
      return compile(list.map((v: string) => v.trim()));
    } catch (e) {
      throw invalid(
        `Option "trustProxy": ${(e as Error).message} (give IP addresses, CIDR ranges such as '10.0.0.0/8', or 'loopback', 'linklocal', 'uniquelocal')`,
      );
    }
  }
  throw invalid(
    `Option "trustProxy" must be true, false, a number of hops, or proxy addresses or CIDR ranges (string or string[]) or a function (address, hop) => boolean, got ${show(value)}`,
  );
}

function resolveAjv(value: unknown): AjvOption {
  if (value === undefined) return { customOptions: {}, plugins: [] };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(`Option "ajv" must be an object like { customOptions: {}, plugins: [] }, got ${show(value)}`);
  const o = value as AjvOption;
  if (o.customOptions !== undefined && (o.customOptions === null || typeof o.customOptions !== 'object' || Array.isArray(o.customOptions))) {
    throw invalid(`Option "ajv.customOptions" must be an object of ajv options, got ${show(o.customOptions)}`);
  }
  if (o.plugins !== undefined && !Array.isArray(o.plugins))
    throw invalid(`Option "ajv.plugins" must be an array of ajv plugins (or [plugin, options]), got ${show(o.plugins)}`);
  return { ...o, customOptions: o.customOptions ?? {}, plugins: o.plugins ?? [] };
}

function resolvePoisoning(key: string, value: unknown): PoisoningAction {
  if (value === undefined) return 'error';
  if (value === 'error' || value === 'remove' || value === 'ignore') return value;
  throw invalid(`Option "${key}" must be 'error', 'remove' or 'ignore', got ${show(value)}`);
}

/** Validate createApp() options; throws RS_ERR_OPTION_INVALID naming the option and what it accepts. */
export function resolveOptions(options: AppOptions | undefined): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) throw invalid(`createApp() options must be an object, got ${show(options)}`);
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      throw invalid(`Unknown option "${key}".${suggest(key, KNOWN_OPTIONS)} Known options: ${KNOWN_OPTIONS.join(', ')}`);
    }
  }
  const limits: Partial<HttpLimits> = {};
  for (const key of LIMIT_KEYS) {
    const value = o[key];
    if (value === undefined) continue;
    checkLimit(key, value);
    limits[key] = value as number;
  }
  try {
    resolveHttpLimits(limits); // the transport's own check, in case it knows more
  } catch (e) {
    throw invalid((e as Error).message);
  }
  for (const key of BOOLEAN_KEYS) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw invalid(`Option "${key}" must be true or false, got ${show(o[key])}`);
  }
  for (const key of FUNCTION_KEYS) {
    if (o[key] !== undefined && typeof o[key] !== 'function') throw invalid(`Option "${key}" must be a function, got ${show(o[key])}`);
  }
  const backend = o.backend;
  if (backend !== undefined && backend !== 'auto' && backend !== 'io_uring' && backend !== 'epoll' && backend !== 'node') {
    throw invalid(`Option "backend" must be one of 'auto', 'io_uring', 'epoll', 'node', got ${show(backend)}`);
  }
  const maxParamLength = o.maxParamLength ?? 100;
  if (typeof maxParamLength !== 'number' || !Number.isInteger(maxParamLength) || maxParamLength <= 0) {
    throw invalid(`Option "maxParamLength" must be a positive integer (characters), got ${show(maxParamLength)}`);
  }
  const logger = o.logger;
  if (logger !== undefined && typeof logger !== 'boolean' && (typeof logger !== 'object' || logger === null || Array.isArray(logger))) {
    throw invalid(`Option "logger" must be true, false, pino options or a pino logger, got ${show(logger)}`);
  }
  const constraints = o.constraints;
  if (constraints !== undefined && (typeof constraints !== 'object' || constraints === null)) {
    throw invalid(`Option "constraints" must be an object of find-my-way constraint strategies, got ${show(constraints)}`);
  }
  if (o.schemaErrorFormatter !== undefined && typeof o.schemaErrorFormatter !== 'function')
    throw createError('FST_ERR_SCHEMA_ERROR_FORMATTER_NOT_FN', typeof o.schemaErrorFormatter);
  for (const key of ['schemaController', 'serializerOpts'] as const) {
    if (o[key] !== undefined && (o[key] === null || typeof o[key] !== 'object')) throw invalid(`Option "${key}" must be an object, got ${show(o[key])}`);
  }
  const fastify = resolveFastifyOptions(o, limits);
  const router = fastify.routerOptions;
  const resolved = {
    ...fastify,
    backend: backend as BackendChoice | undefined,
    limits,
    bodyLimit: limits.bodyLimit ?? defaultHttpLimits.bodyLimit,
    genReqId: o.genReqId as ResolvedOptions['genReqId'],
    trustProxy: resolveTrustProxy(o.trustProxy),
    ajv: resolveAjv(o.ajv),
    schemaController: o.schemaController as SchemaControllerOptions | undefined,
    schemaErrorFormatter: o.schemaErrorFormatter as SchemaErrorFormatter | undefined,
    serializerOpts: o.serializerOpts as Record<string, unknown> | undefined,
    onProtoPoisoning: resolvePoisoning('onProtoPoisoning', o.onProtoPoisoning),
    onConstructorPoisoning: resolvePoisoning('onConstructorPoisoning', o.onConstructorPoisoning),
    ignoreTrailingSlash: (o.ignoreTrailingSlash ?? router.ignoreTrailingSlash ?? false) as boolean,
    ignoreDuplicateSlashes: (o.ignoreDuplicateSlashes ?? router.ignoreDuplicateSlashes ?? false) as boolean,
    caseSensitive: (o.caseSensitive ?? router.caseSensitive ?? true) as boolean,
    maxParamLength: o.maxParamLength === undefined && typeof router.maxParamLength === 'number' ? router.maxParamLength : maxParamLength,
    exposeHeadRoutes: (o.exposeHeadRoutes as boolean | undefined) ?? true,
    querystringParser: o.querystringParser as ResolvedOptions['querystringParser'],
    constraints: (constraints ?? router.constraints) as ResolvedOptions['constraints'],
  };
  return { ...resolved, initialConfig: initialConfig(resolved, (o.connectionTimeout as number | undefined) ?? 0) };
}

type FastifyResolved = Pick<
  ResolvedOptions,
  | 'requestIdHeader'
  | 'requestIdLogLabel'
  | 'disableRequestLogging'
  | 'forceCloseConnections'
  | 'routerOptions'
  | 'pluginTimeout'
  | 'return503OnClosing'
  | 'frameworkErrors'
> & { logger: LoggerOption | undefined };

/** fastify's server options: checked, with fastify's defaults; unsupported ones refused with the reason. */
function resolveFastifyOptions(o: Record<string, unknown>, limits: Partial<HttpLimits>): FastifyResolved {
  for (const [key, why] of Object.entries(UNSUPPORTED_OPTIONS)) {
    const v = o[key];
    if (v !== undefined && v !== null && v !== false) throw createError('RS_ERR_OPTION_UNSUPPORTED', key, why);
  }
  let logger = o.logger as LoggerOption | undefined;
  const instance = o.loggerInstance;
  if (instance !== undefined) {
    if (logger !== undefined && logger !== false) throw createError('FST_ERR_LOG_LOGGER_AND_LOGGER_INSTANCE_PROVIDED');
    const l = instance as Partial<Logger> | null;
    const methods = ['info', 'error', 'debug', 'fatal', 'warn', 'trace', 'child'] as const;
    if (l === null || typeof l !== 'object' || methods.some((m) => typeof l[m] !== 'function')) throw createError('FST_ERR_LOG_INVALID_LOGGER_INSTANCE');
    logger = instance as Logger;
  }
  const header = o.requestIdHeader ?? false;
  if (header !== false && (typeof header !== 'string' || header === ''))
    throw invalid(`Option "requestIdHeader" must be a header name such as 'x-request-id', or false, got ${show(header)}`);
  const label = o.requestIdLogLabel ?? 'reqId';
  if (typeof label !== 'string' || label === '') throw invalid(`Option "requestIdLogLabel" must be a non-empty string, got ${show(label)}`);
  const disable = o.disableRequestLogging ?? false;
  if (typeof disable !== 'boolean' && typeof disable !== 'function')
    throw invalid(`Option "disableRequestLogging" must be true, false or a function (request) => boolean, got ${show(disable)}`);
  const force = o.forceCloseConnections ?? 'idle';
  if (force !== true && force !== false && force !== 'idle') throw invalid(`Option "forceCloseConnections" must be true, false or 'idle', got ${show(force)}`);
  const routerOptions = o.routerOptions ?? {};
  if (routerOptions === null || typeof routerOptions !== 'object' || Array.isArray(routerOptions))
    throw invalid(`Option "routerOptions" must be an object of find-my-way options, got ${show(routerOptions)}`);
  const pluginTimeout = o.pluginTimeout ?? 10_000;
  if (typeof pluginTimeout !== 'number' || !Number.isInteger(pluginTimeout) || pluginTimeout < 0)
    throw invalid(`Option "pluginTimeout" must be a non-negative integer (ms, 0 = no limit), got ${show(pluginTimeout)}`);
  const return503 = o.return503OnClosing ?? true;
  if (typeof return503 !== 'boolean') throw invalid(`Option "return503OnClosing" must be true or false, got ${show(return503)}`);
  const frameworkErrors = o.frameworkErrors ?? null;
  if (frameworkErrors !== null && typeof frameworkErrors !== 'function')
    throw invalid(`Option "frameworkErrors" must be a function (error, req, reply), got ${show(frameworkErrors)}`);
  const connectionTimeout = o.connectionTimeout;
  if (connectionTimeout !== undefined) {
    checkLimit('requestTimeout', connectionTimeout, 'Option "connectionTimeout" as');
    if (limits.requestTimeout === undefined && connectionTimeout !== 0) limits.requestTimeout = connectionTimeout as number;
  }
  return {
    logger,
    requestIdHeader: header === false ? false : (header as string).toLowerCase(),
    requestIdLogLabel: label,
    disableRequestLogging: disable as ResolvedOptions['disableRequestLogging'],
    forceCloseConnections: force,
    routerOptions: routerOptions as Record<string, unknown>,
    pluginTimeout,
    return503OnClosing: return503,
    frameworkErrors: frameworkErrors as ResolvedOptions['frameworkErrors'],
  };
}

/** app.initialConfig, frozen. */
export function initialConfig(r: Omit<ResolvedOptions, 'initialConfig'>, connectionTimeout: number): InitialConfig {
  const l = { ...defaultHttpLimits, ...r.limits };
  return Object.freeze({
    connectionTimeout,
    keepAliveTimeout: l.keepAliveTimeout,
    maxRequestsPerSocket: l.maxRequestsPerSocket,
    requestTimeout: l.requestTimeout,
    bodyLimit: r.bodyLimit,
    caseSensitive: r.caseSensitive,
    http2: false,
    https: false,
    ignoreTrailingSlash: r.ignoreTrailingSlash,
    ignoreDuplicateSlashes: r.ignoreDuplicateSlashes,
    disableRequestLogging: r.disableRequestLogging === true,
    maxParamLength: r.maxParamLength,
    onProtoPoisoning: r.onProtoPoisoning,
    onConstructorPoisoning: r.onConstructorPoisoning,
    pluginTimeout: r.pluginTimeout,
    requestIdHeader: r.requestIdHeader,
    requestIdLogLabel: r.requestIdLogLabel,
    exposeHeadRoutes: r.exposeHeadRoutes,
    return503OnClosing: r.return503OnClosing,
    forceCloseConnections: r.forceCloseConnections,
  } as const);
}

/** Validate listen() options. */
export function checkListenOptions(options: unknown): ListenOptions & ProcessOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null)
    throw invalid(`listen() options must be an object like { port: 3000, host: '127.0.0.1' }, got ${show(options)}`);
  const o = { ...(options as Record<string, unknown>) };
  const known = ['port', 'host', 'backlog', 'reusePort', 'ipv6Only', 'workers', 'closeOnSignals'];
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw invalid(`Unknown listen() option "${key}".${suggest(key, known)} Known options: ${known.join(', ')}`);
  }
  if (o.port !== undefined) {
    const port = typeof o.port === 'string' && /^\d+$/.test(o.port) ? Number(o.port) : o.port;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw invalid(`listen() option "port" must be an integer from 0 to 65535 (0 picks a free port), got ${show(o.port)}`);
    }
    o.port = port;
  }
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === ''))
    throw invalid(`listen() option "host" must be an address string such as '127.0.0.1' or '::', got ${show(o.host)}`);
  const problem = processOptionsProblem(o);
  if (problem) throw invalid(problem);
  return o as ListenOptions & ProcessOptions;
}
