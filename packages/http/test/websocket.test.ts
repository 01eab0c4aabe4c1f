/**
 * app.websocket(), app.publish() and @fastify/websocket-style routes, over real
 * sockets with the `ws` client, on every backend with a WebSocket engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { websocketBackends, title } from '../../core/test/http-helpers.js';
import { createApp, plugin, type App } from '../src/index.js';
import { rawExchange } from './app-backends.js';

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(String(data))));
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
}

/** The status of a refused handshake (ws reports it as 'Unexpected server response: N'). */
function refusal(ws: WebSocket): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('opened')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    ws.once('error', () => {});
  });
}

async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const HANDSHAKE = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

for (const b of websocketBackends()) {
  describe.skipIf(b.skip !== null)(`app.websocket: ${title(b)}`, () => {
    const apps: App[] = [];
    const clients: WebSocket[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.terminate();
      await Promise.all(apps.splice(0).map((a) => a.close({ timeout: 1000 })));
    });

    async function start(build: (app: App) => unknown): Promise<{ app: App; url: string }> {
      const app = createApp({ backend: b.name });
      apps.push(app);
      await build(app);
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { app, url: `ws://127.0.0.1:${app.address()!.port}` };
    }

    function connect(url: string, protocols?: string[], options: WebSocket.ClientOptions = {}): WebSocket {
      const ws = new WebSocket(url, protocols, options);
      ws.on('error', () => {});
      clients.push(ws);
      return ws;
    }

    it('echoes, with open, close and userData', async () => {
      const events: string[] = [];
      const { url } = await start((app) =>
        app.websocket<{ name: string }>('/chat/:name', {
          upgrade: (req) => ({ userData: { name: (req.params as { name: string }).name } }),
          open(ws, req) {
            events.push(`open ${ws.userData.name} ${req.url} ${ws.remoteAddress}`);
            ws.send(`hello ${ws.userData.name}`);
          },
          message(ws, data, isBinary) {
            ws.send(isBinary ? data : `echo ${data}`, isBinary);
          },
          close(ws, code, reason) {
            events.push(`close ${ws.userData.name} ${code} ${reason}`);
          },
        }),
      );
      const ws = connect(`${url}/chat/ann`);
      const hello = nextMessage(ws);
      await opened(ws);
      expect(await hello).toBe('hello ann');
      ws.send('hi');
      expect(await nextMessage(ws)).toBe('echo hi');
      const bin = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
      ws.send(Buffer.from([1, 2, 3]));
      expect([...(await bin)]).toEqual([1, 2, 3]);
      ws.close(4000, 'done');
      await until(() => events.length === 2, 5000, 'close');
      expect(events).toEqual(['open ann /chat/ann 127.0.0.1', 'close ann 4000 done']);
    });

    it('runs hooks on the upgrade request and lets them refuse it', async () => {
      const seen: string[] = [];
      const { url } = await start(async (app) => {
        app.addHook('onRequest', async (req) => {
          seen.push(`onRequest ${req.url}`);
        });
        await app.register(async (child) => {
          child.addHook('preValidation', async (req) => void seen.push(`preValidation ${req.url}`));
          child.addHook('preHandler', async (req, reply) => {
            seen.push(`preHandler ${req.url}`);
            if (req.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'no' });
          });
          child.websocket('/private', { message: (ws, d) => ws.send(d) });
        });
        app.websocket('/public', { message: (ws, d) => ws.send(d) });
      });
      const refused = connect(`${url}/private`);
      expect((await refusal(refused)).status).toBe(401);
      const ok = connect(`${url}/private`, undefined, { headers: { authorization: 'Bearer ok' } });
      await opened(ok);
      const pub = connect(`${url}/public`);
      await opened(pub);
      expect(seen).toEqual([
        'onRequest /private',
        'preValidation /private',
        'preHandler /private',
        'onRequest /private',
        'preValidation /private',
        'preHandler /private',
        'onRequest /public',
      ]);
    });

    it('refuses in upgrade(): false is 403, a reply is sent as is, a throw is 500', async () => {
      const { url } = await start((app) => {
        app.websocket('/no', { upgrade: () => false, message: () => {} });
        app.websocket('/teapot', { upgrade: (_req, reply) => void reply.code(418).send('short and stout'), message: () => {} });
        app.websocket('/boom', {
          upgrade: async () => {
            throw new Error('boom');
          },
          message: () => {},
        });
      });
      const no = await refusal(connect(`${url}/no`));
      expect(no.status).toBe(403);
      expect(JSON.parse(no.body).code).toBe('RS_ERR_WS_REFUSED');
      const teapot = await refusal(connect(`${url}/teapot`));
      expect([teapot.status, teapot.body]).toEqual([418, 'short and stout']);
      expect((await refusal(connect(`${url}/boom`))).status).toBe(500);
    });

    it('answers 426 without a WebSocket version 13, 400 for a broken handshake', async () => {
      const { app } = await start((a) => a.websocket('/ws', { message: () => {} }));
      const port = app.address()!.port;
      const plain = await fetch(`http://127.0.0.1:${port}/ws`);
      expect(plain.status).toBe(426);
      expect(plain.headers.get('sec-websocket-version')).toBe('13');
      expect(((await plain.json()) as { code: string }).code).toBe('RS_ERR_WS_UPGRADE_REQUIRED');
      const v8 = await rawExchange(port, HANDSHAKE('/ws', 'Sec-WebSocket-Version: 8\r\n'), (s) => s.includes('}'));
      expect(v8).toMatch(/^HTTP\/1\.1 426 /);
      expect(v8).toMatch(/\r\nsec-websocket-version: 13\r\n/i);
      const badKey = await rawExchange(port, HANDSHAKE('/ws', 'Sec-WebSocket-Version: 13\r\n').replace('dGhlIHNhbXBsZSBub25jZQ==', 'short'), (s) =>
        s.includes('}'),
      );
      expect(badKey).toMatch(/^HTTP\/1\.1 400 /);
      expect(badKey).toContain('RS_ERR_WS_BAD_UPGRADE');
    });

    it('chooses a subprotocol with the protocols option or in upgrade()', async () => {
      const { url } = await start((app) => {
        app.websocket('/a', { message: () => {} }, { protocols: (offered) => offered.find((p) => p.startsWith('v2')) });
        app.websocket('/b', { upgrade: (req) => ({ protocol: String(req.headers['sec-websocket-protocol']).split(',').pop()!.trim() }), message: () => {} });
      });
      const a = connect(`${url}/a`, ['v1', 'v2.json']);
      await opened(a);
      expect(a.protocol).toBe('v2.json');
      const b2 = connect(`${url}/b`, ['x', 'y']);
      await opened(b2);
      expect(b2.protocol).toBe('y');
    });

    it('negotiates permessage-deflate when the route enables it', async () => {
      const { url } = await start((app) => {
        app.websocket('/z', { message: (ws, d) => ws.send(d, false) }, { compression: { threshold: 0 } });
        app.websocket('/plain', { message: (ws, d) => ws.send(d, false) });
      });
      const z = connect(`${url}/z`, undefined, { perMessageDeflate: true });
      await opened(z);
      expect(z.extensions).toContain('permessage-deflate');
      z.send('a'.repeat(5000));
      expect(await nextMessage(z)).toBe('a'.repeat(5000));
      const plain = connect(`${url}/plain`, undefined, { perMessageDeflate: true });
      await opened(plain);
      expect(plain.extensions).toBe('');
    });

    it('closes with 1009 past the route maxPayload', async () => {
      const { url } = await start((app) => app.websocket('/small', { message: () => {} }, { maxPayload: 100 }));
      const ws = connect(`${url}/small`);
      await opened(ws);
      const c = closed(ws);
      ws.send('x'.repeat(101));
      expect((await c).code).toBe(1009);
    });

    it('publishes to topics, from a socket (not to itself) and from the app', async () => {
      let app!: App;
      const { url } = await start((a) => {
        app = a;
        a.websocket('/room', {
          open: (ws) => ws.subscribe('room'),
          message: (ws, data) => ws.publish('room', data, false),
        });
      });
      const members = [connect(`${url}/room`), connect(`${url}/room`), connect(`${url}/room`)];
      await Promise.all(members.map(opened));
      await until(() => app.subscriberCount('room') === 3, 5000, 'three subscribers');
      const got = members.map(() => [] as string[]);
      members.forEach((m, i) => {
        m.on('message', (d) => got[i]!.push(String(d)));
      });
      members[2]!.send('from 2');
      await until(() => got[0]!.length === 1 && got[1]!.length === 1, 5000, 'the others');
      app.publish('room', 'from the app');
      await until(() => got.every((g) => g.includes('from the app')), 5000, 'everyone');
      expect(got).toEqual([['from 2', 'from the app'], ['from 2', 'from the app'], ['from the app']]);
      expect(app.subscriberCount('nobody')).toBe(0);
    });

    it('calls drain after send() returned false', async () => {
      let drained = 0;
      let refusedAt = -1;
      const { url } = await start((app) =>
        app.websocket(
          '/flood',
          {
            message(ws) {
              const chunk = Buffer.alloc(16 * 1024);
              for (let i = 0; i < 1000; i++) {
                if (!ws.send(chunk)) {
                  refusedAt = i;
                  break;
                }
              }
            },
            drain: () => drained++,
          },
          { maxBackpressure: 32 * 1024 },
        ),
      );
      const ws = connect(`${url}/flood`);
      await opened(ws);
      ws.send('go');
      await until(() => drained === 1, 10_000, 'drain');
      expect(refusedAt).toBeGreaterThanOrEqual(0);
    });

    it('logs a throwing message handler and closes with 1011', async () => {
      const { url } = await start((app) =>
        app.websocket('/bad', {
          message() {
            throw new Error('handler bug');
          },
        }),
      );
      const ws = connect(`${url}/bad`);
      await opened(ws);
      const c = closed(ws);
      ws.send('x');
      expect((await c).code).toBe(1011);
    });

    it('serves { websocket: true } routes with a ws-like socket (as @fastify/websocket)', async () => {
      const { url } = await start((app) => {
        app.get('/fws', { websocket: true }, (socket, req) => {
          expect(socket.readyState).toBe(socket.OPEN);
          socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(`${req.url}: ${data} ${isBinary}`));
        });
      });
      const ws = connect(`${url}/fws`);
      await opened(ws);
      ws.send('hey');
      expect(await nextMessage(ws)).toBe('/fws: hey false');
      const port = new URL(url).port;
      expect((await fetch(`http://127.0.0.1:${port}/fws`)).status).toBe(404);
    });

    it('a graceful close sends 1001 to open sockets', async () => {
      const { app, url } = await start((a) => a.websocket('/x', { message: () => {} }));
      const ws = connect(`${url}/x`);
      await opened(ws);
      const c = closed(ws);
      await app.close();
      expect((await c).code).toBe(1001);
    });

    it('keeps routes without WebSocket unchanged and inject() refuses to upgrade', async () => {
      const { app } = await start((a) => {
        a.get('/', () => 'plain');
        a.websocket('/ws', { message: () => {} });
      });
      expect((await app.inject('/')).body).toBe('plain');
      expect((await app.inject('/ws')).statusCode).toBe(426);
    });
  });
}

describe('app.websocket options', () => {
  it('refuses handlers without message()', () => {
    const app = createApp();
    expect(() => app.websocket('/x', {} as never)).toThrow(/message/);
    expect(() => app.websocket('/x', { message: () => {}, open: 1 } as never)).toThrow(/"open"/);
  });

  it('substitutes the built-in @fastify/websocket by name', async () => {
    const fake = plugin(
      () => {
        throw new Error('the real plugin must not run');
      },
      { name: '@fastify/websocket' },
    );
    const app = createApp();
    await app.register(fake as never);
    expect(app.hasDecorator('websocketServer')).toBe(true);
    expect(app.hasPlugin('@fastify/websocket')).toBe(true);
  });
});
