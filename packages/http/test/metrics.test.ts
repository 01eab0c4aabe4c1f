/**
 * The metrics plugin over real sockets on every backend: after a known number
 * of requests a scrape shows exactly those counts (by route and status), a
 * histogram whose buckets add up to them, and the transport's counters;
 * with workers, one scrape shows every loop's counts under its own label.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { epollUnavailableReason } from '@ringside/core';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createApp, metrics } from '../src/index.js';
import { describeAppBackends, rawExchange, useApps } from './app-backends.js';

/** The value of one exposition line `name{labels} value`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const m = /^[^{]+\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...m[1].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[2]);
  }
  return undefined;
}

describeAppBackends('metrics', (backend) => {
  const start = useApps();

  it('counts requests by route and status, observes latency, and shows the transport counters', async () => {
    const port = await start(backend, (app) => {
      app.register(metrics, { path: '/metrics' });
      app.get('/hello', () => 'hello');
      app.get('/items/:id', (req, reply) => ((req.params as { id: string }).id === 'missing' ? reply.code(404).send('no') : 'item'));
      app.post('/echo', { body: 'buffer' }, (req) => req.body ?? '');
    });
    const base = `http://127.0.0.1:${port}`;
    const N = 7;
    for (let i = 0; i < N; i++) await (await request(`${base}/hello`)).body.text();
    for (let i = 0; i < 3; i++) await (await request(`${base}/items/${i}`)).body.text();
    await (await request(`${base}/items/missing`)).body.text();
    await (await request(`${base}/echo`, { method: 'POST', body: 'x'.repeat(1000) })).body.text();
    await (await request(`${base}/nowhere/${Math.random()}`)).body.text();

    const res = await request(`${base}/metrics`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.body.text();
    const w = { worker: '0' };
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/hello', status_code: '200', ...w })).toBe(N);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '200', ...w })).toBe(3);
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '/items/:id', status_code: '404', ...w })).toBe(1);
    expect(sample(text, 'http_requests_total', { method: 'POST', route: '/echo', status_code: '200', ...w })).toBe(1);
    // an unrouted URL is counted under the not-found route's pattern, never as itself
    expect(text).not.toContain('/nowhere/');
    expect(sample(text, 'http_requests_total', { method: 'GET', route: '*', status_code: '404', ...w })).toBe(1);
    // the scrape in progress is not counted yet (onResponse runs after it is sent)
    expect(sample(text, 'http_requests_total', { route: '/metrics' })).toBeUndefined();

    // histogram: cumulative buckets, +Inf and _count equal the requests on the route
    const hello = { method: 'GET', route: '/hello', ...w };
    expect(sample(text, 'http_request_duration_seconds_count', hello)).toBe(N);
    expect(sample(text, 'http_request_duration_seconds_bucket', { ...hello, le: '+Inf' })).toBe(N);
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith('http_request_duration_seconds_bucket{') && l.includes('route="/hello"'))
      .map((l) => Number(l.split(' ').pop()));
    expect(buckets.length).toBe(15);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1]);
    expect(sample(text, 'http_request_duration_seconds_sum', hello)).toBeGreaterThan(0);
    expect(sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/items/:id', ...w })).toBe(4);

    // transport counters of this loop: the POST body alone is 1000 bytes in; the answers went out
    expect(sample(text, 'ringside_info', { backend, ...w })).toBe(1);
    expect(sample(text, 'ringside_connections', w)).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'ringside_connections_accepted_total', w)).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'ringside_bytes_received_total', w)).toBeGreaterThan(1000);
    expect(sample(text, 'ringside_bytes_sent_total', w)).toBeGreaterThan(N * 'hello'.length);

    // the next scrape counts the first one
    const again = await (await request(`${base}/metrics`)).body.text();
    expect(sample(again, 'http_requests_total', { route: '/metrics', status_code: '200', ...w })).toBe(1);
    expect(sample(again, 'http_requests_total', { route: '/hello', status_code: '200', ...w })).toBe(N);
  });

  it('counts a headers timeout and a send stall among the engine counters', async () => {
    const big = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const port = await start(
      backend,
      (app) => {
        app.register(metrics, { path: '/metrics' });
        app.get('/big', (_req, reply) => reply.type('application/octet-stream').send(big));
      },
      { headersTimeout: 300, requestTimeout: 5000, sendTimeout: 500 },
    );
    const scrape = async (): Promise<string> => (await request(`http://127.0.0.1:${port}/metrics`)).body.text();
    const w = { worker: '0' };
    // The loop's counters are shared by the thread's servers: compare with a scrape before.
    const before = await scrape();
    for (const name of [
      'ringside_headers_timeouts_total',
      'ringside_request_timeouts_total',
      'ringside_idle_timeouts_total',
      'ringside_send_stalls_total',
      'ringside_connections_refused_total',
      'ringside_cq_overflows_total',
    ]) {
      expect(sample(before, name, w), name).toBeGreaterThanOrEqual(0);
    }
    const delta = (text: string, name: string): number => sample(text, name, w)! - sample(before, name, w)!;

    // Half a head, never finished: 408 after headersTimeout.
    const answer = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', (d) => d.includes('\r\n\r\n'));
    expect(answer.startsWith('HTTP/1.1 408 ')).toBe(true);

    // A client that never reads an 8 MiB answer: destroyed after sendTimeout.
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.pause();
    s.write('GET /big HTTP/1.1\r\nHost: x\r\n\r\n');
    let text = '';
    for (let i = 0; i < 100; i++) {
      text = await scrape();
      if (delta(text, 'ringside_send_stalls_total') >= 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    s.destroy();
    expect(delta(text, 'ringside_send_stalls_total')).toBe(1);
    expect(delta(text, 'ringside_headers_timeouts_total')).toBe(1);
    expect(delta(text, 'ringside_request_timeouts_total')).toBe(0);
    if (backend === 'node') expect(sample(text, 'ringside_connections_refused_total', w)).toBe(0);
  });

  it('counts an idle keep-alive connection closed after keepAliveTimeout', async () => {
    const port = await start(
      backend,
      (app) => {
        app.register(metrics, { path: '/metrics' });
        app.get('/', () => 'ok');
      },
      { keepAliveTimeout: 300 },
    );
    // Scrapes close their connection (reset), so only the raw client below idles.
    const scrape = async (): Promise<string> => (await request(`http://127.0.0.1:${port}/metrics`, { reset: true })).body.text();
    const w = { worker: '0' };
    const before = await scrape();
    // One request kept alive, then silence: the server closes it (rawExchange resolves on close).
    const got = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', () => false);
    expect(got.startsWith('HTTP/1.1 200 ')).toBe(true);
    const after = await scrape();
    expect(sample(after, 'ringside_idle_timeouts_total', w)! - sample(before, 'ringside_idle_timeouts_total', w)!).toBe(1);
  });
});

describe('metrics plugin', () => {
  it('adds nothing to an app that does not register it', async () => {
    const app = createApp();
    app.get('/', () => 'ok');
    await app.ready();
    expect(app.hasRoute({ method: 'GET', url: '/metrics' })).toBe(false);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
  });

  it('escapes label values and takes its own buckets', async () => {
    const app = createApp();
    await app.register(metrics, { path: '/m', buckets: [0.1, 1] });
    app.get('/a"b\\c', () => 'ok');
    await app.inject({ url: '/a%22b%5Cc' });
    const text = (await app.inject({ url: '/m' })).body;
    expect(text).toContain('route="/a\\"b\\\\c"');
    expect(text).toMatch(/le="0\.1"} \d/);
    expect(text).toMatch(/le="1"} \d/);
    // inject: no transport, so no transport series
    expect(text).not.toContain('ringside_connections');
  });

  it('refuses buckets that are not ascending positive seconds', async () => {
    const app = createApp();
    app.register(metrics, { buckets: [1, 0.5] });
    await expect(app.ready()).rejects.toThrow(/"buckets" must be ascending positive numbers/);
  });
});

// The native engine is enough to show per-loop labels; the node backend shares a port only from Node 22.12.
const workersSkip = epollUnavailableReason().why || null;
if (workersSkip) console.warn(`\n*** metrics with workers SKIPPED: ${workersSkip}\n`);
describe.skipIf(workersSkip !== null)(`metrics with workers: 2${workersSkip ? ` (SKIPPED: ${workersSkip})` : ''}`, () => {
  it('one scrape shows every loop, each labelled with its index, summing to the requests sent', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/metrics-workers.mjs', import.meta.url));
    const child = spawn(process.execPath, [fixture], { env: { ...process.env, BACKEND: 'epoll' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      const { port } = await new Promise<{ port: number }>((resolve, reject) => {
        child.stdout.once('data', (d) => resolve(JSON.parse(String(d))));
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
      });
      // A new connection per request (reset: the kernel spreads connections over the loops), until both loops served some.
      const served = [0, 0];
      for (let i = 0; i < 200 && (i < 20 || served.includes(0)); i++) {
        served[Number(await (await request(`http://127.0.0.1:${port}/`, { reset: true })).body.text())]++;
      }
      expect(
        served.every((n) => n > 0),
        `requests per loop: ${served}`,
      ).toBe(true);
      // Whichever loop takes the scrape (x-worker), it shows both: scrape until each loop has answered one.
      const answeredBy = new Set<string>();
      for (let i = 0; i < 200 && answeredBy.size < 2; i++) {
        const res = await request(`http://127.0.0.1:${port}/metrics`, { reset: true });
        const text = await res.body.text();
        answeredBy.add(String(res.headers['x-worker']));
        const counts = [0, 1].map((w) => sample(text, 'http_requests_total', { route: '/', status_code: '200', worker: String(w) }));
        expect(counts, text).toEqual(served);
        for (const w of [0, 1]) {
          expect(sample(text, 'ringside_info', { backend: 'epoll', worker: String(w) })).toBe(1);
          expect(sample(text, 'ringside_connections_accepted_total', { worker: String(w) })).toBeGreaterThanOrEqual(served[w]);
          expect(sample(text, 'http_request_duration_seconds_count', { route: '/', worker: String(w) })).toBe(served[w]);
        }
        // each family's HELP and TYPE once, whatever the number of loops
        expect(text.match(/^# TYPE http_requests_total /gm)).toHaveLength(1);
        expect(text.match(/^# TYPE ringside_connections /gm)).toHaveLength(1);
      }
      expect([...answeredBy].sort()).toEqual(['0', '1']);

      // Worker 1 dies: a scrape taken by worker 0 still answers, worker 1's counts gone with it
      // (absent while it restarts, from zero once it is back).
      let exited = false;
      for (let i = 0; i < 200 && !exited; i++) {
        const res = await request(`http://127.0.0.1:${port}/exit`, { reset: true });
        exited = (await res.body.text()) === '1';
      }
      expect(exited).toBe(true);
      // The pool says so when the thread has ended.
      for (let i = 0; i < 100 && !stderr.includes('worker 1 exited'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain('ringside: worker 1 exited with code 1; restarting');
      let after = '';
      for (let i = 0; i < 200; i++) {
        const res = await request(`http://127.0.0.1:${port}/metrics`, { reset: true });
        after = await res.body.text();
        if (res.headers['x-worker'] === '0') break;
      }
      expect(sample(after, 'http_requests_total', { route: '/', status_code: '200', worker: '0' })).toBe(served[0]);
      expect(sample(after, 'http_requests_total', { route: '/', status_code: '200', worker: '1' }) ?? 0).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
