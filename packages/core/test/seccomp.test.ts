// Where a container's seccomp profile blocks io_uring (EPERM), `auto` must
// pick the native engine on epoll and say why in its one line. A small C
// helper (fixtures/no-io-uring.c, built here with the compiler the addon
// needs anyway) installs such a filter and runs node under it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { epollUnavailableReason } from '../src/index.js';
import { missingTool } from './helpers.js';

const helperSource = fileURLToPath(new URL('./fixtures/no-io-uring.c', import.meta.url));
const child = fileURLToPath(new URL('./fixtures/auto-backend.mjs', import.meta.url));

function skipReason(): string | null {
  const addon = epollUnavailableReason().why;
  if (addon) return `the addon is not loaded (${addon})`;
  const gcc = missingTool('gcc');
  return gcc && `${gcc} (needed to build the seccomp helper)`;
}
const skip = skipReason();
if (skip) console.warn(`\n*** SKIPPING the seccomp (container) backend test: ${skip}\n`);
const workDir = skip ? '' : mkdtempSync(join(tmpdir(), 'ringside-seccomp-'));
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!!skip)(`io_uring blocked by seccomp${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('auto picks epoll, says io_uring was blocked (EPERM), and serves', () => {
    const helper = join(workDir, 'no-io-uring');
    execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', helper, helperSource], { stdio: 'pipe' });
    const env = { ...process.env };
    delete env.RINGSIDE_BACKEND;
    const r = spawnSync(helper, [process.execPath, child], { env, encoding: 'utf8', timeout: 20_000 });
    expect(r.status, `stderr: ${r.stderr}`).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { backend: string; reason: string; log: string[]; status: number; body: string };
    expect(out.backend).toBe('epoll');
    expect(out.reason).toMatch(/^epoll: io_uring unavailable \(io_uring_setup blocked by seccomp .*EPERM/);
    expect(out.log).toEqual([`ringside: backend ${out.reason}`]);
    expect(out.status).toBe(200);
    expect(out.body).toBe('hello from epoll');
  });
});
