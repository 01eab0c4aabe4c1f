#!/usr/bin/env node
// Builds the addon with node-gyp; the io_uring ABI is in src/io_uring_abi.h (no liburing, no kernel headers).
// Runs at install time. A failed build does not fail the install: @ringside/core
// then falls back to the node backend and says why. `--strict` makes failure fatal.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const strict = process.argv.includes('--strict');
const root = path.join(__dirname, '..');

function give(reason) {
  const line = `@ringside/native: addon not built (${reason}); Ringside will use the node backend.`;
  if (strict) { console.error(line); process.exit(1); }
  console.warn(line);
  process.exit(0);
}

if (process.platform !== 'linux') give(`io_uring needs Linux, this is ${process.platform}`);

const args = [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release'];
// Use the headers installed beside this node (no download): <prefix>/include/node/node.h.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, JOBS: process.env.JOBS || '2' } });
if (r.status !== 0) give(`node-gyp exited with ${r.status ?? r.signal}`);
