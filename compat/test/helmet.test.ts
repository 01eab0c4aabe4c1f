/**
 * @fastify/helmet 13: helmet's headers (written through reply.raw.setHeader
 * in a callback-style onRequest hook that returns a promise), per-route
 * options through onRoute, `helmet: false`, CSP nonces and reply.helmet().
 */
import { expect, it } from 'vitest';
import helmet from '@fastify/helmet';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-powered-by',
  'content-type',
];

const build: Build = async (app) => {
  await app.register(helmet);
  app.get('/', () => ({ safe: true }));
  app.get('/framed', { helmet: { frameguard: { action: 'deny' }, contentSecurityPolicy: false } }, () => 'framed');
  app.get('/off', { helmet: false }, () => 'off');
};

const manual: Build = async (app) => {
  await app.register(helmet, { global: false, enableCSPNonces: true });
  app.get('/plain', () => 'plain');
  app.get('/manual', (_req: any, reply: any) => {
    reply.helmet({ frameguard: false });
    return 'manual';
  });
  app.get('/nonce', { helmet: { enableCSPNonces: true } }, (_req: any, reply: any) => reply.cspNonce);
};

describeCompat('@fastify/helmet', (via) => {
  const start = useSideBySide(via);

  it('sets the same headers as on fastify, per route too', async () => {
    const pair = await start(build);
    const res = await expectSame(pair, { url: '/' }, HEADERS);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await expectSame(pair, { url: '/framed' }, HEADERS)).headers['x-frame-options']).toBe('DENY');
    expect((await expectSame(pair, { url: '/off' }, HEADERS)).headers['x-frame-options']).toBeUndefined();
    await expectSame(pair, { url: '/missing' }, HEADERS);
  });

  it('global: false with reply.helmet(), and CSP nonces', async () => {
    const pair = await start(manual);
    expect((await expectSame(pair, { url: '/plain' }, HEADERS)).headers['x-frame-options']).toBeUndefined();
    const m = await expectSame(pair, { url: '/manual' }, HEADERS);
    expect(m.headers['x-content-type-options']).toBe('nosniff');
    const nonce = await pair.ringside.call({ url: '/nonce' });
    const { script, style } = JSON.parse(nonce.body);
    expect(script).toMatch(/^[0-9a-f]{32}$/);
    expect(nonce.headers['content-security-policy']).toContain(`'nonce-${script}'`);
    expect(nonce.headers['content-security-policy']).toContain(`'nonce-${style}'`);
  });
});
