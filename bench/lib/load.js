/**
 * Load generators, each run as a separate process pinned (when possible) to
 * a different CPU than the server: autocannon (bench/lib/autocannon-worker.js,
 * always available) and wrk (when on the PATH; --tool wrk).
 *
 * Both report the same shape of result and mark the recorded window with a
 * "start" and a "done" message, on which the harness samples the server's
 * CPU time. The load generator's own CPU use over that window is sampled
 * from /proc/<pid>/stat; above LOAD_BOUND_CORES of one core the row is
 * marked "load generator bound" (the load generator, not the server, set the
 * request rate).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned, stopChild, track, which } from './children.js';
import { startCpuSampler } from './measure.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const WORKER = path.join(HERE, 'autocannon-worker.js');

/** Above this fraction of one core, the load generator is the bottleneck. */
export const LOAD_BOUND_CORES = 0.9;

/** What the latency columns mean, per tool. */
export const LATENCY_SOURCE = {
  autocannon: 'autocannon, per request, write to response, 10 µs resolution (measured by bench/lib/autocannon-worker.js)',
  wrk: "wrk's percentiles, which wrk corrects for coordinated omission (and records per batch when pipelined); not comparable with autocannon's",
};

/** @returns {string | null} autocannon's version, or null when it is not installed */
export function autocannonVersion() {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('autocannon/package.json');
    return JSON.parse(readFileSync(pkgPath, 'utf8')).version;
  } catch {
    return null;
  }
}

/** @returns {string | null} `wrk -v` first line, or null when wrk is not on the PATH */
export function wrkVersion() {
  if (!which('wrk')) return null;
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8', timeout: 5000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = /^wrk\s+(\S+)/m.exec(text);
  return m ? m[1] : 'unknown';
}

/**
 * @typedef {object} LoadResult
 * @property {number} responses     responses received in the window
 * @property {number} windowS       length of the recorded window in seconds
 * @property {number} rps
 * @property {number | null} p50Ms
 * @property {number | null} p90Ms
 * @property {number | null} p99Ms
 * @property {number | null} maxMs
 * @property {number} errors        connection/socket errors, timeouts not included
 * @property {number} timeouts
 * @property {number} non2xx
 * @property {number | null} loadCores  load generator CPU over the window, in cores
 * @property {boolean} loadBound
 */

/**
 * @typedef {object} LoadSpec
 * @property {'autocannon' | 'wrk'} tool
 * @property {string} url           full URL (http://127.0.0.1:port/path)
 * @property {'GET' | 'POST'} method
 * @property {Record<string,string>} [headers]
 * @property {string} [body]
 * @property {number} connections
 * @property {number} pipelining
 * @property {string} [dynamicPath]  prefix of a path made different for every request (prefix + counter)
 * @property {number} duration      seconds
 * @property {number} [timeoutS]    per-request timeout
 * @property {number | null} [cpu]  CPU to pin the load generator to
 * @property {() => void} [onStart] called when the recorded window opens
 * @property {() => void} [onEnd]   called when it closes (before the load generator exits)
 */

/**
 * Runs one load. Bounded in time: the load generator is killed after
 * duration + 30 s whatever happens. Rejects on failure.
 * @param {LoadSpec} spec
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(spec) {
  if (spec.tool === 'wrk') return runWrk(spec);
  return runAutocannon(spec);
}

/**
 * @param {LoadSpec} spec
 * @param {string[]} argv
 * @param {(line: string) => ({ kind: 'start' } | { kind: 'done', result: any } | { kind: 'error', message: string } | null)} parseLine
 * @param {() => void} [cleanup]
 * @returns {Promise<LoadResult>}
 */
