// The four prebuilt binaries: one command builds them (scripts/prebuild.cjs:
// zig from the npm registry; about 10 minutes cold on 2 cores, seconds when
// up to date), and each is loaded on its own kind of machine as far as this
// one can be made to look like it:
//   linux-x64         natively: serves HTTP through @ringside/core (io_uring where usable)
//   linux-arm64       an arm64 Node from the npm registry under qemu-user: serves
//                     HTTP (on epoll: qemu-user does not implement io_uring)
//   linux-*-musl      musl's own dynamic loader (Debian's musl; under qemu for
//                     arm64) links it against musl's libc: every symbol must
//                     resolve except Node's own (napi_*, uv_*). No musl build of
//                     Node is on the npm registry or in Debian, so no musl Node
//                     runs them here.
// Plus what readelf shows: the CPU, the libraries needed, the glibc symbol
// versions (2.28 at most: Node 20's floor), the two exported entry points.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindingExports } from '../lib/index.js';

const require = createRequire(import.meta.url);
const toolchain = require('../scripts/toolchain.cjs') as { plainEnv(env?: NodeJS.ProcessEnv): NodeJS.ProcessEnv };
const pkg = fileURLToPath(new URL('..', import.meta.url));
const autoBackend = fileURLToPath(new URL('../../core/test/fixtures/auto-backend.mjs', import.meta.url));
const coreBuilt = existsSync(fileURLToPath(new URL('../../core/dist/index.js', import.meta.url)));

interface Target {
  dir: string;
  machine: string;
  libc: 'glibc' | 'musl';
  arch: 'x64' | 'arm64';
}
const TARGETS: Target[] = [
  { dir: 'linux-x64', machine: 'Advanced Micro Devices X86-64', libc: 'glibc', arch: 'x64' },
  { dir: 'linux-arm64', machine: 'AArch64', libc: 'glibc', arch: 'arm64' },
  { dir: 'linux-x64-musl', machine: 'Advanced Micro Devices X86-64', libc: 'musl', arch: 'x64' },
  { dir: 'linux-arm64-musl', machine: 'AArch64', libc: 'musl', arch: 'arm64' },
];
const addon = (t: Target): string => join(pkg, 'prebuilds', t.dir, 'ringside.node');
// Every process here runs without the sanitized run's LD_PRELOAD: none loads the sanitized addon.
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ ...toolchain.plainEnv(), RINGSIDE_BACKEND: '', ...extra });

