// Seeded, bounded transport fuzzer and a differential check of both backends.
//
// Fuzzer (each backend): many concurrent connections, each a sequence of valid
// requests (Content-Length and chunked bodies, 1-byte chunks, extensions,
// trailers, HTTP/1.0, leading CRLFs, heads near the limit, many fields,
// Expect, Connection: close last) and sometimes one invalid one, written at
// random boundaries, pipelined or one at a time. Every valid request before
// the invalid one is answered once, in order, with its echo; the invalid one
// gets its 4xx/5xx and the connection closes; every connection ends within a
// bound; afterwards the server has no connections, no extra fds, and bounded RSS.
//
//   RINGSIDE_FUZZ_SEED=0x1234       run seed (printed at the start of each run)
//   RINGSIDE_FUZZ_ITERATIONS=N      connections per backend (default 1200)
//   RINGSIDE_FUZZ_SECONDS=S         time budget per backend (default 10)
//   RINGSIDE_FUZZ_CONCURRENCY=N     connections at a time (default 32)
//   RINGSIDE_FUZZ_CONN=i,j          replay only these connections of the seed
//   RINGSIDE_FUZZ_MAX_REPORTED=N    failed connections shown in full (default 25)
//
// Differential check: a fixed table of byte streams sent to both backends;
// the statuses received and whether the server closed must be the same,
// except for the differences listed in KNOWN_DIFFERENCES.

// Tiny native capacities (a few event records, a few small ring buffers) so every resume path runs.
// Read when the native loop starts (first listen), so it must be set before any server is created.
process.env.RINGSIDE_TEST_TINY = '1';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpBackends, startHttp, title } from './http-helpers.js';
import {
  FuzzClient,
  Rand,
  connectionPlan,
  connectionSeed,
  countFds,
  echoHandler,
  rssMiB,
  show,
  tlsClientHello,
  writeSplit,
  HEAD_LIMIT,
  URL_LIMIT,
  type ConnectionPlan,
} from './fuzz-helpers.js';
import type { BackendName, HttpTransport } from '../src/index.js';

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v === undefined || v === '' ? dflt : Number(v);
};
const SEED = envInt('RINGSIDE_FUZZ_SEED', 0x5eed1e55) >>> 0;
const ITERATIONS = envInt('RINGSIDE_FUZZ_ITERATIONS', 1200);
const SECONDS = envInt('RINGSIDE_FUZZ_SECONDS', 10);
const CONCURRENCY = envInt('RINGSIDE_FUZZ_CONCURRENCY', 32);
const MAX_REPORTED = envInt('RINGSIDE_FUZZ_MAX_REPORTED', 25);
const ONLY = process.env.RINGSIDE_FUZZ_CONN ? process.env.RINGSIDE_FUZZ_CONN.split(',').map(Number) : null;

/** Server limits: defaults, with short timeouts so a head or body that never completes ends in seconds. */
const LIMITS = { headersTimeout: 5000, requestTimeout: 15_000 };
/** Every connection ends (answers, close) within this. */
const CONN_BOUND_MS = 10_000;
/** Extra fds tolerated after all clients left. */
const FD_SLACK = 4;
/** RSS growth tolerated over a run. */
const RSS_GROWTH_MIB = 300;

const hex = (n: number): string => `0x${n.toString(16)}`;

interface Totals {
  connections: number;
  requests: number;
  invalid: number;
  aborted: number;
  pipelined: number;
  bytes: number;
  answers: number;
  /** Error answers to a HEAD that carried a body (noted, not failed: the connection closes after them). */
  headErrorBodies: number;
  /** The longest a connection took, ms, and which one. */
  slowestMs: number;
  slowest: string;
}

