/**
 * @fastify/cors 11: simple requests, preflight (OPTIONS routes it adds,
 * with the schema option), an origin list, credentials, exposed headers, the
 * origin-function form, and a route that turns CORS off.
 */
import { expect, it } from 'vitest';
import cors from '@fastify/cors';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
  'vary',
  'content-type',
];

const defaults: Build = async (app) => {
  await app.register(cors);
  app.get('/', () => ({ hello: 'world' }));
  app.post('/items', (req: any) => req.body);
};

const configured: Build = async (app) => {
  await app.register(cors, {
    origin: ['https://a.example', /\.b\.example$/],
    credentials: true,
    exposedHeaders: ['x-total'],
    methods: ['GET', 'PUT'],
    maxAge: 600,
  });
  app.get('/', (_req: any, reply: any) => {
    reply.header('x-total', '3');
    return [1, 2, 3];
  });
  app.put('/', () => 'put');
  app.get('/open', { config: { cors: false } }, () => 'no cors');
};

const delegated: Build = async (app) => {
  await app.register(cors, {
    delegator: (req: any, cb: (err: Error | null, opts: object) => void) => {
      cb(null, { origin: req.headers['x-allow'] === 'yes' });
    },
  });
  app.get('/', () => 'ok');
};

describeCompat('@fastify/cors', (via) => {
  const start = useSideBySide(via);

  it('default options: any origin, preflight answered 204', async () => {
    const pair = await start(defaults);
    const simple = await expectSame(pair, { url: '/', headers: { origin: 'https://x.example' } }, HEADERS);
    expect(simple.headers['access-control-allow-origin']).toBe('*');
    const pre = await expectSame(
      pair,
      {
        method: 'OPTIONS',
        url: '/items',
        headers: { origin: 'https://x.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' },
      },
      HEADERS,
    );
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-methods']).toBe('GET,HEAD,POST');
    await expectSame(
      pair,
      { method: 'POST', url: '/items', headers: { origin: 'https://x.example', 'content-type': 'application/json' }, body: '{"a":1}' },
      HEADERS,
    );
  });

  it('an origin list, credentials, exposed headers, max age, a route without CORS', async () => {
    const pair = await start(configured);
    const allowed = await expectSame(pair, { url: '/', headers: { origin: 'https://a.example' } }, HEADERS);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://a.example');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect((await expectSame(pair, { url: '/', headers: { origin: 'https://c.b.example' } }, HEADERS)).headers['access-control-allow-origin']).toBe(
      'https://c.b.example',
    );
    expect((await expectSame(pair, { url: '/', headers: { origin: 'https://evil.example' } }, HEADERS)).headers['access-control-allow-origin']).toBeUndefined();
    const pre = await expectSame(
      pair,
      { method: 'OPTIONS', url: '/', headers: { origin: 'https://a.example', 'access-control-request-method': 'PUT' } },
      HEADERS,
    );
    expect(pre.headers['access-control-max-age']).toBe('600');
    expect(
      (await expectSame(pair, { url: '/open', headers: { origin: 'https://a.example' } }, HEADERS)).headers['access-control-allow-origin'],
    ).toBeUndefined();
  });

  it('a preflight without Origin or method is refused (400), strictPreflight', async () => {
    const pair = await start(defaults);
    expect((await expectSame(pair, { method: 'OPTIONS', url: '/items', headers: { 'access-control-request-method': 'POST' } }, HEADERS)).status).toBe(400);
    expect((await expectSame(pair, { method: 'OPTIONS', url: '/items', headers: { origin: 'https://x.example' } }, HEADERS)).status).toBe(400);
  });

  it('options decided per request by a delegator', async () => {
    const pair = await start(delegated);
    expect(
      (await expectSame(pair, { url: '/', headers: { origin: 'https://x.example', 'x-allow': 'yes' } }, HEADERS)).headers['access-control-allow-origin'],
    ).toBe('https://x.example');
    expect((await expectSame(pair, { url: '/', headers: { origin: 'https://x.example' } }, HEADERS)).headers['access-control-allow-origin']).toBeUndefined();
  });
});
