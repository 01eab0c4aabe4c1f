/**
 * Turns the measured rounds into summaries (median, min–max), ratios against
 * the baselines (node-http, fastify), PASS/FAIL targets, and the Markdown and
 * JSON reports.
 */
import { LATENCY_SOURCE, LOAD_BOUND_CORES } from './load.js';

/** Below this fraction of one core (and not load generator bound) a row is flagged "neither side saturated". */
export const SATURATED = 0.8;

/** Servers every row is compared with. */
export const BASELINES = ['node-http', 'fastify'];

const MiB = 1024 * 1024;

/**
 * @typedef {object} RoundResult
 * @property {number} round          1-based
 * @property {number} responses
 * @property {number} windowS
 * @property {number} rps
 * @property {number | null} p50Ms
 * @property {number | null} p99Ms
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} non2xx
 * @property {number | null} serverCpuS      server tree utime+stime over the window
 * @property {number | null} cpuPerReqUs
 * @property {number | null} serverCores     server CPU / window
 * @property {number | null} loadCores       load generator CPU / window
 * @property {boolean} loadBound
 * @property {number | null} rssPeakBytes
 */

/**
 * @typedef {{ median: number, min: number, max: number } | null} Stat
 */

/**
 * @typedef {object} Row
 * @property {string} scenario
 * @property {string} server
 * @property {'autocannon' | 'wrk'} tool  the load generator of this scenario
 * @property {string | null} error        why there are no figures (or not all rounds)
 * @property {string[]} notes
 * @property {RoundResult[]} rounds
 * @property {Summary | null} summary
 * @property {Record<string, { rps: number | null, cpuPerReq: number | null }>} [ratios]
 */

/**
 * @typedef {object} Summary
 * @property {Stat} rps
 * @property {Stat} p50Ms
 * @property {Stat} p99Ms
 * @property {Stat} cpuPerReqUs
 * @property {Stat} serverCores
 * @property {Stat} loadCores
 * @property {number} responses
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} non2xx
 * @property {number | null} rssPeakBytes
 * @property {boolean} loadBound
 * @property {number} roundsOk
 */

/**
 * Median, min and max of the finite numbers in `values`, or null when there are none.
 * @param {(number | null | undefined)[]} values
 * @returns {Stat}
 */
export function stat(values) {
  const v = /** @type {number[]} */ (values.filter((x) => typeof x === 'number' && Number.isFinite(x))).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1] };
}

/**
 * @param {RoundResult[]} rounds
 * @returns {Summary | null}
 */
export function summarize(rounds) {
  if (rounds.length === 0) return null;
  const sum = (k) => rounds.reduce((a, r) => a + (r[k] ?? 0), 0);
  const rss = rounds.map((r) => r.rssPeakBytes).filter((x) => typeof x === 'number');
  const loadCores = stat(rounds.map((r) => r.loadCores));
  return {
    rps: stat(rounds.map((r) => r.rps)),
    p50Ms: stat(rounds.map((r) => r.p50Ms)),
    p99Ms: stat(rounds.map((r) => r.p99Ms)),
    cpuPerReqUs: stat(rounds.map((r) => r.cpuPerReqUs)),
    serverCores: stat(rounds.map((r) => r.serverCores)),
    loadCores,
    responses: sum('responses'),
    errors: sum('errors'),
    timeouts: sum('timeouts'),
    non2xx: sum('non2xx'),
    rssPeakBytes: rss.length ? Math.max(.../** @type {number[]} */ (rss)) : null,
    loadBound: loadCores !== null && loadCores.median > LOAD_BOUND_CORES,
    roundsOk: rounds.length,
  };
}

/**
 * Adds `ratios` to every row: its median req/s and CPU/req divided by the
 * baseline's in the same scenario.
 * @param {Row[]} rows
 */
export function addRatios(rows) {
  for (const row of rows) {
    row.ratios = {};
    for (const base of BASELINES) {
      const b = rows.find((r) => r.scenario === row.scenario && r.server === base);
      const rps = row.summary?.rps && b?.summary?.rps && b.summary.rps.median > 0 ? row.summary.rps.median / b.summary.rps.median : null;
      const cpu =
        row.summary?.cpuPerReqUs && b?.summary?.cpuPerReqUs && b.summary.cpuPerReqUs.median > 0
          ? row.summary.cpuPerReqUs.median / b.summary.cpuPerReqUs.median
          : null;
      row.ratios[base] = { rps, cpuPerReq: cpu };
    }
  }
  return rows;
}

