/**
 * The benchmark run: start the servers, warm up and load each one per
 * scenario in interleaved rounds, measure, report. `main(argv)` is the CLI
 * (bench/run.js); `runBenchmark(options)` is what the test calls.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderChart } from './chart.js';
import { installSignalHandlers, killAllSync, planPinning, which } from './children.js';
import { autocannonVersion, runLoad, wrkVersion } from './load.js';
import { cpuSpeedCheck, machineInfo, startRssSampler, treeCpuSeconds } from './measure.js';
import { SATURATED, addRatios, evaluateTargets, fmtInt, fmtMs, fmtUs, renderMarkdown, summarize } from './report.js';
import { selectScenarios } from './scenarios.js';
import { BENCH_DIR, OPEN_CONNECTIONS, checkRoutes, measureIdleRss, measureOpenConnectionsRss, selectServers, startServer } from './servers.js';

/** Above this max/min ratio of the CPU speed checks, the report warns that the machine changed speed. */
const SPEED_SPREAD_WARN = 1.1;

// The full run: every server (5) × every scenario (11) in about 8 minutes (7.8 measured on 2 CPUs).
export const DEFAULTS = {
  full: { duration: 2, rounds: 3, warmup: 1 },
  quick: { duration: 2, rounds: 1, warmup: 1 },
};

/**
 * @typedef {object} Options
 * @property {boolean} quick
 * @property {string[] | undefined} servers
 * @property {string[] | undefined} scenarios
 * @property {number} duration      seconds per recorded round
 * @property {number} rounds
 * @property {number} warmup        seconds of warm-up per server and scenario (0: none)
 * @property {number} connections   default connections (a scenario may override)
 * @property {number} timeoutS      per-request timeout of the load generator
 * @property {'auto' | 'autocannon' | 'wrk'} tool
 * @property {string} out           results directory
 * @property {boolean} pin
 * @property {number} readyTimeoutS
 * @property {boolean} [print]      print the Markdown table at the end (CLI)
 * @property {string} [command]     recorded in the report
 * @property {import('./servers.js').ServerDef[]} [serverDefs]  override the server list (tests)
 */

const HELP = `Usage: node bench/run.js [options]     (pnpm bench [-- options])

  --quick                 short run: ${DEFAULTS.quick.rounds} round × ${DEFAULTS.quick.duration} s, ${DEFAULTS.quick.warmup} s warm-up (default: ${DEFAULTS.full.rounds} × ${DEFAULTS.full.duration} s, ${DEFAULTS.full.warmup} s warm-up)
  --servers a,b           servers to run, in this order (default: all)
  --scenarios x,y         scenarios to run (default: all)
  --duration <s>          seconds per recorded round
  --rounds <n>            interleaved rounds per scenario
  --warmup <s>            warm-up seconds per server and scenario (0 = none)
  --connections <n>       connections (default 100; the 1,000-connection scenario keeps 1,000)
  --timeout <s>           per-request timeout of the load generator (default 2, as wrk's)
  --tool auto|autocannon|wrk  load generator (default auto: wrk for the pipelined scenarios when it is on the PATH, autocannon for the rest)
  --out <dir>             results directory (default bench/results)
  --no-pin                do not pin server and load generator to separate CPUs
  --ready-timeout <s>     how long a server may take to answer after start (default 10)
  --list                  list servers and scenarios
  --help`;

const KNOWN_OPTIONS = [
  'quick',
  'servers',
  'scenarios',
  'duration',
  'rounds',
  'warmup',
  'connections',
  'timeout',
  'tool',
  'out',
  'no-pin',
  'ready-timeout',
  'help',
  'list',
];

/**
 * @param {string[]} argv arguments after the script name
 * @returns {Options & { help?: boolean, list?: boolean }}
 */
