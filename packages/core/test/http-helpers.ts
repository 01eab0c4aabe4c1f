/**
 * Helpers for the HTTP transport tests: a transport per backend on
 * 127.0.0.1:0, and a raw node:net client for exact bytes (malformed input,
 * pipelining, split writes) with bounded waits.
 */
import net from 'node:net';
import { afterEach } from 'vitest';
import { createHttpTransport } from '../src/index.js';
import { backends } from './helpers.js';
import type { BackendName, HttpLimits, HttpRequestHandler, HttpTransport } from '../src/index.js';

export interface BackendCase {
  name: BackendName;
  /** Why this backend's tests are skipped, or null. */
  skip: string | null;
}

export function httpBackends(): BackendCase[] {
  const all = backends();
  for (const b of all) if (b.skip) console.warn(`\n*** ${b.name} HTTP tests SKIPPED: ${b.skip}\n`);
  return all;
}

/** The backends whose WebSocket engine the WebSocket tests run on: every HTTP backend (native engine; node over the ws package). */
export function websocketBackends(): BackendCase[] {
  return httpBackends();
}

export function title(c: BackendCase): string {
  return c.skip ? `${c.name} (SKIPPED: ${c.skip})` : c.name;
}

export async function startHttp(
  backend: BackendName,
  onRequest: HttpRequestHandler,
  limits: Partial<HttpLimits> = {},
): Promise<{ transport: HttpTransport; port: number }> {
  const transport = createHttpTransport({ backend, onRequest, limits, log: false });
  const addr = await transport.listen({ port: 0, host: '127.0.0.1' });
  return { transport, port: addr.port };
}

/**
 * A transport per test, closed after it: `const start = httpServerPerTest(backend)`, then
 * `const port = await start()` (or `start(handler, limits)`) inside a test.
 */
export function httpServerPerTest(backend: { name: BackendName }): (onRequest?: HttpRequestHandler, limits?: Partial<HttpLimits>) => Promise<number> {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  return async (onRequest = testHandler, limits = {}) => {
    const s = await startHttp(backend.name, onRequest, limits);
    transport = s.transport;
    return s.port;
  };
}

/** A raw client: send bytes, read until the server closes or `until` matches, within `ms`. */
export class RawClient {
  readonly socket: net.Socket;
  data = '';
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.data += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Wait until `cond(data)` holds or the socket closes; throws after `ms`. */
  async until(cond: (data: string) => boolean, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!cond(this.data)) {
      if (this.closed) return this.data;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms; received so far: ${JSON.stringify(this.data.slice(0, 500))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.data;
  }

  /** Wait for the server to close the connection; throws after `ms`. */
  async closedWithin(ms = 5000): Promise<string> {
    await this.until(() => false, ms).catch((e) => {
      if (!this.closed) throw e;
    });
    return this.data;
  }

  /** Count complete responses by status lines. */
  statuses(): number[] {
    return [...this.data.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Responses in `data`, split by framing (Content-Length only). */
export function parseResponses(data: string): { status: number; headers: Record<string, string>; body: string }[] {
  const out: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = data;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] ?? 0);
    out.push({ status, headers, body: rest.slice(end + 4, end + 4 + len) });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}

export const GET = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

/** A handler most transport tests share: /echo returns the body, /delay/N answers after N ms, anything else "METHOD URL". */
export const testHandler: HttpRequestHandler = (req, res) => {
  if (req.url.startsWith('/echo')) {
    const chunks: Buffer[] = [];
    req.readBody(
      (c) => chunks.push(c),
      () => res.send(200, { 'content-type': 'text/plain' }, Buffer.concat(chunks)),
      () => {},
    );
    return;
  }
  if (req.hasBody) req.discardBody();
  const delay = /^\/delay\/(\d+)/.exec(req.url);
  if (delay) {
    setTimeout(() => {
      if (!res.aborted) res.send(200, { 'content-type': 'text/plain' }, req.url);
    }, Number(delay[1]));
    return;
  }
  res.send(200, { 'content-type': 'text/plain' }, `${req.method} ${req.url}`);
};
