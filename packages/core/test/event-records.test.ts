// The boundary codec end to end: records written by the native writers
// (packages/native/src/event_records.h, through fixtures/write_event_records.cc)
// read back through backends/native/event-records.ts give the values written.
// boundary.test.ts compares the constants; this catches a writer or a reader
// that uses the wrong one. Skips loudly without g++.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_WORDS, Ev, HttpFlag, ParseError, Timeout } from '@ringside/native';
import {
  CloseRecord,
  DataRecord,
  FieldRecord,
  HttpErrorRecord,
  OpenRecord,
  RequestRecord,
  TimeoutRecord,
  WsCloseRecord,
  WsMessageRecord,
  fieldAt,
  recordAt,
  recordConn,
  recordType,
} from '../src/backends/native/event-records.js';
import { transportErrors } from '../src/http-errors.js';
import { missingTool } from './helpers.js';

const nativeSrc = fileURLToPath(new URL('../../native/src', import.meta.url));
const writer = fileURLToPath(new URL('./fixtures/write_event_records.cc', import.meta.url));

const skip = missingTool('g++');
if (skip) console.warn(`\n*** SKIPPING the event record round trip: ${skip}\n`);

describe.skipIf(!!skip)(`event records: C++ writers → TS readers${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  const records = new Map<string, Int32Array>();
  let workDir = '';

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'ringside-records-'));
    const exe = join(workDir, 'write_event_records');
    execFileSync('g++', ['-std=c++20', '-Wall', '-Wextra', '-I', nativeSrc, writer, join(nativeSrc, 'http_parser.cc'), '-o', exe], {
      stdio: 'pipe',
      timeout: 60_000,
    });
    for (const line of execFileSync(exe, { encoding: 'utf8' }).trim().split('\n')) {
      const [label, ...words] = line.split(' ');
      records.set(label!, Int32Array.from(words.map(Number)));
    }
  }, 90_000);
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  /** The record labelled `label`, placed as record number 2 of a batch (so `at` is not 0). */
  function batch(label: string): { e: Int32Array; at: number } {
    const rec = records.get(label);
    if (!rec) throw new Error(`the writer printed no ${label} record`);
    expect(rec.length).toBe(EVENT_WORDS);
    const e = new Int32Array(3 * EVENT_WORDS).fill(-7);
    const at = recordAt(2);
    e.set(rec, at);
    return { e, at };
  }

  it('OPEN', () => {
    const { e, at } = batch('open');
    const data = Buffer.alloc(200);
    data.write('127.0.0.1', 100, 'latin1');
    expect(recordType(e, at)).toBe(Ev.OPEN);
    expect(recordConn(e, at)).toBe(0x12345 | (7 << 20));
    expect([OpenRecord.listener(e, at), OpenRecord.address(e, at, data), OpenRecord.port(e, at), OpenRecord.family(e, at)]).toEqual([3, '127.0.0.1', 54321, 6]);
  });

  it('DATA and BODY: the span, copied out', () => {
    const data = Buffer.alloc(2000);
    for (let i = 0; i < data.length; i++) data[i] = i & 0xff;
    for (const [label, type, conn, off, len] of [
      ['data', Ev.DATA, (1 | (0xfff << 20)) >>> 0, 200, 1500],
      ['body', Ev.BODY, 47, 300, 64],
    ] as const) {
      const { e, at } = batch(label);
      expect(recordType(e, at)).toBe(type);
      expect(recordConn(e, at), 'the connection id reads unsigned').toBe(conn);
      expect([DataRecord.off(e, at), DataRecord.len(e, at)]).toEqual([off, len]);
      const chunk = DataRecord.copy(e, at, data);
      expect(chunk.equals(data.subarray(off, off + len))).toBe(true);
      data[off] = data[off]! ^ 0xff;
      expect(chunk[0], 'a copy, not a view of the batch memory').toBe(off & 0xff);
    }
  });

  it('END, DRAIN, BODY_END: the kind and connection', () => {
    for (const [label, type, conn] of [
      ['end', Ev.END, 42],
      ['drain', Ev.DRAIN, 43],
      ['body_end', Ev.BODY_END, 48],
    ] as const) {
      const { e, at } = batch(label);
      expect([recordType(e, at), recordConn(e, at)]).toEqual([type, conn]);
    }
  });

  it('CLOSE', () => {
    const { e, at } = batch('close');
    expect([recordType(e, at), recordConn(e, at), CloseRecord.error(e, at)]).toEqual([Ev.CLOSE, 44, -104]);
  });

  it('REQUEST: spans offset by the head, fields, flags, a Content-Length above 2^32', () => {
    const { e, at } = batch('request');
    expect([recordType(e, at), recordConn(e, at)]).toEqual([Ev.REQUEST, 45]);
    expect([RequestRecord.methodOff(e, at), RequestRecord.methodLen(e, at), RequestRecord.targetOff(e, at), RequestRecord.targetLen(e, at)]).toEqual([
      1000, 4, 1005, 10,
    ]);
    expect([RequestRecord.firstField(e, at), RequestRecord.fieldCount(e, at)]).toEqual([5, 2]);
    expect(RequestRecord.flags(e, at)).toBe(HttpFlag.KEEP_ALIVE | HttpFlag.HAS_BODY | HttpFlag.EXPECT_CONTINUE);
    expect(RequestRecord.contentLength(e, at)).toBe(5_000_000_000);
  });

  it('REQUEST: HTTP/1.0, chunked, no Content-Length', () => {
    const { e, at } = batch('request10');
    expect(RequestRecord.flags(e, at)).toBe(HttpFlag.CHUNKED | HttpFlag.HAS_BODY | HttpFlag.HTTP10);
    expect(RequestRecord.contentLength(e, at)).toBe(-1);
  });

  it('a header field', () => {
    const rec = records.get('field')!;
    const f = new Int32Array(16).fill(-7);
    const at = fieldAt(2);
    f.set(rec, at);
    expect([FieldRecord.nameOff(f, at), FieldRecord.nameLen(f, at), FieldRecord.valueOff(f, at), FieldRecord.valueLen(f, at)]).toEqual([1020, 4, 1026, 9]);
  });

  it('HTTP_ERROR: status, code, body or head, and the answer JS sends for it', () => {
    const body = batch('http_error_body');
    expect([
      recordType(body.e, body.at),
      HttpErrorRecord.status(body.e, body.at),
      HttpErrorRecord.parseError(body.e, body.at),
      HttpErrorRecord.inBody(body.e, body.at),
    ]).toEqual([Ev.HTTP_ERROR, 413, ParseError.BodyTooLarge, true]);
    expect(HttpErrorRecord.answer(body.e, body.at)).toBe(transportErrors.bodyTooLarge);
    const head = batch('http_error_head');
    expect([HttpErrorRecord.status(head.e, head.at), HttpErrorRecord.parseError(head.e, head.at), HttpErrorRecord.inBody(head.e, head.at)]).toEqual([
      414,
      ParseError.UriTooLong,
      false,
    ]);
    expect(HttpErrorRecord.answer(head.e, head.at)).toBe(transportErrors.uriTooLong);
  });

  it('TIMEOUT', () => {
    const { e, at } = batch('timeout');
    expect([recordType(e, at), recordConn(e, at), TimeoutRecord.kind(e, at)]).toEqual([Ev.TIMEOUT, 51, Timeout.REQUEST]);
  });

  it('WS_MESSAGE: binary or text, a piece or the last one, the bytes copied out', () => {
    const data = Buffer.alloc(1024);
    data.write('0123456789abcdef0123456789abcdef', 400, 'latin1');
    data.write('last one', 432, 'latin1');
    const piece = batch('ws_message_piece');
    expect([recordType(piece.e, piece.at), recordConn(piece.e, piece.at)]).toEqual([Ev.WS_MESSAGE, 52]);
    expect([WsMessageRecord.binary(piece.e, piece.at), WsMessageRecord.fin(piece.e, piece.at)]).toEqual([true, false]);
    expect(WsMessageRecord.copy(piece.e, piece.at, data).toString('latin1')).toBe('0123456789abcdef0123456789abcdef');
    const last = batch('ws_message_text_fin');
    expect([WsMessageRecord.binary(last.e, last.at), WsMessageRecord.fin(last.e, last.at)]).toEqual([false, true]);
    const copy = WsMessageRecord.copy(last.e, last.at, data);
    data.fill(0);
    expect(copy.toString('latin1')).toBe('last one');
  });

  it('WS_PING (a span, as DATA) and WS_CLOSE (code and reason)', () => {
    const data = Buffer.alloc(1024);
    data.write('abc', 500, 'latin1');
    data.write('too big', 600, 'latin1');
    const ping = batch('ws_ping');
    expect([recordType(ping.e, ping.at), recordConn(ping.e, ping.at), DataRecord.copy(ping.e, ping.at, data).toString()]).toEqual([Ev.WS_PING, 54, 'abc']);
    const close = batch('ws_close');
    expect([recordType(close.e, close.at), recordConn(close.e, close.at), WsCloseRecord.code(close.e, close.at)]).toEqual([Ev.WS_CLOSE, 55, 1009]);
    expect(WsCloseRecord.reason(close.e, close.at, data).toString()).toBe('too b');
  });
});
