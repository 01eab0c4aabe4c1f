/**
 * @fastify/jwt 10: app.jwt.sign/verify/decode, reply.jwtSign,
 * request.jwtVerify with fastify's 401 answers (no header, bad token,
 * expired), a cookie-borne token with @fastify/cookie, formatUser.
 */
import { expect, it } from 'vitest';
import jwt from '@fastify/jwt';
import cookie from '@fastify/cookie';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const SECRET = 'a-shared-secret-for-the-compat-test';

const build: Build = async (app) => {
  await app.register(jwt, { secret: SECRET, sign: { expiresIn: '1h' }, formatUser: (u: any) => ({ name: u.sub }) });
  app.post('/login', async (req: any, reply: any) => ({ token: await reply.jwtSign({ sub: req.body.user }) }));
  app.get(
    '/me',
    {
      onRequest: async (req: any) => {
        await req.jwtVerify();
      },
    },
    (req: any) => ({ user: req.user }),
  );
  app.get('/decode', function (this: any, req: any) {
    return this.jwt.decode(String(req.query.t));
  });
};

const withCookie: Build = async (app) => {
  await app.register(cookie);
  await app.register(jwt, { secret: SECRET, cookie: { cookieName: 'token', signed: false } });
  app.get('/login', async (_req: any, reply: any) => {
    const token = await reply.jwtSign({ sub: 'cookie-user' });
    reply.setCookie('token', token, { path: '/' }).send({ ok: true });
  });
  app.get('/me', async (req: any) => {
    await req.jwtVerify();
    return { sub: req.user.sub };
  });
};

const HEADERS = ['content-type', 'www-authenticate'];

describeCompat('@fastify/jwt', (via) => {
  const start = useSideBySide(via);

  it('signs, verifies and refuses tokens as on fastify', async () => {
    const pair = await start(build);
    const login = await pair.ringside.call({ method: 'POST', url: '/login', headers: { 'content-type': 'application/json' }, body: '{"user":"ann"}' });
    expect(login.status).toBe(200);
    const { token } = JSON.parse(login.body);
    // A Ringside-signed token is valid on fastify (same secret) and the reverse.
    const fastifyToken = JSON.parse(
      (await pair.fastify.call({ method: 'POST', url: '/login', headers: { 'content-type': 'application/json' }, body: '{"user":"ann"}' })).body,
    ).token;
    expect(pair.fastify.app.jwt.verify(token).sub).toBe('ann');
    for (const t of [token, fastifyToken]) {
      const me = await expectSame(pair, { url: '/me', headers: { authorization: `Bearer ${t}` } }, HEADERS);
      expect(JSON.parse(me.body)).toEqual({ user: { name: 'ann' } });
    }
    const decoded = JSON.parse((await expectSame(pair, { url: `/decode?t=${token}` }, HEADERS, { body: false })).body);
    expect(decoded.exp - decoded.iat).toBe(3600);
    const none = await expectSame(pair, { url: '/me' }, HEADERS);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).code).toBe('FST_JWT_NO_AUTHORIZATION_IN_HEADER');
    expect((await expectSame(pair, { url: '/me', headers: { authorization: 'Bearer not.a.token' } }, HEADERS)).status).toBe(401);
    const forged = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(JSON.parse((await expectSame(pair, { url: '/me', headers: { authorization: `Bearer ${forged}` } }, HEADERS)).body).code).toBe(
      'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
    );
    const expired = pair.fastify.app.jwt.sign({ sub: 'old' }, { expiresIn: -10 });
    expect(JSON.parse((await expectSame(pair, { url: '/me', headers: { authorization: `Bearer ${expired}` } }, HEADERS)).body).code).toBe(
      'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED',
    );
  });

  it('a token in a cookie (with @fastify/cookie)', async () => {
    const pair = await start(withCookie);
    const login = await pair.ringside.call({ url: '/login' });
    const token = String((login.headers['set-cookie'] as string | string[]).toString())
      .split(';')[0]!
      .slice('token='.length);
    const me = await expectSame(pair, { url: '/me', headers: { cookie: `token=${token}` } }, HEADERS);
    expect(JSON.parse(me.body)).toEqual({ sub: 'cookie-user' });
    expect((await expectSame(pair, { url: '/me' }, HEADERS)).status).toBe(401);
  });
});
