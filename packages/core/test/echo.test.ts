// Echo: one byte, 8 MiB byte-exact (with chunks the server keeps), many connections
// sharing a small buffer ring, and ordering in both directions at once.
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { TcpClient, describeBackends, echo, randomBytes, useServers, waitFor } from './helpers.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describeBackends('TCP echo', (backend) => {
  const start = useServers();

  it('echoes one byte', async () => {
    const { port } = await start(backend, echo);
    const c = await TcpClient.connect(port);
    c.send(Buffer.from([0x2a]));
    await c.bytes(1);
    expect([...c.data()]).toEqual([0x2a]);
    c.close();
  });

  it('echoes 8 MiB byte-exact; onData chunks stay valid after the call', async () => {
    const size = 8 * 1024 * 1024;
    const payload = randomBytes(size, 0xec40);
    const kept: Buffer[] = [];
    const { port } = await start(backend, {
      ...echo,
      onData(conn, data) {
        kept.push(data); // not copied: the callee owns it
        echo.onData!(conn, data);
      },
    });
    const c = await TcpClient.connect(port);
    // Client writes in uneven pieces, respecting its own back-pressure.
    let off = 0;
    let piece = 1;
    while (off < size) {
      const n = Math.min(size - off, ((piece++ * 7919) % (256 * 1024)) + 1);
      if (!c.send(payload.subarray(off, off + n))) await new Promise((r) => c.socket.once('drain', r));
      off += n;
    }
    await c.bytes(size, 20_000);
    expect(c.received).toBe(size);
    expect(sha(c.data())).toBe(sha(payload));
    const all = Buffer.concat(kept);
    expect(all.length).toBe(size);
    expect(sha(all)).toBe(sha(payload));
    c.close();
  }, 30_000);

  // A ring of 8 buffers of 1 KiB shared by 24 connections writing uneven
  // pieces at once: every buffer takes receives of several connections (one
  // after another where the kernel consumes buffers incrementally), and one
  // wrong offset would hand a connection another one's bytes.
  it('echoes many connections at once byte-exact through a small shared buffer ring', async () => {
    const size = 96 * 1024;
    const { port } = await start(backend, { ...echo, bufferCount: 8, bufferSize: 1024 });
    const run = async (k: number): Promise<void> => {
      const payload = randomBytes(size, 0x5100 + k);
      const c = await TcpClient.connect(port);
      let off = 0;
      let piece = k;
      while (off < size) {
        const n = Math.min(size - off, (((piece++ * 2654435761) >>> 0) % 3000) + 1);
        if (!c.send(payload.subarray(off, off + n))) await new Promise((r) => c.socket.once('drain', r));
        off += n;
        if (piece % 7 === 0) await new Promise((r) => setImmediate(r));
      }
      await c.bytes(size, 20_000);
      expect(c.received).toBe(size);
      expect(sha(c.data())).toBe(sha(payload));
      c.close();
    };
    await Promise.all(Array.from({ length: 24 }, (_, k) => run(k)));
  }, 30_000);

  it('keeps order in both directions at once', async () => {
    const N = 20_000;
    const word = (i: number): Buffer => {
      const b = Buffer.allocUnsafe(4);
      b.writeUInt32LE(i);
      return b;
    };
    // Server → client: N numbered words written one by one; client → server: the same, checked by the server.
    let serverSeen = 0;
    let serverBad = -1;
    let pending: Buffer = Buffer.alloc(0);
    const { port } = await start(backend, {
      onOpen(conn) {
        let i = 0;
        const pump = (): void => {
          while (i < N) if (!conn.write(word(i++))) return;
        };
        conn.data = pump;
        pump();
      },
      onDrain(conn) {
        (conn.data as () => void)();
      },
      onData(_conn, data) {
        pending = pending.length ? Buffer.concat([pending, data]) : data;
        let at = 0;
        for (; at + 4 <= pending.length; at += 4) {
          if (pending.readUInt32LE(at) !== serverSeen && serverBad < 0) serverBad = serverSeen;
          serverSeen++;
        }
        pending = pending.subarray(at);
      },
    });
    const c = await TcpClient.connect(port);
    for (let i = 0; i < N; i++) c.send(word(i));
    await c.bytes(N * 4, 10_000);
    await waitFor(() => serverSeen === N, 10_000, 'the server to read every word');
    expect(serverBad).toBe(-1);
    const got = c.data();
    let clientBad = -1;
    for (let i = 0; i < N; i++)
      if (got.readUInt32LE(i * 4) !== i) {
        clientBad = i;
        break;
      }
    expect(clientBad).toBe(-1);
    c.close();
  });
});
