/** RawRequest over a REQUEST record: every string is built before the handler runs. */
import { HttpFlag } from '@ringside/native';
import type { IncomingHeaders, RawRequest } from '../../http-types.js';
import type { NativeLoop } from './native-loop.js';
import type { HttpConnection } from './http-connection.js';
import type { WebSocketOffer } from '../../websocket-types.js';
import { websocketOffer } from '../../websocket-offer.js';
import { headerNameAt, latin1At } from './http-strings.js';
import { FieldRecord, fieldAt } from './event-records.js';
import { BodyReader } from '../../body-reader.js';

// Repeated fields node keeps only the first of (RFC 9110 singletons).
const SINGLETONS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/**
 * Build node-style headers (lower-case names) from the field records of one
 * request. `previous` holds the values of the connection's last request by
 * position, reused when the bytes repeat (and updated).
 */
export function buildHeaders(loop: NativeLoop, first: number, count: number, previous: string[]): IncomingHeaders {
  const headers: IncomingHeaders = {};
  const fields = loop.fields;
  const data = loop.eventData;
  for (let i = 0; i < count; i++) {
    const f = fieldAt(first + i);
    const name = headerNameAt(data, FieldRecord.nameOff(fields, f), FieldRecord.nameLen(fields, f));
    const value = latin1At(data, FieldRecord.valueOff(fields, f), FieldRecord.valueLen(fields, f), previous[i]);
    if (i < 32) previous[i] = value;
    const prev = headers[name];
    if (prev === undefined) {
      headers[name] = name === 'set-cookie' ? [value] : value;
    } else if (name === 'set-cookie') {
      (prev as string[]).push(value);
    } else if (!SINGLETONS.has(name)) {
      headers[name] = prev + (name === 'cookie' ? '; ' : ', ') + value;
    }
  }
  return headers;
}

export interface RequestOwner {
  pauseBody(req: NativeRequest): void;
  resumeBody(req: NativeRequest): void;
  discardBody(req: NativeRequest): void;
  continue(req: NativeRequest): void;
}

export class NativeRequest extends BodyReader implements RawRequest {
  readonly httpVersion: '1.0' | '1.1';
  readonly hasBody: boolean;
  readonly expectContinue: boolean;
  /** The client allows keep-alive (its Connection header and version). */
  readonly keepAlive: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** 1-based position on the connection (maxRequestsPerSocket). */
  readonly index: number;
  readonly websocket: WebSocketOffer | null;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHeaders,
    readonly conn: HttpConnection,
    readonly contentLength: number,
    flags: number,
    private readonly owner: RequestOwner,
  ) {
    const hasBody = (flags & HttpFlag.HAS_BODY) !== 0;
    super(hasBody);
    this.hasBody = hasBody;
    this.remoteAddress = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.index = conn.requests;
    this.httpVersion = flags & HttpFlag.HTTP10 ? '1.0' : '1.1';
    this.expectContinue = (flags & HttpFlag.EXPECT_CONTINUE) !== 0;
    // An upgrade request is the connection's last: accepted it speaks frames, answered it closes.
    this.keepAlive = (flags & (HttpFlag.KEEP_ALIVE | HttpFlag.UPGRADE)) === HttpFlag.KEEP_ALIVE;
    // Validated natively; the offer's lists are read here.
    this.websocket = flags & HttpFlag.WEBSOCKET ? websocketOffer(method, this.httpVersion, headers) : null;
  }

  protected startBody(): void {
    if (this.expectContinue) this.owner.continue(this);
  }
  protected pauseSource(): void {
    this.owner.pauseBody(this);
  }
  protected resumeSource(): void {
    this.owner.resumeBody(this);
  }
  protected discardSource(): void {
    this.owner.discardBody(this);
  }
}
