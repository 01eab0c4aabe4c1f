/**
 * The WebSocket contract on the node backend, over the `ws` package: the
 * transport validates the offer and negotiates permessage-deflate itself
 * (websocket-offer.ts, as the native backends do) and hands `ws` a request
 * that says exactly what was agreed, so `ws` writes the 101 and frames.
 * This file adds what `ws` leaves to the server: backpressure past
 * maxBackpressure with onDrain, the idle timeout with pings (one sweep for
 * all sockets, not a timer each), topics, and the close code the server
 * failed a connection with.
 */
import { IncomingMessage } from 'node:http';
import type net from 'node:net';
import { createRequire } from 'node:module';
import type { PerMessageDeflateOptions, WebSocket, WebSocketServer } from 'ws';
// How long a close frame waits for the peer's answer before the connection is closed anyway (the native engine's own wait).
import { WS_CLOSE_WAIT_MS } from '@ringside/native';

/** ws is loaded on the first upgrade: an app that never upgrades does not pay its start-up memory (~5 MiB measured). */
let wsServerClass: typeof WebSocketServer | undefined;
const loadWebSocketServer = (): typeof WebSocketServer => (wsServerClass ??= (createRequire(import.meta.url)('ws') as typeof import('ws')).WebSocketServer);
import { isHeaderName, isHeaderValue } from '../../http-framing.js';
import type { IncomingHeaders, OutgoingHeaders } from '../../http-types.js';
import { negotiateDeflate } from '../../websocket-offer.js';
import {
  defaultWebSocketOptions,
  type RawWebSocket,
  type WebSocketAccept,
  type WebSocketEvents,
  type WebSocketOffer,
  type WebSocketOptions,
  type WebSocketPublisher,
} from '../../websocket-types.js';

const OPEN = 1;

/** The status a `ws` error closes with (ws keeps it under this symbol: 1002, 1007, 1009). */
function failStatus(err: Error): number {
  for (const s of Object.getOwnPropertySymbols(err)) {
    if (s.description === 'status-code') {
      const v = (err as unknown as Record<symbol, unknown>)[s];
      if (typeof v === 'number') return v;
    }
  }
  return 1002;
}

/** The options of an accept, checked, over the defaults. */
export function websocketOptions(accept: WebSocketAccept): WebSocketOptions {
  const o = { ...defaultWebSocketOptions };
  for (const key of ['maxPayload', 'maxBackpressure', 'idleTimeout'] as const) {
    const v = accept[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || (key === 'maxPayload' && v === 0))
      throw new TypeError(`WebSocket option "${key}" must be a ${key === 'maxPayload' ? 'positive' : 'non-negative'} integer, got ${JSON.stringify(v)}`);
    o[key] = v;
  }
  if (accept.sendPings !== undefined) o.sendPings = accept.sendPings === true;
  if (accept.compression !== undefined) {
    const c = accept.compression;
    if (c !== false && (c === null || typeof c !== 'object'))
      throw new TypeError('WebSocket option "compression" must be false or an object of permessage-deflate parameters');
    o.compression = c;
  }
  return o;
}

/** The 101's extra header lines, checked. */
function extraHeaderLines(headers: OutgoingHeaders | undefined): string[] {
  const lines: string[] = [];
  if (!headers) return lines;
  for (const [name, value] of Object.entries(headers)) {
    if (!isHeaderName(name)) throw new TypeError(`Invalid header name on the 101 response: ${JSON.stringify(name)}`);
    for (const v of Array.isArray(value) ? value : [value]) {
      const s = String(v);
      if (!isHeaderValue(s)) throw new TypeError(`Invalid value of header ${name} on the 101 response`);
      lines.push(`${name}: ${s}`);
    }
  }
  return lines;
}

/** What `ws` reads of a request in handleUpgrade: only what was agreed. */
interface AgreedRequest {
  method: 'GET';
  headers: IncomingHeaders;
  socket: net.Socket;
  extraLines: string[];
}

/** `ws` options for the agreed permessage-deflate parameters: it then answers exactly our response. */
function wsDeflate(response: string, params: NonNullable<ReturnType<typeof negotiateDeflate>>['params'], threshold: number): PerMessageDeflateOptions {
  return {
    serverNoContextTakeover: params.serverNoContextTakeover,
    clientNoContextTakeover: params.clientNoContextTakeover,
    ...(response.includes('server_max_window_bits') ? { serverMaxWindowBits: params.serverMaxWindowBits } : {}),
    ...(response.includes('client_max_window_bits') ? { clientMaxWindowBits: params.clientMaxWindowBits } : {}),
    threshold,
  };
}

