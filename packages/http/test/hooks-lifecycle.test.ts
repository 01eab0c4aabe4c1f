/**
 * fastify's hooks beyond onRequest/preHandler/onSend/onResponse/onError:
 * their order, arguments and `this` — request hooks (preParsing,
 * preValidation, preSerialization, onRequestAbort) and application hooks
 * (onRoute, onRegister, onReady, onListen, preClose, onClose).
 */
import { connect } from 'node:net';
import { Transform } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/index.js';
import { describeAppBackends, rawExchange, useApps } from './app-backends.js';

describe("request hooks in fastify's order", () => {
  it('onRequest → preParsing → (body) → preValidation → preHandler → handler → preSerialization → onSend → onResponse', async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('onRequest', async () => {
      order.push('onRequest');
    });
    app.addHook('preParsing', async (req, _reply, payload) => {
      order.push(`preParsing:${req.body === undefined}`);
      return payload;
    });
    app.addHook('preValidation', async (req) => {
      order.push(`preValidation:${JSON.stringify(req.body)}`);
    });
    app.addHook('preHandler', async () => {
      order.push('preHandler');
    });
    app.addHook('preSerialization', async (_req, _reply, payload) => {
      order.push('preSerialization');
      return { ...(payload as object), added: true };
    });
    app.addHook('onSend', async (_req, _reply, payload) => {
      order.push(`onSend:${payload}`);
    });
    app.addHook('onResponse', async () => {
      order.push('onResponse');
    });
    app.post('/', (req) => {
      order.push('handler');
      return { got: (req.body as { a: number }).a };
    });
    const res = await app.inject({ method: 'POST', url: '/', payload: { a: 1 } });
    expect(res.json()).toEqual({ got: 1, added: true });
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([
      'onRequest',
      'preParsing:true',
      'preValidation:{"a":1}',
      'preHandler',
      'handler',
      'preSerialization',
      'onSend:{"got":1,"added":true}',
      'onResponse',
    ]);
  });

  it('preParsing may replace the body stream; the parser reads the replacement (within bodyLimit)', async () => {
    const app = createApp();
    const upper = () =>
      new Transform({
        transform(chunk, _enc, cb) {
          cb(null, String(chunk).toUpperCase());
        },
      });
    app.addHook('preParsing', (_req, _reply, payload, done) => {
      done(null, (payload as NodeJS.ReadableStream).pipe(upper()));
    });
    app.post('/', (req) => req.body);
    app.post('/limited', { bodyLimit: 4 }, (req) => req.body);
    const res = await app.inject({ method: 'POST', url: '/', payload: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(res.body).toBe('HELLO');
    const big = await app.inject({ method: 'POST', url: '/limited', payload: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(big.statusCode).toBe(413);
  });

  it('preParsing runs for bodyless requests too, and its error goes to the error handler', async () => {
    const app = createApp();
    let ran = 0;
    app.addHook('preParsing', async (req) => {
      ran++;
      if (req.url === '/fail') throw Object.assign(new Error('nope'), { statusCode: 418 });
    });
    app.get('/', () => 'ok');
    app.get('/fail', () => 'not reached');
    expect((await app.inject('/')).body).toBe('ok');
    const failed = await app.inject('/fail');
    expect(failed.statusCode).toBe(418);
    expect(ran).toBe(2);
  });

  it("preSerialization is skipped for strings, Buffers and null; a route-level hook runs after the scope's", async () => {
    const app = createApp();
    const seen: unknown[] = [];
    app.addHook('preSerialization', async (_req, _reply, payload) => {
      seen.push(payload);
    });
    app.get('/text', () => 'plain');
    app.get('/obj', { preSerialization: async (_req: unknown, _reply: unknown, p: unknown) => ({ wrapped: p }) }, () => ({ x: 1 }));
    expect((await app.inject('/text')).body).toBe('plain');
    expect((await app.inject('/obj')).json()).toEqual({ wrapped: { x: 1 } });
    expect(seen).toEqual([{ x: 1 }]);
  });

  it('a preValidation hook that replies ends the chain', async () => {
    const app = createApp();
    let handled = false;
    app.addHook('preValidation', async (_req, reply) => {
      reply.code(401).send({ denied: true });
    });
    app.get('/', () => {
      handled = true;
      return 'x';
    });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(401);
    expect(handled).toBe(false);
  });

  it('async hooks that also take done are refused with FST_ERR_HOOK_INVALID_ASYNC_HANDLER', () => {
    const app = createApp();
    expect(() => app.addHook('preParsing', (async (_a: unknown, _b: unknown, _c: unknown, _d: unknown) => {}) as never)).toThrow(
      expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER' }),
    );
    expect(() => app.addHook('onReady', (async (_done: unknown) => {}) as never)).toThrow(
      expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER' }),
    );
    expect(() => app.addHook(1 as never, () => {})).toThrow(expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_TYPE' }));
  });

  it("a hook added after a plugin registration reaches that plugin's routes, as in fastify", async () => {
    const app = createApp();
    app.register(async (child) => {
      child.get('/child', () => 'c');
    });
    app.addHook('onRequest', async (_req, reply) => {
      reply.header('x-late', '1');
    });
    expect((await app.inject('/child')).headers['x-late']).toBe('1');
  });
});

describe('application hooks', () => {
  it('onRoute sees each route (prefixed url, routePath, prefix, method) and may change its options', async () => {
    const app = createApp();
    const seen: object[] = [];
    app.addHook('onRoute', function (this: App, route) {
      seen.push({ method: route.method, url: route.url, routePath: route.routePath, prefix: route.prefix, isScope: typeof this.decorate === 'function' });
      route.onRequest = [
        async (_req: unknown, reply: { header(n: string, v: string): unknown }) => {
          reply.header('x-on-route', String(route.url));
        },
      ];
      route.config = { ...route.config, tagged: true };
    });
    app.register(
      async (v1) => {
        v1.get('/items', (req) => ({ config: req.routeOptions.config }));
      },
      { prefix: '/v1' },
    );
    app.get('/', () => 'root');
    await app.ready();
    expect(seen).toEqual([
      { method: 'GET', url: '/', routePath: '/', prefix: '', isScope: true },
      { method: 'GET', url: '/v1/items', routePath: '/items', prefix: '/v1', isScope: true },
    ]);
    const res = await app.inject('/v1/items');
    expect(res.headers['x-on-route']).toBe('/v1/items');
    expect(res.json()).toEqual({ config: { tagged: true } });
  });

  it('route options of plugins (unknown to Ringside) reach the onRoute hooks; without one they are refused', async () => {
    const app = createApp();
    const flags: unknown[] = [];
    app.register(async (s) => {
      s.addHook('onRoute', (route) => {
        flags.push((route as unknown as { helmet?: boolean }).helmet);
      });
      s.get('/off', { helmet: false } as never, () => 'x');
    });
    await app.ready();
    expect(flags).toEqual([false]);
    expect((await app.inject('/off')).body).toBe('x');
    expect(() => createApp().get('/typo', { bodyLimt: 1 } as never, () => 'x')).toThrow(/unknown route option "bodyLimt"/);
  });

  it('onRegister runs with (instance, opts) for each new scope, with `this` the parent; not for fastify-plugin scopes', async () => {
    const app = createApp();
    const seen: string[] = [];
    app.addHook('onRegister', function (this: App, instance, opts) {
      seen.push(`${instance.prefix}|${(opts as { tag?: string }).tag}|${this === app}`);
    });
    app.register(async () => {}, { prefix: '/a', tag: 'A' });
    app.register(
      Object.assign(async () => {}, { [Symbol.for('skip-override')]: true }),
      { tag: 'skipped' },
    );
    await app.ready();
    expect(seen).toEqual(['/a|A|true']);
  });

  it("onReady runs once per ready(), root hooks before children's, `this` the scope; ready() waits for it", async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('onReady', async function (this: App) {
      order.push(`root:${this === app}`);
    });
    app.register(async (child) => {
      child.addHook('onReady', function (this: App, done) {
        order.push(`child:${this === child}`);
        setTimeout(done, 5);
      });
    });
    await app.ready();
    await app.ready();
    expect(order).toEqual(['root:true', 'child:true']);
  });

  it('an onReady error rejects ready(); adding routes in onReady is refused', async () => {
    const failing = createApp();
    failing.addHook('onReady', async () => {
      throw new Error('not ready');
    });
    await expect(failing.ready()).rejects.toThrow('not ready');
    const late = createApp();
    let refused: unknown;
    late.addHook('onReady', async function (this: App) {
      try {
        this.get('/late', () => 'x');
      } catch (e) {
        refused = e;
      }
    });
    await late.ready();
    expect(refused).toMatchObject({ code: 'FST_ERR_INSTANCE_ALREADY_LISTENING' });
  });

  it('onListen runs once listening (errors logged, listen still resolves); preClose before the server stops; onClose after, last added first', async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('onListen', async function (this: App) {
      order.push(`onListen:${this.addresses().length}`);
    });
    app.addHook('onListen', async () => {
      throw new Error('ignored');
    });
    app.addHook('preClose', async function (this: App) {
      order.push(`preClose:${this.addresses().length}`);
    });
    app.addHook('onClose', async () => {
      order.push('onClose 1');
    });
    app.addHook('onClose', (_instance, done) => {
      order.push('onClose 2');
      done();
    });
    app.get('/', () => 'x');
    await app.listen({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => setTimeout(r, 10));
    await app.close();
    expect(order).toEqual(['onListen:1', 'preClose:1', 'onClose 2', 'onClose 1']);
  });
});

describeAppBackends('hooks over sockets', (backend) => {
  const start = useApps();

  it('onRequestAbort runs with (req) when the client resets the connection before the answer', async () => {
    let aborted!: (url: string) => void;
    const abortedUrl = new Promise<string>((resolve) => {
      aborted = resolve;
    });
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const port = await start(backend, (app) => {
      app.addHook('onRequestAbort', (req) => {
        aborted(req.url);
      });
      app.get('/slow', async () => {
        entered();
        await new Promise((r) => setTimeout(r, 200));
        return 'late';
      });
    });
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await inHandler;
    socket.resetAndDestroy();
    expect(await abortedUrl).toBe('/slow');
  });

  it('onTimeout runs with (req, reply) when the transport answers 408 for a handler past requestTimeout', async () => {
    let timedOut!: (url: string) => void;
    const timedOutUrl = new Promise<string>((resolve) => {
      timedOut = resolve;
    });
    const port = await start(
      backend,
      (app) => {
        app.addHook('onTimeout', async (req, reply) => {
          timedOut(`${req.url} ${reply.sent}`);
        });
        app.get('/slow', async () => {
          await timedOutUrl; // answered by the transport meanwhile; this late value is dropped
          return 'late';
        });
      },
      { requestTimeout: 300 },
    );
    const res = await fetch(`http://127.0.0.1:${port}/slow`);
    expect(res.status).toBe(408);
    expect(await timedOutUrl).toBe('/slow false');
  });

  it("return503OnClosing: a request that arrives while the app closes (preClose) gets fastify's 503", async () => {
    let app!: App;
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const port = await start(backend, (a) => {
      app = a;
      a.get('/hold', async () => {
        entered();
        await held;
        return 'held';
      });
      a.get('/', () => 'ok');
      a.addHook('preClose', async () => {
        // The server still accepts during preClose: a request now is answered 503.
        const answer = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.includes('}'));
        seen.push(answer);
        release();
      });
    });
    const seen: string[] = [];
    const first = rawExchange(port, 'GET /hold HTTP/1.1\r\nHost: x\r\n\r\n', (s) => s.endsWith('held'));
    await inHandler;
    await app.close();
    expect(await first).toContain('held');
    expect(seen[0]).toMatch(/^HTTP\/1\.1 503/);
    expect(seen[0]).toContain('{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}');
  });
});
