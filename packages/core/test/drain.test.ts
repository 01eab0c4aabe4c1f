// Draining on close(): the listener refuses at once, every request that reaches an open
// connection is served (with Connection: close), idle keep-alive connections wait out
// idleGrace, and the close timeout is a hard deadline.
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import { GET, RawClient, httpBackends, parseResponses, startHttp, testHandler, title } from './http-helpers.js';

/** Connect, send one request and read its (keep-alive) answer: an idle keep-alive connection. */
async function idleConnection(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.send(GET('/first'));
  await c.until((d) => d.includes('GET /first'));
  return c;
}

describe.each(httpBackends())('HTTP drain: $name', (backend) => {
  it.skipIf(backend.skip)(
    `${title(backend)}: during idleGrace, requests on open connections are served with Connection: close; new connections are refused`,
    async () => {
      const { transport, port } = await startHttp(backend.name, testHandler);
      const idle = await idleConnection(port);
      const busy = await RawClient.connect(port);
      busy.send(GET('/delay/300'));
      await waitFor(() => transport.stats().connections === 2, 5000, 'both connections accepted');
      const closed = transport.close({ idleGrace: 20_000, timeout: 25_000 });
      await expect(RawClient.connect(port)).rejects.toThrow();
      // A request a balancer sent on its pooled connection as the drain began: answered, not reset.
      idle.send(GET('/second'));
      await idle.closedWithin(5000);
      const [first, second] = parseResponses(idle.data);
      expect(first!.headers.connection ?? 'keep-alive').not.toBe('close');
      expect(second!.status).toBe(200);
      expect(second!.body).toBe('GET /second');
      expect(second!.headers.connection).toBe('close');
      // The request in flight when close() began completes, and its connection closes after it.
      await busy.closedWithin(5000);
      const [slow] = parseResponses(busy.data);
      expect(slow!.status).toBe(200);
      expect(slow!.body).toBe('/delay/300');
      expect(slow!.headers.connection).toBe('close');
      // Both clients are gone: close() resolves long before the grace runs out.
      await closed;
      expect(transport.stats().connections).toBe(0);
    },
  );

  it.skipIf(backend.skip)(`${title(backend)}: idle connections stay open during idleGrace and close when it ends`, async () => {
    const { transport, port } = await startHttp(backend.name, testHandler);
    const idle = await idleConnection(port);
    const closed = transport.close({ idleGrace: 300 });
    await idle.closedWithin(5000);
    await closed;
    // Nothing after the first answer: the connection was closed, not answered again.
    expect(parseResponses(idle.data)).toHaveLength(1);
  });

  it.skipIf(backend.skip)(`${title(backend)}: the timeout is a hard deadline: it destroys what the grace and slow handlers keep open`, async () => {
    const { transport, port } = await startHttp(backend.name, testHandler);
    const idle = await idleConnection(port);
    const busy = await RawClient.connect(port);
    busy.send(GET('/delay/20000'));
    await waitFor(() => transport.stats().connections === 2, 5000, 'both connections accepted');
    const closed = transport.close({ idleGrace: 60_000, timeout: 300 });
    await idle.closedWithin(5000);
    await busy.closedWithin(5000);
    await closed;
    expect(busy.data).toBe('');
    expect(transport.stats().connections).toBe(0);
  });

  it.skipIf(backend.skip)(`${title(backend)}: close() refuses a negative idleGrace with a message`, async () => {
    const { transport } = await startHttp(backend.name, testHandler);
    expect(() => transport.close({ idleGrace: -1 })).toThrow(/idleGrace.*milliseconds/);
    await transport.close();
  });
});
