import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../src/index.js';
import { kTransportResponse } from '../src/symbols.js';

describe('reply', () => {
  it('sends strings as text/plain, objects/arrays/numbers/booleans as JSON, Buffers as octet-stream', async () => {
    const app = createApp();
    app.get('/string', () => 'hi');
    app.get('/object', () => ({ a: 1 }));
    app.get('/array', () => [1, 2]);
    app.get('/number', () => 42);
    app.get('/boolean', () => false);
    app.get('/buffer', () => Buffer.from('bytes'));
    app.get('/uint8', () => new Uint8Array([104, 105]));
    app.get('/null', (req, reply) => reply.send(null));
    app.get('/undefined', (req, reply) => reply.send());
    const cases: [string, string | undefined, string][] = [
      ['/string', 'text/plain; charset=utf-8', 'hi'],
      ['/object', 'application/json; charset=utf-8', '{"a":1}'],
      ['/array', 'application/json; charset=utf-8', '[1,2]'],
      ['/number', 'application/json; charset=utf-8', '42'],
      ['/boolean', 'application/json; charset=utf-8', 'false'],
      ['/buffer', 'application/octet-stream', 'bytes'],
      ['/uint8', 'application/octet-stream', 'hi'],
      ['/null', undefined, ''],
      ['/undefined', undefined, ''],
    ];
    for (const [url, type, body] of cases) {
      const res = await app.inject(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe(type);
      expect(res.body, url).toBe(body);
      expect(res.headers['content-length'], url).toBe(String(Buffer.byteLength(body)));
    }
  });

  it('keeps a content-type set by the handler; a JSON string is sent as-is', async () => {
    const app = createApp();
    app.get('/html', (req, reply) => reply.type('text/html').send('<p>x</p>'));
    app.get('/json-string', (req, reply) => reply.type('application/json').send('{"raw":true}'));
    app.get('/problem', (req, reply) => reply.type('application/problem+json').code(400).send({ title: 'bad' }));
    app.get('/bad', (req, reply) => reply.type('text/plain').send({ a: 1 }));
    expect((await app.inject('/html')).headers['content-type']).toBe('text/html');
    expect((await app.inject('/json-string')).body).toBe('{"raw":true}');
    const problem = await app.inject('/problem');
    expect(problem.headers['content-type']).toBe('application/problem+json');
    expect(problem.json()).toEqual({ title: 'bad' });
    const bad = await app.inject('/bad');
    expect(bad.statusCode).toBe(500);
    expect(bad.json().code).toBe('FST_ERR_REP_INVALID_PAYLOAD_TYPE');
  });

  it('async handlers may return the payload; undefined waits for reply.send()', async () => {
    const app = createApp();
    app.get('/return', async () => ({ async: true }));
    app.get('/later', async (req, reply) => {
      setTimeout(() => reply.send('sent later'), 5);
    });
    app.get('/return-reply', async (req, reply) => reply.code(202).send('accepted'));
    expect((await app.inject('/return')).json()).toEqual({ async: true });
    expect((await app.inject('/later')).body).toBe('sent later');
    const r = await app.inject('/return-reply');
    expect(r.statusCode).toBe(202);
    expect(r.body).toBe('accepted');
  });

  it('status, headers, getHeader/hasHeader/removeHeader, set-cookie accumulates', async () => {
    const app = createApp();
    app.get('/', (req, reply) => {
      reply.status(201).header('X-Custom', 'yes').headers({ 'x-a': '1', 'x-n': 5 }).header('set-cookie', 'a=1').header('Set-Cookie', 'b=2');
      reply.header('x-remove', 'gone');
      const seen = { custom: reply.getHeader('x-custom'), has: reply.hasHeader('X-A'), all: Object.keys(reply.getHeaders()).sort() };
      reply.removeHeader('x-remove');
      return seen;
    });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-custom']).toBe('yes');
    expect(res.headers['x-n']).toBe('5');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-remove']).toBeUndefined();
    expect(res.json()).toEqual({ custom: 'yes', has: true, all: ['set-cookie', 'x-a', 'x-custom', 'x-n', 'x-remove'] });
  });

  it('refuses invalid status codes and header injection', async () => {
    const app = createApp();
    app.get('/status', (req, reply) => reply.code(1000).send('x'));
    app.get('/header', (req, reply) => reply.header('x-bad', 'a\r\nSet-Cookie: evil=1').send('x'));
    app.get('/name', (req, reply) => reply.header('bad name', 'v').send('x'));
    app.get('/assigned', (req, reply) => {
      reply.statusCode = 42;
      reply.send('x');
    });
    expect((await app.inject('/status')).json()).toMatchObject({ statusCode: 500, code: 'FST_ERR_BAD_STATUS_CODE' });
    const header = await app.inject('/header');
    expect(header.statusCode).toBe(500);
    expect(header.json().code).toBe('RS_ERR_REPLY_INVALID_HEADER');
    expect(header.headers['set-cookie']).toBeUndefined();
    expect((await app.inject('/name')).json().code).toBe('RS_ERR_REPLY_INVALID_HEADER');
    expect((await app.inject('/assigned')).json().code).toBe('FST_ERR_BAD_STATUS_CODE');
  });

  it('redirect([code,] url)', async () => {
    const app = createApp();
    app.get('/a', (req, reply) => reply.redirect('/b'));
    app.get('/c', (req, reply) => reply.redirect(301, '/d'));
    app.get('/e', (req, reply) => reply.redirect('/f', 308));
    const a = await app.inject('/a');
    expect(a.statusCode).toBe(302);
    expect(a.headers.location).toBe('/b');
    const c = await app.inject('/c');
    expect(c.statusCode).toBe(301);
    expect(c.headers.location).toBe('/d');
    expect((await app.inject('/e')).statusCode).toBe(308);
  });

  it('204 and 304 have no body and no content-length', async () => {
    const app = createApp();
    app.get('/204', (req, reply) => reply.code(204).send('ignored'));
    app.get('/304', (req, reply) => reply.code(304).send({ ignored: true }));
    for (const url of ['/204', '/304']) {
      const res = await app.inject(url);
      expect(res.statusCode).toBe(Number(url.slice(1)));
      expect(res.body).toBe('');
      expect(res.headers['content-length']).toBeUndefined();
    }
  });

  it('pipes a Readable (chunked), with back-pressure through onDrain', async () => {
    const app = createApp();
    app.get('/stream', (req, reply) => reply.type('text/plain').send(Readable.from(['a', 'b', 'c'])));
    app.get('/stream-len', (req, reply) => reply.header('content-length', 3).send(Readable.from([Buffer.from('xyz')])));
    const res = await app.inject('/stream');
    expect(res.body).toBe('abc');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-type']).toBe('text/plain');
    const len = await app.inject('/stream-len');
    expect(len.body).toBe('xyz');
    expect(len.headers['content-length']).toBe('3');
    // As fastify: no default content type for a stream.
    expect(len.headers['content-type']).toBeUndefined();
  });

  it('a stream that fails before its first byte answers 500', async () => {
    const app = createApp();
    app.get('/', (req, reply) =>
      reply.send(
        new Readable({
          read() {
            this.destroy(new Error('disk gone'));
          },
        }),
      ),
    );
    const res = await app.inject('/');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'RS_ERR_REPLY_STREAM', message: 'The response stream failed: disk gone' });
  });

  it('a stream that fails after the head closes the connection', async () => {
    const app = createApp();
    app.get('/', (req, reply) => {
      let n = 0;
      reply.send(
        new Readable({
          read() {
            if (n++ === 0) this.push('first');
            else this.destroy(new Error('mid-stream'));
          },
        }),
      );
    });
    await expect(app.inject('/')).rejects.toThrow(/destroyed/);
  });

  it('respects back-pressure: waits for onDrain when write() returns false', async () => {
    const app = createApp();
    const events: string[] = [];
    app.get('/', (req, reply) => {
      const raw = reply[kTransportResponse] as unknown as { write(c: unknown): boolean; onDrain(cb: () => void): void };
      const write = raw.write.bind(raw);
      let drainCb: (() => void) | null = null;
      let writes = 0;
      raw.write = (c) => {
        write(c);
        writes++;
        events.push(`write ${writes}`);
        if (writes === 1) {
          setTimeout(() => {
            events.push('drain');
            drainCb?.();
          }, 10);
          return false;
        }
        return true;
      };
      raw.onDrain = (cb) => {
        drainCb = cb;
      };
      reply.send(Readable.from(['1', '2', '3']));
    });
    const res = await app.inject('/');
    expect(res.body).toBe('123');
    expect(events).toEqual(['write 1', 'drain', 'write 2', 'write 3']);
  });

  it('sending twice logs FST_ERR_REP_ALREADY_SENT and keeps the first payload', async () => {
    const lines: { msg?: string; err?: { code?: string } }[] = [];
    const stream = new Writable({
      write(c, e, cb) {
        for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    const app = createApp({ logger: pino({ level: 'warn' }, stream) });
    app.get('/', (req, reply) => {
      reply.send('first');
      reply.send('second');
    });
    app.get('/return', async (req, reply) => {
      reply.send('sent');
      return 'returned';
    });
    expect((await app.inject('/')).body).toBe('first');
    expect((await app.inject('/return')).body).toBe('sent');
    await new Promise((r) => setImmediate(r));
    expect(lines.filter((l) => l.err?.code === 'FST_ERR_REP_ALREADY_SENT')).toHaveLength(2);
  });

  it('HEAD answers carry the GET headers and no body, for streams too', async () => {
    const app = createApp();
    app.get('/stream', (req, reply) => reply.send(Readable.from(['abc'])));
    app.get('/custom-length', (req, reply) => reply.header('content-length', 99).send('x'));
    const res = await app.inject({ method: 'HEAD', url: '/stream' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers['content-type']).toBeUndefined();
    const custom = await app.inject({ method: 'HEAD', url: '/custom-length' });
    expect(custom.headers['content-length']).toBe('99');
  });

  it('setReplySerializer and the route serializer replace JSON.stringify', async () => {
    const app = createApp();
    app.setReplySerializer((p) => `scope:${JSON.stringify(p)}`);
    app.get('/scope', () => ({ a: 1 }));
    app.get('/route', { serializer: () => 'route' }, () => ({ a: 1 }));
    expect((await app.inject('/scope')).body).toBe('scope:{"a":1}');
    expect((await app.inject('/route')).body).toBe('route');
  });

  it('reply.send(error) goes to the error handler', async () => {
    const app = createApp();
    app.get('/', (req, reply) => reply.send(Object.assign(new Error('nope'), { statusCode: 409 })));
    const res = await app.inject('/');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ statusCode: 409, error: 'Conflict', message: 'nope' });
  });
});

describe('reply with web streams', () => {
  it('pipes a web ReadableStream', async () => {
    const app = createApp();
    app.get('/', (req, reply) =>
      reply.type('text/plain').send(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('web '));
            c.enqueue(new TextEncoder().encode('stream'));
            c.close();
          },
        }),
      ),
    );
    const res = await app.inject('/');
    expect(res.body).toBe('web stream');
  });
});
