/**
 * HttpTransport over the native loop: heads are parsed natively and arrive as
 * REQUEST records in batches; responses are serialized here into the shared
 * output area, in request order per connection.
 */
import {
  Ev,
  NO_CONNECTION,
  Op,
  OP_FLAG_WS_BINARY,
  OP_FLAG_WS_COMPRESS,
  Timeout,
  WS_ACCEPT_WORDS,
  WsAcceptFlag,
  WsAcceptWord,
  slotOf,
  type Binding,
} from '@ringside/native';
import type { HttpLimits, HttpTransport, HttpTransportOptions } from '../../http-types.js';
import { defaultWebSocketOptions, type RawWebSocket, type WebSocketAccept, type WebSocketEvents } from '../../websocket-types.js';
import { negotiateDeflate, websocketAccept } from '../../websocket-offer.js';
import { scanHeaders } from '../../http-framing.js';
import { NativeWebSocket, type WebSocketOwner } from './websocket.js';
import type { AddressInfo, ListenOptions, NativeDriver } from '../../types.js';
import { errorResponse, transportErrors, type TransportError } from '../../http-errors.js';
import { threadLoop } from './native-loop.js';
import { DataRecord, HttpErrorRecord, RequestRecord, TimeoutRecord, WsCloseRecord, WsMessageRecord } from './event-records.js';
import { HTTP_HIGH_WATER_MARK as HIGH_WATER_MARK, runHandler } from '../../http-rules.js';
import { keepAliveAfter, limitsAllowAnother } from '../../keep-alive.js';
import { NativeServer } from './native-server.js';
import { buildHeaders, NativeRequest, type RequestOwner } from './http-request.js';
import { NativeResponse, type ResponseOwner } from './http-response.js';
import { listenOptions } from './listen.js';
import { HttpConnection } from './http-connection.js';
import { SHORT_STRING, latin1At, methodAt, shortLatin1 } from './http-strings.js';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

class NativeHttpTransport extends NativeServer implements HttpTransport, ResponseOwner, RequestOwner, WebSocketOwner {
  private readonly conns = new Map<number, HttpConnection>();
  /** The same connections by slot: an event's lookup is an array index, not a Map probe. */
  private readonly bySlot: (HttpConnection | undefined)[] = [];
  /** WebSocket subscribers per topic on this transport. */
  private readonly subscribers = new Map<string, number>();

  constructor(
    binding: Binding,
    driver: NativeDriver,
    private readonly options: HttpTransportOptions,
    readonly limits: HttpLimits,
    readonly backendReason: string,
  ) {
    super(threadLoop(binding), driver);
    if (limits.maxHeaderSize > 1024 * 1024)
      throw new RangeError(`Option "maxHeaderSize" must be at most 1 MiB on the native backends, got ${limits.maxHeaderSize}`);
  }