/**
 * The targets shown as PASS/FAIL under the table.
 * `kind: 'ratio'` compares the subject's median with the baseline's;
 * `kind: 'limits'` checks the subject's row against absolute limits;
 * `kind: 'memory'` checks a server's RSS reading (idle, or with 1,000
 * connections open) against a limit or a baseline's reading plus a margin.
 */
export const TARGETS = [
  {
    id: 'plaintext-cpu',
    text: 'Plaintext CPU/req: ringside-io_uring ≤ 0.40× node-http',
    kind: 'ratio',
    scenario: 'plaintext',
    server: 'ringside-io_uring',
    baseline: 'node-http',
    metric: 'cpuPerReqUs',
    op: '<=',
    value: 0.4,
  },
  {
    id: 'pipelined-rps',
    text: 'Pipelined plaintext req/s: ringside-io_uring ≥ 9.5× node-http',
    kind: 'ratio',
    scenario: 'pipelined',
    server: 'ringside-io_uring',
    baseline: 'node-http',
    metric: 'rps',
    op: '>=',
    value: 9.5,
  },
  {
    id: 'dynamic-pipelined-rps',
    text: 'Dynamic pipelined req/s (a different response each request): ringside-io_uring ≥ 11× node-http',
    kind: 'ratio',
    scenario: 'dynamic-pipelined',
    server: 'ringside-io_uring',
    baseline: 'node-http',
    metric: 'rps',
    op: '>=',
    value: 11,
  },
  {
    id: 'hooked-cpu',
    text: 'Hooked JSON route CPU/req: ringside-io_uring ≤ 0.5× fastify',
    kind: 'ratio',
    scenario: 'hooked',
    server: 'ringside-io_uring',
    baseline: 'fastify',
    metric: 'cpuPerReqUs',
    op: '<=',
    value: 0.5,
  },
  {
    id: 'schema-cpu',
    text: 'Schema JSON route CPU/req: ringside-io_uring ≤ 0.5× fastify',
    kind: 'ratio',
    scenario: 'schema',
    server: 'ringside-io_uring',
    baseline: 'fastify',
    metric: 'cpuPerReqUs',
    op: '<=',
    value: 0.5,
  },
  {
    id: 'plugins-cpu',
    text: 'CORS + Helmet + Cookie route CPU/req: ringside-io_uring ≤ 0.5× fastify',
    kind: 'ratio',
    scenario: 'plugins',
    server: 'ringside-io_uring',
    baseline: 'fastify',
    metric: 'cpuPerReqUs',
    op: '<=',
    value: 0.5,
  },
  {
    id: 'connections-1000',
    text: '1,000 connections: ringside-io_uring no errors, timeouts or non-2xx; p99 < 20 ms',
    kind: 'limits',
    scenario: 'connections-1000',
    server: 'ringside-io_uring',
    p99Ms: 20,
  },
  {
    id: 'rss-idle',
    text: 'RSS idle: ringside-io_uring ≤ node-http + 3 MiB',
    kind: 'memory',
    server: 'ringside-io_uring',
    reading: 'rssIdleBytes',
    baseline: 'node-http',
    value: 3 * MiB,
  },
  {
    id: 'rss-open',
    text: 'RSS with 1,000 connections open: ringside-io_uring ≤ 50 MiB',
    kind: 'memory',
    server: 'ringside-io_uring',
    reading: 'rssOpenBytes',
    value: 50 * MiB,
  },
];

/**
 * @param {Row[]} rows
 * @param {{ name: string, backend: string | null, expectBackend?: string, error: string | null, rssIdleBytes: number | null, rssOpenBytes: number | null }[]} servers
 * @returns {{ id: string, text: string, status: 'PASS' | 'FAIL' | 'SKIP', detail: string }[]}
 */