/** Run one connection's plan; returns what went wrong (a short kind for the summary, and the details), or null. */
async function runConnection(port: number, plan: ConnectionPlan, r: Rand, totals: Totals, index: number): Promise<{ kind: string; text: string } | null> {
  const deadline = Date.now() + CONN_BOUND_MS;
  const c = await FuzzClient.connect(port, (i) => plan.valid[i]?.head ?? false);
  const expected = plan.valid.length + (plan.invalid ? 1 : 0);
  const finals = (): number => c.parser.finals.length;
  const gone = (): boolean => c.serverEnded || c.closed;
  const all = Buffer.concat([...plan.valid.map((v) => v.bytes), ...(plan.invalid ? [plan.invalid.bytes] : []), ...(plan.trailing ? [plan.trailing] : [])]);
  totals.connections++;
  const started = Date.now();
  try {
    if (plan.abortAfter !== null) {
      totals.aborted++;
      await writeSplit(c, all.subarray(0, plan.abortAfter), r);
      await new Promise((res) => setTimeout(res, r.int(0, 3)));
      totals.bytes += c.bytesSent;
      if (r.chance(0.5)) c.socket.resetAndDestroy();
      else c.destroy();
      return null;
    }
    totals.requests += expected;
    if (plan.invalid) totals.invalid++;
    if (plan.pipelined) {
      totals.pipelined++;
      await writeSplit(c, all, r);
      if (plan.halfClose) c.socket.end();
    } else {
      for (let i = 0; i < plan.valid.length; i++) {
        await writeSplit(c, plan.valid[i]!.bytes, r);
        if (!(await c.until(() => finals() > i || gone() || c.parser.error !== null, deadline))) break;
      }
      if (plan.invalid) await writeSplit(c, plan.invalid.bytes, r);
      if (plan.trailing) await writeSplit(c, plan.trailing, r);
    }
    totals.bytes += c.bytesSent;

    // Every answer, then (if the server must close) its FIN.
    const settled = await c.until(
      () => c.parser.error !== null || finals() > expected || (finals() >= expected && (!plan.serverCloses || gone())) || c.closed,
      deadline,
    );
    totals.answers += finals();
    totals.headErrorBodies += c.parser.headErrorBodies;
    const problems: string[] = [];
    const kinds: string[] = [];
    const problem = (kind: string, text: string): void => {
      kinds.push(kind);
      problems.push(text);
    };
    if (c.parser.error) problem('unparsable response', `unparsable response: ${c.parser.error}`);
    for (let i = 0; i < plan.valid.length; i++) {
      const v = plan.valid[i]!;
      const got = c.parser.finals[i];
      if (!got) {
        problem('valid request not answered', `request ${i} (seq ${v.seq}, ${v.shape}) not answered`);
        break;
      }
      const echo = got.headers['x-echo'];
      if (got.status !== 200 || echo !== v.echo || (!v.head && got.body !== v.echo)) {
        problem(
          `valid request answered ${got.status === 200 ? 'with a wrong echo' : got.status}`,
          `request ${i} (seq ${v.seq}, ${v.shape}): got ${got.status} x-echo=${JSON.stringify(echo)} body=${show(got.body, 120)}, want 200 ${JSON.stringify(v.echo)}`,
        );
        break;
      }
    }
    if (plan.invalid && c.parser.finals.length > plan.valid.length) {
      const s = c.parser.finals[plan.valid.length]!.status;
      const ok = plan.invalid.expect ? plan.invalid.expect.includes(s) : s >= 400 && s < 600;
      if (!ok)
        problem(
          `${plan.invalid.kind} answered ${s}`,
          `invalid ${plan.invalid.kind} (${plan.invalid.shape}) answered ${s}, want ${plan.invalid.expect?.join('/') ?? '4xx/5xx'}`,
        );
    } else if (plan.invalid && problems.length === 0) {
      problem(
        `${plan.invalid.kind} not answered${plan.halfClose ? ' (half-closed)' : ''}`,
        `invalid ${plan.invalid.kind} (${plan.invalid.shape}) not answered`,
      );
    }
    if (finals() > expected)
      problem(
        'extra answers',
        `${finals() - expected} answer(s) more than the ${expected} expected (statuses ${c.parser.finals.map((x) => x.status).join(',')})`,
      );
    if (!settled)
      problem(
        finals() < expected ? 'hung before an answer' : 'hung before the close',
        `hung: no ${finals() < expected ? `answer ${finals()}` : 'close'} within ${CONN_BOUND_MS} ms`,
      );
    if (plan.serverCloses && settled && !gone()) problem('no close after the last answer', 'server did not close after the last answer');
    if (!plan.serverCloses && gone() && finals() === expected && !plan.halfClose)
      problem('keep-alive connection closed', 'server closed a keep-alive connection');
    if (c.errorCode && finals() < expected) problem(`${c.errorCode} before the answers`, `client saw ${c.errorCode} before every answer arrived`);

    if (problems.length === 0 && !plan.serverCloses) {
      // Keep-alive to the end: our FIN must make the server close too, with nothing more sent.
      c.socket.end();
      if (!(await c.until(gone, deadline))) problem('no close after the client FIN', `server did not close within ${CONN_BOUND_MS} ms after the client's FIN`);
      if (finals() > expected || c.parser.pending > 0) problem('data after the last answer', `data after the last answer: ${show(c.parser.text.slice(-200))}`);
    }
    if (problems.length === 0) return null;
    const kind = kinds[0]!;
    const shapes = plan.valid.map((v) => v.shape).join(' | ');
    return {
      kind,
      text:
        `${problems.join('; ')}\n      plan: ${plan.valid.length} valid [${shapes}]${plan.invalid ? ` + ${plan.invalid.kind} ${plan.invalid.shape}` : ''}${plan.trailing ? ' + trailing GET' : ''}, ${plan.pipelined ? 'pipelined' : 'one at a time'}${plan.halfClose ? ', half-closed' : ''}` +
        `\n      sent ${c.bytesSent}/${all.length} bytes: ${show(all, 400)}` +
        `\n      received ${c.parser.text.length} bytes (serverFIN=${c.serverEnded}, closed=${c.closed}, error=${c.errorCode}), answers ${answers(c)}` +
        `\n      last bytes received: ${show(c.parser.text.slice(-400))}`,
    };
  } finally {
    c.destroy();
    const ms = Date.now() - started;
    if (ms > totals.slowestMs) {
      totals.slowestMs = ms;
      totals.slowest = `connection ${index}: ${plan.valid.length} valid${plan.invalid ? ` + ${plan.invalid.kind} ${plan.invalid.shape}` : ''}, ${plan.pipelined ? 'pipelined' : 'one at a time'}`;
    }
  }
}

