#!/usr/bin/env node
// Memory benchmark: each server's RSS idle and with 1,000 keep-alive
// connections open, in fresh processes, one server at a time, rounds
// interleaved; medians with min–max. Beside the bench servers it reads
// node:http with the registry code the framework servers load (so a
// framework's figure can be read against the code its app brings),
// examples/hello, and the io_uring server under a glibc setting an operator
// may choose (MALLOC_TRIM_THRESHOLD_). With --after-load, also RSS after a
// 5 s load and once the server has been quiet for 15 s.
//
//   node bench/memory.js [--rounds 3] [--servers a,b] [--after-load] [--out bench/results/memory]
//   node bench/memory.js --help
//
// Writes <out>/latest.json and latest.md. Method: bench/README.md, "Memory".
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installSignalHandlers, killAllSync, which } from './lib/children.js';
import { runLoad } from './lib/load.js';
import { machineInfo, treeRssBytes } from './lib/measure.js';
import { renderMemoryMarkdown, summarizeMemory } from './lib/memory-report.js';
import { OPEN_CONNECTIONS, SERVERS, measureIdleRss, measureOpenConnectionsRss, selectServers, startServer } from './lib/servers.js';
import { readRssDetail } from './lib/soak-report.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const byName = (name) => /** @type {import('./lib/servers.js').ServerDef} */ (SERVERS.find((s) => s.name === name));

/** @type {import('./lib/servers.js').ServerDef[]} */
export const MEMORY_SERVERS = [
  byName('node-http'),
  {
    name: 'node-http-deps',
    command: [process.execPath, path.join(BENCH_DIR, 'servers/node-http-deps.js')],
    env: {},
    description: 'node-http plus the plugins and schema compilers the framework servers load',
  },
  byName('ringside-io_uring'),
  byName('ringside-epoll'),
  byName('fastify'),
  {
    name: 'hello-io_uring',
    command: [process.execPath, path.join(ROOT, 'examples/hello/server.js')],
    env: { RINGSIDE_BACKEND: 'io_uring' },
    description: 'examples/hello (four routes, no plugins or schemas) on io_uring',
  },
  {
    ...byName('ringside-io_uring'),
    name: 'ringside-io_uring-trim',
    env: { ...byName('ringside-io_uring').env, MALLOC_TRIM_THRESHOLD_: '131072' },
    description: 'ringside-io_uring with glibc trimming freed heap tops above 128 KiB (an operator setting)',
  },
];

/** The --after-load readings: a load this long, then RSS right after it and this long after it. */
const LOAD_SECONDS = 5;
const LOAD_CONNECTIONS = 100;
const QUIET_SECONDS = 15;

const HELP = `Usage: node bench/memory.js [options]

  --rounds <n>        fresh starts per server (default 3)
  --servers <a,b>     which servers, in this order (default all: ${MEMORY_SERVERS.map((s) => s.name).join(', ')})
  --after-load        also: RSS after ${LOAD_SECONDS} s of dynamic GET /user/<n> load (${LOAD_CONNECTIONS} connections; wrk, else autocannon)
                      and again ${QUIET_SECONDS} s after it (a native loop hands memory back after 10 s quiet)
  --out <dir>         where latest.json and latest.md go (default bench/results/memory)
  --help`;

/**
 * @param {string[]} argv
 * @returns {{ rounds: number, servers: string[] | undefined, afterLoad: boolean, out: string, help: boolean }}
 */
export function parseMemoryArgs(argv) {
  const o = { rounds: 3, servers: /** @type {string[] | undefined} */ (undefined), afterLoad: false, out: path.join(BENCH_DIR, 'results/memory'), help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--rounds') {
      o.rounds = Number(value());
      if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.rounds > 20) throw new Error('--rounds must be an integer from 1 to 20');
    } else if (a === '--servers') o.servers = value().split(',').filter(Boolean);
    else if (a === '--after-load') o.afterLoad = true;
    else if (a === '--out') o.out = path.resolve(value());
    else if (a !== '--') throw new Error(`unknown option ${a} (see --help)`);
  }
  return o;
}

/**
 * One reading: start the server, RSS idle (0.3 s after its first answer,
 * with the anonymous/file split), then with 1,000 connections open (closed
 * after); with `afterLoad`, then a load and RSS 0.5 s and QUIET_SECONDS
 * after it. Stops the server.
 * @param {import('./lib/servers.js').ServerDef} def
 * @param {boolean} afterLoad
 */