export function evaluateTargets(rows, servers) {
  const find = (scenario, server) => rows.find((r) => r.scenario === scenario && r.server === server);
  const why = (scenario, server) => {
    const srv = servers.find((s) => s.name === server);
    if (!srv) return `${server} not selected`;
    if (srv.error) return `${server} did not start`;
    const r = find(scenario, server);
    if (!r) return `scenario ${scenario} not selected`;
    return `${server}: ${r.error ?? 'no figures'}`;
  };
  const backendWarning = backendWarningOf(servers);
  return TARGETS.map((t) => {
    if (t.kind === 'memory') return memoryTarget(t, servers, backendWarning);
    const subj = find(/** @type {string} */ (t.scenario), t.server);
    if (!subj?.summary) return { id: t.id, text: t.text, status: 'SKIP', detail: why(/** @type {string} */ (t.scenario), t.server) };
    if (t.kind === 'ratio') {
      const base = find(t.scenario, /** @type {string} */ (t.baseline));
      if (!base?.summary) return { id: t.id, text: t.text, status: 'SKIP', detail: why(t.scenario, /** @type {string} */ (t.baseline)) };
      const s = subj.summary[/** @type {'rps'|'cpuPerReqUs'} */ (t.metric)];
      const b = base.summary[/** @type {'rps'|'cpuPerReqUs'} */ (t.metric)];
      if (!s || !b || b.median <= 0) return { id: t.id, text: t.text, status: 'SKIP', detail: `no ${t.metric} figure` };
      const ratio = s.median / b.median;
      const ok = t.op === '<=' ? ratio <= /** @type {number} */ (t.value) : ratio >= /** @type {number} */ (t.value);
      const unit = t.metric === 'rps' ? 'req/s' : 'µs/req';
      let detail = `${fmtRatio(ratio)} (${fmtMetric(s.median, t.metric)} vs ${fmtMetric(b.median, t.metric)} ${unit})`;
      if (t.metric === 'rps') {
        // A load-generator-bound req/s is a lower bound on what the server can do.
        if (!ok && subj.summary.loadBound) detail += ` — inconclusive: ${t.server} was load generator bound, its req/s is a lower bound (try --tool wrk)`;
        if (ok && base.summary.loadBound) detail += ` — inconclusive: ${t.baseline} was load generator bound`;
        const bc = base.summary.serverCores?.median;
        if (!base.summary.loadBound && bc !== undefined && bc < SATURATED) {
          detail += ` — caveat: ${t.baseline} used only ${Math.round(bc * 100)}% CPU, its req/s was held back by something other than CPU`;
        }
      }
      return { id: t.id, text: t.text, status: ok ? 'PASS' : 'FAIL', detail: detail + backendWarning(t.server) };
    }
    const sm = subj.summary;
    const problems = [];
    if (sm.errors) problems.push(`${sm.errors} errors`);
    if (sm.timeouts) problems.push(`${sm.timeouts} timeouts`);
    if (sm.non2xx) problems.push(`${sm.non2xx} non-2xx`);
    if (!sm.p99Ms || sm.p99Ms.median >= /** @type {number} */ (t.p99Ms)) problems.push(`p99 ${sm.p99Ms ? fmtMs(sm.p99Ms.median) : '?'} ms`);
    if (subj.error) problems.push(subj.error);
    const detail = `errors ${sm.errors}, timeouts ${sm.timeouts}, non-2xx ${sm.non2xx}, p99 ${sm.p99Ms ? fmtMs(sm.p99Ms.median) : '?'} ms, RSS peak ${
      sm.rssPeakBytes === null ? '?' : fmtMiB(sm.rssPeakBytes)
    } MiB${problems.length ? ` — over: ${problems.join(', ')}` : ''}`;
    return { id: t.id, text: t.text, status: problems.length ? 'FAIL' : 'PASS', detail: detail + backendWarning(t.server) };
  });
}

/**
 * The memory targets alone, for readings taken without load (bench/memory.js).
 * @param {Parameters<typeof evaluateTargets>[1]} servers
 */
export function evaluateMemoryTargets(servers) {
  const backendWarning = backendWarningOf(servers);
  return TARGETS.filter((t) => t.kind === 'memory').map((t) => memoryTarget(t, servers, backendWarning));
}

/**
 * A warning for a server whose reported backend is not the one it expects.
 * @param {Parameters<typeof evaluateTargets>[1]} servers
 * @returns {(server: string) => string}
 */
function backendWarningOf(servers) {
  return (server) => {
    const srv = servers.find((s) => s.name === server);
    return srv?.expectBackend && srv.backend && srv.backend !== srv.expectBackend
      ? ` — WARNING: ${server} reported backend ${srv.backend}, expected ${srv.expectBackend}`
      : '';
  };
}

