#!/usr/bin/env node
/**
 * Rolling restarts behind a real balancer, under load. Starts Debian's nginx on
 * 127.0.0.1 with deploy/nginx.conf (ports rewritten) in front of three
 * instances of an app (default deploy/server.js), runs continuous
 * keep-alive load through it with autocannon — GET / and non-idempotent
 * POST /echo, which nginx never retries once sent — restarts the instances one
 * by one with SIGTERM, and fails unless every request got a 2xx.
 *
 * A script, not a unit test: it needs nginx and takes ~30 s. It installs
 * nothing: `apt-get install -y nginx-light` first (CI: .ci does).
 *
 *   node bench/rolling-restart.js [--server=path] [--restarts=3] [--connections=16] [--settle=3000] [--json=out.json]
 *   RINGSIDE_BACKEND=epoll node bench/rolling-restart.js
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { installSignalHandlers, signalChild, stopChild, track, which } from './lib/children.js';
import { freePort, httpRequest } from './lib/servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([\w-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`Unknown argument ${a}; see the header of ${path.basename(fileURLToPath(import.meta.url))}`);
    return [m[1], m[2] ?? 'true'];
  }),
);
const server = path.resolve(args.server ?? path.join(ROOT, 'deploy/server.js'));
const restarts = Number(args.restarts ?? 3);
const connections = Number(args.connections ?? 16);
const settleMs = Number(args.settle ?? 3000); // > nginx fail_timeout (2 s): every upstream is back in rotation
const STOP_LIMIT_MS = 20_000;

const nginx = which('nginx') ?? ['/usr/sbin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
if (!nginx) {
  console.error('nginx not found: install it first (Debian/Ubuntu: apt-get install -y nginx-light)');
  process.exit(2);
}
installSignalHandlers();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringside-rolling-'));
const ports = [await freePort(), await freePort(), await freePort()];
const lbPort = await freePort();

// ---- nginx: the shipped site config, ports rewritten, in a minimal main config.
let n = 0;
const site = readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8')
  .replace(/127\.0\.0\.1:300\d/g, () => `127.0.0.1:${ports[n++]}`)
  .replace(/listen 8080;/, `listen 127.0.0.1:${lbPort};`);
if (n !== 3) throw new Error('deploy/nginx.conf: expected three upstream servers 127.0.0.1:300N');
writeFileSync(path.join(tmp, 'site.conf'), site);
// keepalive_requests (client side, default 1000): nginx then closes the load generator's connection,
// and autocannon may already be writing its next request there (a reset between client and nginx, no upstream involved).
const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${tmp}/${k};`).join(' ');
writeFileSync(
  path.join(tmp, 'nginx.conf'),
  `daemon off; worker_processes 1; pid ${tmp}/nginx.pid; error_log ${tmp}/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; ${temp} include ${tmp}/site.conf; }
`,
);
const check = spawnSync(nginx, ['-t', '-p', tmp, '-c', path.join(tmp, 'nginx.conf')], { encoding: 'utf8' });
if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.stderr}`);
const lb = spawn(nginx, ['-p', tmp, '-c', path.join(tmp, 'nginx.conf')], { stdio: 'ignore', detached: true });
track(lb, { group: true });

// ---- instances
let backend = '?';
async function startInstance(port) {
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: process.env.WORKERS ?? '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child, { group: true });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance on ${port} exited: ${out}`);
    const b = /backend: (\w+)/.exec(out);
    if (b) {
      backend = b[1];
      break;
    }
    if (Date.now() > deadline) throw new Error(`instance on ${port} did not start in 10 s: ${out}`);
    await sleep(20);
  }
  return { child, port, output: () => out };
}
const instances = [];
for (const p of ports) instances.push(await startInstance(p));
for (let i = 0; ; i++) {
  try {
    if ((await httpRequest({ port: lbPort, path: '/' })).status === 200) break;
  } catch {
    /* nginx still starting */
  }
  if (i > 100) throw new Error('nginx did not answer in 5 s');
  await sleep(50);
}

