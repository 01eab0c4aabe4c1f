// The native → JS event batch under input that does not fit it, and under
// user code that misbehaves while a batch is dispatched (issue 7, rows 1, 5,
// 6, 10). Run on both backends; the node backend has no batch, so there these
// are plain behaviour checks. Tiny capacities (a batch of 4 records, 16 ring
// buffers of 1 KiB) make every "batch full, resume in the next one" path run;
// the variable is read when this file's first server starts its loop.
process.env.RINGSIDE_TEST_TINY = '1';

import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { createHttpTransport, createTcpServer } from '../src/index.js';
import type { BackendName, HttpTransport, TcpConnection, TcpServer } from '../src/index.js';
import { describeBackends, runNodeChild, TcpClient, waitFor } from './helpers.js';
import { RawClient, testHandler } from './http-helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/throwing-handler.mjs', import.meta.url));

describeBackends('event batch bookkeeping', (backend: BackendName) => {
  const servers: (TcpServer | HttpTransport)[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close({ force: true })));
  });

  async function http(): Promise<number> {
    const t = createHttpTransport({ backend, onRequest: testHandler, log: false });
    servers.push(t);
    return (await t.listen({ port: 0, host: '127.0.0.1' })).port;
  }

  it('300 pipelined GETs and a 20,000-chunk body in one 128 KB write are all answered (a TCP server with 1 MiB buffers on the same loop)', async () => {
    // The TCP server with large buffers shares this thread's loop (it used to size
    // the per-completion reserve, which the body path then overran).
    const tcp = createTcpServer({ backend, log: false, bufferSize: 1024 * 1024, onData: (c, d) => c.write(d) });
    servers.push(tcp);
    await tcp.listen({ port: 0, host: '127.0.0.1' });
    const port = await http();
    const c = await RawClient.connect(port);
    let chunks = '';
    for (let i = 0; i < 20_000; i++) chunks += `1\r\n${String.fromCharCode(97 + (i % 26))}\r\n`;
    const bytes =
      'GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(300) +
      `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`;
    expect(bytes.length).toBeGreaterThan(128_000);
    c.send(bytes);
    await c.closedWithin(10_000);
    const statuses = c.statuses();
    expect(statuses.length).toBe(301);
    expect(statuses.every((s) => s === 200)).toBe(true);
    let body = '';
    for (let i = 0; i < 20_000; i++) body += String.fromCharCode(97 + (i % 26));
    expect(c.data.endsWith(body)).toBe(true);
  }, 20_000);

  it('a TCP read larger than the batch arrives whole and in order, then the FIN', async () => {
    const got: Buffer[] = [];
    let ended = false;
    const tcp = createTcpServer({
      backend,
      log: false,
      bufferSize: 256 * 1024,
      onData: (_c, d) => {
        got.push(d);
      },
      onEnd: (c) => {
        ended = true;
        c.end();
      },
    });
    servers.push(tcp);
    const { port } = await tcp.listen({ port: 0, host: '127.0.0.1' });
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const client = await TcpClient.connect(port);
    client.socket.end(payload);
    await waitFor(() => ended, 10_000, 'END after the data');
    expect(Buffer.concat(got).equals(payload)).toBe(true);
  }, 20_000);

  it('a close raised while JS runs precedes the open that reuses its slot: the new connection keeps its data', async () => {
    // A half-closed connection has no receive armed: destroying it from JS
    // closes it at once when the big write makes JS flush inside the batch.
    // The next client connects from inside that same handler, so its accept
    // is reaped in the same turn and takes the freed slot.
    let sink: TcpConnection | null = null;
    let next: Promise<string> | null = null;
    const echoers = new Set<TcpConnection>();
    const tcp = createTcpServer({
      backend,
      log: false,
      onOpen: (c) => {
        sink ??= c;
      },
      onData: (c, d) => {
        if (c !== sink) {
          echoers.add(c);
          c.write(d);
        }
      },
      onEnd: (c) => {
        if (echoers.has(c)) {
          c.end();
          return;
        }
        next = echoOf(port, 'ping');
        c.destroy();
        sink?.write(Buffer.alloc(300 * 1024));
      },
    });
    servers.push(tcp);
    const { port } = await tcp.listen({ port: 0, host: '127.0.0.1' });
    const sinkClient = await TcpClient.connect(port, { keep: false });
    await waitFor(() => sink !== null, 2000, 'sink open');
    for (let round = 0; round < 10; round++) {
      next = null;
      const a = await TcpClient.connect(port, { allowHalfOpen: true });
      a.socket.end();
      await waitFor(() => next !== null, 3000, `round ${round}: END delivered`);
      expect(await next!).toBe('ping');
      await waitFor(() => a.closed, 3000, `round ${round}: the half-closed connection closed`);
    }
    await waitFor(() => tcp.connections === 1, 3000, 'only the sink left open');
    sinkClient.socket.destroy();
  }, 30_000);

  it('more closes than a batch holds, raised at once while JS runs, all arrive', async () => {
    const held: TcpConnection[] = [];
    let closes = 0;
    const tcp = createTcpServer({
      backend,
      log: false,
      onEnd: (c) => {
        held.push(c);
      }, // keep half-open connections open
      onClose: () => {
        closes++;
      },
      onData: (c) => {
        for (const h of held.splice(0)) h.destroy();
        c.write(Buffer.alloc(300 * 1024)); // JS flushes: every destroy closes inside this batch
      },
    });
    servers.push(tcp);
    const { port } = await tcp.listen({ port: 0, host: '127.0.0.1' });
    const halves = await Promise.all(Array.from({ length: 40 }, () => TcpClient.connect(port, { allowHalfOpen: true })));
    for (const h of halves) h.socket.end();
    await waitFor(() => held.length === 40, 5000, '40 half-closed connections held');
    const trigger = await TcpClient.connect(port, { keep: false });
    trigger.socket.write('go');
    await waitFor(() => closes === 40, 5000, `40 closes reported (got ${closes})`);
    await waitFor(() => halves.every((h) => h.closed), 5000, 'every half-closed client closed');
    expect(tcp.connections).toBe(1);
    trigger.socket.destroy();
  }, 20_000);

  it('a handler that throws while a batch is dispatched loses no other event of it', async () => {
    const r = await runNodeChild(fixture, [], { RINGSIDE_BACKEND: backend }, 15_000);
    expect(r.code, `stderr: ${r.err}`).toBe(0);
    const report = JSON.parse(r.out.trim()) as { backend: string; echoed: number; clients: number; thrown: number; closed: boolean };
    expect(report.backend).toBe(backend);
    expect(report.thrown).toBeGreaterThan(0);
    expect(report.echoed).toBe(report.clients);
    expect(report.closed).toBe(true);
  }, 20_000);

  it('maxHeaders above what a batch can carry is refused at start-up, not spun on', () => {
    expect(() => createHttpTransport({ backend, onRequest: testHandler, log: false, limits: { maxHeaders: 70_000 } })).toThrow(
      /maxHeaders" must be at most 16384/,
    );
  });
});

/** Connect, send `msg`, and resolve with what comes back within 2 s, then close. */
function echoOf(port: number, msg: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    let got = '';
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 2000);
    s.setEncoding('latin1');
    s.on('error', done);
    s.on('data', (d: string) => {
      got += d;
      if (got.length >= msg.length) done();
    });
    s.write(msg);
  });
}
