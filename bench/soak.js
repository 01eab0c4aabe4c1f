#!/usr/bin/env node
// Soak benchmark (not a CI test): examples/hello under 10,000 concurrent
// connections that open, send keep-alive requests and close, for 60 s; does
// the server give back its fds and memory afterwards?
//
//   node bench/soak.js [--backend io_uring|node|both] [--connections 10000] [--seconds 60] …
//   node bench/soak.js --help
//
// Reports per backend: server RSS and open fds at start, peak and end;
// requests, req/s, latency p50/p99; connection errors, non-2xx, timeouts.
// Writes bench/results/soak/latest.json and latest.md. Exit code 1 when a
// server crashed or its RSS or fd count at the end is not within ±10% of the
// start; 2 on a usage error. Method and design: bench/README.md, "Soak".
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { installSignalHandlers, killAllSync, pinned, planPinning, stopChild, track, which } from './lib/children.js';
import { CLK_TCK, allowedCpus, machineInfo, processCpuSeconds, readProcStat } from './lib/measure.js';
import { errorLine, freePort, httpRequest } from './lib/servers.js';
import { HIST_SIZE, percentileMs } from './lib/soak-client.js';
import { counterDelta, machineCpu, readRssDetail, readSchedstat, readServer, renderSoakMarkdown, tcpCounters, tcpStates, verdict } from './lib/soak-report.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH_DIR, '..');
const SERVER_SCRIPT = path.join(ROOT, 'examples/hello/server.js');
const CLIENT_SCRIPT = path.join(BENCH_DIR, 'lib/soak-client.js');
const GC_PRELOAD = path.join(BENCH_DIR, 'lib/soak-gc.js');

const DEFAULTS = {
  backend: 'both',
  connections: 10_000,
  seconds: 60,
  clients: 1,
  requests: 10,
  pipeline: 1,
  timeout: 10,
  ramp: 2,
  warmup: 10,
  settle: 10,
  addresses: 16,
  ports: '10000-32767',
  tolerance: 10,
  out: path.join(BENCH_DIR, 'results/soak'),
};

const HELP = `Usage: node bench/soak.js [options]

  --backend io_uring|node|both   server backend(s), in this order (default ${DEFAULTS.backend})
  --connections <n>     concurrent client connections (default ${DEFAULTS.connections})
  --seconds <s>         length of the recorded run (default ${DEFAULTS.seconds})
  --requests <n>        keep-alive requests per connection before the client closes it (default ${DEFAULTS.requests})
  --pipeline <n>        requests in flight per connection (default ${DEFAULTS.pipeline})
  --clients <n>         client processes sharing the connections (default ${DEFAULTS.clients})
  --addresses <n>       loopback source addresses 127.0.0.2… spread over (default ${DEFAULTS.addresses}; 0 = let the kernel pick)
  --ports <lo-hi>       source ports the client cycles through on each address (default ${DEFAULTS.ports})
  --timeout <s>         connect timeout and per-request timeout (default ${DEFAULTS.timeout})
  --ramp <s>            open the connections over this long at the start (default ${DEFAULTS.ramp})
  --warmup <s>          full-load warm-up before the start reading, not recorded (default ${DEFAULTS.warmup}; 0 = none)
  --settle <s>          after the run, wait at most this long for the fds to come back, and for RSS to stop
                        moving once 8 s have passed (default ${DEFAULTS.settle})
  --tolerance <pct>     end within ±pct of start, else exit code 1 (default ${DEFAULTS.tolerance})
  --out <dir>           where latest.json and latest.md go (default bench/results/soak)
  --no-gc               do not force a full GC in the server before the start and end readings
  --no-pin              do not pin the server to CPU 0 and the clients to CPU 1
  --help`;

const NUMERIC = ['connections', 'seconds', 'requests', 'pipeline', 'clients', 'addresses', 'timeout', 'ramp', 'warmup', 'settle', 'tolerance'];