export function parseArgs(argv) {
  /** @type {Record<string, string | boolean>} */
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument ${JSON.stringify(arg)} (see --help)`);
    arg = arg.slice(2);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (!KNOWN_OPTIONS.includes(name)) throw new Error(`Unknown option --${name} (see --help)`);
    if (eq >= 0) {
      a[arg.slice(0, eq)] = arg.slice(eq + 1);
    } else if (['quick', 'no-pin', 'help', 'list'].includes(arg)) {
      a[arg] = true;
    } else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`--${arg} needs a value`);
      a[arg] = v;
      i++;
    }
  }
  const quick = a.quick === true;
  const d = quick ? DEFAULTS.quick : DEFAULTS.full;
  const num = (k, def, min) => {
    if (a[k] === undefined) return def;
    const v = Number(a[k]);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${k} must be a number ≥ ${min}`);
    return v;
  };
  const list = (k) =>
    typeof a[k] === 'string'
      ? String(a[k])
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  const tool = a.tool === undefined ? 'auto' : String(a.tool);
  if (tool !== 'auto' && tool !== 'autocannon' && tool !== 'wrk') throw new Error('--tool must be auto, autocannon or wrk');
  return {
    quick,
    servers: list('servers'),
    scenarios: list('scenarios'),
    duration: num('duration', d.duration, 0.5),
    rounds: Math.round(num('rounds', d.rounds, 1)),
    warmup: num('warmup', d.warmup, 0),
    connections: Math.round(num('connections', 100, 1)),
    timeoutS: num('timeout', 2, 0.1),
    tool,
    out: typeof a.out === 'string' ? path.resolve(a.out) : path.join(BENCH_DIR, 'results'),
    pin: a['no-pin'] !== true,
    readyTimeoutS: num('ready-timeout', 10, 1),
    help: a.help === true,
    list: a.list === true,
  };
}

/**
 * The load generator of one scenario. `auto` gives the pipelined scenarios to
 * wrk (autocannon, one Node process, tops out near 150k req/s pipelined on a
 * small machine, far below what the native engine serves) and the others to
 * autocannon (per-request latency at 10 µs resolution); without wrk on the
 * PATH everything runs on autocannon.
 * @param {'auto' | 'autocannon' | 'wrk'} choice
 * @param {import('./scenarios.js').Scenario} scenario
 * @param {boolean} haveWrk
 * @returns {'autocannon' | 'wrk'}
 */
export function scenarioTool(choice, scenario, haveWrk) {
  if (!haveWrk || choice === 'autocannon') return 'autocannon';
  if (choice === 'wrk') return 'wrk';
  return (scenario.pipelining ?? 1) > 1 ? 'wrk' : 'autocannon';
}

/**
 * Runs the whole benchmark and writes the reports into `options.out`:
 * latest.md, latest.json, <timestamp>.json, latest.svg.
 * @param {Options} options
 * @param {{ log?: (line: string) => void }} [io]
 * @returns {Promise<{ report: import('./report.js').BenchReport, markdown: string, svg: string, files: string[] }>}
 */
