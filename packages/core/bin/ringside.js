#!/usr/bin/env node
// `npx ringside doctor [--json]`: see src/cli.ts.
import { runCli } from '../dist/cli.js';

process.exitCode = runCli(process.argv.slice(2));