/** An accept, checked, with the permessage-deflate agreement: what open() needs. */
export interface WebSocketPlan {
  readonly offer: WebSocketOffer;
  readonly options: WebSocketOptions;
  readonly protocol: string;
  readonly extraLines: string[];
  /** The Sec-WebSocket-Extensions answer ('' when none) and the matching `ws` options. */
  readonly extensions: string;
  readonly deflate: PerMessageDeflateOptions | false;
}

/** Check an accept against its offer (throws with what is wrong, before anything is written). */
export function websocketPlan(offer: WebSocketOffer, accept: WebSocketAccept): WebSocketPlan {
  const options = websocketOptions(accept);
  const protocol = accept.protocol ?? '';
  if (protocol !== '' && !offer.protocols.includes(protocol))
    throw new TypeError(`upgradeWebSocket(): protocol ${JSON.stringify(protocol)} was not offered (offered: ${offer.protocols.join(', ') || 'none'})`);
  const extraLines = extraHeaderLines(accept.headers);
  const c = options.compression;
  const agreed = c === false ? null : negotiateDeflate(offer.extensions, c);
  const deflate = agreed ? wsDeflate(agreed.response, agreed.params, c === false ? 0 : (c.threshold ?? 64)) : false;
  return { offer, options, protocol, extraLines, extensions: agreed?.response ?? '', deflate };
}

/**
 * node:http leaves the body of a request it hands to 'upgrade' on the socket
 * (the parser skips it). A request the app answers as plain HTTP (not a
 * WebSocket: `Upgrade: h2c` from `curl --http2 -d …`) still gets its body: a
 * message like `raw` whose Content-Length bytes are read from the socket;
 * what follows them stays unread. `raw` itself when there is no body.
 */
export function withBodyFromSocket(raw: IncomingMessage, socket: net.Socket): IncomingMessage {
  let left = Number(raw.headers['content-length'] ?? 0);
  if (!(left > 0)) return raw;
  const msg = new IncomingMessage(socket);
  Object.assign(msg, {
    method: raw.method,
    url: raw.url,
    headers: raw.headers,
    rawHeaders: raw.rawHeaders,
    httpVersion: raw.httpVersion,
    httpVersionMajor: raw.httpVersionMajor,
    httpVersionMinor: raw.httpVersionMinor,
    upgrade: true,
  });
  const onData = (chunk: Buffer): void => {
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    if (left > 0) {
      if (!msg.push(part)) socket.pause();
      return;
    }
    socket.off('data', onData);
    socket.pause();
    if (part.length < chunk.length) socket.unshift(chunk.subarray(part.length));
    msg.complete = true;
    msg.push(part);
    msg.push(null);
  };
  msg._read = () => {
    if (left > 0) socket.resume();
  };
  socket.on('data', onData);
  return msg;
}

/** Every accepted socket of one transport, their topics and their idle sweep. */
export class NodeWebSockets implements WebSocketPublisher {
  private readonly topics = new Map<string, Set<NodeWebSocket>>();
  private readonly live = new Map<net.Socket, NodeWebSocket>();
  /** `ws` servers by their options (a handful: the combinations of maxPayload and deflate parameters in use). */
  private readonly servers = new Map<string, WebSocketServer>();
  private sweep: NodeJS.Timeout | null = null;
  private sweepMs = 0;
  /** The transport is closing: sockets accepted from now on close at once (1001). */
  private closing = false;

  /**
   * Switch `socket` to WebSocket for `offer`. Bytes the client sent before
   * the 101 are a protocol error (RFC 6455 §4.1: it must wait for the
   * response): the connection is dropped, never read as frames.
   */
  open(socket: net.Socket, remoteAddress: string, remotePort: number, plan: WebSocketPlan, events: WebSocketEvents): RawWebSocket {
    const { offer, options, protocol, extraLines, extensions, deflate } = plan;
    const ws = new NodeWebSocket(this, remoteAddress, remotePort, options, events);
    if (!socket.readable || !socket.writable || socket.readableLength > 0) {
      socket.destroy();
      ws.gone(socket.readableLength > 0 ? 1002 : 1006);
      return ws;
    }
    const request: AgreedRequest = {
      method: 'GET',
      headers: {
        upgrade: 'websocket',
        connection: 'upgrade',
        'sec-websocket-key': offer.key,
        'sec-websocket-version': '13',
        ...(protocol !== '' ? { 'sec-websocket-protocol': protocol } : {}),
        ...(extensions !== '' ? { 'sec-websocket-extensions': extensions } : {}),
      },
      socket,
      extraLines,
    };
    let opened: WebSocket | null = null;
    this.server(options.maxPayload, deflate).handleUpgrade(request as never, socket, Buffer.alloc(0), (w) => {
      opened = w;
    });
    if (opened === null) {
      // ws refused what we agreed (it answered 400 and closed): a bug here, not the client's.
      ws.gone(1006);
      return ws;
    }
    ws.attach(opened, socket);
    this.live.set(socket, ws);
    this.watchIdle(options.idleTimeout);
    if (this.closing) ws.close(1001);
    return ws;
  }

