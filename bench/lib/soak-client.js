/**
 * One soak load process, started by bench/soak.js (spawned with an IPC
 * channel, under taskset): a tiny HTTP/1.1 client on raw node:net that keeps
 * `connections` sockets busy for `seconds`. Each socket sends
 * `requestsPerConnection` keep-alive requests (`pipeline` in flight at a
 * time), closes (FIN from the client), and a new one takes its place, until
 * the time is up.
 *
 * Source addresses and ports: see SourcePairs. Responses are framed by
 * Content-Length (chunked bodies are decoded too); anything else is a parse
 * error.
 *
 * Protocol (IPC): the parent sends {type:'start', ...options}; this process
 * sends {type:'progress', ...counts} every second, then {type:'done', stats}
 * and exits. Every loop is bounded: the run ends at `seconds`, requests
 * still out after that get `timeoutMs`, and a hard timer exits the process
 * regardless. When the parent goes away (IPC disconnect) it exits at once.
 */
import net from 'node:net';

// Latency histogram: 10 µs buckets up to 100 ms, then 1 ms buckets up to
// 120 s, then one overflow bucket. Merged by the parent (same layout).
export const FINE_BUCKETS = 10_000; // × 10 µs = 100 ms
export const COARSE_BUCKETS = 120_000; // × 1 ms = 120 s
export const HIST_SIZE = FINE_BUCKETS + COARSE_BUCKETS + 1;

/** @param {number} us */
export function bucketOf(us) {
  if (us < FINE_BUCKETS * 10) return Math.floor(us / 10);
  const ms = Math.floor(us / 1000);
  return ms < COARSE_BUCKETS ? FINE_BUCKETS + ms : HIST_SIZE - 1;
}

/** Upper edge of a bucket in ms. */
export function bucketUpperMs(i) {
  if (i < FINE_BUCKETS) return (i + 1) * 0.01;
  if (i < HIST_SIZE - 1) return i - FINE_BUCKETS + 1;
  return Infinity;
}

/**
 * @param {ArrayLike<number>} hist
 * @param {number} q 0..1
 * @returns {number | null} ms (upper edge of the bucket holding the q-quantile)
 */
export function percentileMs(hist, q) {
  let count = 0;
  for (let i = 0; i < hist.length; i++) count += hist[i];
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i];
    if (seen >= rank) return bucketUpperMs(i);
  }
  return Infinity;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/**
 * Incremental response framer for one connection. `push(chunk)` returns the
 * statuses of the responses completed by that chunk; throws on a response it
 * cannot frame. `closeAfter` is set once a response said Connection: close.
 */
export class ResponseReader {
  constructor() {
    /** @type {Buffer | null} */
    this.head = null; // unparsed head bytes
    this.bodyLeft = 0; // Content-Length bytes still to skip
    this.chunked = false;
    /** @type {Buffer | null} */
    this.chunkBuf = null; // chunked framing bytes not yet parsed
    this.status = 0;
    this.inBody = false;
    this.closeAfter = false;
  }

  /** @param {Buffer} chunk @param {number[]} out statuses */
  push(chunk, out) {
    let buf = chunk;
    while (buf.length > 0) {
      if (!this.inBody) {
        const data = this.head ? Buffer.concat([this.head, buf]) : buf;
        const end = data.indexOf(CRLF2);
        if (end < 0) {
          if (data.length > 64 * 1024) throw new Error('response head over 64 KiB');
          this.head = Buffer.from(data); // copy: the chunk may be reused
          return;
        }
        this.head = null;
        const head = data.latin1Slice(0, end);
        buf = data.subarray(end + 4);
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
        if (!m) throw new Error(`not an HTTP/1.x status line: ${JSON.stringify(head.slice(0, 40))}`);
        this.status = Number(m[1]);
        if (/\r\nconnection:[^\r]*\bclose\b/i.test(head)) this.closeAfter = true;
        const cl = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
        this.chunked = !cl && /\r\ntransfer-encoding:[^\r]*\bchunked\b/i.test(head);
        if (!cl && !this.chunked && this.status !== 204 && this.status !== 304) {
          throw new Error(`response ${this.status} without Content-Length or chunked framing`);
        }
        this.bodyLeft = cl ? Number(cl[1]) : 0;
        this.inBody = true;
      }
      if (this.chunked) {
        buf = this.#chunked(buf);
        if (this.inBody) return;
      } else {
        const n = Math.min(this.bodyLeft, buf.length);
        this.bodyLeft -= n;
        buf = buf.subarray(n);
        if (this.bodyLeft > 0) return;
        this.inBody = false;
      }
      out.push(this.status);
    }
  }