function runProcess(spec, argv, parseLine, cleanup) {
  return new Promise((resolve, reject) => {
    const cmd = pinned(argv, spec.cpu ?? null);
    // stdin: a pipe the autocannon worker watches, to exit if the harness dies.
    const child = spawn(cmd[0], cmd.slice(1), { stdio: [spec.tool === 'wrk' ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.on('error', () => {});
    track(child);
    const cpu = child.pid !== undefined ? startCpuSampler(child.pid, 100) : null;
    let stderr = '';
    let buf = '';
    /** @type {any} */
    let result = null;
    let failure = '';
    let settled = false;
    const finish = (/** @type {Error | null} */ err, /** @type {LoadResult | null} */ value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cleanup?.();
      if (err) reject(err);
      else resolve(/** @type {LoadResult} */ (value));
    };
    const timer = setTimeout(
      () => {
        stopChild(child, 500);
        cpu?.stop();
        finish(new Error(`${spec.tool} did not finish within ${spec.duration + 30} s (killed)`), null);
      },
      (spec.duration + 30) * 1000,
    );

    child.stdout.setEncoding('utf8').on('data', (text) => {
      buf += text;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = parseLine(line);
        if (!msg) continue;
        if (msg.kind === 'start') {
          cpu?.restart();
          spec.onStart?.();
        } else if (msg.kind === 'done') {
          cpu?.sample();
          spec.onEnd?.();
          result = msg.result;
        } else if (msg.kind === 'error') {
          failure = msg.message;
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (t) => (stderr = (stderr + t).slice(-4000)));
    child.on('error', (e) => finish(new Error(`${spec.tool}: ${e.message}`), null));
    child.on('close', (code, signal) => {
      const usage = cpu?.stop() ?? null;
      if (!result) {
        const why = failure || stderr.trim().split('\n').slice(-3).join(' / ') || `exited with ${signal ?? `code ${code}`}`;
        finish(new Error(`${spec.tool} failed: ${why}`), null);
        return;
      }
      const loadCores = usage ? usage.cores : null;
      finish(null, { ...result, loadCores, loadBound: loadCores !== null && loadCores > LOAD_BOUND_CORES });
    });
  });
}

/** @param {LoadSpec} spec */
function runAutocannon(spec) {
  const opts = {
    url: spec.url,
    method: spec.method,
    headers: spec.headers ?? {},
    body: spec.body,
    dynamicPath: spec.dynamicPath,
    connections: spec.connections,
    pipelining: spec.pipelining,
    duration: spec.duration,
    timeout: spec.timeoutS ?? 2,
    exitWithParent: true,
  };
  return runProcess(spec, [process.execPath, WORKER, JSON.stringify(opts)], (line) => {
    if (!line.startsWith('{')) return null;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return null;
    }
    if (msg.event === 'start') return { kind: 'start' };
    if (msg.event === 'done') return { kind: 'done', result: msg.result };
    if (msg.event === 'error') return { kind: 'error', message: msg.message };
    return null;
  });
}

/** Distinct pipelined batches a dynamic wrk script cycles through (× depth distinct paths). */
export const DYNAMIC_BATCHES = 4096;

/**
 * wrk Lua script: method, headers, body, pipelining (a batch of N requests
 * per write, like wrk's pipeline.lua), a start marker from init() and a JSON
 * summary from done(). With a dynamicPath every request of every batch gets
 * its own path (prefix + a counter; one counter per wrk thread, -t1 here).
 * The batches are built in init(), DYNAMIC_BATCHES of them, and sent in turn:
 * building 16 paths in Lua for each batch made wrk, not the server, the limit
 * (wrk at 100 % of its core, the server below). The ids repeat only after
 * DYNAMIC_BATCHES × depth requests, so consecutive responses always differ.
 * @param {Pick<LoadSpec, 'method' | 'headers' | 'body' | 'pipelining' | 'dynamicPath'>} spec
 */
export function wrkScript(spec) {
  const q = (s) => JSON.stringify(String(s)); // a JSON string is a valid Lua string literal for these inputs
  const lines = [`wrk.method = ${q(spec.method)}`];
  for (const [k, v] of Object.entries(spec.headers ?? {})) lines.push(`wrk.headers[${q(k)}] = ${q(v)}`);
  if (spec.body !== undefined) lines.push(`wrk.body = ${q(spec.body)}`);
  const depth = Math.max(1, spec.pipelining | 0);
  const requests =
    spec.dynamicPath === undefined
      ? ['local prepare = function() end', 'request = function() return batch end']
      : [
          `local prefix = ${q(spec.dynamicPath)}`,
          `local count = ${DYNAMIC_BATCHES}`,
          'local batches = {}',
          'local k = 0',
          'local prepare = function()',
          '  local n = 0',
          '  for b = 1, count do',
          '    local r = {}',
          '    for i = 1, depth do n = n + 1; r[i] = wrk.format(nil, prefix .. n) end',
          '    batches[b] = table.concat(r)',
          '  end',
          'end',
          'request = function()',
          '  k = k % count + 1',
          '  return batches[k]',
          'end',
        ];
  lines.push(
    `local depth = ${depth}`,
    'local batch = nil',
    ...requests,
    'init = function(args)',
    '  local r = {}',
    '  for i = 1, depth do r[i] = wrk.format() end',
    '  batch = table.concat(r)',
    '  prepare()',
    '  io.write("BENCH_START\\n")',
    '  io.stdout:flush()',
    'end',
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'BENCH_DONE {"durationUs":%.0f,"responses":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f,"p50Us":%.0f,"p90Us":%.0f,"p99Us":%.0f,"maxUs":%.0f}\\n\',',
    '    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))',
    '  io.stdout:flush()',
    'end',
  );
  return lines.join('\n') + '\n';
}

/** @param {LoadSpec} spec */
function runWrk(spec) {
  if (!which('wrk')) return Promise.reject(new Error('wrk is not on the PATH'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ringside-bench-wrk-'));
  const script = path.join(dir, 'load.lua');
  writeFileSync(script, wrkScript(spec));
  const duration = Math.max(1, Math.round(spec.duration));
  const argv = [
    'wrk',
    '-t1',
    `-c${spec.connections}`,
    `-d${duration}s`,
    `--timeout`,
    `${Math.max(1, Math.round(spec.timeoutS ?? 2))}s`,
    '-s',
    script,
    spec.url,
  ];
  return runProcess(
    { ...spec, duration },
    argv,
    (line) => {
      if (line.startsWith('BENCH_START')) return { kind: 'start' };
      if (line.startsWith('BENCH_DONE ')) {
        const r = JSON.parse(line.slice('BENCH_DONE '.length));
        const windowS = r.durationUs / 1e6;
        const socketErrors = r.connect + r.read + r.write;
        return {
          kind: 'done',
          result: {
            responses: r.responses,
            windowS,
            rps: windowS > 0 ? r.responses / windowS : 0,
            // wrk corrects its latencies for coordinated omission before done()
            // runs, and its percentile() can then return 0 (values added below
            // its min): 0 means "unknown" here.
            p50Ms: r.p50Us > 0 ? r.p50Us / 1000 : null,
            p90Ms: r.p90Us > 0 ? r.p90Us / 1000 : null,
            p99Ms: r.p99Us > 0 ? r.p99Us / 1000 : null,
            maxMs: r.maxUs > 0 ? r.maxUs / 1000 : null,
            errors: socketErrors,
            timeouts: r.timeout,
            non2xx: r.status,
            bytes: r.bytes,
          },
        };
      }
      return null;
    },
    () => rmSync(dir, { recursive: true, force: true }),
  );
}
