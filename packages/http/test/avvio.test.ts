/**
 * Plugin loading on avvio with fastify's semantics: `await register()`,
 * after(), the callback forms of ready/listen/close/inject, pluginTimeout,
 * fastify-plugin metadata (skip-override, display name, name, fastify
 * version, decorators, dependencies), hasPlugin and printPlugins.
 */
import fp from 'fastify-plugin';
import { describe, expect, it } from 'vitest';
import { createApp, plugin, type App } from '../src/index.js';

describe('plugin loading (avvio)', () => {
  it('await register(p) loads p at once; its decorators are there on the next line', async () => {
    const app = createApp();
    const order: string[] = [];
    await app.register(async (child) => {
      order.push('plugin');
      child.decorate('inChild', 1);
    });
    order.push('after await');
    await app.register(
      plugin(async (s) => {
        s.decorate('shared', 2);
      }),
    );
    expect(app.hasDecorator('shared')).toBe(true);
    expect(app.hasDecorator('inChild')).toBe(false);
    expect(order).toEqual(['plugin', 'after await']);
    await app.ready();
  });

  it("loads in registration order, a plugin's own registrations before its next sibling; after() runs between", async () => {
    const app = createApp();
    const order: string[] = [];
    app.register(async (a) => {
      order.push('a');
      a.register(async () => {
        order.push('a.1');
      });
      a.after((err) => {
        order.push(`a.after:${err ?? 'ok'}`);
      });
    });
    app.after(() => {
      order.push('after a');
    });
    app.register((b, _opts, done) => {
      order.push('b');
      setTimeout(done, 5);
    });
    await app.ready();
    expect(order).toEqual(['a', 'a.1', 'a.after:ok', 'after a', 'b']);
  });

  it("after(err) sees a plugin's error and may swallow it", async () => {
    const app = createApp();
    const seen: unknown[] = [];
    app.register(async () => {
      throw new Error('boom');
    });
    app.after((err) => {
      seen.push((err as Error).message);
    });
    await app.ready();
    expect(seen).toEqual(['boom']);
  });

  it('ready(cb), listen(opts, cb), inject(opts, cb) and close(cb) call back', async () => {
    const app = createApp();
    app.get('/', () => 'hi');
    const readyApp = await new Promise<App>((resolve, reject) => app.ready((err, a) => (err ? reject(err) : resolve(a))));
    expect(readyApp).toBe(app);
    const res = await new Promise<{ body: string }>((resolve, reject) => app.inject({ url: '/' }, (err, r) => (err ? reject(err) : resolve(r!))));
    expect(res.body).toBe('hi');
    const address = await new Promise<string>((resolve, reject) => app.listen({ port: 0, host: '127.0.0.1' }, (err, a) => (err ? reject(err) : resolve(a))));
    expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await (await fetch(address)).text()).toBe('hi');
    await new Promise<void>((resolve, reject) => app.close((err) => (err ? reject(err) : resolve())));
    await expect(app.inject('/')).rejects.toMatchObject({ code: 'FST_ERR_REOPENED_CLOSE_SERVER' });
  });

  it('close() before ready() loads the app, runs onClose hooks once; a second close() resolves too', async () => {
    const app = createApp();
    let closed = 0;
    app.register(async (s) => {
      s.addHook('onClose', async () => {
        closed++;
      });
    });
    await Promise.all([app.close(), app.close()]);
    await app.close();
    expect(closed).toBe(1);
  });

  it('ready(cb) passes a plugin failure to the callback', async () => {
    const app = createApp();
    app.register((_s, _o, done) => done(new Error('cb failed')));
    const err = await new Promise<Error | null>((resolve) => app.ready((e) => resolve(e)));
    expect(err?.message).toBe('cb failed');
  });

  it('a plugin that never calls done fails with FST_ERR_PLUGIN_TIMEOUT after pluginTimeout', async () => {
    const app = createApp({ pluginTimeout: 50 });
    app.register(function stuck(_s, _o, _done) {
      /* never calls done */
    });
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_TIMEOUT', message: expect.stringContaining('stuck') });
  });

  it('an onReady hook that never finishes fails with FST_ERR_HOOK_TIMEOUT', async () => {
    const app = createApp({ pluginTimeout: 50 });
    app.addHook('onReady', function slow(_done) {
      /* never calls done */
    });
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_HOOK_TIMEOUT' });
  });

  it('register() refuses what is not a plugin with FST_ERR_PLUGIN_NOT_VALID, and an async plugin that takes done', async () => {
    expect(() => createApp().register(null as never)).toThrow(expect.objectContaining({ code: 'FST_ERR_PLUGIN_NOT_VALID' }));
    const app = createApp();
    app.register((async (_s: App, _o: unknown, _done: unknown) => {}) as never);
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_INVALID_ASYNC_HANDLER' });
  });

  it('register() after the app booted is refused', async () => {
    const app = createApp();
    await app.ready();
    expect(() => app.register(async () => {})).toThrow(expect.objectContaining({ code: 'FST_ERR_INSTANCE_ALREADY_LISTENING' }));
  });

  it("options may be a function of the plugin's scope", async () => {
    const app = createApp();
    app.decorate('base', 'v');
    let got: unknown;
    app.register(
      async (_s, opts) => {
        got = opts;
      },
      (parent) => ({ from: (parent as unknown as { base: string }).base }),
    );
    await app.ready();
    expect(got).toEqual({ from: 'v' });
  });
});

