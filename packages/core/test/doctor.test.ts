// `ringside doctor` (bin/ringside.js over the built dist/): the facts it
// reports are this machine's, here, with the addon made unavailable, and with
// io_uring blocked by seccomp as in containers (fixtures/no-io-uring.c), where
// the log line of `auto`, the error of `RINGSIDE_BACKEND=io_uring` and the
// doctor all give the same cause and fix.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { epollUnavailableReason, ioUringUnavailableReason, selectBackend, type DoctorReport } from '../src/index.js';
import { SECCOMP_FIX } from '../src/native-advice.js';
import { missingTool } from './helpers.js';

const bin = fileURLToPath(new URL('../bin/ringside.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const helperSource = fileURLToPath(new URL('./fixtures/no-io-uring.c', import.meta.url));
if (!built) console.warn('\n*** SKIPPING the ringside doctor tests: packages/core is not built (pnpm run build)\n');

function ringside(args: string[], env: NodeJS.ProcessEnv = {}, wrapper: string[] = []) {
  const all = { ...process.env, ...env };
  delete all.RINGSIDE_BACKEND;
  if (env.RINGSIDE_BACKEND) all.RINGSIDE_BACKEND = env.RINGSIDE_BACKEND;
  const [cmd, ...rest] = [...wrapper, process.execPath, bin, ...args];
  return spawnSync(cmd!, rest, { env: all, encoding: 'utf8', timeout: 20_000 });
}

function report(env: NodeJS.ProcessEnv = {}, wrapper: string[] = []): DoctorReport {
  const r = ringside(['doctor', '--json'], env, wrapper);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as DoctorReport;
}

describe.skipIf(!built)('ringside doctor', () => {
  it('--json reports this machine as this process sees it', () => {
    const r = report();
    expect(r.kernel).toBe(release());
    expect(r.node).toBe(process.version);
    expect(r.ioUring.usable).toBe(ioUringUnavailableReason().why === '');
    expect(r.epoll.usable).toBe(epollUnavailableReason().why === '');
    expect(r.auto.backend).toBe(selectBackend('auto').name);
    expect(r.somaxconn).toBe(Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8')));
    expect(typeof r.openFiles.soft === 'number' || r.openFiles.soft === 'unlimited').toBe(true);
    if (r.addon.loaded) {
      expect(['local build', 'prebuild', 'RINGSIDE_ADDON']).toContain(r.addon.origin);
      expect(existsSync(r.addon.path)).toBe(true);
    }
  });

  it('prints one line per fact, and what to change', () => {
    const r = ringside(['doctor']);
    expect(r.status).toBe(0);
    for (const label of ['node', 'kernel', 'addon', 'io_uring', 'io_uring sysctl', 'epoll', 'auto picks', 'open files', 'somaxconn', 'change']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${label} +\\S`, 'm'));
    }
    expect(r.stdout).toContain(release());
  });

  it('with the addon unavailable: not loaded, every path tried, node picked, and the fix', () => {
    const missing = join(tmpdir(), 'ringside-doctor-no-such-addon.node');
    const r = report({ RINGSIDE_ADDON: missing });
    expect(r.addon).toMatchObject({ loaded: false, path: '', origin: null, fix: 'fix or unset RINGSIDE_ADDON' });
    expect(r.addon.error).toContain(`${missing} (missing)`);
    expect(r.ioUring.usable).toBe(false);
    expect(r.epoll.usable).toBe(false);
    expect(r.auto.backend).toBe('node');
    expect(r.auto.reason).toContain('to fix: fix or unset RINGSIDE_ADDON');
    expect(r.advice).toContain('native engine: fix or unset RINGSIDE_ADDON');
    expect(ringside(['doctor'], { RINGSIDE_ADDON: missing }).stdout).toMatch(/^ {2}addon +not loaded: .*ringside-doctor-no-such-addon\.node \(missing\)/m);
  });

  it('usage errors exit 2 and say how to call it', () => {
    const r = ringside(['doctor', '--yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: ringside doctor [--json]');
  });
});

function seccompSkip(): string | null {
  if (!built) return 'packages/core is not built';
  const addon = epollUnavailableReason().why;
  if (addon) return `the addon is not loaded (${addon})`;
  const gcc = missingTool('gcc');
  return gcc && `${gcc} (needed to build the seccomp helper)`;
}
const skip = seccompSkip();
if (skip) console.warn(`\n*** SKIPPING ringside doctor under seccomp: ${skip}\n`);
const workDir = skip ? '' : mkdtempSync(join(tmpdir(), 'ringside-doctor-'));
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!!skip)(`ringside doctor with io_uring blocked by seccomp${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('names seccomp and its fix; auto, the log line and RINGSIDE_BACKEND=io_uring say the same', () => {
    const helper = join(workDir, 'no-io-uring');
    execFileSync('gcc', ['-O2', '-o', helper, helperSource], { stdio: 'pipe' });
    const r = report({}, [helper]);
    expect(r.addon.loaded).toBe(true);
    expect(r.ioUring.usable).toBe(false);
    expect(r.ioUring.reason).toMatch(/seccomp.*EPERM/);
    expect(r.ioUring.fix).toBe(SECCOMP_FIX);
    expect(r.epoll.usable).toBe(true);
    expect(r.auto.backend).toBe('epoll');
    expect(r.auto.reason).toBe(`epoll: io_uring unavailable (${r.ioUring.reason}; to fix: ${SECCOMP_FIX})`);
    expect(r.advice).toContain(`io_uring: ${SECCOMP_FIX}`);

    // An explicit io_uring throws with the same cause and fix.
    const script = "import('@ringside/core').then((c) => c.createTcpServer({ log: false }))";
    const thrown = spawnSync(helper, [process.execPath, '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, RINGSIDE_BACKEND: 'io_uring' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(thrown.status).not.toBe(0);
    expect(thrown.stderr).toContain(`cannot run here: ${r.ioUring.reason}; to fix: ${SECCOMP_FIX}.`);
  });
});
