/**
 * register() and encapsulation, on avvio (fastify's own plugin loader), so
 * plugins load exactly as they do on fastify: in registration order, a
 * plugin's own registrations before its next sibling, `await register(p)`
 * loading p at once, after()/ready() callbacks, and pluginTimeout.
 *
 * avvio asks override() for the scope each plugin runs against. A plugin gets
 * a new scope: an object whose prototype is its parent scope (so decorators
 * of the parent are visible, and the child's stay in the child), with copies
 * of the parent's hook arrays and content-type parsers. Error handlers,
 * not-found handlers, serializers and Request/Reply classes are inherited
 * until the child sets its own. A plugin marked with fastify-plugin's
 * `Symbol.for('skip-override')` runs against its parent's scope instead.
 * Its `Symbol.for('plugin-meta')` (name, fastify version range, decorators
 * and dependencies it needs) is checked first, as fastify does.
 */
import { createRequire } from 'node:module';
import { createError, type ErrorCode } from './errors.js';
import {
  kAvvio,
  kChildren,
  kDisplayName,
  kHooks,
  kLogLevel,
  kParent,
  kParsers,
  kPluginMeta,
  kPluginNameChain,
  kPrefix,
  kRegisteredPlugins,
  kSkipOverride,
} from './symbols.js';
import type { App } from './app.js';

export interface PluginOptions {
  /** URL prefix of every route in the plugin, e.g. '/v1'. */
  prefix?: string;
  /** Log level of the plugin's routes. */
  logLevel?: string;
  [key: string]: unknown;
}

/** `async (app, opts) => {}`, or `(app, opts, done) => { …; done() }` (declare done only if you call it). */
export type Plugin<Opts extends PluginOptions = PluginOptions> = (app: App, opts: Opts, done: (err?: Error) => void) => unknown;

/** What register() accepts: a plugin, a module with a default-exported plugin, or a promise of either (`import('./p.js')`). */
export type PluginInput<Opts extends PluginOptions = PluginOptions> =
  | Plugin<Opts>
  | { default: Plugin<Opts> }
  | Promise<Plugin<Opts> | { default: Plugin<Opts> }>;

/** fastify-plugin's metadata (`Symbol.for('plugin-meta')`). */
export interface PluginMeta {
  name?: string;
  /** A semver range of fastify versions the plugin works with, e.g. '5.x'. */
  fastify?: string;
  decorators?: { fastify?: (string | symbol)[]; request?: (string | symbol)[]; reply?: (string | symbol)[] };
  dependencies?: string[];
  encapsulate?: boolean;
}

/** The fastify release whose API Ringside implements: `app.version`, checked against plugins' `fastify` ranges. */
export const FASTIFY_VERSION = '5.12.1';

/**
 * fastify-plugin, built in: mark a plugin to register into the scope that
 * registers it (not a new child scope), so its decorators, hooks and handlers
 * reach the parent. Sets the same symbols as the fastify-plugin package.
 */
export function plugin<T extends Plugin<any>>(fn: T, options: PluginMeta | string = {}): T {
  if (typeof fn !== 'function') throw createError('FST_ERR_PLUGIN_NOT_VALID', `Plugin must be a function or a promise. Received: '${describe(fn)}'`);
  const meta: PluginMeta = typeof options === 'string' ? { fastify: options } : { ...options };
  meta.name ??= fn.name || undefined;
  Object.defineProperty(fn, kSkipOverride, { value: meta.encapsulate !== true, configurable: true, writable: true });
  Object.defineProperty(fn, kPluginMeta, { value: meta, configurable: true, writable: true });
  if (meta.name !== undefined) Object.defineProperty(fn, kDisplayName, { value: meta.name, configurable: true, writable: true });
  return fn;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

/** Normalise a prefix: '' or '/a/b' (leading slash, no trailing slash). */
export function normalizePrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  if (typeof prefix !== 'string') throw createError('RS_ERR_OPTION_INVALID', `register() option "prefix" must be a string like '/v1', got ${describe(prefix)}`);
  let p = prefix.startsWith('/') ? prefix : '/' + prefix;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p === '/' ? '' : p;
}

// ---- plugin metadata --------------------------------------------------------------

type PluginFn = Function & { [kSkipOverride]?: boolean; [kDisplayName]?: string; [kPluginMeta]?: PluginMeta };

/** The plugin's name as fastify reports it: display name, meta name, function name, or the first lines of its source. */
export function pluginName(fn: PluginFn): string {
  const display = fn[kDisplayName] ?? fn[kPluginMeta]?.name;
  if (typeof display === 'string' && display !== '') return display;
  if (fn.name) return fn.name;
  return fn
    .toString()
    .split('\n', 2)
    .map((s) => s.trim())
    .join(' -- ');
}

/** Whether `name` was registered (plugin-meta name) in this scope or an ancestor, or is in its plugin name chain. */
export function hasPlugin(scope: App, name: string): boolean {
  for (let s: App | null = scope; s !== null; s = s[kParent]) {
    if (Object.hasOwn(s, kRegisteredPlugins) && s[kRegisteredPlugins].includes(name)) return true;
  }
  return scope[kPluginNameChain].includes(name);
}

/** semver's range check, loaded only when a plugin declares a fastify range. */
const satisfiesRange = (version: string, range: string): boolean =>
  (createRequire(import.meta.url)('semver/functions/satisfies') as (v: string, r: string) => boolean)(version, range);

