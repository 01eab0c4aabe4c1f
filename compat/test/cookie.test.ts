/**
 * @fastify/cookie 11: request.cookies parsed in onRequest, reply.setCookie
 * (several, with options), signed cookies and unsignCookie, clearCookie,
 * and the Set-Cookie lines written in onSend.
 */
import { expect, it } from 'vitest';
import cookie from '@fastify/cookie';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const build: Build = async (app) => {
  await app.register(cookie, { secret: 'a secret with enough length', parseOptions: {} });
  app.get('/read', (req: any) => ({ cookies: req.cookies }));
  app.get('/set', (_req: any, reply: any) => {
    reply
      .setCookie('session', 'abc', { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 3600 })
      .setCookie('theme', 'dark mode', { path: '/', secure: true })
      .setCookie('signed', 'v1', { signed: true, path: '/' })
      .send({ set: 3 });
  });
  app.get('/unsign', (req: any, reply: any) => ({ result: reply.unsignCookie(req.cookies.signed ?? '') }));
  app.get('/clear', (_req: any, reply: any) => {
    reply.clearCookie('session', { path: '/' });
    return 'cleared';
  });
  app.get('/header-too', (_req: any, reply: any) => {
    reply.header('set-cookie', 'manual=1').setCookie('plugin', '2');
    return 'both';
  });
};

const HEADERS = ['set-cookie', 'content-type'];

// The parsing hook moved to preParsing, reply.cookie (alias), app.parseCookie / signCookie / unsignCookie.
const options: Build = async (app) => {
  await app.register(cookie, { secret: ['new secret key', 'old secret key'], hook: 'preParsing' });
  app.post('/echo', (req: any, reply: any) => {
    reply.cookie('seen', String(Object.keys(req.cookies).length));
    return { cookies: req.cookies, body: req.body };
  });
  app.get('/tools', function (this: any) {
    const signed = this.signCookie('value');
    return { parsed: this.parseCookie('x=1; y=two'), signed, unsigned: this.unsignCookie(signed) };
  });
};

describeCompat('@fastify/cookie', (via) => {
  const start = useSideBySide(via);

  it('parses, sets, signs and clears cookies as on fastify', async () => {
    const pair = await start(build);
    const read = await expectSame(pair, { url: '/read', headers: { cookie: 'a=1; b=hello%20world' } }, HEADERS);
    expect(JSON.parse(read.body)).toEqual({ cookies: { a: '1', b: 'hello world' } });
    const set = await expectSame(pair, { url: '/set' }, HEADERS);
    const lines = set.headers['set-cookie'] as string[];
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('session=abc; Max-Age=3600; Path=/; HttpOnly; SameSite=Lax');
    const signed = lines[2]!.split(';')[0]!.split('=').slice(1).join('=');
    const unsign = await expectSame(pair, { url: '/unsign', headers: { cookie: `signed=${signed}` } }, HEADERS);
    expect(JSON.parse(unsign.body).result).toEqual({ valid: true, renew: false, value: 'v1' });
    expect(JSON.parse((await expectSame(pair, { url: '/unsign', headers: { cookie: 'signed=v1.forged' } }, HEADERS)).body).result.valid).toBe(false);
    expect((await expectSame(pair, { url: '/clear' }, HEADERS)).headers['set-cookie']).toMatch(/^session=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect((await expectSame(pair, { url: '/header-too' }, HEADERS)).headers['set-cookie']).toEqual(['manual=1', 'plugin=2; SameSite=Lax']);
  });

  it('hook: preParsing, reply.cookie, app.parseCookie / signCookie / unsignCookie with rotated secrets', async () => {
    const pair = await start(options);
    const echo = await expectSame(
      pair,
      { method: 'POST', url: '/echo', headers: { cookie: 'a=1', 'content-type': 'application/json' }, body: '{"b":2}' },
      HEADERS,
    );
    expect(JSON.parse(echo.body)).toEqual({ cookies: { a: '1' }, body: { b: 2 } });
    const tools = JSON.parse((await expectSame(pair, { url: '/tools' }, HEADERS)).body);
    expect(tools.parsed).toEqual({ x: '1', y: 'two' });
    expect(tools.unsigned).toEqual({ valid: true, renew: false, value: 'value' });
  });
});
