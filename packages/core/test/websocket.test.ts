/**
 * The WebSocket contract of an HttpTransport (req.websocket, res.upgradeWebSocket,
 * publish) on every backend with a WebSocket engine, against the real `ws` client
 * and raw frames over node:net.
 */
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RawClient, startHttp, title, websocketBackends, GET } from './http-helpers.js';
import type { HttpLimits, HttpTransport, RawRequest, RawResponse, RawWebSocket, WebSocketAccept, WebSocketEvents, WebSocketOffer } from '../src/index.js';

interface Seen {
  messages: { data: Buffer; isBinary: boolean }[];
  pings: Buffer[];
  pongs: Buffer[];
  drains: number;
  closed: Promise<{ code: number; reason: string }>;
}

/** A server socket's events, recorded; `react` answers messages (default: echo). */
function recorder(react?: (ws: RawWebSocket, data: Buffer, isBinary: boolean) => void): { seen: Seen; events: (ws: () => RawWebSocket) => WebSocketEvents } {
  let onClosed!: (v: { code: number; reason: string }) => void;
  const seen: Seen = { messages: [], pings: [], pongs: [], drains: 0, closed: new Promise((r) => (onClosed = r)) };
  return {
    seen,
    events: (ws) => ({
      onMessage(data, isBinary) {
        seen.messages.push({ data, isBinary });
        (react ?? ((w, d, b) => w.send(d, b)))(ws(), data, isBinary);
      },
      onDrain: () => seen.drains++,
      onPing: (d) => seen.pings.push(d),
      onPong: (d) => seen.pongs.push(d),
      onClose: (code, reason) => onClosed({ code, reason: reason.toString() }),
    }),
  };
}

/** Wait for `cond`, polling, within `ms`. */
async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

function closedClient(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, isBinary) => resolve({ data, isBinary })));
}

/** A masked client frame (RFC 6455 §5.2). */
function frame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = Buffer.from([1, 2, 3, 4]);
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len]) : Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

