/**
 * HttpTransport over node:http: the fallback backend. node's llhttp parses
 * (strict mode); this file adds what the contract asks on top of it so that
 * both backends answer alike: Ringside's limits with the JSON error answers of
 * the native parser, keep-alive rules (keepAliveTimeout 0, requests per
 * connection, closing), a request timeout that also covers the handler, a
 * send timeout for clients that stop reading, HTTP/1.x versions above 1.1
 * served as 1.1, and lingering closes.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type net from 'node:net';
import type { HttpLimits, HttpTransport, HttpTransportOptions, IncomingHeaders, OutgoingHeaders, RawRequest, RawResponse } from '../../http-types.js';
import type { AddressInfo, ListenOptions, ServerStats } from '../../types.js';
import { NodeServer, kernelBytes, nodeStats, peerAddress, sentBytes, type HttpTimeoutCounters } from './server-common.js';
import { acceptAnyMinorVersion } from './lenient-version.js';
import { bodyless, checkStatus, scanHeaders, validateResponse } from '../../http-framing.js';
import { HTTP_HIGH_WATER_MARK as HIGH_WATER_MARK, LINGER_MS, runHandler } from '../../http-rules.js';
import { BodyReader } from '../../body-reader.js';
import { ResponseState } from '../../response-state.js';
import { keepAliveAfter, limitsAllowAnother } from '../../keep-alive.js';
import { turnTime } from '../../turn-clock.js';
import { errorResponse, transportErrors, type TransportError } from '../../http-errors.js';
import type { RawWebSocket, WebSocketAccept, WebSocketEvents, WebSocketOffer } from '../../websocket-types.js';
import { websocketOffer } from '../../websocket-offer.js';
import { NodeWebSockets, websocketPlan, withBodyFromSocket, type WebSocketPlan } from './websocket.js';
import { forgetHold, holdInput, releaseInput } from './input-hold.js';
import { MAX_OUTSTANDING_REQUESTS } from '@ringside/native';

/**
 * Period of a timeout sweep: node's for headersTimeout/requestTimeout (connectionsCheckingInterval),
 * ours for requests still in the handler and for sendTimeout. 1 s, finer only for timeouts of a
 * few seconds or less.
 */
function checkInterval(...timeouts: number[]): number {
  const on = timeouts.filter((t) => t > 0);
  if (on.length === 0) return 1000;
  return Math.min(1000, Math.max(50, Math.floor(Math.min(...on) / 4)));
}

/** Complete responses for answers written straight to the socket, rendered again when the Date second changes. */
const rawAnswers = new Map<string, { second: number; bytes: Buffer }>();
function rawAnswer(e: TransportError, head: boolean): Buffer {
  const second = Math.floor(Date.now() / 1000);
  const key = `${e.code} ${e.message} ${head}`;
  let a = rawAnswers.get(key);
  if (!a || a.second !== second) rawAnswers.set(key, (a = { second, bytes: Buffer.from(errorResponse(e, new Date(second * 1000), head), 'latin1') }));
  return a.bytes;
}

let lenientVersionWarned = false;

/** node parser error codes → the answer the native parser gives for the same input. */
function parseErrorAnswer(err: NodeJS.ErrnoException & { reason?: string }): TransportError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return transportErrors.headersTooLarge;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return transportErrors.requestTimeout;
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return transportErrors.badChunk;
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return transportErrors.smuggling;
    case 'HPE_INVALID_VERSION':
      return err.reason === 'Invalid HTTP version' ? transportErrors.versionNotSupported : transportErrors.badRequest;
    default:
      return transportErrors.badRequest;
  }
}

function codedError(e: TransportError): Error {
  return Object.assign(new Error(e.message), { statusCode: e.status, code: e.code });
}

