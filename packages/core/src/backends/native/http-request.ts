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
 * A connection's last request head: the bytes of its header fields (from the
 * first name to the end of the last value) and the names and values built
 * from them. Keep-alive clients mostly repeat their headers: the same bytes
 * are found with one comparison instead of one per field.
 */
export class LastHead {
  count = -1;
  length = 0;
  /** The field bytes, read four at a time by sameSpan(); a DataView alone (no byte view kept per connection). */
  view = NO_BYTES;
  /** Names and values by position (up to MAX_REMEMBERED), as many as the head had: arrays of their own length, not grown ones. Values are also reused one by one when only some repeat. */
  names: readonly string[] = NO_FIELDS;
  values: readonly string[] = NO_FIELDS;
}

const NO_BYTES = new DataView(new ArrayBuffer(0));
const NO_FIELDS: readonly string[] = [];
// The fields of a head with another number of fields than the connection's last, copied to its LastHead at their exact length.
const headNames: string[] = [];
const headValues: string[] = [];

/** Heads with more fields or bytes than this are not remembered whole (bounded memory per connection). */
const MAX_REMEMBERED = 32;
const MAX_REMEMBERED_BYTES = 1024;

/**
 * Build node-style headers (lower-case names) from the field records of one
 * request, reusing the strings of the connection's last head (`last`) where
 * the bytes repeat, and remembering this one.
 */
export function buildHeaders(loop: NativeLoop, first: number, count: number, last: LastHead): IncomingHeaders {
  const fields = loop.fields;
  const data = loop.eventData;
  if (count === 0) return {};
  const start = FieldRecord.nameOff(fields, fieldAt(first));
  const lastField = fieldAt(first + count - 1);
  const length = FieldRecord.valueOff(fields, lastField) + FieldRecord.valueLen(fields, lastField) - start;
  // The head is copied whole into eventData (fields are spans of it): the same bytes parse to the same fields.
  if (count === last.count && length === last.length && sameSpan(loop.eventView, start, last.view, length)) return headersOf(last.names, last.values, count);
  const previous = last.values;
  // As many fields as the last head: its arrays are rewritten in place (no allocation when only a value changes, a trace id).
  const inPlace = previous.length === count;
  const names = inPlace ? (last.names as string[]) : headNames;
  const values = inPlace ? (previous as string[]) : headValues;
  const headers: IncomingHeaders = {};
  for (let i = 0; i < count; i++) {
    const f = fieldAt(first + i);
    const name = headerNameAt(data, FieldRecord.nameOff(fields, f), FieldRecord.nameLen(fields, f));
    const value = latin1At(data, FieldRecord.valueOff(fields, f), FieldRecord.valueLen(fields, f), previous[i]);
    if (i < MAX_REMEMBERED) {
      names[i] = name;
      values[i] = value;
    }
    addField(headers, name, value);
  }
  if (!inPlace && count <= MAX_REMEMBERED) {
    last.names = headNames.slice(0, count);
    last.values = headValues.slice(0, count);
  }
  remember(last, loop.eventView, start, length, count);
  return headers;
}

function headersOf(names: readonly string[], values: readonly string[], count: number): IncomingHeaders {
  const headers: IncomingHeaders = {};
  for (let i = 0; i < count; i++) addField(headers, names[i]!, values[i]!);
  return headers;
}

function addField(headers: IncomingHeaders, name: string, value: string): void {
  const prev = headers[name];
  if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
  else addRepeated(headers, name, prev, value);
}

/** Keep this head's field bytes for the next request of the connection (its names and values are kept already). */
function remember(last: LastHead, data: DataView, start: number, length: number, count: number): void {
  if (count > MAX_REMEMBERED || length > MAX_REMEMBERED_BYTES) {
    last.count = -1;
    return;
  }
  if (last.view.byteLength < length) last.view = new DataView(new ArrayBuffer(Math.max(length, 64)));
  const view = last.view;
  // Four bytes a copy, as sameSpan() compares: no byte view to allocate, no call into C++.
  let i = 0;
  for (; i + 4 <= length; i += 4) view.setInt32(i, data.getInt32(start + i));
  for (; i < length; i++) view.setUint8(i, data.getUint8(start + i));
  last.count = count;
  last.length = length;
}

/**
 * data[start, start+length) equals bytes[0, length). Four bytes a compare
 * through DataViews: a typed array's element access costs about as much as
 * a DataView's four-byte read in optimised code here.
 */
function sameSpan(data: DataView, start: number, bytes: DataView, length: number): boolean {
  let i = 0;
  for (; i + 4 <= length; i += 4) if (data.getInt32(start + i) !== bytes.getInt32(i)) return false;
  for (; i < length; i++) if (data.getUint8(start + i) !== bytes.getUint8(i)) return false;
  return true;
}

