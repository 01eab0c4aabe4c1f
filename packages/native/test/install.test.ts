// The install script of the published package (no lib/ beside it) never fails
// the install: a prebuild that loads needs nothing; without one and without a
// compiler it warns, naming the cause and the fix a user can apply.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBinding, prebuildDir } from '../lib/index.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ringside-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A PATH with node and nothing else: no c++, make or python3.
const bin = join(work, 'bin');
mkdirSync(bin);
symlinkSync(process.execPath, join(bin, 'node'));

/** A copy of the package as npm unpacks it (scripts, no lib/), with a prebuild for this machine or not. */
function published(name: string, withPrebuild: boolean): string {
  const dir = join(work, name);
  cpSync(join(pkg, 'scripts'), join(dir, 'scripts'), { recursive: true });
  cpSync(join(pkg, 'package.json'), join(dir, 'package.json'));
  if (withPrebuild) {
    mkdirSync(join(dir, 'prebuilds', prebuildDir()), { recursive: true });
    copyFileSync(loadBinding().path, join(dir, 'prebuilds', prebuildDir(), 'ringside.node'));
  }
  return dir;
}

function install(dir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
  delete env.CXX;
  return spawnSync(process.execPath, [join(dir, 'scripts', 'install.cjs')], { cwd: dir, env, encoding: 'utf8', timeout: 20_000 });
}

describe('install script', () => {
  it('without a prebuild or a compiler: exit 0 and a warning with the cause and the fix', () => {
    const r = install(published('bare', false));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('@ringside/native: WARNING: no usable prebuilt binary');
    expect(r.stderr).toContain(`prebuilds/${prebuildDir()}/ringside.node: missing`);
    expect(r.stderr).toContain('cannot be built here: c++, make, python3 not found');
    expect(r.stderr).toContain('npm rebuild @ringside/native');
    expect(r.stderr).toContain('onlyBuiltDependencies');
  });

  it.skipIf(!loadBinding().binding)('with a prebuild that loads here: nothing to build, nothing to say', () => {
    const r = install(published('prebuilt', true));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
  });
});
