/**
 * After listen() the app hands back start-up memory once (core's
 * releaseStartupMemory): the young generation that start-up allocation
 * grew is shrunk. Run in a child process, whose heap is as small as a
 * server's right after start (a test runner's is not).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { epollUnavailableReason, ioUringUnavailableReason, type BackendName } from '@ringside/core';

const FIXTURE = fileURLToPath(new URL('./fixtures/startup-memory.mjs', import.meta.url));
const MiB = 1024 * 1024;

// The release goes through the addon, which the epoll driver needs as well.
const addonMissing = epollUnavailableReason().why || null;
const cases: { name: BackendName; skip: string | null }[] = [
  { name: 'io_uring', skip: ioUringUnavailableReason().why || null },
  { name: 'epoll', skip: addonMissing },
  // The node backend releases through the addon too, where it is loadable.
  { name: 'node', skip: addonMissing },
];

describe('start-up memory is handed back after listen', () => {
  for (const c of cases) {
    if (c.skip) console.warn(`\n*** start-up memory on ${c.name} SKIPPED: ${c.skip}\n`);
    it.skipIf(c.skip !== null)(`${c.name}: the young generation grown before listen is shrunk${c.skip ? ` (SKIPPED: ${c.skip})` : ''}`, async () => {
      const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE], { env: { ...process.env, BACKEND: c.name }, timeout: 20_000 });
      const { before, after } = JSON.parse(stdout.trim()) as { before: number; after: number };
      // The fixture's allocation must have grown it, or the test shows nothing.
      expect(before).toBeGreaterThanOrEqual(4 * MiB);
      expect(after).toBeLessThanOrEqual(2 * MiB);
    });
  }
});
