/**
 * End-to-end over real sockets (127.0.0.1, port 0), on every backend: the
 * framework must behave the same whichever transport runs it. Transport
 * behaviour itself (limits, keep-alive, pipelining, chunked framing,
 * smuggling, timeouts) is tested in packages/core.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpTransport, epollUnavailableReason, ioUringUnavailableReason, type BackendName } from '@ringside/core';
import { createApp, type App } from '../src/index.js';
import { rawExchange as rawRequest } from './app-backends.js';

interface Backend {
  name: BackendName;
  skip: string | null;
}

function backends(): Backend[] {
  const why = ioUringUnavailableReason().why;
  if (why) console.warn(`\n*** @ringside/http io_uring server tests SKIPPED: ${why}\n`);
  let nodeSkip: string | null = null;
  try {
    createHttpTransport({ backend: 'node', onRequest: () => {}, log: false });
  } catch (e) {
    // Until the node backend lands (packages/core/src/backends/node), say so loudly.
    if (/not implemented/i.test((e as Error).message)) nodeSkip = (e as Error).message;
    else throw e;
  }
  if (nodeSkip) console.warn(`\n*** @ringside/http node-backend server tests SKIPPED: ${nodeSkip}\n`);
  const epollWhy = epollUnavailableReason().why;
  if (epollWhy) console.warn(`\n*** @ringside/http epoll server tests SKIPPED: ${epollWhy}\n`);
  return [
    { name: 'io_uring', skip: why || null },
    { name: 'epoll', skip: epollWhy || null },
    { name: 'node', skip: nodeSkip },
  ];
}

for (const backend of backends()) {
  describe.skipIf(backend.skip !== null)(`server on ${backend.name}${backend.skip ? ` (SKIPPED: ${backend.skip})` : ''}`, () => {
    let app: App | null = null;
    afterEach(async () => {
      await app?.close({ timeout: 1000 });
      app = null;
    });

    async function start(build: (a: App) => void, options: Parameters<typeof createApp>[0] = {}): Promise<string> {
      app = createApp({ backend: backend.name, ...options });
      build(app);
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      expect(app.backend).toBe(backend.name);
      expect(address).toBe(`http://127.0.0.1:${app.address()!.port}`);
      return address;
    }

    it('serves text, JSON, params and echoes bodies', async () => {
      const base = await start((a) => {
        a.get('/', () => 'Hello, World!');
        a.get('/json', () => ({ hello: 'world' }));
        a.get('/user/:id', (req) => ({ id: req.params.id }));
        a.post('/echo', (req, reply) =>
          reply
            .type(String(req.headers['content-type']))
            .send(typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? JSON.stringify(req.body) : req.body),
        );
      });
      const text = await fetch(base + '/');
      expect(text.status).toBe(200);
      expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(text.headers.get('content-length')).toBe('13');
      expect(text.headers.get('date')).toBeTruthy();
      expect(await text.text()).toBe('Hello, World!');
      expect(await (await fetch(base + '/json')).json()).toEqual({ hello: 'world' });
      expect(await (await fetch(base + '/user/123')).json()).toEqual({ id: '123' });
      const echo = await fetch(base + '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":[1,2]}' });
      expect(await echo.json()).toEqual({ a: [1, 2] });
      const textEcho = await fetch(base + '/echo', { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'x'.repeat(1024) });
      expect(await textEcho.text()).toBe('x'.repeat(1024));
      expect((await fetch(base + '/nope')).status).toBe(404);
    });

    it('keeps connections alive across requests (Connection left to the transport)', async () => {
      const base = await start((a) => {
        a.get('/', () => 'ok');
      });
      const port = Number(new URL(base).port);
      const two = 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n';
      const data = await rawRequest(port, two, (s) => s.split('HTTP/1.1 200').length === 3 && s.endsWith('ok'));
      expect(data.split('HTTP/1.1 200 OK').length - 1).toBe(2);
      expect(data.toLowerCase()).not.toContain('connection: close');
    });

    it('HEAD gets the GET headers with Content-Length and no body', async () => {
      const base = await start((a) => {
        a.get('/json', () => ({ hello: 'world' }));
      });
      const port = Number(new URL(base).port);
      const data = await rawRequest(port, 'HEAD /json HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n', (s) =>
        s.endsWith('{"hello":"world"}'),
      );
      const [head, get] = data.split(/(?=HTTP\/1\.1 )/);
      expect(head).toMatch(/^HTTP\/1\.1 200/);
      expect(head!.toLowerCase()).toContain('content-length: 17');
      expect(head!.toLowerCase()).toContain('content-type: application/json; charset=utf-8');
      expect(head!.endsWith('\r\n\r\n')).toBe(true);
      expect(get).toMatch(/\{"hello":"world"\}$/);
    });

    it('answers errors as JSON and keeps serving', async () => {
      const base = await start((a) => {
        a.get('/boom', () => {
          throw new Error('boom');
        });
        a.get('/ok', () => 'ok');
      });
      const res = await fetch(base + '/boom');
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'boom' });
      expect(await (await fetch(base + '/ok')).text()).toBe('ok');
    });

    it("applies route body limits below the transport's, and raises the transport's for larger routes", async () => {
      const base = await start(
        (a) => {
          a.post('/small', { bodyLimit: 100 }, (req) => ({ len: (req.body as string).length }));
          a.post('/large', { bodyLimit: 3 * 1024 * 1024, body: 'buffer' }, (req) => ({ len: (req.body as Buffer).length }));
        },
        { bodyLimit: 1024 * 1024 },
      );
      const small = await fetch(base + '/small', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(101) });
      expect(small.status).toBe(413);
      expect(await small.json()).toMatchObject({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
      const large = await fetch(base + '/large', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(2 * 1024 * 1024),
      });
      expect(large.status).toBe(200);
      expect(await large.json()).toEqual({ len: 2 * 1024 * 1024 });
    });

    it('a chunked body over the limit answers 413 (from the route or the transport) and the server keeps serving', async () => {
      const seen: number[] = [];
      const base = await start(
        (a) => {
          a.post('/', { body: 'buffer' }, (req) => ({ len: (req.body as Buffer).length }));
          a.get('/ok', () => 'ok');
          a.addHook('onResponse', async (req, reply) => {
            seen.push(reply.statusCode);
          });
        },
        { bodyLimit: 1024 },
      );
      const port = Number(new URL(base).port);
      const chunk = 'x'.repeat(600);
      const req = `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n${(600).toString(16)}\r\n${chunk}\r\n${(600).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
      const data = await rawRequest(port, req, (s) => /\r\n\r\n\{.*\}$/s.test(s));
      expect(data).toMatch(/^HTTP\/1\.1 413/);
      expect(data).toMatch(/"code":"RS_ERR_(HTTP_)?BODY_TOO_LARGE"/);
      expect(await (await fetch(base + '/ok')).text()).toBe('ok');
      await new Promise((r) => setTimeout(r, 50));
      expect(seen[0]).toBe(413);
    });

    it("streams responses (chunked) and uploads ({ body: 'stream' })", async () => {
      const base = await start((a) => {
        a.get('/stream', (req, reply) =>
          reply.type('text/plain').send(
            Readable.from(
              (function* () {
                for (let i = 0; i < 200; i++) yield 'chunk-' + i + '\n';
              })(),
            ),
          ),
        );
        a.post('/upload', { body: 'stream', bodyLimit: 16 * 1024 * 1024 }, async (req) => {
          let bytes = 0;
          for await (const c of req.body as Readable) bytes += (c as Buffer).length;
          return { bytes };
        });
      });
      const res = await fetch(base + '/stream');
      const text = await res.text();
      expect(text.split('\n').filter(Boolean)).toHaveLength(200);
      const size = 8 * 1024 * 1024;
      const up = await fetch(base + '/upload', { method: 'POST', body: Buffer.alloc(size, 1) });
      expect(await up.json()).toEqual({ bytes: size });
    });

    it('sends large streamed responses with back-pressure', async () => {
      const size = 16 * 1024 * 1024;
      const base = await start((a) => {
        a.get('/big', (req, reply) => {
          let sent = 0;
          reply.send(
            new Readable({
              read() {
                if (sent >= size) {
                  this.push(null);
                  return;
                }
                sent += 65536;
                this.push(Buffer.alloc(65536, 7));
              },
            }),
          );
        });
      });
      const buf = Buffer.from(await (await fetch(base + '/big')).arrayBuffer());
      expect(buf.length).toBe(size);
    });

    it('closes gracefully: the in-flight request finishes, then onClose hooks run', async () => {
      const order: string[] = [];
      let entered!: () => void;
      const inHandler = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const base = await start((a) => {
        a.get('/slow', async () => {
          entered();
          await new Promise((r) => setTimeout(r, 150));
          order.push('handler done');
          return 'slow';
        });
        a.addHook('onClose', async () => {
          order.push('onClose');
        });
      });
      const pending = fetch(base + '/slow').then((r) => r.text());
      await inHandler; // in flight: close() must let it finish
      const closing = app!.close();
      expect(await pending).toBe('slow');
      await closing;
      app = null;
      expect(order).toEqual(['handler done', 'onClose']);
    });
  });
}
