import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { createApp } from '../src/index.js';

describe('inject', () => {
  it('returns statusCode, headers, body, payload, rawPayload and json()', async () => {
    const app = createApp();
    app.get('/', (req, reply) => reply.header('x-a', 'b').send({ hello: 'world' }));
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.statusMessage).toBe('OK');
    expect(res.headers['x-a']).toBe('b');
    expect(res.headers['content-length']).toBe('17');
    expect(typeof res.headers.date).toBe('string');
    expect(res.body).toBe('{"hello":"world"}');
    expect(res.payload).toBe(res.body);
    expect(Buffer.isBuffer(res.rawPayload)).toBe(true);
    expect(res.rawPayload.toString()).toBe(res.body);
    expect(res.json()).toEqual({ hello: 'world' });
  });

  it('accepts a url string, lower-cases headers, adds host and merges query', async () => {
    const app = createApp();
    app.get('/h', (req) => ({ host: req.headers.host, custom: req.headers['x-custom'], query: { ...req.query }, ip: req.ip }));
    expect((await app.inject('/h')).json()).toEqual({ host: 'localhost:80', query: {}, ip: '127.0.0.1' });
    const res = await app.inject({ url: '/h?a=1', query: { b: '2' }, headers: { 'X-Custom': 'v' }, remoteAddress: '10.0.0.1' });
    expect(res.json()).toEqual({ host: 'localhost:80', custom: 'v', query: { a: '1', b: '2' }, ip: '10.0.0.1' });
  });

  it('sends payloads: string, Buffer, object (as JSON), stream', async () => {
    const app = createApp();
    app.post('/', { body: 'buffer' }, (req) => ({
      type: req.headers['content-type'] ?? null,
      length: req.headers['content-length'] ?? null,
      text: (req.body as Buffer | undefined)?.toString() ?? null,
    }));
    expect((await app.inject({ method: 'POST', url: '/', payload: 'str' })).json()).toEqual({ type: null, length: '3', text: 'str' });
    expect((await app.inject({ method: 'POST', url: '/', payload: Buffer.from('buf') })).json()).toEqual({ type: null, length: '3', text: 'buf' });
    expect((await app.inject({ method: 'POST', url: '/', payload: { o: 1 } })).json()).toEqual({ type: 'application/json', length: '7', text: '{"o":1}' });
    expect((await app.inject({ method: 'POST', url: '/', body: Readable.from(['s', 't']) })).json()).toEqual({ type: null, length: null, text: 'st' });
  });

  it('runs the same hooks and serialization as a socket, and loads plugins first', async () => {
    const app = createApp();
    app.register(async (s) => {
      s.addHook('onSend', async (req, reply, payload) => `[${String(payload)}]`);
      s.get('/p', () => 'plugin');
    });
    expect((await app.inject('/p')).body).toBe('[plugin]');
  });

  it('is refused after close()', async () => {
    const app = createApp();
    app.get('/', () => 'ok');
    await app.inject('/');
    await app.close();
    await expect(app.inject('/')).rejects.toMatchObject({ code: 'FST_ERR_REOPENED_CLOSE_SERVER' });
  });

  it('sees trustProxy results through X-Forwarded-*', async () => {
    const app = createApp({ trustProxy: true });
    app.get('/', (req) => ({ ip: req.ip, ips: req.ips, hostname: req.hostname, protocol: req.protocol }));
    const res = await app.inject({
      url: '/',
      headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2', 'x-forwarded-host': 'example.com:8443', 'x-forwarded-proto': 'https' },
    });
    expect(res.json()).toEqual({ ip: '1.1.1.1', ips: ['127.0.0.1', '2.2.2.2', '1.1.1.1'], hostname: 'example.com', protocol: 'https' });
    const hops = createApp({ trustProxy: 1 });
    hops.get('/', (req) => req.ip);
    expect((await hops.inject({ url: '/', headers: { 'x-forwarded-for': '1.1.1.1, 2.2.2.2' } })).body).toBe('2.2.2.2');
    const list = createApp({ trustProxy: ['127.0.0.1'] });
    list.get('/', (req) => req.ip);
    expect((await list.inject({ url: '/', headers: { 'x-forwarded-for': '3.3.3.3' } })).body).toBe('3.3.3.3');
    expect((await list.inject({ url: '/', remoteAddress: '9.9.9.9', headers: { 'x-forwarded-for': '3.3.3.3' } })).body).toBe('9.9.9.9');
    const none = createApp();
    none.get('/', (req) => req.ip);
    expect((await none.inject({ url: '/', headers: { 'x-forwarded-for': '3.3.3.3' } })).body).toBe('127.0.0.1');
  });
});
