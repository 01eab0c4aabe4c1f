import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { createApp } from '../src/index.js';
import { kTransportRequest } from '../src/symbols.js';

function echoApp(): ReturnType<typeof createApp> {
  const app = createApp();
  app.post('/', (req) => ({
    type: Buffer.isBuffer(req.body) ? 'buffer' : typeof req.body,
    body: Buffer.isBuffer(req.body) ? req.body.toString('latin1') : req.body,
  }));
  return app;
}

describe('request body', () => {
  it('parses JSON (application/json, with charset)', async () => {
    const app = echoApp();
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"a":[1,2],"b":"ü"}' });
    expect(res.json()).toEqual({ type: 'object', body: { a: [1, 2], b: 'ü' } });
  });

  it('answers 400 FST_ERR_CTP_INVALID_JSON_BODY for invalid JSON', async () => {
    const app = echoApp();
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY', error: 'Bad Request' });
  });

  it('refuses __proto__ and constructor.prototype keys', async () => {
    const app = echoApp();
    for (const payload of ['{"__proto__":{"x":1}}', '{"a":{"constructor":{"prototype":{"x":1}}}}']) {
      const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
    }
    const ok = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"constructor":"fine"}' });
    expect(ok.json()).toEqual({ type: 'object', body: { constructor: 'fine' } });
  });

  it('answers 400 FST_ERR_CTP_EMPTY_JSON_BODY for an empty JSON body, like fastify', async () => {
    const app = echoApp();
    const res = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json', 'content-length': '0' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
  });

  it('leaves body undefined when there is none', async () => {
    const app = createApp();
    app.post('/', (req) => ({ isUndefined: req.body === undefined }));
    expect((await app.inject({ method: 'POST', url: '/' })).json()).toEqual({ isUndefined: true });
  });

  it('parses text/plain to a string; a form body needs a parser (415 without, as fastify)', async () => {
    const app = echoApp();
    const text = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, payload: 'héllo' });
    expect(text.json()).toEqual({ type: 'string', body: 'héllo' });
    const form = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'a=1' });
    expect(form.statusCode).toBe(415);
  });

  it("a parser's bodyLimit applies unless the route sets its own, as fastify", async () => {
    const app = echoApp();
    app.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 4 }, (req, body, done) => done(null, body.split(',')));
    app.post('/own', { bodyLimit: 100 }, (req) => req.body);
    const csv = { 'content-type': 'text/csv' };
    expect((await app.inject({ method: 'POST', url: '/', headers: csv, payload: 'a,b' })).json()).toEqual({ type: 'object', body: ['a', 'b'] });
    expect((await app.inject({ method: 'POST', url: '/', headers: csv, payload: 'a,b,c' })).statusCode).toBe(413);
    expect((await app.inject({ method: 'POST', url: '/own', headers: csv, payload: 'a,b,c' })).json()).toEqual(['a', 'b', 'c']);
    // A text body on the same route keeps the app's limit.
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'text/plain' }, payload: 'longer than four' })).statusCode).toBe(200);
    expect(() => createApp().addContentTypeParser('text/x', { parseAs: 'string', bodyLimit: -1 }, (req, body, done) => done(null, body))).toThrow(/bodyLimit/);
  });

  it('answers 415 FST_ERR_CTP_INVALID_MEDIA_TYPE for other or missing content types, as fastify', async () => {
    const app = echoApp();
    for (const headers of [{ 'content-type': 'application/xml' }, {}, { 'content-type': 'not a type' }]) {
      const res = await app.inject({ method: 'POST', url: '/', headers, payload: '<a/>' });
      expect(res.statusCode).toBe(415);
      expect(res.json()).toEqual({
        statusCode: 415,
        code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
        error: 'Unsupported Media Type',
        message: 'Unsupported Media Type',
      });
    }
  });

  it('gives a raw Buffer for other or missing content types to a catch-all parser', async () => {
    const app = echoApp();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body));
    const bin = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/octet-stream' }, payload: Buffer.from([0, 1, 255]) });
    expect(bin.json()).toEqual({ type: 'buffer', body: '\u0000\u0001\u00ff' });
    const none = await app.inject({ method: 'POST', url: '/', payload: 'raw' });
    expect(none.json()).toEqual({ type: 'buffer', body: 'raw' });
  });

  it('supports custom parsers: string/buffer, async or callback, RegExp types, overriding JSON', async () => {
    const app = createApp();
    app.addContentTypeParser('application/csv', { parseAs: 'string' }, async (req, body) => (body as string).split(','));
    app.addContentTypeParser(/^image\//, { parseAs: 'buffer' }, (req, body, done) => done(null, { bytes: (body as Buffer).length }));
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body) => ({ custom: body }));
    app.addContentTypeParser('application/fail', async () => {
      throw Object.assign(new Error('bad payload'), { statusCode: 422 });
    });
    expect(app.hasContentTypeParser('application/csv')).toBe(true);
    app.post('/', (req) => req.body);
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/csv' }, payload: 'a,b,c' })).json()).toEqual(['a', 'b', 'c']);
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(5) })).json()).toEqual({ bytes: 5 });
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: 'not json' })).json()).toEqual({
      custom: 'not json',
    });
    const fail = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/fail' }, payload: 'x' });
    expect(fail.statusCode).toBe(422);
    const fresh = createApp();
    fresh.addContentTypeParser('application/csv', async () => 1);
    expect(() => fresh.addContentTypeParser('application/csv', async () => 1)).toThrow(expect.objectContaining({ code: 'FST_ERR_CTP_ALREADY_PRESENT' }));
    expect(() => fresh.addContentTypeParser('x/y', { parseAs: 'json' as never }, async () => 1)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_CTP_INVALID' }),
    );
  });

  it('content-type parsers are encapsulated', async () => {
    const app = createApp();
    app.register(async (child) => {
      child.addContentTypeParser('text/csv', { parseAs: 'string' }, async (req, body) => (body as string).split(','));
      child.post('/child', (req) => req.body);
    });
    app.post('/root', (req) => ({ isBuffer: Buffer.isBuffer(req.body) }));
    expect((await app.inject({ method: 'POST', url: '/child', headers: { 'content-type': 'text/csv' }, payload: '1,2' })).json()).toEqual(['1', '2']);
    expect((await app.inject({ method: 'POST', url: '/root', headers: { 'content-type': 'text/csv' }, payload: '1,2' })).statusCode).toBe(415);
  });

  it('bodyLimit (app and route) → 413 FST_ERR_CTP_BODY_TOO_LARGE, by Content-Length before reading', async () => {
    const app = createApp({ bodyLimit: 10 });
    app.post('/app', (req) => req.body);
    app.post('/route', { bodyLimit: 3 }, (req) => req.body);
    app.post('/bigger', { bodyLimit: 100 }, (req) => req.body);
    const ok = await app.inject({ method: 'POST', url: '/app', headers: { 'content-type': 'text/plain' }, payload: '0123456789' });
    expect(ok.body).toBe('0123456789');
    const appLimit = await app.inject({ method: 'POST', url: '/app', headers: { 'content-type': 'text/plain' }, payload: '01234567890' });
    expect(appLimit.statusCode).toBe(413);
    expect(appLimit.json()).toEqual({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is too large' });
    const routeLimit = await app.inject({ method: 'POST', url: '/route', headers: { 'content-type': 'text/plain' }, payload: '1234' });
    expect(routeLimit.statusCode).toBe(413);
    const bigger = await app.inject({ method: 'POST', url: '/bigger', headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(50) });
    expect(bigger.body).toBe('x'.repeat(50));
  });

  it('bodyLimit counts streamed bytes when there is no Content-Length (chunked)', async () => {
    const app = createApp();
    let called = false;
    app.post('/', { bodyLimit: 8 }, () => {
      called = true;
      return 'no';
    });
    const res = await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'text/plain' },
      payload: Readable.from([Buffer.from('12345'), Buffer.from('67890')]),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    expect(called).toBe(false);
  });

  it("{ body: 'buffer' } gives the raw Buffer whatever the type", async () => {
    const app = createApp();
    app.post('/', { body: 'buffer' }, (req) => ({ isBuffer: Buffer.isBuffer(req.body), text: (req.body as Buffer).toString() }));
    expect((await app.inject({ method: 'POST', url: '/', payload: { a: 1 } })).json()).toEqual({ isBuffer: true, text: '{"a":1}' });
  });

  it("{ body: 'stream' } gives a Readable, with back-pressure and the limit applied", async () => {
    const app = createApp();
    app.post('/upload', { body: 'stream', bodyLimit: 1000 }, async (req) => {
      let bytes = 0;
      for await (const chunk of req.body as Readable) bytes += (chunk as Buffer).length;
      return { bytes, isStream: req.body instanceof Readable };
    });
    const parts = Array.from({ length: 10 }, () => Buffer.alloc(50, 'a'));
    const res = await app.inject({ method: 'POST', url: '/upload', payload: Readable.from(parts) });
    expect(res.json()).toEqual({ bytes: 500, isStream: true });
    const empty = await app.inject({ method: 'POST', url: '/upload' });
    expect(empty.json()).toEqual({ bytes: 0, isStream: true });
    const tooBig = await app.inject({ method: 'POST', url: '/upload', payload: Readable.from(Array.from({ length: 30 }, () => Buffer.alloc(50))) });
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json().code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
  });

  it("{ body: 'stream' } pauses the transport when the consumer is slow", async () => {
    const app = createApp();
    let pauses = 0;
    app.post('/slow', { body: 'stream' }, async (req) => {
      const raw = req[kTransportRequest];
      const pause = raw.pauseBody.bind(raw);
      raw.pauseBody = () => {
        pauses++;
        pause();
      };
      let bytes = 0;
      for await (const chunk of req.body as Readable) {
        bytes += (chunk as Buffer).length;
        await new Promise((r) => setTimeout(r, 1));
      }
      return { bytes };
    });
    const big = Array.from({ length: 8 }, () => Buffer.alloc(32 * 1024));
    const res = await app.inject({ method: 'POST', url: '/slow', payload: Readable.from(big) });
    expect(res.json()).toEqual({ bytes: 8 * 32 * 1024 });
    expect(pauses).toBeGreaterThan(0);
  });

  it('GET routes discard a body; the request still works', async () => {
    const app = createApp();
    app.get('/', (req) => ({ body: req.body ?? null }));
    expect((await app.inject({ method: 'GET', url: '/', payload: 'ignored' })).json()).toEqual({ body: null });
  });
});
