/**
 * The WebSocket contract of an HttpTransport (RFC 6455, permessage-deflate
 * RFC 7692): a request that is a valid upgrade carries its offer; the app
 * accepts it through the response, and from then on the connection speaks
 * frames. The native backends frame, mask, validate and compress in C++;
 * the node backend runs the same contract on the `ws` package.
 */
import type { OutgoingHeaders } from './http-types.js';

/** What a valid upgrade request asked for (GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade, version 13, a 16-byte key). */
export interface WebSocketOffer {
  readonly key: string;
  /** Sec-WebSocket-Protocol tokens, in the client's order. */
  readonly protocols: readonly string[];
  /** The raw Sec-WebSocket-Extensions value ('' when absent). */
  readonly extensions: string;
}

/** permessage-deflate parameters the server is willing to agree to (RFC 7692 §7.1). */
export interface WebSocketCompression {
  /** Reset the compressor after each message this server sends (less memory, worse ratio). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compressor after each message. Default false. */
  clientNoContextTakeover?: boolean;
  /** 8..15; default 15. */
  serverMaxWindowBits?: number;
  /** 8..15; default 15 (used only when the client offers the parameter). */
  clientMaxWindowBits?: number;
  /** Messages smaller than this are sent uncompressed. Default 64 bytes. */
  threshold?: number;
}

export interface WebSocketOptions {
  /** Largest message accepted, bytes, after inflation; a larger one closes with 1009. Default 1 MiB. */
  maxPayload: number;
  /**
   * Bytes buffered for a socket past which send() returns false (the message
   * is still queued; wait for onDrain) and publish() skips the socket
   * (dropped, so one slow subscriber cannot grow the server). Default 1 MiB.
   */
  maxBackpressure: number;
  /** ms without any frame from the client before it is closed (1001). 0 = off. Default 120 s. */
  idleTimeout: number;
  /** Send a ping when half the idle timeout passed quietly, so live clients answer and stay. Default true. */
  sendPings: boolean;
  /** permessage-deflate: false (default) or the parameters the server accepts. */
  compression: false | WebSocketCompression;
}

export const defaultWebSocketOptions: Readonly<WebSocketOptions> = Object.freeze({
  maxPayload: 1024 * 1024,
  maxBackpressure: 1024 * 1024,
  idleTimeout: 120_000,
  sendPings: true,
  compression: false,
});

/** What the app answers an offer with. */
export interface WebSocketAccept extends Partial<WebSocketOptions> {
  /** The subprotocol chosen (one of the offer's protocols), or none. */
  protocol?: string;
  /** Extra header fields on the 101 response. */
  headers?: OutgoingHeaders;
}

/** Callbacks of one accepted socket; they run in the transport's turn, never re-entrantly from a send. */
export interface WebSocketEvents {
  /** A whole message (fragments joined, inflated, text validated as UTF-8). */
  onMessage(data: Buffer, isBinary: boolean): void;
  /** Buffered output fell below maxBackpressure after a send() returned false. */
  onDrain(): void;
  /** A ping arrived (the pong is sent by the transport). */
  onPing?(data: Buffer): void;
  onPong?(data: Buffer): void;
  /**
   * Once, when the connection is gone: the peer's close code and reason, the
   * code the server failed it with (1002, 1007, 1009, 1001 idle), or 1006 when
   * it ended without a close frame.
   */
  onClose(code: number, reason: Buffer): void;
}

export interface RawWebSocket {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The agreed subprotocol, '' when none. */
  readonly protocol: string;
  /** The agreed Sec-WebSocket-Extensions value, '' when none. */
  readonly extensions: string;
  /** Bytes queued for this socket and not yet taken by the kernel. */
  readonly bufferedAmount: number;
  /** True once close()/terminate() was called or the connection ended. */
  readonly closed: boolean;
  /**
   * Send one message (a string as text, bytes as binary unless isBinary says
   * otherwise; compress when negotiated and asked). Returns false when the
   * socket now buffers more than maxBackpressure: wait for onDrain.
   */
  send(data: string | Uint8Array, isBinary?: boolean, compress?: boolean): boolean;
  ping(data?: string | Uint8Array): void;
  /** Start the closing handshake (code default 1000; 1000–1003, 1007–1014, 3000–4999; reason ≤ 123 bytes); onClose follows. */
  close(code?: number, reason?: string): void;
  /** Close the TCP connection without a handshake (onClose gets 1006); up to 64 KiB already queued (the 101 of a socket terminated at once) still goes out. */
  terminate(): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  isSubscribed(topic: string): boolean;
  /** Send to every subscriber of `topic` except this socket. */
  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void;
}

/** The part of the contract on the transport itself. */
export interface WebSocketPublisher {
  /** Send to every subscriber of `topic` on this transport (serialized once; subscribers past maxBackpressure are skipped). */
  publish(topic: string, data: string | Uint8Array, isBinary?: boolean, compress?: boolean): void;
  /** Subscribers of `topic` on this transport now. */
  subscriberCount(topic: string): number;
}