  private server(maxPayload: number, deflate: PerMessageDeflateOptions | false): WebSocketServer {
    const key = `${maxPayload} ${JSON.stringify(deflate)}`;
    let s = this.servers.get(key);
    if (s === undefined) {
      if (this.servers.size >= 64) this.servers.clear();
      s = new (loadWebSocketServer())({ noServer: true, clientTracking: false, maxPayload, perMessageDeflate: deflate });
      s.on('headers', (lines: string[], req: AgreedRequest) => {
        for (const l of req.extraLines) lines.push(l);
      });
      this.servers.set(key, s);
    }
    return s;
  }

  /** Whether `socket` was switched to WebSocket. */
  has(socket: net.Socket): boolean {
    return this.live.has(socket);
  }

  gone(ws: NodeWebSocket, socket: net.Socket | null): void {
    if (socket !== null) this.live.delete(socket);
    for (const topic of ws.topics) this.unsubscribe(ws, topic);
    if (this.live.size === 0 && this.sweep !== null) {
      clearInterval(this.sweep);
      this.sweep = null;
      this.sweepMs = 0;
    }
  }

  /** Close every socket with 1001 (going away): the transport is closing. */
  closeAll(): void {
    this.closing = true;
    for (const ws of this.live.values()) ws.close(1001);
  }

  // ---- topics --------------------------------------------------------------------

  subscribe(ws: NodeWebSocket, topic: string): void {
    let set = this.topics.get(topic);
    if (set === undefined) this.topics.set(topic, (set = new Set()));
    set.add(ws);
    ws.topics.add(topic);
  }

  unsubscribe(ws: NodeWebSocket, topic: string): void {
    ws.topics.delete(topic);
    const set = this.topics.get(topic);
    if (set === undefined) return;
    set.delete(ws);
    if (set.size === 0) this.topics.delete(topic);
  }

  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void {
    this.publishExcept(null, topic, data, isBinary, compress);
  }

  /** One payload buffer for every subscriber (each gets only its own frame header); those past maxBackpressure are skipped. */
  publishExcept(sender: NodeWebSocket | null, topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void {
    const set = this.topics.get(topic);
    if (set === undefined) return;
    const binary = isBinary ?? typeof data !== 'string';
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    for (const ws of set) if (ws !== sender) ws.sendShared(payload, binary, compress === true);
  }

  subscriberCount(topic: string): number {
    return this.topics.get(topic)?.size ?? 0;
  }

  // ---- idle timeout ----------------------------------------------------------------

  /** One sweep for every socket, at a quarter of the shortest idle timeout (50 ms .. 1 s). */
  private watchIdle(idleTimeout: number): void {
    if (idleTimeout === 0) return;
    const ms = Math.max(50, Math.min(1000, Math.floor(idleTimeout / 4)));
    if (this.sweep !== null && ms >= this.sweepMs) return;
    if (this.sweep !== null) clearInterval(this.sweep);
    this.sweepMs = ms;
    this.sweep = setInterval(() => {
      const now = Date.now();
      for (const ws of this.live.values()) ws.checkIdle(now);
    }, ms);
    this.sweep.unref();
  }
}

class NodeWebSocket implements RawWebSocket {
  protocol = '';
  extensions = '';
  closed = false;
  readonly topics = new Set<string>();
  private ws: WebSocket | null = null;
  private socket: net.Socket | null = null;
  /** The code the server failed the connection with (error, idle); it wins over what the peer answers. */
  private failCode = 0;
  private needDrain = false;
  private lastRead = 0;
  private lastActive = Date.now();
  private pinged = false;
  private readPaused = false;
  private closeTimer: NodeJS.Timeout | null = null;
  /** Passed with every send: checks for onDrain once the write is out. */
  private readonly afterWrite = (): void => {
    if (this.needDrain && !this.closed && this.bufferedAmount <= this.options.maxBackpressure) {
      this.needDrain = false;
      this.events.onDrain();
    }
  };

