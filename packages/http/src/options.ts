/**
 * createApp() options: defaults and validation at start-up, with messages
 * that say what to do.
 */
import { defaultHttpLimits, httpLimitProblem, resolveHttpLimits, type BackendChoice, type HttpLimits, type ListenOptions, type RawRequest } from '@ringside/core';
import { createError } from './errors.js';
import type { LoggerOption } from './logger.js';

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
   * `true` (trust all hops), a number of hops, or the proxy addresses (string, comma list or array).
   * Default false.
   */
  trustProxy?: boolean | number | string | readonly string[];
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
  ignoreTrailingSlash: boolean;
  ignoreDuplicateSlashes: boolean;
  caseSensitive: boolean;
  maxParamLength: number;
  exposeHeadRoutes: boolean;
  querystringParser: ((query: string) => Record<string, unknown>) | undefined;
  constraints: Record<string, ConstraintStrategy> | undefined;
}

/** trustProxy, resolved: false, 'all', a hop count, or a set of trusted proxy addresses. */
export type TrustProxy = false | true | number | ReadonlySet<string>;

const LIMIT_KEYS = Object.keys(defaultHttpLimits) as (keyof HttpLimits)[];
const BOOLEAN_KEYS = ['ignoreTrailingSlash', 'ignoreDuplicateSlashes', 'caseSensitive', 'exposeHeadRoutes'] as const;
const FUNCTION_KEYS = ['genReqId', 'querystringParser'] as const;
const OTHER_KEYS = ['logger', 'backend', 'trustProxy', 'maxParamLength', 'constraints'] as const;
export const KNOWN_OPTIONS: readonly string[] = [...OTHER_KEYS, ...LIMIT_KEYS, ...BOOLEAN_KEYS, ...FUNCTION_KEYS];

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
    if (d < bestD) { bestD = d; best = k; }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? ` Did you mean "${best}"?` : '';
}

/** Check one HTTP limit with the wording of the transport's own check. */
export function checkLimit(key: string, value: unknown, where = 'Option'): void {
  const problem = httpLimitProblem(key, value, where);
  if (problem) throw invalid(problem);
}

function resolveTrustProxy(value: unknown): TrustProxy {
  if (value === undefined || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw invalid(`Option "trustProxy" as a number must be a non-negative integer (proxy hops), got ${show(value)}`);
    return value;
  }
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : null;
  if (list && list.every((v) => typeof v === 'string' && v.trim() !== '')) return new Set(list.map((v: string) => v.trim()));
  throw invalid(`Option "trustProxy" must be true, false, a number of hops, or proxy addresses (string or string[]), got ${show(value)}`);
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
  return {
    logger: logger as LoggerOption | undefined,
    backend: backend as BackendChoice | undefined,
    limits,
    bodyLimit: limits.bodyLimit ?? defaultHttpLimits.bodyLimit,
    genReqId: o.genReqId as ResolvedOptions['genReqId'],
    trustProxy: resolveTrustProxy(o.trustProxy),
    ignoreTrailingSlash: (o.ignoreTrailingSlash as boolean | undefined) ?? false,
    ignoreDuplicateSlashes: (o.ignoreDuplicateSlashes as boolean | undefined) ?? false,
    caseSensitive: (o.caseSensitive as boolean | undefined) ?? true,
    maxParamLength,
    exposeHeadRoutes: (o.exposeHeadRoutes as boolean | undefined) ?? true,
    querystringParser: o.querystringParser as ResolvedOptions['querystringParser'],
    constraints: constraints as ResolvedOptions['constraints'],
  };
}

/** Validate listen() options. */
export function checkListenOptions(options: unknown): ListenOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) throw invalid(`listen() options must be an object like { port: 3000, host: '127.0.0.1' }, got ${show(options)}`);
  const o = { ...(options as Record<string, unknown>) };
  const known = ['port', 'host', 'backlog', 'reusePort', 'ipv6Only'];
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
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) throw invalid(`listen() option "host" must be an address string such as '127.0.0.1' or '::', got ${show(o.host)}`);
  return o as ListenOptions;
}
