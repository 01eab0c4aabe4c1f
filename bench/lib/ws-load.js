/**
 * WebSocket load generator: raw node:net clients, no WebSocket library.
 *
 * One process (pinned by the caller to a CPU other than the server's) runs
 * `threads` worker threads; each opens its share of the connections (spread
 * over several loopback source addresses, so 10,000 connections never run out
 * of ephemeral ports) and does the upgrade handshake itself. Then:
 *
 *  echo       each connection keeps `depth` masked text frames in flight
 *             (built once, fixed mask) and sends one more per echoed message;
 *             echoes are counted by an incremental frame reader that
 *             allocates nothing per message; every 16th echo is compared
 *             byte for byte with what was sent. The main thread counts
 *             messages and the server's CPU (utime+stime of its process
 *             tree) over the recorded window.
 *  broadcast  `subscribers` connections to /sub; the main thread sends each
 *             publish on one /pub connection and the workers report when
 *             their last subscriber has it (every message is checked). Time
 *             to deliver = last arrival - send; server CPU per publish from
 *             /proc/<pid>/task/<tid>/schedstat (ns), as one publish takes
 *             only milliseconds.
 *
 * `runWsLoad(config, opts)` spawns this file and returns its JSON result;
 * `node ws-load.js '<config json>'` is the process itself.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { stopChild, track } from './children.js';
import { processTree, treeCpuSeconds } from './measure.js';
import { FrameReader, maskedFrame, readFrames, textPayload } from './ws-frames.js';

const THIS_FILE = fileURLToPath(import.meta.url);

/** The key of RFC 6455 §1.3 and its accept value: one handshake for every connection. */
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
/** One echo in this many is compared byte for byte with what was sent. */
const CHECK_EVERY = 16;
/** Connections a worker has in the handshake at once. */
const CONNECT_CONCURRENCY = 256;

/**
 * @typedef {object} LoadConfig
 * @property {'echo' | 'broadcast'} mode
 * @property {number} port
 * @property {number} connections        echo connections, or subscribers
 * @property {number} [depth]            echo: messages in flight per connection
 * @property {number} payloadBytes
 * @property {number} [warmupS]          echo
 * @property {number} [durationS]        echo
 * @property {number} [publishes]        broadcast: publishes recorded (after one warm-up publish)
 * @property {number} [gapMs]            broadcast: pause between publishes
 * @property {number} [deliverTimeoutS]  broadcast: per publish
 * @property {number} threads
 * @property {number} serverPid
 * @property {string[]} sourceAddresses  local addresses to connect from
 * @property {number} connectTimeoutS   for the whole connection phase (and each connection)
 */

/** Echo payloads: `depth` distinct ones, so an echo is checked against the message it answers. */
const echoPayloads = (depth, bytes) => Array.from({ length: depth }, (_, i) => textPayload(`echo ${i} `, bytes));
/** Broadcast payloads: publish 0 is the warm-up. */
const broadcastPayloads = (count, bytes) => Array.from({ length: count }, (_, i) => textPayload(`publish ${i} `, bytes));

// ---------------------------------------------------------------- workers

/**
 * A connection: socket, handshake, frame reader, counters.
 */
class Conn {
  /** @param {number} index */
  constructor(index) {
    this.index = index;
    /** @type {net.Socket | null} */
    this.socket = null;
    this.handshake = '';
    this.open = false;
    this.reader = new FrameReader();
    this.sent = 0;
    this.received = 0;
  }
}

/**
 * Opens `conn` and completes the upgrade; resolves once it speaks frames.
 * Reads go through `onread` into one buffer shared by the thread.
 * @param {Conn} conn
 * @param {{ port: number, path: string, localAddress: string, timeoutMs: number, shared: Buffer, onFrames: (conn: Conn, buf: Buffer, off: number, end: number) => void, onEnd: (conn: Conn, why: string) => void }} o
 * @returns {Promise<void>}
 */
