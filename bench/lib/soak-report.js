/**
 * The soak benchmark's readings and report: server fds and RSS from /proc,
 * TCP socket states of the server's port, the verdict (end within ±N% of
 * start), and the Markdown tables. Pure functions apart from the /proc
 * readers, which return null (never throw) when the process is gone.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readRssBytes } from './measure.js';

const MiB = 1024 * 1024;

/**
 * Open file descriptors of a process (entries of /proc/<pid>/fd), or null.
 * @param {number} pid
 * @returns {number | null}
 */
export function readFdCount(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * @typedef {{ t: number, rssBytes: number | null, fds: number | null }} Reading
 */

/**
 * One reading of a server: VmRSS and open fds.
 * @param {number} pid
 * @param {number} [t] seconds since the run started
 * @returns {Reading}
 */
export function readServer(pid, t = 0) {
  return { t, rssBytes: readRssBytes(pid), fds: readFdCount(pid) };
}

/**
 * RSS split (anonymous: heap, malloc, stacks; file: code and mapped files;
 * shmem) and thread count from /proc/<pid>/status, in bytes; null when gone.
 * @param {number} pid
 */
export function readRssDetail(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : null;
  };
  const threads = /^Threads:\s+(\d+)/m.exec(text);
  return {
    rssAnonBytes: kb('RssAnon'),
    rssFileBytes: kb('RssFile'),
    rssShmemBytes: kb('RssShmem'),
    hwmBytes: kb('VmHWM'),
    threads: threads ? Number(threads[1]) : null,
  };
}

const TCP_STATES = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

/**
 * TCP sockets (IPv4, this network namespace) by state: those whose local port
 * is `port` (the server's side) and those whose remote port is `port` (the
 * clients' side), plus all TIME_WAIT sockets on the machine.
 * @param {number} port
 * @returns {{ server: Record<string, number>, client: Record<string, number>, timeWaitAll: number } | null}
 */
export function tcpStates(port) {
  let text;
  try {
    text = readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return null;
  }
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  /** @type {Record<string, number>} */
  const server = {};
  /** @type {Record<string, number>} */
  const client = {};
  let timeWaitAll = 0;
  // Server-side connections (not LISTEN/TIME_WAIT) with bytes queued: unread by the server, or unsent to the client.
  const serverQueues = { withRecvQ: 0, recvBytes: 0, withSendQ: 0, sendBytes: 0, acceptQueue: 0 };
  // "  sl  local_address rem_address   st tx_queue:rx_queue ..." → "0: 0100007F:0BB8 0100007F:8F1A 01 00000000:00000000 ..."
  const re = /^\s*\d+: [0-9A-F]{8}:([0-9A-F]{4}) [0-9A-F]{8}:([0-9A-F]{4}) ([0-9A-F]{2}) ([0-9A-F]{8}):([0-9A-F]{8})/gm;
  for (let m; (m = re.exec(text)); ) {
    const state = TCP_STATES[/** @type {keyof typeof TCP_STATES} */ (m[3])] ?? m[3];
    if (state === 'TIME_WAIT') timeWaitAll++;
    if (m[1] === hex) {
      server[state] = (server[state] ?? 0) + 1;
      // A listener's rx_queue is its accept queue: connections the server has not accepted yet.
      if (state === 'LISTEN') serverQueues.acceptQueue += parseInt(m[5], 16);
      else if (state !== 'TIME_WAIT') {
        const tx = parseInt(m[4], 16);
        const rx = parseInt(m[5], 16);
        if (rx > 0) {
          serverQueues.withRecvQ++;
          serverQueues.recvBytes += rx;
        }
        if (tx > 0) {
          serverQueues.withSendQ++;
          serverQueues.sendBytes += tx;
        }
      }
    } else if (m[2] === hex) client[state] = (client[state] ?? 0) + 1;
  }
  return { server, client, timeWaitAll, serverQueues };
}

/**
 * Time the main thread of a process has run on a CPU and has waited on a run
 * queue for one (runnable but another task had the CPU), from
 * /proc/<pid>/schedstat, in seconds; null when unavailable.
 * @param {number} pid
 * @returns {{ runS: number, waitS: number } | null}
 */
export function readSchedstat(pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runS: run / 1e9, waitS: wait / 1e9 } : null;
  } catch {
    return null;
  }
}

/** TcpExt counters worth seeing after a connection storm (names as in /proc/net/netstat). */
export const TCP_COUNTERS = [
  'ListenOverflows',
  'ListenDrops',
  'TCPSynRetrans',
  'TCPTimeouts',
  'SyncookiesSent',
  'SyncookiesFailed',
  'TCPReqQFullDoCookies',
  'TCPReqQFullDrop',
  'TCPBacklogDrop',
  'TWRecycled',
  'TCPTimeWaitOverflow',
  'TCPAbortOnData',
  'TCPAbortOnClose',
  'TCPAbortOnTimeout',
  'TCPAbortOnMemory',
];