async function readServer(def, afterLoad) {
  const srv = await startServer(def);
  try {
    const idle = await measureIdleRss(srv);
    const detail = readRssDetail(srv.pid);
    const open = await measureOpenConnectionsRss(srv, OPEN_CONNECTIONS);
    /** @type {number | null} */
    let loaded = null;
    /** @type {number | null} */
    let quiet = null;
    if (afterLoad) {
      const load = await runLoad({
        tool: which('wrk') ? 'wrk' : 'autocannon',
        url: `http://127.0.0.1:${srv.port}/user/1`,
        method: 'GET',
        dynamicPath: '/user/',
        connections: LOAD_CONNECTIONS,
        pipelining: 1,
        duration: LOAD_SECONDS,
      });
      if (load.responses === 0 || load.errors + load.timeouts + load.non2xx > 0)
        throw new Error(
          `${def.name}: the load went wrong (${load.responses} responses, ${load.errors} errors, ${load.timeouts} timeouts, ${load.non2xx} non-2xx)`,
        );
      await sleep(500);
      loaded = treeRssBytes(srv.pid);
      await sleep(QUIET_SECONDS * 1000 - 500);
      quiet = treeRssBytes(srv.pid);
    }
    return { idle, anon: detail?.rssAnonBytes ?? null, file: detail?.rssFileBytes ?? null, open, loaded, quiet, backend: srv.backend };
  } finally {
    await srv.stop();
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {{ rounds: number, servers?: string[], afterLoad?: boolean, out: string, command?: string }} opts
 * @param {{ log?: (line: string) => void }} [io]
 */
export async function runMemoryBenchmark(opts, io = {}) {
  const log = io.log ?? ((line) => process.stderr.write(line + '\n'));
  const defs = selectServers(opts.servers, MEMORY_SERVERS);
  const started = new Date();
  /** @type {Record<string, import('./lib/memory-report.js').MemoryReading[]>} */
  const readings = Object.fromEntries(defs.map((d) => [d.name, []]));
  /** @type {Record<string, string>} */
  const errors = {};
  for (let round = 1; round <= opts.rounds; round++) {
    for (const def of defs) {
      if (errors[def.name]) continue;
      try {
        const r = await readServer(def, opts.afterLoad ?? false);
        readings[def.name].push(r);
        log(
          `memory: round ${round} ${def.name}: ${(r.idle / 1048576).toFixed(1)} MiB idle, ${r.open === null ? '?' : (r.open / 1048576).toFixed(1)} MiB with ${OPEN_CONNECTIONS} open`,
        );
      } catch (e) {
        errors[def.name] = /** @type {Error} */ (e).message.split('\n')[0];
        log(`memory: ERROR ${errors[def.name]}`);
      }
    }
  }
  const report = {
    date: started.toISOString(),
    command: opts.command ?? 'node bench/memory.js',
    machine: machineInfo(),
    node: process.version,
    rounds: opts.rounds,
    connections: OPEN_CONNECTIONS,
    afterLoad: opts.afterLoad
      ? { seconds: LOAD_SECONDS, connections: LOAD_CONNECTIONS, quietSeconds: QUIET_SECONDS, tool: which('wrk') ? 'wrk' : 'autocannon' }
      : null,
    // Servers inherit the environment: a wait other than the default changes the after-load readings.
    quietReleaseMs: process.env.RINGSIDE_QUIET_RELEASE_MS ?? null,
    servers: defs.map((d) => ({
      name: d.name,
      description: d.description ?? '',
      env: d.env,
      expectBackend: d.expectBackend,
      error: errors[d.name] ?? null,
      ...summarizeMemory(readings[d.name], OPEN_CONNECTIONS),
    })),
  };
  const markdown = renderMemoryMarkdown(report);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(path.join(opts.out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(opts.out, 'latest.md'), markdown);
  return { report, markdown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseMemoryArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`memory: ${/** @type {Error} */ (e).message}\n`);
    process.exit(2);
  }
  if (opts.help) {
    process.stdout.write(HELP + '\n');
    process.exit(0);
  }
  installSignalHandlers();
  try {
    const argv = process.argv.slice(2).filter((x) => x !== '--');
    const { report, markdown } = await runMemoryBenchmark({ ...opts, command: `node bench/memory.js${argv.length ? ' ' + argv.join(' ') : ''}` });
    process.stdout.write(markdown);
    process.exit(report.servers.every((s) => s.error === null) ? 0 : 1);
  } catch (e) {
    process.stderr.write(`memory: ${/** @type {Error} */ (e).message}\n`);
    killAllSync();
    process.exit(1);
  }
}
