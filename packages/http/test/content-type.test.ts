/**
 * Content handling as in fastify: 415 for bodies without a parser, JSON
 * prototype poisoning (secure-json-parse, onProtoPoisoning /
 * onConstructorPoisoning), web Response and typed arrays as payloads.
 * Real-socket checks per backend at the end.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { describeAppBackends, useApps } from './app-backends.js';

const UNSUPPORTED = { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', error: 'Unsupported Media Type', message: 'Unsupported Media Type' };

function echo(options?: Parameters<typeof createApp>[0]): ReturnType<typeof createApp> {
  const app = createApp(options);
  app.post('/', (req) => ({ body: req.body as unknown, proto: req.body != null && Object.getPrototypeOf(req.body) === Object.prototype }));
  return app;
}

describe('unsupported media types', () => {
  it('answers 415 for a type without a parser, a malformed type, or a body without Content-Type', async () => {
    const app = echo();
    let handled = 0;
    app.addHook('preHandler', async () => {
      handled++;
    });
    for (const ct of ['application/xml', 'text/html; charset=utf-8', 'nonsense', 'application/json garbage', '/json', undefined]) {
      const res = await app.inject({ method: 'POST', url: '/', headers: ct === undefined ? {} : { 'content-type': ct }, payload: 'x' });
      expect(res.statusCode, String(ct)).toBe(415);
      expect(res.json()).toEqual(UNSUPPORTED);
    }
    expect(handled).toBe(0);
  });

  it('does not answer 415 without a body, or with a catch-all parser', async () => {
    const app = echo();
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/xml' } })).statusCode).toBe(200);
    const any = createApp();
    any.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => done(null, `any:${String(body)}`));
    any.post('/', (req) => req.body);
    expect((await any.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })).body).toBe('any:<a/>');
  });

  it('passes the 415 to the error handler with its code', async () => {
    const app = echo();
    app.setErrorHandler((err, req, reply) => reply.code(400).send({ seen: (err as { code?: string }).code }));
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'image/png' }, payload: 'x' })).json()).toEqual({
      seen: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    });
  });
});

describe('JSON prototype poisoning (secure-json-parse)', () => {
  const proto = '{"a":1,"__proto__":{"admin":true}}';
  const ctor = '{"a":1,"constructor":{"prototype":{"admin":true}}}';
  const post = (app: ReturnType<typeof createApp>, payload: string) =>
    app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });

  it("refuses both by default with 400 (onProtoPoisoning / onConstructorPoisoning 'error')", async () => {
    const app = echo();
    for (const payload of [proto, ctor]) {
      const res = await post(app, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        statusCode: 400,
        code: 'FST_ERR_CTP_INVALID_JSON_BODY',
        error: 'Bad Request',
        message: "Body is not valid JSON but content-type is set to 'application/json'",
      });
    }
  });

  it("'remove' drops the key; 'ignore' keeps it as an own property (never on the prototype)", async () => {
    const removing = echo({ onProtoPoisoning: 'remove', onConstructorPoisoning: 'remove' });
    expect((await post(removing, proto)).json()).toEqual({ body: { a: 1 }, proto: true });
    expect((await post(removing, ctor)).json()).toEqual({ body: { a: 1 }, proto: true });
    const ignoring = createApp({ onProtoPoisoning: 'ignore' });
    ignoring.post('/', (req) => ({ own: Object.hasOwn(req.body as object, '__proto__'), polluted: ({} as { admin?: boolean }).admin === true }));
    expect((await post(ignoring, proto)).json()).toEqual({ own: true, polluted: false });
    expect(() => createApp({ onProtoPoisoning: 'warn' as never })).toThrow(/onProtoPoisoning/);
  });

  it('leaves harmless "constructor" keys alone', async () => {
    expect((await post(echo(), '{"constructor":"fine"}')).json()).toEqual({ body: { constructor: 'fine' }, proto: true });
  });

  it('applies to plugin scopes too (their parsers are copies)', async () => {
    const app = createApp({ onProtoPoisoning: 'remove' });
    app.register(async (child) => {
      child.post('/', (req) => req.body);
    });
    expect((await post(app, proto)).json()).toEqual({ a: 1 });
  });
});

describe('payloads fastify sends as bytes or as a Response', () => {
  it('sends any typed array or DataView as its bytes (octet-stream)', async () => {
    const app = createApp();
    app.get('/u16', () => new Uint16Array([0x0201, 0x0403]));
    app.get('/f32', () => new Float32Array([1]));
    app.get('/view', () => new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2));
    app.get('/typed', (req, reply) => reply.type('image/x-test').send(new Int8Array([-1])));
    const u16 = await app.inject('/u16');
    expect(u16.headers['content-type']).toBe('application/octet-stream');
    expect([...u16.rawPayload]).toEqual([1, 2, 3, 4]);
    expect([...(await app.inject('/f32')).rawPayload]).toEqual([0, 0, 0x80, 0x3f]);
    expect([...(await app.inject('/view')).rawPayload]).toEqual([8, 7]);
    const typed = await app.inject('/typed');
    expect(typed.headers['content-type']).toBe('image/x-test');
    expect([...typed.rawPayload]).toEqual([255]);
  });

  it('sends a web Response: its status, headers and body stream', async () => {
    const app = createApp();
    app.get('/', () => new Response('made by fetch', { status: 201, headers: { 'x-from': 'response', 'content-type': 'text/x-fetch' } }));
    app.get('/json', () => Response.json({ a: 1 }, { status: 202 }));
    app.get('/empty', () => new Response(null, { status: 204 }));
    app.get(
      '/stream',
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('a'));
              c.enqueue(new TextEncoder().encode('b'));
              c.close();
            },
          }),
        ),
    );
    app.get('/used', async () => {
      const r = new Response('x');
      await r.text();
      return r;
    });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-from']).toBe('response');
    expect(res.headers['content-type']).toBe('text/x-fetch');
    expect(res.body).toBe('made by fetch');
    const json = await app.inject('/json');
    expect(json.statusCode).toBe(202);
    expect(json.json()).toEqual({ a: 1 });
    expect((await app.inject('/empty')).statusCode).toBe(204);
    expect((await app.inject('/stream')).body).toBe('ab');
    const used = await app.inject('/used');
    expect(used.statusCode).toBe(500);
    expect(used.json().code).toBe('FST_ERR_REP_RESPONSE_BODY_CONSUMED');
  });
});

describeAppBackends('content handling over a socket', (backend) => {
  const start = useApps();

  it('answers 415 for a body of an unsupported type', async () => {
    const port = await start(backend, (app) => app.post('/', () => 'handled'));
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual(UNSUPPORTED);
    const ok = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{}}' });
    expect(ok.status).toBe(400);
  });

  it('sends a web Response with its status, headers and streamed body', async () => {
    const port = await start(backend, (app) =>
      app.get('/', () => new Response(new Blob(['x'.repeat(100_000)]).stream(), { status: 203, headers: { 'x-a': 'b' } })),
    );
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(203);
    expect(res.headers.get('x-a')).toBe('b');
    expect((await res.text()).length).toBe(100_000);
  });
});
