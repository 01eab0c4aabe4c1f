// Where the addon for this machine is, and how a user builds one: shared by
// the install script (which runs before dist/ exists in a checkout) and
// lib/load.ts (which requires this file), so the two never disagree.
'use strict';

/**
 * The C library named by a process's /proc/<pid>/maps text: musl's loader
 * (ld-musl-<arch>.so.1) or glibc's libc (libc.so.6; libc-2.31.so before glibc
 * 2.34), possibly marked deleted after an upgrade. null when neither shows.
 */
function libcFromMaps(maps) {
  if (/\/ld-musl-[^/\s]+\.so[.\d]*( \(deleted\))?$/m.test(maps)) return 'musl';
  if (/\/libc(-[\d.]+)?\.so(\.6)?( \(deleted\))?$/m.test(maps)) return 'glibc';
  return null;
}

/**
 * The C library this Node runs on: from the libraries mapped into this
 * process, or where /proc does not say, from the process report (glibc
 * reports its version there, musl does not), which costs 15 ms and 2 MiB.
 */
function libc() {
  let maps = '';
  try {
    maps = require('node:fs').readFileSync('/proc/self/maps', 'latin1');
  } catch {}
  return libcFromMaps(maps) ?? (process.report?.getReport()?.header?.glibcVersionRuntime ? 'glibc' : 'musl');
}

/** The prebuilds/ folder for a machine: linux-x64, linux-arm64-musl, … */
function prebuildDir(platform = process.platform, arch = process.arch, lib = libc()) {
  return `${platform}-${arch}${lib === 'musl' ? '-musl' : ''}`;
}

/** The fix for a missing or unloadable addon, in words a user of the published packages can act on. */
const BUILD_FIX =
  'install a C++ compiler, make and python3 (Debian/Ubuntu: apt-get install g++ make python3; Alpine: apk add g++ make python3), ' +
  'then run `npm rebuild @ringside/native`; where dependency build scripts are blocked, allow this one first: ' +
  'npm 11: `npm install-scripts approve @ringside/native`; pnpm 10: add "pnpm": { "onlyBuiltDependencies": ["@ringside/native"] } ' +
  'to package.json and run `pnpm rebuild @ringside/native`';

module.exports = { libc, libcFromMaps, prebuildDir, BUILD_FIX };
