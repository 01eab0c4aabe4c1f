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
import { kSent } from './symbols.js';
import type { Reply } from './reply.js';
import type { Request } from './request.js';

export const HOOK_NAMES = ['onRequest', 'preHandler', 'onSend', 'onResponse', 'onError', 'onClose'] as const;
export type HookName = (typeof HOOK_NAMES)[number];
export type RequestHookName = Exclude<HookName, 'onClose'>;
export const REQUEST_HOOK_NAMES: readonly RequestHookName[] = ['onRequest', 'preHandler', 'onSend', 'onResponse', 'onError'];

export interface HookEntry {
  readonly name: HookName;
  readonly fn: Function;
  /** Takes a done callback (more parameters than its hook passes before done). */
  readonly callback: boolean;
  /** `this` inside the hook: the app scope it was added in. */
  readonly scope: unknown;
}

/** Parameters before `done`, per hook. */
const ARITY: Record<HookName, number> = { onRequest: 2, preHandler: 2, onResponse: 2, onSend: 3, onError: 3, onClose: 1 };

export function hookEntry(name: unknown, fn: unknown, scope: unknown): HookEntry {
  if (typeof name !== 'string' || !(HOOK_NAMES as readonly string[]).includes(name)) {
    throw createError('RS_ERR_HOOK_INVALID', `unknown hook ${JSON.stringify(name)}; hooks are ${HOOK_NAMES.join(', ')}`);
  }
  if (typeof fn !== 'function') throw createError('RS_ERR_HOOK_INVALID', `the ${name} hook must be a function, got ${fn === null ? 'null' : typeof fn}`);
  const arity = ARITY[name as HookName];
  const callback = fn.length > arity;
  if (callback && fn.constructor?.name === 'AsyncFunction') {
    throw createError('RS_ERR_HOOK_INVALID', `the ${name} hook is an async function that also takes done(); use one or the other`);
  }
  return { name: name as HookName, fn, callback, scope };
}

export class Hooks {
  onRequest: HookEntry[] = [];
  preHandler: HookEntry[] = [];
  onSend: HookEntry[] = [];
  onResponse: HookEntry[] = [];
  onError: HookEntry[] = [];

  add(entry: HookEntry): void {
    if (entry.name === 'onClose') throw new Error('onClose hooks belong to the app, not to a scope');
    this[entry.name].push(entry);
  }

  /** A copy for a child scope: later additions on either side stay apart. */
  clone(): Hooks {
    const h = new Hooks();
    h.onRequest = this.onRequest.slice();
    h.preHandler = this.preHandler.slice();
    h.onSend = this.onSend.slice();
    h.onResponse = this.onResponse.slice();
    h.onError = this.onError.slice();
    return h;
  }
}

/** What follows a run: `err` when a hook failed; `value` is the (possibly replaced) onSend payload. */
export type HookNext = (reply: Reply, err: unknown, value: unknown) => void;

/** Run modes. */
export const STOP_WHEN_SENT = 1; // onRequest, preHandler: a hook that answers ends the run
export const PASS_VALUE = 2; // onSend, onError: hooks get a third argument (payload / error)
export const REPLACE_VALUE = 4; // onSend: a hook's result replaces the payload

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
        result = mode & PASS_VALUE ? hook.fn.call(hook.scope, req, reply, this.value) : hook.fn.call(hook.scope, req, reply);
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
      if (this.mode & PASS_VALUE) hook.fn.call(hook.scope, this.req, this.reply, this.value, done);
      else hook.fn.call(hook.scope, this.req, this.reply, done);
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
