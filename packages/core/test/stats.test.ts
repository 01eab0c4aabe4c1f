// stats(): connections, accepted and byte counters move; backend-specific counters are as documented.
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, useServers, waitFor } from './helpers.js';

describeBackends('TCP stats', (backend) => {
  const start = useServers();

  it('counters move with traffic and connections', async () => {
    const { server, port } = await start(backend, echo);
    const s0 = server.stats();
    expect(s0).toMatchObject({ backend, connections: 0, accepted: 0 });
    const a = await TcpClient.connect(port);
    const b = await TcpClient.connect(port);
    await waitFor(() => server.connections === 2);
    const payload = Buffer.alloc(100_000, 3);
    a.send(payload);
    b.send('hello');
    await a.bytes(payload.length);
    await b.bytes(5);
    const s1 = server.stats();
    expect(s1.connections).toBe(2);
    expect(server.connections).toBe(2);
    expect(s1.accepted).toBe(2);
    expect(s1.bytesRead - s0.bytesRead).toBeGreaterThanOrEqual(payload.length + 5);
    expect(s1.bytesWritten - s0.bytesWritten).toBeGreaterThanOrEqual(payload.length + 5);
    if (backend !== 'node') {
      // The native engine (either driver) crosses to JS in batches.
      expect(s1.batches).toBeGreaterThan(0);
      expect(s1.events).toBeGreaterThanOrEqual(s1.batches);
    } else {
      expect(s1).toMatchObject({ enobufs: 0, batches: 0, events: 0, refused: 0, cqOverflows: 0 });
    }
    a.close();
    b.close();
    await waitFor(() => server.connections === 0);
    const s2 = server.stats();
    expect(s2.connections).toBe(0);
    expect(s2.accepted).toBe(2);
    expect(s2.bytesRead).toBeGreaterThanOrEqual(s1.bytesRead);
  });

  it('connection ids are integers, distinct among open connections; remote address is the client', async () => {
    const ids: number[] = [];
    const peers: string[] = [];
    const { port } = await start(backend, {
      onOpen(conn) {
        ids.push(conn.id);
        peers.push(`${conn.remoteFamily} ${conn.remoteAddress}:${conn.remotePort}`);
      },
    });
    const clients = await Promise.all(Array.from({ length: 10 }, () => TcpClient.connect(port)));
    await waitFor(() => ids.length === 10);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0)).toBe(true);
    expect(new Set(ids).size).toBe(10);
    const expected = clients.map((c) => `IPv4 127.0.0.1:${c.socket.localPort}`).sort();
    expect([...peers].sort()).toEqual(expected);
    for (const c of clients) c.close();
  });
});
