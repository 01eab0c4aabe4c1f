#!/usr/bin/env node
// TCP echo throughput of both backends, side by side, in one run:
// examples/tcp-echo/server.js on CPU 0, bench/tcp-echo-client.js on CPU 1,
// interleaved rounds, server CPU time per message from /proc.
//   node bench/tcp-echo.js [--seconds 5] [--rounds 3] [--connections 50] [--size 64]
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { machineInfo, processCpuSeconds } from './lib/measure.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 5),
  rounds = arg('rounds', 3),
  connections = arg('connections', 50),
  size = arg('size', 64);
const pin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const withPin = (cpu, cmd) => (pin ? ['taskset', ['-c', String(cpu), ...cmd]] : [cmd[0], cmd.slice(1)]);

async function round(backend, port) {
  const [cmd, args] = withPin(0, [process.execPath, path.join(here, '../examples/tcp-echo/server.js')]);
  const server = spawn(cmd, args, { env: { ...process.env, PORT: String(port), RINGSIDE_BACKEND: backend }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      server.stdout.on('data', (d) => {
        if (String(d).includes('listening')) resolve();
      });
      server.once('exit', () => reject(new Error(`${backend} echo server exited`)));
      setTimeout(() => reject(new Error('echo server did not start in 10 s')), 10_000);
    });
    const cpu0 = processCpuSeconds(server.pid);
    const [ccmd, cargs] = withPin(1, [
      process.execPath,
      path.join(here, 'tcp-echo-client.js'),
      String(port),
      String(connections),
      String(seconds),
      String(size),
    ]);
    const out = spawnSync(ccmd, cargs, { encoding: 'utf8', timeout: (seconds + 20) * 1000 });
    const cpu1 = processCpuSeconds(server.pid);
    const { messages } = JSON.parse(out.stdout.trim().split('\n').pop());
    return { messages: messages / seconds, cpuUsPerMsg: ((cpu1 - cpu0) * 1e6) / messages };
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { io_uring: [], node: [] };
// A port the kernel says is free (a random one may be some client's ephemeral port).
const freePort = () =>
  new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
for (let r = 0; r < rounds; r++) for (const b of Object.keys(results)) results[b].push(await round(b, await freePort()));

const m = machineInfo();
console.log(
  `TCP echo, ${connections} connections, ${size}-byte messages, ${rounds} × ${seconds} s interleaved; ${m.cpuModel ?? ''} ${m.nproc ?? ''} CPUs, kernel ${m.kernel ?? ''}, Node ${process.version}${pin ? ', server CPU 0, client CPU 1' : ', unpinned'}\n`,
);
console.log('| backend | messages/s (median) | min–max | server CPU µs/message | MB/s each way |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [b, rs] of Object.entries(results)) {
  const msgs = rs.map((x) => x.messages);
  console.log(
    `| ${b} | ${Math.round(median(msgs)).toLocaleString('en-US')} | ${Math.round(Math.min(...msgs)).toLocaleString('en-US')}–${Math.round(Math.max(...msgs)).toLocaleString('en-US')} | ${median(rs.map((x) => x.cpuUsPerMsg)).toFixed(2)} | ${((median(msgs) * size) / 1e6).toFixed(1)} |`,
  );
}
