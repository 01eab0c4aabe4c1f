/**
 * How a listening app lives in its process. `listen({ workers })` runs one event
 * loop per core: this thread plus worker threads that load the same entry
 * script (so the same app), each listening on the port with SO_REUSEPORT.
 * `listen({ closeOnSignals })` drains the app (and its workers) on SIGTERM or
 * SIGINT, then exits. app.ts's listen() and close() call in here.
 */
import {
  resolveWorkerCount,
  WorkerPool,
  workerIndex,
  workerListening,
  workerPort,
  type BackendChoice,
  type CloseOptions,
  type ListenOptions as CoreListenOptions,
  type WorkersChoice,
} from '@ringside/core';

export interface CloseOnSignalsOptions {
  /** Default ['SIGTERM', 'SIGINT']. */
  signals?: NodeJS.Signals[];
  /** close() option: idle keep-alive connections stay open this long (above the balancer's upstream keep-alive timeout). Default 5000 ms. */
  idleGrace?: number;
  /** close() option: the hard deadline, after which what is open is destroyed. Default 10000 ms. */
  timeout?: number;
}

export interface ProcessOptions {
  /** Event loops: 'auto' (one per available CPU) or a count, this thread included. Default 1. */
  workers?: WorkersChoice;
  /** Drain and exit on SIGTERM/SIGINT (a second signal exits at once). Default false. */
  closeOnSignals?: boolean | CloseOnSignalsOptions;
}

/** What closeOnSignals: true drains with. */
export const SIGNAL_DRAIN: Required<CloseOnSignalsOptions> = { signals: ['SIGTERM', 'SIGINT'], idleGrace: 5_000, timeout: 10_000 };

type Close = (options: CloseOptions) => Promise<void>;

/** Each app's worker pool, by the app's root. */
const pools = new WeakMap<object, WorkerPool>();

/** The problem with `workers`/`closeOnSignals` in listen() options, or null. */
export function processOptionsProblem(o: Record<string, unknown>): string | null {
  const w = o.workers;
  if (w !== undefined && w !== 'auto' && !(typeof w === 'number' && Number.isInteger(w) && w >= 1)) {
    return `listen() option "workers" must be 'auto' (one event loop per CPU) or a positive integer, got ${JSON.stringify(w)}`;
  }
  const c = o.closeOnSignals;
  if (c === undefined || typeof c === 'boolean') return null;
  if (typeof c !== 'object' || c === null)
    return `listen() option "closeOnSignals" must be true, false or { signals, idleGrace, timeout }, got ${JSON.stringify(c)}`;
  const s = c as Record<string, unknown>;
  for (const key of Object.keys(s))
    if (!(key in SIGNAL_DRAIN)) return `Unknown closeOnSignals option "${key}". Known options: ${Object.keys(SIGNAL_DRAIN).join(', ')}`;
  if (s.signals !== undefined && !(Array.isArray(s.signals) && s.signals.every((x) => typeof x === 'string' && x.startsWith('SIG')))) {
    return `closeOnSignals option "signals" must be an array of signal names like ['SIGTERM'], got ${JSON.stringify(s.signals)}`;
  }
  for (const key of ['idleGrace', 'timeout']) {
    const v = s[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
      return `closeOnSignals option "${key}" must be a number of milliseconds ≥ 0, got ${JSON.stringify(v)}`;
  }
  return null;
}

/** Before this loop listens: the transport's listen options, and how many loops to run in all. */
export function loopListenOptions(
  opts: CoreListenOptions & ProcessOptions,
  backend: BackendChoice | undefined,
  log?: (line: string) => void,
): { listen: CoreListenOptions; count: number } {
  const { workers, closeOnSignals: _signals, ...listen } = opts;
  // A worker thread listens where the main thread did (it may have asked for port 0).
  if (workerIndex() > 0) return { listen: { ...listen, port: workerPort() ?? listen.port, reusePort: true }, count: 1 };
  const count = resolveWorkerCount(workers, backend, log);
  return { listen: count > 1 ? { ...listen, reusePort: true } : listen, count };
}

/** After this loop listens: start the workers (main thread) or report to the main thread (worker), and watch signals. */
export async function afterListen(key: object, close: Close, opts: ProcessOptions, count: number, port: number, log?: (line: string) => void): Promise<void> {
  if (workerIndex() > 0) {
    // The main thread decides when to close, and with which options; signals reach only it.
    workerListening(close);
    return;
  }
  if (count > 1) {
    const pool = new WorkerPool({ count, port, ...(log ? { log } : {}) });
    pools.set(key, pool);
    await pool.start(true);
  }
  if (opts.closeOnSignals) closeOnSignals(close, opts.closeOnSignals === true ? {} : opts.closeOnSignals, log);
}

/** close(): the worker threads drain with the same options. */
export function closeWorkers(key: object, options: CloseOptions): Promise<void> {
  return pools.get(key)?.close(options) ?? Promise.resolve();
}

function closeOnSignals(close: Close, o: CloseOnSignalsOptions, log: (line: string) => void = (line) => process.stderr.write(line + '\n')): void {
  const { signals, idleGrace, timeout } = { ...SIGNAL_DRAIN, ...o };
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      log(`ringside: ${signal} again while draining: exiting now`);
      process.exit(1);
    }
    draining = true;
    log(`ringside: ${signal}: draining (idle connections kept ${idleGrace} ms, deadline ${timeout} ms)`);
    close({ idleGrace, timeout }).then(
      () => process.exit(0),
      (err: unknown) => {
        log(`ringside: close failed: ${(err as Error)?.stack ?? String(err)}`);
        process.exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
}
