/**
 * Hostile WebSocket clients on every backend: a client that floods pings
 * and never reads, one that declares a gigantic frame, one that never
 * answers the closing handshake, and one that sends garbage after its
 * upgrade. The answer is always a close (with the right code) and bounded
 * memory, and the server goes on serving others.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startHttp, title, websocketBackends, GET } from './http-helpers.js';
import { connectionSeed, Rand } from './fuzz-helpers.js';
import type { HttpTransport, RawWebSocket, WebSocketAccept } from '../src/index.js';

const HANDSHAKE = GET('/', 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n');

/** A masked client frame with any header bits and a declared length (the payload may be shorter). */
function rawFrame(first: number, payload: Buffer, declared = payload.length): Buffer {
  const mask = [9, 8, 7, 6];
  let head: number[];
  if (declared < 126) head = [first, 0x80 | declared];
  else if (declared < 65536) head = [first, 0x80 | 126, declared >> 8, declared & 255];
  else {
    head = [first, 0x80 | 127];
    for (let i = 7; i >= 0; i--) head.push(Math.floor(declared / 2 ** (8 * i)) & 255);
  }
  return Buffer.concat([Buffer.from(head), Buffer.from(mask), Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
}

interface Upgraded {
  socket: net.Socket;
  /** Bytes the server sent after its 101 head. */
  received: () => Buffer;
  closed: Promise<void>;
}

/** A raw client past the handshake: it reads (unless `read` is false) and keeps what comes after the 101. */
async function upgrade(port: number, read = true): Promise<Upgraded> {
  const socket = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let headEnd = -1;
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('error', () => {});
  const switched = new Promise<void>((resolve, reject) => {
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (headEnd < 0 && (headEnd = buf.indexOf('\r\n\r\n')) >= 0) {
        if (!buf.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) reject(new Error(buf.toString()));
        headEnd += 4;
        if (!read) socket.pause();
        resolve();
      }
    });
    socket.once('close', () => reject(new Error('closed before the 101')));
  });
  socket.write(HANDSHAKE);
  await switched;
  return { socket, received: () => buf.subarray(headEnd), closed };
}

/** The close code of the first close frame in what the server sent (server frames are unmasked). */
function closeCode(bytes: Buffer): number | null {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let len = bytes[at + 1]! & 0x7f;
    let head = 2;
    if (len === 126) {
      len = bytes.readUInt16BE(at + 2);
      head = 4;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(at + 2));
      head = 10;
    }
    if (opcode === 8) return len >= 2 ? bytes.readUInt16BE(at + head) : 1005;
    at += head + len;
  }
  return null;
}

/**
 * Frames a fuzzer makes from valid ones: flipped header bits (RSV, opcode,
 * FIN, mask), lengths that lie, cut frames, random bytes and UTF-8 broken
 * mid-character, in random-sized writes.
 */
