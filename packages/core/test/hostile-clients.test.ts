// Hostile clients (issue 7): pipelined floods that never read, half-closes, truncated bodies, clients
// that stop reading a large answer, TLS on the plain port, bare-LF heads, HTTP/1.2, and the Date header
// on the transport's own answers. Real sockets on 127.0.0.1; every wait is bounded.
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, startHttp, testHandler, title } from './http-helpers.js';
import { RSS_BOUND_FACTOR } from './helpers.js';
import type { HttpLimits, HttpRequestHandler, HttpTransport } from '../src/index.js';

const MiB = 1024 * 1024;
const BIG = Buffer.alloc(8 * MiB, 0x61);
const HUGE = Buffer.alloc(16 * MiB, 0x62);

/** testHandler, plus /big and /huge: an 8 MiB and a 16 MiB answer, each in one send(). */
const handler: HttpRequestHandler = (req, res) => {
  if (req.url === '/big' || req.url === '/huge') {
    res.send(200, { 'content-type': 'application/octet-stream' }, req.url === '/big' ? BIG : HUGE);
    return;
  }
  testHandler(req, res);
};

/** A full GC: global.gc when node runs with --expose-gc, else the same function made reachable at run time. */
function fullGc(): void {
  let gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `cond` every 20 ms; returns the ms it took, throws after `ms`. */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i <= Math.ceil(ms / 20); i++) {
    if (cond()) return Date.now() - t0;
    await sleep(20);
  }
  if (cond()) return Date.now() - t0;
  throw new Error(`${what}: not within ${ms} ms`);
}

/** A raw socket that never reads: node reads at most its readable high-water mark, then stops. */
async function nonReader(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  s.pause();
  return s;
}

/** Resolves on 'drain', or after `ms`. */
function drained(s: net.Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      s.off('drain', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    s.once('drain', done);
  });
}

/** A TLS 1.2/1.3 ClientHello record as a browser-like client sends it (SNI localhost), about 200 bytes. */
function clientHello(): Buffer {
  const u8 = (n: number): Buffer => Buffer.from([n]);
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const u24 = (n: number): Buffer => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const ext = (type: number, data: Buffer): Buffer => Buffer.concat([u16(type), u16(data.length), data]);
  const list16 = (items: number[]): Buffer => Buffer.concat([u16(items.length * 2), ...items.map(u16)]);
  const host = Buffer.from('localhost');
  const extensions = Buffer.concat([
    ext(0x0000, Buffer.concat([u16(host.length + 3), u8(0), u16(host.length), host])), // server_name
    ext(0x000a, list16([0x001d, 0x0017, 0x0018])), // supported_groups
    ext(0x000b, Buffer.from([1, 0])), // ec_point_formats
    ext(0x000d, list16([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])), // signature_algorithms
    ext(0x0010, Buffer.concat([u16(12), u8(2), Buffer.from('h2'), u8(8), Buffer.from('http/1.1')])), // ALPN
    ext(0x002b, Buffer.from([4, 0x03, 0x04, 0x03, 0x03])), // supported_versions
  ]);
  const ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
  const body = Buffer.concat([
    u16(0x0303),
    Buffer.alloc(32, 0x5a), // client_version, random
    u8(32),
    Buffer.alloc(32, 0x11), // legacy session id
    list16(ciphers),
    Buffer.from([1, 0]), // cipher suites, null compression
    u16(extensions.length),
    extensions,
  ]);
  const handshake = Buffer.concat([u8(1), u24(body.length), body]);
  return Buffer.concat([u8(0x16), u16(0x0301), u16(handshake.length), handshake]);
}

