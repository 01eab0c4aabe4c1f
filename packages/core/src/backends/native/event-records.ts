/**
 * The codec of the boundary, JS side: typed readers of the event records the
 * native loop writes (packages/native/src/event_records.h), one group per
 * record kind — the only JS code that knows which word holds what. Word
 * indexes come from @ringside/native (twins of src/batch.h, compared by
 * packages/native/test/boundary.test.ts); test/event-records.test.ts reads
 * records written by the C++ writers through these readers.
 *
 * Readers are accessors taking (events, at) rather than functions returning
 * an object: they run per event on the hot path, and a returned object is
 * not reliably optimised away (measured on Node 20: 561 scavenges against 3
 * for the same loop of reads), while an accessor inlines to the plain index.
 */
import {
  CloseWord,
  DataWord,
  EVENT_WORDS,
  FIELD_WORDS,
  FieldWord,
  HttpErrorWord,
  OpenWord,
  ParseError,
  RecordWord,
  RequestWord,
  TimeoutWord,
  WsCloseWord,
  WsFlag,
  WsMessageWord,
} from '@ringside/native';
import { transportErrors, type TransportError } from '../../http-errors.js';

type Words = Int32Array;

/** Index in `events` of the record number `i` of a batch. */
export const recordAt = (i: number): number => i * EVENT_WORDS;
/** Index in `fields` of field record number `i` (RequestRecord.firstField + n). */
export const fieldAt = (i: number): number => i * FIELD_WORDS;

/** Every record: its kind (Ev) and connection id. */
export const recordType = (e: Words, at: number): number => e[at + RecordWord.TYPE]!;
export const recordConn = (e: Words, at: number): number => e[at + RecordWord.CONN]! >>> 0;

/** OPEN: a connection was accepted. */
export const OpenRecord = {
  listener: (e: Words, at: number): number => e[at + OpenWord.LISTENER]!,
  address: (e: Words, at: number, data: Buffer): string => {
    const off = e[at + OpenWord.ADDRESS_OFF]!;
    return data.latin1Slice(off, off + e[at + OpenWord.ADDRESS_LEN]!);
  },
  port: (e: Words, at: number): number => e[at + OpenWord.PORT]!,
  family: (e: Words, at: number): 4 | 6 => e[at + OpenWord.FAMILY] as 4 | 6,
};

/** DATA (TCP bytes) and BODY (HTTP body bytes): a span of eventData. */
export const DataRecord = {
  off: (e: Words, at: number): number => e[at + DataWord.OFF]!,
  len: (e: Words, at: number): number => e[at + DataWord.LEN]!,
  /** The bytes, copied out of the batch memory: the callee owns them. */
  copy: (e: Words, at: number, data: Buffer): Buffer => copySpan(data, e[at + DataWord.OFF]!, e[at + DataWord.LEN]!),
};

/** Bytes of eventData in a buffer of their own (the batch memory is reused). */
function copySpan(data: Buffer, off: number, len: number): Buffer {
  const chunk = Buffer.allocUnsafe(len);
  data.copy(chunk, 0, off, off + len);
  return chunk;
}

/** CLOSE: 0, or -errno of the failure that closed the connection. */
export const CloseRecord = {
  error: (e: Words, at: number): number => e[at + CloseWord.ERROR]!,
};

/** REQUEST: an HTTP request head; strings are spans of eventData, headers `fields` records. */
export const RequestRecord = {
  methodOff: (e: Words, at: number): number => e[at + RequestWord.METHOD_OFF]!,
  methodLen: (e: Words, at: number): number => e[at + RequestWord.METHOD_LEN]!,
  targetOff: (e: Words, at: number): number => e[at + RequestWord.TARGET_OFF]!,
  targetLen: (e: Words, at: number): number => e[at + RequestWord.TARGET_LEN]!,
  firstField: (e: Words, at: number): number => e[at + RequestWord.FIRST_FIELD]!,
  fieldCount: (e: Words, at: number): number => e[at + RequestWord.FIELD_COUNT]!,
  /** HttpFlag bits. */
  flags: (e: Words, at: number): number => e[at + RequestWord.FLAGS]!,
  /** Content-Length, or -1 when absent (below 2^53: the parser caps it at 15 digits). */
  contentLength: (e: Words, at: number): number => {
    const hi = e[at + RequestWord.CONTENT_LENGTH_HI]!;
    return hi < 0 ? -1 : hi * 4294967296 + (e[at + RequestWord.CONTENT_LENGTH_LO]! >>> 0);
  },
};