  constructor(
    private readonly hub: NodeWebSockets,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly options: WebSocketOptions,
    private readonly events: WebSocketEvents,
  ) {}

  attach(ws: WebSocket, socket: net.Socket): void {
    this.ws = ws;
    this.socket = socket;
    this.protocol = ws.protocol;
    this.extensions = ws.extensions;
    this.lastRead = socket.bytesRead;
    const events = this.events;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      events.onMessage(data, isBinary);
      this.throttle();
    });
    ws.on('ping', (data: Buffer) => {
      events.onPing?.(data);
      this.throttle(); // ws has queued the pong
    });
    ws.on('pong', (data: Buffer) => events.onPong?.(data));
    ws.on('error', (err: Error) => {
      if (this.failCode === 0) this.failCode = failStatus(err);
      this.closeWithin();
    });
    ws.on('close', (code: number, reason: Buffer) => this.finish(this.failCode || code, reason));
  }

  /** The connection ended before it was attached: onClose after the caller has its socket. */
  gone(code: number): void {
    this.closed = true;
    queueMicrotask(() => this.finish(code, Buffer.alloc(0)));
  }

  private finish(code: number, reason: Buffer): void {
    this.closed = true;
    this.hub.gone(this, this.socket);
    this.events.onClose(code, reason);
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  send(data: string | Uint8Array, isBinary?: boolean, compress?: boolean): boolean {
    const ws = this.ws;
    if (this.closed || ws === null || ws.readyState !== OPEN) return false;
    ws.send(data, { binary: isBinary ?? typeof data !== 'string', compress: compress === true, fin: true }, this.afterWrite);
    if (ws.bufferedAmount <= this.options.maxBackpressure) return true;
    this.needDrain = true;
    return false;
  }

  /** A published message: skipped while this socket is past maxBackpressure. */
  sendShared(payload: Uint8Array, binary: boolean, compress: boolean): void {
    if (this.closed || this.bufferedAmount > this.options.maxBackpressure) return;
    this.send(payload, binary, compress);
  }

  ping(data?: string | Uint8Array): void {
    if (!this.closed && this.ws?.readyState === OPEN) this.ws.ping(data ?? '');
  }

  close(code = 1000, reason?: string): void {
    if (this.closed || this.ws === null) return;
    this.closed = true;
    if (code === 1001 && this.failCode === 0) this.failCode = 1001;
    this.ws.close(code, reason);
    this.closeWithin();
  }

  /** The peer has WS_CLOSE_WAIT_MS to answer our close frame (ws would wait 30 s), as on the native engine. */
  private closeWithin(): void {
    const ws = this.ws;
    if (ws === null || this.closeTimer) return;
    this.closeTimer = setTimeout(() => ws.terminate(), WS_CLOSE_WAIT_MS);
    this.closeTimer.unref();
    ws.once('close', () => clearTimeout(this.closeTimer!));
  }

  /**
   * A client that does not read what it is sent (pongs, echoes) is not read
   * either, until its output drains below maxBackpressure: memory stays bounded.
   */
  private throttle(): void {
    const socket = this.socket;
    if (socket === null || this.readPaused || this.bufferedAmount <= this.options.maxBackpressure) return;
    this.readPaused = true;
    socket.pause();
    socket.once('drain', () => {
      this.readPaused = false;
      socket.resume();
    });
  }

  terminate(): void {
    if (this.ws === null) return;
    this.closed = true;
    this.failCode = 1006;
    this.ws.terminate();
  }

  subscribe(topic: string): void {
    if (!this.closed) this.hub.subscribe(this, topic);
  }
  unsubscribe(topic: string): void {
    this.hub.unsubscribe(this, topic);
  }
  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }
  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void {
    this.hub.publishExcept(this, topic, data, isBinary, compress);
  }

  /** Idle sweep: any byte from the client counts as activity (a ping at half time, 1001 at the full timeout). */
  checkIdle(now: number): void {
    const idle = this.options.idleTimeout;
    const socket = this.socket;
    if (idle === 0 || socket === null || this.closed) return;
    if (socket.bytesRead !== this.lastRead) {
      this.lastRead = socket.bytesRead;
      this.lastActive = now;
      this.pinged = false;
      return;
    }
    const quiet = now - this.lastActive;
    if (quiet >= idle) this.close(1001);
    else if (this.options.sendPings && !this.pinged && quiet >= idle / 2) {
      this.pinged = true;
      this.ping();
    }
  }
}