function openConn(conn, o) {
  return new Promise((resolve, reject) => {
    const request = `GET ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve();
    };
    const socket = net.connect({
      host: '127.0.0.1',
      port: o.port,
      localAddress: o.localAddress,
      noDelay: true,
      onread: {
        buffer: o.shared,
        callback: (n, buf) => {
          if (conn.open) {
            o.onFrames(conn, buf, 0, n);
            return true;
          }
          conn.handshake += buf.toString('latin1', 0, n);
          const endOfHead = conn.handshake.indexOf('\r\n\r\n');
          if (endOfHead < 0) {
            if (conn.handshake.length > 8192) settle(new Error('handshake response over 8 KiB'));
            return true;
          }
          const head = conn.handshake.slice(0, endOfHead);
          if (!/^HTTP\/1\.1 101 /.test(head)) settle(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
          else if (!new RegExp(`\\r\\nsec-websocket-accept: *${ACCEPT.replace(/[+/=]/g, '\\$&')}`, 'i').test(head)) {
            settle(new Error('wrong or missing Sec-WebSocket-Accept'));
          } else {
            conn.open = true;
            const rest = Buffer.byteLength(conn.handshake, 'latin1') - (endOfHead + 4);
            conn.handshake = '';
            settle(null);
            if (rest > 0) o.onFrames(conn, buf, n - rest, n);
          }
          return true;
        },
      },
    });
    conn.socket = socket;
    const timer = setTimeout(() => settle(new Error(`no upgrade within ${o.timeoutMs} ms`)), o.timeoutMs);
    socket.on('connect', () => socket.write(request));
    socket.on('error', (e) => {
      if (!settled) settle(e);
      else o.onEnd(conn, e.message);
    });
    socket.on('close', () => {
      if (!settled) settle(new Error('closed during the handshake'));
      else if (conn.open) {
        conn.open = false;
        o.onEnd(conn, 'closed by the server');
      }
    });
  });
}

/**
 * Opens many connections, at most CONNECT_CONCURRENCY at a time; stops at
 * the first failure (a benchmark on a partial set of connections would
 * measure something else).
 * @param {Conn[]} conns
 * @param {(conn: Conn) => Promise<void>} open
 */
async function openAll(conns, open) {
  let next = 0;
  const lane = async () => {
    while (next < conns.length) await open(conns[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, conns.length) }, lane));
}

function workerMain() {
  /** @type {{ id: number, config: LoadConfig, indexes: number[], counts: Float64Array }} */
  const { id, config, indexes, counts } = /** @type {any} */ (workerData);
  const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
  const shared = Buffer.allocUnsafe(256 * 1024);
  const conns = indexes.map((i) => new Conn(i));
  let mismatches = 0;
  let checked = 0;
  let closedByServer = 0;
  /** @type {string | null} */
  let firstError = null;
  let stopped = false;
  let total = 0;

  const depth = config.depth ?? 1;
  const payloads = config.mode === 'echo' ? echoPayloads(depth, config.payloadBytes) : broadcastPayloads((config.publishes ?? 1) + 1, config.payloadBytes);
  // Echo: 2 × depth frames back to back, so any run of ≤ depth frames
  // starting anywhere in the cycle is one contiguous slice: one write.
  const frameLen = maskedFrame(payloads[0]).length;
  const frames = config.mode === 'echo' ? Buffer.concat([...payloads, ...payloads].map((p) => maskedFrame(p))) : Buffer.alloc(0);

  let completed = 0;
  const sink = {
    /** @type {Conn} */ conn: /** @type {any} */ (null),
    expected(/** @type {FrameReader} */ _r) {
      const c = this.conn;
      if (config.mode === 'echo') return c.received % CHECK_EVERY === 0 ? payloads[c.received % depth] : null;
      return payloads[c.received] ?? null;
    },
    onMessage(/** @type {boolean} */ mismatch, /** @type {boolean} */ wasChecked) {
      if (wasChecked) checked++;
      if (mismatch) mismatches++;
      this.conn.received++;
      completed++;
    },
    onClose() {
      closedByServer++;
    },
  };

  /** @type {(conn: Conn, buf: Buffer, off: number, end: number) => void} */
  const onFrames = (conn, buf, off, end) => {
    sink.conn = conn;
    completed = 0;
    readFrames(conn.reader, buf, off, end, sink);
    if (completed === 0) return;
    total += completed;
    counts[id] = total;
    if (config.mode === 'echo') {
      if (stopped) return;
      const start = (conn.sent % depth) * frameLen;
      /** @type {net.Socket} */ (conn.socket).write(frames.subarray(start, start + completed * frameLen));
      conn.sent += completed;
    } else if (total % conns.length === 0) {
      port.postMessage({ type: 'delivered', publish: total / conns.length - 1, atMs: Number(process.hrtime.bigint()) / 1e6 });
    }
  };
  const onEnd = (/** @type {Conn} */ conn, /** @type {string} */ why) => {
    if (!stopped) firstError ??= `connection ${conn.index}: ${why}`;
  };

  const pathFor = config.mode === 'echo' ? '/echo' : '/sub';
  const t0 = performance.now();
  openAll(conns, (conn) =>
    openConn(conn, {
      port: config.port,
      path: pathFor,
      localAddress: config.sourceAddresses[conn.index % config.sourceAddresses.length],
      timeoutMs: config.connectTimeoutS * 1000,
      shared,
      onFrames,
      onEnd,
    }),
  ).then(
    () => port.postMessage({ type: 'ready', connected: conns.length, connectMs: performance.now() - t0 }),
    (e) =>
      port.postMessage({
        type: 'failed',
        error: `${/** @type {Error} */ (e).message} (after ${conns.filter((c) => c.open).length} of ${conns.length} connections of thread ${id})`,
      }),
  );

  port.on('message', (msg) => {
    if (msg.type === 'go') {
      for (const conn of conns) {
        /** @type {net.Socket} */ (conn.socket).write(frames.subarray(0, depth * frameLen));
        conn.sent = depth;
      }
    } else if (msg.type === 'stop') {
      stopped = true;
      for (const conn of conns) conn.socket?.destroy();
      port.postMessage({ type: 'result', total, checked, mismatches, closedByServer, error: firstError });
      port.close();
    }
  });
}

// ---------------------------------------------------------------- main thread of the load process

/**
 * Up to `count` loopback source addresses (127.0.0.2, 127.0.0.3, …) that can
 * be bound here, each with its own ~28,000 ephemeral ports towards the
 * server on 127.0.0.1; ['127.0.0.1'] where none can.
 * @param {number} count
 * @returns {Promise<string[]>}
 */
export async function loopbackSources(count) {
  const canBind = (host) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(0, host, () => srv.close(() => resolve(true)));
    });
  const out = [];
  for (let i = 2; i < 2 + count; i++) if (await canBind(`127.0.0.${i}`)) out.push(`127.0.0.${i}`);
  return out.length ? out : ['127.0.0.1'];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Exact CPU time of a process tree, seconds: the sum of every thread's
 * sum_exec_runtime (/proc/<pid>/task/<tid>/schedstat, ns). Null when
 * schedstat is missing (then callers use utime+stime, 10 ms ticks).
 * @param {number[]} pids
 * @returns {number | null}
 */
export function schedCpuSeconds(pids) {
  let ns = 0;
  for (const pid of pids) {
    let tids;
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      } catch {
        /* thread gone */
      }
    }
  }
  return ns > 0 ? ns / 1e9 : null;
}

/**
 * Starts the worker threads and waits until every connection is upgraded.
 * @param {LoadConfig} config
 */
async function startWorkers(config) {
  const counts = new Float64Array(new SharedArrayBuffer(8 * config.threads));
  const workers = [];
  /** @type {Promise<number>[]} */
  const ready = [];
  /** @type {((msg: any) => void)[]} */
  const listeners = [];
  for (let id = 0; id < config.threads; id++) {
    const indexes = [];
    for (let i = id; i < config.connections; i += config.threads) indexes.push(i);
    const w = new Worker(THIS_FILE, { workerData: { id, config, indexes, counts } });
    workers.push(w);
    ready.push(
      new Promise((resolve, reject) => {
        w.on('message', (msg) => {
          if (msg.type === 'ready') resolve(msg.connectMs);
          else if (msg.type === 'failed') reject(new Error(msg.error));
          else for (const l of listeners) l(msg);
        });
        w.on('error', reject);
        w.on('exit', (code) => reject(new Error(`load thread ${id} exited (code ${code})`)));
      }),
    );
  }
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not every connection was upgraded within ${config.connectTimeoutS} s`)), config.connectTimeoutS * 1000);
  });
  const connectMs = Math.max(...(await Promise.race([Promise.all(ready), deadline]).finally(() => clearTimeout(timer))));
  return {
    counts,
    connectMs,
    total: () => counts.reduce((a, b) => a + b, 0),
    /** @param {any} msg */
    post: (msg) => {
      for (const w of workers) w.postMessage(msg);
    },
    /** @param {(msg: any) => void} l */
    listen: (l) => listeners.push(l),
    /** Stops every thread; resolves with their final reports. */
    async stop() {
      /** @type {Promise<any>[]} */
      const results = workers.map((w) => new Promise((resolve) => w.on('message', (m) => m.type === 'result' && resolve(m))));
      for (const w of workers) w.postMessage({ type: 'stop' });
      const out = await Promise.race([Promise.all(results), sleep(5000).then(() => null)]);
      await Promise.all(workers.map((w) => w.terminate()));
      return out ?? [];
    },
  };
}

