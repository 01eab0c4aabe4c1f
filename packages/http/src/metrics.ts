/**
 * Prometheus metrics, in the text exposition format, as a plugin:
 *
 *   app.register(metrics, { path: '/metrics' });
 *
 * Off unless registered: without it no hook is added and nothing is counted.
 * With it, one onResponse hook counts each request by method, route pattern
 * (never the raw URL: bounded label values) and status, and observes its
 * latency; a scrape adds the transport's own counters (open connections,
 * bytes in/out, buffer-ring exhaustion, batches) of each event loop. Every
 * series carries `worker`, the loop's index (0 without workers): with
 * listen({ workers }) each loop counts its own, and the loop that takes a
 * scrape gathers the others' (metrics-gather.ts), so one scrape shows them all.
 */
import { workerIndex, type ServerStats } from '@ringside/core';
import type { App } from './app.js';
import { LoopGather } from './metrics-gather.js';
import { plugin } from './plugin.js';
import type { Reply } from './reply.js';
import type { Request } from './request.js';

export interface MetricsOptions {
  /** Route that serves the metrics. Default '/metrics'. */
  path?: string;
  /** Upper bounds of the latency histogram, in seconds, ascending. Default: 0.5 ms … 10 s. */
  buckets?: readonly number[];
}

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One route's requests: counts by status, latency histogram (non-cumulative counts per bucket, +Inf last). */
interface RouteSeries {
  /** method and route labels, escaped; the worker label is added when rendered. */
  labels: string;
  byStatus: Map<number, number>;
  buckets: number[];
  sum: number;
  count: number;
}

/** One event loop's series and transport counters: what a loop sends another for a scrape (structured-cloned). */
interface LoopSnapshot {
  worker: number;
  series: RouteSeries[];
  stats: ServerStats | null;
}

/** The transport's counters this exposes: [stats() key, metric name, type, help]. */
const TRANSPORT_METRICS = [
  ['connections', 'ringside_connections', 'gauge', 'Connections open now.'],
  ['accepted', 'ringside_connections_accepted_total', 'counter', 'Connections accepted since start.'],
  ['bytesRead', 'ringside_bytes_received_total', 'counter', 'Bytes received from clients.'],
  ['bytesWritten', 'ringside_bytes_sent_total', 'counter', 'Bytes sent to clients.'],
  ['enobufs', 'ringside_recv_enobufs_total', 'counter', 'Times receiving paused because the buffer ring ran dry (io_uring).'],
  ['batches', 'ringside_batches_total', 'counter', 'Native to JS event batches (native engine).'],
  ['events', 'ringside_events_total', 'counter', 'Events carried by those batches (native engine).'],
  ['refused', 'ringside_connections_refused_total', 'counter', 'Accepted sockets closed at once: no free connection slot (native engine).'],
  ['acceptErrors', 'ringside_accept_errors_total', 'counter', 'accept() calls that failed: out of file descriptors (EMFILE, ENFILE) or memory.'],
  ['cqOverflows', 'ringside_cq_overflows_total', 'counter', 'Loop turns that found the completion queue overflowed (io_uring).'],
  ['sendStalls', 'ringside_send_stalls_total', 'counter', 'Connections destroyed because the client stopped reading for sendTimeout.'],
  ['headersTimeouts', 'ringside_headers_timeouts_total', 'counter', 'Requests answered 408 because the head took longer than headersTimeout.'],
  ['requestTimeouts', 'ringside_request_timeouts_total', 'counter', 'Requests that passed requestTimeout (answered 408, or closed).'],
  ['idleTimeouts', 'ringside_idle_timeouts_total', 'counter', 'Idle keep-alive connections closed after keepAliveTimeout.'],
] as const;

/** A label value in the exposition format: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Prometheus' float format: +Inf, or the number as JavaScript prints it. */
function formatNumber(n: number): string {
  return n === Number.POSITIVE_INFINITY ? '+Inf' : String(n);
}