/**
 * A memory target: one server's RSS reading (taken before any load) against
 * an absolute limit, or against a baseline server's same reading plus a margin.
 * @param {(typeof TARGETS)[number]} t
 * @param {Parameters<typeof evaluateTargets>[1]} servers
 * @param {(server: string) => string} backendWarning
 * @returns {{ id: string, text: string, status: 'PASS' | 'FAIL' | 'SKIP', detail: string }}
 */
function memoryTarget(t, servers, backendWarning) {
  const key = /** @type {'rssIdleBytes' | 'rssOpenBytes'} */ (t.reading);
  const reading = (/** @type {string} */ name) => {
    const srv = servers.find((s) => s.name === name);
    if (!srv) return { bytes: null, why: `${name} not selected` };
    if (srv.error) return { bytes: null, why: `${name} did not start` };
    return { bytes: srv[key], why: `${name}: not measured` };
  };
  const subj = reading(t.server);
  if (subj.bytes === null) return { id: t.id, text: t.text, status: 'SKIP', detail: subj.why };
  let limit = /** @type {number} */ (t.value);
  let detail = `${fmtMiB(subj.bytes)} MiB`;
  if (t.baseline) {
    const base = reading(t.baseline);
    if (base.bytes === null) return { id: t.id, text: t.text, status: 'SKIP', detail: base.why };
    limit += base.bytes;
    detail += ` vs ${t.baseline} ${fmtMiB(base.bytes)} MiB`;
  }
  const ok = subj.bytes <= limit;
  detail += ok ? ` (limit ${fmtMiB(limit)} MiB)` : ` — over the limit of ${fmtMiB(limit)} MiB by ${fmtMiB(subj.bytes - limit)} MiB`;
  return { id: t.id, text: t.text, status: ok ? 'PASS' : 'FAIL', detail: detail + backendWarning(t.server) };
}

// ---------------------------------------------------------------- formatting