/** A field seen before in the same head (rare; out of the loop so that buildHeaders stays small enough to inline). */
function addRepeated(headers: IncomingHeaders, name: string, prev: string | string[], value: string): void {
  if (name === 'set-cookie') (prev as string[]).push(value);
  else if (!SINGLETONS.has(name)) headers[name] = prev + (name === 'cookie' ? '; ' : ', ') + value;
}

export interface RequestOwner {
  pauseBody(req: NativeRequest): void;
  resumeBody(req: NativeRequest): void;
  discardBody(req: NativeRequest): void;
  continue(req: NativeRequest): void;
}

/** The body side of a request: BodyReader fed by the transport, its source the connection. */
export class NativeBody extends BodyReader {
  /** 100 Continue was sent (the app read a body the client waits to be asked for). */
  continued = false;

  constructor(
    readonly req: NativeRequest,
    hasBody: boolean,
    private readonly owner: RequestOwner,
  ) {
    super(hasBody);
  }

  protected startBody(): void {
    if (!this.req.expectContinue) return;
    this.continued = true;
    this.owner.continue(this.req);
  }
  protected pauseSource(): void {
    this.owner.pauseBody(this.req);
  }
  protected resumeSource(): void {
    this.owner.resumeBody(this.req);
  }
  protected discardSource(): void {
    this.owner.discardBody(this.req);
  }
}

/**
 * Not a BodyReader itself: a request without a body (most of them) builds
 * none unless the app reads it, and a plain class constructs without the
 * derived-constructor call V8 does not inline.
 */
export class NativeRequest implements RawRequest {
  // Declared, then assigned in the constructor: field initializers would cost
  // a call and a define per field for every request.
  declare readonly method: string;
  declare readonly url: string;
  declare readonly headers: IncomingHeaders;
  declare readonly conn: HttpConnection;
  declare readonly contentLength: number;
  declare readonly httpVersion: '1.0' | '1.1';
  declare readonly hasBody: boolean;
  declare readonly expectContinue: boolean;
  /** The client allows keep-alive (its Connection header and version). */
  declare readonly keepAlive: boolean;
  /** 1-based position on the connection (maxRequestsPerSocket). */
  declare readonly index: number;
  declare readonly websocket: WebSocketOffer | null;
  declare private readonly owner: RequestOwner;
  /** Built with the request when it has a body (the transport feeds it), else on the app's first readBody(). */
  declare private reader: NativeBody | null;

  constructor(method: string, url: string, headers: IncomingHeaders, conn: HttpConnection, contentLength: number, flags: number, owner: RequestOwner) {
    const hasBody = (flags & HttpFlag.HAS_BODY) !== 0;
    this.method = method;
    this.url = url;
    this.headers = headers;
    this.conn = conn;
    this.contentLength = contentLength;
    this.httpVersion = flags & HttpFlag.HTTP10 ? '1.0' : '1.1';
    this.hasBody = hasBody;
    this.expectContinue = (flags & HttpFlag.EXPECT_CONTINUE) !== 0;
    // An upgrade request is the connection's last: accepted it speaks frames, answered it closes.
    this.keepAlive = (flags & (HttpFlag.KEEP_ALIVE | HttpFlag.UPGRADE)) === HttpFlag.KEEP_ALIVE;
    this.index = conn.requests;
    // Validated natively; the offer's lists are read here.
    this.websocket = flags & HttpFlag.WEBSOCKET ? websocketOffer(method, this.httpVersion, headers) : null;
    this.owner = owner;
    this.reader = hasBody ? new NativeBody(this, true, owner) : null;
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }
  get remotePort(): number {
    return this.conn.remotePort;
  }

  /** The body's reader (one with nothing to read when the request has no body). */
  get body(): NativeBody {
    return (this.reader ??= new NativeBody(this, this.hasBody, this.owner));
  }

  /** The body arrived whole, failed or was discarded, or there is none: the connection can go on. */
  get bodySettled(): boolean {
    const r = this.reader;
    if (r === null) return !this.hasBody;
    // A discarded body is read and dropped, unless the client waits for a 100 Continue it never got:
    // then it may never send the body, and the next request's bytes would be taken for it.
    return r.bodyDone || (r.discarded && (!this.expectContinue || r.continued));
  }

  readBody(onChunk: (chunk: Buffer) => void, onEnd: () => void, onError: (err: Error) => void): void {
    this.body.readBody(onChunk, onEnd, onError);
  }
  // Without a body there is nothing to pause, resume or discard.
  pauseBody(): void {
    this.reader?.pauseBody();
  }
  resumeBody(): void {
    this.reader?.resumeBody();
  }
  discardBody(): void {
    this.reader?.discardBody();
  }
}
