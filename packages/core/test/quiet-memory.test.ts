// A loop that goes quiet after a busy spell hands memory back once: V8 is
// asked to reduce memory (the young generation that the load grew shrinks)
// and malloc's heap is trimmed (loop_sweep.cc, Loop::release_when_quiet).
// Each case runs in a child process: its own heap, and a loop started with
// its own RINGSIDE_QUIET_RELEASE_MS (300 ms here; the rate is sampled each
// second, so a release comes 1–2.5 s after a burst). Native backends: the
// loop is the addon's.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { httpBackends, title } from './http-helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/quiet-memory.mjs', import.meta.url));
const MiB = 1024 * 1024;

type Reading = { releases: number; young: number };

/** Runs the fixture's steps (see fixtures/quiet-memory.mjs); returns its readings. */
async function run(backend: string, steps: string, quietMs = '300'): Promise<Reading[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE], {
    env: { ...process.env, BACKEND: backend, STEPS: steps, RINGSIDE_QUIET_RELEASE_MS: quietMs },
    timeout: 25_000,
  });
  return JSON.parse(stdout.trim());
}

describe.each(httpBackends().filter((b) => b.name !== 'node'))('memory handed back when quiet: $name', (backend) => {
  it.skipIf(backend.skip)(`${title(backend)}: after 1,200 requests, a quiet loop releases once and the young generation shrinks`, async () => {
    const [busy, quiet] = await run(backend.name, 'b1200,r,q3000,r');
    // The load must have grown it, or the test shows nothing.
    expect(busy!.young).toBeGreaterThanOrEqual(4 * MiB);
    expect(busy!.releases).toBe(0);
    // Once per spell: samples that stay quiet after it do not ask again.
    expect(quiet!.releases).toBe(1);
    expect(quiet!.young).toBeLessThanOrEqual(busy!.young / 2);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a health check every 500 ms does not hold the release back`, async () => {
    const [after] = await run(backend.name, 'b1200,t4000,r');
    expect(after!.releases).toBe(1);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a second spell releases again`, async () => {
    const [first, second] = await run(backend.name, 'b1200,q3000,r,b1200,q3000,r');
    expect([first!.releases, second!.releases]).toEqual([1, 2]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: spells shorter than 1,000 events do not add up across quiet`, async () => {
    const [after] = await run(backend.name, 'b300,q2500,b300,q2500,b300,q2500,b300,q2500,r');
    expect(after!.releases).toBe(0);
  });

  it.skipIf(backend.skip)(`${title(backend)}: RINGSIDE_QUIET_RELEASE_MS=0 never releases`, async () => {
    const [busy, quiet] = await run(backend.name, 'b1200,r,q3000,r', '0');
    expect(quiet!.releases).toBe(0);
    // Left alone, V8 keeps the young generation the load grew (what the release is for).
    expect(quiet!.young).toBeGreaterThan(busy!.young / 2);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a RINGSIDE_QUIET_RELEASE_MS that is not a number of milliseconds stops the start`, async () => {
    for (const bad of ['10s', ' ', '-1', '1.5']) {
      await expect(run(backend.name, 'r', bad)).rejects.toThrow(
        new RegExp(
          `RINGSIDE_QUIET_RELEASE_MS must be a whole number of milliseconds \\(0: never hand memory back when quiet\\), not "${bad.replace('.', '\\.')}"`,
        ),
      );
    }
  });
});
