// A client that resets mid-stream: the server sees the connection close (ECONNRESET) and keeps serving.
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, sleep, useServers, waitFor } from './helpers.js';
import type { TcpConnection } from '../src/index.js';

describeBackends('TCP reset', (backend) => {
  const start = useServers();

  it('client resets while sending: onClose with ECONNRESET, then a new client is served', async () => {
    const closes: { conn: TcpConnection; err?: Error }[] = [];
    let got = 0;
    const { server, port } = await start(backend, {
      onData(_conn, data) {
        got += data.length;
      },
      onClose(conn, err) {
        closes.push({ conn, err });
      },
    });
    const c = await TcpClient.connect(port);
    c.send(Buffer.alloc(64 * 1024, 1));
    await waitFor(() => got > 0, 5000, 'some data');
    c.socket.resetAndDestroy();
    await waitFor(() => closes.length === 1, 5000, 'onClose');
    expect(closes[0]!.conn.closed).toBe(true);
    expect((closes[0]!.err as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    expect(server.connections).toBe(0);
  });

  it('client resets while the server streams to it: writes stop failing loudly, onClose fires, server serves on', async () => {
    const closes: (Error | undefined)[] = [];
    const chunk = Buffer.alloc(64 * 1024, 7);
    let wrote = 0;
    let opened = 0;
    const { server, port } = await start(backend, {
      ...echo,
      onOpen(conn) {
        if (opened++ > 0) return; // later clients get the echo
        const pump = (): void => {
          while (!conn.closed && wrote < 512 * 1024 * 1024) {
            wrote += chunk.length;
            if (!conn.write(chunk)) return;
          }
        };
        conn.data = pump;
        pump();
      },
      onDrain(conn) {
        if (typeof conn.data === 'function') (conn.data as () => void)();
        else conn.resume();
      },
      onClose(_conn, err) {
        closes.push(err);
      },
    });
    const c = await TcpClient.connect(port, { keep: false });
    await c.until(() => c.received > 1024 * 1024, 5000, 'the stream');
    c.socket.resetAndDestroy();
    await waitFor(() => closes.length === 1, 5000, 'onClose');
    if (closes[0]) expect(['ECONNRESET', 'EPIPE']).toContain((closes[0] as NodeJS.ErrnoException).code);
    await waitFor(() => server.connections === 0);
    await sleep(20);
    // The server still accepts and echoes.
    const next = await TcpClient.connect(port);
    next.send('still here');
    await next.bytes(10);
    next.close();
  });

  it('many resets in a row leave no connection behind', async () => {
    const { server, port } = await start(backend, echo);
    for (let i = 0; i < 50; i++) {
      const c = await TcpClient.connect(port);
      c.send('x'.repeat(100));
      if (i % 2) await c.bytes(100);
      c.socket.resetAndDestroy();
    }
    await waitFor(() => server.connections === 0, 5000, 'every connection to close');
    expect(server.stats().accepted).toBe(50);
  });
});
