// io_uring only: a tiny provided-buffer ring (4 x 4 KiB) under 64 connections x 256 KiB in random-sized
// writes runs dry (-ENOBUFS) again and again; every byte still comes back exact and in order.
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, randomBytes, useServers, waitFor } from './helpers.js';

describeBackends(
  'io_uring ENOBUFS back-pressure',
  (backend) => {
    const start = useServers();

    it('64 connections x 256 KiB through a 4 x 4 KiB buffer ring: byte-exact, enobufs > 0', async () => {
      const N = 64;
      const SIZE = 256 * 1024;
      const { server, port } = await start(backend, { ...echo, bufferCount: 4, bufferSize: 4096 });
      const clients = await Promise.all(Array.from({ length: N }, () => TcpClient.connect(port)));
      const payloads = clients.map((_, i) => randomBytes(SIZE, 0xb0f + i));
      await Promise.all(
        clients.map(async (c, i) => {
          const p = payloads[i]!;
          let off = 0;
          let seed = i * 2654435761;
          while (off < p.length) {
            seed = (seed * 1103515245 + 12345) >>> 0;
            const n = Math.min(p.length - off, 1 + (seed % 20000));
            if (!c.send(p.subarray(off, off + n))) await new Promise((r) => c.socket.once('drain', r));
            off += n;
          }
        }),
      );
      await Promise.all(clients.map((c) => c.bytes(SIZE, 30_000)));
      const bad = clients.filter((c, i) => !c.data().equals(payloads[i]!)).length;
      expect(bad).toBe(0);
      const stats = server.stats();
      expect(stats.enobufs).toBeGreaterThan(0);
      for (const c of clients) c.close();
      await waitFor(() => server.connections === 0, 5000);
    }, 45_000);
  },
  ['io_uring'],
);