export async function runBenchmark(options, io = {}) {
  const log = io.log ?? ((line) => process.stdout.write(line + '\n'));
  const t0 = performance.now();
  const defs = selectServers(options.servers, options.serverDefs);
  const scenarios = selectScenarios(options.scenarios);
  /** @type {string[]} */
  const warnings = [];
  /** @type {{ after: string, nsPerIter: number | null }[]} */
  const speedChecks = [];

  const haveWrk = Boolean(which('wrk'));
  if (!haveWrk && options.tool === 'wrk') warnings.push('--tool wrk: wrk is not on the PATH; using autocannon instead');
  if (!haveWrk && options.tool === 'auto' && scenarios.some((sc) => (sc.pipelining ?? 1) > 1)) {
    warnings.push('wrk is not on the PATH (apt-get install wrk): the pipelined scenarios ran on autocannon, which tops out near 150k req/s pipelined');
  }
  const toolOf = (/** @type {import('./scenarios.js').Scenario} */ sc) => scenarioTool(options.tool, sc, haveWrk);
  const toolsUsed = [...new Set(scenarios.map(toolOf))];
  const tools = { autocannon: autocannonVersion(), wrk: wrkVersion() };
  if (toolsUsed.includes('autocannon') && !tools.autocannon) throw new Error('autocannon is not installed (run: npx pnpm@9 install)');

  const machine = machineInfo();
  const pinning = planPinning(machine.cpusAllowed, options.pin);
  if (!pinning.enabled) warnings.push(pinning.note);
  log(`bench: ${machine.cpuModel}, ${machine.nproc} CPUs, kernel ${machine.kernel}, Node ${process.version}`);
  log(
    `bench: load generator ${scenarios.map((sc) => `${sc.name} ${toolOf(sc)}`).join(', ')} (autocannon ${tools.autocannon ?? '—'}, wrk ${tools.wrk ?? '—'}); ${pinning.note}`,
  );
  for (const w of warnings) log(`bench: WARNING: ${w}`);
  const perPair = options.warmup + options.rounds * (options.duration + 0.3) + 0.3;
  log(
    `bench: ${defs.length} servers × ${scenarios.length} scenarios, warm-up ${options.warmup} s + ${options.rounds} × ${options.duration} s each — about ${Math.ceil(
      (defs.length * scenarios.length * perPair) / 60,
    )} min`,
  );

  /** @type {import('./report.js').BenchReport['servers']} */
  const serverInfo = [];
  /** @type {Map<string, import('./servers.js').RunningServer>} */
  const running = new Map();
  /** @type {import('./report.js').Row[]} */
  const rows = scenarios.flatMap((sc) =>
    defs.map((d) => ({
      scenario: sc.name,
      server: d.name,
      tool: toolOf(sc),
      error: /** @type {string | null} */ (null),
      notes: /** @type {string[]} */ ([]),
      rounds: [],
      summary: null,
    })),
  );
  const rowOf = (sc, sv) => /** @type {import('./report.js').Row} */ (rows.find((r) => r.scenario === sc && r.server === sv));

  try {
    // ---- start every server (all stay up, idle, while the others are loaded)
    for (const def of defs) {
      /** @type {import('./report.js').BenchReport['servers'][number]} */
      const info = {
        name: def.name,
        command: def.command.map((c) => (c === process.execPath ? 'node' : path.isAbsolute(c) ? path.relative(path.dirname(BENCH_DIR), c) : c)),
        env: def.env,
        expectBackend: def.expectBackend,
        backend: null,
        error: null,
        problems: [],
        startMs: null,
        rssIdleBytes: null,
        rssOpenBytes: null,
        rssLoadBytes: null,
        rssLoadScenario: null,
        output: '',
      };
      serverInfo.push(info);
      try {
        const srv = await startServer(def, { cpu: pinning.serverCpu, readyTimeoutMs: options.readyTimeoutS * 1000 });
        running.set(def.name, srv);
        info.startMs = srv.startMs;
        info.rssIdleBytes = await measureIdleRss(srv);
        info.rssOpenBytes = await measureOpenConnectionsRss(srv, OPEN_CONNECTIONS).catch((e) => {
          warnings.push(`${def.name}: RSS with ${OPEN_CONNECTIONS} connections open not measured: ${/** @type {Error} */ (e).message}`);
          return null;
        });
        info.backend = srv.backend;
        const problems = await checkRoutes(srv, scenarios);
        info.problems = Object.values(problems);
        for (const [sc, why] of Object.entries(problems)) rowOf(sc, def.name).notes.push(`wrong answer: ${why}`);
        if (def.expectBackend && srv.backend !== def.expectBackend) {
          const msg = `${def.name}: backend ${srv.backend ?? 'not reported'}, expected ${def.expectBackend}`;
          warnings.push(msg);
          for (const sc of scenarios) rowOf(sc.name, def.name).notes.push(`backend ${srv.backend ?? '?'} (expected ${def.expectBackend})`);
        }
        log(
          `bench: started ${def.name} (pid ${srv.pid}, port ${srv.port}${srv.backend ? `, backend ${srv.backend}` : ''}) in ${srv.startMs} ms, RSS ${
            info.rssIdleBytes === null ? '?' : (info.rssIdleBytes / 1048576).toFixed(1)
          } MiB idle, ${info.rssOpenBytes === null ? '?' : (info.rssOpenBytes / 1048576).toFixed(1)} MiB with ${OPEN_CONNECTIONS} connections open${info.problems.length ? `; WRONG ANSWERS: ${info.problems.join('; ')}` : ''}`,
        );
      } catch (e) {
        const msg = /** @type {Error} */ (e).message;
        info.error = msg.split('\n')[0].replace(`${def.name}: `, '');
        info.output = msg.split('\n').slice(1).join('\n');
        for (const sc of scenarios) rowOf(sc.name, def.name).error = `server failed to start: ${info.error}`;
        log(`bench: ERROR ${msg.replace(/\n/g, '\n       ')}`);
      }
    }

    // ---- per scenario: warm-up, then interleaved rounds; a CPU speed check
    // before the first and after every scenario shows whether the machine
    // itself changed speed during the run.
    speedChecks.push({ after: 'start', nsPerIter: cpuSpeedCheck(pinning.serverCpu) });
    for (const [si, sc] of scenarios.entries()) {
      const connections = sc.connections ?? options.connections;
      const pipelining = sc.pipelining ?? 1;
      for (let round = 1; round <= options.rounds; round++) {
        for (const def of defs) {
          const srv = running.get(def.name);
          const row = rowOf(sc.name, def.name);
          if (!srv) continue;
          const gone = srv.exited();
          if (gone) {
            row.error ??= `server exited (${gone.signal ?? `code ${gone.code}`})`;
            continue;
          }
          const base = {
            tool: toolOf(sc),
            url: `http://127.0.0.1:${srv.port}${sc.path}`,
            method: sc.method,
            headers: sc.headers,
            body: sc.body,
            dynamicPath: sc.dynamicPath,
            connections,
            pipelining,
            timeoutS: options.timeoutS,
            cpu: pinning.loadCpu,
          };
          const tag = `[${si + 1}/${scenarios.length} ${sc.name}] round ${round}/${options.rounds} ${def.name}`;
          try {
            const exitedWhy = () => {
              const e = srv.exited();
              return e ? `server exited (${e.signal ?? `code ${e.code}`}) during the run` : null;
            };
            if (round === 1 && options.warmup > 0) {
              await runLoad({ ...base, duration: options.warmup });
              const why = exitedWhy();
              if (why) throw new Error(`${why} (warm-up)`);
            }
            /** @type {number | null} */
            let cpu0 = null;
            /** @type {number | null} */
            let cpu1 = null;
            let w0 = 0;
            let w1 = 0;
            const rss = startRssSampler(srv.pid, 50);
            let peak = 0;
            let r;
            try {
              r = await runLoad({
                ...base,
                duration: options.duration,
                onStart: () => {
                  w0 = performance.now();
                  cpu0 = treeCpuSeconds(srv.pid, rss.pids);
                },
                onEnd: () => {
                  w1 = performance.now();
                  cpu1 = treeCpuSeconds(srv.pid, rss.pids);
                },
              });
            } finally {
              peak = rss.stop();
            }
            const died = exitedWhy();
            if (died) throw new Error(died);
            if (r.responses === 0) {
              throw new Error(`no responses in ${options.duration} s (${r.errors} errors, ${r.timeouts} timeouts): server not answering`);
            }
            const cpuS = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : null;
            /** @type {import('./report.js').RoundResult} */
            const rr = {
              round,
              responses: r.responses,
              windowS: r.windowS,
              rps: r.rps,
              p50Ms: r.p50Ms,
              p99Ms: r.p99Ms,
              errors: r.errors,
              timeouts: r.timeouts,
              non2xx: r.non2xx,
              serverCpuS: cpuS,
              cpuPerReqUs: cpuS !== null && r.responses > 0 ? (cpuS * 1e6) / r.responses : null,
              serverCores: cpuS !== null && w1 > w0 ? cpuS / ((w1 - w0) / 1000) : null,
              loadCores: r.loadCores,
              loadBound: r.loadBound,
              rssPeakBytes: peak || null,
            };
            row.rounds.push(rr);
            log(
              `${tag}: ${fmtInt(rr.rps)} req/s · p50 ${rr.p50Ms === null ? '?' : fmtMs(rr.p50Ms)} ms · p99 ${rr.p99Ms === null ? '?' : fmtMs(rr.p99Ms)} ms · ${
                rr.cpuPerReqUs === null ? '?' : fmtUs(rr.cpuPerReqUs)
              } µs/req · server ${rr.serverCores === null ? '?' : Math.round(rr.serverCores * 100)}% · load ${
                rr.loadCores === null ? '?' : Math.round(rr.loadCores * 100)
              }%${rr.loadBound ? ' (load generator bound)' : ''}${rr.errors || rr.timeouts || rr.non2xx ? ` · errors ${rr.errors}, timeouts ${rr.timeouts}, non-2xx ${rr.non2xx}` : ''}`,
            );
          } catch (e) {
            const msg = /** @type {Error} */ (e).message;
            const gone2 = srv.exited();
            const why = gone2 && !msg.startsWith('server exited') ? `server exited (${gone2.signal ?? `code ${gone2.code}`}) during the run` : msg;
            if (row.rounds.length === 0 && !row.error) row.error = why;
            else if (why !== row.error) row.notes.push(`round ${round}: ${why}`);
            log(`${tag}: ERROR ${why}`);
          }
        }
      }
      speedChecks.push({ after: sc.name, nsPerIter: cpuSpeedCheck(pinning.serverCpu) });
    }
  } finally {
    await Promise.all([...running.values()].map((s) => s.stop()));
  }

  // ---- summarize
  for (const row of rows) {
    row.summary = summarize(row.rounds);
    if (row.summary) {
      if (row.error) row.notes.push(`only ${row.rounds.length}/${options.rounds} rounds: ${row.error}`);
      row.error = null;
      const srvPct = Math.round((row.summary.serverCores?.median ?? 0) * 100);
      const loadPct = Math.round((row.summary.loadCores?.median ?? 0) * 100);
      if (row.summary.loadBound) {
        row.notes.unshift(`load generator bound (${row.tool} ${loadPct}% CPU)`);
      } else if (row.summary.serverCores && row.summary.loadCores && row.summary.serverCores.median < SATURATED) {
        // Both sides idle part of the time: they wait on each other (or on the
        // host). The req/s is not a capacity figure; CPU/req still holds.
        row.notes.push(`neither side saturated (server ${srvPct}%, ${row.tool} ${loadPct}% CPU): req/s understates capacity, compare CPU/req`);
      }
    }
  }
  addRatios(rows);
  for (const info of serverInfo) {
    const c1k = rows.find((r) => r.server === info.name && r.scenario === 'connections-1000');
    if (c1k?.summary?.rssPeakBytes) {
      info.rssLoadBytes = c1k.summary.rssPeakBytes;
      info.rssLoadScenario = 'connections-1000';
    } else {
      const peaks = rows.filter((r) => r.server === info.name && r.summary?.rssPeakBytes);
      if (peaks.length) {
        const best = peaks.reduce((a, b) => (/** @type {number} */ (b.summary?.rssPeakBytes) > /** @type {number} */ (a.summary?.rssPeakBytes) ? b : a));
        info.rssLoadBytes = /** @type {number} */ (best.summary?.rssPeakBytes);
        info.rssLoadScenario = best.scenario;
      }
    }
  }

  const speeds = /** @type {number[]} */ (speedChecks.map((c) => c.nsPerIter).filter((v) => v !== null));
  const speedSpread = speeds.length >= 2 ? Math.max(...speeds) / Math.min(...speeds) : null;
  if (speedSpread !== null && speedSpread > SPEED_SPREAD_WARN) {
    warnings.push(
      `the machine's CPU speed varied by ${Math.round((speedSpread - 1) * 100)}% during the run (fixed-loop check on the server CPU: ${speeds
        .map((v) => v.toFixed(2))
        .join(', ')} ns/iter) — a busy neighbour on a shared host? Compare servers within a scenario (interleaved), and re-run before publishing`,
    );
  }

  const date = new Date();
  /** @type {import('./report.js').BenchReport} */
  const report = {
    schema: 2,
    date: date.toISOString(),
    command: options.command ?? 'runBenchmark()',
    cwd: process.cwd(),
    machine,
    node: process.version,
    tool: { name: options.tool, used: toolsUsed },
    tools,
    pinning,
    options: {
      duration: options.duration,
      warmup: options.warmup,
      rounds: options.rounds,
      connections: options.connections,
      timeoutS: options.timeoutS,
      quick: options.quick,
    },
    warnings,
    speedChecks,
    speedSpread,
    servers: serverInfo,
    scenarios: scenarios.map((s) => ({
      name: s.name,
      title: s.title,
      short: s.short,
      method: s.method,
      path: s.path,
      connections: s.connections ?? options.connections,
      pipelining: s.pipelining ?? 1,
      tool: toolOf(s),
      dynamicPath: s.dynamicPath ?? null,
      bodyBytes: s.body ? Buffer.byteLength(s.body) : 0,
    })),
    results: rows,
    targets: [],
    elapsedS: 0,
  };
  report.targets = evaluateTargets(rows, serverInfo);
  report.elapsedS = Math.round((performance.now() - t0) / 100) / 10;

  const markdown = renderMarkdown(report);
  const svg = renderChart(report);
  mkdirSync(options.out, { recursive: true });
  const stamp = report.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const files = [
    path.join(options.out, 'latest.md'),
    path.join(options.out, 'latest.json'),
    path.join(options.out, `${stamp}.json`),
    path.join(options.out, 'latest.svg'),
  ];
  const json = JSON.stringify(report, null, 2) + '\n';
  writeFileSync(files[0], markdown);
  writeFileSync(files[1], json);
  writeFileSync(files[2], json);
  writeFileSync(files[3], svg);
  if (options.print) log('\n' + markdown);
  log(`bench: done in ${report.elapsedS} s; wrote ${files.map((f) => path.relative(process.cwd(), f) || f).join(', ')}`);
  return { report, markdown, svg, files };
}

