#!/usr/bin/env node
// The package's install script. It never fails the install:
//   - the published package with a prebuild that loads here: nothing to do;
//   - otherwise, with a C++ compiler, make and python3: build from source
//     (build-addon.cjs, node-gyp as bundled with npm/pnpm);
//   - otherwise: a warning that says why and how to fix it, shown on the
//     terminal even though npm hides the output of install scripts, and the
//     app runs on the node backend.
// A checkout of the repository (lib/ is there: it is not published) always
// builds from source, so developers load what they just changed.
// `npm rebuild @ringside/native --build-from-source` (or
// RINGSIDE_BUILD_FROM_SOURCE=1) builds even when a prebuild matches.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { BUILD_FIX, prebuildDir } = require('./addon-location.cjs');

const root = path.join(__dirname, '..');

/** Say it where a person sees it: npm swallows install scripts' output unless they fail. */
function warn(text) {
  console.warn(text);
  if (process.stderr.isTTY) return;
  try {
    fs.writeFileSync('/dev/tty', `${text}\n`);
  } catch {
    // no terminal (CI): the line above is in the install log
  }
}

/** Why `file` does not load in this Node, or '' when it does. */
function loadError(file) {
  if (!fs.existsSync(file)) return 'missing';
  try {
    require(file);
    return '';
  } catch (e) {
    return e.message.split('\n')[0];
  }
}

function missingBuildTools() {
  const cxx = process.env.CXX || 'c++';
  return [cxx, 'make', 'python3'].filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
}

function main() {
  if (process.platform !== 'linux') {
    console.warn(`@ringside/native: the native engine needs Linux, this is ${process.platform}; Ringside will use its node backend.`);
    return;
  }
  const checkout = fs.existsSync(path.join(root, 'lib'));
  const fromSource = checkout || !!process.env.RINGSIDE_BUILD_FROM_SOURCE || process.env.npm_config_build_from_source === 'true';
  const prebuild = path.join(root, 'prebuilds', prebuildDir(), 'ringside.node');
  const why = fromSource ? 'built from source here (a repository checkout, or --build-from-source)' : loadError(prebuild);
  if (!why) return;

  const missing = missingBuildTools();
  const notLoaded = fromSource ? `the addon is ${why}` : `no usable prebuilt binary (${path.relative(root, prebuild)}: ${why})`;
  if (missing.length) {
    warn(
      `\n@ringside/native: WARNING: ${notLoaded}; it cannot be built here: ${missing.join(', ')} not found.\n` +
        `Ringside will run on its slower node backend. To get the native engine: ${BUILD_FIX}.\n`,
    );
    return;
  }
  const r = spawnSync(process.execPath, [path.join(__dirname, 'build-addon.cjs'), '--strict'], { stdio: 'inherit' });
  if (r.status !== 0) {
    warn(
      `\n@ringside/native: WARNING: ${notLoaded}; building it from source failed (output above).\n` +
        `Ringside will run on its slower node backend. Run \`npx ringside doctor\` for details.\n`,
    );
  }
}

main();