/** The head of the first response in `data`. */
const headOf = (data: string): string => data.slice(0, Math.max(0, data.indexOf('\r\n\r\n')));
const IMF_FIXDATE =
  /\r\nDate: ((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT)(?:\r\n|$)/i;

describe.each(httpBackends())('HTTP hostile clients: $name', (backend) => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  const start = async (limits: Partial<HttpLimits> = {}): Promise<number> => {
    const s = await startHttp(backend.name, handler, limits);
    transport = s.transport;
    return s.port;
  };
  const connections = (): number => transport!.stats().connections;

  it.skipIf(backend.skip)(`${title(backend)}: (a) a pipelined GET flood that never reads stays bounded in memory and in bytes read`, async () => {
    const port = await start();
    // Warm-up: the same pipelined traffic from a client that reads, so the heap is already sized for
    // it and the growth measured below is what a client that never reads adds.
    const cold = process.memoryUsage().rss;
    const w = await RawClient.connect(port);
    w.send(GET('/').repeat(32767) + GET('/', 'Connection: close\r\n'));
    await w.closedWithin(15_000);
    expect(w.statuses().length).toBe(32768);
    w.data = '';
    const warm = transport!.stats();
    // RSS after a full GC every 250 ms: what the server holds, not how far the heap ran ahead of its collector.
    fullGc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      fullGc();
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 250);
    const s = await nonReader(port);
    const chunk = Buffer.from(GET('/').repeat(2048)); // 64 KiB of requests per write
    const deadline = Date.now() + 3000;
    try {
      for (let i = 0; i < 200_000 && Date.now() < deadline && !s.destroyed; i++) {
        // Another chunk as soon as the socket takes it; the client buffers at most one.
        if (s.writableNeedDrain) await drained(s, Math.min(200, deadline - Date.now()));
        else s.write(chunk);
        await new Promise<void>((r) => setImmediate(r)); // let the server (this process) run
      }
      fullGc();
      peak = Math.max(peak, process.memoryUsage().rss);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - before;
    const stats = transport!.stats();
    const sent = s.bytesWritten - s.writableLength;
    console.log(
      `[${backend.name}] (a) pipelined flood, 3 s, never read: RSS +${(growth / MiB).toFixed(1)} MiB at peak ` +
        `(${(before / MiB).toFixed(0)} → ${(peak / MiB).toFixed(0)} MiB; +${((peak - cold) / MiB).toFixed(1)} MiB counting a 32,768-request warm-up), server read ${((stats.bytesRead - warm.bytesRead) / MiB).toFixed(1)} MiB ` +
        `and wrote ${((stats.bytesWritten - warm.bytesWritten) / MiB).toFixed(1)} MiB of the flood, the client handed ${(sent / MiB).toFixed(1)} MiB to its kernel`,
    );
    s.destroy();
    expect(growth).toBeLessThan(64 * MiB * RSS_BOUND_FACTOR);
    expect(stats.bytesRead).toBeLessThan(64 * MiB);
  });

  it.skipIf(backend.skip)(`${title(backend)}: (b) 300 pipelined GETs then a half-close are all answered, then the server closes`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send(GET('/').repeat(300));
    c.socket.end();
    await c.closedWithin(5000);
    const statuses = c.statuses();
    expect(statuses.length).toBe(300);
    expect(statuses.every((s) => s === 200)).toBe(true);
    await waitFor(() => connections() === 0, 2000, 'connections back to 0');
  });

  it.skipIf(backend.skip)(`${title(backend)}: (c) half of a Content-Length body, then FIN: answered and closed within 3 s`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${'b'.repeat(500)}`);
    await waitFor(() => connections() === 1, 1000, 'connection open');
    c.socket.end();
    await c.closedWithin(3000);
    console.log(`[${backend.name}] (c) truncated body + FIN: statuses ${JSON.stringify(c.statuses())}`);
    expect(c.statuses()).toEqual([400]);
    await waitFor(() => connections() === 0, 3000, 'connections back to 0');
  });

  for (const close of [true, false]) {
    const what = close ? 'Connection: close' : 'keep-alive';
    it.skipIf(backend.skip)(`${title(backend)}: (d) an 8 MiB answer never read (${what}) is destroyed after sendTimeout`, async () => {
      const port = await start({ sendTimeout: 1000 });
      const s = await nonReader(port);
      const t0 = Date.now();
      s.write(GET('/big', close ? 'Connection: close\r\n' : ''));
      await waitFor(() => connections() === 1, 1000, 'connection open');
      await waitFor(() => connections() === 0, 4500, 'stalled connection destroyed');
      const elapsed = Date.now() - t0;
      console.log(
        `[${backend.name}] (d) ${what}: destroyed ${elapsed} ms after the request (server wrote ${(transport!.stats().bytesWritten / MiB).toFixed(1)} MiB)`,
      );
      expect(elapsed).toBeGreaterThanOrEqual(900); // not before sendTimeout
      s.destroy();
    });
  }

  it.skipIf(backend.skip)(`${title(backend)}: (d) a slow but steady reader of a 16 MiB answer is not cut off by sendTimeout`, async () => {
    const port = await start({ sendTimeout: 1000 });
    const s = await nonReader(port);
    const step = 400 * 1024;
    let got = 0;
    let inStep = 0;
    let closed = false;
    s.on('close', () => {
      closed = true;
    });
    s.on('data', (d: Buffer) => {
      got += d.length;
      inStep += d.length;
      if (inStep >= step) s.pause();
    });
    s.pause();
    s.write(GET('/huge'));
    // About 4 MiB/s, 400 KiB every 100 ms: the kernel shows the server progress every few hundred
    // ms, well within sendTimeout, while the answer (one write on the server) takes seconds.
    const t0 = Date.now();
    for (let i = 0; i < 100 && got < HUGE.length && !closed; i++) {
      await sleep(100);
      inStep = 0;
      s.resume();
    }
    const ms = Date.now() - t0;
    console.log(`[${backend.name}] (d) steady reader: ${(got / MiB).toFixed(1)} MiB in ${ms} ms`);
    expect(closed).toBe(false);
    expect(got).toBeGreaterThan(HUGE.length);
    expect(ms).toBeGreaterThan(2000);
    expect(connections()).toBe(1);
    s.destroy();
  });

  it.skipIf(backend.skip)(`${title(backend)}: (e) a TLS ClientHello on the plain port is answered 400 and closed at once`, async () => {
    const port = await start();
    const hello = clientHello();
    expect(hello.subarray(0, 3)).toEqual(Buffer.from([0x16, 0x03, 0x01]));
    const c = await RawClient.connect(port);
    const t0 = Date.now();
    c.send(hello);
    await c.closedWithin(1000);
    console.log(`[${backend.name}] (e) ClientHello (${hello.length} bytes): ${JSON.stringify(c.statuses())}, closed after ${Date.now() - t0} ms`);
    expect(c.statuses()).toEqual([400]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: (f) a head with bare LF line ends gets an answer, never silence`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send('GET / HTTP/1.1\nHost: x\n\n');
    await c.until((d) => /^HTTP\/1\.1 \d{3} /.test(d) && d.includes('\r\n\r\n'), 1000);
    const status = c.statuses()[0];
    expect([200, 400]).toContain(status);
    if (status === 400) {
      await c.closedWithin(1000);
      console.log(`[${backend.name}] (f) bare LF: 400, then closed`);
    } else {
      // Accepted: the connection goes on as HTTP/1.1.
      c.send(GET('/next'));
      await c.until((d) => d.includes('GET /next'), 1000);
      console.log(`[${backend.name}] (f) bare LF: ${JSON.stringify(c.statuses())}, connection kept`);
      expect(c.statuses()).toEqual([200, 200]);
      c.close();
    }
  });

  it.skipIf(backend.skip)(`${title(backend)}: (g) HTTP/1.2 is served as HTTP/1.1`, async () => {
    const versions: string[] = [];
    const s = await startHttp(backend.name, (req, res) => {
      versions.push(req.httpVersion);
      testHandler(req, res);
    });
    transport = s.transport;
    const c = await RawClient.connect(s.port);
    c.send('GET /a HTTP/1.2\r\nHost: x\r\n\r\nGET /b HTTP/1.2\r\nHost: x\r\n\r\n');
    await c.until((d) => d.includes('GET /b'), 2000);
    expect(c.data.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(c.statuses()).toEqual([200, 200]);
    expect(versions).toEqual(['1.1', '1.1']);
    expect(c.closed).toBe(false); // keep-alive, as 1.1
    c.close();
  });

  const answers: { name: string; status: number; send: string }[] = [
    { name: 'malformed request line', status: 400, send: 'NOT A REQUEST LINE\r\n\r\n' },
    { name: 'oversized head', status: 431, send: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n` },
    { name: 'request-target too long', status: 414, send: GET(`/${'a'.repeat(9 * 1024)}`) },
    { name: 'HTTP/2.0 request line', status: 505, send: 'GET / HTTP/2.0\r\nHost: x\r\n\r\n' },
    { name: 'headersTimeout', status: 408, send: 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' },
  ];
  for (const a of answers) {
    it.skipIf(backend.skip)(`${title(backend)}: (h) the transport's ${a.status} (${a.name}) carries a Date header`, async () => {
      const port = await start({ headersTimeout: 500, requestTimeout: 1000 });
      const c = await RawClient.connect(port);
      c.send(a.send);
      await c.closedWithin(4000);
      expect(c.statuses()[0]).toBe(a.status);
      const head = headOf(c.data);
      const date = IMF_FIXDATE.exec(head);
      expect(date, `no IMF-fixdate Date header in: ${JSON.stringify(head)}`).not.toBeNull();
      expect(Math.abs(Date.parse(date![1]!) - Date.now())).toBeLessThan(10_000);
    });
  }

  const headAnswers: { name: string; status: number; send: string }[] = [
    { name: 'Content-Length over bodyLimit', status: 413, send: 'HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n' },
    { name: 'request-target too long', status: 414, send: `HEAD /${'a'.repeat(9 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n` },
    { name: 'after a pipelined GET', status: 413, send: `${GET('/a')}HEAD / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n` },
  ];
  for (const a of headAnswers) {
    it.skipIf(backend.skip)(`${title(backend)}: (i) the transport's ${a.status} to a HEAD request (${a.name}) carries no body`, async () => {
      const port = await start();
      const c = await RawClient.connect(port);
      c.send(a.send);
      await c.closedWithin(3000);
      const last = c.data.lastIndexOf('HTTP/1.1 ');
      const answer = c.data.slice(last);
      expect(answer.startsWith(`HTTP/1.1 ${a.status} `), answer).toBe(true);
      expect(answer.endsWith('\r\n\r\n'), `bytes after the head: ${JSON.stringify(answer)}`).toBe(true);
    });
  }
});
