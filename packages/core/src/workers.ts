/**
 * Several event loops in one process: this thread plus worker threads that
 * run the same entry script. Each loop has its own ring or epoll set (the addon
 * keeps per-thread state), and their listeners share one port through
 * SO_REUSEPORT, so the kernel spreads connections across them.
 *
 * The main thread owns the pool: it restarts a worker that crashes (with
 * back-off, and says so), and on close asks every worker to drain and waits for
 * them. @ringside/http's `listen({ workers })` is built on it; `runWorkers` is
 * the same for a hand-written main:
 *
 *   import { runWorkers } from '@ringside/core';
 *   await runWorkers(async (index) => {
 *     const app = createApp();  ...
 *     await app.listen({ port: 3000, reusePort: true });
 *   }, { count: 4 });
 */
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { selectBackend } from './select-backend.js';
import type { BackendChoice, CloseOptions } from './types.js';

const MARK = '__ringsideWorker';
/** Back-off after a crash: the first delay doubles per crash in a row, up to the cap. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that ran this long before crashing starts a new series of back-off. */
const STABLE_MS = 10_000;

export interface WorkersOptions {
  /** Event loops in all, this thread included. Default: the number of CPUs available. */
  count?: number;
  /** Called when a worker thread ends with an error or a non-zero exit code (default: logs to stderr). It is restarted after a back-off. */
  onWorkerExit?(index: number, code: number, error?: Error): void;
}

export interface WorkersHandle {
  /** This loop's index: 0 for the main thread, 1… for workers. */
  index: number;
  /** Loops running (1 where the backend cannot share a port). */
  count: number;
  /** Main thread only: stop the worker threads (no restart after). */
  terminate(): Promise<void>;
}

/** `workers` of listen(): 'auto' (one loop per available CPU) or a count of loops, this thread included. */
export type WorkersChoice = 'auto' | number;

/** What a worker thread is told at start. */
interface WorkerInfo {
  index: number;
  /** Loops in the pool, the main thread's included. */
  count: number;
  port?: number;
}

/** On the main thread: loops of the pool it started (1 before, or without one). */
let mainLoops = 1;

function info(): WorkerInfo | null {
  const d = workerData as Record<string, unknown> | null;
  return !isMainThread && d && typeof d[MARK] === 'object' ? (d[MARK] as WorkerInfo) : null;
}

/** The index of the loop this code runs on (0 outside worker threads of a pool). */
export function workerIndex(): number {
  return info()?.index ?? 0;
}

/** Loops in this thread's pool, this one included (1 outside a pool). */
export function workerCount(): number {
  return info()?.count ?? mainLoops;
}

/** In a worker thread of a pool: the port the main thread bound (it may have asked for port 0). */
export function workerPort(): number | undefined {
  return info()?.port;
}

/** node:net honours reusePort from Node 22.12 / 23.1; before that only the native backends can share a port. */
function nodeSharesPort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

/** Loops to run for `workers`, checked; 1 (with a line saying why) where the backend cannot share a port. */
export function resolveWorkerCount(workers: WorkersChoice | undefined, backend: BackendChoice | undefined, log: (line: string) => void = stderrLine): number {
  if (workers === undefined) return 1;
  const count = workers === 'auto' ? availableParallelism() : workers;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`Option "workers" must be 'auto' or a positive integer (event loops, this thread included), got ${JSON.stringify(workers)}`);
  if (count > 1 && selectBackend(backend).name === 'node' && !nodeSharesPort()) {
    log(
      `ringside: workers: the node backend cannot share a port on Node ${process.versions.node} (SO_REUSEPORT needs Node ≥ 22.12); running 1 loop instead of ${count}`,
    );
    return 1;
  }
  return count;
}

export interface WorkerPoolOptions {
  /** Loops in all, this thread included: count - 1 worker threads start. */
  count: number;
  /** The port every worker listens on (the one this thread bound). */
  port?: number;
  /** Where restarts and crashes are said. Default: stderr. */
  log?: (line: string) => void;
  /** Called on each exit that was not asked for (the worker is restarted after it). */
  onWorkerExit?(index: number, code: number, error?: Error): void;
}

interface Slot {
  index: number;
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  timer: NodeJS.Timeout | null;
  error?: Error;
}

