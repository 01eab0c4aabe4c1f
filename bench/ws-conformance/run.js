/**
 * WebSocket conformance run: Autobahn|Testsuite's fuzzing-client sections
 * 1-7, 9, 12 and 13 against an echo server.
 *
 *   node bench/ws-conformance/run.js --url ws://127.0.0.1:9001/ [--cases 1.*,6.4.*]
 *        [--seed N --sample K] [--json out.json] [--full]
 *   node bench/ws-conformance/run.js --server ws|uws|ringside-io_uring|ringside-epoll|ringside-node ...   (starts that bundled echo server)
 *
 * Prints a per-section summary and exits 1 when a case is FAILED.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { CASES, selectCases } from './cases.js';
import { runCase, VERDICTS } from './runner.js';
import { prng } from './testdata.js';

/** Bounded defaults: section 9/12/13 loads finish in seconds. `--full` lifts them. */
export const DEFAULT_LIMITS = Object.freeze({ maxPayload: 1024 * 1024, maxMessages: 10 });
export const DEFAULT_TIME_SCALE = 0.25;

/**
 * @typedef {{
 *   url: string,
 *   cases?: string[] | string,
 *   seed?: number,
 *   sample?: number,
 *   timeScale?: number,
 *   limits?: { maxPayload?: number, maxMessages?: number },
 *   onResult?: (r: import('./runner.js').CaseResult) => void,
 * }} ConformanceOptions
 */

/**
 * Picks the cases: by id pattern, then (with `sample`) `sample` of them drawn
 * with a PRNG seeded by `seed`, at least one per section, kept in suite order.
 * @param {{ cases?: string[] | string, seed?: number, sample?: number }} opts
 */
export function pickCases({ cases, seed = 1, sample }) {
  const patterns = typeof cases === 'string' ? cases.split(',') : cases;
  const selected = selectCases(patterns);
  if (!sample || sample >= selected.length) return selected;
  const rnd = prng(seed);
  const idx = selected.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  // Every section present in the selection gets at least one case, then the draw order fills the rest.
  const seen = new Set();
  const firsts = idx.filter((i) => !seen.has(selected[i].section) && seen.add(selected[i].section));
  const chosen = new Set(firsts.slice(0, sample));
  for (const i of idx) if (chosen.size < sample) chosen.add(i);
  return [...chosen].sort((a, b) => a - b).map((i) => selected[i]);
}

/**
 * Runs the selected cases one after the other (as Autobahn does) and returns
 * every result plus a per-section summary.
 * @param {ConformanceOptions} opts
 */
export async function runConformance(opts) {
  const chosen = pickCases(opts);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const timeScale = opts.timeScale ?? DEFAULT_TIME_SCALE;
  const started = performance.now();
  /** @type {import('./runner.js').CaseResult[]} */
  const results = [];
  for (const c of chosen) {
    const r = await runCase(c, { url: opts.url, timeScale, limits });
    results.push(r);
    opts.onResult?.(r);
  }
  return { results, summary: summarize(results), durationMs: Math.round(performance.now() - started), options: { timeScale, limits } };
}

/** @param {import('./runner.js').CaseResult[]} results */
export function summarize(results) {
  /** @type {Map<number, Record<string, number>>} */
  const bySection = new Map();
  for (const r of results) {
    const row = bySection.get(r.section) ?? Object.fromEntries([['cases', 0], ['ms', 0], ...VERDICTS.map((v) => [v, 0])]);
    row.cases++;
    row[r.verdict]++;
    row.ms += r.durationMs;
    bySection.set(r.section, row);
  }
  return [...bySection.entries()].sort(([a], [b]) => a - b).map(([section, row]) => ({ section, ...row }));
}