/** Statuses and echoed sequence numbers received, marking those that said Connection: close. */
function answers(c: FuzzClient): string {
  return (
    c.parser.all
      .map((x) => `${x.status}${x.headers['x-echo'] ? `#${x.headers['x-echo'].split(' ')[0]}` : ''}${x.headers.connection === 'close' ? '(close)' : ''}`)
      .join(' ') || 'none'
  );
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((res) => setTimeout(res, 10));
  }
  return true;
}

describe.each(httpBackends())('transport fuzz: $name', (backend) => {
  let transport: HttpTransport | undefined;
  let port = 0;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ transport, port } = await startHttp(backend.name, echoHandler, LIMITS));
  });
  afterAll(async () => {
    await transport?.close({ force: true });
  });

  it.skipIf(backend.skip)(
    `${title(backend)}: seeded connections are answered in order, invalid input is refused and closed, nothing leaks`,
    async () => {
      const t = transport!;
      // Warm up (lazy allocations, first batch), then take the baselines with no client connected.
      {
        const warm = await FuzzClient.connect(port);
        warm.write(Buffer.from('GET /warm HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
        await warm.until(() => warm.closed, Date.now() + 5000);
        warm.destroy();
        await waitUntil(() => t.stats().connections === 0, 5000);
      }
      const fds0 = countFds();
      const rss: number[] = [rssMiB()];
      const sampler = setInterval(() => rss.push(rssMiB()), 1000);
      console.log(
        `[transport-fuzz] ${backend.name}: seed ${hex(SEED)} (replay: RINGSIDE_FUZZ_SEED=${hex(SEED)}${ONLY ? ` RINGSIDE_FUZZ_CONN=${ONLY.join(',')}` : ''}), up to ${ONLY?.length ?? ITERATIONS} connections / ${SECONDS} s, ${CONCURRENCY} at a time, RINGSIDE_TEST_TINY=${process.env.RINGSIDE_TEST_TINY}`,
      );

      const totals: Totals = {
        connections: 0,
        requests: 0,
        invalid: 0,
        aborted: 0,
        pipelined: 0,
        bytes: 0,
        answers: 0,
        headErrorBodies: 0,
        slowestMs: 0,
        slowest: '',
      };
      const failures: string[] = [];
      let failed = 0;
      const byKind = new Map<string, number[]>();
      const started = Date.now();
      const stopAt = started + SECONDS * 1000;
      const indices = ONLY ?? Array.from({ length: ITERATIONS }, (_, i) => i);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < indices.length && (ONLY || Date.now() < stopAt)) {
          const index = indices[next++]!;
          const r = new Rand(connectionSeed(SEED, index));
          const plan = connectionPlan(r, index * 100);
          let failure: { kind: string; text: string } | null;
          try {
            failure = await runConnection(port, plan, r, totals, index);
          } catch (e) {
            failure = { kind: 'threw', text: `threw: ${(e as Error).stack ?? e}` };
          }
          if (failure) {
            failed++;
            byKind.set(failure.kind, [...(byKind.get(failure.kind) ?? []), index]);
            if (failures.length < MAX_REPORTED)
              failures.push(`connection ${index} (RINGSIDE_FUZZ_SEED=${hex(SEED)} RINGSIDE_FUZZ_CONN=${index}): ${failure.text}`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, indices.length) }, worker));
      const duration = (Date.now() - started) / 1000;

      // Resources once every client has left.
      const drained = await waitUntil(() => t.stats().connections === 0, 5000);
      const fdsBack = await waitUntil(() => countFds() <= fds0 + FD_SLACK, 3000);
      clearInterval(sampler);
      rss.push(rssMiB());
      const stats = t.stats();
      console.log(
        `[transport-fuzz] ${backend.name}: seed ${hex(SEED)}, ${totals.connections} connections (${totals.pipelined} pipelined, ${totals.aborted} reset mid-request), ` +
          `${totals.requests} requests (${totals.invalid} invalid), ${totals.answers} answers (${totals.headErrorBodies} error answers to HEAD with a body), ${(totals.bytes / 1048576).toFixed(1)} MiB sent in ${duration.toFixed(1)} s (slowest: ${totals.slowestMs} ms, ${totals.slowest}); ` +
          `${failed} failed connections; server: ${stats.accepted} accepted, ${stats.connections} open at the end, enobufs ${stats.enobufs}, batches ${stats.batches}; ` +
          `fds ${fds0} → ${countFds()}; RSS MiB ${rss.join(' ')}`,
      );
      for (const [kind, idx] of [...byKind].sort((x, y) => y[1].length - x[1].length)) {
        console.log(`[transport-fuzz] ${backend.name}: ${idx.length} × ${kind} (connections ${idx.slice(0, 12).join(',')}${idx.length > 12 ? ',…' : ''})`);
      }

      // Still serving.
      const after = await FuzzClient.connect(port);
      after.write(Buffer.from('GET /after HTTP/1.1\r\nHost: x\r\nx-seq: after\r\nConnection: close\r\n\r\n'));
      await after.until(() => after.closed, Date.now() + 5000);
      after.destroy();

      const resourceProblems: string[] = [];
      if (!drained) resourceProblems.push(`stats().connections is ${t.stats().connections} 5 s after every client left`);
      if (!fdsBack) resourceProblems.push(`open fds ${countFds()} vs baseline ${fds0} (+${FD_SLACK} tolerated) after every client left`);
      if (rss[rss.length - 1]! - rss[0]! > RSS_GROWTH_MIB) resourceProblems.push(`RSS grew ${rss[rss.length - 1]! - rss[0]!} MiB`);
      if (after.parser.finals[0]?.headers['x-echo']?.split(' ')[0] !== 'after')
        resourceProblems.push(`a request after the run got ${show(after.parser.text, 200)}`);
      expect(resourceProblems, resourceProblems.join('\n')).toEqual([]);
      expect(failures, `${failed} of ${totals.connections} connections failed; first ${failures.length}:\n${failures.join('\n')}`).toEqual([]);
    },
    (SECONDS + 60) * 1000,
  );
});

