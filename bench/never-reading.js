#!/usr/bin/env node
// A hostile client against examples/hello: one connection pipelines `GET /`
// as fast as the socket takes it and never reads a response. Reports the
// server's RSS before, at its peak, and after the client leaves, per backend.
// The bound to hold: growth well under 64 MiB (README, "Hostile clients").
//   node bench/never-reading.js [--seconds 10]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--seconds');
const seconds = i > 0 ? Number(process.argv[i + 1]) : 10;
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(backend) {
  const server = spawn(process.execPath, [path.join(here, '../examples/hello/server.js')], {
    env: { ...process.env, PORT: '0', RINGSIDE_BACKEND: backend },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise((resolve, reject) => {
      server.stdout.on('data', (d) => {
        const m = /:(\d+) \(backend/.exec(String(d));
        if (m) resolve(Number(m[1]));
      });
      server.once('exit', () => reject(new Error(`${backend} server exited`)));
      setTimeout(() => reject(new Error('server did not start in 10 s')), 10_000);
    });
    await sleep(500);
    const before = rssMiB(server.pid);
    let peak = before;
    let sent = 0;
    const socket = net.connect(port, '127.0.0.1');
    socket.pause(); // never read
    socket.on('error', () => {});
    const batch = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(64));
    const pump = () => {
      while (sent < 4e9 && socket.write(batch)) sent += batch.length;
    };
    socket.on('connect', pump);
    socket.on('drain', pump);
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      await sleep(200);
      peak = Math.max(peak, rssMiB(server.pid));
    }
    socket.destroy();
    await sleep(1500);
    return { backend, before, peak, after: rssMiB(server.pid), sentMiB: sent / 1048576 };
  } finally {
    server.kill();
  }
}

const f = (n) => n.toFixed(1);
console.log(`| backend | RSS before | peak | growth | after the client left | client wrote in ${seconds} s |`);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const backend of ['io_uring', 'node']) {
  const r = await run(backend);
  console.log(`| ${r.backend} | ${f(r.before)} MiB | ${f(r.peak)} MiB | +${f(r.peak - r.before)} MiB | ${f(r.after)} MiB | ${f(r.sentMiB)} MiB |`);
}
