/**
 * The autocannon load generator, run as its own process (pinned by the
 * harness to a different CPU than the server) by load.js:
 *
 *   node autocannon-worker.js '<json options>'
 *
 * Prints JSON lines on stdout: {"event":"start"} when load begins (the
 * harness starts its CPU window), then {"event":"done","result":{…}} when it
 * ended (the harness closes the window), then exits.
 *
 * Latency percentiles come from the worker's own 10 µs-resolution histogram
 * (autocannon's own histogram has 1 ms resolution).
 */
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2] ?? '{}');

const BUCKET_MS = 0.01; // 10 µs
const BUCKETS = 1_000_000; // up to 10 s
const hist = new Uint32Array(BUCKETS);
let count = 0;

/** @param {number} q 0..1 */
function percentileMs(q) {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += hist[i];
    if (seen >= rank) return (i + 1) * BUCKET_MS; // upper edge of the bucket
  }
  return BUCKETS * BUCKET_MS;
}

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

// The harness keeps a pipe on our stdin: if it dies, stop at once.
if (opts.exitWithParent) {
  process.stdin.on('end', () => process.exit(3));
  process.stdin.on('error', () => process.exit(3));
  process.stdin.resume();
}

let t0 = 0;
let sent = 0;
const instance = autocannon(
  {
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    body: opts.body,
    connections: opts.connections ?? 100,
    pipelining: opts.pipelining ?? 1,
    duration: opts.duration ?? 2,
    timeout: opts.timeout ?? 2,
    // A different path for every request: setupRequest runs once per request sent.
    ...(opts.dynamicPath !== undefined && { requests: [{ setupRequest: (req) => ({ ...req, path: opts.dynamicPath + ++sent }) }] }),
    // Stop within 100 ms of `duration` (autocannon stops at its next sample tick).
    sampleInt: 100,
  },
  (err, result) => {
    const windowS = (performance.now() - t0) / 1000;
    if (err) {
      emit({ event: 'error', message: String(err?.message ? err.message : err) });
      process.exit(2);
    }
    emit({
      event: 'done',
      result: {
        responses: result.requests.total ?? 0,
        sent: result.requests.sent ?? 0,
        windowS,
        rps: (result.requests.total ?? 0) / windowS,
        p50Ms: percentileMs(0.5),
        p90Ms: percentileMs(0.9),
        p99Ms: percentileMs(0.99),
        maxMs: count ? percentileMs(1) : null,
        // autocannon counts timeouts as errors too; here errors exclude them.
        errors: Math.max(0, (result.errors ?? 0) - (result.timeouts ?? 0)),
        timeouts: result.timeouts ?? 0,
        non2xx: result.non2xx ?? 0,
        resets: result.resets ?? 0,
        mismatches: result.mismatches ?? 0,
        bytes: result.throughput?.total ?? 0,
        statusCodeStats: result.statusCodeStats ?? {},
      },
    });
    process.exit(0);
  },
);

instance.on('start', () => {
  t0 = performance.now();
  emit({ event: 'start' });
});
instance.on('response', (_client, _status, _bytes, ms) => {
  let b = Math.floor(ms / BUCKET_MS);
  if (b >= BUCKETS) b = BUCKETS - 1;
  else if (b < 0) b = 0;
  hist[b]++;
  count++;
});
