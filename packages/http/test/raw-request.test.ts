/**
 * request.raw: node's IncomingMessage shape, built on first use; the body as
 * a Readable with back-pressure; 'close'/'aborted' when the client leaves.
 * Through inject() and over real sockets on every backend.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/index.js';
import type { Request } from '../src/request.js';
import { kNodeRequest, kNodeResponse } from '../src/symbols.js';
import { describeAppBackends, rawExchange, useApps, waitFor } from './app-backends.js';

/** Collect a Readable into a Buffer. */
async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** Routes shared by the inject and socket tests. */
function routes(app: App): void {
  // As in fastify: a parser without parseAs gets the body as a stream and reads it itself.
  app.addContentTypeParser('application/x-stream', (req, payload, done) => {
    collect(payload).then((buf) => done(null, { streamed: buf.length }), done);
  });
  // multipart-style: the parser leaves the body unread; the handler reads request.raw.
  app.addContentTypeParser('application/x-later', (req, payload, done) => done(null));
  app.post('/parsed', (req) => req.body);
  app.post('/later', async (req) => {
    const sha = createHash('sha256');
    await pipeline(req.raw, sha);
    return { sha: sha.digest('hex'), complete: req.raw.complete };
  });
  app.post('/after-json', async (req) => ({ body: req.body, rest: (await collect(req.raw)).length, complete: req.raw.complete }));
  app.get('/shape', (req) => {
    const raw = req.raw;
    return {
      method: raw.method,
      url: raw.url,
      httpVersion: raw.httpVersion,
      major: raw.httpVersionMajor,
      minor: raw.httpVersionMinor,
      sameHeaders: raw.headers === req.headers,
      rawHeaders: raw.rawHeaders,
      complete: raw.complete,
      remoteAddress: raw.socket.remoteAddress,
      remotePort: raw.socket.remotePort,
      remoteFamily: raw.socket.remoteFamily,
      localPort: raw.socket.localPort,
      encrypted: raw.socket.encrypted,
      sameSocket: raw.connection === raw.socket && req.socket === raw.socket,
      readable: typeof raw.pipe === 'function' && typeof raw.on === 'function',
    };
  });
  app.get('/untouched', (req, reply) => ({ request: (req as Request)[kNodeRequest] === null, reply: reply[kNodeResponse] === null }));
}

describe('request.raw through inject()', () => {
  it('has the IncomingMessage fields', async () => {
    const app = createApp();
    routes(app);
    const res = await app.inject({ url: '/shape?a=1', headers: { 'x-two': ['a', 'b'] } });
    const shape = res.json();
    expect(shape).toMatchObject({
      method: 'GET',
      url: '/shape?a=1',
      httpVersion: '1.1',
      major: 1,
      minor: 1,
      sameHeaders: true,
      complete: true,
      remoteAddress: '127.0.0.1',
      remoteFamily: 'IPv4',
      encrypted: false,
      sameSocket: true,
      readable: true,
    });
    expect(shape.rawHeaders).toEqual(expect.arrayContaining(['x-two', 'a', 'x-two', 'b', 'host', 'localhost:80']));
    await app.close();
  });

  it('is not built for a route that never reads it', async () => {
    const app = createApp();
    routes(app);
    app.addHook('onSend', async () => undefined);
    app.addHook('onResponse', async () => undefined);
    expect((await app.inject('/untouched')).json()).toEqual({ request: true, reply: true });
    await app.close();
  });

  it('gives a parser without parseAs the body as a stream', async () => {
    const app = createApp();
    routes(app);
    const body = Buffer.alloc(200_000, 7);
    const res = await app.inject({ method: 'POST', url: '/parsed', headers: { 'content-type': 'application/x-stream' }, payload: body });
    expect(res.json()).toEqual({ streamed: 200_000 });
    await app.close();
  });

  it('streams the body to a handler when the parser left it unread', async () => {
    const app = createApp();
    routes(app);
    const body = Buffer.alloc(100_000, 'abc');
    const res = await app.inject({ method: 'POST', url: '/later', headers: { 'content-type': 'application/x-later' }, payload: body });
    expect(res.json()).toEqual({ sha: createHash('sha256').update(body).digest('hex'), complete: true });
    await app.close();
  });

  it('leaves the body to a hook that reads request.raw first', async () => {
    const app = createApp();
    let seen = '';
    app.addHook('onRequest', async (req) => {
      if (req.url !== '/taken') return;
      req.raw.on('data', (c: Buffer) => {
        seen += c.toString();
      });
      await new Promise((r) => req.raw.once('end', r));
    });
    app.post('/taken', (req) => ({ body: req.body ?? null }));
    const res = await app.inject({ method: 'POST', url: '/taken', payload: { a: 1 } });
    expect(res.json()).toEqual({ body: null });
    expect(seen).toBe('{"a":1}');
    await app.close();
  });

  it('is empty and complete once the framework has parsed the body', async () => {
    const app = createApp();
    routes(app);
    const res = await app.inject({ method: 'POST', url: '/after-json', payload: { a: 1 } });
    expect(res.json()).toEqual({ body: { a: 1 }, rest: 0, complete: true });
    await app.close();
  });
});