/** Totals of the workers' final reports. */
function collect(reports) {
  const sum = (k) => reports.reduce((a, r) => a + (r[k] ?? 0), 0);
  return {
    checked: sum('checked'),
    mismatches: sum('mismatches'),
    closedByServer: sum('closedByServer'),
    connectionError: reports.find((r) => r.error)?.error ?? null,
  };
}

/** @param {LoadConfig} config */
async function echoMain(config) {
  const pids = processTree(config.serverPid);
  const w = await startWorkers(config);
  w.post({ type: 'go' });
  await sleep((config.warmupS ?? 0) * 1000);
  const m0 = w.total();
  const c0 = treeCpuSeconds(config.serverPid, pids);
  const l0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep((config.durationS ?? 1) * 1000);
  const m1 = w.total();
  const c1 = treeCpuSeconds(config.serverPid, pids);
  const l1 = process.cpuUsage(l0);
  const windowS = (performance.now() - t0) / 1000;
  const reports = await w.stop();
  const messages = m1 - m0;
  const serverCpuS = c0 !== null && c1 !== null ? c1 - c0 : null;
  return {
    mode: 'echo',
    connections: config.connections,
    depth: config.depth,
    connectMs: Math.round(w.connectMs),
    messages,
    windowS,
    msgsPerS: messages / windowS,
    serverCpuS,
    cpuPerMsgUs: serverCpuS !== null && messages > 0 ? (serverCpuS * 1e6) / messages : null,
    serverCores: serverCpuS !== null ? serverCpuS / windowS : null,
    loadCores: (l1.user + l1.system) / 1e6 / windowS,
    loadCpuPerMsgUs: messages > 0 ? (l1.user + l1.system) / messages : null,
    ...collect(reports),
  };
}

