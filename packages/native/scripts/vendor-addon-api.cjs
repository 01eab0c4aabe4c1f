#!/usr/bin/env node
// `prepack`: copies node-addon-api's headers (a devDependency) into
// vendor/node-addon-api/, so the published package can build from source
// where no prebuild fits without node-addon-api being a dependency of every
// install. build-addon.cjs puts vendor/ on NODE_PATH for binding.gyp's
// require('node-addon-api').
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const from = path.dirname(require.resolve('node-addon-api/package.json', { paths: [root] }));
const to = path.join(root, 'vendor', 'node-addon-api');
const FILES = ['package.json', 'index.js', 'LICENSE.md', 'napi.h', 'napi-inl.h', 'napi-inl.deprecated.h'];

fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
for (const f of FILES) fs.copyFileSync(path.join(from, f), path.join(to, f));
console.log(`vendored node-addon-api ${require(path.join(from, 'package.json')).version} into ${path.relative(root, to)}`);
