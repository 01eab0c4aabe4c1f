/**
 * register() and encapsulation. A plugin runs against a new scope: an object
 * whose prototype is its parent scope (so decorators of the parent are
 * visible, and the child's stay in the child), with copies of the parent's
 * hook arrays and content-type parsers. Error handlers, not-found handlers,
 * serializers and Request/Reply classes are inherited until the child sets
 * its own. A plugin wrapped with plugin() (fastify-plugin's skip-override)
 * runs against its parent's scope instead.
 *
 * Plugins load in registration order when ready(), listen() or inject() is
 * called; a plugin's own registrations load right after its body, before its
 * next sibling; async plugins are awaited.
 */
import { createError } from './errors.js';
import { kHooks, kParent, kParsers, kPluginName, kPrefix, kQueue, kRoot, kSkipOverride } from './symbols.js';
import type { App } from './app.js';

export interface PluginOptions {
  /** URL prefix of every route in the plugin, e.g. '/v1'. */
  prefix?: string;
  [key: string]: unknown;
}

/** `async (app, opts) => {}`, or `(app, opts, done) => { …; done() }` (declare done only if you call it). */
export type Plugin<Opts extends PluginOptions = PluginOptions> = (app: App, opts: Opts, done: (err?: Error) => void) => unknown;

/** What register() accepts: a plugin, a module with a default-exported plugin, or a promise of either (`import('./p.js')`). */
export type PluginInput<Opts extends PluginOptions = PluginOptions> = Plugin<Opts> | { default: Plugin<Opts> } | Promise<Plugin<Opts> | { default: Plugin<Opts> }>;

export interface QueueItem {
  plugin?: PluginInput;
  opts?: PluginOptions;
  after?: (err?: Error) => unknown;
}

export interface Queue {
  items: QueueItem[];
  pos: number;
}

/**
 * Mark a plugin to register into the scope that registers it (not a new
 * child scope), so its decorators, hooks and handlers reach the parent:
 * fastify-plugin's escape from encapsulation.
 */
export function plugin<T extends Plugin<any>>(fn: T, options: { name?: string } = {}): T {
  if (typeof fn !== 'function') throw createError('RS_ERR_PLUGIN_NOT_FUNCTION', fn === null ? 'null' : typeof fn);
  Object.defineProperty(fn, kSkipOverride, { value: true, configurable: true });
  if (options.name !== undefined) Object.defineProperty(fn, kPluginName, { value: options.name, configurable: true });
  return fn;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** Check what register() got, before it is loaded. */
export function checkPluginInput(input: unknown): void {
  if (typeof input === 'function') return;
  if (input !== null && typeof input === 'object') {
    if (typeof (input as PromiseLike<unknown>).then === 'function') return;
    if (typeof (input as { default?: unknown }).default === 'function') return;
  }
  throw createError('RS_ERR_PLUGIN_NOT_FUNCTION', describe(input));
}

async function resolvePlugin(input: PluginInput): Promise<Plugin> {
  let value: unknown = input;
  if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') value = await value;
  if (typeof value === 'function') return value as Plugin;
  if (value !== null && typeof value === 'object' && typeof (value as { default?: unknown }).default === 'function') return (value as { default: Plugin }).default;
  throw createError('RS_ERR_PLUGIN_NOT_FUNCTION', describe(value));
}

/** Normalise a prefix: '' or '/a/b' (leading slash, no trailing slash). */
export function normalizePrefix(prefix: unknown): string {
  if (prefix === undefined || prefix === '' || prefix === '/') return '';
  if (typeof prefix !== 'string') throw createError('RS_ERR_OPTION_INVALID', `register() option "prefix" must be a string like '/v1', got ${describe(prefix)}`);
  let p = prefix.startsWith('/') ? prefix : '/' + prefix;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p === '/' ? '' : p;
}

/** A child scope of `parent`. */
export function createScope(parent: App, prefix: string): App {
  const child = Object.create(parent) as App;
  child[kParent] = parent;
  child[kPrefix] = parent[kPrefix] + prefix;
  child[kHooks] = parent[kHooks].clone();
  child[kParsers] = parent[kParsers].clone();
  child[kQueue] = { items: [], pos: 0 };
  return child;
}

async function runPlugin(fn: Plugin, scope: App, opts: PluginOptions): Promise<void> {
  if (fn.length >= 3 && fn.constructor?.name !== 'AsyncFunction') {
    await new Promise<void>((resolve, reject) => {
      let called = false;
      const done = (err?: Error): void => {
        if (called) return;
        called = true;
        if (err) reject(err);
        else resolve();
      };
      try {
        const r = (fn as (app: App, opts: PluginOptions, done: (err?: Error) => void) => unknown)(scope, opts, done);
        if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') (r as PromiseLike<unknown>).then(undefined, done);
      } catch (e) {
        done(e as Error);
      }
    });
    return;
  }
  await (fn as (app: App, opts: PluginOptions) => unknown)(scope, opts);
}

/** Load what is queued in `scope`, in order, depth first. */
export async function loadQueue(scope: App): Promise<void> {
  const queue = scope[kQueue];
  while (queue.pos < queue.items.length) {
    const item = queue.items[queue.pos++]!;
    if (item.after) {
      await item.after();
      continue;
    }
    const fn = await resolvePlugin(item.plugin!);
    const opts = item.opts ?? {};
    if ((fn as { [kSkipOverride]?: boolean })[kSkipOverride] === true) {
      // Runs in this scope; what it registers loads before the next item here.
      const saved = scope[kQueue];
      scope[kQueue] = { items: [], pos: 0 };
      try {
        await runPlugin(fn, scope, opts);
        await loadQueue(scope);
      } finally {
        scope[kQueue] = saved;
      }
    } else {
      const child = createScope(scope, normalizePrefix(opts.prefix));
      await runPlugin(fn, child, opts);
      await loadQueue(child);
    }
  }
}

/** Load everything queued from the root (serialised; re-entrant calls from plugin bodies load their own scope). */
export function loadFrom(scope: App): Promise<void> {
  const root = scope[kRoot];
  if (root.loading) return loadQueue(scope);
  const run = root.loadChain.then(async () => {
    root.loading = true;
    try {
      await loadQueue(root.scope);
    } finally {
      root.loading = false;
    }
  });
  root.loadChain = run.catch(() => {});
  return run;
}
