import { LastHead, type NativeBody } from './http-request.js';
import type { NativeResponse } from './http-response.js';
import type { NativeWebSocket } from './websocket.js';

/** Per-connection HTTP state on the JS side: responses waiting their turn, the request whose body is arriving. */
export class HttpConnection {
  /** Unfinished responses in request order; queue[0] is the one allowed to write. */
  readonly queue: NativeResponse[] = [];
  /** The body arriving now (the transport feeds it). */
  body: NativeBody | null = null;
  /** Set once the connection was upgraded: it speaks WebSocket frames from then on. */
  ws: NativeWebSocket | null = null;
  requests = 0;
  closing = false;
  /** The newest request is the connection's last (close, 1.0, limits): later ones are ignored. */
  lastRequest = false;
  closed = false;
  /** Bytes written to the output area during `epoch` (not yet taken by native). */
  unflushed = 0;
  epoch = -1;
  /** The last request's URL and header fields, reused when the bytes repeat. */
  lastUrl: string | undefined = undefined;
  readonly lastHead = new LastHead();
  constructor(
    readonly id: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}
}
