// Completions must wake the JS thread. Under DEFER_TASKRUN the ring posts completions only when
// this thread enters the kernel; the registered eventfd (watched by libuv) is what wakes it. The
// client lives in another process, so nothing else in this process wakes the loop: if the eventfd
// were not signalled, the accept and the echoes would wait for the next unrelated wake-up (or hang).
// Runs on node too, where it checks the test itself.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, useServers } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/wakeup-client.mjs', import.meta.url));

describeBackends('completion wake-up (eventfd)', (backend) => {
  const start = useServers();

  it('data from this process is echoed within a bound', async () => {
    const { port } = await start(backend, echo);
    const c = await TcpClient.connect(port);
    const t0 = Date.now();
    c.send('wake');
    await c.bytes(4, 5000);
    expect(Date.now() - t0).toBeLessThan(1000);
    c.close();
  }, 10_000);

  it('a connection and data from another process, arriving while this loop idles in timers, are served at once', async () => {
    const { server, port } = await start(backend, echo);
    const child = spawn(process.execPath, [fixture, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    // This process now only waits: a timer-only loop until the child is done.
    const code = await new Promise<number | null>((resolve) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (c) => {
        clearTimeout(killer);
        resolve(c);
      });
    });
    expect(code, `child failed: ${err}`).toBe(0);
    const r = JSON.parse(out.trim()) as { connectMs: number; echoMs: number[] };
    expect(r.echoMs.length).toBe(4);
    for (const ms of r.echoMs) {
      expect(ms, `echo latencies ${JSON.stringify(r.echoMs)}`).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(500);
    }
    expect(server.stats().accepted).toBe(1);
  }, 20_000);
});
