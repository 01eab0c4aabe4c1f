/**
 * Shared by the benchmark servers: the port to listen on, the start line the
 * harness reads, and exiting when the harness goes away.
 */

/** Port from the PORT env (the harness picks a free one). */
export const PORT = Number(process.env.PORT ?? 3000);
/** Loopback only. */
export const HOST = process.env.HOST ?? '127.0.0.1';

/**
 * Prints the start line the harness records, e.g. {"listening":3000,"backend":"io_uring"}.
 * @param {number} port
 * @param {string} backend
 */
export function announce(port, backend) {
  process.stdout.write(JSON.stringify({ listening: port, backend, pid: process.pid }) + '\n');
}

// The harness gives every server a stdin pipe; when the harness exits (even
// on SIGKILL) the pipe closes and the server follows instead of lingering.
if (process.env.BENCH_EXIT_WITH_PARENT === '1') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
