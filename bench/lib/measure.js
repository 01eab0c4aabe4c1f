/**
 * Process statistics from /proc: CPU time (utime+stime) of a process tree,
 * resident memory (VmRSS), the CPUs this process may run on, and a
 * description of the machine. Linux only; every reader returns null (or an
 * empty value) where /proc is missing or the process has gone, never throws.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
export const CLK_TCK = (() => {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isFinite(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
})();

/**
 * @typedef {object} ProcStat
 * @property {number} pid
 * @property {number} ppid
 * @property {number} utime   ticks, all threads of the process
 * @property {number} stime   ticks
 * @property {number} cutime  ticks, children that were waited for
 * @property {number} cstime  ticks
 */

/**
 * Parses /proc/<pid>/stat. The command name (field 2) may contain spaces and
 * parentheses, so the fields are taken after the last ')'.
 * @param {number} pid
 * @returns {ProcStat | null}
 */
export function readProcStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(text, pid);
}

/**
 * @param {string} text contents of /proc/<pid>/stat
 * @param {number} [pid]
 * @returns {ProcStat | null}
 */
export function parseProcStat(text, pid) {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // After ")": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9)
  // minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) cutime(16) cstime(17)
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const num = (i) => Number(f[i - 3]);
  const head = text.slice(0, text.indexOf(' '));
  return {
    pid: pid ?? Number(head),
    ppid: num(4),
    utime: num(14),
    stime: num(15),
    cutime: num(16),
    cstime: num(17),
  };
}

/**
 * The pid and all its live descendants (by walking every /proc/<pid>/stat ppid).
 * @param {number} rootPid
 * @returns {number[]}
 */