const HANDSHAKE = GET('/', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n');

for (const b of websocketBackends()) {
  describe.skipIf(b.skip !== null)(`WebSocket transport: ${title(b)}`, () => {
    /** The last transport started; every one started is closed after the test. */
    let transport: HttpTransport | undefined;
    const started: HttpTransport[] = [];
    const clients: WebSocket[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.terminate();
      await Promise.all(started.splice(0).map((t) => t.close({ force: true })));
      transport = undefined;
    });

    async function start(handler: (req: RawRequest, res: RawResponse) => void, limits: Partial<HttpLimits> = {}): Promise<number> {
      const s = await startHttp(b.name, handler, limits);
      transport = s.transport;
      started.push(s.transport);
      return s.port;
    }

    /** A transport that accepts every offer with `accept` (or per request) and answers other requests 200 'plain'. */
    async function serve(
      accept: WebSocketAccept | ((offer: WebSocketOffer, req: RawRequest) => WebSocketAccept) = {},
      events: (ws: () => RawWebSocket) => WebSocketEvents = recorder().events,
      limits: Partial<HttpLimits> = {},
      onSocket?: (ws: RawWebSocket, req: RawRequest) => void,
    ): Promise<number> {
      const handler = (req: RawRequest, res: RawResponse): void => {
        if (req.websocket === null) {
          res.send(200, { 'content-type': 'text/plain' }, 'plain');
          return;
        }
        let ws!: RawWebSocket;
        ws = res.upgradeWebSocket(
          typeof accept === 'function' ? accept(req.websocket, req) : accept,
          events(() => ws),
        );
        onSocket?.(ws, req);
      };
      return start(handler, limits);
    }

    function client(port: number, protocols?: string | string[], options: WebSocket.ClientOptions = {}): WebSocket {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocols, { perMessageDeflate: false, ...options });
      ws.on('error', () => {});
      clients.push(ws);
      return ws;
    }

    it('echoes text and binary messages', async () => {
      const rec = recorder();
      const port = await serve({}, rec.events);
      const ws = client(port);
      await opened(ws);
      ws.send('héllo');
      const text = await nextMessage(ws);
      expect([text.data.toString(), text.isBinary]).toEqual(['héllo', false]);
      ws.send(Buffer.from([0, 1, 2, 255]));
      const bin = await nextMessage(ws);
      expect([[...bin.data], bin.isBinary]).toEqual([[0, 1, 2, 255], true]);
      expect(rec.seen.messages.map((m) => m.isBinary)).toEqual([false, true]);
    });

    it('reports the offer and serves other requests as before', async () => {
      let offer: WebSocketOffer | null = null;
      const port = await serve((o) => {
        offer = o;
        return { protocol: 'superchat' };
      });
      const ws = client(port, ['chat', 'superchat']);
      await opened(ws);
      expect(offer).toMatchObject({ protocols: ['chat', 'superchat'], extensions: '' });
      expect(ws.protocol).toBe('superchat');
      expect(await (await fetch(`http://127.0.0.1:${port}/x`)).text()).toBe('plain');
    });

    it('joins fragments and answers pings between them', async () => {
      const rec = recorder();
      const port = await serve({}, rec.events);
      const c = await RawClient.connect(port);
      c.send(HANDSHAKE);
      await c.until((d) => d.includes('\r\n\r\n'));
      expect(c.data).toMatch(/^HTTP\/1\.1 101 /);
      expect(c.data).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
      c.send(
        Buffer.concat([frame(1, Buffer.from('hel'), false), frame(9, Buffer.from('p!')), frame(0, Buffer.from('lo '), false), frame(0, Buffer.from('world'))]),
      );
      await until(() => rec.seen.messages.length === 1, 5000, 'the joined message');
      expect(rec.seen.messages[0]!.data.toString()).toBe('hello world');
      expect(rec.seen.pings.map(String)).toEqual(['p!']);
      // The pong (0x8a, 'p!') and the echo (0x81, 11 bytes) came back, unmasked.
      await c.until((d) => d.includes('hello world'));
      expect(c.data).toContain('\x8a\x02p!');
      c.close();
    });

    it('pings and reports pongs', async () => {
      const rec = recorder();
      const port = await serve({}, rec.events, {}, (ws) => ws.ping('are you there'));
      const ws = client(port);
      const pinged = new Promise<Buffer>((r) => ws.once('ping', r));
      await opened(ws);
      expect(String(await pinged)).toBe('are you there');
      await until(() => rec.seen.pongs.length === 1, 5000, 'the pong');
      expect(String(rec.seen.pongs[0])).toBe('are you there');
    });

    it('terminate() at once after accepting: the client still gets the 101, then 1006', async () => {
      const rec = recorder();
      // As @fastify/websocket's default errorHandler does when an async handler fails at once.
      const port = await serve({}, rec.events, {}, (ws) => ws.terminate());
      const ws = client(port);
      let open = false;
      ws.on('open', () => (open = true));
      expect((await closedClient(ws)).code).toBe(1006);
      expect(open).toBe(true);
      expect((await rec.seen.closed).code).toBe(1006);
    });

    it('reports the close code and reason of either side', async () => {
      const rec = recorder((ws, data) => ws.close(4001, `bye ${data}`));
      const port = await serve({}, rec.events);
      const ws = client(port);
      await opened(ws);
      const closed = closedClient(ws);
      ws.send('now');
      expect(await closed).toEqual({ code: 4001, reason: 'bye now' });
      expect(await rec.seen.closed).toEqual({ code: 4001, reason: 'bye now' });

      const rec2 = recorder();
      const port2 = await serve({}, rec2.events);
      const ws2 = client(port2);
      await opened(ws2);
      ws2.close(4002, 'client leaves');
      expect(await rec2.seen.closed).toEqual({ code: 4002, reason: 'client leaves' });
    });

    it('reports 1006 when the connection ends without a close frame', async () => {
      const rec = recorder();
      const port = await serve({}, rec.events);
      const ws = client(port);
      await opened(ws);
      ws.terminate();
      expect((await rec.seen.closed).code).toBe(1006);
    });

    it('answers with the chosen subprotocol, or none', async () => {
      const port = await serve((offer) => ({ protocol: offer.protocols.includes('v2') ? 'v2' : undefined, headers: { 'x-extra': 'yes' } }));
      const ws = client(port, ['v1', 'v2']);
      const upgraded = new Promise<Record<string, unknown>>((r) => ws.once('upgrade', (res) => r(res.headers)));
      await opened(ws);
      expect(ws.protocol).toBe('v2');
      expect((await upgraded)['x-extra']).toBe('yes');
      const ws2 = client(port, ['v1']);
      // The ws client refuses a 101 without any protocol when it offered some: a handshake error.
      await expect(opened(ws2)).rejects.toThrow(/protocol/i);
    });

    it('refuses a protocol the client did not offer', async () => {
      let error: unknown = null;
      const handler = (req: RawRequest, res: RawResponse): void => {
        try {
          res.upgradeWebSocket(
            { protocol: 'nope' },
            recorder().events(() => null as never),
          );
        } catch (e) {
          error = e;
          res.send(400, {}, 'no');
        }
      };
      const ws = client(await start(handler), ['v1']);
      await expect(opened(ws)).rejects.toThrow(/400/);
      expect(String(error)).toMatch(/not offered/);
    });

    it('compresses with permessage-deflate when configured and offered', async () => {
      const big = 'x'.repeat(10_000);
      const port = await serve({ compression: {} }, recorder((ws, d, isBinary) => ws.send(d, isBinary, true)).events);
      const ws = client(port, undefined, { perMessageDeflate: true });
      await opened(ws);
      expect(ws.extensions).toMatch(/^permessage-deflate/);
      const c = await RawClient.connect(port);
      c.send(HANDSHAKE.replace('\r\n\r\n', '\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n'));
      await c.until((d) => d.includes('\r\n\r\n'));
      expect(c.data).toContain('Sec-WebSocket-Extensions: permessage-deflate\r\n');
      // An uncompressed 10 kB text frame in, one compressed frame (FIN + RSV1 + text) of a few bytes out.
      const head = c.data.length;
      c.send(frame(1, Buffer.from(big)));
      await until(() => c.data.length > head + 2, 5000, 'the echo');
      await new Promise((r) => setTimeout(r, 50));
      expect(c.data.charCodeAt(head)).toBe(0xc1);
      expect(c.data.length - head).toBeLessThan(200);
      c.close();
      ws.send(big);
      const received = await nextMessage(ws);
      expect(received.data.toString()).toBe(big);
      const off = await serve({ compression: false });
      const plain = client(off, undefined, { perMessageDeflate: true });
      await opened(plain);
      expect(plain.extensions).toBe('');
    });

    it('closes with 1009 past maxPayload', async () => {
      const rec = recorder();
      const port = await serve({ maxPayload: 1000 }, rec.events);
      const ws = client(port);
      await opened(ws);
      const closed = closedClient(ws);
      ws.send(Buffer.alloc(1001));
      expect((await closed).code).toBe(1009);
      expect((await rec.seen.closed).code).toBe(1009);
      expect(rec.seen.messages).toHaveLength(0);
    });

    it('returns false past maxBackpressure and calls onDrain once the client reads', async () => {
      const rec = recorder();
      let server!: RawWebSocket;
      const port = await serve({ maxBackpressure: 64 * 1024 }, rec.events, {}, (ws) => (server = ws));
      const ws = client(port);
      await opened(ws);
      await until(() => server !== undefined);
      // The client stops reading: the server's output piles up in the kernel, then in the process.
      (ws as unknown as { _socket: net.Socket })._socket.pause();
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      while (server.send(chunk) && sent < 4096) sent++;
      expect(sent).toBeLessThan(4096);
      expect(server.bufferedAmount).toBeGreaterThan(64 * 1024);
      expect(rec.seen.drains).toBe(0);
      let received = 0;
      ws.on('message', () => received++);
      (ws as unknown as { _socket: net.Socket })._socket.resume();
      await until(() => rec.seen.drains === 1, 10_000, 'onDrain');
      expect(server.bufferedAmount).toBeLessThanOrEqual(64 * 1024);
      await until(() => received === sent + 1, 10_000, 'every message');
    });

    it('closes an idle socket with 1001, and a socket that answers pings stays', async () => {
      const rec = recorder();
      const port = await serve({ idleTimeout: 300, sendPings: false }, rec.events);
      const ws = client(port);
      await opened(ws);
      expect((await closedClient(ws)).code).toBe(1001);
      expect((await rec.seen.closed).code).toBe(1001);

      const rec2 = recorder();
      const port2 = await serve({ idleTimeout: 300, sendPings: true }, rec2.events);
      const ws2 = client(port2);
      let pings = 0;
      ws2.on('ping', () => pings++);
      await opened(ws2);
      // The ws client answers each ping: after several idle timeouts it is still open.
      await until(() => pings >= 3, 10_000, 'three pings');
      expect(ws2.readyState).toBe(WebSocket.OPEN);
      expect(rec2.seen.pongs.length).toBeGreaterThanOrEqual(2);
    });

    it('publishes to the subscribers of a topic, without the publisher', async () => {
      const sockets: RawWebSocket[] = [];
      const port = await serve({}, recorder((ws, data) => ws.publish('room', data)).events, {}, (ws, req) => {
        if (!req.url.includes('quiet')) ws.subscribe('room');
        sockets.push(ws);
      });
      const N = 5;
      const members = Array.from({ length: N }, () => client(port));
      const quiet = new WebSocket(`ws://127.0.0.1:${port}/quiet`);
      quiet.on('error', () => {});
      clients.push(quiet);
      await Promise.all([...members, quiet].map(opened));
      await until(() => sockets.length === N + 1);
      expect(transport!.subscriberCount('room')).toBe(N);
      expect(sockets.filter((s) => s.isSubscribed('room'))).toHaveLength(N);
      const got: string[][] = members.map(() => []);
      members.forEach((m, i) => {
        m.on('message', (d) => got[i]!.push(String(d)));
      });
      let quietGot = 0;
      quiet.on('message', () => quietGot++);
      members[0]!.send('from 0');
      await until(() => got.slice(1).every((g) => g.length === 1), 5000, 'the others to receive');
      transport!.publish('room', 'to all');
      await until(() => got.every((g) => g.includes('to all')), 5000, 'everyone to receive');
      expect(got[0]).toEqual(['to all']);
      expect(got[1]).toEqual(['from 0', 'to all']);
      expect(quietGot).toBe(0);
      // Closed sockets leave their topics.
      const gone = closedClient(members[1]!);
      members[1]!.close();
      await gone;
      await until(() => transport!.subscriberCount('room') === N - 1, 5000, 'the unsubscription');
      sockets[0]!.unsubscribe('room');
      expect(transport!.subscriberCount('room')).toBe(N - 2);
    });

    it('skips a subscriber that does not read: publishing does not grow the server without bound', async () => {
      const maxBackpressure = 256 * 1024;
      const sockets: RawWebSocket[] = [];
      const port = await serve({ maxBackpressure }, recorder().events, {}, (ws) => {
        ws.subscribe('feed');
        sockets.push(ws);
      });
      const reader = client(port);
      const stalled = client(port);
      await Promise.all([opened(reader), opened(stalled)]);
      await until(() => sockets.length === 2);
      (stalled as unknown as { _socket: net.Socket })._socket.pause();
      let read = 0;
      reader.on('message', () => read++);
      const message = Buffer.alloc(32 * 1024, 1);
      let peak = 0;
      // 64 MiB published in all, far beyond what the socket buffers hold.
      for (let i = 0; i < 2048; i++) {
        transport!.publish('feed', message);
        peak = Math.max(peak, ...sockets.map((s) => s.bufferedAmount));
        if (i % 64 === 63) await new Promise((r) => setImmediate(r));
      }
      expect(peak).toBeLessThanOrEqual(maxBackpressure + message.length + 64);
      await until(() => read > 0, 5000, 'the reader to get messages');
    });

    it('drops a client that stops reading for sendTimeout, whatever the app keeps sending', async () => {
      const rec = recorder();
      let server!: RawWebSocket;
      const port = await serve({}, rec.events, { sendTimeout: 300 }, (ws) => (server = ws));
      const ws = client(port);
      await opened(ws);
      await until(() => server !== undefined);
      (ws as unknown as { _socket: net.Socket })._socket.pause();
      const chunk = Buffer.alloc(64 * 1024);
      // The app ignores send()'s false; the transport still ends the connection.
      const flood = setInterval(() => {
        for (let i = 0; i < 16 && !server.closed; i++) server.send(chunk);
      }, 20);
      try {
        expect((await rec.seen.closed).code).toBe(1006);
      } finally {
        clearInterval(flood);
      }
      expect(transport!.stats().sendStalls).toBeGreaterThanOrEqual(1);
    });

    it('answers an upgrade the app does not accept, then closes', async () => {
      const port = await start((req, res) => res.send(426, { 'sec-websocket-version': '13' }, req.websocket === null ? 'no offer' : 'offer'));
      const c = await RawClient.connect(port);
      c.send(HANDSHAKE.replace('Version: 13', 'Version: 8'));
      await c.closedWithin();
      expect(c.data).toMatch(/^HTTP\/1\.1 426 /);
      expect(c.data).toMatch(/\r\nconnection: close\r\n/i);
      expect(c.data.endsWith('no offer')).toBe(true);
      const h2c = await RawClient.connect(port);
      h2c.send(GET('/', 'Upgrade: h2c\r\nConnection: Upgrade\r\n'));
      await h2c.closedWithin();
      expect(h2c.data).toMatch(/^HTTP\/1\.1 426 /);
    });

    it('serves the body of an upgrade request the app answers as HTTP', async () => {
      const port = await start((req, res) => {
        const chunks: Buffer[] = [];
        req.readBody(
          (c) => chunks.push(c),
          () => res.send(200, {}, `got ${Buffer.concat(chunks)}`),
          () => {},
        );
      });
      const c = await RawClient.connect(port);
      // curl --http2 -d on an http:// URL: an h2c upgrade offer with a body, sent in two parts.
      c.send(
        'POST /form HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Length: 11\r\n\r\nhello',
      );
      await new Promise((r) => setTimeout(r, 50));
      c.send(' world');
      await c.until((d) => d.includes('got hello world'));
      expect(c.data).toMatch(/^HTTP\/1\.1 200 /);
      c.close();
    });

    it('times out an upgrade the app never answers (requestTimeout)', async () => {
      const c = await RawClient.connect(await start(() => {}, { requestTimeout: 300 }));
      c.send(HANDSHAKE);
      await c.closedWithin(10_000);
      expect(c.data).toMatch(/^HTTP\/1\.1 408 /);
    });

    it('never reads frames sent before the 101 as messages', async () => {
      const rec = recorder();
      let ws: RawWebSocket | null = null;
      const port = await start((req, res) => {
        // Accept later, once the early frame is in.
        setTimeout(
          () =>
            (ws = res.upgradeWebSocket(
              {},
              rec.events(() => ws!),
            )),
          200,
        );
      });
      const c = await RawClient.connect(port);
      c.send(Buffer.concat([Buffer.from(HANDSHAKE, 'latin1'), frame(1, Buffer.from('too early'))]));
      await c.closedWithin();
      expect(c.data).not.toMatch(/^HTTP\/1\.1 101/);
      expect((await rec.seen.closed).code).toBe(1002);
      expect(rec.seen.messages).toHaveLength(0);
    });

    it('closes its sockets with 1001 on a graceful close', async () => {
      const rec = recorder();
      const port = await serve({}, rec.events);
      const ws = client(port);
      await opened(ws);
      const closed = closedClient(ws);
      await transport!.close();
      expect((await closed).code).toBe(1001);
      expect((await rec.seen.closed).code).toBe(1001);
    });
  });
}
