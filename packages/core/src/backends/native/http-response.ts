/**
 * RawResponse for the native transport. Responses of one connection leave
 * in request order: only the oldest unfinished response writes to the
 * connection; later ones (pipelining) hold their bytes until it is done.
 */
import type { OutgoingHeaders, RawResponse } from '../../http-types.js';
import type { RawWebSocket, WebSocketAccept, WebSocketEvents } from '../../websocket-types.js';
import type { NativeRequest } from './http-request.js';
import type { HttpConnection } from './http-connection.js';
import { byteLengthOf } from './http-strings.js';
import { responseBytes, SHORT_BODY } from './http-serialize.js';
import type { FlatJsonFields } from '../../flat-json.js';
import { bodyless, scanHeaders } from '../../http-framing.js';
import { closesConnection, connectionHeader } from '../../keep-alive.js';
import { addCloseCallback, checkNotStarted, markClosed, mayWrite, runCloseCallbacks, type ResponseLife } from '../../response-state.js';

export interface ResponseOwner {
  /** Write to the connection (only called for the oldest response). Returns false past the high-water mark. */
  output(res: NativeResponse, data: string | Uint8Array, wantDrain: boolean): boolean;
  /** output() of `n` bytes (all of `bytes`) without wanting drain. */
  outputSized(res: NativeResponse, bytes: Uint8Array, n: number): void;
  /** The response is complete (called in order). */
  finished(res: NativeResponse): void;
  /** Whether this response may keep the connection open. */
  mayKeepAlive(res: NativeResponse): boolean;
  destroy(res: NativeResponse): void;
  upgradeWebSocket(res: NativeResponse, accept: WebSocketAccept, events: WebSocketEvents): RawWebSocket;
}

const CRLF = '\r\n';

/** The rules of response-state.ts over fields of its own (not a ResponseState: a plain class constructs faster). */
export class NativeResponse implements RawResponse, ResponseLife {
  // Declared, then assigned in the constructor: field initializers would cost
  // a call and a define per field for every response.
  declare finished: boolean;
  declare aborted: boolean;
  declare started: boolean;
  declare closed: boolean;
  declare closeCbs: ((aborted: boolean) => void)[] | null;
  declare keepAlive: boolean;
  declare readonly req: NativeRequest;
  declare readonly conn: HttpConnection;
  declare private readonly owner: ResponseOwner;
  declare private readonly isHeadRequest: boolean;
  declare private chunked: boolean;
  declare private noBody: boolean;
  /** Bytes written before the response became the connection's oldest (pipelining); null when none. */
  declare private held: (string | Uint8Array)[] | null;
  declare private heldBytes: number;
  declare private drainCbs: (() => void)[] | null;

  constructor(req: NativeRequest, conn: HttpConnection, owner: ResponseOwner, isHeadRequest: boolean) {
    this.finished = false;
    this.aborted = false;
    this.started = false;
    this.closed = false;
    this.closeCbs = null;
    this.keepAlive = true;
    this.req = req;
    this.conn = conn;
    this.owner = owner;
    this.isHeadRequest = isHeadRequest;
    this.chunked = false;
    this.noBody = false;
    this.held = null;
    this.heldBytes = 0;
    this.drainCbs = null;
  }

  get isHeadRequestResponse(): boolean {
    return this.isHeadRequest;
  }

  /**
   * Assemble the head in responseBytes. bodyLength: bytes; -1 streaming
   * (length unknown); -2 HEAD without a body (headers as given).
   */
  private framing(status: number, headers: OutgoingHeaders, bodyLength: number): void {
    const scan = responseBytes.head(status, headers);
    this.noBody = this.isHeadRequest || bodyless(status);
    this.keepAlive = this.owner.mayKeepAlive(this) && !closesConnection(scan.connection);
    let chunked = false;
    let length = -1;
    if (bodyLength >= 0) {
      if (!scan.contentLength && !bodyless(status)) length = bodyLength;
    } else if (bodyLength === -1 && !scan.contentLength && !bodyless(status)) {
      // Streaming without a length: chunked on 1.1, close-delimited on 1.0.
      if (this.req.httpVersion === '1.1') {
        chunked = !scan.transferEncoding;
        this.chunked = !this.noBody;
      } else {
        this.keepAlive = false;
      }
    }
    responseBytes.framing(scan.connection === undefined ? connectionHeader(this.keepAlive, this.req.httpVersion) : '', chunked, length);
  }

