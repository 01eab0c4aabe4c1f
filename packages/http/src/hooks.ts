/**
 * Hooks are data: one array per hook name, copied when a plugin scope is
 * created, so a child's hooks never leak to its parent or siblings. A route
 * gets the arrays of its scope (plus its own) when the app becomes ready.
 *
 * The runner below runs one array for one request: async functions (or any
 * function returning a promise) and callback functions `(…, done)` alike,
 * guarding against done() called twice and sending thrown errors and
 * rejections to the continuation.
 */
import { createError } from './errors.js';
import { kChildren, kHooks, kSent } from './symbols.js';
import type { Reply } from './reply.js';
import type { Request } from './request.js';

/** Hooks that run per request, in fastify's order of a request's life. */
export const REQUEST_HOOK_NAMES = [
  'onRequest',
  'preParsing',
  'preValidation',
  'preHandler',
  'preSerialization',
  'onSend',
  'onResponse',
  'onError',
  'onTimeout',
  'onRequestAbort',
] as const;
/** Hooks of the app's life (run once, not per request). */
export const APP_HOOK_NAMES = ['onRoute', 'onRegister', 'onReady', 'onListen', 'preClose', 'onClose'] as const;
export const HOOK_NAMES = [...REQUEST_HOOK_NAMES, ...APP_HOOK_NAMES] as const;
export type RequestHookName = (typeof REQUEST_HOOK_NAMES)[number];
export type AppHookName = (typeof APP_HOOK_NAMES)[number];
export type HookName = RequestHookName | AppHookName;

export interface HookEntry {
  readonly name: HookName;
  readonly fn: Function;
  /** Takes a done callback (more parameters than its hook passes before done). */
  readonly callback: boolean;
  /** `this` inside the hook: the app scope it was added in. */
  readonly scope: unknown;
}

/** Parameters before `done`, per hook (onRoute and onRegister take no done). */
const ARITY: Record<HookName, number> = {
  onRequest: 2,
  preParsing: 3,
  preValidation: 2,
  preHandler: 2,
  preSerialization: 3,
  onSend: 3,
  onResponse: 2,
  onError: 3,
  onTimeout: 2,
  onRequestAbort: 1,
  onRoute: 1,
  onRegister: 2,
  onReady: 0,
  onListen: 0,
  preClose: 0,
  onClose: 1,
};

/** fastify's rule for async hooks that also declare done (refused: they would run twice or hang). */
function asyncTakesDone(name: HookName, fn: Function): boolean {
  if (fn.constructor?.name !== 'AsyncFunction') return false;
  if (name === 'onReady' || name === 'onListen' || name === 'preClose') return fn.length !== 0;
  if (name === 'onRequestAbort') return fn.length !== 1;
  return fn.length > ARITY[name];
}

export function hookEntry(name: unknown, fn: unknown, scope: unknown): HookEntry {
  if (typeof name !== 'string') throw createError('FST_ERR_HOOK_INVALID_TYPE');
  if (!(HOOK_NAMES as readonly string[]).includes(name)) throw createError('FST_ERR_HOOK_NOT_SUPPORTED', name);
  if (typeof fn !== 'function') throw createError('FST_ERR_HOOK_INVALID_HANDLER', name, Object.prototype.toString.call(fn));
  const hook = name as HookName;
  if (asyncTakesDone(hook, fn)) throw createError('FST_ERR_HOOK_INVALID_ASYNC_HANDLER');
  return { name: hook, fn, callback: fn.length > ARITY[hook], scope };
}

/** A scope's hooks: one array per hook name. */
export class Hooks {
  onRequest: HookEntry[] = [];
  preParsing: HookEntry[] = [];
  preValidation: HookEntry[] = [];
  preHandler: HookEntry[] = [];
  preSerialization: HookEntry[] = [];
  onSend: HookEntry[] = [];
  onResponse: HookEntry[] = [];
  onError: HookEntry[] = [];
  onTimeout: HookEntry[] = [];
  onRequestAbort: HookEntry[] = [];
  onRoute: HookEntry[] = [];
  onRegister: HookEntry[] = [];
  // Run once per scope (not inherited), over the tree of scopes: fastify's semantics.
  onReady: HookEntry[] = [];
  onListen: HookEntry[] = [];
  preClose: HookEntry[] = [];

  add(entry: HookEntry): void {
    if (entry.name === 'onClose') throw new Error('onClose hooks belong to the plugin loader, not to a scope');
    this[entry.name].push(entry);
  }

  /** A copy for a child scope: later additions on either side stay apart; onReady, onListen and preClose start empty. */
  clone(): Hooks {
    const h = new Hooks();
    for (const name of REQUEST_HOOK_NAMES) h[name] = this[name].slice();
    h.onRoute = this.onRoute.slice();
    h.onRegister = this.onRegister.slice();
    return h;
  }
}

/** What follows a run: `err` when a hook failed; `value` is the (possibly replaced) onSend payload. */
export type HookNext = (reply: Reply, err: unknown, value: unknown) => void;

/** Run modes. */
export const STOP_WHEN_SENT = 1; // onRequest, preHandler: a hook that answers ends the run
export const PASS_VALUE = 2; // onSend, onError: hooks get a third argument (payload / error)
export const REPLACE_VALUE = 4; // onSend, preSerialization, preParsing: a hook's result replaces the payload
export const REQUEST_ONLY = 8; // onRequestAbort: hooks get (req) only

