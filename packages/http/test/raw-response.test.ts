/**
 * reply.raw: node's ServerResponse shape, built on first use, sharing the
 * reply's headers and status; write() with back-pressure and 'drain';
 * 'finish'/'close'; a file piped into it. Through inject() and over real
 * sockets on every backend.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/index.js';
import { describeAppBackends, rawExchange, useApps, waitFor } from './app-backends.js';

let dir = '';
let file = '';
const fileBytes = Buffer.alloc(1024 * 1024 + 7);
for (let i = 0; i < fileBytes.length; i++) fileBytes[i] = (i * 7 + 3) & 0xff;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringside-raw-'));
  file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, fileBytes);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Routes shared by the inject and socket tests. */
function routes(app: App, events: string[]): void {
  // helmet-style: headers set on the raw response in a hook, then a normal send.
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith('/headers')) reply.raw.setHeader('X-Raw', 'from-raw');
  });
  app.get('/headers', (req, reply) => {
    reply.header('x-reply', 'from-reply');
    const raw = reply.raw;
    raw.statusCode = 201;
    return {
      replySeesRaw: reply.getHeader('x-raw'),
      rawSeesReply: raw.getHeader('X-Reply'),
      status: reply.statusCode,
      names: raw.getHeaderNames().sort(),
      has: raw.hasHeader('x-raw'),
      headersSent: raw.headersSent,
      all: raw.getHeaders(),
    };
  });
  app.get('/removed', (req, reply) => {
    reply.header('x-gone', '1');
    reply.raw.removeHeader('X-Gone');
    reply.raw.setHeader('set-cookie', ['a=1', 'b=2']);
    return String(reply.hasHeader('x-gone'));
  });
  app.get('/events', (req, reply) => {
    const raw = reply.raw;
    raw.on('finish', () => events.push(`finish ended=${raw.writableEnded} finished=${raw.writableFinished}`));
    raw.on('close', () => events.push('close'));
    return 'sent by the framework';
  });
  app.get('/file', (req, reply) => {
    reply.raw.setHeader('content-type', 'application/octet-stream');
    reply.raw.on('finish', () => events.push('file finish'));
    fs.createReadStream(file).pipe(reply.raw);
  });
  app.get('/end', (req, reply) => {
    reply.raw.setHeader('x-a', '1');
    reply.raw.end('done', () => events.push('end callback'));
    events.push(`sent=${reply.sent} headersSent=${reply.raw.headersSent} ended=${reply.raw.writableEnded}`);
  });
  app.get('/late-header', (req, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/plain' });
    try {
      reply.raw.setHeader('x-late', '1');
    } catch (e) {
      reply.raw.end((e as { code: string }).code);
    }
  });
}

