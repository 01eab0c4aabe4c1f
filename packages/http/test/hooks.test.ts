import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../src/index.js';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('hooks', () => {
  it('run in order: onRequest → preHandler → handler → onSend → onResponse', async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('onRequest', async () => {
      order.push('onRequest 1');
    });
    app.addHook('onRequest', (req, reply, done) => {
      order.push('onRequest 2');
      done();
    });
    app.addHook('preHandler', async () => {
      order.push('preHandler');
    });
    app.addHook('onSend', async (req, reply, payload) => {
      order.push(`onSend ${String(payload)}`);
    });
    app.addHook('onResponse', async (req, reply) => {
      order.push(`onResponse ${reply.statusCode}`);
    });
    app.get('/', () => {
      order.push('handler');
      return 'body';
    });
    const res = await app.inject('/');
    await tick();
    expect(res.body).toBe('body');
    expect(order).toEqual(['onRequest 1', 'onRequest 2', 'preHandler', 'handler', 'onSend body', 'onResponse 200']);
  });

  it('runs the body parser between onRequest and preHandler', async () => {
    const app = createApp();
    const seen: unknown[] = [];
    app.addHook('onRequest', async (req) => {
      seen.push(['onRequest', req.body]);
    });
    app.addHook('preHandler', async (req) => {
      seen.push(['preHandler', req.body]);
    });
    app.post('/', (req) => req.body);
    await app.inject({ method: 'POST', url: '/', payload: { a: 1 } });
    expect(seen).toEqual([
      ['onRequest', undefined],
      ['preHandler', { a: 1 }],
    ]);
  });

  it('supports sync hooks without done (they continue when they return)', async () => {
    const app = createApp();
    app.addHook('onRequest', (req) => {
      (req as unknown as { tag: string }).tag = 'sync';
    });
    app.get('/', (req) => (req as unknown as { tag: string }).tag);
    expect((await app.inject('/')).body).toBe('sync');
  });

  it('an onRequest or preHandler hook that replies ends the chain', async () => {
    const app = createApp();
    let handled = false;
    let later = false;
    app.addHook('onRequest', async (req, reply) => {
      if (req.headers.authorization !== 'secret') reply.code(401).send({ error: 'nope' });
    });
    app.addHook('onRequest', async () => {
      later = true;
    });
    app.addHook('preHandler', (req, reply, done) => {
      if (req.url === '/blocked') {
        reply.code(403).send('blocked');
        return;
      }
      done();
    });
    app.get('/', () => {
      handled = true;
      return 'ok';
    });
    app.get('/blocked', () => {
      handled = true;
      return 'ok';
    });
    const denied = await app.inject('/');
    expect(denied.statusCode).toBe(401);
    expect(denied.json()).toEqual({ error: 'nope' });
    expect(handled).toBe(false);
    expect(later).toBe(false);
    const blocked = await app.inject({ url: '/blocked', headers: { authorization: 'secret' } });
    expect(blocked.statusCode).toBe(403);
    expect(handled).toBe(false);
    expect((await app.inject({ url: '/', headers: { authorization: 'secret' } })).body).toBe('ok');
  });

  it('onSend can replace the payload (async return, done(null, payload), sync return)', async () => {
    const app = createApp();
    app.addHook('onSend', async (req, reply, payload) => `${String(payload)}+async`);
    app.addHook('onSend', (req, reply, payload, done) => done(null, `${String(payload)}+cb`));
    app.addHook('onSend', (req, reply, payload) => (req.url === '/buffer' ? Buffer.from('replaced') : undefined));
    app.get('/', () => 'body');
    app.get('/buffer', () => 'body');
    app.get('/json', () => ({ a: 1 }));
    const res = await app.inject('/');
    expect(res.body).toBe('body+async+cb');
    expect(res.headers['content-length']).toBe(String('body+async+cb'.length));
    expect((await app.inject('/buffer')).body).toBe('replaced');
    // onSend sees the serialized payload
    expect((await app.inject('/json')).body).toBe('{"a":1}+async+cb');
  });

  it('onResponse runs after the response is sent, with the final status', async () => {
    const app = createApp();
    const calls: [number, boolean][] = [];
    app.addHook('onResponse', (req, reply, done) => {
      calls.push([reply.statusCode, reply.raw.finished]);
      done();
    });
    app.get('/', (req, reply) => reply.code(201).send('created'));
    await app.inject('/');
    await tick();
    expect(calls).toEqual([[201, true]]);
  });

  it('routes hook errors (thrown, rejected, done(err)) to the error handler', async () => {
    const app = createApp();
    app.addHook('onRequest', async (req) => {
      if (req.url === '/reject') throw Object.assign(new Error('rejected'), { statusCode: 401 });
    });
    app.addHook('preHandler', (req, reply, done) => {
      if (req.url === '/throw') throw new Error('thrown');
      if (req.url === '/done') {
        done(Object.assign(new Error('via done'), { statusCode: 418 }));
        return;
      }
      done();
    });
    app.setErrorHandler((err, req, reply) => reply.send({ handled: err.message, status: reply.statusCode }));
    for (const url of ['/reject', '/throw', '/done']) app.get(url, () => 'unreachable');
    expect((await app.inject('/reject')).json()).toEqual({ handled: 'rejected', status: 401 });
    expect((await app.inject('/throw')).json()).toEqual({ handled: 'thrown', status: 500 });
    const viaDone = await app.inject('/done');
    expect(viaDone.statusCode).toBe(418);
    expect(viaDone.json()).toEqual({ handled: 'via done', status: 418 });
  });

  it('an error in onSend goes to the error handler; onSend runs again for its answer', async () => {
    const app = createApp();
    let calls = 0;
    app.addHook('onSend', async (req, reply, payload) => {
      calls++;
      if (calls === 1) throw new Error('onSend failed');
      return payload;
    });
    app.get('/', () => 'body');
    const res = await app.inject('/');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ statusCode: 500, message: 'onSend failed' });
  });

  it('an onSend hook that always fails still gets an answer out (written directly)', async () => {
    const app = createApp();
    app.addHook('onSend', async () => {
      throw new Error('always');
    });
    app.get('/', () => 'body');
    const res = await app.inject('/');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ statusCode: 500, error: 'Internal Server Error', message: 'always' });
  });

  it('a hook that takes done() but returns a promise continues when it settles, as fastify (@fastify/helmet)', async () => {
    const app = createApp();
    const order: string[] = [];
    const later = async (tag: string): Promise<void> => {
      await new Promise((r) => setTimeout(r, 1));
      order.push(tag);
    };
    // A plain function (not async: that would be refused) that never calls done.
    app.addHook('onRequest', (_req, _reply, _done) => later('onRequest'));
    // One that both calls done() and returns a promise continues once.
    app.addHook('preHandler', (_req, _reply, done) => {
      done();
      return Promise.resolve();
    });
    app.addHook('onSend', (_req, _reply, _payload, _done) => later('onSend').then(() => 'replaced'));
    app.get(
      '/fails',
      { onRequest: (_req: unknown, _reply: unknown, _done: unknown) => Promise.reject(Object.assign(new Error('no'), { statusCode: 403 })) },
      () => 'never',
    );
    app.get('/', () => {
      order.push('handler');
      return 'original';
    });
    const res = await app.inject('/');
    expect(res.body).toBe('replaced');
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['onRequest', 'handler', 'onSend']); // the handler ran once
    expect((await app.inject('/fails')).statusCode).toBe(403);
  });

  it('guards against done() called twice (warns once, continues once)', async () => {
    const { lines, stream } = capture();
    const app = createApp({ logger: pino({ level: 'warn' }, stream) });
    let handlerCalls = 0;
    app.addHook('onRequest', (req, reply, done) => {
      done();
      done();
    });
    app.get('/', () => {
      handlerCalls++;
      return 'ok';
    });
    const res = await app.inject('/');
    await tick();
    expect(res.body).toBe('ok');
    expect(handlerCalls).toBe(1);
    const warn = lines.find((l) => (l.err as { code?: string } | undefined)?.code === 'RS_ERR_HOOK_DONE_TWICE');
    expect(warn).toBeDefined();
  });

  it('onError hooks observe errors before the error handler', async () => {
    const app = createApp();
    const seen: string[] = [];
    app.addHook('onError', async (req, reply, err) => {
      seen.push(`onError ${err.message}`);
    });
    app.addHook('onError', (req, reply, err, done) => {
      seen.push('onError cb');
      done();
    });
    app.setErrorHandler((err, req, reply) => {
      seen.push('handler');
      reply.code(500).send('handled');
    });
    app.get('/', () => {
      throw new Error('boom');
    });
    const res = await app.inject('/');
    expect(res.body).toBe('handled');
    expect(seen).toEqual(['onError boom', 'onError cb', 'handler']);
  });

  it("route-level hooks run after the scope's", async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('preHandler', async () => {
      order.push('app');
    });
    app.get(
      '/',
      {
        onRequest: async () => {
          order.push('route onRequest');
        },
        preHandler: [
          async () => {
            order.push('route 1');
          },
          (req, reply, done) => {
            order.push('route 2');
            done();
          },
        ],
      },
      () => 'ok',
    );
    await app.inject('/');
    expect(order).toEqual(['route onRequest', 'app', 'route 1', 'route 2']);
  });

  it('hooks added after a route in the same scope still apply to it (hooks are read when the app is ready)', async () => {
    const app = createApp();
    app.get('/', (req) => (req as unknown as { late?: boolean }).late ?? false);
    app.addHook('onRequest', async (req) => {
      (req as unknown as { late: boolean }).late = true;
    });
    expect((await app.inject('/')).body).toBe('true');
  });

  it('hooks get `this` = the scope they were added in', async () => {
    const app = createApp();
    app.decorate('marker', 'root');
    let seen: unknown;
    app.addHook('onRequest', async function (this: unknown) {
      seen = (this as { marker: string }).marker;
    });
    app.get('/', () => 'ok');
    await app.inject('/');
    expect(seen).toBe('root');
  });

  it('validates hooks', () => {
    const app = createApp();
    expect(() => app.addHook('onFoo' as never, async () => {})).toThrow(expect.objectContaining({ code: 'FST_ERR_HOOK_NOT_SUPPORTED' }));
    expect(() => app.addHook('onRequest', 'x' as never)).toThrow(expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_HANDLER' }));
    expect(() => app.addHook('onRequest', (async (req: unknown, reply: unknown, done: unknown) => {}) as never)).toThrow(
      expect.objectContaining({ code: 'FST_ERR_HOOK_INVALID_ASYNC_HANDLER' }),
    );
  });

  it('onClose hooks run on close(), last added first', async () => {
    const app = createApp();
    const order: string[] = [];
    app.addHook('onClose', async () => {
      order.push('first');
    });
    app.addHook('onClose', (instance, done) => {
      order.push('second');
      done();
    });
    await app.ready();
    await app.close();
    expect(order).toEqual(['second', 'first']);
  });
});
