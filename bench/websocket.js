#!/usr/bin/env node
/**
 * WebSocket benchmark: echo of small messages over 100 and 1,000
 * connections (messages/s, server CPU per message) and a broadcast to
 * 10,000 subscribers (time to deliver, server CPU), for uWebSockets.js, ws,
 * Bun and Ringside side by side. Every server is started once; each scenario
 * runs in interleaved rounds (server A, B, C, A, B, C, …) and reports
 * medians. Writes bench/results/websocket/latest.{json,md}.
 *
 *   node bench/websocket.js [--servers uws,ws,ringside-io_uring] [--scenarios echo-100,broadcast-10000]
 *                           [--duration 5] [--rounds 3] [--warmup 1] [--depth 16] [--bytes 32]
 *                           [--publishes 10] [--threads 1] [--out dir] [--no-pin]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installSignalHandlers, planPinning } from './lib/children.js';
import { cpuSpeedCheck, machineInfo } from './lib/measure.js';
import { BENCH_DIR, startServer } from './lib/servers.js';
import { loopbackSources, runWsLoad } from './lib/ws-load.js';
import { REFERENCE, addReferenceRatios, renderWsMarkdown, summarizeRow } from './lib/ws-report.js';
import { fdLimitPrefix, selectWsServers } from './lib/ws-servers.js';
import { SATURATED, fmtInt, fmtMs, fmtUs } from './lib/report.js';

/** @typedef {{ name: string, kind: 'echo' | 'broadcast', connections: number, description: string }} WsScenario */

/** @type {WsScenario[]} */
const SCENARIOS = [
  { name: 'echo-100', kind: 'echo', connections: 100, description: 'echo over 100 connections' },
  { name: 'echo-1000', kind: 'echo', connections: 1000, description: 'echo over 1,000 connections' },
  { name: 'broadcast-10000', kind: 'broadcast', connections: 10_000, description: 'one publish to 10,000 subscribers' },
];

const HELP = `Usage: node bench/websocket.js [options]

  --servers a,b        ${'uws,ws,bun,ringside-io_uring,ringside-epoll,ringside-node'} (default: all, in this order)
  --scenarios x,y      ${SCENARIOS.map((s) => s.name).join(',')} (default: all)
  --duration <s>       recorded seconds per echo round (default 5)
  --rounds <n>         interleaved rounds (default 3)
  --warmup <s>         echo warm-up per round, not recorded (default 1)
  --depth <n>          echo messages in flight per connection (default 32)
  --bytes <n>          message size, bytes (default 32)
  --publishes <n>      broadcast publishes recorded per round (default 10)
  --threads <n>        load generator worker threads (default 1)
  --out <dir>          results directory (default bench/results/websocket)
  --no-pin             do not pin server and load generator to separate CPUs
  --ready-timeout <s>  how long a server may take to answer after start (default 10)
  --help`;

const NUMERIC = {
  duration: [5, 0.5],
  rounds: [3, 1],
  warmup: [1, 0],
  depth: [32, 1],
  bytes: [32, 1],
  publishes: [10, 1],
  threads: [1, 1],
  'ready-timeout': [10, 1],
};

/** "a, b," → ['a', 'b'] @param {string} v */
const csv = (v) => v.split(',').flatMap((s) => s.trim() || []);

/** @param {string[]} argv */
export function parseArgs(argv) {
  /** @type {Record<string, string | boolean>} */
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (name === 'help' || name === 'no-pin') a[name] = true;
    else if (name in NUMERIC || name === 'servers' || name === 'scenarios' || name === 'out') {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${name} needs a value`);
      a[name] = v;
    } else throw new Error(`Unknown option --${name} (see --help)`);
  }
  /** @type {Record<string, number>} */
  const n = {};
  for (const [k, [def, min]] of Object.entries(NUMERIC)) {
    const v = a[k] === undefined ? def : Number(a[k]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${k} must be a number ≥ ${min}`);
    n[k] = ['duration', 'warmup'].includes(k) ? v : Math.round(v);
  }
  if (n.bytes > 125) throw new Error('--bytes must be ≤ 125 (one small frame)');
  const list = (k) => (typeof a[k] === 'string' ? csv(String(a[k])) : undefined);
  const scenarioNames = list('scenarios');
  const unknown = (scenarioNames ?? []).filter((s) => !SCENARIOS.some((x) => x.name === s));
  if (unknown.length) throw new Error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return {
    help: a.help === true,
    servers: selectWsServers(list('servers')),
    scenarios: scenarioNames ? SCENARIOS.filter((s) => scenarioNames.includes(s.name)) : SCENARIOS,
    duration: n.duration,
    rounds: n.rounds,
    warmup: n.warmup,
    depth: n.depth,
    bytes: n.bytes,
    publishes: n.publishes,
    threads: n.threads,
    readyTimeoutS: n['ready-timeout'],
    pin: a['no-pin'] !== true,
    out: typeof a.out === 'string' ? path.resolve(a.out) : path.join(BENCH_DIR, 'results', 'websocket'),
  };
}

