/** RawRequest over a REQUEST record: every string is built before the handler runs. */
import { FIELD_WORDS, HttpFlag } from '@ringside/native';
import type { IncomingHeaders, RawRequest } from '../../http-types.js';
import type { NativeLoop } from './native-loop.js';
import type { HttpConnection } from './http-connection.js';
import { headerNameAt, latin1At } from './http-strings.js';

// Repeated fields node keeps only the first of (RFC 9110 singletons).
const SINGLETONS = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
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
    const f = (first + i) * FIELD_WORDS;
    const nameOff = fields[f]!;
    const name = headerNameAt(data, nameOff, fields[f + 1]!);
    const valueOff = fields[f + 2]!;
    const value = latin1At(data, valueOff, fields[f + 3]!, previous[i]);
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

export interface BodySink {
  onChunk(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error): void;
}

export interface RequestOwner {
  pauseBody(req: NativeRequest): void;
  resumeBody(req: NativeRequest): void;
  discardBody(req: NativeRequest): void;
  continue(req: NativeRequest): void;
}

export class NativeRequest implements RawRequest {
  readonly httpVersion: '1.0' | '1.1';
  readonly hasBody: boolean;
  readonly expectContinue: boolean;
  readonly keepAlive: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Body state: chunks held until readBody, then a sink. */
  bodyDone: boolean;
  private held: Buffer[] | null = null;
  private sink: BodySink | null = null;
  private failed: Error | null = null;
  discarded = false;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly headers: IncomingHeaders,
    readonly conn: HttpConnection,
    readonly contentLength: number,
    flags: number,
    private readonly owner: RequestOwner,
  ) {
    this.remoteAddress = conn.remoteAddress;
    this.remotePort = conn.remotePort;
    this.httpVersion = flags & HttpFlag.HTTP10 ? '1.0' : '1.1';
    this.hasBody = (flags & HttpFlag.HAS_BODY) !== 0;
    this.expectContinue = (flags & HttpFlag.EXPECT_CONTINUE) !== 0;
    this.keepAlive = (flags & HttpFlag.KEEP_ALIVE) !== 0;
    this.bodyDone = !this.hasBody;
  }

  readBody(onChunk: (chunk: Buffer) => void, onEnd: () => void, onError: (err: Error) => void): void {
    if (this.sink) throw new Error('readBody() may be called once per request');
    this.sink = { onChunk, onEnd, onError };
    if (this.failed) { onError(this.failed); return; }
    if (this.expectContinue && !this.bodyDone) this.owner.continue(this);
    const held = this.held;
    this.held = null;
    if (held) for (const c of held) onChunk(c);
    if (this.bodyDone) onEnd();
  }

  pauseBody(): void { if (!this.bodyDone) this.owner.pauseBody(this); }
  resumeBody(): void { if (!this.bodyDone) this.owner.resumeBody(this); }

  discardBody(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.held = null;
    if (!this.bodyDone) this.owner.discardBody(this);
  }

  // ---- fed by the transport ----
  pushChunk(chunk: Buffer): void {
    if (this.discarded) return;
    if (this.sink) this.sink.onChunk(chunk);
    else (this.held ??= []).push(chunk);
  }

  end(): void {
    this.bodyDone = true;
    if (this.sink && !this.failed) this.sink.onEnd();
  }

  fail(err: Error): void {
    if (this.bodyDone || this.failed) return;
    this.failed = err;
    this.bodyDone = true;
    this.sink?.onError(err);
  }
}
