import { describe, expect, it } from 'vitest';
import { createApp, plugin, skipOverride, type App } from '../src/index.js';

describe('plugins', () => {
  it('prefixes routes, nested prefixes add up', async () => {
    const app = createApp();
    app.register(
      async (v1) => {
        v1.get('/users', () => 'v1 users');
        v1.get('/', () => 'v1 root');
        v1.register(
          async (admin) => {
            admin.get('/stats', () => 'admin stats');
          },
          { prefix: '/admin' },
        );
      },
      { prefix: '/v1' },
    );
    expect((await app.inject('/v1/users')).body).toBe('v1 users');
    expect((await app.inject('/v1')).body).toBe('v1 root');
    expect((await app.inject('/v1/')).body).toBe('v1 root');
    expect((await app.inject('/v1/admin/stats')).body).toBe('admin stats');
    expect((await app.inject('/users')).statusCode).toBe(404);
  });

  it('passes options to the plugin and accepts callback-style plugins and modules', async () => {
    const app = createApp();
    let got: unknown;
    app.register(
      (scope, opts, done) => {
        got = opts;
        scope.get('/cb', () => 'cb');
        done();
      },
      { prefix: '/p', answer: 42 },
    );
    app.register({
      default: async (scope: App) => {
        scope.get('/mod', () => 'module');
      },
    });
    app.register(
      Promise.resolve({
        default: async (scope: App) => {
          scope.get('/lazy', () => 'lazy');
        },
      }),
    );
    expect((await app.inject('/p/cb')).body).toBe('cb');
    expect(got).toEqual({ prefix: '/p', answer: 42 });
    expect((await app.inject('/mod')).body).toBe('module');
    expect((await app.inject('/lazy')).body).toBe('lazy');
  });

  it("encapsulates hooks: a child's hooks do not reach the parent or siblings; the parent's reach the child", async () => {
    const app = createApp();
    const seen: string[] = [];
    app.addHook('onRequest', async (req) => {
      seen.push(`root ${req.url}`);
    });
    app.register(async (a) => {
      a.addHook('onRequest', async (req) => {
        seen.push(`a ${req.url}`);
      });
      a.get('/a', () => 'a');
    });
    app.register(async (b) => {
      b.get('/b', () => 'b');
    });
    app.get('/', () => 'root');
    await app.inject('/a');
    await app.inject('/b');
    await app.inject('/');
    expect(seen).toEqual(['root /a', 'a /a', 'root /b', 'root /']);
  });

  it('encapsulates decorators (app, request, reply)', async () => {
    const app = createApp();
    app.decorate('shared', 'from root');
    app.decorateRequest('user', null);
    app.register(async (child) => {
      child.decorate('childOnly', 1);
      child.decorateRequest('childReq', 'yes');
      child.decorateReply('ok', function (this: { send(p: unknown): unknown }) {
        return this.send('child reply helper');
      });
      expect(child.hasDecorator('shared')).toBe(true);
      child.get('/child', (req, reply) => (reply as unknown as { ok(): unknown }).ok());
      child.get('/child-req', (req) => ({ childReq: (req as unknown as { childReq: string }).childReq, user: (req as unknown as { user: unknown }).user }));
    });
    app.get('/root', (req) => ({ childReq: (req as unknown as { childReq?: string }).childReq ?? 'absent', hasReply: 'ok' in Object.getPrototypeOf(req) }));
    await app.ready();
    expect(app.hasDecorator('childOnly')).toBe(false);
    expect(app.hasRequestDecorator('childReq')).toBe(false);
    expect(app.hasRequestDecorator('user')).toBe(true);
    expect(app.hasReplyDecorator('ok')).toBe(false);
    expect((await app.inject('/child')).body).toBe('child reply helper');
    expect((await app.inject('/child-req')).json()).toEqual({ childReq: 'yes', user: null });
    expect((await app.inject('/root')).json()).toEqual({ childReq: 'absent', hasReply: false });
  });

  it('decorator values are per request; getters work; reference types and clashes are refused', async () => {
    const app = createApp();
    app.decorateRequest('counter', 0);
    app.decorateRequest('upperUrl', {
      getter(this: { url: string }) {
        return this.url.toUpperCase();
      },
    });
    app.get('/', (req) => {
      const r = req as unknown as { counter: number; upperUrl: string };
      r.counter++;
      return { counter: r.counter, upperUrl: r.upperUrl };
    });
    expect((await app.inject('/')).json()).toEqual({ counter: 1, upperUrl: '/' });
    expect((await app.inject('/')).json()).toEqual({ counter: 1, upperUrl: '/' });
    const fresh = createApp();
    fresh.decorateRequest('counter', 0);
    expect(() => fresh.decorateRequest('shared', { a: 1 })).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_REFERENCE_TYPE' }));
    expect(() => fresh.decorateRequest('counter', 1)).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_ALREADY_PRESENT' }));
    expect(() => fresh.decorateRequest('body', 1)).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_ALREADY_PRESENT' }));
    expect(() => fresh.decorateReply('send', () => {})).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_ALREADY_PRESENT' }));
    expect(() => fresh.decorate('get', 1)).toThrow(expect.objectContaining({ code: 'FST_ERR_DEC_ALREADY_PRESENT' }));
  });

  it('encapsulates error handlers', async () => {
    const app = createApp();
    app.setErrorHandler((err, req, reply) => reply.code(500).send({ by: 'root' }));
    app.register(async (child) => {
      child.setErrorHandler((err, req, reply) => reply.code(500).send({ by: 'child' }));
      child.get('/child', () => {
        throw new Error('x');
      });
    });
    app.register(async (sibling) => {
      sibling.get('/sibling', () => {
        throw new Error('x');
      });
    });
    app.get('/root', () => {
      throw new Error('x');
    });
    expect((await app.inject('/child')).json()).toEqual({ by: 'child' });
    expect((await app.inject('/sibling')).json()).toEqual({ by: 'root' });
    expect((await app.inject('/root')).json()).toEqual({ by: 'root' });
  });

  it('encapsulates not-found handlers by prefix', async () => {
    const app = createApp();
    app.setNotFoundHandler((req, reply) => reply.code(404).send('root 404'));
    app.register(
      async (api) => {
        api.setNotFoundHandler((req, reply) => reply.code(404).send({ api: 'not found', url: req.url }));
        api.get('/thing', () => 'thing');
      },
      { prefix: '/api' },
    );
    expect((await app.inject('/api/nope')).json()).toEqual({ api: 'not found', url: '/api/nope' });
    expect((await app.inject('/api')).statusCode).toBe(404);
    expect((await app.inject('/elsewhere')).body).toBe('root 404');
    expect((await app.inject('/api/thing')).body).toBe('thing');
  });

  it('not-found handlers run the hooks of their scope', async () => {
    const app = createApp();
    const seen: string[] = [];
    app.register(
      async (api) => {
        api.addHook('onRequest', async () => {
          seen.push('api hook');
        });
        api.setNotFoundHandler(
          {
            preHandler: async () => {
              seen.push('nf preHandler');
            },
          },
          (req, reply) => reply.code(404).send('api 404'),
        );
      },
      { prefix: '/api' },
    );
    await app.inject('/api/x');
    expect(seen).toEqual(['api hook', 'nf preHandler']);
  });

  it('plugin() (skip-override) registers into the parent scope', async () => {
    const app = createApp();
    const seen: string[] = [];
    app.register(
      plugin(
        async (scope) => {
          scope.decorate('db', 'connected');
          scope.decorateRequest('fromPlugin', 'yes');
          scope.addHook('onRequest', async (req) => {
            seen.push(req.url);
          });
        },
        { name: 'db' },
      ),
    );
    app.get('/', function (req) {
      return { db: (this as unknown as { db: string }).db, fromPlugin: (req as unknown as { fromPlugin: string }).fromPlugin };
    });
    await app.ready();
    expect(app.hasDecorator('db')).toBe(true);
    expect((await app.inject('/')).json()).toEqual({ db: 'connected', fromPlugin: 'yes' });
    expect(seen).toEqual(['/']);

    const manual = async (scope: App): Promise<void> => {
      scope.decorate('manual', true);
    };
    (manual as unknown as Record<symbol, boolean>)[skipOverride] = true;
    const other = createApp();
    other.register(manual);
    await other.ready();
    expect(other.hasDecorator('manual')).toBe(true);
  });

  it('loads plugins in order, depth first, awaiting async ones; after() runs between them', async () => {
    const app = createApp();
    const order: string[] = [];
    app.register(async (a) => {
      order.push('a start');
      await new Promise((r) => setTimeout(r, 10));
      a.register(async () => {
        order.push('a.child');
      });
      order.push('a end');
    });
    app.after(() => {
      order.push('after a');
    });
    app.register(async () => {
      order.push('b');
    });
    await app.ready();
    expect(order).toEqual(['a start', 'a end', 'a.child', 'after a', 'b']);
  });

  it('await app.after() loads what is registered so far (also inside a plugin)', async () => {
    const app = createApp();
    app.register(
      plugin(async (scope) => {
        scope.decorate('first', 1);
      }),
    );
    await app.after();
    expect(app.hasDecorator('first')).toBe(true);
    app.register(async (child) => {
      child.register(
        plugin(async (s) => {
          s.decorate('inner', 2);
        }),
      );
      await child.after();
      expect(child.hasDecorator('inner')).toBe(true);
    });
    await app.ready();
  });

  it('ready() rejects when a plugin fails, and register() refuses non-functions', async () => {
    expect(() => createApp().register('nope' as never)).toThrow(expect.objectContaining({ code: 'FST_ERR_PLUGIN_NOT_VALID' }));
    const app = createApp();
    app.register(async () => {
      throw new Error('plugin failed');
    });
    await expect(app.ready()).rejects.toThrow('plugin failed');
    const cb = createApp();
    cb.register((s, o, done) => done(new Error('cb failed')));
    await expect(cb.inject('/')).rejects.toThrow('cb failed');
  });
});
