/**
 * @fastify/websocket 11: the real plugin on fastify, and the same app on
 * Ringside, where `register()` serves the plugin (recognised by its
 * fastify-plugin name) with the built-in equivalent: the real plugin needs
 * node:http's 'upgrade' event and a net.Socket, which the native backends do
 * not have. Both listen on 127.0.0.1 and the same `ws` client session runs
 * against each; the transcripts (messages, protocols, extensions, refusals,
 * close codes) must be equal. inject() cannot carry a WebSocket, so Ringside
 * is reached over sockets only, on every backend with a WebSocket engine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import WebSocket from 'ws';
import websocket from '@fastify/websocket';
import { createApp } from '@ringside/http';
import { websocketBackends, title } from '../../packages/core/test/http-helpers.js';

const build = async (app: any): Promise<void> => {
  await app.register(websocket, { options: { maxPayload: 1000, perMessageDeflate: true } });
  app.addHook('onRequest', async (req: any, reply: any) => {
    if (req.headers['x-deny']) return reply.code(401).send({ denied: true });
  });
  app.get('/echo', { websocket: true }, (socket: any, req: any) => {
    socket.send(`welcome ws=${req.ws} protocol=${socket.protocol} open=${socket.readyState === socket.OPEN}`);
    socket.on('message', (data: Buffer, isBinary: boolean) => socket.send(isBinary ? data : `echo: ${data}`, { binary: isBinary }));
  });
  app.get('/both', {
    handler: (req: any) => ({ http: true, ws: req.ws }),
    wsHandler: (socket: any) => socket.send('ws side'),
  });
  app.get('/broadcast', { websocket: true }, function (this: any, socket: any) {
    socket.on('message', (data: Buffer) => {
      for (const client of this.websocketServer.clients) client.send(`all: ${data}`);
    });
  });
  app.get('/closer', { websocket: true }, (socket: any) => {
    socket.on('message', (data: Buffer) => socket.close(4000, `closing on ${data}`));
  });
  app.get('/async-error', { websocket: true }, async () => {
    throw new Error('the handler failed');
  });
};

/** A client: its upgrade answer or refusal, then everything it receives, as lines. */
class Client {
  readonly lines: string[] = [];
  readonly ws: WebSocket;
  private readonly done: Promise<void>;

  constructor(url: string, protocols?: string[], headers?: Record<string, string>) {
    this.ws = new WebSocket(url, protocols, { headers });
    this.done = new Promise((resolve) => {
      this.ws.on('open', () => this.lines.push(`open protocol=${this.ws.protocol} extensions=${this.ws.extensions}`));
      this.ws.on('unexpected-response', (_req, res) => {
        this.lines.push(`refused ${res.statusCode}`);
        resolve();
      });
      this.ws.on('message', (data: Buffer, isBinary) => this.lines.push(isBinary ? `binary ${[...data].join(',')}` : `text ${data}`));
      this.ws.on('close', (code, reason) => {
        this.lines.push(`close ${code} ${reason}`);
        resolve();
      });
      this.ws.on('error', () => {});
    });
  }

  async receive(count: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.lines.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }

  async closed(): Promise<string[]> {
    await Promise.race([this.done, new Promise((r) => setTimeout(r, 10_000))]);
    return this.lines;
  }
}

/** The same session against a server at `base` (http://host:port); returns the transcript. */
async function session(base: string): Promise<Record<string, unknown>> {
  const ws = base.replace('http', 'ws');
  const out: Record<string, unknown> = {};

  const echo = new Client(`${ws}/echo`, ['p1', 'p2']);
  await echo.receive(2);
  echo.ws.send('hi');
  await echo.receive(3);
  echo.ws.send(Buffer.from([1, 2, 3]));
  await echo.receive(4);
  echo.ws.send('x'.repeat(1001)); // past maxPayload
  out.echo = await echo.closed();

  out.plainGet = (await fetch(`${base}/echo`)).status;
  const both = await fetch(`${base}/both`);
  out.bothHttp = [both.status, await both.json()];
  const bothWs = new Client(`${ws}/both`);
  await bothWs.receive(2);
  bothWs.ws.close();
  out.bothWs = await bothWs.closed();

  out.denied = await new Client(`${ws}/echo`, undefined, { 'x-deny': '1' }).closed();

  const a = new Client(`${ws}/broadcast`);
  const b = new Client(`${ws}/broadcast`);
  await Promise.all([a.receive(1), b.receive(1)]);
  a.ws.send('news');
  await Promise.all([a.receive(2), b.receive(2)]);
  a.ws.close(1000);
  b.ws.close(1000);
  out.broadcast = [await a.closed(), await b.closed()];

  const closer = new Client(`${ws}/closer`);
  await closer.receive(1);
  closer.ws.send('request');
  out.closer = await closer.closed();

  out.asyncError = await new Client(`${ws}/async-error`).closed();
  return out;
}

for (const b of websocketBackends()) {
  describe.skipIf(b.skip !== null)(`@fastify/websocket: ringside on ${title(b)}`, () => {
    const open: { close(): Promise<unknown> }[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((a) => a.close()));
    });

    it('gives the same session as on fastify', async () => {
      const f = Fastify({ logger: false });
      open.push(f);
      await build(f);
      const fastifyBase = await f.listen({ port: 0, host: '127.0.0.1' });
      const r = createApp({ backend: b.name });
      open.push(r);
      await build(r);
      const ringsideBase = await r.listen({ port: 0, host: '127.0.0.1' });
      const expected = await session(fastifyBase);
      // The transcript is rich enough to compare: refusals, both close codes, every message.
      expect(expected).toMatchObject({ plainGet: 404, denied: ['refused 401'], bothHttp: [200, { http: true, ws: false }] });
      expect((expected.echo as string[]).at(-1)).toMatch(/^close 1009/);
      expect(await session(ringsideBase)).toEqual(expected);
    });
  });
}