/** @param {number} n */
export function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}
/** @param {number} ms */
export function fmtMs(ms) {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}
/** @param {number} us */
export function fmtUs(us) {
  return us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2);
}
/** @param {number} bytes */
export function fmtMiB(bytes) {
  return (bytes / MiB).toFixed(1);
}
/** @param {number | null | undefined} r */
export function fmtRatio(r) {
  return r === null || r === undefined || !Number.isFinite(r) ? '—' : `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}
/** @param {number} v @param {string} metric */
function fmtMetric(v, metric) {
  return metric === 'rps' ? fmtInt(v) : fmtUs(v);
}
/** @param {Stat} s @param {(n: number) => string} f @param {boolean} range */
function fmtStat(s, f, range) {
  if (!s) return '—';
  return range && s.min !== s.max ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}
/** @param {number | null} cores */
function fmtPct(cores) {
  return cores === null ? '—' : `${Math.round(cores * 100)}%`;
}
/** Table cell text: no pipes or newlines. @param {string} s */
export function cell(s) {
  return String(s).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
}

/** The load generators of a run, with versions: "autocannon 8.0.0 + wrk 4.1.0". @param {BenchReport} report */
export function toolsText(report) {
  return report.tool.used.map((t) => `${t} ${report.tools[t] ?? '?'}`).join(' + ');
}

/**
 * The figures to read first: per scenario, each server's req/s and CPU µs per
 * request (medians), then each server's RSS idle and with 1,000 connections
 * open — one column per server.
 * @param {BenchReport} report
 * @returns {string[]} Markdown lines
 */
function summaryTable(report) {
  const servers = report.servers.map((s) => s.name);
  const L = ['## Summary', '', 'Median req/s · server CPU µs per request; memory read before any load.', ''];
  L.push(`| Scenario | ${servers.join(' | ')} |`);
  L.push(`| --- |${servers.map(() => ' ---: ').join('|')}|`);
  for (const sc of report.scenarios) {
    const cells = servers.map((name) => {
      const s = report.results.find((r) => r.scenario === sc.name && r.server === name)?.summary;
      if (!s?.rps || !s.cpuPerReqUs) return '—';
      return `${fmtInt(s.rps.median)} · ${fmtUs(s.cpuPerReqUs.median)} µs${s.loadBound ? ' *' : ''}`;
    });
    L.push(`| ${cell(sc.tool === 'wrk' && report.tool.used.length > 1 ? `${sc.title} [wrk]` : sc.title)} | ${cells.map(cell).join(' | ')} |`);
  }
  const mib = (/** @type {number | null} */ b) => (b === null ? '—' : `${fmtMiB(b)} MiB`);
  L.push(`| RSS idle | ${report.servers.map((s) => mib(s.rssIdleBytes)).join(' | ')} |`);
  L.push(`| RSS, 1,000 connections open | ${report.servers.map((s) => mib(s.rssOpenBytes)).join(' | ')} |`);
  L.push(
    `| RSS peak, 1,000-connection load | ${report.servers.map((s) => mib(s.rssLoadScenario === 'connections-1000' ? s.rssLoadBytes : null)).join(' | ')} |`,
  );
  L.push('', '`*`: load generator bound (the req/s is a lower bound; compare CPU µs per request).');
  return L;
}

/**
 * The Markdown report.
 * @param {BenchReport} report
 * @returns {string}
 */
export function renderMarkdown(report) {
  const L = [];
  const m = report.machine;
  const range = report.options.rounds > 1;
  L.push('# Ringside benchmark', '');
  L.push(`- Date: ${report.date}`);
  L.push(`- Command: \`${report.command}\``);
  L.push(`- Machine: ${m.cpuModel}, ${m.nproc} CPUs, ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB memory; kernel ${m.kernel}; Node ${report.node}`);
  L.push(`- Load generator: ${toolsText(report)}${report.tool.used.length > 1 ? ' (rows marked [wrk] ran on wrk)' : ''}`);
  L.push(`- Pinning: ${report.pinning.note}`);
  for (const t of report.tool.used) L.push(`- Latency (${t}): ${LATENCY_SOURCE[t]}`);
  L.push(
    `- Method: per scenario, warm-up ${report.options.warmup} s per server (not recorded), then ${report.options.rounds} round${report.options.rounds > 1 ? 's' : ''} × ${report.options.duration} s, servers interleaved (${report.servers.map((s) => s.name).join(', ')}); ${report.options.connections} connections unless the scenario says otherwise; ${range ? 'median (min–max)' : 'single round'}.`,
  );
  const ringside = report.servers.filter((s) => s.name.startsWith('ringside'));
  if (ringside.length) {
    L.push(`- Ringside backends: ${ringside.map((s) => `${s.name} → ${s.backend ?? (s.error ? 'did not start' : 'not reported')}`).join('; ')}`);
  }
  const sp = report.speedChecks.filter((c) => c.nsPerIter !== null);
  if (sp.length) {
    L.push(
      `- CPU speed check (fixed loop on the server CPU, ns/iteration, lower is faster): ${sp.map((c) => `${c.after} ${/** @type {number} */ (c.nsPerIter).toFixed(2)}`).join(', ')}${
        report.speedSpread !== null ? ` — spread ${Math.round((report.speedSpread - 1) * 100)}%` : ''
      }`,
    );
  }
  for (const w of report.warnings) L.push(`- **Warning:** ${cell(w)}`);
  L.push('');

  L.push(...summaryTable(report), '');
  L.push('## Results', '');
  const header = [
    'Scenario',
    'Server',
    'Req/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    'Server CPU',
    ...BASELINES.map((b) => `vs ${b} (req/s · CPU/req)`),
    'RSS peak MiB',
    'Errors / timeouts / non-2xx',
    'Notes',
  ];
  L.push(`| ${header.join(' | ')} |`);
  L.push(`|${header.map((h, i) => (i < 2 || i === header.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const sc of report.scenarios) {
    for (const row of report.results.filter((r) => r.scenario === sc.name)) {
      const s = row.summary;
      const notes = [...row.notes];
      if (row.error) {
        // The full start error is in the Servers table; keep the rows short.
        notes.unshift(row.error.startsWith('server failed to start') ? 'ERROR: server failed to start (see Servers below)' : `ERROR: ${row.error}`);
      }
      const title = row.tool === 'wrk' && report.tool.used.length > 1 ? `${sc.title} [wrk]` : sc.title;
      const cells = s
        ? [
            title,
            row.server,
            fmtStat(s.rps, fmtInt, range),
            fmtStat(s.p50Ms, fmtMs, false),
            fmtStat(s.p99Ms, fmtMs, false),
            fmtStat(s.cpuPerReqUs, fmtUs, range),
            fmtPct(s.serverCores?.median ?? null),
            ...BASELINES.map((b) => (b === row.server ? '—' : `${fmtRatio(row.ratios?.[b]?.rps)} · ${fmtRatio(row.ratios?.[b]?.cpuPerReq)}`)),
            s.rssPeakBytes === null ? '—' : fmtMiB(s.rssPeakBytes),
            `${s.errors} / ${s.timeouts} / ${s.non2xx}`,
            notes.join('; '),
          ]
        : [title, row.server, '—', '—', '—', '—', '—', ...BASELINES.map(() => '—'), '—', '—', notes.join('; ')];
      L.push(`| ${cells.map(cell).join(' | ')} |`);
    }
  }
  L.push('');

  L.push('## Targets', '');
  for (const t of report.targets) L.push(`- **${t.status}** ${t.text}: ${t.detail}`);
  L.push('');

  L.push('## Servers', '');
  L.push('| Server | Backend | Start ms | RSS idle MiB | RSS 1,000 connections open MiB | RSS under load MiB | Status |');
  L.push('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  for (const s of report.servers) {
    L.push(
      `| ${[
        s.name,
        s.backend ?? '—',
        s.startMs === null ? '—' : String(s.startMs),
        s.rssIdleBytes === null ? '—' : fmtMiB(s.rssIdleBytes),
        s.rssOpenBytes === null ? '—' : fmtMiB(s.rssOpenBytes),
        s.rssLoadBytes === null
          ? '—'
          : fmtMiB(s.rssLoadBytes) + (s.rssLoadScenario && s.rssLoadScenario !== 'connections-1000' ? ` (${s.rssLoadScenario})` : ''),
        s.error ? `ERROR: ${s.error}` : s.problems.length ? `wrong answers: ${s.problems.join('; ')}` : 'ok',
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  L.push('');
  L.push(
    `Req/s: responses ÷ recorded window. p50/p99: latency percentiles from the load generator. CPU µs/req: utime+stime of the server process tree over exactly the recorded window ÷ responses (stays meaningful when the load generator is the bottleneck). Server CPU: that CPU time ÷ window (100% = one core). Ratios: this row's median ÷ the baseline's median in the same scenario (req/s: higher is better; CPU/req: lower is better). RSS peak: VmRSS of the server tree sampled every 50 ms during the recorded rounds; "RSS idle": 0.3 s after the server first answered, before any load; "RSS 1,000 connections open": then, with 1,000 keep-alive connections open that have each had one GET / answered; "RSS under load": the peak during the 1,000-connection scenario. "load generator bound": the load generator used more than ${Math.round(LOAD_BOUND_CORES * 100)}% of its CPU, so req/s and latency describe it rather than the server.`,
  );
  L.push('');
  return L.join('\n');
}

/**
 * @typedef {object} BenchReport
 * @property {number} schema
 * @property {string} date
 * @property {string} command
 * @property {string} cwd
 * @property {ReturnType<typeof import('./measure.js').machineInfo>} machine
 * @property {string} node
 * @property {{ name: 'auto' | 'autocannon' | 'wrk', used: ('autocannon' | 'wrk')[] }} tool   the --tool choice and the load generators it ran
 * @property {{ autocannon: string | null, wrk: string | null }} tools
 * @property {{ enabled: boolean, serverCpu: number | null, loadCpu: number | null, note: string }} pinning
 * @property {{ duration: number, warmup: number, rounds: number, connections: number, timeoutS: number, quick: boolean }} options
 * @property {string[]} warnings
 * @property {{ after: string, nsPerIter: number | null }[]} speedChecks
 * @property {number | null} speedSpread   max/min of the speed checks
 * @property {{ name: string, command: string[], env: Record<string,string>, expectBackend?: string, backend: string | null, error: string | null, problems: string[], startMs: number | null, rssIdleBytes: number | null, rssOpenBytes: number | null, rssLoadBytes: number | null, rssLoadScenario: string | null, output: string }[]} servers
 * @property {{ name: string, title: string, short: string, method: string, path: string, connections: number, pipelining: number, tool: 'autocannon' | 'wrk', bodyBytes: number }[]} scenarios
 * @property {Row[]} results
 * @property {ReturnType<typeof evaluateTargets>} targets
 * @property {number} elapsedS
 */
