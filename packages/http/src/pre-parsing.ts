/**
 * preParsing hooks get the request body as a stream and may return another
 * one (a decompressor, a decryptor); the body is then read and parsed from
 * the stream the last hook returned, within the route's bodyLimit. The
 * stream over the transport's body is made only for routes that have
 * preParsing hooks, so other routes keep reading the body directly.
 */
import { Readable } from 'node:stream';
import type { RawRequest } from '@ringside/core';
import { BODY_NONE, hookStreamErrors } from './content-type-parser.js';
import { PASS_VALUE, REPLACE_VALUE, runHooks, type HookEntry, type HookNext } from './hooks.js';
import { kContext, kTransportRequest } from './symbols.js';
import type { Reply } from './reply.js';

/** The transport's body as a Readable, read from the transport only once something reads it. */
class TransportBody extends Readable {
  started = false;

  constructor(private readonly source: RawRequest) {
    super();
  }

  override _read(): void {
    if (this.started) {
      this.source.resumeBody();
      return;
    }
    this.started = true;
    this.source.readBody(
      (chunk) => {
        if (!this.push(chunk)) this.source.pauseBody();
      },
      () => this.push(null),
      (err) => this.destroy(err),
    );
  }
}

/** A RawRequest whose body comes from `stream` (the hooks' result); the rest is the transport's. */
function streamSource(source: RawRequest, stream: NodeJS.ReadableStream, payload: TransportBody): RawRequest {
  return {
    method: source.method,
    url: source.url,
    httpVersion: source.httpVersion,
    headers: source.headers,
    remoteAddress: source.remoteAddress,
    remotePort: source.remotePort,
    contentLength: -1, // unknown once transformed: the limit counts the bytes read
    hasBody: true,
    expectContinue: false,
    websocket: source.websocket,
    readBody(onChunk, onEnd, onError) {
      stream.on('data', (c: Buffer | string) => onChunk(typeof c === 'string' ? Buffer.from(c) : c));
      stream.once('end', onEnd);
      stream.once('error', (err: Error) => {
        // Not the transport's failure reaching us through the hooks' stream: the app answers it.
        if (payload.errored === null && err !== null && typeof err === 'object') hookStreamErrors.add(err);
        onError(err);
      });
      // As fastify's body reader: a hook may hand back a paused stream (@fastify/compress's decompressor).
      stream.resume();
    },
    pauseBody: () => stream.pause(),
    resumeBody: () => stream.resume(),
    discardBody() {
      (stream as Readable).destroy?.();
      // Also when the hooks' stream stopped mid-body (it failed, or the limit was passed): the rest is dropped, not left paused.
      if (source.hasBody) source.discardBody();
    },
  };
}

/** Run the route's preParsing hooks with (req, reply, payload); the next step reads the body from what they return. */
export function runPreParsing(reply: Reply, hooks: HookEntry[], next: HookNext): void {
  const req = reply.request;
  const source = req[kTransportRequest];
  const bodyless = reply[kContext].bodyMode === BODY_NONE || !source.hasBody;
  const payload = new TransportBody(source);
  if (bodyless) {
    payload.started = true;
    payload.push(null);
  }
  runHooks(hooks, req, reply, PASS_VALUE | REPLACE_VALUE, payload, (r, err, value) => {
    if (err === null && !bodyless) {
      const stream = value as NodeJS.ReadableStream | null | undefined;
      // Unchanged and unread: the parser reads the transport directly, as without hooks.
      if (stream !== payload || payload.started) {
        if (stream === null || stream === undefined || typeof stream.on !== 'function') {
          next(r, new TypeError('A preParsing hook must resolve to (or pass to done) a readable stream'), value);
          return;
        }
        req[kTransportRequest] = streamSource(source, stream, payload);
      }
    }
    next(r, err, value);
  });
}
