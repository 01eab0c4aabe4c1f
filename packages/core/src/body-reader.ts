/**
 * The request body's state machine, written once for both backends: chunks
 * that arrive before readBody() are held, then handed to the sink; the body
 * ends once, or fails once (the sink hears of it even when it subscribes
 * after the failure); a discarded body reaches nobody. A backend extends
 * this, feeds it (pushChunk, endBody, failBody) and says how to start, pause,
 * resume and discard its source.
 */
import type { RawRequest } from './http-types.js';

type BodyReaderApi = Pick<RawRequest, 'readBody' | 'pauseBody' | 'resumeBody' | 'discardBody'>;

export abstract class BodyReader implements BodyReaderApi {
  /** The body arrived whole, failed, or there is none. */
  bodyDone: boolean;
  /** The app will not read it (discardBody()). */
  discarded = false;
  private held: Buffer[] | null = null;
  private reading = false;
  private onChunk: ((chunk: Buffer) => void) | null = null;
  private onEnd: (() => void) | null = null;
  private onError: ((err: Error) => void) | null = null;
  private failed: Error | null = null;
  /** pauseBody() holds the source; the end of the body must not leave it held (the next request waits behind it). */
  private paused = false;

  constructor(hasBody: boolean) {
    this.bodyDone = !hasBody;
  }

  /** The first readBody() while the body is still arriving (e.g. 100 Continue, listen to the source). */
  protected abstract startBody(): void;
  protected abstract pauseSource(): void;
  protected abstract resumeSource(): void;
  /** discardBody() while the body is still arriving: drop the rest. */
  protected abstract discardSource(): void;

  readBody(onChunk: (chunk: Buffer) => void, onEnd: () => void, onError: (err: Error) => void): void {
    if (this.reading) throw new Error('readBody() may be called once per request');
    this.reading = true;
    this.onChunk = onChunk;
    this.onEnd = onEnd;
    this.onError = onError;
    if (this.failed) {
      onError(this.failed);
      return;
    }
    if (!this.bodyDone) this.startBody();
    const held = this.held;
    this.held = null;
    if (held) for (const c of held) onChunk(c);
    if (this.bodyDone && !this.failed) onEnd();
  }

  pauseBody(): void {
    if (this.bodyDone || this.discarded) return;
    this.paused = true;
    this.pauseSource();
  }

  resumeBody(): void {
    if (this.bodyDone || this.discarded) return;
    this.paused = false;
    this.resumeSource();
  }

  discardBody(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.held = null;
    if (this.bodyDone) return;
    // A paused body is let go too: the rest is read and dropped, or the connection never reads its next request.
    if (this.paused) {
      this.paused = false;
      this.resumeSource();
    }
    this.discardSource();
  }

  // ---- fed by the backend ----

  /** A chunk of the body; it belongs to the callee. */
  pushChunk(chunk: Buffer): void {
    if (this.discarded || this.failed) return;
    if (this.onChunk) this.onChunk(chunk);
    else (this.held ??= []).push(chunk);
  }

  endBody(): void {
    if (this.bodyDone) return;
    this.bodyDone = true;
    // Paused on the last chunk (which came with the end): release the connection for the next request.
    if (this.paused) {
      this.paused = false;
      this.resumeSource();
    }
    if (!this.discarded) this.onEnd?.();
  }

  /** The connection failed or the body is invalid; later readBody() calls get `err` too. */
  failBody(err: Error): void {
    if (this.bodyDone || this.failed) return;
    this.failed = err;
    this.bodyDone = true;
    this.held = null;
    this.bodyFailed();
    if (!this.discarded) this.onError?.(err);
  }

  /** Hook: the body failed (e.g. drop the rest of the source). */
  protected bodyFailed(): void {}
}
