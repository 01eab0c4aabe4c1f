/**
 * reply.hijack(): the framework stops managing the response and the app
 * writes it through reply.raw (writeHead/write/end). reply.trailer(): values
 * computed after the body, sent after the last chunk. Through inject() and
 * over real sockets on every backend.
 */
import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/index.js';
import { dechunk, describeAppBackends, rawExchange, useApps, waitFor } from './app-backends.js';

interface Seen {
  handlerAfterHookHijack: boolean;
  responses: string[];
  warnings: number;
}

function routes(app: App, seen: Seen): void {
  app.addHook('onRequest', (req, reply, done) => {
    if (req.url === '/hook-hijack') {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
      reply.raw.end('from a hook');
    }
    done();
  });
  app.addHook('onResponse', async (req, reply) => {
    seen.responses.push(`${req.url} ${reply.statusCode}`);
  });
  app.get('/hook-hijack', () => {
    seen.handlerAfterHookHijack = true;
    return 'never';
  });
  app.get('/hijack', async (req, reply) => {
    reply.hijack();
    reply.raw.setHeader('x-set', 'before');
    reply.raw.writeHead(202, 'Accepted', { 'content-type': 'text/plain', 'x-head': 'writeHead' });
    reply.raw.write('one,');
    await new Promise((r) => setTimeout(r, 5));
    reply.raw.write(Buffer.from('two,'));
    reply.raw.end('three');
    return 'ignored: the reply was hijacked';
  });
  app.get('/hijack-throws', async (req, reply) => {
    reply.hijack();
    setTimeout(() => reply.raw.end('answered later'), 5);
    throw new Error('after hijack');
  });
  app.get('/trailer', (req, reply) => {
    reply.trailer('x-digest', (r, payload, done) => done(null, `len=${String(payload).length}`));
    reply.trailer('x-async', async () => 'late');
    reply.trailer('x-removed', async () => 'no');
    reply.removeTrailer('x-removed');
    return 'hello trailers';
  });
  app.get('/bad-trailer', (req, reply) => {
    try {
      reply.trailer('content-length', async () => '1');
    } catch (e) {
      return (e as { code: string }).code;
    }
    return 'accepted';
  });
}

const fresh = (): Seen => ({ handlerAfterHookHijack: false, responses: [], warnings: 0 });

describe('reply.hijack() and reply.trailer() through inject()', () => {
  it('lets the app write the response through reply.raw', async () => {
    const seen = fresh();
    const app = createApp();
    routes(app, seen);
    const res = await app.inject('/hijack');
    expect(res.statusCode).toBe(202);
    expect(res.headers).toMatchObject({ 'x-set': 'before', 'x-head': 'writeHead', 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    expect(res.body).toBe('one,two,three');
    const hook = await app.inject('/hook-hijack');
    expect(hook.body).toBe('from a hook');
    expect(seen.handlerAfterHookHijack).toBe(false);
    const late = await app.inject('/hijack-throws');
    expect(late.body).toBe('answered later');
    await waitFor(() => seen.responses.length === 3);
    expect(seen.responses.sort()).toEqual(['/hijack 202', '/hijack-throws 200', '/hook-hijack 200']);
    await app.close();
  });

  it('sends trailers after a chunked body', async () => {
    const app = createApp();
    routes(app, fresh());
    const res = await app.inject('/trailer');
    expect(res.body).toBe('hello trailers');
    expect(res.headers.trailer).toBe('x-digest, x-async');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.trailers).toEqual({ 'x-digest': 'len=14', 'x-async': 'late' });
    expect((await app.inject('/bad-trailer')).body).toBe('FST_ERR_BAD_TRAILER_NAME');
    await app.close();
  });
});

describeAppBackends('reply.hijack() and reply.trailer() over sockets', (backend) => {
  const start = useApps();

  it('lets the app write the response through reply.raw, and keeps the connection', async () => {
    const seen = fresh();
    const port = await start(backend, (app) => routes(app, seen));
    const two = 'GET /hijack HTTP/1.1\r\nHost: x\r\n\r\nGET /hook-hijack HTTP/1.1\r\nHost: x\r\n\r\n';
    const data = await rawExchange(port, two, (s) => s.endsWith('from a hook'));
    const [first, second] = data.split(/(?=HTTP\/1\.1 )/);
    const hijacked = dechunk(first!);
    expect(hijacked.head).toMatch(/^HTTP\/1\.1 202 /);
    expect(hijacked.head.toLowerCase()).toContain('x-set: before');
    expect(hijacked.head.toLowerCase()).toContain('x-head: writehead');
    expect(hijacked.body).toBe('one,two,three');
    expect(second).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\nfrom a hook$/);
    expect(seen.handlerAfterHookHijack).toBe(false);
    expect(await (await fetch(`http://127.0.0.1:${port}/hijack-throws`)).text()).toBe('answered later');
    await waitFor(() => seen.responses.length === 3, 5000, 'onResponse');
  });

  it('sends trailers after the last chunk', async () => {
    const port = await start(backend, (app) => routes(app, fresh()));
    const data = await rawExchange(port, 'GET /trailer HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.includes('\r\n0\r\n') && s.endsWith('\r\n\r\n'));
    const { head, body, trailers } = dechunk(data);
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked');
    expect(head.toLowerCase()).toContain('trailer: x-digest, x-async');
    expect(head.toLowerCase()).not.toContain('content-length');
    expect(body).toBe('hello trailers');
    expect(trailers.toLowerCase()).toBe('x-digest: len=14\r\nx-async: late\r\n\r\n');
  });
});
