// latin1At reuses the previous request's string where the bytes repeat: whatever
// it reuses, the result is the string latin1Slice would give.
import { describe, expect, it } from 'vitest';
import { latin1At, methodAt } from '../src/backends/native/http-strings.js';

function at(bytes: string | Buffer, previous: string | undefined): string {
  const data = Buffer.alloc(600, 0x5a);
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes;
  b.copy(data, 7);
  const s = latin1At(data, 7, b.length, previous);
  expect(s).toBe(data.latin1Slice(7, 7 + b.length));
  return s;
}

describe('latin1At', () => {
  it('returns the previous string itself when the bytes repeat', () => {
    const previous = '/user/41?x=1';
    expect(at('/user/41?x=1', previous)).toBe(previous);
  });

  it('gives the bytes as they are when they differ at the end, in the middle, in length', () => {
    at('/user/42', '/user/41');
    at('/user/4', '/user/41');
    at('/user/410', '/user/41');
    at('/user/41', '/user/4');
    at('/vser/41', '/user/41');
    at('/a/very/long/path/that/differs/everywhere', '/user/41');
    at('', '/user/41');
    at('/user/41', '');
    at('/user/41', undefined);
  });

  it('keeps bytes above 0x7f as latin1 characters', () => {
    at(Buffer.from([0x2f, 0xe9, 0xff, 0x80, 0x00]), '/\u00e9');
    at(Buffer.from([0x2f, 0xe9, 0xff]), '/\u00e9\u00ff\u0100');
  });

  it('reads long values past the reuse bound', () => {
    const long = 'v'.repeat(300);
    at(long, long);
    at(`${long}x`, long);
  });

  it('builds strings of every short length from any bytes as latin1Slice does', () => {
    for (let len = 0; len <= 24; len++) {
      for (const fill of [0x00, 0x2f, 0x7f, 0x80, 0xff]) {
        const b = Buffer.alloc(len, fill);
        for (let i = 0; i < len; i++) b[i] = (fill + i * 37) & 0xff;
        at(b, undefined);
      }
    }
  });

  it('matches latin1Slice over random runs of similar strings', () => {
    let previous: string | undefined;
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    for (let t = 0; t < 2000; t++) {
      const base = previous === undefined ? Buffer.alloc(0) : Buffer.from(previous, 'latin1');
      const b = Buffer.alloc(rand(40));
      for (let i = 0; i < b.length; i++) b[i] = i < base.length && rand(10) > 0 ? base[i]! : rand(256);
      previous = at(b, rand(8) === 0 ? undefined : previous);
    }
  });
});

describe('methodAt', () => {
  it('gives the method as sent: common ones interned, case kept, others sliced', () => {
    for (const m of ['GET', 'get', 'GeT', 'GETS', 'GE', 'PUT', 'POST', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'M-SEARCH']) {
      const data = Buffer.alloc(32, 0x47);
      data.latin1Write(m, 5);
      expect(methodAt(data, 5, m.length)).toBe(m);
    }
  });
});
