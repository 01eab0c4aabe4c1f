import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp, createError, RingsideError } from '../src/index.js';

function logged(): { lines: Record<string, any>[]; logger: pino.Logger } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(c, e, cb) {
      for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('errors', () => {
  it('a thrown error or a rejection answers 500 JSON { statusCode, error, message }', async () => {
    const app = createApp();
    app.get('/throw', () => {
      throw new Error('boom');
    });
    app.get('/reject', async () => {
      throw new Error('async boom');
    });
    app.get('/reject-value', () => Promise.reject('just a string'));
    const res = await app.inject('/throw');
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'boom' });
    expect((await app.inject('/reject')).json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'async boom' });
    const value = await app.inject('/reject-value');
    expect(value.statusCode).toBe(500);
    expect(value.json().message).toContain('just a string');
  });

  it("honours the error's statusCode (4xx/5xx) and code", async () => {
    const app = createApp();
    app.get('/404', () => {
      throw Object.assign(new Error('no such user'), { statusCode: 404, code: 'E_NO_USER' });
    });
    app.get('/503', async () => {
      throw Object.assign(new Error('busy'), { status: 503 });
    });
    app.get('/200', () => {
      throw Object.assign(new Error('odd'), { statusCode: 200 });
    });
    app.get('/coded', () => {
      throw createError('FST_ERR_CTP_BODY_TOO_LARGE', 5);
    });
    app.get('/reply-code', (req, reply) => {
      reply.code(418);
      throw new Error('teapot');
    });
    expect((await app.inject('/404')).json()).toEqual({ statusCode: 404, code: 'E_NO_USER', error: 'Not Found', message: 'no such user' });
    expect((await app.inject('/503')).json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'busy' });
    expect((await app.inject('/200')).statusCode).toBe(500);
    expect((await app.inject('/coded')).json()).toEqual({
      statusCode: 413,
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      error: 'Payload Too Large',
      message: 'Request body is too large',
    });
    expect((await app.inject('/reply-code')).statusCode).toBe(418);
  });

  it("a thrown non-Error object is the answer's body, with its statusCode; handlers get it as it is (as fastify)", async () => {
    const { default: Fastify } = await import('fastify');
    const answers: unknown[][] = [];
    for (const app of [Fastify(), createApp()] as any[]) {
      const seen: unknown[] = [];
      app.addHook('onError', async (_req: unknown, _reply: unknown, err: unknown) => {
        seen.push(err);
      });
      app.get(
        '/hook',
        {
          onRequest: async () => {
            throw { statusCode: 429, limited: true };
          },
        },
        () => 'never',
      );
      app.get('/plain', async () => {
        throw { reason: 'no status' };
      });
      app.register(async (scope: any) => {
        scope.setErrorHandler((err: unknown, _req: unknown, reply: any) => {
          reply.code(409).send({ wrapped: err });
        });
        scope.get('/handled', async () => {
          throw { statusCode: 418, tea: true };
        });
      });
      const out: unknown[] = [];
      for (const url of ['/hook', '/plain', '/handled']) {
        const res = await app.inject(url);
        out.push(res.statusCode, res.headers['content-type'], res.body);
      }
      out.push(seen);
      answers.push(out);
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]![0]).toBe(429);
    expect(answers[1]![2]).toBe('{"statusCode":429,"limited":true}');
  });

  it('uses a custom error handler (return value, reply.send, async)', async () => {
    const app = createApp();
    app.setErrorHandler(async (err, req, reply) => {
      if (req.url === '/send') {
        reply.code(422).send({ custom: err.message });
        return;
      }
      reply.code(err.statusCode ?? 500);
      return { custom: err.message, code: err.code ?? null };
    });
    app.get('/return', () => {
      throw Object.assign(new Error('r'), { statusCode: 400 });
    });
    app.get('/send', () => {
      throw new Error('s');
    });
    const r = await app.inject('/return');
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({ custom: 'r', code: null });
    const s = await app.inject('/send');
    expect(s.statusCode).toBe(422);
    expect(s.json()).toEqual({ custom: 's' });
  });

  it('the error handler sees the status the error answers with, and headers set before the error stay (but not content-type)', async () => {
    const app = createApp();
    app.setErrorHandler((err, req, reply) => ({ status: reply.statusCode, type: reply.getHeader('content-type') ?? null, kept: reply.getHeader('x-kept') }));
    app.get('/', (req, reply) => {
      reply.header('x-kept', 'yes').type('text/html');
      throw Object.assign(new Error('x'), { statusCode: 401 });
    });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(401);
    expect(res.headers['x-kept']).toBe('yes');
    expect(res.json()).toEqual({ status: 401, type: null, kept: 'yes' });
  });

  it("an error thrown in an error handler falls back to the parent's, then to the default", async () => {
    const app = createApp();
    app.setErrorHandler((err, req, reply) => reply.code(500).send({ parent: err.message }));
    app.register(async (child) => {
      child.setErrorHandler(() => {
        throw new Error('child handler failed');
      });
      child.get('/child', () => {
        throw new Error('original');
      });
    });
    expect((await app.inject('/child')).json()).toEqual({ parent: 'child handler failed' });

    const solo = createApp();
    solo.setErrorHandler(async () => {
      throw new Error('handler failed');
    });
    solo.get('/', () => {
      throw new Error('original');
    });
    const res = await solo.inject('/');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'handler failed' });
  });

  it('logs 5xx at error level and 4xx at info level', async () => {
    const { lines, logger } = logged();
    const app = createApp({ logger });
    app.get('/500', () => {
      throw new Error('server side');
    });
    app.get('/400', () => {
      throw Object.assign(new Error('client side'), { statusCode: 400 });
    });
    await app.inject('/500');
    await app.inject('/400');
    const server = lines.find((l) => l.msg === 'server side');
    const client = lines.find((l) => l.msg === 'client side');
    expect(server?.level).toBe(50);
    expect(server?.err?.stack).toContain('server side');
    expect(server?.reqId).toBe('req-1');
    expect(client?.level).toBe(30);
  });

  it('the server survives handler, hook, error-handler and onSend failures', async () => {
    const app = createApp();
    app.addHook('onResponse', async () => {
      throw new Error('onResponse failed');
    });
    app.register(async (s) => {
      s.addHook('onSend', async () => {
        throw new Error('onSend failed');
      });
      s.setErrorHandler(() => {
        throw new Error('error handler failed');
      });
      s.get('/all-bad', () => {
        throw new Error('handler failed');
      });
    });
    app.get('/ok', () => 'still alive');
    const bad = await app.inject('/all-bad');
    expect(bad.statusCode).toBe(500);
    expect(bad.json()).toMatchObject({ statusCode: 500 });
    await new Promise((r) => setImmediate(r));
    expect((await app.inject('/ok')).body).toBe('still alive');
  });

  it('createError builds coded errors', () => {
    const e = createError('RS_ERR_ROUTE_NOT_FOUND', 'GET', '/x');
    expect(e).toBeInstanceOf(RingsideError);
    expect(e).toMatchObject({ code: 'RS_ERR_ROUTE_NOT_FOUND', statusCode: 404, message: 'Route GET:/x not found' });
  });
});
