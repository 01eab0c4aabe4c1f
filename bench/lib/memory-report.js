/**
 * The memory benchmark's summaries (bench/memory.js) and its Markdown: per
 * server the median (min–max) of RSS idle, its anonymous and file-backed
 * parts, RSS with the connections open and the growth per connection, then
 * the issue's memory targets against those medians.
 */
import { cell, evaluateMemoryTargets, fmtMiB, stat } from './report.js';

/**
 * @typedef {{ median: number, min: number, max: number } | null} Stat
 * @typedef {{ idle: number, anon: number | null, file: number | null, open: number | null, loaded?: number | null, quiet?: number | null, backend: string | null }} MemoryReading
 */

/** @param {(number | null)[]} values */
const statOf = (values) => stat(/** @type {number[]} */ (values.filter((v) => typeof v === 'number')));

/**
 * @param {MemoryReading[]} readings one per round
 * @param {number} connections how many were open for the `open` reading
 * @returns {{ rounds: number, backend: string | null, idle: Stat, anon: Stat, file: Stat, open: Stat, perConnection: Stat, loaded: Stat, quiet: Stat }}
 */
export function summarizeMemory(readings, connections) {
  return {
    rounds: readings.length,
    backend: readings.find((r) => r.backend)?.backend ?? null,
    idle: statOf(readings.map((r) => r.idle)),
    anon: statOf(readings.map((r) => r.anon)),
    file: statOf(readings.map((r) => r.file)),
    open: statOf(readings.map((r) => r.open)),
    // Bytes each connection added, from the same process's two readings.
    perConnection: statOf(readings.map((r) => (r.open === null ? null : (r.open - r.idle) / connections))),
    loaded: statOf(readings.map((r) => r.loaded ?? null)),
    quiet: statOf(readings.map((r) => r.quiet ?? null)),
  };
}

/** @param {Stat} s */
const mib = (s) => (s ? `${fmtMiB(s.median)} (${fmtMiB(s.min)}–${fmtMiB(s.max)})` : '—');
/** @param {Stat} s */
const kib = (s) => (s ? (s.median / 1024).toFixed(1) : '—');

/**
 * @param {{ date: string, command: string, machine: ReturnType<typeof import('./measure.js').machineInfo>, node: string, rounds: number, connections: number,
 *   afterLoad?: { seconds: number, connections: number, quietSeconds: number, tool?: string } | null, quietReleaseMs?: string | null,
 *   servers: ({ name: string, description: string, expectBackend?: string, error: string | null } & ReturnType<typeof summarizeMemory>)[] }} report
 * @returns {string}
 */
export function renderMemoryMarkdown(report) {
  const m = report.machine;
  const L = [];
  L.push('# Ringside memory benchmark', '');
  L.push(
    `${report.date.slice(0, 10)} · ${m.cpuModel}, ${m.nproc} CPUs, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Linux ${m.kernel} · Node ${report.node} · \`${report.command}\``,
    '',
  );
  L.push(
    `Each server started afresh ${report.rounds} time(s), one at a time, rounds interleaved; median (min–max). RSS idle: 0.3 s after its first answer. With ${report.connections.toLocaleString('en-US')} open: keep-alive connections that each had one \`GET /\` answered, read 0.5 s after the last.`,
    '',
  );
  const load = report.afterLoad ?? null;
  if (load)
    L.push(
      `After load: ${load.seconds} s of \`GET /user/<n>\` (n different each request, ${load.connections} connections${load.tool ? `, ${load.tool}` : ''}), RSS 0.5 s after it, and ${load.quietSeconds} s after it${report.quietReleaseMs ? ` (RINGSIDE_QUIET_RELEASE_MS=${report.quietReleaseMs} in the environment)` : ''}.`,
      '',
    );
  const heads = ['Server', 'RSS idle MiB', 'anonymous', 'file-backed', `RSS, ${report.connections.toLocaleString('en-US')} open MiB`, 'KiB per connection'];
  if (load) heads.push('RSS after load MiB', `${load.quietSeconds} s later MiB`);
  L.push(`| ${heads.join(' | ')} |`, `|${'---|'.repeat(heads.length)}`);
  for (const s of report.servers) {
    const cells =
      s.error !== null && s.rounds === 0
        ? [`failed: ${cell(s.error)}`, ...Array(heads.length - 2).fill('—')]
        : [
            mib(s.idle),
            s.anon ? fmtMiB(s.anon.median) : '—',
            s.file ? fmtMiB(s.file.median) : '—',
            mib(s.open),
            kib(s.perConnection),
            ...(load ? [mib(s.loaded), mib(s.quiet)] : []),
          ];
    const partial = s.error !== null && s.rounds > 0 ? ` (${s.rounds} of ${report.rounds} rounds; then failed: ${cell(s.error)})` : '';
    L.push(`| ${s.name}${partial} | ${cells.join(' | ')} |`);
  }
  L.push('');
  for (const s of report.servers) L.push(`- \`${s.name}\`: ${s.description}`);
  L.push('');
  const servers = report.servers.map((s) => ({
    name: s.name,
    backend: s.backend,
    expectBackend: s.expectBackend,
    error: s.rounds ? null : s.error,
    rssIdleBytes: s.idle?.median ?? null,
    rssOpenBytes: s.open?.median ?? null,
  }));
  for (const t of evaluateMemoryTargets(servers)) L.push(`- ${t.text}: **${t.status}** — ${t.detail}`);
  const idleOf = (name) => report.servers.find((s) => s.name === name)?.idle?.median;
  const ring = idleOf('ringside-io_uring');
  const deps = idleOf('node-http-deps');
  if (ring !== undefined && deps !== undefined)
    L.push(
      `- ringside-io_uring idle − node-http-deps idle: ${((ring - deps) / 1048576).toFixed(1)} MiB (what the framework adds to the code its app loads; Ringside also hands back start-up memory once after listen, node:http does not)`,
    );
  L.push('');
  return L.join('\n');
}
