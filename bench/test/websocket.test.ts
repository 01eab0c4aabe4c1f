// The WebSocket benchmark's own checks: the frame reader on every chunking
// of a stream, its byte comparison, a tiny real run of the load generator
// against the `ws` server (echo and broadcast), and the runner's report with
// a server that cannot start. Never asserts on how fast anything was.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FrameReader, maskedFrame, readFrames, textPayload } from '../lib/ws-frames.js';
import { loopbackSources, runWsLoad } from '../lib/ws-load.js';
import { BENCH_DIR, startServer } from '../lib/servers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringside-ws-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An unmasked server frame. */
function serverFrame(payload: Buffer, opcode = 1, fin = true): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0, len]) : Buffer.from([0, 126, len >> 8, len & 0xff]);
  head[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([head, payload]);
}

/** Feeds `stream` to a fresh reader in chunks of `size`; returns what the sink saw. */
function read(stream: Buffer, size: number, expected: (i: number) => Buffer | null) {
  const r = new FrameReader();
  const seen = { messages: 0, checked: 0, mismatches: 0, closes: 0 };
  const sink = {
    expected: () => expected(seen.messages),
    onMessage: (mismatch: boolean, checked: boolean) => {
      seen.messages++;
      if (checked) seen.checked++;
      if (mismatch) seen.mismatches++;
    },
    onClose: () => seen.closes++,
  };
  for (let off = 0; off < stream.length; off += size) readFrames(r, stream, off, Math.min(off + size, stream.length), sink);
  return seen;
}

describe('frame reader', () => {
  const small = textPayload('echo 1 ', 32);
  const big = Buffer.alloc(300, 0x61); // 16-bit extended length
  const stream = Buffer.concat([
    serverFrame(small),
    serverFrame(big, 2),
    serverFrame(Buffer.from('ping'), 9), // control frames are not messages
    serverFrame(small),
    serverFrame(Buffer.from([0x03, 0xe8]), 8),
  ]);
  const payloads = [small, big, small];

  it('counts and checks the same messages however the stream is cut', () => {
    for (let size = 1; size <= stream.length; size++) {
      expect(
        read(stream, size, (i) => payloads[i]),
        `chunks of ${size}`,
      ).toEqual({ messages: 3, checked: 3, mismatches: 0, closes: 1 });
    }
  });

  it('flags a message that differs from the one expected, by a byte or by its length', () => {
    const wrongByte = Buffer.from(small);
    wrongByte[31] ^= 1;
    for (const size of [1, 7, stream.length]) {
      expect(read(stream, size, (i) => (i === 2 ? wrongByte : payloads[i])).mismatches).toBe(1);
      expect(read(stream, size, (i) => (i === 0 ? big : null))).toMatchObject({ checked: 1, mismatches: 1 });
    }
  });

  it('builds masked client frames that unmask to the payload', () => {
    const payload = textPayload('publish 3 ', 32);
    const frame = maskedFrame(payload);
    expect(frame[0]).toBe(0x81);
    expect(frame[1]).toBe(0x80 | 32);
    const mask = frame.subarray(2, 6);
    expect(Buffer.from(frame.subarray(6).map((b, i) => b ^ mask[i & 3]))).toEqual(payload);
  });
});

describe('load generator against ws', () => {
  it('echoes and broadcasts with every checked message intact', async () => {
    const srv = await startServer({ name: 'ws', command: [process.execPath, path.join(BENCH_DIR, 'servers', 'ws-ws.js')], env: {} });
    try {
      const common = { port: srv.port, payloadBytes: 32, threads: 2, serverPid: srv.pid, sourceAddresses: await loopbackSources(2), connectTimeoutS: 5 };
      const echo = await runWsLoad({ ...common, mode: 'echo', connections: 4, depth: 4, warmupS: 0, durationS: 0.3 }, { cpus: null });
      expect(echo.error).toBeUndefined();
      expect(echo.messages).toBeGreaterThan(0);
      expect(echo.checked).toBeGreaterThan(0);
      expect(echo.mismatches).toBe(0);
      expect(echo.connectionError).toBeNull();

      const bc = await runWsLoad({ ...common, mode: 'broadcast', connections: 50, publishes: 2, gapMs: 10, deliverTimeoutS: 5 }, { cpus: null });
      expect(bc.error).toBeNull();
      expect(bc.timings).toHaveLength(2);
      expect(bc.checked).toBe(50 * 3); // the warm-up publish and two recorded ones, to each subscriber
      expect(bc.mismatches).toBe(0);
      for (const t of bc.timings) expect(t.deliverMs).toBeGreaterThan(0);
    } finally {
      await srv.stop();
    }
  }, 30_000);
});

describe('runner', () => {
  it('reports a server that cannot start as not available and goes on', () => {
    const out = path.join(tmp, 'run');
    const r = spawnSync(
      process.execPath,
      [
        path.join(BENCH_DIR, 'websocket.js'),
        '--servers',
        'bun,ws',
        '--scenarios',
        'echo-100',
        '--duration',
        '0.5',
        '--warmup',
        '0',
        '--rounds',
        '1',
        '--no-pin',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, BUN: path.join(tmp, 'no-such-bun') } },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8'));
    const row = (server: string) => report.rows.find((x: { server: string }) => x.server === server);
    expect(row('bun').error).toMatch(/^not available: BUN=.*no-such-bun does not run/);
    expect(row('ws').summary.msgsPerS.median).toBeGreaterThan(0);
    expect(row('ws').summary.mismatches).toBe(0);
    const md = readFileSync(path.join(out, 'latest.md'), 'utf8');
    expect(md).toMatch(/\| bun \| — .*not available/);
    expect(md).toMatch(/\| ws \| [\d,]+ \|/);
  }, 60_000);
});
