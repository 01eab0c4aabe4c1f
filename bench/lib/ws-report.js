/**
 * Summaries (medians over rounds, or over every publish of every round),
 * ratios to uWebSockets.js, and the Markdown report of bench/websocket.js.
 */
import { cell, fmtInt, fmtMs, fmtRatio, fmtUs, stat } from './report.js';

/** The server every row is compared with. */
export const REFERENCE = 'uws';
/** Above this share of its CPU time the load generator, not the server, set the pace. */
export const LOAD_BOUND_CORES = 0.9;

/**
 * @typedef {object} WsRow
 * @property {string} scenario
 * @property {string} server
 * @property {string | null} error      why there are no figures
 * @property {string[]} notes
 * @property {any[]} rounds             raw results of bench/lib/ws-load.js, one per round
 * @property {any} [summary]
 * @property {{ rate: number | null, cpu: number | null }} [vsReference]
 */

/**
 * @param {WsRow} row
 * @param {'echo' | 'broadcast'} kind
 */
export function summarizeRow(row, kind) {
  if (row.rounds.length === 0) return null;
  const sum = (k) => row.rounds.reduce((a, r) => a + (r[k] ?? 0), 0);
  const common = { rounds: row.rounds.length, checked: sum('checked'), mismatches: sum('mismatches') };
  if (kind === 'echo') {
    const loadCores = stat(row.rounds.map((r) => r.loadCores));
    return {
      ...common,
      msgsPerS: stat(row.rounds.map((r) => r.msgsPerS)),
      cpuPerMsgUs: stat(row.rounds.map((r) => r.cpuPerMsgUs)),
      serverCores: stat(row.rounds.map((r) => r.serverCores)),
      loadCores,
      loadBound: !!loadCores && loadCores.median > LOAD_BOUND_CORES,
    };
  }
  const timings = row.rounds.flatMap((r) => r.timings);
  const deliverMs = stat(timings.map((t) => t.deliverMs));
  const loadCpuMs = stat(timings.map((t) => t.loadCpuMs));
  return {
    ...common,
    publishes: timings.length,
    deliverMs,
    serverCpuMs: stat(timings.map((t) => t.serverCpuMs)),
    loadCpuMs,
    // The load generator reads 10,000 sockets on its CPU: when that takes
    // about as long as the delivery, the delivery waited on it.
    loadBound: !!deliverMs && !!loadCpuMs && loadCpuMs.median > LOAD_BOUND_CORES * deliverMs.median,
  };
}

/**
 * Ratios to the reference server in the same scenario: rate (higher is
 * better: messages/s, or 1/time for broadcast) and CPU (lower is better).
 * @param {WsRow[]} rows
 */
export function addReferenceRatios(rows) {
  for (const row of rows) {
    const ref = rows.find((r) => r.scenario === row.scenario && r.server === REFERENCE)?.summary;
    const s = row.summary;
    if (!ref || !s) continue;
    const ratio = (a, b) => (a && b && b.median > 0 ? a.median / b.median : null);
    row.vsReference =
      'msgsPerS' in s
        ? { rate: ratio(s.msgsPerS, ref.msgsPerS), cpu: ratio(s.cpuPerMsgUs, ref.cpuPerMsgUs) }
        : { rate: ratio(ref.deliverMs, s.deliverMs), cpu: ratio(s.serverCpuMs, ref.serverCpuMs) };
  }
}

/** @param {import('./report.js').Stat} s @param {(n: number) => string} f */
const fmtStat = (s, f) => (!s ? '—' : s.min !== s.max ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median));
const pct = (s) => (s ? `${Math.round(s.median * 100)}%` : '—');

/**
 * @param {any} report the object written to latest.json
 * @returns {string}
 */
export function renderWsMarkdown(report) {
  const m = report.machine;
  const o = report.options;
  const L = ['# Ringside WebSocket benchmark', ''];
  L.push(
    `${report.date} · ${m.cpuModel}, ${m.nproc} CPUs · kernel ${m.kernel} · Node ${report.node} · ${report.pinning.note}`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Echo: ${o.bytes}-byte text messages, ${o.depth} in flight per connection, ${o.warmup} s warm-up then ${o.duration} s recorded, ` +
      `${o.rounds} interleaved round(s), median (min–max). One message = one echo (received and sent back). ` +
      `Server CPU = utime+stime of its process tree over the window. ` +
      `Broadcast: one ${o.bytes}-byte text message published to every subscriber, ${o.publishes} publishes per round after a warm-up one; ` +
      `time = send of the publish to arrival at the last subscriber; server CPU from schedstat (ns). ` +
      `Load generator: bench/lib/ws-load.js, ${o.threads} thread(s); every 16th echo and every broadcast message checked byte for byte.`,
    '',
  );
  for (const w of report.warnings) L.push(`> ⚠ ${w}`, '');
  for (const sc of report.scenarios) {
    const rows = report.rows.filter((r) => r.scenario === sc.name);
    L.push(`## ${sc.name}: ${sc.description}`, '');
    if (sc.kind === 'echo') {
      L.push('| Server | messages/s | µs server CPU / message | server CPU | load CPU | vs uWS: messages/s | vs uWS: CPU / message | notes |');
      L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
      for (const r of rows) {
        const s = r.summary;
        if (!s) {
          L.push(`| ${r.server} | — | — | — | — | — | — | ${cell(r.error ?? 'no figures')} |`);
          continue;
        }
        L.push(
          `| ${r.server} | ${fmtStat(s.msgsPerS, fmtInt)} | ${fmtStat(s.cpuPerMsgUs, fmtUs)} | ${pct(s.serverCores)} | ${pct(s.loadCores)} | ${fmtRatio(
            r.vsReference?.rate,
          )} | ${fmtRatio(r.vsReference?.cpu)} | ${cell(r.notes.join('; '))} |`,
        );
      }
    } else {
      L.push('| Server | ms to deliver | server CPU ms / publish | load CPU ms / publish | vs uWS: speed | vs uWS: CPU | notes |');
      L.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
      for (const r of rows) {
        const s = r.summary;
        if (!s) {
          L.push(`| ${r.server} | — | — | — | — | — | ${cell(r.error ?? 'no figures')} |`);
          continue;
        }
        L.push(
          `| ${r.server} | ${fmtStat(s.deliverMs, fmtMs)} | ${fmtStat(s.serverCpuMs, fmtMs)} | ${fmtStat(s.loadCpuMs, fmtMs)} | ${fmtRatio(
            r.vsReference?.rate,
          )} | ${fmtRatio(r.vsReference?.cpu)} | ${cell(r.notes.join('; '))} |`,
        );
      }
    }
    L.push('');
  }
  L.push('## Servers', '');
  for (const s of report.servers) {
    L.push(
      `- **${s.name}**: ${s.error ? `not available: ${cell(s.error)}` : `${s.description}${s.backend ? ` (reported: ${s.backend})` : ''}${s.note ? `; ${s.note}` : ''}`}`,
    );
  }
  L.push('');
  return L.join('\n');
}