// ---- differential check ------------------------------------------------------------

interface Case {
  name: string;
  bytes: Buffer;
  /** Indexes of final answers that answer a HEAD (no body). */
  heads?: number[];
  /** Half-close after sending. */
  end?: boolean;
}

interface Outcome {
  /** Every status received in order, 1xx included. */
  statuses: number[];
  /** The server closed (FIN or reset) within DIFF_BOUND_MS. */
  closed: boolean;
  /** For the log: reset, unparsable bytes. */
  note: string;
}

/** How long each stream waits for the server to close. Below LIMITS.headersTimeout, so an incomplete head shows as "open". */
const DIFF_BOUND_MS = 1500;

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const H = 'Host: x\r\n';
const post = (framing: string, body: string): Buffer => b(`POST /p HTTP/1.1\r\n${H}${framing}\r\n${body}`);
const chunkedPost = (body: string): Buffer => post('Transfer-Encoding: chunked\r\n', body);
const GET1 = `GET /next HTTP/1.1\r\n${H}\r\n`;
/** A head of exactly `size` raw bytes (request line to the final CRLF) made of one padding field. */
const headOfSize = (size: number): Buffer => {
  const fixed = `GET / HTTP/1.1\r\n${H}x-pad: \r\n\r\n`.length;
  return b(`GET / HTTP/1.1\r\n${H}x-pad: ${'p'.repeat(size - fixed)}\r\n\r\n`);
};

/** `bytes` with CR and LF replaced by spaces. */
const noCrLf = (bytes: Buffer): Buffer => {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 13 || bytes[i] === 10) bytes[i] = 32;
  return bytes;
};

