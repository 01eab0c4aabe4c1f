import { defineConfig } from 'vitest/config';
import type { Reporter } from 'vitest/reporters';

type Task = { type: string; mode?: string; result?: { state?: string }; tasks?: Task[] };

/** Ends the run with one plain line, 'Tests: N passed, N failed, N skipped', that any CI reads. */
class SummaryLine implements Reporter {
  onFinished(files: Task[] = []): void {
    let passed = 0,
      failed = 0,
      skipped = 0;
    const walk = (t: Task): void => {
      if (t.type === 'test') {
        if (t.result?.state === 'pass') passed++;
        else if (t.result?.state === 'fail') failed++;
        else skipped++;
      }
      for (const c of t.tasks ?? []) walk(c);
    };
    for (const f of files) {
      walk(f);
      if (f.result?.state === 'fail' && !(f.tasks ?? []).length) failed++; // a file that failed to load
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'all', include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'compat/test/**/*.test.ts'] } },
      // The transport suite again with a batch of 4 records and 16 ring buffers of
      // 1 KiB: every "batch full, resume in the next one" and ENOBUFS path runs.
      {
        extends: true,
        test: {
          name: 'tiny-batches',
          include: ['packages/core/test/**/*.test.ts'],
          exclude: ['**/transport-fuzz.test.ts', '**/node_modules/**'],
          env: { RINGSIDE_TEST_TINY: '1' },
        },
      },
    ],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Transport tests open many sockets; forks keep each file's fds and rings apart.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default', new SummaryLine()],
  },
});
