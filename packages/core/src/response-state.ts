/**
 * What a response is in its life, written once for both backends: started
 * (head written), finished (end/send called), closed (sent, or the connection
 * went first: aborted), and the onClose callbacks, run once. Each backend
 * extends it and says how to destroy its connection.
 */
import type { RawResponse } from './http-types.js';

type ResponseStateApi = Pick<RawResponse, 'finished' | 'aborted' | 'onClose' | 'destroy'>;

export abstract class ResponseState implements ResponseStateApi {
  finished = false;
  aborted = false;
  /** Head written (send or writeHead), by the app or by the transport. */
  started = false;
  closed = false;
  private closeCbs: ((aborted: boolean) => void)[] | null = null;

  /** send() and writeHead() come first and once: throws otherwise. */
  protected checkNotStarted(what: 'send' | 'writeHead'): void {
    if (this.finished || this.started)
      throw new Error(what === 'send' ? 'Response already started; send() must be the only write of a response' : 'Response already started');
  }

  /** write() goes on: throws before the head, false once the response is finished or aborted. */
  protected mayWrite(): boolean {
    if (!this.started) throw new Error('write() before writeHead()');
    return !(this.finished || this.aborted);
  }

  /** Close the response's connection now (destroy() on a response not yet closed). */
  protected abstract destroyConnection(): void;

  onClose(cb: (aborted: boolean) => void): void {
    if (this.closed) {
      cb(this.aborted);
      return;
    }
    (this.closeCbs ??= []).push(cb);
  }

  destroy(): void {
    if (this.closed) return;
    this.destroyConnection();
  }

  /** Done (sent) or gone (aborted); runs the onClose callbacks once. */
  close(aborted: boolean): void {
    if (this.closed) return;
    this.closed = true;
    if (aborted) this.aborted = true;
    this.released();
    const cbs = this.closeCbs;
    this.closeCbs = null;
    if (cbs) for (const cb of cbs) cb(aborted);
  }

  /** Hook: the response is closed (drop what it still holds). */
  protected released(): void {}
}