const HOST_VALUE = /^[A-Za-z0-9\-._~%!$&'()*+;=:[\]]*$/;
const ABSOLUTE_TARGET = /^https?:\/\/[^/?#@]/i;

/** Per-connection state. */
interface Conn {
  readonly socket: net.Socket;
  /** The peer, read once per connection. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Requests seen (for maxRequestsPerSocket). */
  requests: number;
  /** No further request is served; the connection closes after the current response. */
  closing: boolean;
  /** Responses not yet closed, in request order. */
  readonly live: NodeResponse[];
  /**
   * The last of `live` whose handlers have not run: parsed past MAX_OUTSTANDING_REQUESTS
   * (node parses a whole read before it stops); run as earlier answers go out (release()).
   */
  readonly waiting: NodeResponse[];
  /** release() is running handlers (one that answers at once must not start another pass). */
  releasing: boolean;
  /** Input stopped at MAX_OUTSTANDING_REQUESTS (holdIfFull()) until release(). */
  held: boolean;
  /** The request whose body is still arriving. */
  bodyReq: NodeRequest | null;
  /** A transport answer to write once the live responses are out (then close). */
  pendingAnswer: { e: TransportError; head: boolean } | null;
  /** node reported a parse error or timeout; it reports more for the same bytes. */
  errored: boolean;
  lingering: boolean;
  /** kernelBytes() when the sweep last saw output waiting, and since when it has not moved (0: nothing waiting). */
  sentMark: number;
  stalledSince: number;
  /** The last Host value found valid: a client sends the same one on every request. */
  validHost: string;
}

/**
 * A request without a body, or whose body has ended, leaves nothing to drain,
 * yet node:http drains its message once the response is out unless it was
 * dumped already: removeAllListeners('data') (which turns the listener table
 * into a dictionary), resume, read, 'end', destroy, 'close', four ticks of
 * stream machinery per request. Only this transport sees node's message (the
 * app reads the body through BodyReader), so it is marked dumped. `_dumped` is
 * the flag node's own isIncomingMessage() checks; without it node drains as
 * before.
 */
function nothingToDrain(raw: IncomingMessage): void {
  const m = raw as IncomingMessage & { _dumped?: boolean };
  if (m._dumped === false) m._dumped = true;
}

const kConn = Symbol('ringside.conn');
type TrackedSocket = net.Socket & { [kConn]?: Conn };

const kReq = Symbol('ringside.request');
/** node's message, its internals this transport reads and sets named (see takeBody()). */
type TrackedMessage = IncomingMessage & { [kReq]?: NodeRequest; _consuming: boolean };

/**
 * The body is taken where node's parser hands it over: parserOnBody calls the
 * message's push() with each chunk (and parserOnMessageComplete with null), a
 * false return stops reading the socket, the message's _read() starts it
 * again. Reading it as a stream instead ('data', 'end') costs per request a
 * resume, reads, an 'end' and an autodestroy, each a tick or more. Only this
 * transport sees node's message (the app reads through BodyReader); a message
 * that closes early fails its body in onConnClose, so no 'error' listener is
 * needed either.
 */
function takeBody(raw: IncomingMessage, req: NodeRequest): void {
  const m = raw as TrackedMessage;
  m[kReq] = req;
  m.push = pushBody;
}

/** push() of a message whose body a NodeRequest takes (no closure per request: it is found under kReq). */
function pushBody(this: TrackedMessage, chunk: Buffer | null): boolean {
  const req = this[kReq];
  if (req === undefined) return true;
  if (chunk !== null) return req.bodyData(chunk);
  this[kReq] = undefined; // the exchange is not held by node's message, which lives until the next request
  req.bodyEnd();
  return false;
}

class NodeRequest extends BodyReader implements RawRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: '1.0' | '1.1';
  readonly headers: IncomingHeaders;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly contentLength: number;
  readonly hasBody: boolean;
  res: NodeResponse | null = null;
  /** A valid WebSocket offer (only requests of node's 'upgrade' event have raw.upgrade set). */
  readonly websocket: WebSocketOffer | null;
  /** 1-based position on the connection (maxRequestsPerSocket). */
  readonly index: number;
  private received = 0;
  /** The app reads or discards the body: chunks go on as they come (until pauseBody()). */
  private taking = false;
  private sourcePaused = false;

  constructor(
    readonly raw: IncomingMessage,
    readonly conn: Conn,
    private readonly owner: NodeHttpTransport,
    readonly expectContinue: boolean,
  ) {
    const headers = raw.headers as IncomingHeaders;
    const cl = headers['content-length'];
    const contentLength = cl === undefined ? -1 : Number(cl);
    const hasBody = contentLength > 0 || headers['transfer-encoding'] !== undefined;
    super(hasBody);
    this.contentLength = contentLength;
    this.hasBody = hasBody;
    this.method = raw.method ?? 'GET';
    this.url = raw.url ?? '/';
    this.httpVersion = raw.httpVersion === '1.0' ? '1.0' : '1.1';
    this.headers = headers;
    this.remoteAddress = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.index = conn.requests;
    this.websocket = (raw as { upgrade?: boolean }).upgrade === true ? websocketOffer(this.method, raw.httpVersion, headers) : null;
    if (hasBody) takeBody(raw, this);
    else if (this.websocket === null) nothingToDrain(raw);
  }

  /** The body is fully received (read or not), failed, or absent. */
  get complete(): boolean {
    return this.bodyDone || this.raw.complete;
  }

  protected startBody(): void {
    if (this.expectContinue && !this.raw.complete) this.owner.sendContinue(this);
    this.take();
  }

  protected pauseSource(): void {
    this.sourcePaused = true; // the socket stops at the next chunk (pushBody returns false)
  }
  protected resumeSource(): void {
    this.sourcePaused = false;
    this.readStart();
  }

  protected discardSource(): void {
    // Still counted against bodyLimit: a large discarded body closes the connection.
    this.take();
  }

  protected override bodyFailed(): void {
    this.sourcePaused = false;
    this.readStart(); // drop the rest
  }

  private take(): void {
    if (this.taking) return;
    this.taking = true;
    // Read on by this transport: node must not drop the rest once the response is out (its _dump()).
    (this.raw as TrackedMessage)._consuming = true;
    if (this.received >= HIGH_WATER_MARK) this.readStart(); // held for a reader until now
  }

  /** Let node read the socket again after pushBody returned false (node's own way: the message's _read()). */
  private readStart(): void {
    this.raw._read(HIGH_WATER_MARK);
  }

  /** A chunk from node's parser; whether it may read on. */
  bodyData(chunk: Buffer): boolean {
    if (this.bodyDone) return true;
    this.received += chunk.length;
    if (this.received > this.owner.limits.bodyLimit) {
      if (this.discarded) this.owner.discardedTooLarge(this);
      else this.owner.bodyTooLarge(this);
      return true;
    }
    // node's parser copies body bytes: the chunk is the callee's.
    this.pushChunk(chunk);
    // Before the app reads, the body is held up to HIGH_WATER_MARK bytes (as node holds a message nobody reads).
    return this.taking ? !this.sourcePaused : this.received < HIGH_WATER_MARK;
  }

  bodyEnd(): void {
    nothingToDrain(this.raw);
    if (this.bodyDone) return;
    this.owner.bodyEnded(this);
    this.endBody();
  }
}

/** 'finish' of a ServerResponse: its NodeResponse is found on the connection (no property or closure per response). */
function onResponseFinish(this: ServerResponse): void {
  const conn = (this.req.socket as TrackedSocket | null)?.[kConn];
  const live = conn?.live;
  if (!live) return;
  for (let i = 0; i < live.length; i++) {
    const r = live[i]!;
    if (r.raw === this) {
      r.owner.responseClosed(r, false);
      return;
    }
  }
}

class NodeResponse extends ResponseState implements RawResponse {
  /** turnTime() when the request arrived (requestTimeout). */
  readonly startedAt = turnTime();
  /** A 'finish' listener is on raw. Only when someone waits for this response (see watch()). */
  private watching = false;

  constructor(
    readonly raw: ServerResponse,
    readonly req: NodeRequest,
    readonly owner: NodeHttpTransport,
  ) {
    super();
  }

  /**
   * Be told when this response is out. Most responses are never watched: the
   * kernel takes them whole as they are sent (closeIfOut()). A connection that
   * goes first closes its responses itself (onConnClose): no 'close' listener
   * either.
   */
  watch(): void {
    if (this.watching || this.closed) return;
    this.watching = true;
    if (this.raw.writableFinished) this.owner.responseClosed(this, false);
    else this.raw.on('finish', onResponseFinish);
  }

  override onClose(cb: (aborted: boolean) => void): void {
    super.onClose(cb);
    this.watch();
  }

  send(status: number, headers: OutgoingHeaders, body: Buffer | string | null): void {
    this.checkNotStarted('send');
    if (this.aborted) {
      this.started = this.finished = true;
      return;
    }
    // Checked and flattened in one pass: node renders a flat list much faster than a copy of the object.
    checkStatus(status);
    const pairs: unknown[] = [];
    const scan = scanHeaders(headers, false, pairs);
    const withBody = body !== null && !bodyless(status);
    if (withBody && !scan.contentLength) pairs.push('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    this.started = true;
    this.finished = true;
    const raw = this.raw;
    this.owner.prepare(this);
    raw.writeHead(status, pairs as unknown as http.OutgoingHttpHeaders);
    // node drops the body of HEAD, 1xx, 204 and 304 responses itself.
    if (withBody) raw.end(body);
    else raw.end();
    this.closeIfOut();
  }

  writeHead(status: number, headers: OutgoingHeaders): void {
    this.checkNotStarted('writeHead');
    if (!this.aborted) validateResponse(status, headers);
    this.started = true;
    if (this.aborted) return;
    this.owner.prepare(this);
    // Chunked on 1.1 unless a length is given; close-delimited on 1.0 (node decides).
    this.raw.writeHead(status, headers as http.OutgoingHttpHeaders);
    // The head goes out with the first chunk written this tick, or alone.
    queueMicrotask(() => {
      if (!this.raw.headersSent && !this.raw.writableEnded && !this.aborted) this.raw.flushHeaders();
    });
  }

  write(chunk: Buffer | string): boolean {
    if (!this.mayWrite()) return false;
    return this.raw.write(chunk);
  }

  end(trailers?: OutgoingHeaders): void {
    if (this.finished) return;
    if (!this.started) {
      this.send(200, {}, null);
      return;
    }
    // node sends trailers only on a chunked response, as the native transport.
    if (trailers !== undefined && !this.aborted) this.raw.addTrailers(trailers as http.OutgoingHttpHeaders);
    this.finished = true;
    if (this.aborted) return;
    this.raw.end();
    this.closeIfOut();
  }

  /**
   * The kernel took the whole response at once (the usual case): close it now
   * rather than at the connection's next request, so that an idle connection
   * does not keep this exchange alive. One still queued (pipelined behind an
   * earlier response, or larger than the kernel took) is watched instead: held
   * until the next request, each exchange outlived a young-generation GC.
   */
  private closeIfOut(): void {
    if (this.watching) return;
    if (this.raw.writableFinished) this.owner.closeSent(this);
    else this.watch();
  }

  onDrain(cb: () => void): void {
    this.raw.once('drain', cb);
  }

  protected destroyConnection(): void {
    this.owner.destroyConn(this.req.conn);
  }

  upgradeWebSocket(accept: WebSocketAccept, events: WebSocketEvents): RawWebSocket {
    const offer = this.req.websocket;
    if (offer === null) throw new Error('upgradeWebSocket(): the request is not a WebSocket upgrade (req.websocket is null)');
    this.checkNotStarted('writeHead');
    return this.owner.upgrade(this, websocketPlan(offer, accept), events);
  }
}

/** node:http's server with Ringside's limits (the checks node does not make are in refusal()). */
function createServer(l: HttpLimits): http.Server {
  // node refuses headersTimeout > requestTimeout; the request deadline covers the head anyway.
  const headersTimeout = l.requestTimeout > 0 && l.headersTimeout > l.requestTimeout ? l.requestTimeout : l.headersTimeout;
  const server = http.createServer({
    maxHeaderSize: l.maxHeaderSize, // → HPE_HEADER_OVERFLOW → 431 (clientError below)
    insecureHTTPParser: false,
    joinDuplicateHeaders: false,
    requireHostHeader: false, // checked in refusal(), answered in our JSON shape
    requestTimeout: l.requestTimeout,
    headersTimeout,
    connectionsCheckingInterval: checkInterval(l.headersTimeout, l.requestTimeout),
    keepAliveTimeout: l.keepAliveTimeout, // 0 means "no timeout" to node: prepare() closes instead
    noDelay: true,
    highWaterMark: HIGH_WATER_MARK,
  });
  // node keeps at most this many fields; one more than the limit is enough to refuse.
  server.maxHeadersCount = l.maxHeaders + 1;
  // Counted here: node applies its own only to HTTP/1.1 and answers extra pipelined requests with 503.
  server.maxRequestsPerSocket = 0;
  // On a client's FIN, finish the responses in flight before closing (node's default ends the socket at once).
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  return server;
}

class NodeHttpTransport extends NodeServer implements HttpTransport {
  readonly backend = 'node' as const;
  private readonly httpServer: http.Server;
  private readonly conns = new Set<Conn>();
  private sweep: NodeJS.Timeout | null = null;
  private sweepMs = 1000;
  private lastSweep = 0;
  private timeouts: HttpTimeoutCounters = { sendStalls: 0, headersTimeouts: 0, requestTimeouts: 0, idleTimeouts: 0 };
  private readonly websockets = new NodeWebSockets();

  constructor(
    private readonly options: HttpTransportOptions,
    readonly limits: HttpLimits,
    readonly backendReason: string,
  ) {
    super(createServer(limits));
    this.httpServer = this.server as http.Server;
    this.httpServer.on('connection', (socket: net.Socket) => this.onConnection(socket));
    this.httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, false));
    // Registering these stops node from sending 100 Continue (or 417) on its own.
    this.httpServer.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, true));
    this.httpServer.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res, false));
    this.httpServer.on('clientError', (err: Error, socket: net.Socket) => this.onClientError(err, socket));
    this.httpServer.on('upgrade', (req: IncomingMessage, socket: net.Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    // node:http's close() also closes idle connections at once; the lifecycle decides when (close() option idleGrace).
    this.httpServer.closeIdleConnections = () => {};
  }

  protected get openCount(): number {
    return this.conns.size;
  }

  async listen(options: ListenOptions = {}): Promise<AddressInfo> {
    const addr = await this.bind(options);
    const l = this.limits;
    if (l.requestTimeout > 0 || l.sendTimeout > 0) {
      this.sweepMs = checkInterval(l.requestTimeout, l.sendTimeout);
      this.sweep = setInterval(() => this.sweepTimeouts(), this.sweepMs);
      this.sweep.unref();
    }
    return addr;
  }

  // ---- connections -------------------------------------------------------------

  private onConnection(socket: TrackedSocket): void {
    const conn: Conn = {
      socket,
      remoteAddress: peerAddress(socket),
      remotePort: socket.remotePort ?? 0,
      requests: 0,
      closing: false,
      live: [],
      waiting: [],
      releasing: false,
      held: false,
      bodyReq: null,
      pendingAnswer: null,
      errored: false,
      lingering: false,
      sentMark: 0,
      stalledSince: 0,
      validHost: '',
    };
    socket[kConn] = conn;
    if (!acceptAnyMinorVersion(this.httpServer, socket, this.limits.maxHeaderSize) && !lenientVersionWarned) {
      lenientVersionWarned = true;
      process.emitWarning(
        'ringside: node:http internals for a lenient HTTP version were not found; HTTP/1.2 and later 1.x requests are answered 505 on the node backend',
      );
    }
    this.conns.add(conn);
    this.counters.accepted++;
    // node calls destroySoon() after a response that closes the connection; linger instead.
    socket.destroySoon = () => {
      this.lingerClose(conn);
    };
    socket.on('close', () => this.onConnClose(conn));
    // server.timeout is 0: the only socket timeout node sets is keepAliveTimeout on an idle connection (node then destroys it).
    socket.on('timeout', () => this.timeouts.idleTimeouts++);
    // The peer half-closed: what is in flight is answered, then the connection closes (httpAllowHalfOpen).
    socket.on('end', () => {
      conn.closing = true;
      this.liveSettled(conn);
    });
    if (this.closingIdle) this.lingerClose(conn);
  }

  private onConnClose(conn: Conn): void {
    if (!this.conns.delete(conn)) return;
    conn.closing = true;
    this.counters.bytesRead += conn.socket.bytesRead;
    this.counters.bytesWritten += sentBytes(conn.socket);
    conn.bodyReq?.failBody(Object.assign(new Error('Connection closed before the body was complete'), { code: 'ECONNRESET' }));
    conn.bodyReq = null;
    conn.waiting.length = 0;
    this.settle(conn);
    for (const r of conn.live.splice(0)) r.close(true);
    if (this.closing) this.connectionGone();
  }

  /** Send FIN after what is queued, drop input until the peer closes or LINGER_MS pass. */
  private lingerClose(conn: Conn): void {
    conn.closing = true;
    const socket = conn.socket;
    if (conn.lingering || socket.destroyed) return;
    conn.lingering = true;
    const answer = conn.pendingAnswer;
    conn.pendingAnswer = null;
    if (socket.writable) {
      if (answer) socket.end(rawAnswer(answer.e, answer.head));
      else socket.end();
    }
    if (socket.writableFinished && socket.readableEnded) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  destroyConn(conn: Conn): void {
    conn.closing = true;
    conn.socket.destroy();
  }

  private onClientError(err: NodeJS.ErrnoException & { reason?: string }, socket: TrackedSocket): void {
    const conn = socket[kConn];
    if (!conn) {
      socket.destroy();
      return;
    }
    if (conn.lingering || conn.errored) return; // already closing; the linger timer ends it
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    conn.errored = true;
    conn.closing = true;
    // llhttp refuses bytes after a request that closes the connection: answer what is in flight, then close.
    if (err.code === 'HPE_CLOSED_CONNECTION') {
      if (this.liveSettled(conn)) this.lingerClose(conn);
      return;
    }
    const e = parseErrorAnswer(err);
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') this.countReceiveTimeout(conn);
    // The request whose body was arriving fails first; the app may still answer it (as on io_uring).
    // A body already complete (its 'end' not yet emitted) is not the one in error: a later request is.
    const req = conn.bodyReq?.raw.complete ? null : conn.bodyReq;
    if (req) conn.bodyReq = null;
    const r = req?.res ?? null;
    req?.failBody(codedError(e));
    if (r?.started) {
      // The app answered: that answer goes out, then the connection closes.
      if (this.liveSettled(conn)) this.lingerClose(conn);
      return;
    }
    if (r) this.dropFrom(r);
    this.answerLater(conn, e, r?.req.method === 'HEAD');
  }

  /**
   * node reports headersTimeout and requestTimeout alike: a head still arriving is the headers
   * deadline (node clips headersTimeout to requestTimeout), a body still arriving the request's.
   */
  private countReceiveTimeout(conn: Conn): void {
    const l = this.limits;
    const headPassed = conn.bodyReq !== null && !conn.bodyReq.raw.complete;
    if (!headPassed && l.headersTimeout > 0 && (l.requestTimeout === 0 || l.headersTimeout <= l.requestTimeout)) this.timeouts.headersTimeouts++;
    else this.timeouts.requestTimeouts++;
  }

  /** r and every later response of its connection are given up: the app can no longer answer them. */
  private dropFrom(r: NodeResponse): void {
    const live = r.req.conn.live;
    const i = live.indexOf(r);
    const dropped = i >= 0 ? live.splice(i) : [r];
    for (const x of dropped) {
      x.started = true;
      x.finished = true;
      x.close(true);
    }
  }

  /**
   * The transport answers `e` itself, after the responses still in flight on the
   * connection (pipelining order), and closes. The answer is a precomputed
   * response written to the socket, as the native parser does.
   */
  private answerLater(conn: Conn, e: TransportError, head: boolean): void {
    conn.closing = true;
    conn.pendingAnswer = { e, head };
    if (this.liveSettled(conn)) this.lingerClose(conn);
  }

  /** Close the responses that went out unwatched (they leave in order: the leading ones). */
  private settle(conn: Conn): void {
    const live = conn.live;
    if (live.length === 0 || !live[0]!.raw.writableFinished) return;
    do live.shift()!.close(false);
    while (live.length > 0 && live[0]!.raw.writableFinished);
    if (conn.held || conn.waiting.length !== 0) this.release(conn);
  }

  /** An unwatched response is out: closed now if it leads its connection's responses (they close in order). */
  closeSent(r: NodeResponse): void {
    const conn = r.req.conn;
    const live = conn.live;
    if (live[0] !== r) return;
    live.shift();
    r.close(false);
    if (conn.held || conn.waiting.length !== 0) this.release(conn);
  }

  /** settle(), then watch what is still in flight (the transport now waits for it); true when nothing is. */
  private liveSettled(conn: Conn): boolean {
    this.settle(conn);
    for (const r of conn.live) r.watch();
    return conn.live.length === 0;
  }

  // ---- requests ------------------------------------------------------------------

  private onRequest(raw: IncomingMessage, res: ServerResponse, expectContinue: boolean): void {
    const conn = (raw.socket as TrackedSocket)[kConn];
    if (!conn || conn.closing) {
      // Pipelined after a request that closes the connection: never runs.
      raw.resume();
      return;
    }
    conn.requests++;
    const refusal = this.refusal(raw, conn);
    if (refusal) {
      raw.resume(); // drop the body
      this.answerLater(conn, refusal, raw.method === 'HEAD');
      return;
    }
    // The last one this connection serves (the client's wish, or the limits).
    if (!res.shouldKeepAlive || !limitsAllowAnother(this.limits, conn.requests)) conn.closing = true;
    const req = new NodeRequest(raw, conn, this, expectContinue);
    const r = new NodeResponse(res, req, this);
    req.res = r;
    this.settle(conn);
    conn.live.push(r);
    if (conn.closing || this.closingIdle) r.watch();
    if (!req.bodyDone) conn.bodyReq = req;
    if (conn.waiting.length !== 0 || conn.live.length > MAX_OUTSTANDING_REQUESTS) conn.waiting.push(r);
    else runHandler(this.options.onRequest, req, r);
    if (conn.live.length >= MAX_OUTSTANDING_REQUESTS) this.holdIfFull(conn);
  }

  /**
   * MAX_OUTSTANDING_REQUESTS requests are parsed and unanswered: stop reading the
   * connection (node stops after the read in hand), as the native loop does. Not
   * while a body the app may read is still arriving: held once it ends (bodyEnded()).
   */
  private holdIfFull(conn: Conn): void {
    if (conn.live.length < MAX_OUTSTANDING_REQUESTS || conn.held) return;
    const b = conn.bodyReq;
    if (b !== null && b.res !== conn.waiting[conn.waiting.length - 1]) return;
    conn.held = true;
    holdInput(conn.socket);
  }

  /** Answers went out: run the handlers that wait, up to the limit, then read on below it. */
  private release(conn: Conn): void {
    if (conn.releasing) return;
    conn.releasing = true;
    const { live, waiting } = conn;
    while (waiting.length > 0 && live.length - waiting.length < MAX_OUTSTANDING_REQUESTS) {
      const r = waiting.shift()!;
      if (!r.closed) runHandler(this.options.onRequest, r.req, r);
    }
    conn.releasing = false;
    if (conn.held && live.length < MAX_OUTSTANDING_REQUESTS) {
      conn.held = false;
      releaseInput(conn.socket);
    }
  }

  /**
   * A request with Connection: upgrade: node detaches its socket from HTTP. It
   * runs through onRequest as any other (a ServerResponse on the socket answers
   * it, then the connection closes) unless the app switches it to WebSocket.
   * Input stays unread meanwhile (but a Content-Length body): early bytes are put back for open() to see.
   */
  private onUpgrade(raw: IncomingMessage, socket: net.Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (head.length > 0) socket.unshift(head);
    const conn = (socket as TrackedSocket)[kConn];
    if (!conn || conn.closing) {
      // Nothing more is served on it, and node no longer watches it: it must not stay open.
      socket.destroy();
      return;
    }
    if (raw.headers['transfer-encoding'] !== undefined) {
      // A chunked body would need a decoder of its own here; no client sends one with an upgrade in practice.
      conn.requests++;
      this.answerLater(conn, transportErrors.notImplemented, raw.method === 'HEAD');
      return;
    }
    const res = new http.ServerResponse(raw);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    this.onRequest(withBodyFromSocket(raw, socket), res, false);
  }

  /** The app accepted the offer: the response is done without HTTP bytes, the connection speaks frames. */
  upgrade(r: NodeResponse, plan: WebSocketPlan, events: WebSocketEvents): RawWebSocket {
    const conn = r.req.conn;
    r.started = r.finished = true;
    const i = conn.live.indexOf(r);
    if (i >= 0) conn.live.splice(i, 1);
    r.raw.detachSocket(conn.socket);
    conn.held = false;
    forgetHold(conn.socket);
    const aborted = r.aborted;
    r.close(aborted);
    if (aborted) conn.socket.destroy();
    return this.websockets.open(conn.socket, conn.remoteAddress, conn.remotePort, plan, events);
  }

  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void {
    this.websockets.publish(topic, data, isBinary, compress);
  }

  subscriberCount(topic: string): number {
    return this.websockets.subscriberCount(topic);
  }

  /** What node's parser lets through and the native parser refuses, in the native parser's order. */
  private refusal(raw: IncomingMessage, conn: Conn): TransportError | null {
    const l = this.limits;
    // 1.2 and later minors are served as 1.1 (RFC 9110 §2.5); llhttp accepts them (lenient-version.ts).
    if (raw.httpVersionMajor !== 1) return transportErrors.versionNotSupported;
    const url = raw.url ?? '';
    if (url.length > l.maxUrlLength) return transportErrors.uriTooLong;
    if (url.charCodeAt(0) !== 47 /* / */ && !(url === '*' && raw.method === 'OPTIONS') && !ABSOLUTE_TARGET.test(url)) return transportErrors.badRequest;
    const raws = raw.rawHeaders;
    if (raws.length / 2 > l.maxHeaders) return transportErrors.tooManyHeaders;
    let hosts = 0;
    for (let i = 0; i < raws.length; i += 2) {
      const name = raws[i]!;
      if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) {
        if (++hosts > 1) return transportErrors.badRequest;
        const value = raws[i + 1]!;
        if (value !== conn.validHost) {
          if (!HOST_VALUE.test(value)) return transportErrors.badRequest;
          conn.validHost = value;
        }
      }
    }
    const te = raw.headers['transfer-encoding'];
    if (te !== undefined) {
      if (raw.httpVersionMinor === 0) return transportErrors.smuggling;
      if (te.trim().toLowerCase() !== 'chunked') return transportErrors.notImplemented;
    }
    if (raw.httpVersionMinor >= 1 && hosts === 0) return transportErrors.badRequest;
    const cl = raw.headers['content-length'];
    if (cl !== undefined && Number(cl) > l.bodyLimit) return transportErrors.bodyTooLarge;
    return null;
  }

  sendContinue(req: NodeRequest): void {
    const r = req.res;
    // 100 Continue only before the final answer has begun.
    if (r && !r.started && !r.aborted && !r.raw.headersSent) r.raw.writeContinue();
  }

  bodyEnded(req: NodeRequest): void {
    const conn = req.conn;
    if (conn.bodyReq === req) conn.bodyReq = null;
    if (conn.live.length >= MAX_OUTSTANDING_REQUESTS) this.holdIfFull(conn);
  }

  /** The streamed body passed bodyLimit: fail it, answer 413 unless the app already answered, close. */
  bodyTooLarge(req: NodeRequest): void {
    const conn = req.conn;
    conn.closing = true;
    if (conn.bodyReq === req) conn.bodyReq = null;
    req.failBody(codedError(transportErrors.bodyTooLarge));
    const r = req.res;
    if (r && !r.started) this.answerAndClose(r, transportErrors.bodyTooLarge);
    else if (this.liveSettled(conn)) this.lingerClose(conn);
    // else: the app's answer goes out, then prepare()/responseClosed() close.
  }

  /** A discarded body passed bodyLimit: the connection closes after the response. */
  discardedTooLarge(req: NodeRequest): void {
    const conn = req.conn;
    conn.closing = true;
    if (conn.bodyReq === req) conn.bodyReq = null;
    req.failBody(codedError(transportErrors.bodyTooLarge));
    const r = req.res;
    if (!r || this.liveSettled(conn) || r.closed) this.lingerClose(conn);
    // else: prepare() has not run yet (it will close), or responseClosed() closes.
  }

  /** The transport answers for the app (error or timeout) and closes; the app's own answer is dropped. */
  private answerAndClose(r: NodeResponse, e: TransportError): void {
    const conn = r.req.conn;
    conn.closing = true;
    this.dropFrom(r);
    this.answerLater(conn, e, r.req.method === 'HEAD');
  }

  // ---- responses -----------------------------------------------------------------

  /** Before a head is written: whether the connection may stay open after this response. */
  prepare(r: NodeResponse): void {
    const req = r.req;
    const conn = req.conn;
    // A close decided later on the connection applies after its last response, not before earlier ones.
    const closingHere = (conn.closing || this.closing) && conn.live[conn.live.length - 1] === r;
    if (!keepAliveAfter(this.limits, req.index, r.raw.shouldKeepAlive, closingHere, req.complete || req.discarded)) {
      conn.closing = true;
      r.raw.shouldKeepAlive = false;
      r.watch();
    }
  }

  responseClosed(r: NodeResponse, aborted: boolean): void {
    if (r.closed) return;
    const conn = r.req.conn;
    const live = conn.live;
    if (live[0] === r) live.shift();
    else {
      const i = live.indexOf(r);
      if (i >= 0) live.splice(i, 1);
    }
    r.close(aborted);
    if (conn.held || conn.waiting.length !== 0) this.release(conn);
    // Closing: a kept-alive connection goes once its last response is out.
    if ((this.closingIdle || conn.closing) && conn.live.length === 0 && !aborted) this.lingerClose(conn);
  }

  /** One pass over the connections for requestTimeout and sendTimeout (destroys and answers close asynchronously). */
  private sweepTimeouts(): void {
    const { requestTimeout, sendTimeout } = this.limits;
    const now = turnTime();
    // After a blocked event loop, timers run before the socket events that show send progress:
    // stalls are judged at the next sweep instead.
    const late = this.lastSweep > 0 && now - this.lastSweep > 2 * this.sweepMs;
    this.lastSweep = now;
    for (const conn of this.conns) {
      if (sendTimeout > 0 && !late && this.sendStalled(conn, now, sendTimeout)) {
        this.timeouts.sendStalls++;
        this.destroyConn(conn);
      } else if (requestTimeout > 0) this.checkRequestTimeout(conn, now, requestTimeout);
    }
  }

  /**
   * Output is waiting and none of it has gone out for `limit` ms: the client does not read.
   * Any connection (busy, lingering, closing) counts, and so does partial progress of one large
   * write, which only kernelBytes() sees. Bytes already in the kernel are not seen: a kept-alive
   * connection whose last response fits there is left to keepAliveTimeout.
   */
  private sendStalled(conn: Conn, now: number, limit: number): boolean {
    const socket = conn.socket;
    if (socket.destroyed || socket.writableLength === 0) {
      conn.stalledSince = 0;
      return false;
    }
    const sent = kernelBytes(socket);
    if (conn.stalledSince === 0 || sent !== conn.sentMark) {
      conn.sentMark = sent;
      conn.stalledSince = now;
      return false;
    }
    return now - conn.stalledSince >= limit;
  }

  /** requestTimeout also covers the handler: node only times the receiving of a request. */
  private checkRequestTimeout(conn: Conn, now: number, limit: number): void {
    this.settle(conn);
    const r = conn.live[0];
    if (!r || r.finished || now - r.startedAt <= limit) return;
    this.timeouts.requestTimeouts++;
    const req = r.req;
    if (conn.bodyReq === req) {
      conn.bodyReq = null;
      req.failBody(codedError(transportErrors.requestTimeout));
    }
    if (!r.started) this.answerAndClose(r, transportErrors.requestTimeout);
    else this.destroyConn(conn);
  }

  // ---- close ---------------------------------------------------------------------

  protected override closed(): void {
    // The sweep runs until the last connection is gone: a graceful close still times out stalled clients.
    if (this.sweep) {
      clearInterval(this.sweep);
      this.sweep = null;
    }
    super.closed();
  }

  protected beginClose(): void {
    // Idle keep-alive connections (and half-sent heads) close now; busy ones after their last response.
    for (const c of this.conns) if (!this.websockets.has(c.socket) && this.liveSettled(c)) this.lingerClose(c);
    this.websockets.closeAll();
  }

  protected destroyAll(): void {
    for (const c of this.conns) this.destroyConn(c);
  }

  stats(): ServerStats {
    return nodeStats(
      this.counters,
      Array.from(this.conns, (c) => c.socket),
      this.conns.size,
      this.timeouts,
    );
  }
}

export function createNodeHttpTransport(options: HttpTransportOptions, limits: HttpLimits, reason: string): HttpTransport {
  return new NodeHttpTransport(options, limits, reason);
}