function loud(skip: string | null, what: string): string | null {
  if (skip) console.warn(`\n*** SKIPPING ${what}: ${skip}\n`);
  return skip;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command without blocking this worker (a cold build takes minutes, and
 * vitest's worker RPC times out behind a synchronous wait of a minute or more).
 */
function run(cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}, ms = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The test tools, fetched on first use (scripts/toolchain.cjs) in a child process: each a path, or why it cannot be had. */
type Tools = Record<'qemu' | 'glibcRoot' | 'arm64Node' | 'muslX64' | 'muslArm64', { path?: string; error?: string }>;
async function fetchTools(): Promise<Tools> {
  const script = `const t = require(${JSON.stringify(join(pkg, 'scripts', 'toolchain.cjs'))});
    const calls = { qemu: () => t.qemuAarch64(), glibcRoot: () => t.arm64GlibcRoot(), arm64Node: () => t.arm64Node(),
      muslX64: () => t.muslLoader('x64'), muslArm64: () => t.muslLoader('arm64') };
    const out = {};
    for (const [name, call] of Object.entries(calls)) { try { out[name] = { path: call() }; } catch (e) { out[name] = { error: e.message }; } }
    console.log(JSON.stringify(out));`;
  const r = await run(process.execPath, ['-e', script], {}, 10 * 60_000);
  if (r.status !== 0) throw new Error(`fetching the test tools failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Tools;
}

/** The paths of `names`, or skip the test loudly with why one cannot be had. */
function need(tools: Tools, names: (keyof Tools)[], ctx: { skip(note?: string): never }, what: string): string[] {
  const missing = names.map((n) => tools[n].error).filter(Boolean);
  if (missing.length) {
    console.warn(`\n*** SKIPPING ${what}: ${missing.join('; ')}\n`);
    ctx.skip(missing.join('; '));
  }
  return names.map((n) => tools[n].path!);
}

const hostSkip = loud(
  process.platform === 'linux' && process.arch === 'x64' ? null : `the prebuilds are built on linux-x64, this is ${process.platform}-${process.arch}`,
  'the prebuild tests',
);

describe.skipIf(!!hostSkip)(`prebuilds${hostSkip ? ` (SKIPPED: ${hostSkip})` : ''}`, () => {
  let build: { status: number | null; out: string };
  let tools: Tools;
  beforeAll(async () => {
    // At the lowest priority: the other test files run beside it on the same cores.
    const r = await run('nice', ['-n', '19', process.execPath, join(pkg, 'scripts', 'prebuild.cjs')], {}, 25 * 60_000);
    build = { status: r.status, out: `${r.stdout}${r.stderr}` };
    console.log(build.out);
    tools = await fetchTools();
  }, 36 * 60_000);

  /** Skip loudly when the build could not even start for want of a tool (prebuild.cjs exits 3). */
  const needBuild = (ctx: { skip(note?: string): never }) => {
    if (build.status !== 3) return;
    console.warn(`\n*** SKIPPING the prebuild tests: ${build.out.trim()}\n`);
    ctx.skip(build.out.trim());
  };

  it('one command builds all four', (ctx) => {
    needBuild(ctx);
    expect(build.status, build.out).toBe(0);
    for (const t of TARGETS) expect(existsSync(addon(t)), t.dir).toBe(true);
  });

  const readelf = loud(
    spawnSync('readelf', ['--version'], { env: env() }).status === 0 ? null : 'readelf not found (binutils)',
    'the ELF checks of the prebuilds',
  );
  describe.skipIf(!!readelf)(`ELF${readelf ? ` (SKIPPED: ${readelf})` : ''}`, () => {
    for (const t of TARGETS) {
      it(`${t.dir}: ${t.machine}, ${t.libc} only, N-API entry points exported and nothing else`, (ctx) => {
        needBuild(ctx);
        const elf = spawnSync('readelf', ['-h', '-d', '--dyn-syms', '-V', '-W', addon(t)], { env: env(), encoding: 'utf8' }).stdout;
        expect(elf).toContain(`Machine:                           ${t.machine}`);
        const needed = [...elf.matchAll(/\(NEEDED\)\s+Shared library: \[(.+?)\]/g)].map((m) => m[1]);
        if (t.libc === 'musl') {
          expect(needed).toEqual(['libc.so']);
          expect(elf).not.toContain('GLIBC_');
        } else {
          for (const lib of needed) expect(['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2']).toContain(lib);
          const versions = [...elf.matchAll(/GLIBC_2\.(\d+)/g)].map((m) => Number(m[1]));
          expect(Math.max(...versions)).toBeLessThanOrEqual(28);
        }
        // libc++ is inside and hidden: no C++ runtime is needed, none leaks out.
        const defined = [...elf.matchAll(/^\s*\d+: [0-9a-f]+\s+\d+ \w+\s+GLOBAL \w+\s+(?!UND)\S+ (\S+)$/gm)].map((m) => m[1]!.split('@')[0]);
        expect(defined.sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
      });
    }
  });

  const serves = (r: Ran) => JSON.parse(r.stdout.trim()) as { backend: string; status: number; body: string };

  it.skipIf(!coreBuilt)(`linux-x64 loads in this Node and serves HTTP${coreBuilt ? '' : ' (SKIPPED: packages/core is not built)'}`, async (ctx) => {
    needBuild(ctx);
    const r = await run(process.execPath, [autoBackend], { RINGSIDE_ADDON: addon(TARGETS[0]!) }, 30_000);
    expect(r.status, r.stderr).toBe(0);
    const out = serves(r);
    expect(out.status).toBe(200);
    expect(out.body).toBe(`hello from ${out.backend}`);
    expect(['io_uring', 'epoll']).toContain(out.backend);
  });

  it.skipIf(!coreBuilt)(
    `linux-arm64 loads in an arm64 Node under qemu and serves HTTP${coreBuilt ? '' : ' (SKIPPED: packages/core is not built)'}`,
    async (ctx) => {
      needBuild(ctx);
      const [qemu, root, node] = need(tools, ['qemu', 'glibcRoot', 'arm64Node'], ctx, 'the arm64 prebuild under qemu');
      const arm64 = (args: string[]) => run(qemu!, ['-L', root!, node!, ...args], { RINGSIDE_ADDON: addon(TARGETS[1]!) }, 120_000);
      const loaded = await arm64(['-p', 'JSON.stringify([process.arch, Object.keys(require(process.env.RINGSIDE_ADDON))])']);
      expect(loaded.status, loaded.stderr).toBe(0);
      expect(JSON.parse(loaded.stdout)).toEqual(['arm64', [...bindingExports]]);
      const r = await arm64([autoBackend]);
      expect(r.status, r.stderr).toBe(0);
      expect(serves(r)).toMatchObject({ status: 200, body: `hello from ${serves(r).backend}` });
    },
    300_000,
  );

  for (const t of TARGETS.filter((x) => x.libc === 'musl')) {
    it(`${t.dir}: musl's dynamic loader resolves every symbol but Node's`, async (ctx) => {
      needBuild(ctx);
      const [loader, qemu] =
        t.arch === 'arm64' ? need(tools, ['muslArm64', 'qemu'], ctx, `the ${t.dir} link check`) : need(tools, ['muslX64'], ctx, `the ${t.dir} link check`);
      // `ld-musl --list` (musl's ldd) maps the library and binds every symbol, as dlopen does.
      const r = t.arch === 'arm64' ? await run(qemu!, [loader!, '--list', addon(t)]) : await run(loader!, ['--list', addon(t)]);
      expect(r.stdout).toMatch(/libc\.so => .*-linux-musl\/libc\.so/);
      const unresolved = [...r.stderr.matchAll(/Error relocating [^:]+: (\S+): symbol not found/g)].map((m) => m[1]!);
      expect(unresolved.length).toBeGreaterThan(0); // Node's API is all it lacks
      // N-API, libuv, and the zlib that node exports to addons (permessage-deflate).
      expect(unresolved.filter((sym) => !/^(napi_|node_api_|uv_|(deflate|inflate)(Init2_|Reset|End)?$)/.test(sym))).toEqual([]);
      expect(r.stderr.replace(/Error relocating [^\n]+symbol not found\n?/g, '')).toBe('');
    }, 120_000);
  }
});
