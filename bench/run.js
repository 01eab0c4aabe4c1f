#!/usr/bin/env node
// Benchmark harness entry: `pnpm bench [--quick] [options]` or `node bench/run.js --help`.
import { main } from './lib/run.js';

// Exit explicitly: nothing the run leaves behind may keep the process alive.
process.exit(await main(process.argv.slice(2)));
