/**
 * @fastify/rate-limit 11: it limits. The (max+1)th request in the window is
 * answered 429 with fastify's body and the x-ratelimit-* / retry-after
 * headers; per-route limits via config.rateLimit (onRoute), allowList, a
 * key from a header, global: false with app.rateLimit() as a hook.
 */
import { expect, it } from 'vitest';
import rateLimit from '@fastify/rate-limit';
import { describeCompat, pick, useSideBySide, type Answer, type Build, type Call, type Server } from './helpers.js';

const HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'content-type'];
/** Seconds left in the window: each app's window opened a few ms apart, so a second boundary may fall between them. */
const SECONDS = new Set(['x-ratelimit-reset', 'ratelimit-reset', 'retry-after']);

/** expectSame, with the seconds-left headers allowed to differ by one. */
async function expectSame(pair: { fastify: Server; ringside: Server }, c: Call, headers: string[]): Promise<Answer> {
  const expected = await pair.fastify.call(c);
  const actual = await pair.ringside.call(c);
  const exact = headers.filter((h) => !SECONDS.has(h));
  expect(pick(actual, exact), `${c.method ?? 'GET'} ${c.url}`).toEqual(pick(expected, exact));
  for (const h of headers.filter((n) => SECONDS.has(n))) {
    expect(actual.headers[h] === undefined, h).toBe(expected.headers[h] === undefined);
    if (actual.headers[h] !== undefined) expect(Math.abs(Number(actual.headers[h]) - Number(expected.headers[h])), h).toBeLessThanOrEqual(1);
  }
  return actual;
}

const global: Build = async (app) => {
  await app.register(rateLimit, { max: 3, timeWindow: 60_000, allowList: (req: any) => req.headers['x-vip'] === '1' });
  app.get('/', () => ({ ok: true }));
  app.get('/strict', { config: { rateLimit: { max: 1, timeWindow: '1 minute' } } }, () => 'strict');
  app.get('/free', { config: { rateLimit: false } }, () => 'free');
};

const byKey: Build = async (app) => {
  await app.register(rateLimit, { global: false, keyGenerator: (req: any) => req.headers['x-api-key'] ?? req.ip });
  app.get('/keyed', { onRequest: app.rateLimit({ max: 1, timeWindow: 60_000 }) }, () => 'keyed');
  app.get('/unlimited', () => 'unlimited');
};

const DRAFT = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'content-type'];

const custom =
  (seen: string[]): Build =>
  async (app) => {
    await app.register(rateLimit, {
      max: 1,
      timeWindow: 60_000,
      ban: 1,
      hook: 'preHandler',
      enableDraftSpec: true,
      onExceeding: () => {
        seen.push('exceeding');
      },
      onExceeded: () => {
        seen.push('exceeded');
      },
      onBanReach: () => {
        seen.push('ban');
      },
      errorResponseBuilder: (_req: any, ctx: any) => ({ statusCode: ctx.statusCode, limited: true, max: ctx.max, after: ctx.after, banned: ctx.ban }),
    });
    app.post('/', (req: any) => req.body);
  };

describeCompat('@fastify/rate-limit', (via) => {
  const start = useSideBySide(via);

  it("answers 429 after the limit, with fastify's headers and body", async () => {
    const pair = await start(global);
    for (let i = 0; i < 3; i++) {
      const ok = await expectSame(pair, { url: '/' }, HEADERS);
      expect(ok.status).toBe(200);
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const limited = await expectSame(pair, { url: '/' }, HEADERS);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(JSON.parse(limited.body)).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Rate limit exceeded, retry in 1 minute' });
    expect((await expectSame(pair, { url: '/', headers: { 'x-vip': '1' } }, HEADERS)).status).toBe(200);
    expect((await expectSame(pair, { url: '/strict' }, HEADERS)).status).toBe(200);
    expect((await expectSame(pair, { url: '/strict' }, HEADERS)).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await expectSame(pair, { url: '/free' }, HEADERS)).status).toBe(200);
    expect((await expectSame(pair, { url: '/missing' }, HEADERS)).status).toBe(404);
  });

  it('draft-spec headers, a preHandler hook, a custom error body, callbacks and a ban (403)', async () => {
    const onFastify: string[] = [];
    const onRingside: string[] = [];
    let pair = await start(custom(onFastify));
    // Each side gets its own callbacks' record: build the Ringside side again with the second array.
    pair = { fastify: pair.fastify, ringside: (await start(custom(onRingside))).ringside };
    const post = { method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, body: '{"a":1}' };
    expect((await expectSame(pair, post, DRAFT)).status).toBe(200);
    const limited = await expectSame(pair, post, DRAFT);
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toEqual({ statusCode: 429, limited: true, max: 1, after: '1 minute', banned: false });
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    const banned = await expectSame(pair, post, DRAFT);
    expect(banned.status).toBe(403);
    expect(onRingside).toEqual(onFastify);
    expect(onRingside).toEqual(['exceeding', 'exceeded', 'exceeded', 'ban']);
  });

  it('global: false, a key from a header, app.rateLimit() as a route hook', async () => {
    const pair = await start(byKey);
    expect((await expectSame(pair, { url: '/keyed', headers: { 'x-api-key': 'a' } }, HEADERS)).status).toBe(200);
    expect((await expectSame(pair, { url: '/keyed', headers: { 'x-api-key': 'a' } }, HEADERS)).status).toBe(429);
    expect((await expectSame(pair, { url: '/keyed', headers: { 'x-api-key': 'b' } }, HEADERS)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await expectSame(pair, { url: '/unlimited' }, HEADERS)).status).toBe(200);
  });
});