/**
 * Run `hooks` in order for one request, then call `next`. A hook that throws,
 * rejects or passes an error to done() ends the run with that error.
 */
export function runHooks(hooks: readonly HookEntry[], req: Request, reply: Reply, mode: number, value: unknown, next: HookNext): void {
  new HookRun(hooks, req, reply, mode, value, next).step();
}

class HookRun {
  private pos = 0;
  private resolved: ((v: unknown) => void) | null = null;
  private rejected: ((e: unknown) => void) | null = null;

  constructor(
    private readonly hooks: readonly HookEntry[],
    private readonly req: Request,
    private readonly reply: Reply,
    private readonly mode: number,
    private value: unknown,
    private readonly next: HookNext,
  ) {}

  step(): void {
    const { hooks, req, reply, mode } = this;
    for (;;) {
      if (mode & STOP_WHEN_SENT && reply[kSent]) return; // a hook answered: the rest is skipped
      if (this.pos === hooks.length) {
        this.next(reply, null, this.value);
        return;
      }
      const hook = hooks[this.pos++]!;
      if (hook.callback) {
        this.callWithDone(hook);
        return;
      }
      let result: unknown;
      try {
        result =
          mode & PASS_VALUE
            ? hook.fn.call(hook.scope, req, reply, this.value)
            : mode & REQUEST_ONLY
              ? hook.fn.call(hook.scope, req)
              : hook.fn.call(hook.scope, req, reply);
      } catch (err) {
        this.fail(err);
        return;
      }
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        this.resolved ??= (v) => this.resume(v);
        this.rejected ??= (e) => this.fail(e);
        (result as PromiseLike<unknown>).then(this.resolved, this.rejected);
        return;
      }
      if (mode & REPLACE_VALUE && result !== undefined) this.value = result;
    }
  }

  private resume(v: unknown): void {
    if (this.mode & REPLACE_VALUE && v !== undefined) this.value = v;
    this.step();
  }

  private fail(err: unknown): void {
    this.next(this.reply, err ?? new Error(`A hook failed with ${String(err)}`), this.value);
  }

  private callWithDone(hook: HookEntry): void {
    let called = false;
    const done = (err?: unknown, value?: unknown): void => {
      if (called) {
        this.reply.log.warn({ err: createError('RS_ERR_HOOK_DONE_TWICE', hook.name) }, `A ${hook.name} hook called done() more than once`);
        return;
      }
      called = true;
      if (err !== undefined && err !== null) {
        this.fail(err);
        return;
      }
      if (this.mode & REPLACE_VALUE && value !== undefined) this.value = value;
      this.step();
    };
    try {
      const result: unknown =
        this.mode & PASS_VALUE
          ? hook.fn.call(hook.scope, this.req, this.reply, this.value, done)
          : this.mode & REQUEST_ONLY
            ? hook.fn.call(hook.scope, this.req, done)
            : hook.fn.call(hook.scope, this.req, this.reply, done);
      // As fastify: a hook that takes done() but returns a promise (a plain function
      // calling an async one, as @fastify/helmet's) continues when either settles.
      if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(
          (v) => {
            if (!called) done(undefined, v);
          },
          (e) => {
            if (!called) {
              called = true;
              this.fail(e);
            }
          },
        );
      }
    } catch (err) {
      if (!called) {
        called = true;
        this.fail(err);
      } else {
        this.reply.log.error({ err }, `A ${hook.name} hook threw after calling done()`);
      }
    }
  }
}

// ---- application hooks -------------------------------------------------------------

/** What the application-hook runner needs of an app scope. */
export interface HookScope {
  [kHooks]: Hooks;
  [kChildren]: HookScope[];
}

/**
 * Run onReady, onListen or preClose: a scope's own hooks in order, then each
 * child scope's, depth first (fastify's order). A hook that takes done() is
 * waited for, as is a returned promise; with `timeout` > 0 a hook that never
 * finishes fails with FST_ERR_HOOK_TIMEOUT. `onError` receives each failure
 * and the run goes on; without it the first failure ends the run.
 */
export async function runAppHooks(
  name: 'onReady' | 'onListen' | 'preClose',
  scope: HookScope,
  timeout: number,
  onError?: (err: unknown) => void,
): Promise<void> {
  for (const entry of scope[kHooks][name]) {
    try {
      await callAppHook(entry, scope, timeout);
    } catch (err) {
      if (onError === undefined) throw err;
      onError(err);
    }
  }
  for (const child of scope[kChildren]) await runAppHooks(name, child, timeout, onError);
}

function callAppHook(entry: HookEntry, scope: HookScope, timeout: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (err !== undefined && err !== null) reject(err);
      else resolve();
    };
    if (timeout > 0) {
      const fnName = (entry.fn as { name?: string }).name;
      timer = setTimeout(() => finish(createError('FST_ERR_HOOK_TIMEOUT', entry.name, fnName ? ` "${fnName}"` : '')), timeout);
    }
    try {
      if (entry.callback) {
        entry.fn.call(scope, finish);
      } else {
        const result = entry.fn.call(scope) as unknown;
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
          (result as PromiseLike<unknown>).then(() => finish(), finish);
        } else {
          finish();
        }
      }
    } catch (err) {
      finish(err);
    }
  });
}