/** @param {LoadConfig} config */
async function broadcastMain(config) {
  const pids = processTree(config.serverPid);
  const cpuNow = () => schedCpuSeconds(pids) ?? treeCpuSeconds(config.serverPid, pids);
  const cpuSource = schedCpuSeconds(pids) !== null ? 'schedstat (ns)' : 'utime+stime (ticks)';
  const publishes = config.publishes ?? 5;
  const frames = broadcastPayloads(publishes + 1, config.payloadBytes).map((p) => maskedFrame(p));
  const w = await startWorkers(config);
  const pub = new Conn(-1);
  await openConn(pub, {
    port: config.port,
    path: '/pub',
    localAddress: config.sourceAddresses[0],
    timeoutMs: config.connectTimeoutS * 1000,
    shared: Buffer.allocUnsafe(16 * 1024),
    onFrames: () => {},
    onEnd: () => {},
  });
  /** @type {Map<number, number[]>} publish → arrival times (hrtime ms) of each thread's last subscriber */
  const arrivals = new Map();
  /** @type {(() => void) | null} */
  let wake = null;
  w.listen((msg) => {
    if (msg.type !== 'delivered') return;
    const list = arrivals.get(msg.publish) ?? [];
    list.push(msg.atMs);
    arrivals.set(msg.publish, list);
    if (list.length === config.threads) wake?.();
  });
  const timeoutMs = (config.deliverTimeoutS ?? 10) * 1000;
  /** Sends publish `i`; resolves with its timings, or an error when not every subscriber got it in time. */
  const publish = async (i) => {
    await sleep(config.gapMs ?? 100);
    const done = new Promise((resolve) => (wake = () => resolve(true)));
    const c0 = cpuNow();
    const l0 = process.cpuUsage();
    const sentMs = Number(process.hrtime.bigint()) / 1e6;
    /** @type {net.Socket} */ (pub.socket).write(frames[i]);
    const ok = await Promise.race([done, sleep(timeoutMs).then(() => false)]);
    const c1 = cpuNow();
    const l1 = process.cpuUsage(l0);
    wake = null;
    if (!ok) {
      const got = w.total() - i * config.connections;
      throw new Error(`publish ${i}: ${got} of ${config.connections} subscribers had it after ${timeoutMs / 1000} s`);
    }
    return {
      deliverMs: Math.max(.../** @type {number[]} */ (arrivals.get(i))) - sentMs,
      serverCpuMs: c0 !== null && c1 !== null ? (c1 - c0) * 1000 : null,
      loadCpuMs: (l1.user + l1.system) / 1000,
    };
  };
  /** @type {{ deliverMs: number, serverCpuMs: number | null, loadCpuMs: number }[]} */
  const timings = [];
  /** @type {string | null} */
  let error = null;
  try {
    await publish(0); // warm-up: also proves every subscriber is subscribed
    for (let i = 1; i <= publishes; i++) timings.push(await publish(i));
  } catch (e) {
    error = /** @type {Error} */ (e).message;
  }
  pub.socket?.destroy();
  const reports = await w.stop();
  return { mode: 'broadcast', subscribers: config.connections, connectMs: Math.round(w.connectMs), cpuSource, timings, error, ...collect(reports) };
}