export function processTree(rootPid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  let entries = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [rootPid];
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name));
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(st.pid);
    else children.set(st.ppid, [st.pid]);
  }
  const out = [];
  const stack = [rootPid];
  const seen = new Set();
  while (stack.length) {
    const p = /** @type {number} */ (stack.pop());
    if (seen.has(p)) continue;
    seen.add(p);
    out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/**
 * CPU time of a process tree in seconds: utime+stime of every live process
 * in the tree (each includes all its threads, io_uring io-wq/sqpoll workers
 * included) plus cutime+cstime of the root (descendants that already exited).
 * Returns null when the root is gone.
 * @param {number} rootPid
 * @param {number[]} [pids] the tree, when the caller already has it
 * @returns {number | null}
 */
export function treeCpuSeconds(rootPid, pids) {
  const root = readProcStat(rootPid);
  if (!root) return null;
  let ticks = root.utime + root.stime + root.cutime + root.cstime;
  for (const p of pids ?? processTree(rootPid)) {
    if (p === rootPid) continue;
    const st = readProcStat(p);
    if (st) ticks += st.utime + st.stime;
  }
  return ticks / CLK_TCK;
}

/**
 * CPU time of one process (all threads) in seconds, or null when it is gone.
 * @param {number} pid
 * @returns {number | null}
 */
export function processCpuSeconds(pid) {
  const st = readProcStat(pid);
  return st ? (st.utime + st.stime) / CLK_TCK : null;
}

/**
 * VmRSS of one process in bytes, or null.
 * @param {number} pid
 * @returns {number | null}
 */
export function readRssBytes(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/**
 * Sum of VmRSS over a process tree in bytes, or null when the root is gone.
 * @param {number} rootPid
 * @param {number[]} [pids]
 * @returns {number | null}
 */
export function treeRssBytes(rootPid, pids) {
  const root = readRssBytes(rootPid);
  if (root === null) return null;
  let sum = root;
  for (const p of pids ?? processTree(rootPid)) {
    if (p === rootPid) continue;
    sum += readRssBytes(p) ?? 0;
  }
  return sum;
}

/**
 * Periodically samples a process tree's RSS (peak) and CPU, for the length
 * of one load run. `stop()` returns the peak RSS seen.
 * @param {number} rootPid
 * @param {number} [intervalMs]
 */
export function startRssSampler(rootPid, intervalMs = 50) {
  const pids = processTree(rootPid);
  let peak = treeRssBytes(rootPid, pids) ?? 0;
  const timer = setInterval(() => {
    const v = treeRssBytes(rootPid, pids);
    if (v !== null && v > peak) peak = v;
  }, intervalMs);
  timer.unref();
  return {
    pids,
    /** @returns {number} peak RSS in bytes */
    stop() {
      clearInterval(timer);
      const v = treeRssBytes(rootPid, pids);
      if (v !== null && v > peak) peak = v;
      return peak;
    },
  };
}

/**
 * Samples one process's CPU time every `intervalMs` and on demand; the
 * utilisation is (last - first) / (wall time between them), in cores. Keeps
 * working for a process that exits before the caller's last sample (the last
 * successful sample is used).
 * @param {number} pid
 * @param {number} [intervalMs]
 */
export function startCpuSampler(pid, intervalMs = 100) {
  /** @type {{t: number, cpu: number} | null} */
  let first = null;
  /** @type {{t: number, cpu: number} | null} */
  let last = null;
  const sample = () => {
    const cpu = processCpuSeconds(pid);
    if (cpu === null) return;
    const s = { t: performance.now(), cpu };
    if (!first) first = s;
    last = s;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    /** Take a sample now (e.g. at the start/end of the recorded window). */
    sample,
    /** Forget earlier samples: the window starts now. */
    restart() {
      first = null;
      last = null;
      sample();
    },
    /** @returns {{ cpuSeconds: number, wallSeconds: number, cores: number } | null} */
    stop() {
      sample();
      clearInterval(timer);
      if (!first || !last || last.t - first.t < 1) return null;
      const wallSeconds = (last.t - first.t) / 1000;
      const cpuSeconds = last.cpu - first.cpu;
      return { cpuSeconds, wallSeconds, cores: cpuSeconds / wallSeconds };
    },
  };
}

/**
 * CPUs this process may run on (Cpus_allowed_list), e.g. [0, 1].
 * @returns {number[]}
 */
export function allowedCpus() {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const m = /^Cpus_allowed_list:\s*(\S+)/m.exec(text);
    if (m) return parseCpuList(m[1]);
  } catch {
    /* not Linux */
  }
  return Array.from({ length: os.cpus().length }, (_, i) => i);
}

/**
 * "0-2,5" → [0, 1, 2, 5]
 * @param {string} list
 * @returns {number[]}
 */
export function parseCpuList(list) {
  const out = [];
  for (const part of list.split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/**
 * Machine description recorded with every result.
 */
export function machineInfo() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* keep os.cpus() */
  }
  return {
    cpuModel,
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    cpusAllowed: allowedCpus(),
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    platform: process.platform,
    arch: process.arch,
    hostname: os.hostname(),
  };
}

const SPEED_SCRIPT = `
const N = 1e7;
let best = Infinity, x = 0;
for (let r = 0; r < 4; r++) {
  const t = process.cpuUsage();
  for (let i = 0; i < N; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  const u = process.cpuUsage(t);
  best = Math.min(best, ((u.user + u.system) * 1000) / N);
}
process.stdout.write(JSON.stringify({ nsPerIter: best, x }));
`;

/**
 * CPU speed check: CPU time per iteration of a fixed integer loop (best of
 * 4), run in a fresh process on `cpu`. Repeated during a run it shows whether
 * the machine itself got slower (a busy neighbour on a shared host, thermal
 * or frequency changes), which moves every figure with it. Takes ~0.2 s.
 * @param {number | null} cpu
 * @returns {number | null} ns per iteration
 */
export function cpuSpeedCheck(cpu) {
  const argv = [process.execPath, '-e', SPEED_SCRIPT];
  const cmd = cpu === null ? argv : ['taskset', '-c', String(cpu), ...argv];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 10_000 });
  try {
    const v = JSON.parse(r.stdout).nsPerIter;
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}
