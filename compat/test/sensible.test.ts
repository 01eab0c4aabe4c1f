/**
 * @fastify/sensible 6: reply.notFound() & co., app.httpErrors, app.assert,
 * reply.vary / cacheControl / preventCache, request.is() and
 * request.forwarded (which read request.raw), app.to().
 */
import { expect, it } from 'vitest';
import sensible from '@fastify/sensible';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const build: Build = async (app) => {
  await app.register(sensible);
  app.get('/not-found', (_req: any, reply: any) => {
    reply.notFound();
  });
  app.get('/teapot', (_req: any, reply: any) => {
    reply.imateapot('short and stout');
  });
  app.get('/thrown', async function (this: any) {
    throw this.httpErrors.conflict('taken');
  });
  app.get('/assert', function (this: any, req: any) {
    this.assert.equal(req.query.a, 'ok', 400, 'a must be ok');
    return { a: 'ok' };
  });
  app.get('/cache', (_req: any, reply: any) => {
    reply.vary('Accept');
    reply.vary('Origin');
    reply.cacheControl('public').cacheControl('max-age', 60).send({ cached: true });
  });
  app.get('/no-cache', (_req: any, reply: any) => {
    reply.preventCache();
    return 'fresh';
  });
  app.post('/is', (req: any) => ({ json: req.is(['json']), html: req.is('html') }));
  app.get('/forwarded', (req: any) => ({ forwarded: req.forwarded() }));
  app.get('/to', async function (this: any) {
    const [err, value] = await this.to(Promise.resolve(42));
    return { err, value };
  });
  app.get('/http-error/:code', (req: any, reply: any) => {
    reply.getHttpError(Number(req.params.code), 'custom');
  });
};

const HEADERS = ['content-type', 'vary', 'cache-control', 'pragma', 'expires', 'surrogate-control'];

// sharedSchemaId: the plugin adds fastify's error schema (addSchema) for routes to $ref.
const shared: Build = async (app) => {
  await app.register(sensible, { sharedSchemaId: 'HttpError' });
  app.get('/gone', { schema: { response: { 410: { $ref: 'HttpError' } } } }, (_req: any, reply: any) => {
    reply.gone('moved away');
  });
};

describeCompat('@fastify/sensible', (via) => {
  const start = useSideBySide(via);

  it('answers the same as fastify', async () => {
    const pair = await start(build);
    expect(JSON.parse((await expectSame(pair, { url: '/not-found' }, HEADERS)).body)).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect((await expectSame(pair, { url: '/teapot' }, HEADERS)).status).toBe(418);
    expect((await expectSame(pair, { url: '/thrown' }, HEADERS)).status).toBe(409);
    expect((await expectSame(pair, { url: '/assert?a=no' }, HEADERS)).status).toBe(400);
    await expectSame(pair, { url: '/assert?a=ok' }, HEADERS);
    const cache = await expectSame(pair, { url: '/cache' }, HEADERS);
    expect(cache.status).toBe(200);
    expect(cache.headers.vary).toBe('Accept, Origin');
    expect(cache.headers['cache-control']).toBe('public, max-age=60');
    await expectSame(pair, { url: '/no-cache' }, HEADERS);
    const is = await expectSame(pair, { method: 'POST', url: '/is', headers: { 'content-type': 'application/json' }, body: '{}' }, HEADERS);
    expect(JSON.parse(is.body)).toEqual({ json: 'json', html: false });
    const fwd = await expectSame(pair, { url: '/forwarded', headers: { 'x-forwarded-for': '10.0.0.1, 10.0.0.2' } }, HEADERS, { body: false });
    expect(JSON.parse(fwd.body).forwarded.slice(1)).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(JSON.parse((await expectSame(pair, { url: '/to' }, HEADERS)).body)).toEqual({ err: null, value: 42 });
    expect((await expectSame(pair, { url: '/http-error/503' }, HEADERS)).status).toBe(503);
  });

  it('sharedSchemaId: error answers through the shared schema', async () => {
    const pair = await start(shared);
    const gone = await expectSame(pair, { url: '/gone' }, HEADERS);
    expect(JSON.parse(gone.body)).toEqual({ statusCode: 410, error: 'Gone', message: 'moved away' });
    expect(pair.ringside.app.getSchema('HttpError')).toBeDefined();
  });
});
