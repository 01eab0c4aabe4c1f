/**
 * Apps over real sockets on every backend, for the tests of request.raw,
 * reply.raw and hijack: one describe block per backend (a backend that
 * cannot run here is listed, skipped, with the reason), apps on 127.0.0.1:0
 * closed after each test, and a raw node:net client with bounded waits.
 */
import net from 'node:net';
import { afterEach, describe } from 'vitest';
import { epollUnavailableReason, ioUringUnavailableReason, type BackendName } from '@ringside/core';
import { createApp, type App } from '../src/index.js';

type AppOptions = Parameters<typeof createApp>[0];

export function describeAppBackends(feature: string, body: (backend: BackendName) => void): void {
  const cases: { name: BackendName; skip: string | null }[] = [
    { name: 'io_uring', skip: ioUringUnavailableReason().why || null },
    { name: 'epoll', skip: epollUnavailableReason().why || null },
    { name: 'node', skip: null },
  ];
  for (const c of cases) {
    if (c.skip) console.warn(`\n*** ${feature} on ${c.name} SKIPPED: ${c.skip}\n`);
    describe.skipIf(c.skip !== null)(`${feature}: ${c.name}${c.skip ? ` (SKIPPED: ${c.skip})` : ''}`, () => body(c.name));
  }
}

/** `start(backend, build, options)` → the port of an app listening on 127.0.0.1; every app is closed after each test. */
export function useApps(): (backend: BackendName, build: (app: App) => void, options?: AppOptions) => Promise<number> {
  const apps: App[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close({ timeout: 1000 })));
  });
  return async (backend, build, options = {}) => {
    const app = createApp({ ...options, backend });
    apps.push(app);
    build(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.address()!.port;
  };
}

/** Send raw bytes on one connection; resolves with what came back once `until` matches or the server closes. */
export function rawExchange(port: number, bytes: string | Buffer, until: (s: string) => boolean, ms = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timeout; got ${JSON.stringify(data.slice(0, 500))}`));
    }, ms);
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(data);
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      data += d;
      if (until(data)) finish();
    });
    s.on('close', finish);
    s.on('error', () => {});
    s.write(bytes);
  });
}

/** Poll `cond` every 5 ms until true; fails after `ms`. */
export async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The body of a chunked HTTP/1.1 message and its trailer section. */
export function dechunk(message: string): { head: string; body: string; trailers: string } {
  const split = message.indexOf('\r\n\r\n');
  const head = message.slice(0, split);
  let rest = message.slice(split + 4);
  let body = '';
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    rest = rest.slice(eol + 2);
    if (size === 0) break;
    body += rest.slice(0, size);
    rest = rest.slice(size + 2);
  }
  return { head, body, trailers: rest };
}