// ---- load: keep-alive GET and POST, every answer counted.
const statuses = new Map();
const latencies = { all: [], restarting: [] };
let restarting = false;
let reqErrors = 0;
const errorKinds = new Map();
const load = autocannon({
  url: `http://127.0.0.1:${lbPort}`,
  connections,
  duration: 3600, // stopped below
  requests: [
    { method: 'GET', path: '/' },
    { method: 'POST', path: '/echo', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order: 42, items: ['a', 'b'] }) },
  ],
});
load.on('response', (_client, status, _bytes, ms) => {
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  latencies.all.push(ms);
  if (restarting) latencies.restarting.push(ms);
});
const startedAt = Date.now();
const events = [];
load.on('reqError', (err) => {
  reqErrors++;
  events.push(`${Date.now() - startedAt} ms: request error ${err?.code ?? err?.message}${restarting ? ' (restarting)' : ''}`);
  const k = err?.code ?? err?.message ?? String(err);
  errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
});
const loadDone = new Promise((resolve) => load.once('done', resolve));

await sleep(2000);
const drains = [];
for (let r = 0; r < restarts; r++) {
  const i = r % instances.length;
  const old = instances[i];
  restarting = true;
  const t0 = Date.now();
  events.push(`${t0 - startedAt} ms: SIGTERM to the instance on ${old.port}`);
  const exited = new Promise((resolve) => old.child.once('exit', (code, signal) => resolve({ code, signal })));
  signalChild(old.child, 'SIGTERM');
  const how = await Promise.race([exited, sleep(STOP_LIMIT_MS).then(() => null)]);
  if (!how) {
    await stopChild(old.child, 0);
    throw new Error(`instance on ${old.port} did not exit within ${STOP_LIMIT_MS} ms of SIGTERM`);
  }
  drains.push({ port: old.port, ms: Date.now() - t0, code: how.code, signal: how.signal });
  events.push(`${Date.now() - startedAt} ms: it exited (code ${how.code})`);
  instances[i] = await startInstance(old.port);
  await sleep(settleMs);
  restarting = false;
}
await sleep(1000);
events.push(`${Date.now() - startedAt} ms: load stops`);
load.stop();
const result = await loadDone;

const pct = (xs, q) => {
  if (!xs.length) return null;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const non2xx = [...statuses].filter(([s]) => s < 200 || s >= 300).reduce((a, [, c]) => a + c, 0);
const nginxErrors = readFileSync(path.join(tmp, 'error.log'), 'utf8')
  .split('\n')
  .filter((l) => /\[(error|crit|alert|emerg)\]/.test(l));
const report = {
  date: new Date().toISOString(),
  server: path.relative(ROOT, server),
  backend,
  workersPerInstance: process.env.WORKERS ?? '1',
  nginx: spawnSync(nginx, ['-v'], { encoding: 'utf8' }).stderr.trim(),
  node: process.version,
  kernel: os.release(),
  cpus: os.availableParallelism(),
  connections,
  restarts,
  drains,
  events,
  requests: result.requests.total,
  responses: [...statuses.values()].reduce((a, b) => a + b, 0),
  statuses: Object.fromEntries([...statuses].sort()),
  non2xx,
  errors: result.errors,
  reqErrors,
  errorKinds: Object.fromEntries(errorKinds),
  timeouts: result.timeouts,
  p99Ms: pct(latencies.all, 0.99),
  p99DuringRestartsMs: pct(latencies.restarting, 0.99),
  maxDuringRestartsMs: pct(latencies.restarting, 1),
  nginxErrorLines: nginxErrors.length,
  // Refused connects are the drain working (nginx tries the next server); anything else is worth reading.
  nginxErrorsOtherThanRefused: nginxErrors
    .filter((l) => !/Connection refused/.test(l))
    .slice(0, 5)
    .map((l) => l.replace(/^.*\[\w+\] \S+ /, '')),
};
for (const inst of instances) signalChild(inst.child, 'SIGTERM');
await Promise.all(instances.map((inst) => new Promise((r) => (inst.child.exitCode !== null ? r() : inst.child.once('exit', r)))));
await stopChild(lb, 2000);
rmSync(tmp, { recursive: true, force: true });

console.log(JSON.stringify(report, null, 2));
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
const failed = non2xx + result.errors + result.timeouts;
console.log(
  failed === 0
    ? `PASS: ${report.responses} responses, ${restarts} rolling restarts, no failed request (p99 ${report.p99Ms} ms, during restarts ${report.p99DuringRestartsMs} ms)`
    : `FAIL: ${failed} failed of ${report.requests} requests across ${restarts} rolling restarts (non-2xx ${non2xx}, errors ${result.errors}, timeouts ${result.timeouts})`,
);
process.exit(failed === 0 ? 0 : 1);
