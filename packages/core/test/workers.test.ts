// runWorkers: several native loops (one per thread, io_uring or epoll) share a port with SO_REUSEPORT; the pool restarts a crashed worker.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { epollUnavailableReason, ioUringUnavailableReason } from '../src/index.js';

const drivers = [
  { backend: 'io_uring', why: ioUringUnavailableReason().why },
  { backend: 'epoll', why: epollUnavailableReason().why },
];

describe.each(drivers)('runWorkers on $backend', ({ backend, why }) => {
  if (why) console.warn(`\n*** workers test on ${backend} SKIPPED: ${why}\n`);
  it.skipIf(!!why)(`two loops on one port both serve connections; a crashed worker is restarted${why ? ` (SKIPPED: ${why})` : ''}`, async () => {
    // A port the kernel says is free (a fixed or random one may be some client's ephemeral port).
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/workers-server.mjs', import.meta.url))], {
      env: { ...process.env, PORT: String(port), WORKERS_BACKEND: backend },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    try {
      const started = await new Promise<{ count: number }>((resolve, reject) => {
        child.stdout.once('data', (d) => resolve(JSON.parse(String(d))));
        child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
        setTimeout(() => reject(new Error('server did not start in 10 s')), 10_000);
      });
      expect(started.count).toBe(2);
      // New connections are spread by the kernel's SO_REUSEPORT hash; within a bounded number both loops answer.
      const seen = new Set<string>();
      const deadline = Date.now() + 10_000;
      for (let i = 0; i < 400 && seen.size < 2 && Date.now() < deadline; i++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } });
          seen.add(await r.text());
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      expect([...seen].sort()).toEqual(['0', '1']);
      // A worker that dies is restarted (after 100 ms for a first crash) and serves again.
      const answeredBy = async (path: string, want: string): Promise<void> => {
        for (const end = Date.now() + 15_000; Date.now() < end; ) {
          const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { connection: 'close' } }).then(
            (x) => x.text(),
            () => null,
          );
          if (r === want) return;
          await new Promise((res) => setTimeout(res, 10));
        }
        throw new Error(`loop ${want} did not answer ${path} within 15 s; stderr: ${stderr}`);
      };
      await answeredBy('/crash', '1');
      for (let i = 0; i < 100 && !/restarting in/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toMatch(/worker 1 exited with code 1: Error: boom in worker[\s\S]*restarting in 100 ms/);
      await answeredBy('/', '1');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