async function loadMain() {
  /** @type {LoadConfig} */
  const config = JSON.parse(process.argv[2]);
  let result;
  try {
    result = config.mode === 'echo' ? await echoMain(config) : await broadcastMain(config);
  } catch (e) {
    result = { error: /** @type {Error} */ (e).message };
  }
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

/**
 * Runs one load process (pinned to `cpus`) and returns its result. Killed
 * when it outlives its own bounds by 30 s.
 * @param {LoadConfig} config
 * @param {{ cpus: string | null, prefix?: string[] }} opts cpus: taskset list ("1" or "1-3"); prefix: e.g. prlimit to raise the fd limit
 * @returns {Promise<any>}
 */
export async function runWsLoad(config, opts) {
  const command = [...(opts.prefix ?? []), process.execPath, THIS_FILE, JSON.stringify(config)];
  const argv = opts.cpus === null ? command : ['taskset', '-c', opts.cpus, ...command];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (t) => (out += t));
  child.stderr.setEncoding('utf8').on('data', (t) => (err = (err + t).slice(-4000)));
  const boundS =
    config.connectTimeoutS +
    (config.mode === 'echo'
      ? (config.warmupS ?? 0) + (config.durationS ?? 1)
      : ((config.publishes ?? 5) + 1) * ((config.deliverTimeoutS ?? 10) + (config.gapMs ?? 100) / 1000)) +
    30;
  const killer = setTimeout(() => stopChild(child, 1000), boundS * 1000);
  const code = await new Promise((resolve) => child.on('exit', (c, s) => resolve(c ?? s)));
  clearTimeout(killer);
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    return { error: `load generator exited (${code}) without a result${err ? `: ${err.trim().split('\n').slice(-3).join(' | ')}` : ''}` };
  }
}

if (!isMainThread && workerData?.config) workerMain();
else if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) loadMain();
