// 1,000 concurrent connections, each echoing its own payload, in bounded time.
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, fdLimit, randomBytes, useServers, waitFor } from './helpers.js';

// Both ends live in this process: 2,000 sockets plus the runner's own fds.
const limit = fdLimit();
const lowLimit = limit < 2200 ? `open-file limit ${limit} < 2200 (raise ulimit -n)` : null;
if (lowLimit) console.warn(`\n*** TCP concurrency SKIPPED: ${lowLimit}\n`);

describeBackends('TCP concurrency', (backend) => {
  const start = useServers();

  it.skipIf(lowLimit !== null)(
    `${lowLimit ? `(SKIPPED: ${lowLimit}) ` : ''}1,000 concurrent connections each get their own bytes back`,
    async () => {
      const N = 1000;
      let peak = 0;
      const { server, port } = await start(backend, {
        ...echo,
        onOpen() {
          peak = Math.max(peak, server.connections);
        },
      });
      const t0 = Date.now();
      const clients = await Promise.all(Array.from({ length: N }, () => TcpClient.connect(port)));
      const payloads = clients.map((_, i) => Buffer.concat([Buffer.from(`conn-${i}:`), randomBytes(256 + ((i * 37) % 3840), i + 1)]));
      for (const [i, c] of clients.entries()) c.send(payloads[i]!);
      await Promise.all(clients.map((c, i) => c.bytes(payloads[i]!.length, 15_000)));
      const bad = clients.filter((c, i) => !c.data().equals(payloads[i]!)).length;
      expect(bad).toBe(0);
      expect(server.stats().accepted).toBe(N);
      expect(peak).toBe(N);
      for (const c of clients) c.close();
      await waitFor(() => server.connections === 0, 10_000, 'every connection to close');
      expect(Date.now() - t0).toBeLessThan(20_000);
    },
    30_000,
  );
});
