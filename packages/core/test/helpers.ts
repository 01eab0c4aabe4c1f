/**
 * Helpers for the TCP contract suite: the backends to run against (with a
 * loud skip reason when io_uring cannot run here), servers on 127.0.0.1:0
 * that are always closed, a raw node:net client with bounded waits, fd
 * counting and polling.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe } from 'vitest';
import { createTcpServer, epollUnavailableReason, ioUringUnavailableReason } from '../src/index.js';
import type { BackendName, TcpConnection, TcpServer, TcpServerOptions } from '../src/index.js';

export interface BackendCase {
  name: BackendName;
  /** Why this backend's tests are skipped here, or null. */
  skip: string | null;
}

/** Every backend, io_uring first; a native one carries the reason it cannot run here, if any. */
export function backends(): BackendCase[] {
  return [
    { name: 'io_uring', skip: ioUringUnavailableReason().why || null },
    { name: 'epoll', skip: epollUnavailableReason().why || null },
    { name: 'node', skip: null },
  ];
}

/** The describe/it title of a backend case: the skip reason is part of it. */
export function title(c: BackendCase): string {
  return c.skip ? `${c.name} (SKIPPED: ${c.skip})` : c.name;
}

/**
 * One describe block per backend (or per backend in `only`). A backend that
 * cannot run here is still listed, skipped, with the reason in its title, and
 * the reason is printed, so a skip is never silent.
 */
export function describeBackends(feature: string, body: (backend: BackendName) => void, only?: readonly BackendName[]): void {
  for (const c of backends()) {
    if (only && !only.includes(c.name)) continue;
    if (c.skip) console.warn(`\n*** ${feature} on ${c.name} SKIPPED: ${c.skip}\n`);
    describe.skipIf(c.skip !== null)(`${feature}: ${title(c)}`, () => body(c.name));
  }
}

/**
 * Servers for one describe block: `start()` creates and listens on
 * 127.0.0.1:0; every server started is force-closed after each test.
 */
export function useServers(): (backend: BackendName, options?: TcpServerOptions) => Promise<{ server: TcpServer; port: number }> {
  const started: TcpServer[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close({ force: true })));
  });
  return async (backend, options = {}) => {
    const server = createTcpServer({ log: false, ...options, backend });
    started.push(server);
    const addr = await server.listen({ port: 0, host: '127.0.0.1' });
    return { server, port: addr.port };
  };
}

/** Echo with back-pressure: pause reading while the connection's queue is full. */
export const echo: TcpServerOptions = {
  onData(conn: TcpConnection, data: Buffer) {
    if (!conn.write(data)) conn.pause();
  },
  onDrain(conn: TcpConnection) {
    conn.resume();
  },
};

/**
 * Factor for RSS bounds: under the sanitized addon (scripts/test-sanitized.sh)
 * ASan's quarantine, redzones and shadow memory inflate RSS several times over.
 */
export const RSS_BOUND_FACTOR = process.env.RINGSIDE_SANITIZED ? 4 : 1;

/** Why `tool` cannot be run here (`tool --version` fails), or null. */
export function missingTool(tool: string): string | null {
  try {
    execFileSync(tool, ['--version'], { stdio: 'pipe' });
    return null;
  } catch {
    return `${tool} not found`;
  }
}

export interface ChildResult {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
  ms: number;
}

/** Run `node <script> [...args]` with `env` added to this process's; SIGKILLed after `ms`. */
export function runNodeChild(script: string, args: string[], env: NodeJS.ProcessEnv, ms: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, out, err, ms: Date.now() - t0 });
    });
  });
}

/** Open fds of this process (Linux), or -1 where /proc is missing. */
export function countFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/** The soft limit on open fds (Linux /proc/self/limits), or Infinity where unknown. */
export function fdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : Infinity;
  } catch {
    return Infinity;
  }
}

/** Poll `cond` every few ms; throws `what` after `ms`. */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A raw TCP client collecting every byte it receives, with bounded waits. */
export class TcpClient {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  received = 0;
  ended = false;
  closed = false;
  error: Error | null = null;
  private waiters: (() => void)[] = [];

  private constructor(
    socket: net.Socket,
    readonly keep: boolean,
  ) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      if (keep) this.chunks.push(d);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', (e) => {
      this.error = e;
      this.wake();
    });
  }

  /** Connect to 127.0.0.1:port. `keep: false` counts bytes without keeping them. */
  static connect(port: number, opts: { keep?: boolean; allowHalfOpen?: boolean } = {}): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: opts.allowHalfOpen ?? false });
      s.setNoDelay(true);
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new TcpClient(s, opts.keep ?? true));
      });
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Everything received so far. */
  data(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  send(bytes: string | Uint8Array): boolean {
    return this.socket.write(bytes);
  }

  /** Wait until `cond()` holds; throws after `ms` (with what arrived so far). */
  async until(cond: () => boolean, ms = 5000, what = 'data'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out after ${ms} ms waiting for ${what}; received ${this.received} bytes, ended=${this.ended}, closed=${this.closed}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Wait for `n` bytes in total. */
  bytes(n: number, ms = 5000): Promise<void> {
    return this.until(() => this.received >= n || this.closed, ms, `${n} bytes`).then(() => {
      if (this.received < n) throw new Error(`connection closed after ${this.received} of ${n} bytes`);
    });
  }

  /** Wait for the connection to close (either side). */
  closedWithin(ms = 5000): Promise<void> {
    return this.until(() => this.closed, ms, 'close');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Connect, send `data`, collect bytes until the server closes, `expect` bytes arrived, or `ms` pass. */
export async function exchange(port: number, data: string | Uint8Array, opts: { expect?: number; end?: boolean; ms?: number } = {}): Promise<Buffer> {
  const c = await TcpClient.connect(port);
  try {
    c.send(data);
    if (opts.end) c.socket.end();
    const expect = opts.expect ?? Infinity;
    await c
      .until(() => c.closed || c.received >= expect, opts.ms ?? 5000, `${expect} bytes or close`)
      .catch((e) => {
        if (opts.expect !== undefined) throw e;
      });
    return c.data();
  } finally {
    c.close();
  }
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