/**
 * @param {ReturnType<typeof parseArgs>} o
 * @param {string} command
 */
async function run(o, command) {
  const log = (line) => process.stdout.write(line + '\n');
  const machine = machineInfo();
  const pinning = planPinning(machine.cpusAllowed, o.pin);
  /** @type {string[]} */
  const warnings = pinning.enabled ? [] : [pinning.note];
  // The load generator may use every allowed CPU but the server's (one, on a 2-CPU machine).
  const loadCpus = pinning.enabled ? machine.cpusAllowed.filter((c) => c !== pinning.serverCpu).join(',') : null;
  const loadNote = pinning.enabled
    ? `server pinned to CPU ${pinning.serverCpu}, load generator (${o.threads} worker thread${o.threads > 1 ? 's' : ''}) to CPU ${loadCpus} (taskset)`
    : pinning.note;
  log(`ws-bench: ${machine.cpuModel}, ${machine.nproc} CPUs, kernel ${machine.kernel}, Node ${process.version}`);
  log(`ws-bench: ${loadNote}`);

  // 8 source addresses × ~28,000 ephemeral ports: 10,000 connections per round, rounds after rounds, never run out.
  const sourceAddresses = await loopbackSources(8);
  if (sourceAddresses.length < 2) warnings.push('only 127.0.0.1 can be bound as a source address: ephemeral ports may run out over many rounds');

  // Both sides hold one descriptor per connection, plus slack.
  const fdsNeeded = Math.max(...o.scenarios.map((s) => s.connections)) + 1024;
  /** @type {string[]} */
  let fdPrefix = [];
  try {
    fdPrefix = fdLimitPrefix(fdsNeeded);
  } catch (e) {
    warnings.push(`${/** @type {Error} */ (e).message}: scenarios with many connections will fail`);
  }

  /** @type {any[]} */
  const servers = [];
  /** @type {Map<string, import('./lib/servers.js').RunningServer>} */
  const running = new Map();
  /** @type {import('./lib/ws-report.js').WsRow[]} */
  const rows = o.scenarios.flatMap((sc) => o.servers.map((d) => ({ scenario: sc.name, server: d.name, error: null, notes: [], rounds: [] })));
  const rowOf = (sc, sv) => /** @type {import('./lib/ws-report.js').WsRow} */ (rows.find((r) => r.scenario === sc && r.server === sv));
  /** @type {{ after: string, nsPerIter: number | null }[]} */
  const speedChecks = [];

  try {
    for (const def of o.servers) {
      const info = { name: def.name, description: def.description, command: /** @type {string[]} */ ([]), env: {}, note: null, backend: null, error: null };
      servers.push(info);
      try {
        const prep = def.prepare();
        Object.assign(info, { command: prep.command, env: prep.env, note: prep.note ?? null });
        const srv = await startServer(
          { name: def.name, command: [...fdPrefix, ...prep.command], env: prep.env, expectBackend: def.expectBackend },
          { cpu: pinning.serverCpu, readyTimeoutMs: o.readyTimeoutS * 1000 },
        );
        running.set(def.name, srv);
        info.backend = srv.backend;
        if (def.expectBackend && srv.backend !== def.expectBackend) {
          const msg = `${def.name}: backend ${srv.backend ?? 'not reported'}, expected ${def.expectBackend}`;
          warnings.push(msg);
          for (const sc of o.scenarios) rowOf(sc.name, def.name).notes.push(`backend ${srv.backend ?? '?'}`);
        }
        log(`ws-bench: started ${def.name} (pid ${srv.pid}, port ${srv.port}${srv.backend ? `, ${srv.backend}` : ''})${info.note ? ` — ${info.note}` : ''}`);
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        info.error = msg.split('\n')[0].replace(`${def.name}: `, '');
        for (const sc of o.scenarios) rowOf(sc.name, def.name).error = `not available: ${info.error}`;
        log(`ws-bench: ${def.name} not available: ${info.error}`);
      }
    }

    speedChecks.push({ after: 'start', nsPerIter: cpuSpeedCheck(pinning.serverCpu) });
    for (const sc of o.scenarios) {
      for (let round = 1; round <= o.rounds; round++) {
        for (const def of o.servers) {
          const srv = running.get(def.name);
          const row = rowOf(sc.name, def.name);
          if (!srv) continue;
          const tag = `[${sc.name}] round ${round}/${o.rounds} ${def.name}`;
          const gone = srv.exited();
          if (gone) {
            row.error ??= `server exited (${gone.signal ?? `code ${gone.code}`})`;
            continue;
          }
          /** @type {import('./lib/ws-load.js').LoadConfig} */
          const config = {
            mode: sc.kind,
            port: srv.port,
            connections: sc.connections,
            depth: o.depth,
            payloadBytes: o.bytes,
            warmupS: o.warmup,
            durationS: o.duration,
            publishes: o.publishes,
            gapMs: 100,
            deliverTimeoutS: 10,
            threads: Math.min(o.threads, sc.connections),
            serverPid: srv.pid,
            sourceAddresses,
            connectTimeoutS: 60,
          };
          const r = await runWsLoad(config, { cpus: loadCpus, prefix: fdPrefix });
          const died = srv.exited();
          const figures = sc.kind === 'echo' ? r.messages > 0 : r.timings?.length > 0;
          const error = died
            ? `server exited (${died.signal ?? `code ${died.code}`}) during the run`
            : figures
              ? null
              : (r.error ?? (sc.kind === 'echo' ? 'no echo in the recorded window' : 'no publish delivered'));
          if (error) {
            if (row.rounds.length === 0) row.error ??= error;
            else row.notes.push(`round ${round}: ${error}`);
            log(`${tag}: ERROR ${error}`);
            continue;
          }
          if (r.error) row.notes.push(`round ${round}: ${r.error}`);
          if (r.mismatches) row.notes.push(`round ${round}: ${r.mismatches} of ${r.checked} checked messages differ from what was sent`);
          if (r.connectionError) row.notes.push(`round ${round}: ${r.connectionError}`);
          row.rounds.push({ round, ...r });
          if (sc.kind === 'echo') {
            log(
              `${tag}: ${fmtInt(r.msgsPerS)} msg/s · ${r.cpuPerMsgUs === null ? '?' : fmtUs(r.cpuPerMsgUs)} µs CPU/msg · server ${Math.round(
                (r.serverCores ?? 0) * 100,
              )}% · load ${Math.round(r.loadCores * 100)}% (${fmtUs(r.loadCpuPerMsgUs)} µs/msg) · checked ${r.checked}, wrong ${r.mismatches}`,
            );
          } else {
            const ms = r.timings.map((t) => fmtMs(t.deliverMs)).join(' ');
            const cpu = r.timings.map((t) => (t.serverCpuMs === null ? '?' : fmtMs(t.serverCpuMs))).join(' ');
            log(`${tag}: connected in ${r.connectMs} ms · deliver ms: ${ms} · server CPU ms: ${cpu} · wrong ${r.mismatches}`);
          }
        }
      }
      speedChecks.push({ after: sc.name, nsPerIter: cpuSpeedCheck(pinning.serverCpu) });
    }
  } finally {
    await Promise.all([...running.values()].map((s) => s.stop()));
  }

  for (const row of rows) {
    const sc = /** @type {WsScenario} */ (o.scenarios.find((s) => s.name === row.scenario));
    row.summary = summarizeRow(row, sc.kind);
    const s = row.summary;
    if (s?.loadBound) row.notes.unshift(`load generator bound: ${sc.kind === 'echo' ? 'messages/s' : 'time to deliver'} understates the server`);
    else if (s?.serverCores && s.loadCores && s.serverCores.median < SATURATED) {
      // Both sides waited part of the time: on each other or on a busy host.
      row.notes.push(
        `neither side saturated (server ${Math.round(s.serverCores.median * 100)}%, load ${Math.round(s.loadCores.median * 100)}%): messages/s understates capacity, compare CPU / message`,
      );
    }
    if (row.summary && row.error) {
      row.notes.push(row.error);
      row.error = null;
    }
  }
  addReferenceRatios(rows);
  if (!running.has(REFERENCE) && o.servers.some((s) => s.name === REFERENCE)) warnings.push(`${REFERENCE} not available: no ratios`);
  const speeds = /** @type {number[]} */ (speedChecks.map((c) => c.nsPerIter).filter((v) => v !== null));
  if (speeds.length > 1 && Math.max(...speeds) / Math.min(...speeds) > 1.1) {
    warnings.push(
      `the server CPU's speed varied by ${Math.round((Math.max(...speeds) / Math.min(...speeds) - 1) * 100)}% during the run (busy neighbours?): re-run before publishing`,
    );
  }

  const report = {
    schema: 1,
    date: new Date().toISOString(),
    command,
    machine,
    node: process.version,
    pinning: { ...pinning, note: loadNote },
    options: {
      duration: o.duration,
      rounds: o.rounds,
      warmup: o.warmup,
      depth: o.depth,
      bytes: o.bytes,
      publishes: o.publishes,
      threads: o.threads,
      sourceAddresses,
    },
    warnings,
    speedChecks,
    scenarios: o.scenarios,
    servers,
    rows,
  };
  const markdown = renderWsMarkdown(report);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(path.join(o.out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(o.out, 'latest.md'), markdown);
  log('\n' + markdown);
  log(`ws-bench: wrote ${path.relative(process.cwd(), path.join(o.out, 'latest.json'))} and latest.md`);
}

const argv = process.argv.slice(2);
let options;
try {
  options = parseArgs(argv);
} catch (e) {
  process.stderr.write(`${/** @type {Error} */ (e).message}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(HELP + '\n');
} else {
  installSignalHandlers();
  await run(options, ['node bench/websocket.js', ...argv].join(' '));
}