  protected get openCount(): number {
    return this.conns.size;
  }

  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    const l = this.limits;
    return this.bind(
      listenOptions(options, {
        maxHeaderSize: l.maxHeaderSize,
        maxHeaders: l.maxHeaders,
        maxUrlLength: l.maxUrlLength,
        bodyLimit: l.bodyLimit,
        headersTimeout: l.headersTimeout,
        requestTimeout: l.requestTimeout,
        keepAliveTimeout: l.keepAliveTimeout,
        sendTimeout: l.sendTimeout,
      }),
      {},
    );
  }

  // ---- events ----------------------------------------------------------------

  onOpen(id: number, address: string, port: number): void {
    this.accepted++;
    const conn = new HttpConnection(id, address, port);
    this.conns.set(id, conn);
    const slot = slotOf(id);
    // Filled up to the slot, so the array stays dense (never a dictionary of far indexes).
    while (this.bySlot.length <= slot) this.bySlot.push(undefined);
    this.bySlot[slot] = conn;
    // Accepted just before the listener closed: served like the others (a request may be on its way), unless idle ones are already ending.
    if (this.closingIdle) {
      conn.closing = true;
      this.loop.op(id, Op.END_CLOSE);
    }
  }

  onEvent(type: number, id: number, at: number): void {
    const conn = this.bySlot[slotOf(id)];
    if (conn === undefined || conn.id !== id) return;
    const ev = this.loop.events;
    switch (type) {
      case Ev.REQUEST:
        this.onRequest(conn, at);
        break;
      case Ev.BODY:
        conn.body?.pushChunk(DataRecord.copy(ev, at, this.loop.eventData));
        break;
      case Ev.BODY_END: {
        const body = conn.body;
        conn.body = null;
        body?.endBody();
        break;
      }
      case Ev.HTTP_ERROR:
        // Head errors: native answers once earlier responses are out (they keep
        // their keep-alive framing), then closes; JS only takes no more requests.
        // Body errors: this request's answer is ours, in its turn; earlier ones go out as they are.
        conn.lastRequest = true;
        if (HttpErrorRecord.inBody(ev, at)) this.onBodyError(conn, HttpErrorRecord.answer(ev, at));
        break;
      case Ev.DRAIN:
        if (conn.ws) conn.ws.onDrain();
        else conn.queue[0]?.emitDrain();
        break;
      case Ev.WS_MESSAGE:
        conn.ws?.onMessage(WsMessageRecord.copy(ev, at, this.loop.eventData), WsMessageRecord.binary(ev, at), WsMessageRecord.fin(ev, at));
        break;
      case Ev.WS_PING:
        conn.ws?.onPing(DataRecord.copy(ev, at, this.loop.eventData));
        break;
      case Ev.WS_PONG:
        conn.ws?.onPong(DataRecord.copy(ev, at, this.loop.eventData));
        break;
      case Ev.WS_CLOSE:
        conn.ws?.onCloseCode(WsCloseRecord.code(ev, at), WsCloseRecord.reason(ev, at, this.loop.eventData));
        break;
      case Ev.TIMEOUT:
        if (TimeoutRecord.kind(ev, at) === Timeout.REQUEST) this.onRequestTimeout(conn);
        break;
      case Ev.CLOSE:
        this.onClose(conn);
        break;
    }
  }

  private onRequest(conn: HttpConnection, at: number): void {
    // Requests pipelined behind the connection's last one are never answered: do not run them.
    // (Checked first: V8 inlines calls past an early return only after those before it.)
    if (conn.lastRequest) return;
    const ev = this.loop.events;
    const data = this.loop.eventData;
    const method = methodAt(data, RequestRecord.methodOff(ev, at), RequestRecord.methodLen(ev, at));
    const targetOff = RequestRecord.targetOff(ev, at);
    const targetLen = RequestRecord.targetLen(ev, at);
    let url: string;
    // A short target is built outright (cheaper than comparing it with the last and keeping it); a longer one is reused when it repeats.
    if (targetLen <= SHORT_STRING) url = shortLatin1(data, targetOff, targetLen);
    else {
      url = latin1At(data, targetOff, targetLen, conn.lastUrl);
      conn.lastUrl = url;
    }
    const headers = buildHeaders(this.loop, RequestRecord.firstField(ev, at), RequestRecord.fieldCount(ev, at), conn.lastHead);
    const contentLength = RequestRecord.contentLength(ev, at);
    conn.requests++;
    const req = new NativeRequest(method, url, headers, conn, contentLength, RequestRecord.flags(ev, at), this);
    const res = new NativeResponse(req, conn, this, method === 'HEAD');
    if (!req.keepAlive || !limitsAllowAnother(this.limits, req.index)) conn.lastRequest = true;
    const queue = conn.queue;
    // Mostly empty (answered before the next request is read): a store, where push() is a builtin call.
    if (queue.length === 0) queue[0] = res;
    else queue.push(res);
    if (req.hasBody) conn.body = req.body;
    runHandler(this.options.onRequest, req, res);
  }

  private onBodyError(conn: HttpConnection, e: TransportError): void {
    const body = conn.body;
    conn.body = null;
    if (!body) {
      this.loop.op(conn.id, Op.END_CLOSE);
      return;
    }
    const err = Object.assign(new Error(e.message), { statusCode: e.status, code: e.code });
    body.failBody(err);
    const res = conn.queue.find((r) => r.req === body.req);
    if (res && !res.started) this.answerAndClose(conn, res, e);
    else this.loop.op(conn.id, Op.END_CLOSE);
  }

  private onRequestTimeout(conn: HttpConnection): void {
    const res = conn.queue[0];
    if (!res) return;
    if (!res.started) this.answerAndClose(conn, res, transportErrors.requestTimeout);
    else this.loop.op(conn.id, Op.DESTROY);
  }

  /** The transport answers for the app (error or timeout), in order, and closes after it. */
  private answerAndClose(conn: HttpConnection, res: NativeResponse, e: TransportError): void {
    res.answerWith(errorResponse(e, new Date(), res.isHeadRequestResponse));
  }

  private onClose(conn: HttpConnection): void {
    conn.closed = true;
    this.conns.delete(conn.id);
    this.bySlot[slotOf(conn.id)] = undefined;
    conn.ws?.onGone();
    conn.body?.failBody(Object.assign(new Error('Connection closed before the body was complete'), { code: 'ECONNRESET' }));
    conn.body = null;
    for (const r of conn.queue) r.close(true);
    conn.queue.length = 0;
    this.connectionGone();
  }

  // ---- ResponseOwner -----------------------------------------------------------

  mayKeepAlive(res: NativeResponse): boolean {
    const req = res.req;
    return keepAliveAfter(this.limits, req.index, req.keepAlive, res.conn.closing || this.closing, req.bodySettled);
  }

  output(res: NativeResponse, data: string | Uint8Array, wantDrain: boolean): boolean {
    const conn = res.conn;
    if (conn.closed) return false;
    const loop = this.loop;
    if (loop.taken(conn.epoch)) conn.unflushed = 0;
    const n = typeof data === 'string' ? loop.writeString(conn.id, data, false) : loop.write(conn.id, data, false);
    return this.wrote(conn, n, wantDrain);
  }

  outputSized(res: NativeResponse, bytes: Uint8Array, n: number): void {
    const conn = res.conn;
    if (conn.closed) return;
    const loop = this.loop;
    if (loop.taken(conn.epoch)) conn.unflushed = 0;
    loop.writeSized(conn.id, bytes, n, false);
    this.wrote(conn, n, false);
  }

  /** Count `n` bytes just written for the connection; with `wantDrain`, false past the high-water mark (DRAIN follows). */
  private wrote(conn: HttpConnection, n: number, wantDrain: boolean): boolean {
    const loop = this.loop;
    conn.epoch = loop.epoch;
    conn.unflushed += n;
    if (!wantDrain) return true;
    const full = loop.queuedFor(conn.id) + conn.unflushed >= HIGH_WATER_MARK;
    if (full) loop.write(conn.id, new Uint8Array(0), true);
    return !full;
  }

  finished(res: NativeResponse): void {
    const conn = res.conn;
    // Complete responses leave the queue in order; the next one writes what it held.
    let head: NativeResponse | undefined = res;
    while (head?.finished && conn.queue[0] === head) {
      // Mostly the only one (answered before the next request is read): pop() keeps the array's storage, shift() trims it.
      if (conn.queue.length === 1) conn.queue.pop();
      else conn.queue.shift();
      this.loop.responseDone(conn.id);
      head.close(false);
      if (!head.keepAlive) {
        conn.closing = true;
        this.loop.op(conn.id, Op.END_CLOSE);
        for (const r of conn.queue) r.close(true);
        conn.queue.length = 0;
        break;
      }
      head = conn.queue[0];
      if (head) {
        head.promote();
        if (!head.finished) break;
      }
    }
    // A response begun before close() kept the connection alive: it is idle now, and waits out the idle grace like the others.
    if (this.closingIdle && conn.queue.length === 0 && !conn.closing) {
      conn.closing = true;
      this.loop.op(conn.id, Op.END_CLOSE);
    }
  }

  destroy(res: NativeResponse): void {
    const conn = res.conn;
    if (conn.closed) return;
    conn.closing = true;
    this.loop.op(conn.id, Op.DESTROY);
  }

  // ---- WebSockets ------------------------------------------------------------------

  /** 101 and the switch to frames (native holds the connection's input until WS_ACCEPT). */
  upgradeWebSocket(res: NativeResponse, accept: WebSocketAccept, events: WebSocketEvents): RawWebSocket {
    const conn = res.conn;
    const offer = res.req.websocket;
    if (!offer) throw new Error('upgradeWebSocket(): the request is not a valid WebSocket upgrade');
    if (res.started || conn.closed) throw new Error('upgradeWebSocket(): the response has already started');
    if (conn.queue[0] !== res) throw new Error('upgradeWebSocket(): earlier pipelined responses on this connection are not finished');
    const { protocol = '', headers, ...rest } = accept;
    const options = { ...defaultWebSocketOptions, ...rest };
    if (protocol !== '' && !offer.protocols.includes(protocol))
      throw new Error(`upgradeWebSocket(): protocol "${protocol}" was not offered (${offer.protocols.join(', ') || 'none'})`);
    const deflate = options.compression ? negotiateDeflate(offer.extensions, options.compression) : null;
    let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${websocketAccept(offer.key)}\r\n`;
    if (protocol !== '') head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
    if (deflate) head += `Sec-WebSocket-Extensions: ${deflate.response}\r\n`;
    // The app's own fields, checked and rendered by the rule every response uses.
    if (headers) head += scanHeaders(headers, true, null).text;
    const words = new Uint32Array(WS_ACCEPT_WORDS);
    words[WsAcceptWord.MAX_PAYLOAD] = options.maxPayload;
    words[WsAcceptWord.MAX_BACKPRESSURE] = options.maxBackpressure;
    words[WsAcceptWord.IDLE_TIMEOUT_MS] = options.idleTimeout;
    words[WsAcceptWord.COMPRESS_THRESHOLD] = (options.compression ? options.compression.threshold : undefined) ?? 64;
    let flags = options.sendPings ? WsAcceptFlag.SEND_PINGS : 0;
    if (deflate) {
      const p = deflate.params;
      flags |= WsAcceptFlag.DEFLATE;
      if (p.serverNoContextTakeover) flags |= WsAcceptFlag.SERVER_NO_CONTEXT;
      if (p.clientNoContextTakeover) flags |= WsAcceptFlag.CLIENT_NO_CONTEXT;
      words[WsAcceptWord.SERVER_WINDOW_BITS] = p.serverMaxWindowBits;
      words[WsAcceptWord.CLIENT_WINDOW_BITS] = p.clientMaxWindowBits;
    }
    words[WsAcceptWord.FLAGS] = flags;
    this.loop.span(Op.WS_ACCEPT, conn.id, `${head}\r\n`, new Uint8Array(words.buffer));
    // The upgrade request is answered: no more HTTP on this connection.
    const ws = new NativeWebSocket(conn, this, protocol, deflate ? deflate.response : '', options, events);
    conn.ws = ws;
    conn.lastRequest = true;
    conn.body = null;
    res.started = res.finished = true;
    conn.queue.shift();
    res.close(false);
    return ws;
  }

  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void {
    this.publishFrom(NO_CONNECTION, topic, data, isBinary, compress);
  }

  publishFrom(from: number, topic: string, data: string | Uint8Array, isBinary: boolean | undefined, compress: boolean | undefined): void {
    if (!this.subscribers.has(topic)) return;
    const binary = isBinary ?? typeof data !== 'string';
    const topicBytes = Buffer.from(topic, 'utf8');
    const prefix = Buffer.allocUnsafe(4 + topicBytes.length);
    prefix.writeUInt32LE(topicBytes.length, 0);
    topicBytes.copy(prefix, 4);
    const flags = (binary ? OP_FLAG_WS_BINARY : 0) | (compress !== false ? OP_FLAG_WS_COMPRESS : 0);
    this.loop.span(Op.WS_PUBLISH | flags, from, data, prefix);
  }

  subscriberCount(topic: string): number {
    return this.subscribers.get(topic) ?? 0;
  }

  subscribed(topic: string, delta: 1 | -1): void {
    const n = (this.subscribers.get(topic) ?? 0) + delta;
    if (n > 0) this.subscribers.set(topic, n);
    else this.subscribers.delete(topic);
  }

  // ---- RequestOwner --------------------------------------------------------------

  pauseBody(req: NativeRequest): void {
    const conn = req.conn;
    if (!conn.closed) this.loop.op(conn.id, Op.PAUSE);
  }
  resumeBody(req: NativeRequest): void {
    const conn = req.conn;
    if (!conn.closed) this.loop.op(conn.id, Op.RESUME);
  }
  discardBody(req: NativeRequest): void {
    const conn = req.conn;
    if (!conn.closed && conn.body?.req === req) {
      conn.body = null;
      this.loop.op(conn.id, Op.DISCARD_BODY);
    }
  }
  continue(req: NativeRequest): void {
    const conn = req.conn;
    const res = conn.queue.find((r) => r.req === req);
    // 100 Continue only before the final answer has begun, and only in order.
    if (res && !res.started && conn.queue[0] === res) this.loop.writeString(conn.id, CONTINUE, false);
  }

  // ---- close ---------------------------------------------------------------------

  protected beginClose(): void {
    for (const c of this.conns.values()) {
      // WebSockets are told the server goes away (1001) and close with the handshake.
      if (c.ws) {
        c.closing = true;
        c.ws.closeWith(1001);
        continue;
      }
      // Idle keep-alive connections close now; busy ones after their last response.
      if (c.queue.length === 0 && !c.closing) {
        c.closing = true;
        this.loop.op(c.id, Op.END_CLOSE);
      }
    }
  }

  protected destroyAll(): void {
    for (const c of this.conns.values()) {
      c.closing = true;
      this.loop.op(c.id, Op.DESTROY);
    }
  }
}

export function createNativeHttpTransport(
  binding: Binding,
  driver: NativeDriver,
  options: HttpTransportOptions,
  limits: HttpLimits,
  reason: string,
): HttpTransport {
  return new NativeHttpTransport(binding, driver, options, limits, reason);
}