  send(status: number, headers: OutgoingHeaders, body: Buffer | string | null): void {
    checkNotStarted(this, 'send');
    if (this.aborted) {
      this.started = this.finished = true;
      return;
    }
    if (typeof body === 'string' && body.length <= SHORT_BODY && !this.isHeadRequest && this.sendAscii(status, headers, body)) return;
    let length = 0;
    if (body !== null) length = typeof body === 'string' ? byteLengthOf(body) : body.byteLength;
    // Render first: a bad status or header throws here and leaves the response usable.
    this.framing(status, headers, body === null && this.isHeadRequest ? -2 : length);
    this.started = true;
    // Head and body leave as one write, unless the body does not fit the scratch.
    if (body === null || this.noBody || length === 0 || responseBytes.body(body, length)) this.outAssembled();
    else {
      this.outAssembled();
      this.out(body, false);
    }
    this.finish();
  }

  /**
   * send() of a short string body, framed as ASCII and checked while it is
   * copied (one pass over it). False when it is not ASCII: nothing was sent,
   * and send() frames it again with its UTF-8 length.
   */
  private sendAscii(status: number, headers: OutgoingHeaders, body: string): boolean {
    this.framing(status, headers, body.length);
    if (!this.noBody && body.length > 0 && !responseBytes.asciiBody(body)) return false;
    this.started = true;
    this.outAssembled();
    this.finish();
    return true;
  }

  /**
   * send() of the flat object `json` measured (`length` bytes of JSON),
   * written straight into the response bytes: no string is built. One whose
   * strings need escaping, or that does not fit the scratch, is sent as
   * json.text().
   */
  sendJson(status: number, headers: OutgoingHeaders, json: FlatJsonFields, length: number): void {
    checkNotStarted(this, 'send');
    if (this.aborted) {
      this.started = this.finished = true;
      return;
    }
    this.framing(status, headers, length);
    if (this.noBody || !responseBytes.flatJson(json, length)) {
      this.send(status, headers, json.text());
      return;
    }
    this.started = true;
    this.outAssembled();
    this.finish();
  }

  writeHead(status: number, headers: OutgoingHeaders): void {
    checkNotStarted(this, 'writeHead');
    if (this.aborted) {
      this.started = true;
      return;
    }
    this.framing(status, headers, -1);
    this.started = true;
    this.outAssembled();
  }

  write(chunk: Buffer | string): boolean {
    if (!mayWrite(this)) return false;
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (this.noBody || n === 0) return true;
    if (this.chunked) {
      this.out(n.toString(16) + CRLF, false);
      this.out(chunk, false);
      return this.out(CRLF, true);
    }
    return this.out(chunk, true);
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.finished) return;
    if (!this.started) {
      this.send(200, {}, null);
      return;
    }
    if (!this.aborted && this.chunked) this.out(trailers === undefined ? '0\r\n\r\n' : '0\r\n' + scanHeaders(trailers, true, null).text + CRLF, false);
    this.finish();
  }

  onDrain(cb: () => void): void {
    (this.drainCbs ??= []).push(cb);
  }

  onClose(cb: (aborted: boolean) => void): void {
    addCloseCallback(this, cb);
  }

  destroy(): void {
    if (!this.closed) this.owner.destroy(this);
  }

  /** Done (sent) or gone (aborted): drops what it held, runs the onClose callbacks once. */
  close(aborted: boolean): void {
    if (this.closed) return;
    markClosed(this, aborted);
    this.held = null;
    runCloseCallbacks(this, aborted);
  }

  // ---- transport side ----
  private out(data: string | Uint8Array, wantDrain: boolean): boolean {
    if (this.conn.queue[0] === this) return this.owner.output(this, data, wantDrain);
    (this.held ??= []).push(data);
    this.heldBytes += typeof data === 'string' ? data.length : data.byteLength;
    return this.heldBytes < 65536;
  }

  /** Write what responseBytes assembled; held bytes are copied (the scratch is reused by the next response). */
  private outAssembled(): void {
    const bytes = responseBytes.take();
    if (this.conn.queue[0] === this) this.owner.outputSized(this, bytes, responseBytes.length);
    else this.out(bytes.slice(), false);
  }

  private finish(): void {
    this.finished = true;
    if (this.conn.queue[0] === this) this.owner.finished(this);
  }

  /**
   * The transport answers instead of the app (invalid body, timeout): the
   * answer waits its turn behind earlier responses, and the connection closes
   * after it. The app's own send() is refused from now on.
   */
  answerWith(raw: string): void {
    this.started = true;
    this.aborted = true;
    this.keepAlive = false;
    this.held = null;
    this.heldBytes = 0;
    this.out(raw, false);
    this.finish();
  }

  upgradeWebSocket(accept: WebSocketAccept, events: WebSocketEvents): RawWebSocket {
    return this.owner.upgradeWebSocket(this, accept, events);
  }

  /** Became the oldest response: write what it held. */
  promote(): void {
    const held = this.held;
    this.held = null;
    this.heldBytes = 0;
    if (held) for (const d of held) this.owner.output(this, d, false);
  }

  emitDrain(): void {
    const cbs = this.drainCbs;
    this.drainCbs = null;
    if (cbs) for (const cb of cbs) cb();
  }
}
