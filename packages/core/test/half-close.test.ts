// Half-close: the peer's FIN reaches onEnd, the server may keep writing, then ends; the default onEnd ends.
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, useServers, waitFor } from './helpers.js';

describeBackends('TCP half-close', (backend) => {
  const start = useServers();

  it('client end() → onEnd after the data; the server still writes, then ends', async () => {
    const events: string[] = [];
    const { server, port } = await start(backend, {
      onData(_conn, data) {
        events.push(`data:${data.toString()}`);
      },
      onEnd(conn) {
        events.push('end');
        // Still writable after the peer's FIN, also later.
        conn.write('after-fin;');
        setTimeout(() => {
          conn.write('later;');
          conn.end('bye');
        }, 50);
      },
      onClose(_conn, err) {
        events.push(err ? `close:${(err as NodeJS.ErrnoException).code}` : 'close');
      },
    });
    const c = await TcpClient.connect(port, { allowHalfOpen: true });
    c.send('hello');
    await waitFor(() => events.includes('data:hello'), 5000, 'the data');
    c.socket.end();
    await c.until(() => c.ended, 5000, 'the server FIN');
    expect(c.data().toString()).toBe('after-fin;later;bye');
    expect(events.slice(0, 2)).toEqual(['data:hello', 'end']);
    await waitFor(() => events.includes('close'), 5000, 'onClose');
    expect(events).toEqual(['data:hello', 'end', 'close']);
    await waitFor(() => server.connections === 0);
  });

  it('without onEnd the server ends its side when the client does', async () => {
    let closed = false;
    const { server, port } = await start(backend, {
      onClose() {
        closed = true;
      },
    });
    const c = await TcpClient.connect(port, { allowHalfOpen: true });
    c.socket.end('x');
    await c.until(() => c.ended, 5000, 'the server FIN');
    await waitFor(() => closed, 5000, 'onClose');
    expect(server.connections).toBe(0);
    c.close();
  });

  it('end(data) sends the last bytes, then FIN, while the client keeps its side open', async () => {
    const { port } = await start(backend, {
      onData(conn, data) {
        conn.end(Buffer.concat([Buffer.from('last:'), data]));
      },
    });
    const c = await TcpClient.connect(port, { allowHalfOpen: true });
    c.send('q');
    await c.until(() => c.ended, 5000, 'the server FIN');
    expect(c.data().toString()).toBe('last:q');
    expect(c.closed).toBe(false); // our side is still open: half-closed, not closed
    c.socket.end();
    await c.closedWithin();
  });
});