describe('reply.raw through inject()', () => {
  it('shares headers and status with the reply', async () => {
    const app = createApp();
    routes(app, []);
    const res = await app.inject('/headers');
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-raw']).toBe('from-raw');
    expect(res.headers['x-reply']).toBe('from-reply');
    expect(res.json()).toEqual({
      replySeesRaw: 'from-raw',
      rawSeesReply: 'from-reply',
      status: 201,
      names: ['x-raw', 'x-reply'],
      has: true,
      headersSent: false,
      all: { 'x-raw': 'from-raw', 'x-reply': 'from-reply' },
    });
    const removed = await app.inject('/removed');
    expect(removed.body).toBe('false');
    expect(removed.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    await app.close();
  });

  it("emits 'finish' then 'close' when the framework sends, and end(cb) answers", async () => {
    const events: string[] = [];
    const app = createApp();
    routes(app, events);
    expect((await app.inject('/events')).body).toBe('sent by the framework');
    await waitFor(() => events.length === 2);
    expect(events).toEqual(['finish ended=true finished=true', 'close']);
    events.length = 0;
    const end = await app.inject('/end');
    expect(end.body).toBe('done');
    expect(end.headers['content-length']).toBe('4');
    expect(end.headers['x-a']).toBe('1');
    await waitFor(() => events.length === 2);
    expect(events).toEqual(['sent=true headersSent=true ended=true', 'end callback']);
    expect((await app.inject('/late-header')).body).toBe('ERR_HTTP_HEADERS_SENT');
    await app.close();
  });

  it('writeHead with a header list, flushHeaders, write callbacks, write after end, HEAD', async () => {
    const app = createApp();
    const seen: string[] = [];
    app.get('/flush', (req, reply) => {
      const raw = reply.raw;
      raw.writeHead(200, ['x-one', '1', 'x-two', '2']);
      raw.flushHeaders();
      raw.write('a', () => seen.push('written'));
      raw.end('b', () => {
        raw.write('late', (err) => seen.push(String((err as { code?: string } | null)?.code)));
      });
    });
    app.get('/head', (req, reply) => {
      reply.raw.end('four');
    });
    const res = await app.inject('/flush');
    expect(res.headers).toMatchObject({ 'x-one': '1', 'x-two': '2', 'transfer-encoding': 'chunked' });
    expect(res.body).toBe('ab');
    await waitFor(() => seen.length === 2);
    expect(seen).toEqual(['written', 'ERR_STREAM_WRITE_AFTER_END']);
    const head = await app.inject({ method: 'HEAD', url: '/head' });
    expect(head.headers['content-length']).toBe('4');
    expect(head.body).toBe('');
    await app.close();
  });

  it('takes a file piped into it', async () => {
    const events: string[] = [];
    const app = createApp();
    routes(app, events);
    const res = await app.inject('/file');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(sha(res.rawPayload)).toBe(sha(fileBytes));
    await waitFor(() => events.length === 1);
    expect(events).toEqual(['file finish']);
    await app.close();
  });
});

describeAppBackends('reply.raw over sockets', (backend) => {
  const start = useApps();

  it('shares headers and status with the reply', async () => {
    const port = await start(backend, (app) => routes(app, []));
    const res = await fetch(`http://127.0.0.1:${port}/headers`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-raw')).toBe('from-raw');
    expect(res.headers.get('x-reply')).toBe('from-reply');
    expect(((await res.json()) as { replySeesRaw: string }).replySeesRaw).toBe('from-raw');
    const removed = await fetch(`http://127.0.0.1:${port}/removed`);
    expect(await removed.text()).toBe('false');
    expect(removed.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it("emits 'finish' and 'close'; end() sends one response with its length", async () => {
    const events: string[] = [];
    const port = await start(backend, (app) => routes(app, events));
    expect(await (await fetch(`http://127.0.0.1:${port}/events`)).text()).toBe('sent by the framework');
    await waitFor(() => events.length === 2, 5000, "'finish' and 'close'");
    expect(events).toEqual(['finish ended=true finished=true', 'close']);
    const end = await fetch(`http://127.0.0.1:${port}/end`);
    expect(await end.text()).toBe('done');
    expect(end.headers.get('content-length')).toBe('4');
    expect(await (await fetch(`http://127.0.0.1:${port}/late-header`)).text()).toBe('ERR_HTTP_HEADERS_SENT');
  });

  it('takes a file piped into it (fs.createReadStream().pipe(reply.raw))', async () => {
    const events: string[] = [];
    const port = await start(backend, (app) => routes(app, events));
    const res = await fetch(`http://127.0.0.1:${port}/file`);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(fileBytes));
    await waitFor(() => events.includes('file finish'), 5000, "'finish'");
    // The connection is still usable after the piped response.
    expect(await rawExchange(port, 'GET /events HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.endsWith('sent by the framework'))).toMatch(/^HTTP\/1\.1 200/);
  });

  it("applies back-pressure: write() returns false, 'drain' follows, the writer waits (bounded memory)", async () => {
    const chunk = Buffer.alloc(256 * 1024, 'x');
    const chunks = 256; // 64 MiB
    let written = 0;
    let refused = 0;
    let drains = 0;
    const port = await start(backend, (app) => {
      app.get('/big', (req, reply) => {
        const raw = reply.raw;
        raw.setHeader('content-length', String(chunk.length * chunks));
        const pump = (): void => {
          while (written < chunks) {
            written++;
            if (!raw.write(chunk)) {
              refused++;
              raw.once('drain', () => {
                drains++;
                pump();
              });
              return;
            }
          }
          raw.end();
        };
        pump();
      });
    });
    const client = net.connect(port, '127.0.0.1');
    let received = 0;
    let headerDone = false;
    client.on('data', (d: Buffer) => {
      if (!headerDone) {
        const i = d.indexOf('\r\n\r\n');
        if (i === -1) return;
        headerDone = true;
        d = d.subarray(i + 4);
      }
      received += d.length;
    });
    try {
      client.pause();
      client.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor(() => refused > 0, 5000, 'write() to refuse');
      await new Promise((r) => setTimeout(r, 200));
      // While the client reads nothing, the writer stays stopped: no more than the kernel's buffers and the high-water mark.
      expect(written).toBeLessThan(chunks / 2);
      client.resume();
      await waitFor(() => received === chunk.length * chunks, 30_000, `the whole body (got ${received})`);
      expect(drains).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  });
});
