// No fd leaks: 200 connections and a closed server leave the process with the fds it had before.
import { expect, it } from 'vitest';
import { TcpClient, countFds, describeBackends, echo, useServers, waitFor } from './helpers.js';

const hasProc = countFds() >= 0;

describeBackends('TCP fd leaks', (backend) => {
  const start = useServers();

  it.skipIf(!hasProc)(`${hasProc ? '' : '(SKIPPED: no /proc/self/fd) '}200 connections, then close: fd count returns to where it was`, async () => {
    const before = countFds();
    const { server, port } = await start(backend, echo);
    for (let batch = 0; batch < 4; batch++) {
      const clients = await Promise.all(Array.from({ length: 50 }, () => TcpClient.connect(port)));
      for (const [i, c] of clients.entries()) c.send(`b${batch}c${i}`);
      await Promise.all(clients.map((c, i) => c.bytes(`b${batch}c${i}`.length)));
      // Half leave politely, half reset.
      for (const [i, c] of clients.entries()) {
        if (i % 2) c.socket.end();
        else c.socket.resetAndDestroy();
      }
      await Promise.all(clients.map((c) => c.closedWithin()));
    }
    await waitFor(() => server.connections === 0, 5000, 'every connection to close');
    expect(server.stats().accepted).toBe(200);
    await server.close();
    // The io_uring ring is released on a later turn; allow it to settle.
    await waitFor(() => countFds() <= before, 3000, `fds to return to ${before}`).catch(() => {});
    expect(countFds()).toBe(before);
  });

  it.skipIf(!hasProc)('connections still open at a forced close leak nothing', async () => {
    const before = countFds();
    const { server, port } = await start(backend, echo);
    const clients = await Promise.all(Array.from({ length: 50 }, () => TcpClient.connect(port)));
    await waitFor(() => server.connections === 50);
    await server.close({ force: true });
    await Promise.all(clients.map((c) => c.closedWithin()));
    await waitFor(() => countFds() <= before, 3000, `fds to return to ${before}`).catch(() => {});
    expect(countFds()).toBe(before);
  });
});