describeAppBackends('request.raw over sockets', (backend) => {
  const start = useApps();

  it('has the IncomingMessage fields, the peer and the local address', async () => {
    const port = await start(backend, routes);
    const shape = (await (await fetch(`http://127.0.0.1:${port}/shape`)).json()) as Record<string, unknown>;
    expect(shape).toMatchObject({
      method: 'GET',
      url: '/shape',
      httpVersion: '1.1',
      major: 1,
      minor: 1,
      sameHeaders: true,
      complete: true,
      remoteFamily: 'IPv4',
      localPort: port,
      encrypted: false,
      sameSocket: true,
      readable: true,
    });
    expect(shape.remoteAddress).toMatch(/127\.0\.0\.1$/);
    expect(shape.remotePort).toBeGreaterThan(0);
    const http10 = await rawExchange(port, 'GET /shape HTTP/1.0\r\n\r\n', (s) => s.endsWith('}'));
    expect(http10).toContain('"httpVersion":"1.0"');
    expect(http10).toContain('"minor":0');
  });

  it('is not built for a route that never reads it', async () => {
    const port = await start(backend, (app) => {
      routes(app);
      app.addHook('onResponse', async () => undefined);
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/untouched`)).json()).toEqual({ request: true, reply: true });
  });

  it('streams a body through request.raw.pipe() in a parser and in a handler', async () => {
    const port = await start(backend, routes, { bodyLimit: 8 * 1024 * 1024 });
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const parsed = await fetch(`http://127.0.0.1:${port}/parsed`, { method: 'POST', headers: { 'content-type': 'application/x-stream' }, body });
    expect(await parsed.json()).toEqual({ streamed: body.length });
    const later = await fetch(`http://127.0.0.1:${port}/later`, { method: 'POST', headers: { 'content-type': 'application/x-later' }, body });
    expect(await later.json()).toEqual({ sha: createHash('sha256').update(body).digest('hex'), complete: true });
    const json = await fetch(`http://127.0.0.1:${port}/after-json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await json.json()).toEqual({ body: { a: 1 }, rest: 0, complete: true });
  });

  it('pauses the transport while request.raw is not read (bounded memory)', async () => {
    const total = 48 * 1024 * 1024;
    let raw: Request['raw'] | null = null;
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const port = await start(
      backend,
      (app) => {
        app.addContentTypeParser('application/octet-stream', (req, payload, done) => done(null));
        app.post('/slow', async (req) => {
          raw = req.raw;
          raw.once('readable', () => {}); // start the flow, then leave it unread
          await released;
          let n = 0;
          await pipeline(
            req.raw,
            new Writable({
              write(c: Buffer, _e, cb) {
                n += c.length;
                cb();
              },
            }),
          );
          return { n };
        });
      },
      { bodyLimit: 64 * 1024 * 1024 },
    );
    const client = net.connect(port, '127.0.0.1');
    let answer = '';
    client.setEncoding('latin1');
    client.on('data', (d: string) => {
      answer += d;
    });
    client.write(`POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`);
    const chunk = Buffer.alloc(1024 * 1024, 1);
    for (let i = 0; i < total / chunk.length; i++) client.write(chunk);
    try {
      // The client cannot write everything: the server stopped reading.
      await waitFor(() => raw !== null && client.writableLength > 8 * 1024 * 1024, 10_000, 'the client to be blocked');
      await new Promise((r) => setTimeout(r, 100));
      // What the server holds in JS for this body stays near the stream's high-water mark.
      expect(raw!.readableLength).toBeLessThan(2 * 1024 * 1024);
      release();
      await waitFor(() => answer.includes(`{"n":${total}}`), 20_000, 'the whole body to be read');
    } finally {
      client.destroy();
    }
  });

  it("emits 'aborted' and 'close' when the client leaves before the answer", async () => {
    const events: string[] = [];
    let seen = false;
    const port = await start(backend, (app) => {
      app.get('/hang', (req, reply) => {
        seen = true;
        req.raw.on('aborted', () => events.push('req aborted'));
        req.raw.on('close', () => events.push(`req close aborted=${req.raw.aborted}`));
        req.raw.socket.on('close', () => events.push('socket close'));
        reply.raw.on('finish', () => events.push('res finish'));
        reply.raw.on('close', () => events.push('res close'));
        return new Promise(() => {}); // never answers
      });
    });
    const client = net.connect(port, '127.0.0.1');
    client.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => seen, 5000, 'the request');
    client.resetAndDestroy(); // a FIN alone is a half-close: the transport still answers it
    await waitFor(() => events.includes('req close aborted=true') && events.includes('res close'), 5000, `the close events (got ${events.join(', ')})`);
    expect(events).toContain('req aborted');
    expect(events).toContain('socket close');
    expect(events).not.toContain('res finish');
  });

  it("emits 'close' (not aborted) once the response is sent", async () => {
    const events: string[] = [];
    const port = await start(backend, (app) => {
      app.get('/ok', (req) => {
        req.raw.on('close', () => events.push(`close aborted=${req.raw.aborted}`));
        return 'ok';
      });
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/ok`)).text()).toBe('ok');
    await waitFor(() => events.length > 0, 5000, "'close'");
    expect(events).toEqual(['close aborted=false']);
  });
});
