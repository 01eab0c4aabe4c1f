/**
 * listen({ closeOnSignals, workers }) in a real process on every backend:
 * SIGTERM drains (requests on open keep-alive connections are still served,
 * with Connection: close; new connections are refused; the process exits 0),
 * readiness turns 503 the moment draining starts, worker threads share the
 * port, a crashed worker is restarted, and close() drains every worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { epollUnavailableReason, ioUringUnavailableReason, type BackendName } from '@ringside/core';
import { createApp } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/graceful-server.mjs', import.meta.url));
const [nodeMajor = 0, nodeMinor = 0] = process.versions.node.split('.').map(Number);
const nodeSharesPort = nodeMajor > 23 || (nodeMajor === 23 && nodeMinor >= 1) || (nodeMajor === 22 && nodeMinor >= 12);

const cases: { name: BackendName; skip: string | null; workersSkip: string | null }[] = [
  { name: 'io_uring', skip: ioUringUnavailableReason().why || null, workersSkip: null },
  { name: 'epoll', skip: epollUnavailableReason().why || null, workersSkip: null },
  { name: 'node', skip: null, workersSkip: nodeSharesPort ? null : `node:net shares a port (SO_REUSEPORT) from Node 22.12; this is ${process.version}` },
];

interface Server {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function startServer(backend: BackendName, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [FIXTURE], { env: { ...process.env, BACKEND: backend, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const started = await new Promise<{ port: number }>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(JSON.parse(String(d))));
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${err}`)));
    setTimeout(() => reject(new Error(`server did not start in 10 s: ${err}`)), 10_000);
  });
  return { child, port: started.port, stderr: () => err, exited };
}

/** One keep-alive connection: request() sends a GET and resolves with the raw response once complete. */
class Conn {
  private data = '';
  private waiter: (() => void) | null = null;
  closed = false;
  private constructor(private readonly s: net.Socket) {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      this.data += d;
      this.waiter?.();
    });
    s.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    s.on('error', () => {});
  }
  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  async request(path: string, ms = 5000): Promise<{ status: number; connection: string | undefined; body: string }> {
    this.data = '';
    this.s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const end = Date.now() + ms;
    for (;;) {
      const m = /^HTTP\/1\.1 (\d+)[\s\S]*?\r\n\r\n/.exec(this.data);
      const len = m ? Number(/content-length: *(\d+)/i.exec(m[0])?.[1] ?? 0) : 0;
      if (m && this.data.length >= m[0].length + len) {
        return {
          status: Number(m[1]),
          connection: /\r\nconnection: *([^\r]+)/i.exec(m[0])?.[1]?.toLowerCase(),
          body: this.data.slice(m[0].length, m[0].length + len),
        };
      }
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.data)}`);
      if (Date.now() > end) throw new Error(`no response in ${ms} ms; got ${JSON.stringify(this.data)}`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
  }
  async closedWithin(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > end) throw new Error(`still open after ${ms} ms`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 50);
      });
    }
  }
}

const refused = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });

for (const c of cases) {
  if (c.skip) console.warn(`\n*** graceful tests on ${c.name} SKIPPED: ${c.skip}\n`);
  describe.skipIf(c.skip !== null)(`graceful: ${c.name}${c.skip ? ` (SKIPPED: ${c.skip})` : ''}`, () => {
    it('SIGTERM drains: open connections are served with Connection: close, readiness is 503, new connections are refused, exit 0', async () => {
      const server = await startServer(c.name, { IDLE_GRACE: '20000' });
      const a = await Conn.open(server.port);
      const b = await Conn.open(server.port);
      expect(await a.request('/readyz')).toMatchObject({ status: 200, body: 'ready' });
      expect((await b.request('/')).status).toBe(200);
      server.child.kill('SIGTERM');
      // Until the listener is gone; then the pooled connections still carry requests.
      for (let i = 0; i < 100 && !(await refused(server.port)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(await refused(server.port)).toBe(true);
      // The fixture sets return503OnClosing: false; its own readiness route says 503.
      expect(await a.request('/readyz')).toMatchObject({ status: 503, connection: 'close', body: 'draining' });
      expect(await b.request('/slow')).toMatchObject({ status: 200, connection: 'close', body: 'slow' });
      await a.closedWithin(5000);
      await b.closedWithin(5000);
      // Both connections are gone: the drain ends long before the 20 s grace.
      expect(await server.exited).toBe(0);
    });

    it.skipIf(c.workersSkip !== null)(
      `workers: 2 share the port, a crashed worker restarts, SIGTERM drains both${c.workersSkip ? ` (SKIPPED: ${c.workersSkip})` : ''}`,
      async () => {
        const server = await startServer(c.name, { WORKERS: '2', IDLE_GRACE: '200' });
        const seen = new Set<string>();
        const askUntil = async (path: string, want: string): Promise<void> => {
          // The kernel's SO_REUSEPORT hash picks the loop per connection; a restarted worker needs a moment to load.
          for (const end = Date.now() + 15_000; Date.now() < end; ) {
            const conn = await Conn.open(server.port).catch(() => null);
            if (!conn) {
              await new Promise((r) => setTimeout(r, 20));
              continue;
            }
            const r = await conn.request(path).catch(() => null);
            conn.closedWithin(0).catch(() => {});
            if (r) seen.add(r.body);
            if (r?.body === want) return;
            await new Promise((res) => setTimeout(res, 10));
          }
          throw new Error(`loop ${want} never answered ${path}; seen ${[...seen]}`);
        };
        await askUntil('/', '0');
        await askUntil('/', '1');
        await askUntil('/crash', '1');
        for (let i = 0; i < 100 && !/worker 1 exited with code 1.*restarting in \d+ ms/s.test(server.stderr()); i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(server.stderr()).toMatch(/worker 1 exited with code 1.*boom in worker.*restarting in 100 ms/s);
        await askUntil('/', '1'); // the restarted worker serves again
        server.child.kill('SIGTERM');
        expect(await server.exited).toBe(0);
      },
    );
  });
}

describe('listen() options workers and closeOnSignals', () => {
  it('refuses bad values with a message that says what to do', async () => {
    const app = createApp();
    await expect(app.listen({ port: 0, workers: 0 })).rejects.toThrow(/"workers" must be 'auto'.*or a positive integer, got 0/);
    await expect(app.listen({ port: 0, closeOnSignals: { grace: 1 } as never })).rejects.toThrow(/Unknown closeOnSignals option "grace"/);
    await expect(app.listen({ port: 0, closeOnSignals: { timeout: -1 } })).rejects.toThrow(/"timeout" must be a number of milliseconds/);
  });
});
