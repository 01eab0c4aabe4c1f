/**
 * fastify's instance, request and reply API beyond routes and hooks:
 * introspection (version, initialConfig, errorHandler, addresses,
 * supportedMethods, findRoute, constraint strategies), decorators by Symbol
 * and getDecorator, setGenReqId and request ids, route logLevel and
 * prefixTrailingSlash, reply.callNotFound/server/elapsedTime, fastify's
 * request log lines, inject()'s chain and cookies, and fastify's server options.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/index.js';

function capture(): { stream: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { stream, lines };
}

describe('instance introspection', () => {
  it("version, initialConfig (frozen, resolved), supportedMethods, addresses() and listen()'s address", async () => {
    const app = createApp({ bodyLimit: 1000, pluginTimeout: 500, requestIdHeader: 'X-Request-Id', connectionTimeout: 2000 });
    expect(app.version).toMatch(/^5\./);
    expect(app.initialConfig).toMatchObject({
      bodyLimit: 1000,
      pluginTimeout: 500,
      requestIdHeader: 'x-request-id',
      requestIdLogLabel: 'reqId',
      connectionTimeout: 2000,
      requestTimeout: 2000,
      http2: false,
      https: false,
      return503OnClosing: true,
    });
    expect(Object.isFrozen(app.initialConfig)).toBe(true);
    expect(app.supportedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'PROPFIND', 'QUERY']));
    expect(app.addresses()).toEqual([]);
    app.get('/', () => 'x');
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(app.addresses()).toEqual([app.address()]);
      expect(address).toBe(`http://127.0.0.1:${app.address()!.port}`);
      expect(app.listeningOrigin).toBe(address);
    } finally {
      await app.close();
    }
  });

  it('findRoute returns { handler, params, searchParams } or null; hasConstraintStrategy/addConstraintStrategy', async () => {
    const app = createApp();
    const handler = () => 'u';
    app.get('/user/:id', handler);
    app.addConstraintStrategy({
      name: 'tenant',
      storage() {
        const m = new Map<unknown, unknown>();
        return {
          get: (k) => m.get(k),
          set: (k, v) => {
            m.set(k, v);
          },
        };
      },
      deriveConstraint: (req) => (req.headers as Record<string, string>)['x-tenant'],
    });
    expect(app.hasConstraintStrategy('tenant')).toBe(true);
    expect(app.hasConstraintStrategy('nope')).toBe(false);
    app.get('/t', { constraints: { tenant: 'a' } }, () => 'tenant a');
    await app.ready();
    const found = app.findRoute({ method: 'GET', url: '/user/7?x=1' });
    expect(found).toMatchObject({ params: { id: '7' }, searchParams: { x: '1' } });
    expect(found!.handler).toBe(handler);
    expect(app.findRoute({ method: 'POST', url: '/user/7' })).toBeNull();
    expect((await app.inject({ url: '/t', headers: { 'x-tenant': 'a' } })).body).toBe('tenant a');
    expect((await app.inject({ url: '/t', headers: { 'x-tenant': 'b' } })).statusCode).toBe(404);
  });

  it("errorHandler is the scope's handler, and the default one can be called from a custom handler", async () => {
    const app = createApp();
    const defaultHandler = app.errorHandler;
    app.setErrorHandler(function (err, req, reply) {
      if ((err as { statusCode?: number }).statusCode === 418) return reply.code(200).send('custom');
      return defaultHandler.call(this, err, req, reply);
    });
    expect(app.errorHandler).not.toBe(defaultHandler);
    app.get('/tea', () => {
      throw Object.assign(new Error('teapot'), { statusCode: 418 });
    });
    app.get('/boom', () => {
      throw Object.assign(new Error('boom'), { code: 'E_BOOM' });
    });
    expect((await app.inject('/tea')).body).toBe('custom');
    const boom = await app.inject('/boom');
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ statusCode: 500, code: 'E_BOOM', error: 'Internal Server Error', message: 'boom' });
  });
});

describe('decorators', () => {
  it('Symbol-named decorators on the app, request and reply; getDecorator binds functions', async () => {
    const kUser = Symbol('user');
    const kCount = Symbol('count');
    const app = createApp();
    app.decorate(kCount, 3);
    app.decorate('twice', function (this: App & { [kCount]: number }) {
      return this[kCount] * 2;
    });
    app.decorateRequest(kUser, null);
    app.decorateReply(kUser, 'reply-user');
    app.addHook('onRequest', async (req) => {
      (req as unknown as Record<symbol, unknown>)[kUser] = 'alice';
    });
    app.get('/', (req, reply) => ({
      req: (req as unknown as Record<symbol, unknown>)[kUser],
      reply: (reply as unknown as Record<symbol, unknown>)[kUser],
    }));
    expect(app.hasDecorator(kCount)).toBe(true);
    expect(app.hasRequestDecorator(kUser)).toBe(true);
    expect(() => app.decorateReply(kUser, 'again')).toThrow(
      expect.objectContaining({ code: 'FST_ERR_DEC_ALREADY_PRESENT', message: expect.stringContaining('Symbol(user)') }),
    );
    const twice = app.getDecorator<() => number>('twice');
    expect(twice()).toBe(6);
    expect(() => app.getDecorator('missing')).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_UNDECLARED' }));
    expect(() => app.decorate('needsDb', 1, ['db'])).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_MISSING_DEPENDENCY' }));
    expect((await app.inject('/')).json()).toEqual({ req: 'alice', reply: 'reply-user' });
    expect(() => app.decorate('late', 1)).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_AFTER_START' }));
  });

  it('request.getDecorator/setDecorator and reply.getDecorator', async () => {
    const app = createApp();
    app.decorateRequest('user', null);
    app.decorateRequest('whoami', function (this: { user: string }) {
      return this.user;
    });
    app.decorateReply('tag', 'r');
    app.get('/', (req, reply) => {
      req.setDecorator('user', 'bob');
      const whoami = req.getDecorator<() => string>('whoami');
      let undeclared: unknown;
      try {
        req.setDecorator('nope', 1);
      } catch (e) {
        undeclared = (e as { code: string }).code;
      }
      return { user: req.getDecorator('user'), whoami: whoami(), tag: reply.getDecorator('tag'), undeclared };
    });
    expect((await app.inject('/')).json()).toEqual({ user: 'bob', whoami: 'bob', tag: 'r', undeclared: 'FST_ERR_DEC_UNDECLARED' });
  });
});

describe('routes', () => {
  it('prefixTrailingSlash: both (default), slash, no-slash', async () => {
    const app = createApp();
    app.register(
      async (s) => {
        s.get('/', () => 'both');
      },
      { prefix: '/both' },
    );
    app.register(
      async (s) => {
        s.get('/', { prefixTrailingSlash: 'slash' }, () => 'slash');
      },
      { prefix: '/slash' },
    );
    app.register(
      async (s) => {
        s.get('/', { prefixTrailingSlash: 'no-slash' }, () => 'no-slash');
      },
      { prefix: '/noslash' },
    );
    const status = async (url: string) => (await app.inject(url)).statusCode;
    expect([await status('/both'), await status('/both/')]).toEqual([200, 200]);
    expect([await status('/slash'), await status('/slash/')]).toEqual([404, 200]);
    expect([await status('/noslash'), await status('/noslash/')]).toEqual([200, 404]);
  });

  it("reply.callNotFound() answers with the scope's not-found handler (and its preHandler hooks); reply.server and elapsedTime", async () => {
    const app = createApp();
    app.register(
      async (api) => {
        api.setNotFoundHandler(
          {
            preHandler: async (_req, reply) => {
              reply.header('x-nf-hook', '1');
            },
          },
          (req, reply) => reply.code(404).send({ api404: req.url }),
        );
        api.get('/maybe', (_req, reply) => reply.callNotFound());
        api.get('/who', async (_req, reply) => {
          await new Promise((r) => setTimeout(r, 5));
          return { sameScope: reply.server === api, elapsed: reply.elapsedTime };
        });
      },
      { prefix: '/api' },
    );
    const res = await app.inject('/api/maybe');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ api404: '/api/maybe' });
    expect(res.headers['x-nf-hook']).toBe('1');
    const who = (await app.inject('/api/who')).json() as { sameScope: boolean; elapsed: number };
    expect(who.sameScope).toBe(true);
    expect(who.elapsed).toBeGreaterThan(0);
  });
});

describe('request ids and log lines', () => {
  it('logs fastify\'s "incoming request" and "request completed" lines with reqId; requestIdHeader and requestIdLogLabel', async () => {
    const { stream, lines } = capture();
    const app = createApp({ loggerInstance: pino(stream), requestIdHeader: 'x-request-id', requestIdLogLabel: 'rid' });
    app.get('/', () => 'x');
    await app.inject({ url: '/', headers: { 'x-request-id': 'abc' } });
    await app.inject('/');
    const incoming = lines.filter((l) => l.msg === 'incoming request');
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(incoming[0]).toMatchObject({ rid: 'abc', req: { method: 'GET', url: '/', remoteAddress: '127.0.0.1' } });
    expect(completed[0]).toMatchObject({ rid: 'abc', res: { statusCode: 200 } });
    expect(typeof completed[0]!.responseTime).toBe('number');
    expect(incoming[1]!.rid).toMatch(/^req-/);
  });

  it("disableRequestLogging (true or per request) drops the two lines, not the handler's own", async () => {
    const { stream, lines } = capture();
    const app = createApp({ loggerInstance: pino(stream), disableRequestLogging: (req: { url: string }) => req.url === '/quiet' });
    app.get('/quiet', (req) => {
      req.log.info('inside');
      return 'q';
    });
    app.get('/loud', () => 'l');
    await app.inject('/quiet');
    await app.inject('/loud');
    expect(lines.filter((l) => l.msg === 'incoming request').map((l) => (l.req as { url: string }).url)).toEqual(['/loud']);
    expect(lines.some((l) => l.msg === 'inside')).toBe(true);
  });

  it("route logLevel (and register(p, { logLevel })) sets the request logger's level", async () => {
    const { stream, lines } = capture();
    const app = createApp({ loggerInstance: pino(stream) });
    app.get('/warn-only', { logLevel: 'warn' }, (req) => {
      req.log.info('hidden');
      req.log.warn('shown');
      return 'x';
    });
    app.register(
      async (s) => {
        s.get('/p', (req) => {
          req.log.info('hidden too');
          return 'p';
        });
      },
      { logLevel: 'error' },
    );
    await app.inject('/warn-only');
    await app.inject('/p');
    const msgs = lines.map((l) => l.msg);
    expect(msgs).toContain('shown');
    expect(msgs).not.toContain('hidden');
    expect(msgs).not.toContain('hidden too');
  });

  it("setGenReqId sets the ids of a scope's requests", async () => {
    const app = createApp();
    app.register(async (s) => {
      let n = 0;
      s.setGenReqId(() => `child-${++n}`);
      s.get('/child', (req) => req.id);
    });
    app.get('/root', (req) => req.id);
    expect((await app.inject('/child')).body).toBe('child-1');
    expect((await app.inject('/root')).body).toMatch(/^req-\d+$/);
  });
});

describe('inject()', () => {
  it('chain API: inject().post(url).headers().payload().query().cookies().end(), or awaited directly', async () => {
    const app = createApp();
    app.post('/echo', (req) => ({ body: req.body, query: req.query, h: req.headers['x-a'], cookie: req.headers.cookie }));
    const res = await app.inject().post('/echo').headers({ 'x-a': '1' }).payload({ n: 1 }).query({ q: 'z' }).cookies({ s: 'a b' }).end();
    expect(res.json()).toEqual({ body: { n: 1 }, query: { q: 'z' }, h: '1', cookie: 's=a%20b' });
    const awaited = await app.inject().get('/nope');
    expect(awaited.statusCode).toBe(404);
  });

  it('the cookies option joins an existing Cookie header', async () => {
    const app = createApp();
    app.get('/', (req) => req.headers.cookie);
    expect((await app.inject({ url: '/', headers: { cookie: 'a=1' }, cookies: { b: '2' } })).body).toBe('a=1; b=2');
  });
});

describe('fastify server options', () => {
  it('refuses http2, https, serverFactory and clientErrorHandler with the reason', () => {
    expect(() => createApp({ http2: true } as never)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_OPTION_UNSUPPORTED', message: expect.stringContaining('HTTP/2') }),
    );
    expect(() => createApp({ https: { key: 'k' } } as never)).toThrow(
      expect.objectContaining({ code: 'RS_ERR_OPTION_UNSUPPORTED', message: expect.stringContaining('TLS') }),
    );
    expect(() => createApp({ serverFactory: () => ({}) } as never)).toThrow(expect.objectContaining({ code: 'RS_ERR_OPTION_UNSUPPORTED' }));
    expect(() => createApp({ clientErrorHandler: () => {} } as never)).toThrow(expect.objectContaining({ code: 'RS_ERR_OPTION_UNSUPPORTED' }));
    expect(() => createApp({ http2: false, https: null })).not.toThrow();
  });

  it('checks loggerInstance and the other fastify options', () => {
    expect(() => createApp({ logger: true, loggerInstance: pino() })).toThrow(
      expect.objectContaining({ code: 'FST_ERR_LOG_LOGGER_AND_LOGGER_INSTANCE_PROVIDED' }),
    );
    expect(() => createApp({ loggerInstance: {} as never })).toThrow(expect.objectContaining({ code: 'FST_ERR_LOG_INVALID_LOGGER_INSTANCE' }));
    expect(() => createApp({ forceCloseConnections: 'yes' as never })).toThrow(/"forceCloseConnections" must be true, false or 'idle'/);
    expect(() => createApp({ pluginTimeout: -1 })).toThrow(/"pluginTimeout" must be a non-negative integer/);
    expect(() => createApp({ routerOptions: [] as never })).toThrow(/"routerOptions" must be an object/);
    expect(() => createApp({ frameworkErrors: 1 as never })).toThrow(/"frameworkErrors" must be a function/);
    expect(() => createApp({ requestIdHeader: 5 as never })).toThrow(/"requestIdHeader" must be a header name/);
  });

  it('routerOptions reach the router (ignoreTrailingSlash, caseSensitive)', async () => {
    const app = createApp({ routerOptions: { ignoreTrailingSlash: true, caseSensitive: false } });
    app.get('/Hello', () => 'hi');
    expect((await app.inject('/hello/')).body).toBe('hi');
    expect(app.initialConfig.ignoreTrailingSlash).toBe(true);
  });

  it('frameworkErrors answers a bad URL instead of the default', async () => {
    const app = createApp({ frameworkErrors: (err, _req, reply) => reply.code(400).send({ custom: (err as unknown as { code: string }).code }) });
    app.get('/:p', () => 'x');
    const res = await app.inject('/%zz');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ custom: 'FST_ERR_BAD_URL' });
  });

  it('forceCloseConnections: true closes kept-alive connections at close()', async () => {
    const app = createApp({ forceCloseConnections: true });
    app.get('/', () => 'x');
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(address);
    expect(await res.text()).toBe('x');
    await app.close();
    await expect(fetch(address)).rejects.toThrow();
  });
});
