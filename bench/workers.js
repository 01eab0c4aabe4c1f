#!/usr/bin/env node
/**
 * Event loops per process: req/s and server CPU per request of
 * deploy/server.js with WORKERS=1 and WORKERS=2 (listen({ workers })),
 * GET / over keep-alive connections, autocannon in this process.
 *
 * On a machine with N cores, run it with --workers=1,N/2,N and the load
 * generator elsewhere (or pinned apart): the figure that scales is req/s at
 * equal CPU per request. On a 2-core machine the load generator shares the
 * cores with the server, so 2 workers compete with autocannon for CPU.
 *
 *   node bench/workers.js [--workers=1,2] [--seconds=5] [--connections=64] [--json=out.json]
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { installSignalHandlers, stopChild, track } from './lib/children.js';
import { machineInfo, processCpuSeconds } from './lib/measure.js';
import { freePort } from './lib/servers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([\w-]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`Unknown argument ${a}; see the header of bench/workers.js`);
    return [m[1], m[2]];
  }),
);
const counts = (args.workers ?? '1,2').split(',').map(Number);
const seconds = Math.min(Number(args.seconds ?? 5), 60);
const connections = Number(args.connections ?? 64);
installSignalHandlers();

async function measure(workers) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'deploy/server.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: String(workers) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    process.stderr.write(d);
  });
  const line = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d)));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const backend = /backend: (\w+)/.exec(line)?.[1] ?? '?';
  const run = (duration) => autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration });
  await run(1); // warm-up: JIT, connections, every loop
  const cpu0 = processCpuSeconds(child.pid);
  const r = await run(seconds);
  const cpu = processCpuSeconds(child.pid) - cpu0;
  child.kill('SIGTERM');
  await stopChild(child, 12_000);
  const requests = r.requests.total;
  return {
    workers,
    // The node backend shares a port only from Node 22.12: before, the server says so and runs one loop.
    loops: /running 1 loop instead/.test(stderr) ? 1 : workers,
    backend,
    requests,
    errors: r.errors + r.timeouts + r.non2xx,
    reqPerSec: Math.round(requests / seconds),
    serverCpuSeconds: +cpu.toFixed(2),
    serverCpuUsPerRequest: +((cpu * 1e6) / requests).toFixed(2),
    p99Ms: r.latency.p99,
  };
}

const rows = [];
for (const w of counts) rows.push(await measure(w));
const report = {
  date: new Date().toISOString(),
  node: process.version,
  machine: machineInfo(),
  seconds,
  connections,
  loadGenerator: `autocannon in the bench process, sharing the ${os.availableParallelism()} CPUs with the server`,
  rows,
};
console.log(JSON.stringify(report, null, 2));
console.log('\n| workers | loops | backend | req/s | server CPU µs/request | p99 ms | errors |\n| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.workers} | ${r.loops} | ${r.backend} | ${r.reqPerSec} | ${r.serverCpuUsPerRequest} | ${r.p99Ms} | ${r.errors} |`);
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