/** @param {string[]} argv */
export function parseArgs(argv) {
  /** @type {Record<string, any>} */
  const o = { ...DEFAULTS, pin: true, gc: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue;
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument ${JSON.stringify(arg)} (see --help)`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    if (name === 'help') o.help = true;
    else if (name === 'no-pin') o.pin = false;
    else if (name === 'no-gc') o.gc = false;
    else if (name === 'backend' || name === 'out' || name === 'ports' || NUMERIC.includes(name)) {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
      }
      if (NUMERIC.includes(name)) {
        const v = Number(value);
        const min = ['warmup', 'addresses', 'ramp', 'settle', 'tolerance'].includes(name) ? 0 : name === 'seconds' || name === 'timeout' ? 0.1 : 1;
        if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
        o[name] = ['connections', 'requests', 'pipeline', 'clients', 'addresses'].includes(name) ? Math.round(v) : v;
      } else o[name] = name === 'out' ? path.resolve(value) : value;
    } else throw new Error(`Unknown option --${name} (see --help)`);
  }
  if (!['io_uring', 'node', 'both'].includes(o.backend)) throw new Error(`--backend must be io_uring, node or both, got ${JSON.stringify(o.backend)}`);
  if (o.addresses > 250) throw new Error('--addresses must be at most 250 (127.0.0.2–127.0.0.251)');
  const pm = /^(\d+)-(\d+)$/.exec(String(o.ports));
  if (!pm || Number(pm[1]) < 1024 || Number(pm[2]) > 65535 || Number(pm[2]) - Number(pm[1]) < 99)
    throw new Error(`--ports must be lo-hi within 1024–65535, at least 100 ports, got ${JSON.stringify(o.ports)}`);
  o.portLow = Number(pm[1]);
  o.portHigh = Number(pm[2]);
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Where each client process starts in its cycle of source pairs: after the
 * pairs of the loads before (in TIME_WAIT for 60 s).
 */
let pairCursor = 0;

/** Pids of the client processes of the load now running (for the timeline). */
const clientPids = new Set();

/** utime and stime (s) summed over the client processes now running. */
function clientCpu() {
  let user = 0;
  let system = 0;
  for (const pid of clientPids) {
    const st = readProcStat(pid);
    if (st) {
      user += st.utime / CLK_TCK;
      system += st.stime / CLK_TCK;
    }
  }
  return { user: Math.round(user * 100) / 100, system: Math.round(system * 100) / 100 };
}

/** Soft and hard RLIMIT_NOFILE of this process (children inherit them). */
function nofileLimits() {
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return { nofileSoft: m[1] === 'unlimited' ? Infinity : Number(m[1]), nofileHard: m[2] === 'unlimited' ? Infinity : Number(m[2]) };
  } catch {
    /* not Linux */
  }
  return { nofileSoft: null, nofileHard: null };
}

/** @param {string} p */
function readSysctl(p) {
  try {
    return readFileSync(`/proc/sys/${p}`, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

function gitInfo() {
  const git = (...args) => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.trim() : null;
  };
  const status = git('status', '--porcelain');
  const lines = status ? status.split('\n').filter(Boolean) : [];
  return { head: git('rev-parse', '--short', 'HEAD'), dirty: lines.length, dirtyPackages: lines.filter((l) => l.slice(3).startsWith('packages/')).length };
}

/**
 * Starts examples/hello with a backend; resolves once it answers GET /.
 * setpriv --pdeathsig makes the kernel kill it if this process dies without
 * cleaning up (even on SIGKILL); children.js kills its process group on any
 * normal way out. With `gc`, lib/soak-gc.js is preloaded (SIGUSR2 → full GC).
 * @param {string} backend
 * @param {number} port
 * @param {number | null} cpu
 * @param {boolean} gc
 */
async function startHello(backend, port, cpu, gc) {
  const deathSig = which('setpriv') ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
  const preload = gc ? ['--expose-gc', '--import', pathToFileURL(GC_PRELOAD).href] : [];
  const argv = pinned([...deathSig, process.execPath, ...preload, SERVER_SCRIPT], cpu);
  const child = spawn(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', RINGSIDE_BACKEND: backend },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child, { group: true });
  let out = '';
  let lines = 0;
  /** @type {string | null} */
  let reported = null;
  /** @type {((m: any) => void)[]} */
  const gcWaiters = [];
  let partial = '';
  const onText = (t) => {
    // Whole lines only: the soak-gc answers are ours, not the server's output.
    partial += t;
    const cut = partial.lastIndexOf('\n');
    if (cut < 0) return;
    const complete = partial.slice(0, cut + 1);
    partial = partial.slice(cut + 1);
    for (const line of complete.split('\n').slice(0, -1)) {
      if (line.startsWith('soak-gc ')) {
        let m = null;
        try {
          m = JSON.parse(line.slice(8));
        } catch {
          /* keep null */
        }
        gcWaiters.shift()?.(m);
        continue;
      }
      out = (out + line + '\n').slice(-16384);
      lines++;
      const b = /\(backend: (\w+)\)/.exec(line);
      if (b && !reported) reported = b[1];
    }
  };
  child.stdout.setEncoding('utf8').on('data', onText);
  child.stderr.setEncoding('utf8').on('data', onText);
  /** @type {{ code: number | null, signal: string | null } | null} */
  let exited = null;
  /** @type {Error | null} */
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  child.on('exit', (code, signal) => (exited = { code, signal }));
  /** One full GC in the server; resolves with its memory report or null. */
  const gcOnce = () =>
    new Promise((resolve) => {
      if (!gc || exited) return resolve(null);
      const t = setTimeout(() => {
        const i = gcWaiters.indexOf(done);
        if (i >= 0) gcWaiters.splice(i, 1);
        resolve(null);
      }, 10_000);
      const done = (m) => {
        clearTimeout(t);
        resolve(m);
      };
      gcWaiters.push(done);
      try {
        process.kill(/** @type {number} */ (child.pid), 'SIGUSR2');
      } catch {
        done(null);
      }
    });
  const h = {
    child,
    pid: /** @type {number} */ (child.pid),
    port,
    deathSig: deathSig.length > 0,
    reported: () => reported,
    output: () => out.trim(),
    outputLines: () => lines,
    exited: () => exited,
    /**
     * Full GC in the server (needs the preload), twice 1 s apart (V8 hands
     * freed pages back to the OS in the background), then 300 ms for RSS to
     * follow; resolves with the memory the second GC reported, or null (no
     * preload, no answer within 10 s, server gone).
     * @returns {Promise<any>}
     */
    gc: async () => {
      await gcOnce();
      await sleep(1000);
      const m = await gcOnce();
      await sleep(300);
      return m;
    },
    describeExit: () => (exited ? `exited with ${exited.signal ?? `code ${exited.code}`}${errorLine(out) ? `: ${errorLine(out)}` : ''}` : null),
  };
  const deadline = performance.now() + 10_000;
  for (;;) {
    if (spawnError) throw new Error(`${backend}: could not start the server: ${/** @type {Error} */ (spawnError).message}`);
    if (exited) throw new Error(`${backend}: server ${h.describeExit()} before answering\n${out.trim().split('\n').slice(-12).join('\n')}`);
    if (performance.now() > deadline) {
      await stopChild(child, 500);
      throw new Error(`${backend}: server did not answer GET / within 10 s\n${out.trim().split('\n').slice(-12).join('\n')}`);
    }
    try {
      const r = await httpRequest({ port, path: '/', timeoutMs: 1000 });
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    await sleep(100);
  }
  for (let i = 0; i < 20 && !reported; i++) await sleep(25);
  return h;
}

/**
 * Runs the client processes for `seconds` and merges their results. Each
 * client process gets its share of the connections; connection i of the
 * whole run uses source address i mod addresses. Resolves when every client
 * has reported (or was killed at seconds + timeout + 30 s).
 * @param {any} o options
 * @param {number} port
 * @param {number} seconds
 * @param {number | null} cpu
 * @param {string[]} addresses
 * @param {(p: { t: number, requests: number, open: number, errors: number, timeouts: number }) => void} [onProgress]
 * @param {() => boolean} [abort] checked every 200 ms: true stops the clients (the server died)
 */
async function runLoad(o, port, seconds, cpu, addresses, onProgress = () => {}, abort = () => false) {
  const n = o.clients;
  const pairOffset = pairCursor;
  const progress = Array.from({ length: n }, () => ({ t: 0, requests: 0, open: 0, errors: 0, timeouts: 0 }));
  const results = await Promise.all(
    Array.from({ length: n }, (_, k) => {
      const connections = Math.floor(o.connections / n) + (k < o.connections % n ? 1 : 0);
      // Each process cycles through its own slice of the source ports.
      const span = Math.floor((o.portHigh - o.portLow + 1) / n);
      const argv = pinned([process.execPath, CLIENT_SCRIPT, '--child'], cpu);
      return new Promise((resolveOnce) => {
        let settled = false;
        const resolve = (v) => {
          if (settled) return;
          settled = true;
          clearTimeout(killer);
          clearInterval(watch);
          resolveOnce(v);
        };
        const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        track(child);
        const cpid = /** @type {number} */ (child.pid);
        clientPids.add(cpid);
        child.once('exit', () => clientPids.delete(cpid));
        /** @type {any} */
        let done = null;
        let cpuSeconds = 0;
        let stopSent = false;
        /** @type {{ runS: number, waitS: number } | null} */
        let sched = null;
        const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + o.timeout + 30) * 1000);
        const watch = setInterval(() => {
          const c = processCpuSeconds(/** @type {number} */ (child.pid));
          if (c !== null) cpuSeconds = c;
          sched = readSchedstat(/** @type {number} */ (child.pid)) ?? sched;
          if (abort() && !stopSent) {
            // The server died: the client reports what it has, or is killed in 3 s.
            stopSent = true;
            if (child.connected) child.send({ type: 'stop' });
            setTimeout(() => child.kill('SIGKILL'), 3000).unref();
          }
        }, 200);
        child.on('message', (/** @type {any} */ msg) => {
          if (msg.type === 'ready') {
            child.send({
              type: 'start',
              port,
              host: '127.0.0.1',
              connections,
              seconds,
              requestsPerConnection: o.requests,
              pipeline: o.pipeline,
              timeoutMs: o.timeout * 1000,
              localAddresses: addresses,
              portLow: o.portLow + k * span,
              portHigh: o.portLow + (k + 1) * span - 1,
              pairOffset,
              rampMs: o.ramp * 1000,
              path: '/',
            });
          } else if (msg.type === 'progress') {
            progress[k] = msg;
            if (k === 0) {
              const sum = progress.reduce(
                (a, p) => ({
                  t: Math.max(a.t, p.t),
                  requests: a.requests + p.requests,
                  open: a.open + p.open,
                  errors: a.errors + p.errors,
                  timeouts: a.timeouts + p.timeouts,
                }),
                { t: 0, requests: 0, open: 0, errors: 0, timeouts: 0 },
              );
              onProgress(sum);
            }
          } else if (msg.type === 'done') {
            done = msg.stats;
            const c = processCpuSeconds(/** @type {number} */ (child.pid));
            if (c !== null) cpuSeconds = c;
            sched = readSchedstat(/** @type {number} */ (child.pid)) ?? sched;
            resolve({ ...done, cpuSeconds, sched });
            child.disconnect(); // the client exits on disconnect
          }
        });
        child.on('exit', (code, signal) => {
          // A message sent just before exiting may still be on its way: give it a moment.
          setTimeout(
            () =>
              resolve(
                done ? { ...done, cpuSeconds, sched } : { failed: `client ${k} exited with ${signal ?? `code ${code}`} before reporting`, cpuSeconds, sched },
              ),
            500,
          );
        });
      });
    }),
  );
  const merged = mergeLoad(results);
  pairCursor += merged.pairsTaken;
  return merged;
}

/** @param {any[]} parts */
function mergeLoad(parts) {
  const hist = new Uint32Array(HIST_SIZE);
  const sum = {
    requests: 0,
    ok: 0,
    non2xx: 0,
    statuses: {},
    connErrors: {},
    connectTimeouts: 0,
    requestTimeouts: 0,
    connectionsOpened: 0,
    connectionsEstablished: 0,
    connectionsCompleted: 0,
    closedByServer: 0,
    closedIdleByServer: 0,
    maxOpen: 0,
    sourcePortsSkipped: 0,
    sourcePairs: 0,
    pairsTaken: 0,
    windowS: 0,
    clientCpuSeconds: 0,
    clientRunqWaitS: /** @type {number | null} */ (0),
    failedClients: /** @type {string[]} */ ([]),
  };
  const add = (dst, src) => {
    for (const [k, v] of Object.entries(src ?? {})) dst[k] = (dst[k] ?? 0) + v;
  };
  for (const p of parts) {
    sum.clientCpuSeconds += p.cpuSeconds ?? 0;
    sum.clientRunqWaitS = p.sched && sum.clientRunqWaitS !== null ? sum.clientRunqWaitS + p.sched.waitS : null;
    if (p.failed) {
      sum.failedClients.push(p.failed);
      continue;
    }
    for (const k of [
      'requests',
      'ok',
      'non2xx',
      'connectTimeouts',
      'requestTimeouts',
      'connectionsOpened',
      'connectionsEstablished',
      'connectionsCompleted',
      'closedByServer',
      'closedIdleByServer',
      'maxOpen',
      'sourcePortsSkipped',
      'sourcePairs',
    ])
      sum[k] += p[k];
    sum.pairsTaken = Math.max(sum.pairsTaken, p.pairsTaken);
    add(sum.statuses, p.statuses);
    add(sum.connErrors, p.connErrors);
    sum.windowS = Math.max(sum.windowS, p.windowS);
    for (const [i, c] of p.hist) hist[i] += c;
  }
  const connErrorCount = Object.values(sum.connErrors).reduce((a, b) => a + b, 0);
  return {
    ...sum,
    connErrorCount,
    timeouts: sum.connectTimeouts + sum.requestTimeouts,
    rps: sum.windowS > 0 ? sum.requests / sum.windowS : 0,
    p50Ms: percentileMs(hist, 0.5),
    p90Ms: percentileMs(hist, 0.9),
    p99Ms: percentileMs(hist, 0.99),
    maxMs: percentileMs(hist, 1),
  };
}

/**
 * V8 gives back its young generation (up to 2 × 16 MiB of semi-spaces, grown
 * under load) only in a GC that runs after some seconds of low allocation;
 * a forced GC right after the load keeps it. Readings are therefore only
 * accepted this long after the load ended (measured: the young generation
 * shrinks 5–6 s after the last allocation burst).
 */
const QUIET_MS = 8000;

/**
 * A reading once RSS has stopped moving: with `gc` (a full GC in the server,
 * see startHello), GC then read, again and again, until two readings in a
 * row are within 1% of each other and it is `notBefore` or later; without
 * it, a reading a second. Gives up at `deadline` (after at least two rounds
 * past `notBefore`). The start and the end reading are both taken this way,
 * so neither depends on where V8's heap was in its grow-and-collect cycle.
 * @param {number} pid
 * @param {(() => Promise<any>) | null} gc
 * @param {number} notBefore performance.now() ms
 * @param {number} deadline performance.now() ms
 */
async function stableReading(pid, gc, notBefore, deadline) {
  /** @type {import('./lib/soak-report.js').Reading | null} */
  let prev = null;
  /** @type {any} */
  let memory = null;
  let late = 0; // rounds at or after notBefore
  for (let round = 1; round <= 200; round++) {
    if (gc) memory = await gc();
    else await sleep(1000);
    const r = readServer(pid);
    if (r.rssBytes === null) return { reading: r, memory, stable: false, rounds: round };
    const now = performance.now();
    if (now >= notBefore) late++;
    if (late >= 2 && prev?.rssBytes && Math.abs(r.rssBytes - prev.rssBytes) <= 0.01 * prev.rssBytes) return { reading: r, memory, stable: true, rounds: round };
    if (late >= 2 && now >= deadline) return { reading: r, memory, stable: false, rounds: round };
    prev = r;
  }
  return { reading: prev, memory, stable: false, rounds: 200 };
}

/**
 * After the load: waits (at most `seconds`) for the server's fd count to
 * come back to `targetFds` or below, then takes a stable RSS reading (see
 * stableReading: not before QUIET_MS after the load ended and the fds came
 * back, giving up `seconds` after that).
 * @param {number} pid
 * @param {number | null} targetFds
 * @param {number} seconds
 * @param {(() => Promise<any>) | null} gc
 * @param {number} loadEnd performance.now() ms when the load ended
 */
async function settle(pid, targetFds, seconds, gc, loadEnd) {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const fds = await waitFds(pid, targetFds, seconds);
  if (fds === null) return { reading: null, memory: null, settled: false, seconds: elapsed(), why: 'server gone' };
  const fdsBack = targetFds === null || fds <= targetFds;
  const fdsSeconds = elapsed();
  // Quiet from when the last connection is gone (the server works until then).
  const notBefore = Math.max(loadEnd, performance.now()) + QUIET_MS;
  const s = await stableReading(pid, gc, notBefore, Math.max(performance.now(), notBefore) + seconds * 1000);
  const why = [
    !fdsBack ? `${fds} fds ${seconds} s after the load (start ${targetFds})` : null,
    !s.stable ? `RSS still moving by more than 1% between ${gc ? 'forced GCs' : 'readings 1 s apart'}` : null,
  ]
    .filter(Boolean)
    .join(', ');
  return { reading: s.reading, memory: s.memory, settled: fdsBack && s.stable, fdsBack, fdsSeconds, seconds: elapsed(), why: why || null };
}

/**
 * Waits (at most `seconds`) until the fd count of `pid` is `target` or less;
 * returns the last count (null: the process is gone).
 * @param {number} pid
 * @param {number | null} target
 * @param {number} seconds
 */
async function waitFds(pid, target, seconds) {
  const deadline = performance.now() + seconds * 1000;
  let fds = readServer(pid).fds;
  while (fds !== null && target !== null && fds > target && performance.now() < deadline) {
    await sleep(100);
    fds = readServer(pid).fds;
  }
  return fds;
}

/** CPU seconds of the server (all threads), or null. @param {number} pid */
const serverCpu = (pid) => processCpuSeconds(pid);

/**
 * One backend: start, warm up, read the start, run, read peak and end, stop.
 * @param {string} backend
 * @param {any} o
 * @param {ReturnType<typeof planPinning>} pin
 * @param {string[]} addresses
 * @param {(line: string) => void} log
 */
async function soakBackend(backend, o, pin, addresses, log) {
  /** @type {any} */
  const r = {
    backend,
    reportedBackend: null,
    startMemory: null,
    endMemory: null,
    startDetail: null,
    endDetail: null,
    tcpCounters: null,
    rssTrend: null,
    port: null,
    serverPid: null,
    cold: null,
    start: null,
    peak: null,
    end: null,
    settle: null,
    load: null,
    warmupLoad: null,
    crash: null,
    answeredAfter: null,
    cpu: null,
    socketsAtEnd: null,
    timeWaitBefore: null,
    timeline: [],
    stop: null,
    notes: [],
  };
  const port = await freePort();
  r.port = port;
  r.timeWaitBefore = tcpStates(port)?.timeWaitAll ?? null;
  log(`\n${backend}: starting examples/hello on 127.0.0.1:${port}${pin.enabled ? ` (CPU ${pin.serverCpu})` : ''}`);
  let h;
  try {
    h = await startHello(backend, port, pin.serverCpu, o.gc);
  } catch (e) {
    r.crash = /** @type {Error} */ (e).message.split('\n')[0];
    r.outputTail = /** @type {Error} */ (e).message.split('\n').slice(1).join('\n');
    r.verdict = verdict(r, o.tolerance / 100);
    log(`${backend}: ${r.crash}`);
    return r;
  }
  r.serverPid = h.pid;
  r.reportedBackend = h.reported();
  if (!h.deathSig) r.notes.push('setpriv not found: the server is not killed by the kernel if this script is SIGKILLed');
  if (r.reportedBackend !== backend) r.notes.push(`the server reported backend ${r.reportedBackend ?? '(none)'}, not ${backend}`);
  const crashed = () => (h.exited() ? h.describeExit() : null);
  /** @type {NodeJS.Timeout | undefined} */
  let sampler;
  try {
    await sleep(500);
    r.cold = readServer(h.pid);
    log(`${backend}: backend ${r.reportedBackend}, pid ${h.pid}; cold: RSS ${mib(r.cold.rssBytes)} MiB, ${r.cold.fds} fds`);

    let warmEnd = performance.now();
    if (o.warmup > 0) {
      log(`${backend}: warm-up, ${o.warmup} s at ${o.connections} connections`);
      const w = await runLoad(
        o,
        port,
        o.warmup,
        pin.loadCpu,
        addresses,
        () => {},
        () => h.exited() !== null,
      );
      r.warmupLoad = { requests: w.requests, rps: w.rps, connErrors: w.connErrors, timeouts: w.timeouts, non2xx: w.non2xx, p99Ms: w.p99Ms };
      if (crashed()) throw new Error('crash');
      const fds = await waitFds(h.pid, r.cold.fds, o.settle);
      if (fds !== null && r.cold.fds !== null && fds > r.cold.fds)
        r.notes.push(`after the warm-up the fds did not come back to the cold count within ${o.settle} s (${fds}, cold ${r.cold.fds})`);
      warmEnd = performance.now(); // the quiet time counts from the last connection
    }
    await sleep(1000);
    if (crashed()) throw new Error('crash');
    const st = await stableReading(h.pid, o.gc ? h.gc : null, warmEnd + QUIET_MS, warmEnd + QUIET_MS + o.settle * 1000);
    r.startMemory = st.memory;
    if (o.gc && !r.startMemory) r.notes.push('the server did not answer the GC signal: RSS readings without a forced GC');
    else if (o.gc && !r.startMemory.gc) r.notes.push('global.gc is missing in the server: RSS readings without a forced GC');
    if (!st.stable) r.notes.push(`the start RSS was still moving by more than 1% after ${st.rounds} rounds`);
    r.start = /** @type {import('./lib/soak-report.js').Reading} */ (st.reading);
    r.startDetail = readRssDetail(h.pid);
    log(`${backend}: start: RSS ${mib(r.start.rssBytes)} MiB, ${r.start.fds} fds; running ${o.seconds} s at ${o.connections} connections`);

    // Peak and timeline: /proc every 200 ms (peak), one timeline point per second.
    const t0 = performance.now();
    const peak = { rssBytes: r.start.rssBytes ?? 0, fds: r.start.fds ?? 0, rssAtS: 0, fdsAtS: 0 };
    let lastProgress = { requests: 0, open: 0, errors: 0, timeouts: 0 };
    let nextPoint = 1;
    sampler = setInterval(() => {
      const t = (performance.now() - t0) / 1000;
      const s = readServer(h.pid, t);
      if (s.rssBytes !== null && s.rssBytes > peak.rssBytes) Object.assign(peak, { rssBytes: s.rssBytes, rssAtS: t });
      if (s.fds !== null && s.fds > peak.fds) Object.assign(peak, { fds: s.fds, fdsAtS: t });
      if (t >= nextPoint) {
        nextPoint = Math.floor(t) + 1;
        r.timeline.push({
          t: Math.round(t * 10) / 10,
          rssBytes: s.rssBytes,
          fds: s.fds,
          serverCpuS: serverCpu(h.pid),
          clientCpuS: clientCpu(),
          requests: lastProgress.requests,
          open: lastProgress.open,
          errors: lastProgress.errors,
          timeouts: lastProgress.timeouts,
        });
      }
    }, 200);
    const cpu0 = { server: serverCpu(h.pid), machine: machineCpu(CLK_TCK), self: process.cpuUsage(), sched: readSchedstat(h.pid) };
    const counters0 = tcpCounters();
    let lastLog = 0;
    let lastReq = 0;
    const load = await runLoad(
      o,
      port,
      o.seconds,
      pin.loadCpu,
      addresses,
      (p) => {
        lastProgress = p;
        if (p.t - lastLog >= 5 || lastLog === 0) {
          const cur = readServer(h.pid);
          log(
            `${backend}: ${p.t.toFixed(0).padStart(3)} s  ${Math.round((p.requests - lastReq) / Math.max(0.001, p.t - lastLog))
              .toLocaleString('en-US')
              .padStart(
                7,
              )} req/s  open ${String(p.open).padStart(6)}  server RSS ${mib(cur.rssBytes)} MiB, ${cur.fds ?? '—'} fds  errors ${p.errors}  timeouts ${p.timeouts}`,
          );
          lastLog = p.t;
          lastReq = p.requests;
        }
      },
      () => h.exited() !== null,
    );
    const loadEnd = performance.now();
    const cpu1 = { server: serverCpu(h.pid), machine: machineCpu(CLK_TCK), self: process.cpuUsage(cpu0.self), sched: readSchedstat(h.pid) };
    const wall = (performance.now() - t0) / 1000;
    r.tcpCounters = counterDelta(counters0, tcpCounters());
    // Leak or high-water mark? RSS at the middle of the run against its last reading under load.
    const underLoad = r.timeline.filter((p) => p.t <= o.seconds && p.rssBytes !== null);
    const mid = underLoad.find((p) => p.t >= o.seconds / 2);
    if (mid && underLoad.length) r.rssTrend = { firstT: mid.t, firstHalfBytes: mid.rssBytes, lastT: underLoad.at(-1).t, lastBytes: underLoad.at(-1).rssBytes };
    lastProgress = { requests: load.requests, open: 0, errors: load.connErrorCount, timeouts: load.timeouts };
    const peakNow = readServer(h.pid);
    r.peak = { rssBytes: Math.max(peak.rssBytes, peakNow.rssBytes ?? 0), fds: Math.max(peak.fds, peakNow.fds ?? 0), rssAtS: peak.rssAtS, fdsAtS: peak.fdsAtS };
    delete load.hist;
    r.load = load;
    if (load.failedClients.length) r.notes.push(...load.failedClients);
    if (cpu0.machine && cpu1.machine) {
      const d = (k) => cpu1.machine[k] - cpu0.machine[k];
      const busy = d('user') + d('nice') + d('system');
      const server = cpu0.server !== null && cpu1.server !== null ? cpu1.server - cpu0.server : null;
      const self = (cpu1.self.user + cpu1.self.system) / 1e6;
      r.cpu = {
        wallSeconds: wall,
        server: server !== null ? server / wall : null,
        clients: load.clientCpuSeconds / wall,
        self: self / wall,
        softirq: (d('softirq') + d('irq')) / wall,
        steal: d('steal') / wall,
        // Everything not charged to the server, the clients or this script: other processes on the machine.
        other: server !== null ? Math.max(0, busy - server - load.clientCpuSeconds - self) / wall : null,
        serverRunqWait: cpu0.sched && cpu1.sched ? (cpu1.sched.waitS - cpu0.sched.waitS) / wall : null,
        // The client processes live for the run only: their whole wait, per process.
        clientsRunqWait: load.clientRunqWaitS !== null ? load.clientRunqWaitS / o.clients / wall : null,
        contended: false,
      };
      r.cpu.contended = (r.cpu.other ?? 0) > 0.25 || (r.cpu.serverRunqWait ?? 0) > 0.2;
    }
    if (crashed()) throw new Error('crash');

    log(`${backend}: clients gone; waiting up to ${o.settle} s for fds and RSS to settle`);
    const s = await settle(h.pid, r.start.fds, o.settle, o.gc ? h.gc : null, loadEnd);
    r.endMemory = s.memory;
    r.endDetail = readRssDetail(h.pid);
    clearInterval(sampler); // the timeline goes on through the settle phase
    if (peak.rssBytes > r.peak.rssBytes || peak.fds > r.peak.fds)
      r.notes.push(`after the load ended (while settling) the server reached RSS ${mib(peak.rssBytes)} MiB and ${peak.fds} fds, above its peak under load`);
    r.settle = {
      settled: s.settled,
      fdsBack: s.fdsBack ?? false,
      seconds: Math.round(s.seconds * 10) / 10,
      fdsSeconds: s.fdsSeconds === undefined ? null : Math.round(s.fdsSeconds * 10) / 10,
      why: s.why,
    };
    r.end = s.reading;
    r.socketsAtEnd = tcpStates(port);
    if (crashed()) throw new Error('crash');
    try {
      const a = await httpRequest({ port, path: '/', timeoutMs: 5000 });
      r.answeredAfter = a.status === 200;
      if (a.status !== 200) r.notes.push(`GET / after the run answered ${a.status}`);
    } catch (e) {
      r.answeredAfter = false;
      r.notes.push(`GET / after the run failed: ${/** @type {Error} */ (e).message}`);
    }
  } catch (e) {
    if (!crashed()) {
      r.crash = `soak error: ${/** @type {Error} */ (e).message}`;
    }
  } finally {
    clearInterval(sampler);
    if (crashed()) {
      r.crash = crashed();
      r.outputTail = h.output().split('\n').slice(-30).join('\n');
      log(`${backend}: SERVER ${r.crash}`);
    } else {
      // Graceful stop (SIGTERM → app.close); SIGKILL after 5 s.
      const t = performance.now();
      await stopChild(h.child, 5000);
      const ex = h.exited();
      r.stop = ex
        ? `${ex.signal === 'SIGKILL' ? 'did not exit within 5 s of SIGTERM, killed' : `exited ${ex.signal ?? `with code ${ex.code}`}`} after ${((performance.now() - t) / 1000).toFixed(1)} s`
        : 'did not exit';
      if (ex && (ex.signal === 'SIGKILL' || (ex.code !== 0 && ex.code !== null))) r.notes.push(`server stop: ${r.stop}`);
    }
    if (h.outputLines() > 1) {
      r.notes.push(`the server printed ${h.outputLines()} lines (last: ${JSON.stringify(h.output().split('\n').at(-1)?.slice(0, 200))})`);
      r.outputTail ??= h.output().split('\n').slice(-30).join('\n');
    }
  }
  r.verdict = verdict(r, o.tolerance / 100);
  return r;
}

/** @param {number | null} b */
const mib = (b) => (b === null ? '—' : (b / 1048576).toFixed(1));

export async function main(argv) {
  let o;
  try {
    o = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`${/** @type {Error} */ (e).message}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const log = (line) => process.stderr.write(line + '\n');
  if (process.platform !== 'linux' || !existsSync('/proc/self/fd')) {
    log('soak: needs Linux /proc (RSS and fds are read from /proc/<pid>)');
    return 2;
  }
  if (!existsSync(path.join(ROOT, 'packages/http/dist'))) {
    log('soak: packages are not built; run `npx pnpm@9 run build` first');
    return 2;
  }
  installSignalHandlers();

  // File descriptors: the server holds one per connection, each client process
  // one per connection it keeps; all inherit this process's RLIMIT_NOFILE.
  const limits = nofileLimits();
  if (limits.nofileSoft !== null && o.connections + 200 > limits.nofileSoft) {
    log(
      `soak: the server needs ~${o.connections + 200} fds but \`ulimit -n\` is ${limits.nofileSoft} (hard ${limits.nofileHard}); raise it (ulimit -n ${o.connections + 1000}) or use fewer --connections`,
    );
    return 2;
  }
  if (limits.nofileSoft !== null && Math.ceil(o.connections / o.clients) + 200 > limits.nofileSoft) {
    const need = Math.ceil(o.connections / (limits.nofileSoft - 200));
    log(
      `soak: ${o.connections} sockets in ${o.clients} client process${o.clients > 1 ? 'es' : ''} exceed \`ulimit -n\` ${limits.nofileSoft} each: using ${need} client processes`,
    );
    o.clients = need;
  }

  const pin = planPinning(allowedCpus(), o.pin);
  const addresses = Array.from({ length: o.addresses }, (_, i) => `127.0.0.${i + 2}`);
  const backends = o.backend === 'both' ? ['io_uring', 'node'] : [o.backend];
  const command = `node bench/soak.js${argv.length ? ' ' + argv.join(' ') : ''}`;
  log(
    `soak: ${backends.join(' then ')}, ${o.connections} connections × ${o.seconds} s, ${o.requests} requests per connection, ${o.clients} client process${o.clients > 1 ? 'es' : ''}, source ${addresses.length ? `addresses ${addresses[0]}–${addresses.at(-1)} × ports ${o.ports}` : 'address and port chosen by the kernel'}; ${pin.note}`,
  );

  const report = {
    schema: 1,
    date: new Date().toISOString(),
    command,
    cwd: process.cwd(),
    machine: machineInfo(),
    node: process.version,
    git: gitInfo(),
    limits,
    sysctl: {
      ipLocalPortRange: readSysctl('net/ipv4/ip_local_port_range'),
      tcpTwReuse: readSysctl('net/ipv4/tcp_tw_reuse'),
      tcpMaxTwBuckets: readSysctl('net/ipv4/tcp_max_tw_buckets'),
      somaxconn: readSysctl('net/core/somaxconn'),
      tcpMaxSynBacklog: readSysctl('net/ipv4/tcp_max_syn_backlog'),
      tcpSyncookies: readSysctl('net/ipv4/tcp_syncookies'),
    },
    loadavgBefore: readSysctlLike('/proc/loadavg'),
    options: {
      gc: o.gc,
      backend: o.backend,
      connections: o.connections,
      seconds: o.seconds,
      requestsPerConnection: o.requests,
      requests: o.requests,
      pipeline: o.pipeline,
      clients: o.clients,
      addresses: o.addresses,
      ports: o.ports,
      timeout: o.timeout,
      ramp: o.ramp,
      warmup: o.warmup,
      settle: o.settle,
      tolerance: o.tolerance,
    },
    pinning: pin,
    sourceAddresses: addresses.length ? addresses : ['(kernel-chosen)'],
    results: /** @type {any[]} */ ([]),
    pass: false,
  };

  try {
    for (const b of backends) report.results.push(await soakBackend(b, o, pin, addresses, log));
  } finally {
    killAllSync();
  }
  report.pass = report.results.every((r) => r.verdict.pass);

  const md = renderSoakMarkdown(report);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(path.join(o.out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(path.join(o.out, 'latest.md'), md + '\n');
  process.stdout.write('\n' + md + '\n');
  process.stdout.write(
    `\nVERDICT: ${report.pass ? 'PASS' : 'FAIL'} — ${report.results.map((r) => `${r.backend} ${r.verdict.pass ? 'PASS' : 'FAIL'}${r.verdict.lines.length ? ` (${r.verdict.lines.join('; ')})` : ''}${r.verdict.reasons.length && !r.verdict.pass ? ` [${r.verdict.reasons.join('; ')}]` : ''}`).join(' | ')}\n`,
  );
  process.stdout.write(
    `Written: ${path.relative(process.cwd(), path.join(o.out, 'latest.json'))}, ${path.relative(process.cwd(), path.join(o.out, 'latest.md'))}\n`,
  );
  return report.pass ? 0 : 1;
}

/** @param {string} file */
function readSysctlLike(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // Exit explicitly: nothing the run leaves behind may keep the process alive.
  process.exit(await main(process.argv.slice(2)));
}