/**
 * CLI entry (bench/run.js).
 * @param {string[]} argv
 * @returns {Promise<number>} exit code
 */
export async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`bench: ${/** @type {Error} */ (e).message}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (opts.list) {
    const { SERVERS } = await import('./servers.js');
    const { SCENARIOS } = await import('./scenarios.js');
    process.stdout.write('Servers:\n');
    for (const s of SERVERS)
      process.stdout.write(
        `  ${s.name.padEnd(20)} ${s.description ?? ''} (${
          Object.entries(s.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || 'no env'
        })\n`,
      );
    process.stdout.write('Scenarios:\n');
    for (const s of SCENARIOS) process.stdout.write(`  ${s.name.padEnd(20)} ${s.title}\n`);
    return 0;
  }
  const viaPnpm = process.env.npm_lifecycle_event === 'bench';
  opts.command = `${viaPnpm ? 'pnpm bench' : `node ${path.relative(process.cwd(), process.argv[1] ?? 'bench/run.js') || 'bench/run.js'}`}${argv.length ? ' ' + argv.filter((x) => x !== '--').join(' ') : ''}`;
  opts.print = true;
  installSignalHandlers();
  try {
    const { report } = await runBenchmark(opts);
    return report.results.some((r) => r.summary) ? 0 : 1;
  } catch (e) {
    const err = /** @type {Error} */ (e);
    process.stderr.write(`bench: ${process.env.BENCH_DEBUG ? (err.stack ?? err) : (err.message ?? err)}\n`);
    killAllSync();
    return 1;
  }
}
