// What `pnpm pack` puts in each published package (pnpm, because it rewrites
// `workspace:*` to the version): every file a user's install needs, nothing it
// does not (sources of the TS, tests, build trees, source maps, stale outputs),
// the publish fields, no build toolchain among the dependencies, and a size
// bound so a stray folder is caught.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'ringside-pack-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// pnpm and tar run without the sanitized run's LD_PRELOAD.
const plainEnv: NodeJS.ProcessEnv = { ...process.env };
delete plainEnv.LD_PRELOAD;

interface Packed {
  files: string[];
  manifest: Record<string, any>;
  bytes: number;
}

function pack(name: string): Packed {
  const dir = join(packages, name);
  const r = spawnSync('npx', ['--yes', 'pnpm@9.15.9', 'pack', '--pack-destination', out], { cwd: dir, env: plainEnv, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`pnpm pack in ${dir} exited with ${r.status}: ${r.stderr}${r.stdout}`);
  const tarball = join(out, `ringside-${name}-0.1.0.tgz`);
  const files = execFileSync('tar', ['tzf', tarball], { env: plainEnv, encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((f) => f.replace(/^package\//, ''));
  const manifest = JSON.parse(execFileSync('tar', ['xzf', tarball, '-O', 'package/package.json'], { env: plainEnv, encoding: 'utf8' }));
  return { files, manifest, bytes: statSync(tarball).size };
}

/** Compiled outputs in dist/ must each come from a source file (a deleted source leaves a stale .js behind). */
function staleOutputs(files: string[], srcDir: string): string[] {
  return files
    .filter((f) => f.startsWith('dist/') && f.endsWith('.js'))
    .filter((f) => !existsSync(join(srcDir, f.slice('dist/'.length).replace(/\.js$/, '.ts'))));
}

function expectPublishable(p: Packed): void {
  for (const field of ['name', 'version', 'description', 'license', 'repository', 'engines', 'exports', 'types', 'files']) {
    expect(p.manifest[field], field).toBeTruthy();
  }
  expect(p.manifest.engines.node).toBe('>=20');
  expect(p.files).toContain('package.json');
  expect(p.files).toContain('README.md');
  expect(p.files).toContain(p.manifest.types.replace(/^\.\//, ''));
  expect(p.files).toContain(p.manifest.exports['.'].import.replace(/^\.\//, ''));
  expect(p.files.filter((f) => /(^|\/)(test|node_modules|\.toolchain|build|build-sanitized)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  const deps = { ...p.manifest.dependencies, ...p.manifest.optionalDependencies };
  for (const tool of ['node-gyp', 'node-addon-api', 'typescript', 'prebuildify']) expect(deps).not.toHaveProperty(tool);
  for (const [name, range] of Object.entries(deps)) expect(range, name).not.toMatch(/^workspace:/);
}

describe('npm packages', () => {
  const packed: Record<string, Packed> = {};
  // Whatever prebuilds exist before packing must ship (test/prebuild.test.ts builds all four).
  const prebuilds = join(packages, 'native', 'prebuilds');
  let built: string[] = [];
  beforeAll(() => {
    built = existsSync(prebuilds) ? readdirSync(prebuilds).filter((d) => existsSync(join(prebuilds, d, 'ringside.node'))) : [];
    for (const name of ['native', 'core', 'http']) packed[name] = pack(name);
  }, 300_000);

  it('@ringside/native: loader, prebuilds, and what a build from source needs', () => {
    const p = packed.native!;
    expectPublishable(p);
    expect(p.manifest.dependencies ?? {}).toEqual({});
    expect(p.manifest.scripts.install).toBe('node scripts/install.cjs');
    for (const f of [
      'dist/index.js',
      'dist/load.js',
      'dist/index.d.ts',
      'scripts/install.cjs',
      'scripts/build-addon.cjs',
      'scripts/addon-location.cjs',
      'binding.gyp',
      'vendor/node-addon-api/napi.h',
      'vendor/node-addon-api/napi-inl.h',
      'vendor/node-addon-api/index.js',
    ]) {
      expect(p.files).toContain(f);
    }
    const gyp = JSON.parse(readFileSync(join(packages, 'native', 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, ''));
    for (const src of gyp.targets[0].sources) expect(p.files).toContain(src);
    for (const h of readdirSync(join(packages, 'native', 'src')).filter((f) => f.endsWith('.h'))) expect(p.files).toContain(`src/${h}`);
    expect(p.files.filter((f) => f.startsWith('lib/') || (f.startsWith('scripts/') && /prebuild|toolchain|vendor-addon-api/.test(f)))).toEqual([]);
    if (built.length < 4) console.warn(`\n*** pack test: only ${built.length} of 4 prebuilds present (${built.join(', ') || 'none'}); run pnpm prebuilds\n`);
    for (const d of built) expect(p.files).toContain(`prebuilds/${d}/ringside.node`);
    expect(p.files.filter((f) => f.startsWith('prebuilds/') && !f.endsWith('/ringside.node'))).toEqual([]);
    expect(staleOutputs(p.files, join(packages, 'native', 'lib'))).toEqual([]);
    // Four prebuilds of ~340 KiB compress to ~150 KiB each.
    expect(p.bytes).toBeLessThan(1024 * 1024);
  });

  it('@ringside/core: the transport, and the `ringside` command', () => {
    const p = packed.core!;
    expectPublishable(p);
    // ws: the node backend's WebSocket engine (loaded on the first upgrade).
    expect(p.manifest.dependencies).toEqual({ '@ringside/native': '0.1.0', ws: '8.18.3' });
    expect(p.manifest.bin).toEqual({ ringside: './bin/ringside.js' });
    for (const f of ['bin/ringside.js', 'dist/cli.js', 'dist/doctor.js', 'dist/select-backend.js']) expect(p.files).toContain(f);
    expect(staleOutputs(p.files, join(packages, 'core', 'src'))).toEqual([]);
    expect(p.bytes).toBeLessThan(200 * 1024);
  });

  it('@ringside/http: the framework', () => {
    const p = packed.http!;
    expectPublishable(p);
    expect(p.manifest.dependencies['@ringside/core']).toBe('0.1.0');
    expect(staleOutputs(p.files, join(packages, 'http', 'src'))).toEqual([]);
    expect(p.bytes).toBeLessThan(300 * 1024);
  });
});
