/**
 * request.raw: a view of the transport's request shaped like node's
 * http.IncomingMessage, for plugins written against node (multipart's
 * busboy pipes it, parsers read it as a stream, hooks listen for 'close').
 * Built on first access only: a route that never reads request.raw pays
 * nothing for it.
 *
 * The body is the transport's, read once: whoever reads it first (the
 * framework's body parser, or this stream) gets it. Reading this stream after
 * the framework parsed the body gives an empty, complete stream, as in node
 * once a body has been consumed.
 */
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { Readable } from 'node:stream';
import type { IncomingHeaders, RawResponse } from '@ringside/core';
import { BODY_DONE, BODY_READING, BODY_UNREAD } from './content-type-parser.js';
import { kBodyState, kContext, kTransportRequest, kTransportResponse } from './symbols.js';
import type { Request } from './request.js';

/**
 * request.raw.socket: the connection's addresses. The transport owns the
 * real socket; destroy() closes the connection through it. It emits 'close'
 * when the connection goes before the response was sent.
 */
export class RawSocket extends EventEmitter {
  readonly encrypted = false;
  readonly remoteFamily: 'IPv4' | 'IPv6';

  constructor(
    private readonly res: RawResponse,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly localAddress: string,
    readonly localPort: number,
  ) {
    super();
    this.remoteFamily = isIPv6(remoteAddress) ? 'IPv6' : 'IPv4';
  }

  get destroyed(): boolean {
    return this.res.aborted;
  }

  get writable(): boolean {
    return !this.res.aborted && !this.res.finished;
  }

  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: isIPv6(this.localAddress) ? 'IPv6' : 'IPv4', port: this.localPort };
  }

  destroy(): this {
    this.res.destroy();
    return this;
  }

  // Socket options belong to the transport; accepted for compatibility.
  setTimeout(_ms?: number, _cb?: () => void): this {
    return this;
  }
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }
  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

/** An error like node's when the client goes mid-request (ECONNRESET 'aborted'). */
function abortedError(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

export class RawIncomingMessage extends Readable {
  /** The same object as request.headers (lower-case names). */
  readonly headers: IncomingHeaders;
  method: string;
  url: string;
  readonly httpVersion: string;
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor: number;
  readonly socket: RawSocket;
  /** True once the client went before the response was sent. */
  aborted = false;
  /** Trailers are not passed on by the transport. */
  readonly trailers: Record<string, string> = {};
  readonly rawTrailers: string[] = [];
  #rawHeaders: string[] | null = null;
  #reading = false;
  #paused = false;
  #ended = false;
  #failed = false;

  constructor(private readonly request: Request) {
    super();
    const raw = request[kTransportRequest];
    const res = request[kTransportResponse];
    this.headers = raw.headers;
    this.method = raw.method;
    this.url = raw.url;
    this.httpVersion = raw.httpVersion;
    this.httpVersionMinor = raw.httpVersion === '1.0' ? 0 : 1;
    const local = request[kContext].root.transport?.address();
    this.socket = new RawSocket(res, raw.remoteAddress, raw.remotePort, local?.address ?? '127.0.0.1', local?.port ?? 80);
    res.onClose((aborted) => this.#responseClosed(aborted));
  }

  /** Alias of socket (deprecated in node, still read by plugins). */
  get connection(): RawSocket {
    return this.socket;
  }

  /** True once the whole body was received (or there is none). */
  get complete(): boolean {
    if (this.#ended) return true;
    const raw = this.request[kTransportRequest];
    return !raw.hasBody || (this.request[kBodyState] === BODY_DONE && !this.#failed);
  }

  /**
   * Name, value, name, value…: the transport keeps no original spelling, so
   * names are lower-case, and a repeated field joined by the transport stays one entry.
   */
  get rawHeaders(): string[] {
    let list = this.#rawHeaders;
    if (list === null) {
      list = [];
      const headers = this.headers;
      for (const name of Object.keys(headers)) {
        const value = headers[name];
        if (value === undefined) continue;
        if (typeof value === 'string') list.push(name, value);
        else for (const v of value) list.push(name, v);
      }
      this.#rawHeaders = list;
    }
    return list;
  }

  /** The transport's timeouts apply (requestTimeout); accepted for compatibility. */
  setTimeout(_ms?: number, _cb?: () => void): this {
    return this;
  }

  override _read(): void {
    const req = this.request;
    const raw = req[kTransportRequest];
    if (this.#reading) {
      if (this.#paused) {
        this.#paused = false;
        raw.resumeBody();
      }
      return;
    }
    this.#reading = true;
    if (req[kBodyState] !== BODY_UNREAD || !raw.hasBody) {
      // No body, or the framework has read (or is streaming) it: nothing is left here.
      this.push(null);
      return;
    }
    req[kBodyState] = BODY_READING;
    raw.readBody(
      (chunk) => {
        if (this.destroyed) return;
        if (!this.push(chunk) && !this.#paused) {
          this.#paused = true;
          raw.pauseBody();
        }
      },
      () => {
        req[kBodyState] = BODY_DONE;
        this.#ended = true;
        if (!this.destroyed) this.push(null);
      },
      (err) => {
        req[kBodyState] = BODY_DONE;
        this.#failed = true;
        if (!this.destroyed) this.destroy(err);
      },
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // As node: a request is aborted when the client went before it was read and answered.
    if ((!this.complete || !this.readableEnded) && this.request[kTransportResponse].aborted && !this.aborted) {
      this.aborted = true;
      this.emit('aborted');
    }
    // As node: the error is emitted only to listeners (an unread body failing must not crash the process).
    cb(this.listenerCount('error') > 0 ? err : undefined);
  }

  /** The response was sent (the request is over) or the connection went first. */
  #responseClosed(aborted: boolean): void {
    if (aborted) {
      this.socket.emit('close', true);
      if (!this.destroyed) this.destroy(this.complete ? undefined : abortedError());
    } else if (!this.destroyed) {
      this.destroy();
    }
  }
}
