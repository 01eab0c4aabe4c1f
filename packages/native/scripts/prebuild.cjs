#!/usr/bin/env node
// Builds the prebuilt N-API binaries that ship in the npm package:
//   prebuilds/linux-x64/ringside.node         x86_64, glibc >= 2.28
//   prebuilds/linux-arm64/ringside.node       aarch64, glibc >= 2.28
//   prebuilds/linux-x64-musl/ringside.node    x86_64, musl (Alpine)
//   prebuilds/linux-arm64-musl/ringside.node  aarch64, musl (Alpine)
// N-API (NAPI_VERSION in binding.gyp), so one binary per target serves every Node >= 20.
//
// Toolchain: zig's clang (`zig c++ -target …`), fetched from the npm registry
// by toolchain.cjs. One compiler reaches all four targets from this host; it
// links against glibc 2.28's symbol versions (Node 20's own floor) whatever the
// build machine's glibc is, and ships musl and libc++ for every target, which
// Debian's cross compilers (glibc only, the host's glibc version) do not.
// libc++ is linked statically and hidden: only the N-API entry points are exported.
//
// Sources, defines and C++ flags come from binding.gyp, so the prebuilds and
// the node-gyp build compile the same thing. A target whose inputs have not
// changed since its last build is skipped (stamps in .toolchain/stamps/).
//
//   node scripts/prebuild.cjs [--only linux-x64,linux-arm64-musl] [--force]
// Prints one line per target; any failure is fatal (exit 3 when a tool could not be had).
'use strict';
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const toolchain = require('./toolchain.cjs');

const root = path.join(__dirname, '..');

const TARGETS = [
  { dir: 'linux-x64', triple: 'x86_64-linux-gnu.2.28' },
  { dir: 'linux-arm64', triple: 'aarch64-linux-gnu.2.28' },
  { dir: 'linux-x64-musl', triple: 'x86_64-linux-musl' },
  { dir: 'linux-arm64-musl', triple: 'aarch64-linux-musl' },
];
// Everything else stays hidden: a statically linked libc++ must not
// interpose on the libstdc++ Node itself uses.
const EXPORTS = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];

/** Exit status when a tool could not be had (no network for zig, no Node headers): tests skip on it. */
const NO_TOOL = 3;

function fail(reason, status = 1) {
  console.error(`@ringside/native prebuild: ${reason}`);
  process.exit(status);
}

/** binding.gyp's one target (gyp files are JSON plus # comments). */
function gypTarget() {
  const text = fs.readFileSync(path.join(root, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '');
  return JSON.parse(text).targets[0];
}

/** Node's headers (node_api.h and uv.h: the addon drives a uv_poll) beside the running node. */
function nodeIncludeDir() {
  const dir = path.resolve(path.dirname(process.execPath), '..', 'include', 'node');
  if (!fs.existsSync(path.join(dir, 'node_api.h')) || !fs.existsSync(path.join(dir, 'uv.h'))) {
    fail(
      `Node's headers are not at ${dir} (node_api.h, uv.h); use a Node installed with its headers (official tarball, nvm, Debian nodejs + libnode-dev)`,
      NO_TOOL,
    );
  }
  return dir;
}

function addonApiIncludeDir() {
  try {
    return path.dirname(require.resolve('node-addon-api/napi.h', { paths: [root] }));
  } catch {
    return fail('node-addon-api is not installed (a devDependency of @ringside/native: run pnpm install)', NO_TOOL);
  }
}

function compileArgs(target, gyp, out, versionScript) {
  return [
    'c++',
    '-target',
    target.triple,
    '-shared',
    '-fPIC',
    '-fvisibility=hidden',
    '-s',
    ...gyp.cflags_cc,
    ...gyp.defines.map((d) => `-D${d}`),
    '-DBUILDING_NODE_EXTENSION',
    `-I${nodeIncludeDir()}`,
    `-I${addonApiIncludeDir()}`,
    `-Wl,--version-script=${versionScript}`,
    ...gyp.sources.map((s) => path.join(root, s)),
    '-o',
    out,
  ];
}

/** Hash of everything a prebuild depends on: sources, headers, flags, compiler. */
function stampOf(args, zigVersion) {
  const h = crypto.createHash('sha256').update(zigVersion).update(JSON.stringify(args));
  const srcDir = path.join(root, 'src');
  for (const f of fs.readdirSync(srcDir).sort()) h.update(f).update(fs.readFileSync(path.join(srcDir, f)));
  return h.digest('hex');
}

function main() {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1].split(',') : null;
  const force = argv.includes('--force');
  const targets = only ? TARGETS.filter((t) => only.includes(t.dir)) : TARGETS;
  if (only && targets.length !== only.length) fail(`unknown target in --only ${only.join(',')}; targets: ${TARGETS.map((t) => t.dir).join(', ')}`);

  let zig;
  try {
    zig = toolchain.zig();
  } catch (e) {
    fail(`no zig: ${e.message}`, NO_TOOL);
  }
  const zigVersion = toolchain.zigVersion(zig);
  const gyp = gypTarget();
  const stamps = path.join(toolchain.DIR, 'stamps');
  fs.mkdirSync(stamps, { recursive: true });
  const versionScript = path.join(toolchain.DIR, 'exports.map');
  fs.writeFileSync(versionScript, `{ global: ${EXPORTS.join('; ')}; local: *; };\n`);
  const env = {
    ...toolchain.plainEnv(),
    ZIG_GLOBAL_CACHE_DIR: path.join(toolchain.DIR, 'zig-cache'),
    ZIG_LOCAL_CACHE_DIR: path.join(toolchain.DIR, 'zig-cache'),
  };

  for (const target of targets) {
    const outDir = path.join(root, 'prebuilds', target.dir);
    const out = path.join(outDir, 'ringside.node');
    const tmp = path.join(toolchain.DIR, `${target.dir}.node.tmp`); // never a partial file in prebuilds/
    const args = compileArgs(target, gyp, tmp, versionScript);
    const stamp = stampOf(args, zigVersion);
    const stampFile = path.join(stamps, target.dir);
    if (!force && fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
      console.log(`${target.dir}: up to date (${out})`);
      continue;
    }
    fs.mkdirSync(outDir, { recursive: true });
    const t0 = Date.now();
    const r = spawnSync(zig, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) fail(`${target.dir}: zig c++ -target ${target.triple} exited with ${r.status ?? r.signal}`);
    fs.renameSync(tmp, out);
    fs.writeFileSync(stampFile, stamp);
    const kib = Math.round(fs.statSync(out).size / 1024);
    console.log(`${target.dir}: built ${out} (${kib} KiB, zig ${zigVersion} -target ${target.triple}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

main();
