/**
 * Every process the harness starts (servers, load generators) is registered
 * here so that it is killed on every way out: normal end, error, SIGINT,
 * SIGTERM, process exit. Servers run in their own process group (detached),
 * so the group is killed, which takes any children of the server with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {{ group?: boolean }} [opts] group: the child leads its own process group
 */
export function track(child, opts = {}) {
  /** @type {any} */ (child).__group = !!opts.group;
  live.add(child);
  child.once('exit', () => live.delete(child));
  installHandlers();
}

/**
 * Sends a signal to a child (its whole group when it leads one).
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} signal
 */
export function signalChild(child, signal) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (/** @type {any} */ (child).__group) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited.
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} [graceMs]
 * @returns {Promise<void>}
 */
export function stopChild(child, graceMs = 2000) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    live.delete(child);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t1);
      clearTimeout(t2);
      live.delete(child);
      resolve();
    };
    child.once('exit', done);
    signalChild(child, 'SIGTERM');
    const t1 = setTimeout(() => signalChild(child, 'SIGKILL'), graceMs);
    // Never wait forever, even for a process stuck in the kernel.
    const t2 = setTimeout(done, graceMs + 3000);
  });
}

/** Kills every live child with SIGKILL, synchronously (usable in 'exit'). */
export function killAllSync() {
  for (const child of live) signalChild(child, 'SIGKILL');
  live.clear();
}

/** @returns {number} how many children are alive */
export function liveCount() {
  return live.size;
}

let installed = false;
function installHandlers() {
  if (installed) return;
  installed = true;
  process.once('exit', killAllSync);
}

let signalsInstalled = false;
/**
 * CLI only (a library must not take over the host's signals): on SIGINT,
 * SIGTERM or SIGHUP kill every child and exit.
 */
export function installSignalHandlers() {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const sig of /** @type {NodeJS.Signals[]} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping servers and load generators\n`);
      killAllSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Path of an executable on PATH, or null.
 * @param {string} name
 * @returns {string | null}
 */
export function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return null;
}

/**
 * Decides CPU pinning: server on the first allowed CPU, load generator on the
 * second, when at least two CPUs are available and `taskset` exists.
 * @param {number[]} cpus allowed CPUs
 * @param {boolean} wanted
 * @returns {{ enabled: boolean, serverCpu: number | null, loadCpu: number | null, note: string }}
 */
export function planPinning(cpus, wanted = true) {
  if (!wanted) return { enabled: false, serverCpu: null, loadCpu: null, note: 'pinning disabled (--no-pin): server and load generator unpinned' };
  if (cpus.length < 2) {
    return {
      enabled: false,
      serverCpu: null,
      loadCpu: null,
      note: `only ${cpus.length} CPU available: server and load generator share it (figures are not comparable with pinned runs)`,
    };
  }
  const taskset = which('taskset');
  if (!taskset) {
    return { enabled: false, serverCpu: null, loadCpu: null, note: 'taskset not found (install util-linux): server and load generator run UNPINNED' };
  }
  // Make sure taskset actually works here (containers may forbid it).
  const probe = spawnSync(taskset, ['-c', String(cpus[0]), 'true'], { stdio: 'ignore', timeout: 5000 });
  if (probe.status !== 0) {
    return { enabled: false, serverCpu: null, loadCpu: null, note: 'taskset failed here: server and load generator run UNPINNED' };
  }
  return { enabled: true, serverCpu: cpus[0], loadCpu: cpus[1], note: `server pinned to CPU ${cpus[0]}, load generator to CPU ${cpus[1]} (taskset)` };
}

/**
 * Prefixes a command with `taskset -c <cpu>` when pinning.
 * @param {string[]} argv
 * @param {number | null} cpu
 * @returns {string[]}
 */
export function pinned(argv, cpu) {
  return cpu === null ? argv : ['taskset', '-c', String(cpu), ...argv];
}
