/**
 * fastify rules the streaming plugins (@fastify/static, @fastify/compress,
 * @fastify/multipart) rely on, stated once here beside their compat tests:
 * a preParsing hook may hand back a paused stream, and that stream's errors
 * are the app's to answer (400 by default, never a hang); an error's own
 * `headers` reach the default error answer; an empty answer carries
 * Content-Length: 0 on every backend; a stream gets no default content
 * type; inject() resolves dot segments in the URL as light-my-request does.
 */
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createApp, type App } from '../src/index.js';
import { describeAppBackends, useApps } from './app-backends.js';

function routes(app: App): void {
  // A gunzip the hook pauses before handing it back, as @fastify/compress does.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    if (req.headers['content-encoding'] !== 'gzip') return done(null, payload);
    const gunzip = zlib.createGunzip();
    gunzip.pause();
    (payload as Readable).pipe(gunzip);
    done(null, gunzip);
  });
  app.post('/echo', (req) => ({ got: req.body }));
  app.post(
    '/teapot',
    {
      preParsing: (_req, _reply, payload, done) => {
        const failing = new Transform({
          transform(_c, _e, cb) {
            cb(Object.assign(new Error('no tea'), { statusCode: 418 }));
          },
        });
        (payload as Readable).pipe(failing);
        done(null, failing);
      },
    },
    () => 'unreachable',
  );
  app.get('/range', (_req, reply) => {
    reply.send(Object.assign(new Error('Range Not Satisfiable'), { statusCode: 416, headers: { 'content-range': 'bytes */19' } }));
  });
  app.get('/empty', (_req, reply) => {
    reply.header('location', '/there').code(301).send();
  });
  app.get('/stream', (_req, reply) => reply.send(Readable.from(['ab', 'c'])));
}

describe('stream plugin rules (inject)', () => {
  it('a paused stream from preParsing is read; its errors answer 400, or their own status', async () => {
    const app = createApp();
    routes(app);
    const ok = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: zlib.gzipSync('{"a":1}'),
    });
    expect(ok.json()).toEqual({ got: { a: 1 } });
    const bad = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: 'not gzip',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/header/i);
    expect((await app.inject({ method: 'POST', url: '/teapot', headers: { 'content-type': 'text/plain' }, payload: 'x' })).statusCode).toBe(418);
  });

  it("an error's headers reach the default error answer", async () => {
    const app = createApp();
    routes(app);
    const res = await app.inject('/range');
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */19');
  });

  it('a stream has no default content type', async () => {
    const app = createApp();
    routes(app);
    const res = await app.inject('/stream');
    expect(res.body).toBe('abc');
    expect(res.headers['content-type']).toBeUndefined();
  });

  it('inject() resolves dot segments as light-my-request', async () => {
    const app = createApp();
    app.get('/a/:x', (req) => ({ url: req.url, x: (req.params as { x: string }).x }));
    expect((await app.inject('/a/b/../c')).json()).toEqual({ url: '/a/c', x: 'c' });
    expect((await app.inject('/a/%2e%2e/a/d?q=1')).json()).toEqual({ url: '/a/d?q=1', x: 'd' });
  });
});

describeAppBackends('stream plugin rules', (backend) => {
  const start = useApps();

  it('an empty answer says Content-Length: 0; a failing decompressor answers 400 and the connection serves on', async () => {
    const port = await start(backend, routes);
    const base = `http://127.0.0.1:${port}`;
    const empty = await request(`${base}/empty`);
    expect(empty.statusCode).toBe(301);
    expect(empty.headers['content-length']).toBe('0');
    await empty.body.text();
    // 256 KiB of bytes that are not gzip: the hook's stream fails early, the rest of the body is dropped.
    const bad = await request(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: Buffer.alloc(256 * 1024, 65),
    });
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
    const ok = await request(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: zlib.gzipSync('{"b":2}'),
    });
    expect(await ok.body.json()).toEqual({ got: { b: 2 } });
  });
});