/**
 * The TCP_COUNTERS from /proc/net/netstat (whole network namespace), or null.
 * @returns {Record<string, number> | null}
 */
export function tcpCounters() {
  let text;
  try {
    text = readFileSync('/proc/net/netstat', 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  if (lines.length < 2) return null;
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  /** @type {Record<string, number>} */
  const out = {};
  for (const k of TCP_COUNTERS) {
    const i = names.indexOf(k);
    if (i >= 0) out[k] = values[i];
  }
  return out;
}

/**
 * Non-zero differences b − a of two tcpCounters() readings.
 * @param {Record<string, number> | null} a
 * @param {Record<string, number> | null} b
 */
export function counterDelta(a, b) {
  if (!a || !b) return null;
  /** @type {Record<string, number>} */
  const out = {};
  for (const k of Object.keys(b)) if (b[k] - (a[k] ?? 0) !== 0) out[k] = b[k] - (a[k] ?? 0);
  return out;
}

/**
 * CPU time of the whole machine from /proc/stat, in seconds per column
 * (all CPUs together).
 * @returns {{ user: number, nice: number, system: number, idle: number, iowait: number, irq: number, softirq: number, steal: number } | null}
 */
export function machineCpu(clkTck = 100) {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f.map((x) => (x ?? 0) / clkTck);
    return { user, nice, system, idle, iowait, irq, softirq, steal };
  } catch {
    return null;
  }
}

/**
 * Relative change from a to b (0.05 = +5%), or null.
 * @param {number | null | undefined} a
 * @param {number | null | undefined} b
 */
export function change(a, b) {
  if (a === null || a === undefined || b === null || b === undefined || a === 0) return null;
  return (b - a) / a;
}

/**
 * The verdict of one backend's run: the server survived, answered after the
 * run, and its RSS and fd count at the end are within ±tolerance of the start.
 * @param {{ start: Reading | null, end: Reading | null, crash: string | null, answeredAfter: boolean | null }} r
 * @param {number} tolerance e.g. 0.1
 * @returns {{ pass: boolean, reasons: string[], lines: string[] }}
 */
export function verdict(r, tolerance) {
  const reasons = [];
  const lines = [];
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  if (r.crash) reasons.push(`server crashed: ${r.crash}`);
  if (r.answeredAfter === false) reasons.push('server did not answer GET / after the run');
  if (!r.start || !r.end) {
    if (!r.crash) reasons.push('no start/end reading');
  } else {
    for (const [key, label, fmt] of /** @type {const} */ ([
      ['rssBytes', 'RSS', (v) => `${(v / MiB).toFixed(1)} MiB`],
      ['fds', 'fds', (v) => String(v)],
    ])) {
      const a = r.start[key];
      const b = r.end[key];
      const c = change(a, b);
      if (a === null || b === null || c === null) {
        reasons.push(`${label}: no reading`);
        continue;
      }
      const ok = Math.abs(c) <= tolerance;
      lines.push(`${label} ${fmt(a)} → ${fmt(b)} (${pct(c)}): ${ok ? 'within' : 'NOT within'} ±${Math.round(tolerance * 100)}%`);
      if (!ok) reasons.push(`${label} at the end ${fmt(b)} is ${pct(c)} from the start ${fmt(a)}`);
    }
  }
  return { pass: reasons.length === 0, reasons, lines };
}

/** @param {number | null | undefined} b */
const mib = (b) => (b === null || b === undefined ? '—' : (b / MiB).toFixed(1));
/** @param {number | null | undefined} n */
const int = (n) => (n === null || n === undefined ? '—' : Math.round(n).toLocaleString('en-US'));
/** @param {number | null | undefined} ms */
const ms = (v) => (v === null || v === undefined ? '—' : !Number.isFinite(v) ? '>120000' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
/** @param {number | null} c */
const pct = (c) => (c === null ? '—' : `${c >= 0 ? '+' : ''}${(c * 100).toFixed(1)}%`);
/** @param {Record<string, number>} o */
const codes = (o) =>
  Object.entries(o ?? {})
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(', ');

/**
 * The Markdown report (printed and written to latest.md).
 * @param {any} report the JSON report
 * @returns {string}
 */
export function renderSoakMarkdown(report) {
  const o = report.options;
  const m = report.machine;
  const L = [];
  L.push('# Ringside soak', '');
  L.push(`- Date: ${report.date}`);
  L.push(`- Command: \`${report.command}\``);
  L.push(
    `- Machine: ${m.cpuModel}, ${m.nproc} CPUs, ${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB; kernel ${m.kernel}; Node ${report.node}; \`ulimit -n\` ${report.limits.nofileSoft}/${report.limits.nofileHard}`,
  );
  L.push(
    `- Code: ${report.git.head ?? '?'}${report.git.dirty ? ` with uncommitted changes (${report.git.dirty} files${report.git.dirtyPackages ? `, ${report.git.dirtyPackages} under packages/` : ''})` : ''}`,
  );
  L.push(`- Server: \`examples/hello/server.js\` on 127.0.0.1, \`GET /\`; ${report.pinning.note}`);
  L.push(
    `- Load: ${int(o.connections)} concurrent connections from ${o.clients} client process${o.clients > 1 ? 'es' : ''} (raw node:net), each connection ${o.requestsPerConnection} keep-alive request${o.requestsPerConnection > 1 ? 's' : ''} (${o.pipeline} in flight) then closed by the client and replaced; source ${o.addresses > 0 ? `addresses ${report.sourceAddresses[0]}–${report.sourceAddresses.at(-1)} × ports ${o.ports}, chosen by the client in a cycle` : 'address and port chosen by the kernel'}; ${o.seconds} s; opened over ${o.ramp} s; timeout ${o.timeout} s (connect and per request)`,
  );
  const stable = `RSS stable within 1% ${o.gc ? 'across forced full GCs in the server' : 'over 1 s'}, at least 8 s after the load and its last connection`;
  L.push(
    `- Start = after ${o.warmup > 0 ? `a ${o.warmup} s warm-up at full load (not recorded), ` : ''}fds back to the cold count, then ${stable}; end = after the last client left, fds back to the start count (at most ${o.settle} s), then ${stable}. Verdict: end within ±${o.tolerance}% of start, for RSS and for fds`,
  );
  L.push('');
  L.push('| Backend | Requests | Req/s | p50 ms | p99 ms | Connections | Conn errors | Non-2xx | Timeouts |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of report.results) {
    const l = r.load;
    if (!l) {
      L.push(`| ${r.backend} | — | — | — | — | — | — | — | — |`);
      continue;
    }
    L.push(
      `| ${r.backend}${r.reportedBackend && r.reportedBackend !== r.backend ? ` (reported ${r.reportedBackend}!)` : ''} | ${int(l.requests)} | ${int(l.rps)} | ${ms(l.p50Ms)} | ${ms(l.p99Ms)} | ${int(l.connectionsOpened)} | ${int(l.connErrorCount)} | ${int(l.non2xx)} | ${int(l.timeouts)} |`,
    );
  }
  L.push('');
  L.push('| Backend | RSS MiB start | peak | end | Δ | fds start | peak | end | Δ | fds back in | Verdict |');
  L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
  for (const r of report.results) {
    const s = r.start ?? {};
    const e = r.end ?? {};
    const p = r.peak ?? {};
    const fdsBack = !r.settle || r.settle.fdsSeconds === null ? '—' : r.settle.fdsBack ? `${r.settle.fdsSeconds.toFixed(1)} s` : `> ${o.settle} s`;
    L.push(
      `| ${r.backend} | ${mib(s.rssBytes)} | ${mib(p.rssBytes)} | ${mib(e.rssBytes)} | ${pct(change(s.rssBytes, e.rssBytes))} | ${int(s.fds)} | ${int(p.fds)} | ${int(e.fds)} | ${pct(change(s.fds, e.fds))} | ${fdsBack} | ${r.verdict.pass ? 'PASS' : '**FAIL**'} |`,
    );
  }
  L.push('');
  for (const r of report.results) {
    L.push(`**${r.backend}: ${r.verdict.pass ? 'PASS' : 'FAIL'}**${r.verdict.reasons.length ? ` — ${r.verdict.reasons.join('; ')}` : ''}`);
    L.push('');
    const notes = [];
    if (r.cold) notes.push(`cold (just started, before the warm-up): RSS ${mib(r.cold.rssBytes)} MiB, ${int(r.cold.fds)} fds`);
    if (r.load) {
      const l = r.load;
      if (l.connErrorCount) notes.push(`connection errors: ${codes(l.connErrors)}`);
      if (l.timeouts) notes.push(`timeouts: ${int(l.connectTimeouts)} connect, ${int(l.requestTimeouts)} request`);
      if (l.non2xx) notes.push(`statuses: ${codes(l.statuses)}`);
      if (l.sourcePortsSkipped) notes.push(`${int(l.sourcePortsSkipped)} source pairs skipped (port held by another socket)`);
      if (l.sourcePairs && l.connectionsOpened && l.windowS) {
        const cycle = l.sourcePairs / (l.connectionsOpened / l.windowS);
        if (cycle < 60)
          notes.push(
            `the client's source pairs came back after ${cycle.toFixed(0)} s, less than TIME_WAIT's 60 s: EADDRNOTAVAIL is possible; use more --addresses`,
          );
      }
      if (l.closedIdleByServer) notes.push(`${int(l.closedIdleByServer)} idle connections closed by the server before the client did`);
      notes.push(`latency p90 ${ms(l.p90Ms)} ms, max ${ms(l.maxMs)} ms; ${int(l.connectionsOpened)} connections opened, at most ${int(l.maxOpen)} at once`);
    }
    if (r.cpu) {
      const c = r.cpu;
      notes.push(
        `CPU over the run (cores): server ${c.server?.toFixed(2) ?? '—'}, clients ${c.clients?.toFixed(2) ?? '—'}, softirq ${c.softirq?.toFixed(2) ?? '—'}, everything else ${c.other?.toFixed(2) ?? '—'}${c.steal ? `, steal ${c.steal.toFixed(2)}` : ''} (of ${m.nproc})`,
      );
      if (c.serverRunqWait !== null || c.clientsRunqWait !== null) {
        notes.push(
          `run-queue wait (runnable, but another task had the CPU), share of the run: server main thread ${c.serverRunqWait === null ? '—' : `${Math.round(c.serverRunqWait * 100)}%`}, client processes ${c.clientsRunqWait === null ? '—' : `${Math.round(c.clientsRunqWait * 100)}% each on average`}`,
        );
      }
      if (c.contended)
        notes.push(`**CPU contention**: other processes took ${c.other?.toFixed(2)} cores during the run; req/s and latency here are not capacity figures`);
    }
    if (r.startMemory?.heapUsed !== undefined && r.endMemory?.heapUsed !== undefined) {
      notes.push(
        `V8 heap in use after a full GC: ${mib(r.startMemory.heapUsed)} MiB at the start, ${mib(r.endMemory.heapUsed)} MiB at the end (${pct(change(r.startMemory.heapUsed, r.endMemory.heapUsed))}); heap committed ${mib(r.startMemory.heapTotal)} → ${mib(r.endMemory.heapTotal)} MiB; external ${mib(r.startMemory.external)} → ${mib(r.endMemory.external)} MiB`,
      );
    }
    if (r.startDetail && r.endDetail) {
      const d0 = r.startDetail;
      const d1 = r.endDetail;
      notes.push(
        `RSS split start → end: anonymous ${mib(d0.rssAnonBytes)} → ${mib(d1.rssAnonBytes)} MiB, file ${mib(d0.rssFileBytes)} → ${mib(d1.rssFileBytes)} MiB, shmem ${mib(d0.rssShmemBytes)} → ${mib(d1.rssShmemBytes)} MiB; threads ${d0.threads} → ${d1.threads}`,
      );
    }
    if (r.tcpCounters && Object.keys(r.tcpCounters).length) notes.push(`kernel TCP counters during the run (whole machine): ${codes(r.tcpCounters)}`);
    if (r.rssTrend)
      notes.push(
        `RSS under load: ${mib(r.rssTrend.firstHalfBytes)} MiB at ${r.rssTrend.firstT} s, ${mib(r.rssTrend.lastBytes)} MiB at ${r.rssTrend.lastT} s (${pct(change(r.rssTrend.firstHalfBytes, r.rssTrend.lastBytes))} over the second half of the run)`,
      );
    if (r.socketsAtEnd) {
      const sv = codes(r.socketsAtEnd.server);
      const cl = codes(r.socketsAtEnd.client);
      const q = r.socketsAtEnd.serverQueues;
      const queued =
        q && (q.withRecvQ || q.withSendQ || q.acceptQueue)
          ? ` (server side: ${int(q.acceptQueue)} in the accept queue, not accepted yet; ${int(q.withRecvQ)} with ${int(q.recvBytes)} bytes unread, ${int(q.withSendQ)} with ${int(q.sendBytes)} bytes unsent)`
          : '';
      notes.push(
        `TCP sockets at the end: server side ${sv || 'none'}; client side ${cl || 'none'}${queued}; TIME_WAIT on the machine ${int(r.socketsAtEnd.timeWaitAll)}`,
      );
    }
    if (r.settle && !r.settle.settled)
      notes.push(`did not settle: ${r.settle.why}; the end reading was taken ${r.settle.seconds.toFixed(0)} s after the load (${int(r.end?.fds)} fds then)`);
    if (r.stop) notes.push(`stop: ${r.stop}`);
    for (const n of r.notes ?? []) notes.push(n);
    for (const n of notes) L.push(`- ${n}`);
    L.push('');
    if (r.crash && r.outputTail) L.push('Server output (last lines):', '', '```', r.outputTail.split('\n').slice(-15).join('\n'), '```', '');
  }
  return L.join('\n');
}
