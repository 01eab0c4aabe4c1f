/**
 * Several event loops in one process: this thread plus worker threads that
 * run the same entry script. Each loop has its own ring or epoll set (the addon
 * keeps per-thread state), and their listeners share one port through
 * SO_REUSEPORT, so the kernel spreads connections across them.
 *
 *   import { runWorkers } from '@ringside/core';
 *   await runWorkers(async (index) => {
 *     const app = createApp();  ...
 *     await app.listen({ port: 3000, reusePort: true });
 *   }, { count: 4 });
 */
import { availableParallelism } from 'node:os';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import { selectBackend } from './select-backend.js';

const MARK = '__ringsideWorker';

export interface WorkersOptions {
  /** Event loops in all, this thread included. Default: the number of CPUs available. */
  count?: number;
  /** Called when a worker thread ends with an error or a non-zero exit code (default: logs to stderr). */
  onWorkerExit?(index: number, code: number, error?: Error): void;
}

export interface WorkersHandle {
  /** This loop's index: 0 for the main thread, 1… for workers. */
  index: number;
  /** Loops running (1 where the backend cannot share a port). */
  count: number;
  /** Main thread only: stop the worker threads. */
  terminate(): Promise<void>;
}

/** The index of the loop this code runs on (0 outside runWorkers' threads). */
export function workerIndex(): number {
  const d = workerData as Record<string, unknown> | null;
  return !isMainThread && d && typeof d[MARK] === 'number' ? (d[MARK] as number) : 0;
}

/** node:net honours reusePort from Node 22.12 / 23.1; before that only the io_uring backend can share a port. */
function nodeSharesPort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export async function runWorkers(main: (index: number) => unknown, options: WorkersOptions = {}): Promise<WorkersHandle> {
  const index = workerIndex();
  if (index > 0) {
    await main(index);
    return { index, count: 0, terminate: async () => {} };
  }
  let count = options.count ?? availableParallelism();
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Option "count" must be a positive integer (event loops, this thread included), got ${JSON.stringify(options.count)}`);
  if (count > 1 && selectBackend(undefined).name === 'node' && !nodeSharesPort()) {
    process.stderr.write(`ringside: runWorkers: the node backend cannot share a port on Node ${process.versions.node} (SO_REUSEPORT needs Node ≥ 22.12); running 1 loop instead of ${count}\n`);
    count = 1;
  }
  const entry = process.argv[1];
  if (count > 1 && !entry) throw new Error('runWorkers() needs an entry script (process.argv[1]) to start in each worker thread');
  const workers: Worker[] = [];
  for (let i = 1; i < count; i++) {
    const w = new Worker(entry!, { argv: process.argv.slice(2), workerData: { [MARK]: i }, env: process.env });
    w.on('error', (err) => (options.onWorkerExit ?? defaultExit)(i, 1, err));
    w.on('exit', (code) => { if (code !== 0) (options.onWorkerExit ?? defaultExit)(i, code); });
    workers.push(w);
  }
  await main(0);
  return {
    index: 0,
    count,
    terminate: async () => { await Promise.all(workers.map((w) => w.terminate())); },
  };
}

function defaultExit(index: number, code: number, error?: Error): void {
  process.stderr.write(`ringside: worker ${index} exited with code ${code}${error ? `: ${error.stack ?? error.message}` : ''}\n`);
}