describe('fastify-plugin metadata', () => {
  it('a plugin wrapped by the real fastify-plugin escapes encapsulation', async () => {
    const app = createApp();
    const wrapped = async (s: App): Promise<void> => {
      s.decorate('util', () => 'shared');
      s.decorateReply('hello', function (this: { send(p: unknown): unknown }) {
        return this.send('hello');
      });
    };
    app.register(fp(wrapped as never, { name: 'my-util', fastify: '5.x' }) as never);
    app.get('/', (_req, reply) => (reply as unknown as { hello(): unknown }).hello());
    await app.ready();
    expect((app as unknown as { util(): string }).util()).toBe('shared');
    expect((await app.inject('/')).body).toBe('hello');
    expect(app.hasPlugin('my-util')).toBe(true);
  });

  it('checks the fastify version range, decorators and dependencies the plugin declares', async () => {
    const tooOld = createApp();
    tooOld.register(fp(async () => {}, { name: 'old', fastify: '4.x' }) as never);
    await expect(tooOld.ready()).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_VERSION_MISMATCH' });

    const missingDecorator = createApp();
    missingDecorator.register(fp(async () => {}, { name: 'needs-db', decorators: { fastify: ['db'] } }) as never);
    await expect(missingDecorator.ready()).rejects.toMatchObject({
      code: 'FST_ERR_PLUGIN_NOT_PRESENT_IN_INSTANCE',
      message: expect.stringContaining("'db' required by 'needs-db'"),
    });

    const missingDep = createApp();
    missingDep.register(fp(async () => {}, { name: 'child-plugin', dependencies: ['parent-plugin'] }) as never);
    await expect(missingDep.ready()).rejects.toMatchObject({ code: 'FST_ERR_PLUGIN_DEPENDENCY_NOT_REGISTERED' });

    const ok = createApp();
    const parent = async (s: App): Promise<void> => {
      s.decorate('db', {});
    };
    ok.register(fp(parent as never, { name: 'parent-plugin' }) as never);
    ok.register(fp(async () => {}, { name: 'child-plugin', dependencies: ['parent-plugin'], decorators: { fastify: ['db'] } }) as never);
    await ok.ready();
    expect(ok.hasPlugin('child-plugin')).toBe(true);
  });

  it('plugin() sets the same symbols as fastify-plugin', () => {
    const fn = plugin(async () => {}, { name: 'mine', fastify: '5.x' });
    const marked = fn as unknown as Record<symbol, unknown>;
    expect(marked[Symbol.for('skip-override')]).toBe(true);
    expect(marked[Symbol.for('fastify.display-name')]).toBe('mine');
    expect(marked[Symbol.for('plugin-meta')]).toMatchObject({ name: 'mine', fastify: '5.x' });
  });

  it('hasPlugin sees plugins of the scope and its ancestors, not of siblings; pluginName is the chain', async () => {
    const app = createApp();
    let inSibling: boolean | undefined;
    let chain: string | undefined;
    app.register(fp(async () => {}, { name: 'top' }) as never);
    app.register(async function first(s) {
      s.register(fp(async () => {}, { name: 'nested' }) as never);
      await s.after();
      chain = s.pluginName;
    });
    app.register(async function second(s) {
      inSibling = s.hasPlugin('nested') || !s.hasPlugin('top');
    });
    await app.ready();
    expect(app.hasPlugin('top')).toBe(true);
    expect(app.hasPlugin('nested')).toBe(false);
    expect(inSibling).toBe(false);
    expect(chain).toBe('first -> nested');
  });

  it('printPlugins() lists the plugin tree', async () => {
    const app = createApp();
    app.register(async function outer(s) {
      s.register(async function inner() {});
    });
    await app.ready();
    const tree = app.printPlugins();
    expect(tree).toContain('outer');
    expect(tree).toContain('inner');
  });
});
