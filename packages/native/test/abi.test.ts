// src/io_uring_abi.h is our own copy of the kernel ABI the addon uses (so it
// builds without kernel headers). This compiles test/abi/print_abi.cc against
// it and against the host's <linux/io_uring.h>, and compares every value,
// size and offset the host header also has. Skips loudly without g++ or
// without a host header (then nothing can be compared here).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const nativeDir = fileURLToPath(new URL('..', import.meta.url));
const printer = join(nativeDir, 'test', 'abi', 'print_abi.cc');
const HOST_HEADER = '/usr/include/linux/io_uring.h';

function skipReason(): string | null {
  try {
    execFileSync('g++', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'g++ not found';
  }
  return existsSync(HOST_HEADER) ? null : `no host header ${HOST_HEADER} to compare with (install linux-libc-dev)`;
}

const skip = skipReason();
if (skip) console.warn(`\n*** SKIPPING the io_uring ABI comparison: ${skip}\n`);
const workDir = skip ? '' : mkdtempSync(join(tmpdir(), 'ringside-abi-'));
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** Compile the printer (ours or the host's ABI) and return its name=value lines as a map. */
function values(own: boolean): Map<string, string> {
  const exe = join(workDir, own ? 'own' : 'host');
  execFileSync('g++', ['-std=c++20', '-Wall', '-Wextra', ...(own ? ['-DRINGSIDE_OWN_ABI', '-I', join(nativeDir, 'src')] : []), printer, '-o', exe], {
    stdio: 'pipe',
  });
  const out = execFileSync(exe, { encoding: 'utf8' });
  return new Map(
    out
      .trim()
      .split('\n')
      .map((l) => l.split('=') as [string, string]),
  );
}

describe.skipIf(!!skip)(`io_uring ABI${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('src/io_uring_abi.h agrees with the host <linux/io_uring.h> on every value, size and offset both have', () => {
    const own = values(true);
    const host = values(false);
    const differ = [...host].filter(([k, v]) => own.get(k) !== v).map(([k, v]) => `${k}: ours ${own.get(k)}, host ${v}`);
    expect(differ).toEqual([]);
    // Everything ours defines is compared, except what an older host header lacks.
    const unchecked = [...own.keys()].filter((k) => !host.has(k));
    if (unchecked.length) console.log(`[abi] not in the host header, unchecked here: ${unchecked.join(', ')}`);
    expect(host.size).toBeGreaterThan(80);
  });

  it('the io_uring sources compile with no kernel io_uring header at all', () => {
    // A <linux/io_uring.h> that fails any build including it, first on the include path.
    const poison = join(workDir, 'poison', 'linux');
    mkdirSync(poison, { recursive: true });
    writeFileSync(join(poison, 'io_uring.h'), '#error "the addon must not need the kernel\'s io_uring header"\n');
    // Every source but the N-API glue (which needs Node's headers, not the kernel's).
    const sources = readdirSync(join(nativeDir, 'src')).filter((f) => f.endsWith('.cc') && f !== 'addon.cc');
    expect(sources).toContain('ring.cc');
    for (const file of sources) {
      execFileSync('g++', ['-std=c++20', '-fsyntax-only', '-I', join(workDir, 'poison'), '-I', join(nativeDir, 'src'), join(nativeDir, 'src', file)], {
        stdio: 'pipe',
      });
    }
  });
});
