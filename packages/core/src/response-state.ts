/**
 * What a response is in its life, written once for both backends: started
 * (head written), finished (end/send called), closed (sent, or the connection
 * went first: aborted), and the onClose callbacks, run once. The rules are
 * functions over ResponseLife; ResponseState holds the fields and applies
 * them, and a backend extends it and says how to destroy its connection. A
 * response class built once per request may hold the fields itself and call
 * the functions instead: V8 does not inline a derived class's super() call.
 */
import type { RawResponse } from './http-types.js';

type ResponseStateApi = Pick<RawResponse, 'finished' | 'aborted' | 'onClose' | 'destroy'>;

export interface ResponseLife {
  finished: boolean;
  aborted: boolean;
  /** Head written (send or writeHead), by the app or by the transport. */
  started: boolean;
  closed: boolean;
  /** onClose callbacks not run yet; null when none. */
  closeCbs: ((aborted: boolean) => void)[] | null;
}

/** send() and writeHead() come first and once: throws otherwise. */
export function checkNotStarted(r: ResponseLife, what: 'send' | 'writeHead'): void {
  if (r.finished || r.started)
    throw new Error(what === 'send' ? 'Response already started; send() must be the only write of a response' : 'Response already started');
}

/** write() goes on: throws before the head, false once the response is finished or aborted. */
export function mayWrite(r: ResponseLife): boolean {
  if (!r.started) throw new Error('write() before writeHead()');
  return !(r.finished || r.aborted);
}

/** RawResponse.onClose: `cb` runs once the response is closed (at once when it already is). */
export function addCloseCallback(r: ResponseLife, cb: (aborted: boolean) => void): void {
  if (r.closed) {
    cb(r.aborted);
    return;
  }
  (r.closeCbs ??= []).push(cb);
}

/** Mark a response closed (done, or gone when `aborted`); the caller checked it was not. */
export function markClosed(r: ResponseLife, aborted: boolean): void {
  r.closed = true;
  if (aborted) r.aborted = true;
}

/** Run the onClose callbacks, once (after markClosed). */
export function runCloseCallbacks(r: ResponseLife, aborted: boolean): void {
  const cbs = r.closeCbs;
  r.closeCbs = null;
  if (cbs) for (const cb of cbs) cb(aborted);
}

export abstract class ResponseState implements ResponseStateApi, ResponseLife {
  finished = false;
  aborted = false;
  started = false;
  closed = false;
  closeCbs: ((aborted: boolean) => void)[] | null = null;

  protected checkNotStarted(what: 'send' | 'writeHead'): void {
    checkNotStarted(this, what);
  }

  protected mayWrite(): boolean {
    return mayWrite(this);
  }

  /** Close the response's connection now (destroy() on a response not yet closed). */
  protected abstract destroyConnection(): void;

  onClose(cb: (aborted: boolean) => void): void {
    addCloseCallback(this, cb);
  }

  destroy(): void {
    if (this.closed) return;
    this.destroyConnection();
  }

  /** Done (sent) or gone (aborted); runs the onClose callbacks once. */
  close(aborted: boolean): void {
    if (this.closed) return;
    markClosed(this, aborted);
    this.released();
    runCloseCallbacks(this, aborted);
  }

  /** Hook: the response is closed (drop what it still holds). */
  protected released(): void {}
}
