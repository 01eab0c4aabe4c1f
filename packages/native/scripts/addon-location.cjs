// Where the addon for this machine is, and how a user builds one: shared by
// the install script (which runs before dist/ exists in a checkout) and
// lib/load.ts (which requires this file), so the two never disagree.
'use strict';

/** The C library this Node runs on: glibc reports its version in the process report, musl does not. */
function libc() {
  return process.report?.getReport()?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
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

module.exports = { libc, prebuildDir, BUILD_FIX };
