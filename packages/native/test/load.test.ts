// Where the addon is loaded from: RINGSIDE_ADDON alone when set, else the local
// build, then this machine's prebuild; when none loads, the error names every
// file tried and the fix is one a user of the published package can apply.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADDON_BUILD_FIX, addonCandidates, bindingExports, libc, libcFromMaps, loadBinding, loadBindingFrom, prebuildDir } from '../lib/index.js';

const built = loadBinding();
const root = mkdtempSync(join(tmpdir(), 'ringside-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package root holding `files` (relative path → copy of the loaded addon, or 'garbage'). */
function packageRoot(name: string, files: Record<string, 'addon' | 'garbage'>): string {
  const dir = join(root, name);
  for (const [rel, what] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    if (what === 'addon') copyFileSync(built.path, join(dir, rel));
    else writeFileSync(join(dir, rel), 'not an ELF file');
  }
  return dir;
}

describe('addon candidates', () => {
  it("this machine's prebuild folder names platform, CPU and C library", () => {
    expect(prebuildDir('linux', 'x64', 'glibc')).toBe('linux-x64');
    expect(prebuildDir('linux', 'arm64', 'musl')).toBe('linux-arm64-musl');
    expect(prebuildDir()).toMatch(new RegExp(`^${process.platform}-${process.arch}(-musl)?$`));
  });

  it('the C library is read from the mapped libraries: glibc (new and old names), musl, neither', () => {
    const line = (path: string) => `7f0e1c400000-7f0e1c428000 r--p 00000000 08:01 1234 ${path}`;
    expect(libcFromMaps(line('/usr/lib/x86_64-linux-gnu/libc.so.6'))).toBe('glibc');
    expect(libcFromMaps(line('/lib/x86_64-linux-gnu/libc-2.31.so'))).toBe('glibc');
    expect(libcFromMaps(line('/usr/lib/x86_64-linux-gnu/libc.so.6 (deleted)'))).toBe('glibc');
    expect(libcFromMaps(line('/lib/ld-musl-aarch64.so.1'))).toBe('musl');
    expect(libcFromMaps([line('/usr/bin/node'), line('/usr/lib/libstdc++.so.6.0.30'), line('/usr/lib/libcrypto.so.3')].join('\n'))).toBeNull();
    expect(libcFromMaps('')).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')("this process's maps name a C library, the one its process report names", () => {
    const report = process.report.getReport() as { header: { glibcVersionRuntime?: string } };
    expect(libcFromMaps(readFileSync('/proc/self/maps', 'latin1'))).toBe(report.header.glibcVersionRuntime ? 'glibc' : 'musl');
    expect(libc()).toBe(report.header.glibcVersionRuntime ? 'glibc' : 'musl');
  });

  it('RINGSIDE_ADDON is the only file tried; otherwise the local build, then the prebuild', () => {
    expect(addonCandidates('/pkg', '/x/sanitized.node')).toEqual([{ file: '/x/sanitized.node', origin: 'RINGSIDE_ADDON' }]);
    expect(addonCandidates('/pkg', '')).toEqual([
      { file: '/pkg/build/Release/ringside.node', origin: 'local build' },
      { file: `/pkg/prebuilds/${prebuildDir()}/ringside.node`, origin: 'prebuild' },
    ]);
  });

  it('with nothing to load: every path tried, and a fix a user can apply', () => {
    const r = loadBindingFrom(addonCandidates(packageRoot('empty', {}), ''));
    expect(r.binding).toBeNull();
    expect(r.tried).toHaveLength(2);
    for (const c of addonCandidates(join(root, 'empty'), '')) expect(r.error).toContain(`${c.file} (missing)`);
    expect(r.fix).toBe(ADDON_BUILD_FIX);
    expect(r.fix).toContain('npm rebuild @ringside/native');
    expect(r.fix).toContain('"pnpm": { "onlyBuiltDependencies": ["@ringside/native"] }');
    expect(r.fix).not.toMatch(/--filter|build:addon/); // nothing that only means something in this monorepo
  });

  it('a RINGSIDE_ADDON that does not load: fix or unset it', () => {
    const r = loadBindingFrom(addonCandidates('/pkg', join(root, 'nope.node')));
    expect(r.error).toContain(`${join(root, 'nope.node')} (missing)`);
    expect(r.fix).toBe('fix or unset RINGSIDE_ADDON');
  });
});

describe.skipIf(!built.binding)(`loading${built.binding ? '' : ` (SKIPPED: no addon to copy: ${built.error})`}`, () => {
  it('a prebuild loads when there is no local build', () => {
    const r = loadBindingFrom(addonCandidates(packageRoot('prebuilt', { [`prebuilds/${prebuildDir()}/ringside.node`]: 'addon' }), ''));
    expect(r.origin).toBe('prebuild');
    expect(r.tried).toEqual([`${join(root, 'prebuilt', 'build', 'Release', 'ringside.node')} (missing)`]);
    expect(Object.keys(r.binding!).sort()).toEqual([...bindingExports].sort());
  });

  it('a local build wins over the prebuild', () => {
    const dir = packageRoot('both', { 'build/Release/ringside.node': 'addon', [`prebuilds/${prebuildDir()}/ringside.node`]: 'addon' });
    const r = loadBindingFrom(addonCandidates(dir, ''));
    expect(r.origin).toBe('local build');
    expect(r.path).toBe(join(dir, 'build', 'Release', 'ringside.node'));
  });

  it("a file that does not load is passed over with the loader's reason", () => {
    const dir = packageRoot('broken', { 'build/Release/ringside.node': 'garbage', [`prebuilds/${prebuildDir()}/ringside.node`]: 'addon' });
    const r = loadBindingFrom(addonCandidates(dir, ''));
    expect(r.origin).toBe('prebuild');
    expect(r.tried[0]).toMatch(/build\/Release\/ringside\.node \(.*(invalid ELF header|file too short)/);
  });
});
