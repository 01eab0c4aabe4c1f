// The dynamic wrk script (bench/lib/load.js) against a real wrk: every
// request of every pipelined batch has its own path, so no two consecutive
// responses are the same bytes, and the ids repeat only after
// DYNAMIC_BATCHES × depth requests. Skips loudly where wrk is missing.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { DYNAMIC_BATCHES, wrkScript } from '../lib/load.js';
import { which } from '../lib/children.js';

const noWrk = which('wrk') ? null : 'wrk is not on the PATH (apt-get install wrk)';
if (noWrk) console.warn(`\n*** wrk dynamic script test SKIPPED: ${noWrk}\n`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringside-wrk-dynamic-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(noWrk !== null)(`wrk dynamic paths${noWrk ? ` (SKIPPED: ${noWrk})` : ''}`, () => {
  it('sends a different path with every request, pipelined ×16, the same ones only after a full cycle', async () => {
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url!);
      res.end('x');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const script = path.join(tmp, 'load.lua');
    writeFileSync(script, wrkScript({ method: 'GET', pipelining: 16, dynamicPath: '/user/' }));
    try {
      const { stdout } = await promisify(execFile)('wrk', ['-t1', '-c2', '-d1s', '-s', script, `http://127.0.0.1:${port}/user/1`], { timeout: 20_000 });
      expect(stdout).toContain('BENCH_DONE');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    expect(paths.length).toBeGreaterThan(100);
    for (const p of paths) expect(p).toMatch(/^\/user\/\d+$/);
    const cycle = DYNAMIC_BATCHES * 16;
    const first = paths.slice(0, cycle);
    expect(new Set(first).size).toBe(first.length);
    // Ids are 1…cycle: a batch is never sent with a path outside the prepared ones.
    for (const p of paths) expect(Number(p.slice(6))).toBeLessThanOrEqual(cycle);
  });
});
