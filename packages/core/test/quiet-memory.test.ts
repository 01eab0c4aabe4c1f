// A loop that goes quiet after a busy spell hands memory back once: V8 is
// asked to reduce memory (the young generation that the load grew shrinks)
// and malloc's heap is trimmed (loop_sweep.cc, Loop::release_when_quiet).
// Each case runs in a child process: its own heap, and a loop started with
// its own RINGSIDE_QUIET_RELEASE_MS. Native backends: the loop is the addon's.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { httpBackends, title } from './http-helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/quiet-memory.mjs', import.meta.url));
const MiB = 1024 * 1024;

type Reading = { releases: number; young: number };

async function run(backend: string, env: Record<string, string>): Promise<{ busy: Reading; quiet: Reading }> {
  const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE], {
    env: { ...process.env, BACKEND: backend, WAIT_MS: '3000', ...env },
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim());
}

describe.each(httpBackends().filter((b) => b.name !== 'node'))('memory handed back when quiet: $name', (backend) => {
  it.skipIf(backend.skip)(`${title(backend)}: after 1,200 requests, a quiet loop releases once and the young generation shrinks`, async () => {
    const { busy, quiet } = await run(backend.name, { REQUESTS: '1200', RINGSIDE_QUIET_RELEASE_MS: '300' });
    // The load must have grown it, or the test shows nothing.
    expect(busy.young).toBeGreaterThanOrEqual(4 * MiB);
    // Once per spell: ticks that stay quiet after it do not ask again.
    expect(quiet.releases - busy.releases).toBe(1);
    expect(quiet.young).toBeLessThanOrEqual(busy.young / 2);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a trickle (100 requests) is not a busy spell`, async () => {
    const { quiet } = await run(backend.name, { REQUESTS: '100', RINGSIDE_QUIET_RELEASE_MS: '300' });
    expect(quiet.releases).toBe(0);
  });

  it.skipIf(backend.skip)(`${title(backend)}: RINGSIDE_QUIET_RELEASE_MS=0 never releases`, async () => {
    const { busy, quiet } = await run(backend.name, { REQUESTS: '1200', RINGSIDE_QUIET_RELEASE_MS: '0' });
    expect(quiet.releases).toBe(0);
    // Left alone, V8 keeps the young generation the load grew (what the release is for).
    expect(quiet.young).toBeGreaterThan(busy.young / 2);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a RINGSIDE_QUIET_RELEASE_MS that is not a number of milliseconds stops the start`, async () => {
    await expect(run(backend.name, { REQUESTS: '1', RINGSIDE_QUIET_RELEASE_MS: '10s' })).rejects.toThrow(
      /RINGSIDE_QUIET_RELEASE_MS must be a whole number of milliseconds \(0: never hand memory back when quiet\), not "10s"/,
    );
  });
});