/** This loop's request series. */
class Registry {
  readonly #series = new Map<string, RouteSeries>();
  readonly #bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let s = this.#series.get(key);
    if (s === undefined) {
      s = {
        labels: `method="${labelValue(method)}",route="${labelValue(route)}"`,
        byStatus: new Map(),
        buckets: new Array<number>(this.#bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(key, s);
    }
    s.byStatus.set(status, (s.byStatus.get(status) ?? 0) + 1);
    let i = 0;
    while (i < this.#bounds.length && seconds > this.#bounds[i]) i++;
    s.buckets[i]++;
    s.sum += seconds;
    s.count++;
  }

  snapshot(app: App): LoopSnapshot {
    return { worker: workerIndex(), series: [...this.#series.values()], stats: app.transport?.stats() ?? null };
  }
}

/** The exposition text of every loop's snapshot: each family once, its series labelled by worker. */
function render(loops: LoopSnapshot[], bounds: readonly number[]): string {
  loops.sort((a, b) => a.worker - b.worker);
  const out: string[] = [];
  out.push('# HELP http_requests_total Requests answered, by method, route pattern and status.', '# TYPE http_requests_total counter');
  for (const loop of loops) {
    for (const s of loop.series) {
      for (const [status, n] of s.byStatus) out.push(`http_requests_total{${s.labels},worker="${loop.worker}",status_code="${status}"} ${n}`);
    }
  }
  out.push('# HELP http_request_duration_seconds Time from routing to the end of the response.', '# TYPE http_request_duration_seconds histogram');
  for (const loop of loops) {
    for (const s of loop.series) {
      const labels = `${s.labels},worker="${loop.worker}"`;
      let cumulative = 0;
      for (let i = 0; i <= bounds.length; i++) {
        cumulative += s.buckets[i];
        const le = i < bounds.length ? formatNumber(bounds[i]) : '+Inf';
        out.push(`http_request_duration_seconds_bucket{${labels},le="${le}"} ${cumulative}`);
      }
      out.push(`http_request_duration_seconds_sum{${labels}} ${s.sum}`, `http_request_duration_seconds_count{${labels}} ${s.count}`);
    }
  }
  // Transport series only from loops that listen (none under inject()).
  const listening = loops.filter((l): l is LoopSnapshot & { stats: ServerStats } => l.stats !== null);
  if (listening.length > 0) {
    out.push('# HELP ringside_info The backend each event loop runs on.', '# TYPE ringside_info gauge');
    for (const l of listening) out.push(`ringside_info{backend="${l.stats.backend}",worker="${l.worker}"} 1`);
    for (const [key, name, type, help] of TRANSPORT_METRICS) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const l of listening) out.push(`${name}{worker="${l.worker}"} ${l.stats[key]}`);
    }
  }
  return `${out.join('\n')}\n`;
}

async function metricsPlugin(app: App, opts: MetricsOptions): Promise<void> {
  const path = opts.path ?? '/metrics';
  const bounds = opts.buckets ?? DEFAULT_BUCKETS;
  if (!bounds.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > bounds[i - 1])))
    throw new TypeError(`metrics option "buckets" must be ascending positive numbers of seconds, got ${JSON.stringify(bounds)}`);
  const registry = new Registry(bounds);
  const loops = new LoopGather(`@ringside/metrics ${path}`, () => registry.snapshot(app));
  // Callback style: no promise per request.
  app.addHook('onResponse', (req: Request, reply: Reply, done: () => void) => {
    // The route pattern, never the URL; unrouted requests (404) all have the not-found route's '*'.
    registry.observe(req.method, req.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  // With workers, every loop answers the others' scrapes from the moment it listens.
  app.addHook('onListen', (done: () => void) => {
    loops.open();
    done();
  });
  app.addHook('onClose', (_app: App, done: () => void) => {
    loops.close();
    done();
  });
  app.get(path, (_req, reply) => {
    reply.type('text/plain; version=0.0.4; charset=utf-8');
    const all = loops.gather();
    return Array.isArray(all) ? render(all, bounds) : all.then((l) => render(l, bounds));
  });
}

/** The metrics plugin: hooks into the app that registers it (not a child scope). */
export const metrics = plugin(metricsPlugin, { name: '@ringside/metrics' });
