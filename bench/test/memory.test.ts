// The memory benchmark (bench/memory.js): one real round of two servers into
// a temp dir; the report is complete and well-formed. Never asserts on how
// much memory anything used beyond "a reading was taken".
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MEMORY_SERVERS, parseMemoryArgs, runMemoryBenchmark } from '../memory.js';
import { renderMemoryMarkdown, summarizeMemory } from '../lib/memory-report.js';

/** The report's head: when, where and how it was run. */
const HEADER = {
  date: '2026-12-01T00:00:00.000Z',
  command: 'node bench/memory.js',
  machine: {
    cpuModel: 'cpu',
    nproc: 2,
    cpusAllowed: [0, 1],
    memoryBytes: 2 ** 34,
    kernel: '6.18',
    platform: 'linux' as const,
    arch: 'x64' as const,
    hostname: 'h',
  },
  node: 'v20',
};

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringside-memory-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bench/memory.js', () => {
  it('reads node-http and node-http-deps idle and with 1,000 connections open', async () => {
    const { report, markdown } = await runMemoryBenchmark({ rounds: 1, servers: ['node-http', 'node-http-deps'], out: tmp }, { log: () => {} });
    expect(report.servers.map((s) => s.name)).toEqual(['node-http', 'node-http-deps']);
    for (const s of report.servers) {
      expect(s.error).toBeNull();
      expect(s.rounds).toBe(1);
      expect(s.idle?.median).toBeGreaterThan(1 << 20);
      expect(s.open?.median).toBeGreaterThan(1 << 20);
      expect(s.anon?.median).toBeGreaterThan(0);
      expect(s.file?.median).toBeGreaterThan(0);
    }
    expect(markdown).toMatch(/^\| node-http \| \d+\.\d \(/m);
    expect(markdown).toMatch(/^\| node-http-deps \| \d+\.\d \(/m);
    // ringside-io_uring was not selected: its targets say so instead of inventing a figure.
    expect(markdown).toMatch(/RSS idle: ringside-io_uring ≤ node-http \+ 3 MiB: \*\*SKIP\*\* — ringside-io_uring not selected/);
    const written = JSON.parse(readFileSync(path.join(tmp, 'latest.json'), 'utf8'));
    expect(written.servers[1].idle.median).toBe(report.servers[1].idle?.median);
    expect(readFileSync(path.join(tmp, 'latest.md'), 'utf8')).toBe(markdown);
  }, 60_000);

  it('summarizes rounds as median, min and max, and growth per connection', () => {
    const MiB = 1 << 20;
    const s = summarizeMemory(
      [
        { idle: 50 * MiB, anon: 10 * MiB, file: 40 * MiB, open: 55 * MiB, backend: 'io_uring' },
        { idle: 52 * MiB, anon: 11 * MiB, file: 41 * MiB, open: null, backend: 'io_uring' },
        { idle: 60 * MiB, anon: 12 * MiB, file: 48 * MiB, open: 64 * MiB, backend: 'io_uring' },
      ],
      1000,
    );
    expect(s.idle).toEqual({ median: 52 * MiB, min: 50 * MiB, max: 60 * MiB });
    expect(s.open).toEqual({ median: 59.5 * MiB, min: 55 * MiB, max: 64 * MiB });
    expect(s.perConnection?.median).toBeCloseTo((4.5 * MiB) / 1000, 6);
    expect(s.perConnection).toMatchObject({ min: (4 * MiB) / 1000, max: (5 * MiB) / 1000 });
    const md = renderMemoryMarkdown({
      ...HEADER,
      rounds: 3,
      connections: 1000,
      servers: [
        {
          name: 'node-http',
          description: 'd',
          error: null,
          ...summarizeMemory([{ idle: 45 * MiB, anon: 8 * MiB, file: 37 * MiB, open: 62 * MiB, backend: null }], 1000),
        },
        { name: 'ringside-io_uring', description: 'd', error: null, ...s },
      ],
    });
    expect(md).toContain('| ringside-io_uring | 52.0 (50.0–60.0) | 11.0 | 41.0 | 59.5 (55.0–64.0) | 4.6 |');
    expect(md).toMatch(/ringside-io_uring ≤ node-http \+ 3 MiB: \*\*FAIL\*\* — 52\.0 MiB vs node-http 45\.0 MiB/);
    expect(md).toMatch(/1,000 connections open: ringside-io_uring ≤ 50 MiB: \*\*FAIL\*\* — 59\.5 MiB/);
  });

  it('adds the after-load columns when they were read', () => {
    const MiB = 1 << 20;
    const md = renderMemoryMarkdown({
      ...HEADER,
      rounds: 2,
      connections: 1000,
      afterLoad: { seconds: 5, connections: 100, quietSeconds: 12 },
      servers: [
        {
          name: 'ringside-io_uring',
          description: 'd',
          error: null,
          ...summarizeMemory(
            [{ idle: 60 * MiB, anon: 17 * MiB, file: 43 * MiB, open: 66 * MiB, loaded: 71 * MiB, quiet: 65.5 * MiB, backend: 'io_uring' }],
            1000,
          ),
        },
        { name: 'broken', description: 'd', error: 'exited (code 1) before answering', ...summarizeMemory([], 1000) },
        {
          name: 'flaky',
          description: 'd',
          error: 'exited (code 1) before answering',
          ...summarizeMemory([{ idle: 60 * MiB, anon: null, file: null, open: null, loaded: null, quiet: null, backend: null }], 1000),
        },
      ],
    });
    expect(md).toContain(
      '| Server | RSS idle MiB | anonymous | file-backed | RSS, 1,000 open MiB | KiB per connection | RSS after load MiB | 12 s later MiB |',
    );
    expect(md).toContain('| ringside-io_uring | 60.0 (60.0–60.0) | 17.0 | 43.0 | 66.0 (66.0–66.0) | 6.1 | 71.0 (71.0–71.0) | 65.5 (65.5–65.5) |');
    expect(md).toContain('| broken | failed: exited (code 1) before answering | — | — | — | — | — | — |');
    expect(md).toContain('| flaky (1 of 2 rounds; then failed: exited (code 1) before answering) | 60.0 (60.0–60.0) | — | — | — | — | — | — |');
  });

  it('takes its options and refuses what it does not know', () => {
    expect(parseMemoryArgs(['--rounds', '2', '--servers', 'node-http,fastify'])).toMatchObject({
      rounds: 2,
      servers: ['node-http', 'fastify'],
      afterLoad: false,
    });
    expect(parseMemoryArgs(['--after-load']).afterLoad).toBe(true);
    expect(() => parseMemoryArgs(['--rounds', '0'])).toThrow(/--rounds/);
    expect(() => parseMemoryArgs(['--bogus'])).toThrow(/unknown option/);
    expect(MEMORY_SERVERS.map((s) => s.name)).toContain('node-http-deps');
  });

  it('names an unknown server', async () => {
    await expect(runMemoryBenchmark({ rounds: 1, servers: ['nope'], out: tmp }, { log: () => {} })).rejects.toThrow(/Unknown server\(s\): nope/);
  });
});