  /** Consumes chunked framing; returns the bytes after the body (inBody = false) or an empty buffer. */
  #chunked(input) {
    let buf = input;
    for (;;) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, buf.length);
        this.bodyLeft -= n;
        buf = buf.subarray(n);
        if (this.bodyLeft > 0) return buf;
        this.bodyLeft = -2; // then its CRLF
      }
      const data = this.chunkBuf ? Buffer.concat([this.chunkBuf, buf]) : buf;
      this.chunkBuf = null;
      if (this.bodyLeft === -2) {
        if (data.length < 2) {
          this.chunkBuf = Buffer.from(data);
          return data.subarray(data.length);
        }
        this.bodyLeft = 0;
        buf = data.subarray(2);
        continue;
      }
      const nl = data.indexOf('\r\n');
      if (nl < 0) {
        if (data.length > 1024) throw new Error('chunk size line over 1 KiB');
        this.chunkBuf = Buffer.from(data);
        return data.subarray(data.length);
      }
      const size = parseInt(data.latin1Slice(0, nl), 16);
      if (!Number.isFinite(size)) throw new Error('bad chunk size');
      if (size === 0) {
        // Last chunk: no trailers expected, just the final CRLF.
        const rest = data.subarray(nl + 2);
        if (rest.length < 2) {
          this.chunkBuf = Buffer.from(data);
          return data.subarray(data.length);
        }
        this.inBody = false;
        this.chunked = false;
        return rest.subarray(2);
      }
      this.bodyLeft = size;
      buf = data.subarray(nl + 2);
    }
  }
}

/**
 * @typedef {object} ClientOptions
 * @property {number} port
 * @property {string} host
 * @property {number} connections       sockets kept open by this process
 * @property {number} seconds
 * @property {number} requestsPerConnection
 * @property {number} pipeline          requests in flight per socket
 * @property {number} timeoutMs         connect timeout and per-request timeout
 * @property {string[]} localAddresses  source addresses ([]: the kernel picks address and port)
 * @property {number} portLow           source ports of this process: portLow..portHigh
 * @property {number} portHigh
 * @property {number} [pairOffset]      where in the cycle of source pairs to start (after an earlier run's)
 * @property {number} rampMs            open the first sockets over this long
 * @property {string} path
 */

/**
 * Source (address, port) pairs, in a fixed cycle: port p on every address in
 * turn, then port p + 1, … so a pair comes back only after addresses × ports
 * connections; with 16 addresses and ports 10000–32767 that is 364,288
 * connections, more than 60 s of TIME_WAIT at this client's rates.
 *
 * The client chooses the port itself because the kernel's choice is worse
 * in both ways it can be made. bind() to port 0 (what localAddress alone
 * does) scans the ephemeral range for a port with no socket on it: with
 * ~100,000 TIME_WAIT sockets it took whole seconds of system time per second
 * and stalled the client for 10–20 s at a time; and the ports it takes
 * (bound, then in TIME_WAIT for 60 s) are skipped by every other process's
 * connect() on the machine. connect() without a source address shares one
 * 28,232-port pool with everybody, and works past ~470 connections/s only
 * because this kernel reuses loopback TIME_WAIT ports (tcp_tw_reuse=2). The
 * default port range lies below the ephemeral range (32768–60999), so the
 * machine's ephemeral ports stay free; a port something else holds (bind
 * fails, EADDRINUSE) is skipped and counted.
 */
export class SourcePairs {
  /** @param {string[]} addresses @param {number} low @param {number} high */
  constructor(addresses, low, high) {
    this.addresses = addresses;
    this.low = low;
    this.span = high - low + 1;
    this.next = 0;
  }

  /** @returns {{ localAddress?: string, localPort?: number }} */
  take() {
    if (this.addresses.length === 0) return {};
    const i = this.next++;
    const n = this.addresses.length;
    return { localAddress: this.addresses[i % n], localPort: this.low + (Math.floor(i / n) % this.span) };
  }

  /** Pairs in one cycle. */
  get size() {
    return this.addresses.length * this.span;
  }
}

/**
 * @param {ClientOptions} o
 * @param {(p: object) => void} [onProgress] called every second
 * @param {{ stop: boolean }} [control] set stop to end the run now (the server died)
 */