const CASES: Case[] = [
  // invalid: request line
  { name: 'request line: two spaces', bytes: b(`GET  / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'request line: no version (HTTP/0.9 style)', bytes: b(`GET /\r\n${H}\r\n`) },
  { name: 'request line: trailing space', bytes: b(`GET / HTTP/1.1 \r\n${H}\r\n`) },
  { name: 'request line: tab separator', bytes: b(`GET\t/ HTTP/1.1\r\n${H}\r\n`) },
  { name: 'request line: bad method byte', bytes: b(`G(T / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'request line: lower-case http', bytes: b(`GET / http/1.1\r\n${H}\r\n`) },
  { name: 'method: unknown token FOO', bytes: b(`FOO / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'method: lower-case get', bytes: b(`get / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'method: PURGE', bytes: b(`PURGE / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'target: NUL byte', bytes: b(`GET /a\0b HTTP/1.1\r\n${H}\r\n`) },
  { name: 'target: 0x80 byte', bytes: b(`GET /a\x80b HTTP/1.1\r\n${H}\r\n`) },
  { name: 'target: 8193 bytes (414)', bytes: b(`GET /${'u'.repeat(URL_LIMIT)} HTTP/1.1\r\n${H}\r\n`) },
  { name: 'target: exactly 8192 bytes', bytes: b(`GET /${'u'.repeat(URL_LIMIT - 1)} HTTP/1.1\r\n${H}\r\n`) },
  // line endings
  { name: 'bare LF after request line', bytes: b(`GET / HTTP/1.1\n${H}\r\n`) },
  { name: 'bare LF after a field', bytes: b(`GET / HTTP/1.1\r\nHost: x\nx-a: b\r\n\r\n`) },
  { name: 'bare LF only, no CRLF anywhere', bytes: b(`GET / HTTP/1.1\nHost: x\n\n`) },
  { name: 'bare CR in a field', bytes: b(`GET / HTTP/1.1\r\nHost: x\rx-a: b\r\n\r\n`) },
  { name: 'leading CRLF x1', bytes: b(`\r\nGET / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'leading CRLF x8', bytes: b(`${'\r\n'.repeat(8)}GET / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'leading CRLF x9', bytes: b(`${'\r\n'.repeat(9)}GET / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'leading bare LF', bytes: b(`\nGET / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'CRLF between pipelined requests', bytes: b(`GET /1 HTTP/1.1\r\n${H}\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\n`) },
  // versions
  { name: 'version HTTP/1.2', bytes: b(`GET / HTTP/1.2\r\n${H}\r\n`) },
  { name: 'version HTTP/2.0', bytes: b(`GET / HTTP/2.0\r\n${H}\r\n`) },
  { name: 'version HTTP/3.0', bytes: b(`GET / HTTP/3.0\r\n${H}\r\n`) },
  { name: 'version HTTP/0.9', bytes: b(`GET / HTTP/0.9\r\n${H}\r\n`) },
  { name: 'version HTTP/2', bytes: b(`GET / HTTP/2\r\n${H}\r\n`) },
  { name: 'version HTTP/1.10', bytes: b(`GET / HTTP/1.10\r\n${H}\r\n`) },
  // fields
  { name: 'obs-fold', bytes: b(`GET / HTTP/1.1\r\n${H}x-a: a\r\n b\r\n\r\n`) },
  { name: 'empty field value', bytes: b(`GET / HTTP/1.1\r\n${H}x-empty:\r\n\r\n`) },
  { name: 'space before colon', bytes: b(`GET / HTTP/1.1\r\nHost : x\r\n\r\n`) },
  { name: 'space before colon (other field)', bytes: b(`GET / HTTP/1.1\r\n${H}x-a : b\r\n\r\n`) },
  { name: 'empty field name', bytes: b(`GET / HTTP/1.1\r\n${H}: b\r\n\r\n`) },
  { name: 'non-token byte in field name', bytes: b(`GET / HTTP/1.1\r\n${H}x(a): b\r\n\r\n`) },
  { name: 'control byte 0x01 in value', bytes: b(`GET / HTTP/1.1\r\n${H}x-a: a\x01b\r\n\r\n`) },
  { name: 'DEL in value', bytes: b(`GET / HTTP/1.1\r\n${H}x-a: a\x7fb\r\n\r\n`) },
  { name: 'NUL in value', bytes: b(`GET / HTTP/1.1\r\n${H}x-a: a\0b\r\n\r\n`) },
  { name: 'obs-text 0xff in value', bytes: b(`GET / HTTP/1.1\r\n${H}x-a: a\xffb\r\n\r\n`) },
  { name: 'missing Host on 1.1', bytes: b(`GET / HTTP/1.1\r\n\r\n`) },
  { name: 'two Host fields', bytes: b(`GET / HTTP/1.1\r\n${H}${H}\r\n`) },
  { name: 'Host with a comma', bytes: b(`GET / HTTP/1.1\r\nHost: a,b\r\n\r\n`) },
  { name: 'Host with a space inside', bytes: b(`GET / HTTP/1.1\r\nHost: a b\r\n\r\n`) },
  { name: 'Connection: close, keep-alive', bytes: b(`GET / HTTP/1.1\r\n${H}Connection: close, keep-alive\r\n\r\n${GET1}`) },
  { name: 'Connection with space-separated tokens', bytes: b(`GET / HTTP/1.1\r\n${H}Connection: a b\r\n\r\n`) },
  { name: 'Upgrade: websocket without listener', bytes: b(`GET / HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n${GET1}`) },
  // head size
  { name: `head exactly ${HEAD_LIMIT} raw bytes`, bytes: headOfSize(HEAD_LIMIT) },
  { name: `head ${HEAD_LIMIT + 1} raw bytes`, bytes: headOfSize(HEAD_LIMIT + 1) },
  { name: `head ${HEAD_LIMIT + 200} raw bytes`, bytes: headOfSize(HEAD_LIMIT + 200) },
  { name: 'head 24 KiB (431)', bytes: headOfSize(24 * 1024) },
  { name: '1900 fields "aa:bbbb" (17 KiB raw, 11 KiB of names and values)', bytes: b(`GET / HTTP/1.1\r\n${H}${'aa:bbbb\r\n'.repeat(1900)}\r\n`) },
  { name: '2001 fields (over maxHeaders)', bytes: b(`GET / HTTP/1.1\r\n${H}${'a:b\r\n'.repeat(2000)}\r\n`) },
  // Content-Length
  { name: 'duplicate Content-Length, equal', bytes: post('Content-Length: 5\r\nContent-Length: 5\r\n', 'hello') },
  { name: 'duplicate Content-Length, different', bytes: post('Content-Length: 5\r\nContent-Length: 6\r\n', 'hello!') },
  { name: 'Content-Length list "5, 5"', bytes: post('Content-Length: 5, 5\r\n', 'hello') },
  { name: 'Content-Length "+5"', bytes: post('Content-Length: +5\r\n', 'hello') },
  { name: 'Content-Length "0x5"', bytes: post('Content-Length: 0x5\r\n', 'hello') },
  { name: 'Content-Length empty', bytes: post('Content-Length: \r\n', '') },
  { name: 'Content-Length "005"', bytes: post('Content-Length: 005\r\n', 'hello') },
  { name: 'Content-Length 20 digits', bytes: post('Content-Length: 99999999999999999999\r\n', 'hello') },
  { name: 'Content-Length over bodyLimit (413)', bytes: post(`Content-Length: ${1024 * 1024 + 1}\r\n`, 'hello') },
  { name: 'CL + TE', bytes: post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n') },
  // Transfer-Encoding
  { name: 'TE: Chunked (case)', bytes: post('Transfer-Encoding: Chunked\r\n', '5\r\nhello\r\n0\r\n\r\n') },
  { name: 'TE: "chunked " trailing space', bytes: post('Transfer-Encoding: chunked \r\n', '5\r\nhello\r\n0\r\n\r\n') },
  { name: 'TE: gzip, chunked', bytes: post('Transfer-Encoding: gzip, chunked\r\n', '5\r\nhello\r\n0\r\n\r\n') },
  { name: 'TE: chunked, chunked', bytes: post('Transfer-Encoding: chunked, chunked\r\n', '5\r\nhello\r\n0\r\n\r\n') },
  { name: 'TE: chunked then gzip (fields)', bytes: post('Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n', '5\r\nhello\r\n0\r\n\r\n') },
  { name: 'TE: identity', bytes: post('Transfer-Encoding: identity\r\n', 'hello') },
  { name: 'TE: xchunked', bytes: post('Transfer-Encoding: xchunked\r\n', '5\r\nhello\r\n0\r\n\r\n') },
  { name: 'TE: chunked on HTTP/1.0', bytes: b(`POST /p HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`) },
  { name: 'TE: empty', bytes: post('Transfer-Encoding: \r\n', '') },
  // chunked bodies
  { name: 'chunk size zz', bytes: chunkedPost('zz\r\nhello\r\n0\r\n\r\n') },
  { name: 'chunk size -1', bytes: chunkedPost('-1\r\nx\r\n0\r\n\r\n') },
  { name: 'chunk size 17 hex digits (2^64)', bytes: chunkedPost('10000000000000000\r\nx\r\n0\r\n\r\n') },
  { name: 'chunk size 17 digits with leading zeros (=1)', bytes: chunkedPost('00000000000000001\r\nx\r\n0\r\n\r\n') },
  { name: 'chunk data without CRLF', bytes: chunkedPost('5\r\nhelloXX\r\n0\r\n\r\n') },
  { name: 'chunk size line with bare LF', bytes: chunkedPost('5\nhello\r\n0\r\n\r\n') },
  { name: 'chunk size with trailing space', bytes: chunkedPost('5 \r\nhello\r\n0\r\n\r\n') },
  { name: 'chunk extension token', bytes: chunkedPost('5;a=b\r\nhello\r\n0;last\r\n\r\n') },
  { name: 'chunk extension quoted with ; and escaped quote', bytes: chunkedPost('5;a="b;c\\"d"\r\nhello\r\n0\r\n\r\n') },
  { name: 'chunk extension unterminated quote', bytes: chunkedPost('5;a="b\r\nhello\r\n0\r\n\r\n') },
  { name: 'chunk extension name without value "="', bytes: chunkedPost('5;a=\r\nhello\r\n0\r\n\r\n') },
  { name: 'chunk extension with spaces', bytes: chunkedPost('5 ; a = b\r\nhello\r\n0\r\n\r\n') },
  { name: '1-byte chunks', bytes: chunkedPost('1\r\nh\r\n1\r\ne\r\n1\r\nl\r\n1\r\nl\r\n1\r\no\r\n0\r\n\r\n') },
  { name: 'trailers', bytes: chunkedPost('5\r\nhello\r\n0\r\nx-t: 1\r\nx-u: 2\r\n\r\n') },
  { name: 'trailer with obs-fold', bytes: chunkedPost('5\r\nhello\r\n0\r\nx-t: 1\r\n 2\r\n\r\n') },
  { name: 'trailer without colon', bytes: chunkedPost('5\r\nhello\r\n0\r\nxt\r\n\r\n') },
  { name: 'last chunk "000"', bytes: chunkedPost('5\r\nhello\r\n000\r\n\r\n') },
  { name: 'chunked then pipelined GET', bytes: Buffer.concat([chunkedPost('5\r\nhello\r\n0\r\n\r\n'), b(GET1)]) },
  // targets and methods
  { name: 'absolute-form http', bytes: b(`GET http://example.com/a?b HTTP/1.1\r\nHost: example.com\r\n\r\n`) },
  { name: 'absolute-form HTTPS upper-case scheme', bytes: b(`GET HTTPS://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n`) },
  { name: 'absolute-form ftp', bytes: b(`GET ftp://example.com/ HTTP/1.1\r\n${H}\r\n`) },
  { name: 'OPTIONS *', bytes: b(`OPTIONS * HTTP/1.1\r\n${H}\r\n`) },
  { name: 'GET *', bytes: b(`GET * HTTP/1.1\r\n${H}\r\n`) },
  { name: 'CONNECT authority-form', bytes: b(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`) },
  { name: 'CONNECT origin-form', bytes: b(`CONNECT / HTTP/1.1\r\n${H}\r\n`) },
  { name: 'relative target "a"', bytes: b(`GET a HTTP/1.1\r\n${H}\r\n`) },
  // connection management
  {
    name: 'HTTP/1.0 keep-alive, then 1.0 without',
    bytes: b(`GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\nGET /3 HTTP/1.0\r\n\r\n`),
  },
  { name: 'HTTP/1.0 without keep-alive, pipelined', bytes: b(`GET /1 HTTP/1.0\r\n\r\nGET /2 HTTP/1.0\r\n\r\n`) },
  { name: 'pipelined after Connection: close', bytes: b(`GET /1 HTTP/1.1\r\n${H}Connection: close\r\n\r\n${GET1}`) },
  { name: 'keep-alive GET, then client FIN', bytes: b(GET1), end: true },
  { name: 'partial head, then client FIN', bytes: b(`GET / HTTP/1.1\r\n${H}`), end: true },
  { name: 'partial Content-Length body, then client FIN', bytes: post('Content-Length: 10\r\n', 'hello'), end: true },
  { name: 'partial chunked body, then client FIN', bytes: chunkedPost('5\r\nhel'), end: true },
  { name: 'partial head, left open', bytes: b(`GET / HTTP/1.1\r\n${H}`) },
  { name: 'Expect: 100-continue with the body at once', bytes: post('Content-Length: 5\r\nExpect: 100-continue\r\n', 'hello') },
  { name: 'Expect: 100-continue, body not sent', bytes: post('Content-Length: 5\r\nExpect: 100-continue\r\n', '') },
  { name: 'Expect: 100-continue on HTTP/1.0', bytes: b(`POST /p HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello`) },
  { name: 'Expect: something-else', bytes: post('Content-Length: 5\r\nExpect: something-else\r\n', 'hello') },
  { name: 'HEAD with a body, then GET', bytes: b(`HEAD / HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello${GET1}`), heads: [0] },
  { name: 'HEAD with Content-Length over bodyLimit (413)', bytes: b(`HEAD / HTTP/1.1\r\n${H}Content-Length: ${1024 * 1024 + 1}\r\n\r\n`), heads: [0] },
  { name: 'HEAD with a bad chunked body', bytes: b(`HEAD / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n`), heads: [0] },
  { name: 'GET with a body', bytes: b(`GET / HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello${GET1}`) },
  { name: 'valid GET then garbage', bytes: Buffer.concat([b(GET1), b('\x00\x01\x02garbage\r\n\r\n')]) },
  // an invalid request pipelined behind valid ones: they are answered first, then the refusal
  {
    name: 'pipelined: slow GET, GET, then a bad request line',
    bytes: b(`GET /1 HTTP/1.1\r\n${H}x-delay: 20\r\n\r\nGET /2 HTTP/1.1\r\n${H}\r\nG(T / HTTP/1.1\r\n${H}\r\n`),
  },
  {
    name: 'pipelined: POST with a body, then a bad request line',
    bytes: b(`POST /p HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhelloG(T / HTTP/1.1\r\n${H}\r\n`),
  },
  { name: 'pipelined: POST with a body, then an oversized head', bytes: Buffer.concat([post('Content-Length: 5\r\n', 'hello'), headOfSize(24 * 1024)]) },
  // not HTTP at all
  { name: 'TLS ClientHello', bytes: tlsClientHello(new Rand(1)) },
  { name: 'random bytes, no CRLF', bytes: noCrLf(new Rand(2).bytes(64)) },
  { name: 'random bytes then CRLFCRLF', bytes: Buffer.concat([noCrLf(new Rand(3).bytes(64)), b('\r\n\r\n')]) },
  { name: 'SSH banner', bytes: b('SSH-2.0-OpenSSH_9.6\r\n') },
  { name: 'HTTP/2 preface', bytes: b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') },
];

/**
 * Differences between the backends kept on purpose, by case name, each with
 * its reason. A case listed here may differ; every other case must not.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  // Kept on purpose: the native parser is strict RFC 9112 where llhttp is lenient or refuses more.
  'request line: two spaces': 'native: exactly one SP (RFC 9112 §3); llhttp tolerates extra spaces',
  'request line: no version (HTTP/0.9 style)': 'native: not an HTTP/1.x request line → 400; llhttp reports an invalid version → 505',
  'method: unknown token FOO': 'native: any token is a method (RFC 9110 §9); llhttp knows a fixed list',
  'method: lower-case get': 'native: methods are case-sensitive tokens, passed to the app (which answers 404); llhttp refuses',
  'leading CRLF x9': 'native: at most 8 empty lines before a request line (a bound); llhttp skips any number',
  'leading bare LF': 'native: CRLF only, everywhere; llhttp tolerates a bare LF here',
  'version HTTP/2': 'native: a well-formed other version → 505; llhttp → 400',
  'HTTP/2 preface': 'native: PRI * HTTP/2.0 is a well-formed other version → 505 (tells an h2c client plainly); llhttp → 400',
  'Connection with space-separated tokens': 'native: Connection is a comma list of tokens, anything else → 400; llhttp ignores',
  'head 16385 raw bytes': 'native: maxHeaderSize counts the raw head bytes; llhttp counts only names and values',
  '1900 fields "aa:bbbb" (17 KiB raw, 11 KiB of names and values)': 'same: raw bytes against names and values',
  'duplicate Content-Length, equal': 'native: identical values are one value (RFC 9110 §8.6); llhttp refuses any repeat',
  'Content-Length list "5, 5"': 'same: an identical list is allowed by RFC 9110 §8.6',
  'Content-Length 20 digits': 'native: a length that cannot be a body under the limit → 413; llhttp → 400 (overflow)',
  'TE: identity': 'native: a coding other than chunked last → smuggling, 400; llhttp → 501 (our node refusal())',
  'TE: xchunked': 'same as TE: identity',
  'TE: empty': 'same as TE: identity',
  'chunk size 17 digits with leading zeros (=1)': 'native: at most 16 hex digits in a chunk size (a bound); llhttp counts the value',
  'chunk extension name without value "="': 'native: chunk-ext grammar is strict (RFC 9112 §7.1.1); llhttp lenient',
  'chunk extension with spaces': 'native: BWS around ";" and "=" is allowed (RFC 9112 §7.1.1); llhttp refuses',
  'CONNECT authority-form': 'native: CONNECT reaches the app like any method; node:http needs a "connect" listener, without one it destroys the socket',
  'CONNECT origin-form': 'native: wrong target form for CONNECT → 400; node:http destroys the socket (no "connect" listener)',
};

async function runCase(port: number, c: Case): Promise<Outcome> {
  const heads = new Set(c.heads ?? []);
  const client = await FuzzClient.connect(port, (i) => heads.has(i));
  try {
    client.write(c.bytes);
    if (c.end) client.socket.end();
    await client.until(() => client.serverEnded || client.closed, Date.now() + DIFF_BOUND_MS);
    const notes: string[] = [];
    if (client.errorCode) notes.push(client.errorCode);
    if (client.parser.error) notes.push(client.parser.error);
    if (client.parser.headErrorBodies) notes.push('error answer to HEAD carried a body');
    else if (client.parser.pending) notes.push(`${client.parser.pending} bytes of an incomplete response`);
    return { statuses: client.parser.all.map((r) => r.status), closed: client.serverEnded || client.closed, note: notes.join('; ') };
  } finally {
    client.destroy();
  }
}

async function runCases(backend: BackendName): Promise<Map<string, Outcome>> {
  const { transport, port } = await startHttp(backend, echoHandler, LIMITS);
  try {
    const outcomes = await Promise.all(CASES.map((c) => runCase(port, c)));
    return new Map(CASES.map((c, i) => [c.name, outcomes[i]!]));
  } finally {
    await transport.close({ force: true });
  }
}

const fmt = (o: Outcome): string => `[${o.statuses.join(',')}] ${o.closed ? 'closed' : 'open'}${o.note ? ` (${o.note})` : ''}`;

const uring = httpBackends()[0]!;
describe('transport differential: io_uring vs node', () => {
  it.skipIf(uring.skip)(
    `${uring.skip ? `(SKIPPED: ${uring.skip}) ` : ''}${CASES.length} byte streams get the same statuses and close from both backends`,
    async () => {
      const names = new Set<string>();
      for (const c of CASES) {
        expect(names.has(c.name), `duplicate case name ${c.name}`).toBe(false);
        names.add(c.name);
      }
      const a = await runCases('io_uring');
      const n = await runCases('node');
      const lines: string[] = [];
      const unexpected: string[] = [];
      for (const c of CASES) {
        const x = a.get(c.name)!;
        const y = n.get(c.name)!;
        const same = x.statuses.join() === y.statuses.join() && x.closed === y.closed;
        lines.push(`${same ? '  ' : '≠ '}${c.name}: io_uring ${fmt(x)} | node ${fmt(y)}`);
        if (!same && !(c.name in KNOWN_DIFFERENCES)) unexpected.push(`${c.name}: io_uring ${fmt(x)}, node ${fmt(y)}\n      bytes: ${show(c.bytes, 300)}`);
      }
      console.log(`[transport-differential] ${CASES.length} cases (≠ marks a difference; bound ${DIFF_BOUND_MS} ms):\n${lines.join('\n')}`);
      for (const name of Object.keys(KNOWN_DIFFERENCES)) {
        const x = a.get(name);
        const y = n.get(name);
        if (x && y && x.statuses.join() === y.statuses.join() && x.closed === y.closed)
          console.log(`[transport-differential] listed difference no longer differs: ${name}`);
      }
      expect(unexpected, `${unexpected.length} unlisted difference(s):\n${unexpected.join('\n')}`).toEqual([]);
    },
    60_000,
  );
});
