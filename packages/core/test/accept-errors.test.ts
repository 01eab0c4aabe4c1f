/**
 * Accept failures are counted, and the server serves again once descriptors
 * free up. The server runs in a child under a low open-file limit (prlimit);
 * the test holds more connections to it than the limit allows.
 *
 * Native engine: accept() fails with EMFILE, the connections wait in the
 * listen backlog, `acceptErrors` rises, and the loop's sweep retries each tick
 * until descriptors are free. Node: libuv accepts and closes such connections
 * itself (its reserved-fd trick) and reports nothing, so `acceptErrors` stays
 * 0 there; the node case checks that the server serves after the flood.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { ServerStats } from '../src/index.js';
import { describeBackends, missingTool } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/accept-errors-server.mjs', import.meta.url));
const LIMIT = 64;
/** More connections than the child can hold under LIMIT. */
const FLOOD = 120;

const prlimitMissing = missingTool('prlimit');
if (prlimitMissing) console.warn(`\n*** accept errors SKIPPED: ${prlimitMissing} (util-linux)\n`);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection that is open (or failed): resolves either way. */
function open(port: number): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('close', () => resolve(s));
  });
}

/** 'ping' on a new connection; resolves to what came back before close or 2 s. */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('ping'));
    let got = '';
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 2000);
    s.on('data', (d) => {
      got += d;
      if (got === 'pong') done();
    });
    s.on('error', done);
    s.on('close', done);
  });
}

describeBackends('accept errors', (backend) => {
  it.skipIf(prlimitMissing !== null)(`are counted under an open-file limit of ${LIMIT}, and serving resumes when descriptors free up`, async () => {
    const child = spawn('prlimit', [`--nofile=${LIMIT}`, process.execPath, fixture], {
      env: { ...process.env, BACKEND: backend },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => JSON.parse((await lines.next()).value as string);
    const stats = async (): Promise<ServerStats> => {
      child.stdin.write('stats\n');
      return next();
    };
    const held: net.Socket[] = [];
    try {
      const { port, fds } = (await next()) as { port: number; fds: number };
      expect(fds, 'descriptors the child uses before any connection').toBeLessThan(LIMIT - 10);
      expect(await ping(port)).toBe('pong');

      for (let i = 0; i < FLOOD; i++) held.push(await open(port));
      let s = await stats();
      if (backend !== 'node') {
        for (let i = 0; i < 100 && s.acceptErrors === 0; i++) {
          await pause(50);
          s = await stats();
        }
        expect(s.acceptErrors, JSON.stringify(s)).toBeGreaterThan(0);
      } else {
        expect(s.acceptErrors).toBe(0);
      }
      // Fewer connections open than were made: the limit was reached.
      expect(s.connections).toBeLessThan(FLOOD);

      for (const c of held.splice(0)) c.destroy();
      let answer = '';
      for (let i = 0; i < 50 && answer !== 'pong'; i++) answer = await ping(port);
      expect(answer).toBe('pong');
      // Every connection of the flood was accepted in the end (native: from the backlog) or closed.
      s = await stats();
      for (let i = 0; i < 100 && s.connections > 0; i++) {
        await pause(50);
        s = await stats();
      }
      expect(s.connections).toBe(0);
    } finally {
      for (const c of held) c.destroy();
      child.kill('SIGKILL');
    }
  });
});