/** @param {ReturnType<typeof summarize>} summary */
export function formatSummary(summary) {
  const head = ['section', 'cases', ...VERDICTS, 'time'];
  const rows = summary.map((s) => [
    String(s.section),
    String(s.cases),
    ...VERDICTS.map((v) => String(/** @type {any} */ (s)[v])),
    `${(s.ms / 1000).toFixed(1)} s`,
  ]);
  const total = ['all', ...[1, ...VERDICTS.map((_, i) => i + 2)].map((k) => String(rows.reduce((n, r) => n + Number(r[k]), 0)))];
  total.push(`${(summary.reduce((n, s) => n + s.ms, 0) / 1000).toFixed(1)} s`);
  const table = [head, ...rows, total];
  const line = (/** @type {string[]} */ cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...table.slice(1).map(line)].join('\n');
}

/** @param {string} name */
async function startBundledServer(name) {
  if (name === 'ws') return (await import('./servers/ws-echo.js')).startWsEcho();
  if (name === 'uws') return (await import('./servers/uws-echo.js')).startUwsEcho();
  const ringside = /^ringside-(io_uring|epoll|node)$/.exec(name);
  if (ringside) return (await import('./servers/ringside-echo.js')).startRingsideEcho({ backend: /** @type {any} */ (ringside[1]) });
  throw new Error(`unknown --server ${name} (ws, uws, ringside-io_uring, ringside-epoll, ringside-node)`);
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      server: { type: 'string' },
      cases: { type: 'string' },
      seed: { type: 'string', default: '1' },
      sample: { type: 'string' },
      json: { type: 'string' },
      full: { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      'max-payload': { type: 'string' },
      'max-messages': { type: 'string' },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
  });
  const server = values.server ? await startBundledServer(values.server) : null;
  const url = values.url ?? server?.url;
  if (!url) throw new Error('give --url ws://HOST:PORT/ or --server ws|uws|ringside-<backend>');
  const full = values.full;
  const limits = {
    maxPayload: Number(values['max-payload'] ?? (full ? Number.POSITIVE_INFINITY : DEFAULT_LIMITS.maxPayload)),
    maxMessages: Number(values['max-messages'] ?? (full ? Number.POSITIVE_INFINITY : DEFAULT_LIMITS.maxMessages)),
  };
  const timeScale = Number(values['time-scale'] ?? (full ? 1 : DEFAULT_TIME_SCALE));
  const run = await runConformance({
    url,
    cases: values.cases,
    seed: Number(values.seed),
    sample: values.sample ? Number(values.sample) : undefined,
    timeScale,
    limits,
    onResult: (r) => {
      if (values.verbose || r.verdict !== 'OK') {
        console.log(
          `${r.id.padEnd(9)} ${r.verdict.padEnd(13)} ${r.behavior}/${r.behaviorClose} close=${r.remoteCloseCode ?? '-'} ${r.durationMs} ms  ${r.verdict === 'OK' ? '' : r.result}`,
        );
      }
    },
  });
  await server?.close();
  console.log(`\n${server?.name ?? url}: ${run.results.length} of ${CASES.length} cases in ${(run.durationMs / 1000).toFixed(1)} s\n`);
  console.log(formatSummary(run.summary));
  if (values.json) {
    const out = {
      server: server?.name ?? url,
      date: new Date().toISOString(),
      node: process.version,
      options: {
        cases: values.cases ?? 'all',
        seed: Number(values.seed),
        sample: values.sample ? Number(values.sample) : null,
        timeScale,
        limits: { maxPayload: String(limits.maxPayload), maxMessages: String(limits.maxMessages) },
      },
      durationMs: run.durationMs,
      summary: run.summary,
      cases: Object.fromEntries(
        run.results.map((r) => [
          r.id,
          {
            verdict: r.verdict,
            behavior: r.behavior,
            behaviorClose: r.behaviorClose,
            remoteCloseCode: r.remoteCloseCode,
            ...(r.verdict === 'OK' ? {} : { result: r.result, resultClose: r.resultClose }),
            ...(r.capped ? { capped: r.capped } : {}),
          },
        ]),
      ),
    };
    writeFileSync(values.json, `${JSON.stringify(out, null, 2)}\n`);
  }
  process.exitCode = run.results.some((r) => r.verdict === 'FAILED') ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 2;
  });
}
