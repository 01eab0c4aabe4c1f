// Seeded random mutation of requests: the server never crashes, answers each
// connection with 4xx/5xx or a valid response or closes it, and still serves a
// good request afterwards. Deterministic: the seed is fixed; bounded in count and time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, startHttp, testHandler, title } from './http-helpers.js';
import type { HttpTransport } from '../src/index.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  'GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n',
  'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n\r\nhello world',
  'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
  'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n',
];
const INTERESTING = [
  '\r\n',
  '\n',
  '\r',
  ':',
  ' ',
  '\0',
  '\t',
  'Content-Length: 99999999999999999999\r\n',
  'Transfer-Encoding: chunked\r\n',
  '\xff',
  'HTTP/1.1',
  '0\r\n\r\n',
  ',',
  ';',
];

function mutate(r: () => number, s: string): string {
  const ops = 1 + Math.floor(r() * 4);
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * (s.length + 1));
    switch (Math.floor(r() * 5)) {
      case 0:
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
        break;
      case 2:
        s = s.slice(0, at) + INTERESTING[Math.floor(r() * INTERESTING.length)] + s.slice(at);
        break;
      case 3:
        s = s.slice(0, at);
        break;
      case 4:
        s = s.slice(0, at) + s.slice(Math.floor(r() * s.length));
        break;
    }
  }
  return s;
}

describe.each(httpBackends())('HTTP mutation fuzz: $name', (backend) => {
  let transport: HttpTransport | undefined;
  let port = 0;
  beforeAll(async () => {
    if (backend.skip) return;
    const s = await startHttp(backend.name, testHandler, { headersTimeout: 300, requestTimeout: 600, keepAliveTimeout: 300 });
    transport = s.transport;
    port = s.port;
  });
  afterAll(async () => {
    await transport?.close({ force: true });
  });

  it.skipIf(backend.skip)(
    `${title(backend)}: 300 mutated requests never crash the server`,
    async () => {
      const r = rng(0x5eed);
      const batch = 20;
      for (let round = 0; round < 15; round++) {
        await Promise.all(
          Array.from({ length: batch }, async () => {
            const c = await RawClient.connect(port);
            c.send(mutate(r, SEEDS[Math.floor(r() * SEEDS.length)]!));
            c.socket.end();
            await c.closedWithin(5000);
            // Whatever came back is made of whole HTTP responses (or nothing).
            for (const s of c.statuses()) expect(s >= 200 && s < 600).toBe(true);
            if (c.data.length) expect(c.data.startsWith('HTTP/1.1 ')).toBe(true);
          }),
        );
      }
      const good = await RawClient.connect(port);
      good.send(GET('/still-alive', 'Connection: close\r\n'));
      await good.closedWithin();
      expect(good.statuses()).toEqual([200]);
    },
    60_000,
  );
});
