/**
 * The HTTP transport contract: parsed requests in, serialized responses out.
 * @ringside/http builds its app on this; each backend implements it
 * (io_uring: native parser and batches; node: node:http). inject() builds
 * its own RawRequest/RawResponse pair against the same interface.
 */
import type { AddressInfo, BackendChoice, BackendName, CloseOptions, ListenOptions, ServerStats } from './types.js';
import type { FlatJsonFields } from './flat-json.js';
import type { RawWebSocket, WebSocketAccept, WebSocketEvents, WebSocketOffer, WebSocketPublisher } from './websocket-types.js';

export interface HttpLimits {
  /** Request line + headers, bytes. Default 16 KiB → 431. */
  maxHeaderSize: number;
  /**
   * Header fields per request. Default 2,000 (node:http's maxHeadersCount) → 431;
   * at most 16,384. The head-size limit is the protection: proxies and CDNs
   * add many small fields.
   */
  maxHeaders: number;
  /** Request-target length, bytes. Default 8 KiB → 414. */
  maxUrlLength: number;
  /** Largest body any route accepts, bytes (routes may lower it). Default 1 MiB → 413. */
  bodyLimit: number;
  /** ms from the first byte of a request to the end of its head. Default 60 s (node). 0 = off. */
  headersTimeout: number;
  /** ms from the first byte of a request to its response being sent. Default 300 s (node). 0 = off. */
  requestTimeout: number;
  /** ms an idle keep-alive connection is kept. Default 72 s (fastify). 0 = close after each response. */
  keepAliveTimeout: number;
  /** Requests served per connection before it is closed. Default 0 (no limit). */
  maxRequestsPerSocket: number;
  /**
   * ms a connection may go without any send progress while it has unsent
   * output (a client that never reads) before it is destroyed. Default 60 s
   * (nginx's send_timeout). 0 = off.
   */
  sendTimeout: number;
}

export const defaultHttpLimits: Readonly<HttpLimits> = Object.freeze({
  maxHeaderSize: 16 * 1024,
  maxHeaders: 2000,
  maxUrlLength: 8 * 1024,
  bodyLimit: 1024 * 1024,
  headersTimeout: 60_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 72_000,
  maxRequestsPerSocket: 0,
  sendTimeout: 60_000,
});

/** The largest maxHeaders accepted (the native batch holds 65,536 fields). */
export const MAX_HEADERS_LIMIT = 16384;
const MS_LIMITS: readonly string[] = ['headersTimeout', 'requestTimeout', 'keepAliveTimeout', 'sendTimeout'];

/** What is wrong with one HTTP limit's value, in words that say what to do; null when it is valid. */
export function httpLimitProblem(key: string, value: unknown, where = 'Option'): string | null {
  const ms = MS_LIMITS.includes(key);
  const zeroOk = ms || key === 'maxRequestsPerSocket';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (!zeroOk && value === 0)) {
    const unit = ms ? 'milliseconds, 0 to disable' : key === 'maxRequestsPerSocket' ? 'count, 0 for no limit' : key === 'maxHeaders' ? 'count' : 'bytes';
    return `${where} "${key}" must be a ${zeroOk ? 'non-negative' : 'positive'} integer (${unit}), got ${JSON.stringify(value) ?? String(value)}`;
  }
  if (key === 'maxHeaders' && value > MAX_HEADERS_LIMIT)
    return `${where} "maxHeaders" must be at most ${MAX_HEADERS_LIMIT} (count; maxHeaderSize bounds the head), got ${value}`;
  return null;
}

export type HeaderValue = string | string[];
/** Lower-case names. Repeated fields are arrays, except set-cookie (always an array) and the ones joined by ', '. */
export type IncomingHeaders = Record<string, HeaderValue | undefined>;
export type OutgoingHeaders = Record<string, string | number | readonly string[]>;

export interface RawRequest {
  /** Upper-case method as sent. */
  readonly method: string;
  /** Request-target as sent (path + query). */
  readonly url: string;
  readonly httpVersion: '1.0' | '1.1';
  readonly headers: IncomingHeaders;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Declared Content-Length, or -1 when absent (chunked or no body). */
  readonly contentLength: number;
  /** True when a body follows (Content-Length > 0 or chunked). */
  readonly hasBody: boolean;
  /** The client sent `Expect: 100-continue`; the transport sends 100 Continue when the body is first read. */
  readonly expectContinue: boolean;
  /** A valid WebSocket upgrade (RFC 6455 §4.2.1): what it offers; null for every other request. */
  readonly websocket: WebSocketOffer | null;
  /**
   * Receive the body. Chunks belong to the callee. `onEnd` follows the last
   * chunk; `onError` instead when the connection fails or the body is invalid
   * (the transport has then answered the client itself, e.g. 400 or 413).
   * Call at most once. A request without a body calls onEnd at once.
   */
  readBody(onChunk: (chunk: Buffer) => void, onEnd: () => void, onError: (err: Error) => void): void;
  /** Flow control while reading a large body. */
  pauseBody(): void;
  resumeBody(): void;
  /** The body will not be read: the transport discards it (or closes the connection if it is large). */
  discardBody(): void;
}

export interface RawResponse {
  /** True once end()/send() has been called. */
  readonly finished: boolean;
  /** True once the connection is gone (the client left or it was destroyed). */
  readonly aborted: boolean;
  /**
   * The whole response in one write: status line, headers (Date, Content-Length
   * and Connection are added by the transport unless given), body.
   */
  send(status: number, headers: OutgoingHeaders, body: Buffer | string | null): void;
  /**
   * Optional: send() of the flat object `json` measured (`length` bytes of
   * JSON), written by the transport without building JSON.stringify's string
   * (the native one). Called only for a status with a body, not for HEAD.
   */
  sendJson?(status: number, headers: OutgoingHeaders, json: FlatJsonFields, length: number): void;
  /** Streaming: write the head (chunked unless content-length given), then chunks, then end(). */
  writeHead(status: number, headers: OutgoingHeaders): void;
  /** Returns false past the high-water mark; wait for onDrain. */
  write(chunk: Buffer | string): boolean;
  /** Ends a streamed response; `trailers` follow the last chunk of a chunked one (dropped otherwise). */
  end(trailers?: OutgoingHeaders): void;
  onDrain(cb: () => void): void;
  /** Called once when the response finished sending or the connection closed first. */
  onClose(cb: (aborted: boolean) => void): void;
  /** Close the connection now (e.g. after an error mid-stream). */
  destroy(): void;
  /**
   * Answer a WebSocket offer (req.websocket) with 101 and switch the
   * connection to frames; `events` receive its messages. Throws when the
   * request is not a valid upgrade or the response has started.
   */
  upgradeWebSocket(accept: WebSocketAccept, events: WebSocketEvents): RawWebSocket;
}

export type HttpRequestHandler = (req: RawRequest, res: RawResponse) => void;

export interface HttpTransportOptions {
  backend?: BackendChoice;
  limits?: Partial<HttpLimits>;
  onRequest: HttpRequestHandler;
  /** Log sink for the backend-selection line; false silences it. */
  log?: ((line: string) => void) | false;
}

export interface HttpTransport extends WebSocketPublisher {
  readonly backend: BackendName;
  readonly backendReason: string;
  readonly limits: Readonly<HttpLimits>;
  listen(options?: ListenOptions): Promise<AddressInfo>;
  address(): AddressInfo | null;
  /** Stop accepting, finish in-flight requests, close idle keep-alive connections. */
  close(options?: CloseOptions): Promise<void>;
  stats(): ServerStats;
}