function fuzzedFrames(r: Rand): Buffer[] {
  const out: Buffer[] = [];
  for (let i = r.int(1, 12); i > 0; i--) {
    const payload = r.chance(0.5) ? Buffer.from(r.text(r.int(0, 300), 'aé€😀\u0000z'), 'utf8') : r.bytes(r.int(0, 70_000));
    let f = rawFrame(r.pick([0x81, 0x82, 0x01, 0x80, 0x89, 0x8a, 0x88, 0x02]), payload);
    const mutation = r.int(0, 6);
    if (mutation === 1) f[0] = f[0]! ^ (1 << r.int(4, 7));
    else if (mutation === 2) f[0] = (f[0]! & 0xf0) | r.int(0, 15);
    else if (mutation === 3) f[1] = f[1]! ^ 0x80;
    else if (mutation === 4) f = f.subarray(0, r.int(0, f.length));
    else if (mutation === 5 && f.length > 8) f[r.int(6, f.length - 1)] = r.int(0, 255);
    else if (mutation === 6) f = r.bytes(r.int(1, 40));
    out.push(f);
  }
  return out;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

for (const b of websocketBackends()) {
  describe.skipIf(b.skip !== null)(`WebSocket hostile clients: ${title(b)}`, () => {
    const started: HttpTransport[] = [];
    afterEach(async () => {
      await Promise.all(started.splice(0).map((t) => t.close({ force: true })));
    });

    /** An echo server; `sockets` collects the server side of each connection with the code it closed with. */
    async function echo(accept: WebSocketAccept = {}): Promise<{ port: number; sockets: { ws: RawWebSocket; code: number | null }[] }> {
      const sockets: { ws: RawWebSocket; code: number | null }[] = [];
      const s = await startHttp(b.name, (req, res) => {
        if (!req.websocket) return res.send(200, {}, 'plain');
        const entry = { ws: null as unknown as RawWebSocket, code: null as number | null };
        entry.ws = res.upgradeWebSocket(accept, {
          onMessage: (data, isBinary) => entry.ws.send(data, isBinary),
          onDrain() {},
          onClose: (code) => {
            entry.code = code;
          },
        });
        sockets.push(entry);
      });
      started.push(s.transport);
      return { port: s.port, sockets };
    }

    /** Another client still gets its echo. */
    async function stillServes(port: number): Promise<void> {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      ws.send('alive?');
      const reply = await new Promise<string>((r) => ws.once('message', (d: Buffer) => r(d.toString())));
      expect(reply).toBe('alive?');
      ws.terminate();
    }

    it('a client that floods pings and never reads: the server stops reading it, its buffer stays bounded', async () => {
      const maxBackpressure = 64 * 1024;
      const { port, sockets } = await echo({ maxBackpressure });
      const c = await upgrade(port, false);
      const ping = rawFrame(0x89, Buffer.alloc(125, 1));
      const batch = Buffer.concat(Array.from({ length: 256 }, () => ping));
      // Write until the kernel buffers are full both ways (the server no longer reads), bounded in time.
      const deadline = Date.now() + 3000;
      let sent = 0;
      while (Date.now() < deadline && sent < 64 * 1024 * 1024) {
        if (c.socket.write(batch)) sent += batch.length;
        else {
          sent += batch.length;
          const drained = await Promise.race([new Promise((r) => c.socket.once('drain', () => r(true))), new Promise((r) => setTimeout(() => r(false), 300))]);
          if (!drained) break;
        }
      }
      expect(sockets.length).toBe(1);
      const buffered = sockets[0]!.ws.bufferedAmount;
      // Pongs owed beyond the kernel's socket buffers stop at about maxBackpressure (one input buffer's worth more at most).
      expect(buffered).toBeLessThan(maxBackpressure + 256 * 1024);
      expect(sent).toBeGreaterThan(buffered);
      await stillServes(port);
      c.socket.destroy();
    });

    it('a frame declaring 2^40 bytes is refused with 1009 at once', async () => {
      const { port, sockets } = await echo({ maxPayload: 1024 * 1024 });
      const c = await upgrade(port);
      c.socket.write(rawFrame(0x82, Buffer.alloc(16), 2 ** 40));
      await c.closed;
      expect(closeCode(c.received())).toBe(1009);
      await until(() => sockets[0]?.code !== null, 5000, 'onClose');
      expect(sockets[0]!.code).toBe(1009);
      await stillServes(port);
    });

    it('bytes that are not frames (an unmasked frame, then HTTP) fail the connection with 1002', async () => {
      const { port, sockets } = await echo();
      const c = await upgrade(port);
      c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.closed;
      expect(closeCode(c.received())).toBe(1002);
      await until(() => sockets[0]?.code !== null, 5000, 'onClose');
      expect(sockets[0]!.code).toBe(1002);
    });

    it('a client that never answers the closing handshake is closed anyway', async () => {
      const { port, sockets } = await echo();
      const c = await upgrade(port);
      sockets[0]!.ws.close(1000, 'bye');
      // The server waits a while for the peer's close frame, then closes the TCP connection itself.
      await Promise.race([c.closed, new Promise((_, j) => setTimeout(() => j(new Error('still open after 10 s')), 10_000))]);
      expect(closeCode(c.received())).toBe(1000);
      await until(() => sockets[0]?.code !== null, 5000, 'onClose');
    });

    it('seeded frame fuzz: every connection ends or echoes, none crashes the server', async () => {
      const { port } = await echo({ maxPayload: 64 * 1024, compression: {} });
      const seed = 20261130;
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const r = new Rand(connectionSeed(seed, i));
          const c = await upgrade(port);
          for (const f of fuzzedFrames(r)) {
            let at = 0;
            while (at < f.length) {
              const n = r.int(1, 4096);
              c.socket.write(f.subarray(at, at + n));
              at += n;
            }
          }
          // Whatever the server made of it, the connection ends within the close wait (or stays and still echoes).
          c.socket.end();
          await Promise.race([c.closed, new Promise((_, j) => setTimeout(() => j(new Error(`connection ${i} (seed ${seed}) still open`)), 10_000))]);
        }),
      );
      await stillServes(port);
    }, 60_000);

    it('a fragmented message that never ends stays within maxPayload', async () => {
      const { port, sockets } = await echo({ maxPayload: 64 * 1024 });
      const c = await upgrade(port);
      c.socket.write(rawFrame(0x02, Buffer.alloc(1000, 3)));
      for (let i = 0; i < 100; i++) c.socket.write(rawFrame(0x00, Buffer.alloc(1000, 3)));
      await c.closed;
      expect(closeCode(c.received())).toBe(1009);
      await until(() => sockets[0]?.code !== null, 5000, 'onClose');
      expect(sockets[0]!.code).toBe(1009);
    });
  });
}
