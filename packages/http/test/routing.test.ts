import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';

describe('routing', () => {
  it('matches static routes, params and wildcards', async () => {
    const app = createApp();
    app.get('/', () => 'root');
    app.get('/user/:id', (req) => ({ id: req.params.id }));
    app.get('/user/:id/post/:postId', (req) => req.params);
    app.get('/files/*', (req) => ({ rest: req.params['*'] }));
    app.get('/a/:x(^\\d+)', (req) => ({ num: req.params.x }));

    expect((await app.inject('/')).body).toBe('root');
    expect((await app.inject('/user/42')).json()).toEqual({ id: '42' });
    expect((await app.inject('/user/7/post/99')).json()).toEqual({ id: '7', postId: '99' });
    expect((await app.inject('/files/a/b/c.txt')).json()).toEqual({ rest: 'a/b/c.txt' });
    expect((await app.inject('/a/123')).json()).toEqual({ num: '123' });
    expect((await app.inject('/a/abc')).statusCode).toBe(404);
  });

  it('decodes percent-encoded params', async () => {
    const app = createApp();
    app.get('/name/:n', (req) => ({ n: req.params.n }));
    expect((await app.inject('/name/J%C3%BCrgen%20X')).json()).toEqual({ n: 'Jürgen X' });
  });

  it('parses the query string (lazily), and gives path and url', async () => {
    const app = createApp();
    app.get('/search', (req) => ({ query: { ...req.query }, path: req.path, url: req.url }));
    app.get('/noquery', (req) => ({ query: req.query }));
    const res = await app.inject('/search?q=ring&tag=a&tag=b&empty=');
    expect(res.json()).toEqual({ query: { q: 'ring', tag: ['a', 'b'], empty: '' }, path: '/search', url: '/search?q=ring&tag=a&tag=b&empty=' });
    expect((await app.inject('/noquery')).json()).toEqual({ query: {} });
    expect((await app.inject({ url: '/search', query: { a: '1', b: ['x', 'y'] } })).json().query).toEqual({ a: '1', b: ['x', 'y'] });
  });

  it('uses a custom querystringParser', async () => {
    const app = createApp({ querystringParser: (qs) => ({ raw: qs }) });
    app.get('/', (req) => req.query);
    expect((await app.inject('/?a=1&b=2')).json()).toEqual({ raw: 'a=1&b=2' });
  });

  it("answers 404 with fastify's body, for unknown paths and wrong methods", async () => {
    const app = createApp();
    app.get('/only-get', () => 'ok');
    const res = await app.inject('/x');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('{"message":"Route GET:/x not found","error":"Not Found","statusCode":404}');
    const wrong = await app.inject({ method: 'POST', url: '/only-get' });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.json()).toEqual({ message: 'Route POST:/only-get not found', error: 'Not Found', statusCode: 404 });
  });

  it('answers 400 for a malformed percent-encoding', async () => {
    const app = createApp();
    app.get('/p/:x', () => 'ok');
    const res = await app.inject('/p/%zz');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, code: 'FST_ERR_BAD_URL' });
  });

  it('adds a HEAD route for every GET route: same headers, no body', async () => {
    const app = createApp();
    app.get('/text', () => 'Hello, World!');
    app.get('/json', () => ({ hello: 'world' }));
    const get = await app.inject('/json');
    const head = await app.inject({ method: 'HEAD', url: '/json' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.body)));
    const headText = await app.inject({ method: 'HEAD', url: '/text' });
    expect(headText.headers['content-length']).toBe('13');
    expect(headText.body).toBe('');
  });

  it('keeps an explicit HEAD route, and exposeHeadRoutes: false turns the automatic ones off', async () => {
    const app = createApp();
    app.get('/a', () => 'get');
    app.head('/a', (req, reply) => {
      reply.header('x-head', 'explicit').send();
    });
    const res = await app.inject({ method: 'HEAD', url: '/a' });
    expect(res.headers['x-head']).toBe('explicit');

    const off = createApp({ exposeHeadRoutes: false });
    off.get('/a', () => 'get');
    off.get('/b', { exposeHeadRoute: true }, () => 'get');
    expect((await off.inject({ method: 'HEAD', url: '/a' })).statusCode).toBe(404);
    expect((await off.inject({ method: 'HEAD', url: '/b' })).statusCode).toBe(200);
  });

  it('ignoreTrailingSlash, ignoreDuplicateSlashes and caseSensitive are passed to find-my-way', async () => {
    const strict = createApp();
    strict.get('/foo', () => 'foo');
    expect((await strict.inject('/foo/')).statusCode).toBe(404);
    expect((await strict.inject('/FOO')).statusCode).toBe(404);

    const loose = createApp({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false });
    loose.get('/foo', () => 'foo');
    expect((await loose.inject('/foo/')).body).toBe('foo');
    expect((await loose.inject('//foo')).body).toBe('foo');
    expect((await loose.inject('/FOO')).body).toBe('foo');
  });

  it('maxParamLength: longer params do not match', async () => {
    const app = createApp({ maxParamLength: 5 });
    app.get('/p/:x', (req) => req.params.x);
    expect((await app.inject('/p/12345')).body).toBe('12345');
    expect((await app.inject('/p/123456')).statusCode).toBe(404);
  });

  it('route() with several methods, all(), and the method shorthands', async () => {
    const app = createApp();
    app.route({ method: ['GET', 'POST'], url: '/multi', handler: (req) => req.method });
    app.all('/any', (req) => req.method);
    app.put('/put', () => 'put');
    app.patch('/patch', () => 'patch');
    app.delete('/del', () => 'del');
    app.options('/opt', () => 'opt');
    app.post('/post', { bodyLimit: 10 }, () => 'post');
    expect((await app.inject('/multi')).body).toBe('GET');
    expect((await app.inject({ method: 'POST', url: '/multi' })).body).toBe('POST');
    for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'SEARCH']) {
      expect((await app.inject({ method: m, url: '/any' })).body).toBe(m);
    }
    expect((await app.inject({ method: 'PUT', url: '/put' })).body).toBe('put');
    expect((await app.inject({ method: 'PATCH', url: '/patch' })).body).toBe('patch');
    expect((await app.inject({ method: 'DELETE', url: '/del' })).body).toBe('del');
    expect((await app.inject({ method: 'OPTIONS', url: '/opt' })).body).toBe('opt');
    expect((await app.inject({ method: 'POST', url: '/post' })).body).toBe('post');
  });

  it('passes version and host constraints through', async () => {
    const app = createApp();
    app.get('/v', { constraints: { version: '1.2.0' } }, () => 'v1');
    app.get('/v', { constraints: { version: '2.0.0' } }, () => 'v2');
    app.get('/h', { constraints: { host: 'example.com' } }, () => 'example');
    app.get('/h', () => 'any host');
    expect((await app.inject({ url: '/v', headers: { 'accept-version': '1.x' } })).body).toBe('v1');
    expect((await app.inject({ url: '/v', headers: { 'accept-version': '2.0.0' } })).body).toBe('v2');
    expect((await app.inject({ url: '/h', headers: { host: 'example.com' } })).body).toBe('example');
    expect((await app.inject({ url: '/h', headers: { host: 'other.org' } })).body).toBe('any host');
  });

  it('exposes routeOptions, routerPath and is404', async () => {
    const app = createApp();
    app.get('/r/:id', { config: { name: 'r' }, bodyLimit: 100 }, (req) => ({ ...req.routeOptions, routerPath: req.routerPath, is404: req.is404 }));
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ is404: req.is404 }));
    expect((await app.inject('/r/1')).json()).toEqual({
      method: 'GET',
      url: '/r/:id',
      bodyLimit: 100,
      body: 'none',
      config: { name: 'r' },
      routerPath: '/r/:id',
      is404: false,
    });
    expect((await app.inject('/zzz')).json()).toEqual({ is404: true });
  });

  it('refuses duplicate routes and invalid definitions with coded errors', () => {
    const app = createApp();
    app.get('/dup', () => 'a');
    expect(() => app.get('/dup', () => 'b')).toThrow(expect.objectContaining({ code: 'FST_ERR_DUPLICATED_ROUTE' }));
    expect(() => app.route({ method: 'FETCH', url: '/x', handler: () => 'x' })).toThrow(
      expect.objectContaining({ code: 'FST_ERR_ROUTE_METHOD_NOT_SUPPORTED' }),
    );
    expect(() => app.get('no-slash', () => 'x')).toThrow(expect.objectContaining({ code: 'RS_ERR_ROUTE_INVALID' }));
    expect(() => app.get('/x', 'nope' as never)).toThrow(expect.objectContaining({ code: 'RS_ERR_ROUTE_INVALID' }));
    expect(() => app.route({ method: 'GET', url: '/y', handler: () => 'y', schemas: {} } as never)).toThrow(/unknown route option "schemas"/);
    expect(() => app.get('/z', { bodyLimit: -1 }, () => 'z')).toThrow(/"bodyLimit" must be a positive integer/);
  });

  it('refuses routes once the app is ready', async () => {
    const app = createApp();
    await app.ready();
    expect(() => app.get('/late', () => 'x')).toThrow(expect.objectContaining({ code: 'FST_ERR_INSTANCE_ALREADY_LISTENING' }));
  });

  it('binds handlers to their scope and types params via generics', async () => {
    const app = createApp();
    app.decorate('greeting', 'hi');
    app.get<{ Params: { name: string } }>('/hello/:name', function (req) {
      const name: string = req.params.name;
      return `${(this as unknown as { greeting: string }).greeting} ${name}`;
    });
    expect((await app.inject('/hello/bob')).body).toBe('hi bob');
  });
});
