// Back-pressure: 64 MiB to a client that stops reading. write() turns false, bufferedAmount stays
// bounded because the server waits for onDrain, memory stays flat, and everything arrives in order.
import net from 'node:net';
import { expect, it } from 'vitest';
import { describeBackends, RSS_BOUND_FACTOR, sleep, useServers, waitFor } from './helpers.js';

const TOTAL = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const HWM = 64 * 1024;

/** Chunk i of the stream: little-endian uint32 words counting up from i * CHUNK / 4. */
function chunkAt(i: number): Buffer {
  const words = new Uint32Array(CHUNK / 4);
  const base = (i * CHUNK) / 4;
  for (let w = 0; w < words.length; w++) words[w] = base + w;
  return Buffer.from(words.buffer);
}

describeBackends('TCP back-pressure', (backend) => {
  const start = useServers();

  it('64 MiB to a paused client: bounded queue, flat memory, all bytes in order', async () => {
    let written = 0;
    let falses = 0;
    let drains = 0;
    let maxBuffered = 0;
    const { port } = await start(backend, {
      highWaterMark: HWM,
      onOpen(conn) {
        const pump = (): void => {
          while (written < TOTAL) {
            const ok = conn.write(chunkAt(written / CHUNK));
            written += CHUNK;
            maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
            if (!ok) {
              falses++;
              return;
            }
          }
          conn.end();
        };
        conn.data = pump;
        pump();
      },
      onDrain(conn) {
        drains++;
        maxBuffered = Math.max(maxBuffered, conn.bufferedAmount);
        (conn.data as () => void)();
      },
    });

    global.gc?.();
    const rss0 = process.memoryUsage.rss();
    let rssMax = rss0;
    const sampler = setInterval(() => {
      rssMax = Math.max(rssMax, process.memoryUsage.rss());
    }, 20);
    try {
      const client = net.connect({ port, host: '127.0.0.1' });
      client.pause();
      await new Promise((r, j) => {
        client.once('connect', r);
        client.once('error', j);
      });

      // Phase 1: the client reads nothing; the server must stop at the kernel's buffers plus one HWM.
      await waitFor(() => falses > 0, 5000, 'write() to return false');
      await sleep(300);
      const stalled = written;
      await sleep(300);
      expect(written).toBe(stalled);
      expect(written).toBeLessThan(TOTAL);
      expect(maxBuffered).toBeLessThanOrEqual(HWM + CHUNK);

      // Phase 2: read everything, checking every word in order.
      let expected = 0;
      let bad = -1;
      let carry: Buffer = Buffer.alloc(0);
      let received = 0;
      const ended = new Promise<void>((resolve, reject) => {
        client.on('data', (d: Buffer) => {
          received += d.length;
          const b = carry.length ? Buffer.concat([carry, d]) : d;
          let at = 0;
          for (; at + 4 <= b.length; at += 4) {
            if (b.readUInt32LE(at) !== expected && bad < 0) bad = expected;
            expected++;
          }
          carry = Buffer.from(b.subarray(at));
        });
        client.once('end', resolve);
        client.once('error', reject);
      });
      client.resume();
      await ended;
      client.destroy();
      expect(bad).toBe(-1);
      expect(received).toBe(TOTAL);
      expect(drains).toBeGreaterThan(0);
      expect(maxBuffered).toBeLessThanOrEqual(HWM + CHUNK);
    } finally {
      clearInterval(sampler);
    }
    const growth = rssMax - rss0;
    expect(growth, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`).toBeLessThan(48 * 1024 * 1024 * RSS_BOUND_FACTOR);
  }, 60_000);
});
