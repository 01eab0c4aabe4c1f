/**
 * RawWebSocket over the native loop: messages go out as WS_* output records
 * (native frames, masks nothing, compresses), and come in whole from
 * WS_MESSAGE records (native unmasks, joins fragments, inflates, validates
 * UTF-8). Pings are answered natively; this side only reports them.
 */
import { Op, OP_FLAG_WS_BINARY, OP_FLAG_WS_COMPRESS } from '@ringside/native';
import type { RawWebSocket, WebSocketEvents, WebSocketOptions } from '../../websocket-types.js';
import type { HttpConnection } from './http-connection.js';
import type { NativeLoop } from './native-loop.js';

export interface WebSocketOwner {
  readonly loop: NativeLoop;
  /** One message to the topic's subscribers on this loop, except `from` (a connection id). */
  publishFrom(from: number, topic: string, data: string | Uint8Array, isBinary: boolean | undefined, compress: boolean | undefined): void;
  /** Book-keeping of the transport's subscriber counts. */
  subscribed(topic: string, delta: 1 | -1): void;
}

const EMPTY = Buffer.alloc(0);
const ABNORMAL = 1006;
/** A close frame without a code (RFC 6455 §7.1.5): never on the wire. */
const NO_STATUS = 1005;
/** Close codes a server may send (RFC 6455 §7.4): the defined ones but 1004–1006, and the registered/private ranges (as `ws`). */
const sendableCode = (code: number): boolean => (code >= 1000 && code <= 1014 && (code < 1004 || code > 1006)) || (code >= 3000 && code <= 4999);
/** Output a terminate() still lets out (the 101 of a socket terminated at once, a last message); more is dropped. */
const TERMINATE_FLUSH_BYTES = 64 * 1024;

export class NativeWebSocket implements RawWebSocket {
  closed = false;
  private gone = false;
  private closeCode = ABNORMAL;
  private closeReason: Buffer = EMPTY;
  /** Pieces of a message larger than one batch. */
  private pieces: Buffer[] | null = null;
  private drainWanted = false;
  private readonly topics = new Set<string>();

  constructor(
    private readonly conn: HttpConnection,
    private readonly owner: WebSocketOwner,
    readonly protocol: string,
    readonly extensions: string,
    private readonly options: WebSocketOptions,
    private readonly events: WebSocketEvents,
  ) {}

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }
  get remotePort(): number {
    return this.conn.remotePort;
  }

  get bufferedAmount(): number {
    const loop = this.owner.loop;
    return loop.queuedFor(this.conn.id) + (loop.taken(this.conn.epoch) ? 0 : this.conn.unflushed);
  }

  send(data: string | Uint8Array, isBinary?: boolean, compress?: boolean): boolean {
    if (this.closed) return false;
    const binary = isBinary ?? typeof data !== 'string';
    const flags = (binary ? OP_FLAG_WS_BINARY : 0) | (compress !== false && this.extensions !== '' ? OP_FLAG_WS_COMPRESS : 0);
    this.output(Op.WS_SEND | flags, data);
    if (this.bufferedAmount <= this.options.maxBackpressure) return true;
    if (!this.drainWanted) {
      this.drainWanted = true;
      this.owner.loop.write(this.conn.id, EMPTY, true);
    }
    return false;
  }

  ping(data: string | Uint8Array = EMPTY): void {
    if (!this.closed) this.output(Op.WS_PING, data);
  }

  close(code = 1000, reason = ''): void {
    if (this.closed) return;
    if (!sendableCode(code)) throw new RangeError(`WebSocket close code must be 1000–1003, 1007–1014 or 3000–4999, got ${code}`);
    const text = Buffer.from(reason, 'utf8');
    if (text.length > 123) throw new RangeError('WebSocket close reason must be at most 123 bytes');
    this.closeWith(code, text);
  }

  /** The closing handshake with any code, the server's own (1001 on shutdown) included; 1005 sends no code. */
  closeWith(code: number, reason: Buffer = EMPTY): void {
    if (this.closed) return;
    this.closed = true;
    if (code === NO_STATUS) {
      this.output(Op.WS_CLOSE, EMPTY);
      return;
    }
    const payload = Buffer.allocUnsafe(2 + reason.length);
    payload.writeUInt16BE(code, 0);
    reason.copy(payload, 2);
    this.output(Op.WS_CLOSE, payload);
  }

  /** Close the TCP connection without a handshake: what is queued goes first when it is little, else it is dropped. */
  terminate(): void {
    if (this.gone) return;
    this.closed = true;
    this.owner.loop.op(this.conn.id, this.bufferedAmount <= TERMINATE_FLUSH_BYTES ? Op.END_CLOSE : Op.DESTROY);
  }

  subscribe(topic: string): void {
    if (this.gone || this.topics.has(topic)) return;
    this.topics.add(topic);
    this.owner.subscribed(topic, 1);
    this.owner.loop.span(Op.WS_SUBSCRIBE, this.conn.id, topic);
  }

  unsubscribe(topic: string): void {
    if (!this.topics.delete(topic)) return;
    this.owner.subscribed(topic, -1);
    if (!this.gone) this.owner.loop.span(Op.WS_UNSUBSCRIBE, this.conn.id, topic);
  }

  isSubscribed(topic: string): boolean {
    return this.topics.has(topic);
  }

  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void {
    this.owner.publishFrom(this.conn.id, topic, data, isBinary, compress);
  }

  // ---- events from the transport ----------------------------------------------------

  onMessage(piece: Buffer, binary: boolean, fin: boolean): void {
    if (!fin) {
      (this.pieces ??= []).push(piece);
      return;
    }
    let data = piece;
    if (this.pieces) {
      this.pieces.push(piece);
      data = Buffer.concat(this.pieces);
      this.pieces = null;
    }
    this.events.onMessage(data, binary);
  }

  onPing(data: Buffer): void {
    this.events.onPing?.(data);
  }

  onPong(data: Buffer): void {
    this.events.onPong?.(data);
  }

  /**
   * The peer's close frame, or the server failing the connection: the first
   * code reported is the one onClose gets. Answered with a close frame of the
   * same code (echo, or the failure), after what was sent before it.
   */
  onCloseCode(code: number, reason: Buffer): void {
    if (this.closeCode !== ABNORMAL) return;
    this.closeCode = code;
    this.closeReason = reason;
    this.closeWith(code);
  }

  onDrain(): void {
    if (!this.drainWanted) return;
    this.drainWanted = false;
    this.events.onDrain();
  }

  /** The connection is closed: topics are left (natively too), onClose runs once. */
  onGone(): void {
    if (this.gone) return;
    this.gone = true;
    this.closed = true;
    for (const topic of this.topics) this.owner.subscribed(topic, -1);
    this.topics.clear();
    this.events.onClose(this.closeCode, this.closeReason);
  }

  private output(op: number, data: string | Uint8Array): void {
    const conn = this.conn;
    const loop = this.owner.loop;
    if (loop.taken(conn.epoch)) conn.unflushed = 0;
    conn.unflushed += loop.span(op, conn.id, data);
    conn.epoch = loop.epoch;
  }
}
