/**
 * Finding and loading the addon, in this order:
 *   1. `RINGSIDE_ADDON=<path to a .node file>` (e.g. the sanitized build): when
 *      set, the only file tried, so a run meant for it never quietly gets another.
 *   2. The local build, build/Release/ringside.node: it exists only when someone
 *      built from source on purpose (the install found no prebuild for this
 *      machine, `npm rebuild --build-from-source`, or a developer), and then it
 *      is newer than any prebuild, which must not shadow it.
 *   3. The prebuild shipped in the package for this platform, CPU and C library:
 *      prebuilds/linux-x64/, linux-arm64/, linux-x64-musl/, linux-arm64-musl/.
 * Otherwise the caller falls back (to the node backend), with `error` naming
 * every file tried, why each was refused, and what a user can do about it.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Binding } from './index.js';

export type AddonOrigin = 'RINGSIDE_ADDON' | 'local build' | 'prebuild';

export interface AddonCandidate {
  file: string;
  origin: AddonOrigin;
}

export interface LoadResult {
  binding: Binding | null;
  /** The file loaded; '' when none. */
  path: string;
  /** How that file got here; null when none loaded. */
  origin: AddonOrigin | null;
  /** Every file tried before the one loaded (or all of them), each with why it was refused. */
  tried: string[];
  /** Why no addon was loaded, naming every file tried; '' when loaded. */
  error: string;
  /** What a user can do about `error`; '' when loaded or when there is nothing to fix (not Linux). */
  fix: string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

// Shared with the install script, which runs before dist/ exists in a checkout.
const location = createRequire(import.meta.url)('../scripts/addon-location.cjs') as {
  libc(): 'glibc' | 'musl';
  libcFromMaps(maps: string): 'glibc' | 'musl' | null;
  prebuildDir(platform?: string, arch?: string, lib?: 'glibc' | 'musl'): string;
  BUILD_FIX: string;
};
/** The C library this Node runs on. */
export const libc = location.libc;
/** The C library a /proc/<pid>/maps text names (null: neither glibc's nor musl's shows). */
export const libcFromMaps = location.libcFromMaps;
/** The prebuilds/ folder for a machine: linux-x64, linux-arm64-musl, … (defaults: this one). */
export const prebuildDir = location.prebuildDir;
/** The fix for a missing or unloadable addon, in words a user of the published packages can act on. */
export const ADDON_BUILD_FIX = location.BUILD_FIX;

/** The files loadBinding() tries, in order, for a package at `root`. */
export function addonCandidates(root = packageRoot, override = process.env.RINGSIDE_ADDON): AddonCandidate[] {
  if (override) return [{ file: isAbsolute(override) ? override : resolve(process.cwd(), override), origin: 'RINGSIDE_ADDON' }];
  return [
    { file: join(root, 'build', 'Release', 'ringside.node'), origin: 'local build' },
    { file: join(root, 'prebuilds', prebuildDir(), 'ringside.node'), origin: 'prebuild' },
  ];
}

/** Load the first candidate that loads. Never throws. */
export function loadBindingFrom(candidates: AddonCandidate[]): LoadResult {
  const none = { binding: null, path: '', origin: null };
  if (process.platform !== 'linux') {
    return { ...none, tried: [], error: `the native engine needs Linux; this is ${process.platform}`, fix: '' };
  }
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const { file, origin } of candidates) {
    if (!existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    try {
      return { binding: require(file) as Binding, path: file, origin, tried, error: '', fix: '' };
    } catch (e) {
      tried.push(`${file} (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const override = candidates.length === 1 && candidates[0]!.origin === 'RINGSIDE_ADDON';
  return {
    ...none,
    tried,
    error: `the @ringside/native addon is not loadable (tried ${tried.join('; ')})`,
    fix: override ? 'fix or unset RINGSIDE_ADDON' : ADDON_BUILD_FIX,
  };
}

let cached: LoadResult | undefined;

/** The addon for this process (see the order above), loaded once. Never throws. */
export function loadBinding(): LoadResult {
  cached ??= loadBindingFrom(addonCandidates());
  return cached;
}
