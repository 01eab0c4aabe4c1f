// Server close: graceful (waits for connections, refuses new ones), forced, and graceful with a timeout.
import net from 'node:net';
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, sleep, useServers, waitFor } from './helpers.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describeBackends('TCP close', (backend) => {
  const start = useServers();

  it('graceful close waits for connected clients, which are still served, and resolves when they leave', async () => {
    const closed: number[] = [];
    const { server, port } = await start(backend, {
      ...echo,
      onClose(conn) {
        closed.push(conn.id);
      },
    });
    const a = await TcpClient.connect(port);
    const b = await TcpClient.connect(port);
    await waitFor(() => server.connections === 2);
    let done = false;
    const closing = server.close().then(() => {
      done = true;
    });
    await sleep(100);
    expect(done).toBe(false);
    expect(await refused(port)).toBe(true);
    // Open connections still work while the server closes.
    a.send('ping');
    await a.bytes(4);
    expect(a.data().toString()).toBe('ping');
    a.socket.end();
    await waitFor(() => closed.length === 1, 5000, 'the first client to go');
    await sleep(50);
    expect(done).toBe(false);
    b.close();
    await closing;
    expect(closed.length).toBe(2);
    expect(server.connections).toBe(0);
    expect(server.address()).toBe(null);
  });

  it('forced close destroys connections at once', async () => {
    let closes = 0;
    const { server, port } = await start(backend, {
      ...echo,
      onClose() {
        closes++;
      },
    });
    const clients = await Promise.all([1, 2, 3].map(() => TcpClient.connect(port)));
    await waitFor(() => server.connections === 3);
    const t0 = Date.now();
    await server.close({ force: true });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(closes).toBe(3);
    await Promise.all(clients.map((c) => c.closedWithin(2000)));
  });

  it('graceful close with a timeout destroys what is still open when it expires', async () => {
    const { server, port } = await start(backend, echo);
    const c = await TcpClient.connect(port);
    await waitFor(() => server.connections === 1);
    const t0 = Date.now();
    await server.close({ timeout: 300 });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    await c.closedWithin(2000);
  });

  it('force while a graceful close waits ends it at once', async () => {
    const { server, port } = await start(backend, echo);
    await TcpClient.connect(port);
    await waitFor(() => server.connections === 1);
    const graceful = server.close();
    await sleep(50);
    await Promise.all([graceful, server.close({ force: true })]);
    expect(server.connections).toBe(0);
  });

  it('close without connections resolves; close of a server never started resolves; listen after close rejects', async () => {
    const { server } = await start(backend, echo);
    await server.close();
    await server.close();
    await expect(server.listen({ port: 0 })).rejects.toThrow(/closed/);
    const { createTcpServer } = await import('../src/index.js');
    const idle = createTcpServer({ backend, log: false });
    await idle.close();
  });

  it('listen twice rejects', async () => {
    const { server } = await start(backend, echo);
    await expect(server.listen({ port: 0 })).rejects.toThrow(/already listening/);
  });

  it('a port in use rejects with a node-style error (code EADDRINUSE)', async () => {
    const { port } = await start(backend, echo);
    const { createTcpServer } = await import('../src/index.js');
    const other = createTcpServer({ backend, log: false });
    await expect(other.listen({ port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await other.close();
  });
});