/**
 * The main thread's worker threads, each running process.argv[1]. A worker says
 * it listens with `workerListening()`; one that exits unasked is restarted
 * after 100 ms, doubling per crash in a row up to 10 s.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private stopping = false;
  private readonly entry: string;
  private readonly log: (line: string) => void;

  constructor(private readonly options: WorkerPoolOptions) {
    const entry = process.argv[1];
    if (options.count > 1 && !entry) throw new Error('workers need an entry script (process.argv[1]) to start in each worker thread');
    this.entry = entry ?? '';
    this.log = options.log ?? stderrLine;
  }

  /** Loops in all, this thread included. */
  get count(): number {
    return this.options.count;
  }

  /** Start the workers; with `waitListening`, resolve once each has said it listens or has exited once. */
  async start(waitListening: boolean): Promise<void> {
    mainLoops = this.options.count;
    const started: Promise<void>[] = [];
    for (let i = 1; i < this.options.count; i++) {
      const slot: Slot = { index: i, worker: null, startedAt: 0, crashes: 0, timer: null };
      this.slots.push(slot);
      started.push(this.spawn(slot));
    }
    if (waitListening) await Promise.all(started);
  }

  private spawn(slot: Slot): Promise<void> {
    const workerInfo: WorkerInfo = { index: slot.index, count: this.options.count, ...(this.options.port !== undefined ? { port: this.options.port } : {}) };
    const w = new Worker(this.entry, { argv: process.argv.slice(2), workerData: { [MARK]: workerInfo }, env: process.env });
    slot.worker = w;
    slot.startedAt = Date.now();
    slot.error = undefined;
    return new Promise<void>((resolve) => {
      w.on('message', (m: unknown) => {
        if (isMessage(m, 'listening')) resolve();
      });
      w.on('error', (err) => {
        slot.error = err;
      });
      w.on('exit', (code) => {
        resolve();
        if (slot.worker === w) slot.worker = null;
        if (!this.stopping) this.crashed(slot, code);
      });
    });
  }

  private crashed(slot: Slot, code: number): void {
    const error = slot.error;
    this.options.onWorkerExit?.(slot.index, code, error);
    slot.crashes = Date.now() - slot.startedAt >= STABLE_MS ? 1 : slot.crashes + 1;
    const delay = Math.min(RESTART_FIRST_MS * 2 ** (slot.crashes - 1), RESTART_MAX_MS);
    this.log(`ringside: worker ${slot.index} exited with code ${code}${error ? `: ${error.stack ?? error.message}` : ''}; restarting in ${delay} ms`);
    slot.timer = setTimeout(() => {
      slot.timer = null;
      if (!this.stopping) void this.spawn(slot);
    }, delay);
    slot.timer.unref();
  }

  /**
   * Ask every worker to close its app (the same options: idle grace, deadline)
   * and wait for them to exit; a worker still running 1 s past the deadline is
   * terminated.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map((slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        const w = slot.worker;
        if (!w) return undefined;
        return new Promise<void>((resolve) => {
          const kill =
            options.force || options.timeout !== undefined ? setTimeout(() => void w.terminate(), options.force ? 1000 : options.timeout! + 1000) : null;
          w.once('exit', () => {
            if (kill) clearTimeout(kill);
            resolve();
          });
          w.postMessage({ [MARK]: 'close', options });
        });
      }),
    );
  }

  /** Stop the workers at once. */
  async terminate(): Promise<void> {
    this.stopping = true;
    for (const s of this.slots) if (s.timer) clearTimeout(s.timer);
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}

/**
 * In a worker thread of a pool: tell the main thread this loop listens, and run
 * `close` when the main thread closes; the thread ends once it resolves.
 */
export function workerListening(close: (options: CloseOptions) => Promise<unknown>): void {
  const port = parentPort;
  if (!port || !info()) return;
  port.on('message', (m: unknown) => {
    if (!isMessage(m, 'close')) return;
    const options = (m as { options?: CloseOptions }).options ?? {};
    // Timers or handles the app left open must not keep a closed loop's thread alive.
    void close(options).finally(() => process.exit(0));
  });
  port.postMessage({ [MARK]: 'listening' });
}

function isMessage(m: unknown, kind: string): boolean {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>)[MARK] === kind;
}

function stderrLine(line: string): void {
  process.stderr.write(line + '\n');
}

/** Run `main` on this thread and on count - 1 worker threads running this entry script. */
export async function runWorkers(main: (index: number) => unknown, options: WorkersOptions = {}): Promise<WorkersHandle> {
  const index = workerIndex();
  if (index > 0) {
    await main(index);
    return { index, count: 0, terminate: async () => {} };
  }
  const count = resolveWorkerCount(options.count === undefined ? 'auto' : options.count, undefined);
  const pool = new WorkerPool({ count, ...(options.onWorkerExit ? { onWorkerExit: options.onWorkerExit } : {}) });
  await pool.start(false);
  await main(0);
  return { index: 0, count, terminate: () => pool.terminate() };
}