function checkMeta(scope: App, fn: PluginFn, name: string): void {
  if (fn.constructor?.name === 'AsyncFunction' && fn.length === 3) throw createError('FST_ERR_PLUGIN_INVALID_ASYNC_HANDLER', name);
  const meta = fn[kPluginMeta];
  if (meta === undefined || meta === null) return;
  const range = meta.fastify;
  if (range && !satisfiesRange(FASTIFY_VERSION, range)) throw createError('FST_ERR_PLUGIN_VERSION_MISMATCH', meta.name ?? name, range, FASTIFY_VERSION);
  const needed = meta.decorators;
  if (needed) {
    const required = typeof meta.name === 'string' ? ` required by '${meta.name}'` : '';
    const checks: [readonly (string | symbol)[] | undefined, string, (d: string | symbol) => boolean][] = [
      [needed.fastify, 'Fastify', (d) => scope.hasDecorator(d)],
      [needed.reply, 'Reply', (d) => scope.hasReplyDecorator(d)],
      [needed.request, 'Request', (d) => scope.hasRequestDecorator(d)],
    ];
    for (const [list, where, has] of checks) {
      for (const d of list ?? []) if (!has(d)) throw createError('FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE', String(d), required, where);
    }
  }
  for (const dep of meta.dependencies ?? []) {
    if (!hasPlugin(scope, dep)) throw createError('FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED', dep, meta.name);
  }
}

// ---- scopes -------------------------------------------------------------------------

/** A child scope of `parent`. */
export function createScope(parent: App, prefix: string): App {
  const child = Object.create(parent) as App;
  child[kParent] = parent;
  child[kPrefix] = parent[kPrefix] + prefix;
  child[kHooks] = parent[kHooks].clone();
  child[kParsers] = parent[kParsers].clone();
  child[kChildren] = [];
  child[kRegisteredPlugins] = [];
  parent[kChildren].push(child);
  return child;
}

/**
 * avvio's override: the scope a plugin runs against (fastify's
 * plugin-override). Checks the plugin's metadata, records its name, and runs
 * the onRegister hooks for a new scope.
 */
export function override(old: App, fn: PluginFn, opts: PluginOptions): App {
  const name = pluginName(fn);
  const metaName = fn[kPluginMeta]?.name;
  if (typeof metaName === 'string' && metaName !== '') old[kRegisteredPlugins].push(metaName);
  checkMeta(old, fn, name);
  if (fn[kSkipOverride]) {
    old[kPluginNameChain].push(name);
    return old;
  }
  const child = createScope(old, normalizePrefix(opts?.prefix));
  child[kPluginNameChain] = [name];
  if (typeof opts?.logLevel === 'string') child[kLogLevel] = opts.logLevel;
  for (const hook of child[kHooks].onRegister) hook.fn.call(old, child, opts);
  return child;
}

// ---- avvio ----------------------------------------------------------------------------

/** avvio's loader, as used here (its package has no types for the instance API). */
export interface Avvio {
  use(fn: unknown, opts?: unknown): unknown;
  after(fn: Function): unknown;
  ready(fn?: Function): Promise<unknown> | undefined;
  onClose(fn: Function): unknown;
  close(fn?: Function): Promise<void> | undefined;
  start(): unknown;
  prettyPrint(): string;
  override: (old: App, fn: PluginFn, opts: PluginOptions) => App;
  on(event: 'start' | 'preReady', fn: () => void): unknown;
  once(event: 'start' | 'preReady', fn: () => void): unknown;
  booted: boolean;
  started: boolean;
}

type AvvioFactory = (server: object, opts: { autostart: boolean; timeout: number; expose: Record<string, string | symbol> }) => Avvio;

const loadAvvio = (): AvvioFactory => createRequire(import.meta.url)('avvio') as AvvioFactory;

/**
 * Where avvio installs its methods on the root scope. App defines register,
 * after, ready, close and onClose itself (typed, with fastify's argument
 * handling) and calls these.
 */
export const kUse = Symbol('ringside.avvio.use');
export const kAfter = Symbol('ringside.avvio.after');
export const kReady = Symbol('ringside.avvio.ready');
export const kOnClose = Symbol('ringside.avvio.onClose');
export const kClose = Symbol('ringside.avvio.close');

/** Attach an avvio loader to the root scope. */
export function createLoader(root: App, timeout: number): Avvio {
  const avvio = loadAvvio()(root, { autostart: false, timeout, expose: { use: kUse, after: kAfter, ready: kReady, onClose: kOnClose, close: kClose } });
  avvio.override = override;
  root[kAvvio] = avvio;
  return avvio;
}

const AVVIO_CODES: Record<string, ErrorCode> = {
  AVV_ERR_CALLBACK_NOT_FN: 'FST_ERR_PLUGIN_CALLBACK_NOT_FN',
  AVV_ERR_PLUGIN_NOT_VALID: 'FST_ERR_PLUGIN_NOT_VALID',
  AVV_ERR_ROOT_PLG_BOOTED: 'FST_ERR_ROOT_PLG_BOOTED',
  AVV_ERR_PARENT_PLG_LOADED: 'FST_ERR_PARENT_PLUGIN_BOOTED',
  AVV_ERR_READY_TIMEOUT: 'FST_ERR_PLUGIN_TIMEOUT',
  AVV_ERR_PLUGIN_EXEC_TIMEOUT: 'FST_ERR_PLUGIN_TIMEOUT',
};

/** avvio's error as fastify reports it (same code mapping, avvio's error as the cause). */
export function fromAvvio<T>(err: T): T {
  const code = (err as { code?: unknown } | null)?.code;
  const mapped = typeof code === 'string' ? AVVIO_CODES[code] : undefined;
  if (mapped === undefined) return err;
  const e = createError(mapped, (err as Error).message);
  (e as { cause?: unknown }).cause = err;
  return e as T;
}
