#!/usr/bin/env node
// Builds the addon under AddressSanitizer + UBSan into build-sanitized/, leaving
// the normal build/ alone. Used by scripts/test-sanitized.sh (`pnpm test:sanitized`).
//
// node-gyp always builds into ./build of the directory holding binding.gyp, so
// build-sanitized/ gets a verbatim copy of binding.gyp and a link src -> ../src:
// the same sources, defines and flags as the real build, plus the sanitizer
// flags from CXXFLAGS/LDFLAGS, which gyp's Makefile puts after the target's
// own (so -O1 here wins over binding.gyp's -O2).
//
// Prints the path of the built .node on its last line. Any failure is fatal.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'build-sanitized');
const addon = path.join(outDir, 'build', 'Release', 'ringside.node');

const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
const CXXFLAGS = [...SANITIZE, '-fno-omit-frame-pointer', '-g', '-O1'];

function fail(reason) {
  console.error(`@ringside/native: sanitized addon not built: ${reason}`);
  process.exit(1);
}

if (process.platform !== 'linux') fail(`io_uring needs Linux, this is ${process.platform}`);

// The sanitizer runtimes ship apart from g++ on some systems (Debian: libasan8,
// libubsan1). Link a trivial program first so a missing one is named plainly.
const cxx = process.env.CXX || 'g++';
{
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ringside-san-'));
  const src = path.join(tmp, 'probe.cc');
  fs.writeFileSync(src, 'int main() { return 0; }\n');
  const r = spawnSync(cxx, [...SANITIZE, src, '-o', path.join(tmp, 'probe')], { encoding: 'utf8' });
  fs.rmSync(tmp, { recursive: true, force: true });
  if (r.error) fail(`${cxx} not runnable (${r.error.message})`);
  if (r.status !== 0) fail(`${cxx} cannot link ${SANITIZE[0]} (install the ASan/UBSan runtimes, e.g. libasan8 libubsan1):\n${r.stderr.trim()}`);
}

fs.mkdirSync(outDir, { recursive: true });
fs.copyFileSync(path.join(root, 'binding.gyp'), path.join(outDir, 'binding.gyp'));
const srcLink = path.join(outDir, 'src');
fs.rmSync(srcLink, { recursive: true, force: true });
fs.symlinkSync(path.join('..', 'src'), srcLink, 'dir');

const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release'];
// Same header choice as build-addon.cjs: the headers installed beside this node.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const env = {
  ...process.env,
  JOBS: process.env.JOBS || String(Math.max(1, os.availableParallelism?.() ?? os.cpus().length)),
  CXX: cxx,
  CXXFLAGS: [process.env.CXXFLAGS, ...CXXFLAGS].filter(Boolean).join(' '),
  LDFLAGS: [process.env.LDFLAGS, ...SANITIZE].filter(Boolean).join(' '),
};
delete env.LD_PRELOAD; // never build with a sanitizer runtime preloaded into the compiler
const r = spawnSync(process.execPath, args, { cwd: outDir, stdio: 'inherit', env });
if (r.status !== 0) fail(`node-gyp exited with ${r.status ?? r.signal}`);

if (!fs.existsSync(addon)) fail(`node-gyp succeeded but ${addon} is missing`);
if (!fs.readFileSync(addon).includes('__asan_init')) fail(`${addon} has no ASan instrumentation (were CXXFLAGS ignored?)`);
console.log(addon);
