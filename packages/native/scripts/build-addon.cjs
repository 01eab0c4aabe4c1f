#!/usr/bin/env node
// Builds the addon with node-gyp; the io_uring ABI is in src/io_uring_abi.h (no liburing, no kernel headers).
// Run by install.cjs when no prebuild fits, and by `pnpm build:addon` (--strict).
// A failed build exits 0 unless `--strict`: @ringside/core then falls back and says why.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');

function give(reason) {
  const line = `@ringside/native: addon not built (${reason}); Ringside will use the node backend.`;
  if (strict) {
    console.error(line);
    process.exit(1);
  }
  console.warn(line);
  process.exit(0);
}

if (process.platform !== 'linux') give(`io_uring needs Linux, this is ${process.platform}`);

// node-gyp: the devDependency in a checkout; in an installed package the one
// npm and pnpm bundle, which they name in npm_config_node_gyp for scripts.
function nodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return process.env.npm_config_node_gyp || null;
  }
}
const gyp = nodeGyp();
if (!gyp) give('node-gyp not found: run this through npm or pnpm (npm rebuild @ringside/native), or install node-gyp');

const args = [gyp, 'rebuild', '--release'];
// Use the headers installed beside this node (no download): <prefix>/include/node/node.h.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

// binding.gyp asks require('node-addon-api') for its headers: the devDependency
// in a checkout, the copy packed into vendor/ (scripts/vendor-addon-api.cjs) in
// an installed package.
const NODE_PATH = [path.join(root, 'vendor'), process.env.NODE_PATH].filter(Boolean).join(path.delimiter);
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_PATH, JOBS: process.env.JOBS || '2' } });
if (r.status !== 0) give(`node-gyp exited with ${r.status ?? r.signal}`);