export async function runClient(o, onProgress = () => {}, control = { stop: false }) {
  const request = Buffer.from(`GET ${o.path} HTTP/1.1\r\nHost: ${o.host}:${o.port}\r\n\r\n`);
  const hist = new Uint32Array(HIST_SIZE);
  const stats = {
    requests: 0, // responses received (any status)
    ok: 0, // 2xx
    non2xx: 0,
    statuses: /** @type {Record<string, number>} */ ({}),
    connectTimeouts: 0,
    requestTimeouts: 0,
    connErrors: /** @type {Record<string, number>} */ ({}), // code → count
    connectionsOpened: 0, // connect() calls
    connectionsEstablished: 0,
    connectionsCompleted: 0, // did all their requests and were closed by us
    closedByServer: 0, // the server closed while requests were in flight (also in connErrors as ECLOSED)
    closedIdleByServer: 0, // the server closed a socket with nothing in flight before we did
    sourcePortsSkipped: 0, // bind() of a source pair failed (port held by something else): next pair
    sourcePairs: 0, // pairs in one cycle (0: the kernel chooses)
    pairsTaken: 0, // source pairs used (the next run starts after them)
    maxOpen: 0,
  };
  const pairs = new SourcePairs(o.localAddresses, o.portLow, o.portHigh);
  pairs.next = o.pairOffset ?? 0;
  stats.sourcePairs = pairs.size;
  const noteError = (code) => (stats.connErrors[code] = (stats.connErrors[code] ?? 0) + 1);

  const t0 = performance.now();
  const endAt = t0 + o.seconds * 1000;
  let stopping = false;
  let open = 0;

  /**
   * One slot = one of the `connections` concurrent sockets, reopened after
   * each close until the run ends.
   */
  class Slot {
    constructor(index) {
      this.index = index;
      this.bindFailures = 0; // in a row
      /** @type {net.Socket | null} */
      this.socket = null;
      this.sent = 0; // requests written on the current socket
      this.done = 0; // responses read on the current socket
      /** @type {number[]} */
      this.sentAt = []; // write times of the requests in flight (FIFO)
      this.connectStart = 0;
      this.opens = 0;
      this.connected = false;
      this.timedOut = false; // destroyed by the timeout sweep (already counted)
      this.ending = false; // we sent FIN: the close that follows is ours
      this.finished = false; // the slot will not open another socket
      // The first socket of a slot makes 1..requestsPerConnection requests (spread
      // evenly over the slots), later ones requestsPerConnection: the sockets do not
      // all open and close in lockstep.
      this.quota = 1 + (index % o.requestsPerConnection);
    }

    open() {
      if (stopping || performance.now() >= endAt) {
        this.finished = true;
        return;
      }
      if (this.opens++ > 0) this.quota = o.requestsPerConnection;
      this.sent = 0;
      this.done = 0;
      this.sentAt.length = 0;
      this.connected = false;
      this.timedOut = false;
      this.connectStart = performance.now();
      const reader = new ResponseReader();
      const s = net.connect({ port: o.port, host: o.host, ...pairs.take(), noDelay: true });
      this.socket = s;
      stats.connectionsOpened++;
      open++;
      if (open > stats.maxOpen) stats.maxOpen = open;
      let failed = false;
      let bindFailed = false;
      const statuses = [];
      s.on('connect', () => {
        this.connected = true;
        stats.connectionsEstablished++;
        this.fill();
      });
      s.on('data', (chunk) => {
        statuses.length = 0;
        try {
          reader.push(chunk, statuses);
        } catch (_e) {
          noteError('EPARSE');
          failed = true;
          s.destroy();
          return;
        }
        const now = performance.now();
        for (const st of statuses) {
          const at = /** @type {number} */ (this.sentAt.shift());
          hist[bucketOf((now - at) * 1000)]++;
          stats.requests++;
          if (st >= 200 && st < 300) stats.ok++;
          else stats.non2xx++;
          stats.statuses[st] = (stats.statuses[st] ?? 0) + 1;
          this.done++;
        }
        if (statuses.length === 0) return;
        if (reader.closeAfter) {
          // The server said it will close: no more requests on this socket.
          this.sent = this.done;
          if (this.sentAt.length === 0) this.end();
          return;
        }
        if (this.done >= this.quota || now >= endAt || stopping) {
          if (this.sentAt.length === 0) {
            stats.connectionsCompleted++;
            this.end();
          }
          return;
        }
        this.fill();
      });
      s.on('error', (e) => {
        const err = /** @type {NodeJS.ErrnoException} */ (e);
        if (err.syscall === 'bind' && !this.connected) {
          // Our source pair is taken (not the server's doing): the next one.
          stats.sourcePortsSkipped++;
          stats.connectionsOpened--;
          bindFailed = true;
        } else if (!failed) noteError(err.code ?? 'ERROR');
        failed = true;
      });
      s.on('close', () => {
        open--;
        if (!failed && !this.timedOut && !this.ending) {
          if (this.sentAt.length > 0) {
            // The server closed with requests in flight, without a socket error.
            noteError('ECLOSED');
            stats.closedByServer++;
          } else if (this.connected) stats.closedIdleByServer++;
        }
        this.ending = false;
        this.socket = null;
        this.sentAt.length = 0;
        this.bindFailures = bindFailed ? this.bindFailures + 1 : 0;
        // Many taken pairs in a row: something holds a whole stretch of ports; do not spin.
        if (this.bindFailures >= 50) setTimeout(() => this.open(), 100);
        else this.open();
      });
    }

    /** Close from our side (FIN): the server sees EOF and closes too. */
    end() {
      this.ending = true;
      this.socket?.end();
    }

    /** Keep `pipeline` requests in flight, up to requestsPerConnection. */
    fill() {
      const s = /** @type {net.Socket} */ (this.socket);
      const now = performance.now();
      let n = 0;
      while (this.sentAt.length < o.pipeline && this.sent < this.quota && now < endAt) {
        this.sentAt.push(now);
        this.sent++;
        n++;
      }
      if (n === 0) return;
      s.write(n === 1 ? request : Buffer.concat(Array(n).fill(request)));
    }
  }

  const slots = Array.from({ length: o.connections }, (_, i) => new Slot(i));

  // Coarse timeout sweep (one timer, not one per socket).
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const sl of slots) {
      if (!sl.socket || sl.timedOut) continue;
      if (!sl.connected) {
        if (now - sl.connectStart < o.timeoutMs) continue;
        stats.connectTimeouts++;
      } else if (sl.sentAt.length > 0) {
        if (now - sl.sentAt[0] < o.timeoutMs) continue;
        stats.requestTimeouts += sl.sentAt.length;
      } else continue;
      sl.timedOut = true;
      sl.socket.destroy();
    }
  }, 100);

  const progress = setInterval(() => {
    onProgress({
      t: (performance.now() - t0) / 1000,
      requests: stats.requests,
      open,
      errors: Object.values(stats.connErrors).reduce((a, b) => a + b, 0),
      timeouts: stats.connectTimeouts + stats.requestTimeouts,
      non2xx: stats.non2xx,
    });
  }, 1000);

  // Ramp: open the sockets evenly over rampMs (all at once when 0). Paced by
  // the clock, not by the timer: a late tick (busy event loop) opens more.
  let opened = 0;
  while (opened < slots.length) {
    const due = o.rampMs > 0 ? Math.min(slots.length, Math.ceil((slots.length * (performance.now() - t0)) / o.rampMs)) : slots.length;
    while (opened < due) slots[opened++].open();
    if (opened < slots.length) await new Promise((r) => setTimeout(r, 10));
  }

  // The end: wait for every slot to finish (each closes once its in-flight
  // requests are answered or time out), bounded by seconds + timeout + 2 s.
  await new Promise((resolve) => {
    const hardEnd = endAt + o.timeoutMs + 2000;
    const check = setInterval(() => {
      const now = performance.now();
      if (now >= endAt || control.stop) stopping = true;
      const left = slots.filter((sl) => sl.socket !== null);
      if (control.stop) {
        for (const sl of left) {
          sl.finished = true;
          sl.timedOut = true; // not counted as the server's doing
          sl.socket?.destroy();
        }
        clearInterval(check);
        resolve(undefined);
      } else if (now >= endAt && left.length === 0) {
        clearInterval(check);
        resolve(undefined);
      } else if (now >= hardEnd) {
        for (const sl of left) {
          sl.finished = true;
          sl.socket?.destroy();
        }
        clearInterval(check);
        resolve(undefined);
      } else if (now >= endAt) {
        // Idle sockets at the end (e.g. a socket whose requests were all answered
        // at the deadline while it was connecting) are closed here.
        for (const sl of left) if (sl.connected && sl.sentAt.length === 0 && !sl.ending) sl.end();
      }
    }, 50);
  });
  const windowS = Math.min(performance.now(), endAt) / 1000 - t0 / 1000;
  stats.pairsTaken = pairs.next - (o.pairOffset ?? 0);
  clearInterval(sweep);
  clearInterval(progress);
  // Sparse histogram for the parent: [bucket, count] pairs.
  const sparse = [];
  for (let i = 0; i < hist.length; i++) if (hist[i]) sparse.push([i, hist[i]]);
  return { ...stats, windowS, hist: sparse, endMs: performance.now() - t0 };
}

// Run as a forked process.
if (process.send && process.argv[2] === '--child') {
  process.on('disconnect', () => process.exit(0));
  const control = { stop: false };
  process.on('message', async (/** @type {any} */ msg) => {
    if (msg?.type === 'stop') control.stop = true;
    if (msg?.type !== 'start') return;
    const hard = setTimeout(() => process.exit(4), (msg.seconds + msg.timeoutMs / 1000 + 30) * 1000);
    hard.unref();
    const stats = await runClient(msg, (p) => process.send?.({ type: 'progress', ...p }), control);
    // The parent disconnects once it has the stats (then 'disconnect' exits);
    // exit anyway if that does not happen.
    process.send?.({ type: 'done', stats }, () => setTimeout(() => process.exit(0), 5000).unref());
  });
  process.send({ type: 'ready' });
}
