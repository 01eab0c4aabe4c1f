// buildHeaders reuses the strings of the connection's last head where its bytes
// repeat: whatever it reuses, each request gets the headers a fresh build gives,
// in an object of its own.
import { describe, expect, it } from 'vitest';
import { FIELD_WORDS, FieldWord } from '@ringside/native';
import { buildHeaders, LastHead } from '../src/backends/native/http-request.js';
import type { NativeLoop } from '../src/backends/native/native-loop.js';

type Field = [name: string, value: string];

/** Lay a head out as the native side does: the fields' bytes copied whole into eventData, the field records spans of it. */
function head(fields: Field[], at = 40): { loop: NativeLoop; first: number; count: number } {
  const eventData = Buffer.alloc(65536, 0x5a);
  const records = new Int32Array(64 * FIELD_WORDS);
  const first = 3;
  let off = at;
  fields.forEach(([name, value], i) => {
    const r = (first + i) * FIELD_WORDS;
    records[r + FieldWord.NAME_OFF] = off;
    records[r + FieldWord.NAME_LEN] = eventData.latin1Write(name, off);
    off += name.length + 2; // ": "
    records[r + FieldWord.VALUE_OFF] = off;
    records[r + FieldWord.VALUE_LEN] = eventData.latin1Write(value, off);
    off += value.length + 2; // CRLF
  });
  const eventView = new DataView(eventData.buffer, eventData.byteOffset, eventData.byteLength);
  return { loop: { fields: records, eventData, eventView } as unknown as NativeLoop, first, count: fields.length };
}

function build(fields: Field[], last: LastHead, at?: number): Record<string, unknown> {
  const h = head(fields, at);
  return buildHeaders(h.loop, h.first, h.count, last);
}

describe('buildHeaders', () => {
  it('gives each request its own object, also when the head repeats', () => {
    const last = new LastHead();
    const fields: Field[] = [
      ['Host', 'example.com'],
      ['Cookie', 'a=1'],
      ['cookie', 'b=2'],
      ['Set-Cookie', 'x'],
      ['set-cookie', 'y'],
      ['Accept', 'a'],
      ['accept', 'b'],
      ['Host', 'other'],
    ];
    const expected = { host: 'example.com', cookie: 'a=1; b=2', 'set-cookie': ['x', 'y'], accept: 'a, b' };
    const one = build(fields, last);
    expect(one).toEqual(expected);
    one.host = 'changed';
    (one['set-cookie'] as string[]).push('z');
    // Same bytes at another offset: the same headers, untouched by the change to the first object.
    const two = build(fields, last, 700);
    expect(two).toEqual(expected);
    expect(two).not.toBe(one);
    expect(two['set-cookie']).not.toBe(one['set-cookie']);
  });

  it('reads a head that differs in one byte, in length or in its number of fields', () => {
    const last = new LastHead();
    build([['Host', 'a.example']], last);
    expect(build([['Host', 'b.example']], last)).toEqual({ host: 'b.example' });
    expect(build([['Host', 'b.exampl']], last)).toEqual({ host: 'b.exampl' });
    expect(build([['Hosu', 'b.exampl']], last)).toEqual({ hosu: 'b.exampl' });
    const two: Field[] = [
      ['Hosu', 'b.exampl'],
      ['X-A', '1'],
    ];
    expect(build(two, last)).toEqual({ hosu: 'b.exampl', 'x-a': '1' });
    expect(build([], last)).toEqual({});
    expect(build(two, last)).toEqual({ hosu: 'b.exampl', 'x-a': '1' });
  });

  it('notices a change at any byte of a repeated head, in its four-byte words or after them', () => {
    const last = new LastHead();
    // "Host: " and this value: a span of 27 bytes, six words of four and three more.
    const value = 'abcdefghijklmnopqrstu';
    build([['Host', value]], last);
    for (let i = 0; i < value.length; i++) {
      const changed = `${value.slice(0, i)}Z${value.slice(i + 1)}`;
      expect(build([['Host', changed]], last)).toEqual({ host: changed });
      expect(build([['Host', value]], last)).toEqual({ host: value });
    }
    for (const name of ['Xost', 'HXst', 'HoXt', 'HosX']) {
      expect(build([[name, value]], last)).toEqual({ [name.toLowerCase()]: value });
      expect(build([['Host', value]], last)).toEqual({ host: value });
    }
  });

  it('keeps every byte of a head that follows a longer one, up to its last', () => {
    const long = 'abcdefghijklmnopqrstuvwxyz';
    // Spans of 6 + n bytes: three, one and two bytes after the last whole word.
    for (const n of [21, 23, 24]) {
      const last = new LastHead();
      build([['Host', long]], last);
      // The last byte differs from the longer head's byte there; then it is that byte again.
      const other = `${long.slice(0, n - 1)}Z`;
      expect(build([['Host', other]], last)).toEqual({ host: other });
      expect(build([['Host', long.slice(0, n)]], last)).toEqual({ host: long.slice(0, n) });
    }
  });

  it('matches a fresh build over random runs of similar heads, large ones included', () => {
    const names = ['Host', 'cookie', 'Set-Cookie', 'Accept', 'X-Id', 'user-agent', 'CONTENT-TYPE', 'x-\u00e9t\u00e9'];
    let seed = 11;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const last = new LastHead();
    let prev: Field[] = [];
    for (let t = 0; t < 1500; t++) {
      let fields: Field[];
      if (prev.length > 0 && rand(3) === 0) fields = prev;
      else {
        const count = rand(4) === 0 ? 30 + rand(10) : rand(6);
        fields = [];
        for (let i = 0; i < count; i++) {
          const p = prev[i];
          const value = rand(20) === 0 ? 'v'.repeat(rand(1200)) : String(rand(5));
          fields.push(p !== undefined && rand(4) > 0 ? p : [names[rand(names.length)]!, value]);
        }
      }
      expect(build(fields, last, 40 + rand(100))).toEqual(build(fields, new LastHead()));
      prev = fields;
    }
  });
});