/** A header field of a REQUEST (`at` from fieldAt): name and value, spans of eventData. */
export const FieldRecord = {
  nameOff: (f: Words, at: number): number => f[at + FieldWord.NAME_OFF]!,
  nameLen: (f: Words, at: number): number => f[at + FieldWord.NAME_LEN]!,
  valueOff: (f: Words, at: number): number => f[at + FieldWord.VALUE_OFF]!,
  valueLen: (f: Words, at: number): number => f[at + FieldWord.VALUE_LEN]!,
};

/**
 * The answer to each ParseError. Native sends its precomputed twin for head
 * errors; JS sends this one for body errors. test/error-answers.test.ts
 * checks that both are the same bytes.
 */
export const parseErrorAnswers = {
  BadRequest: transportErrors.badRequest,
  BadVersion: transportErrors.versionNotSupported,
  UriTooLong: transportErrors.uriTooLong,
  HeadTooLarge: transportErrors.headersTooLarge,
  TooManyHeaders: transportErrors.tooManyHeaders,
  BodyTooLarge: transportErrors.bodyTooLarge,
  Smuggling: transportErrors.smuggling,
  BadChunk: transportErrors.badChunk,
  NotImplemented: transportErrors.notImplemented,
} satisfies Record<keyof typeof ParseError, TransportError>;

const answerByCode: TransportError[] = [];
for (const [name, code] of Object.entries(ParseError)) answerByCode[code] = parseErrorAnswers[name as keyof typeof ParseError];

/** HTTP_ERROR: the native parser refused the request. */
export const HttpErrorRecord = {
  status: (e: Words, at: number): number => e[at + HttpErrorWord.STATUS]!,
  /** ParseError code. */
  parseError: (e: Words, at: number): number => e[at + HttpErrorWord.PARSE_ERROR]!,
  /** A body error: the request is JS's, which answers it in its turn (else native answered the head error). */
  inBody: (e: Words, at: number): boolean => e[at + HttpErrorWord.IN_BODY] === 1,
  /** The answer for its ParseError (400 for a code this side does not know). */
  answer: (e: Words, at: number): TransportError => answerByCode[e[at + HttpErrorWord.PARSE_ERROR]!] ?? transportErrors.badRequest,
};

/** TIMEOUT: which deadline passed (Timeout). */
export const TimeoutRecord = {
  kind: (e: Words, at: number): number => e[at + TimeoutWord.KIND]!,
};

/** WS_MESSAGE: (a piece of) a WebSocket message, a span of eventData. */
export const WsMessageRecord = {
  binary: (e: Words, at: number): boolean => (e[at + WsMessageWord.FLAGS]! & WsFlag.BINARY) !== 0,
  /** The last piece of its message. */
  fin: (e: Words, at: number): boolean => (e[at + WsMessageWord.FLAGS]! & WsFlag.FIN) !== 0,
  /** The bytes, copied out of the batch memory: the callee owns them. */
  copy: (e: Words, at: number, data: Buffer): Buffer => copySpan(data, e[at + WsMessageWord.OFF]!, e[at + WsMessageWord.LEN]!),
};

/** WS_CLOSE: the code the connection closes with and its reason. */
export const WsCloseRecord = {
  code: (e: Words, at: number): number => e[at + WsCloseWord.CODE]!,
  reason: (e: Words, at: number, data: Buffer): Buffer => copySpan(data, e[at + WsCloseWord.REASON_OFF]!, e[at + WsCloseWord.REASON_LEN]!),
};
