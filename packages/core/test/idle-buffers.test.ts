// A keep-alive connection that goes quiet gives back the buffers its last
// exchange used (the loop's tick frees the empty send and receive buffers of
// connections idle for a whole tick), and answers again as before. Native
// backends: the counter is the addon's.
import { afterEach, describe, expect, it } from 'vitest';
import { loadBinding } from '@ringside/native';
import { GET, RawClient, httpBackends, parseResponses, startHttp, title } from './http-helpers.js';
import type { HttpTransport } from '../src/index.js';

const BODY = Buffer.alloc(60_000, 0x61);
const CLIENTS = 8;

/** Bytes the loop freed from idle connections so far (this thread's loop). */
const freed = (): number => loadBinding().binding!.stats().idleBufferBytesFreed;

/** One GET / on each client, read whole. */
async function exchange(clients: RawClient[]): Promise<void> {
  await Promise.all(
    clients.map(async (c) => {
      c.data = '';
      c.send(GET('/'));
      await c.until((d) => d.length >= BODY.length && parseResponses(d).length === 1);
      const [res] = parseResponses(c.data);
      expect([res!.status, res!.body.length, res!.body === BODY.toString('latin1')]).toEqual([200, BODY.length, true]);
    }),
  );
}

describe.each(httpBackends().filter((b) => b.name !== 'node'))('idle connections free their buffers: $name', (backend) => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });

  it.skipIf(backend.skip)(`${title(backend)}: a connection idle for a tick frees what its 60 KB answer used, then answers again`, async () => {
    const s = await startHttp(backend.name, (req, res) => res.send(200, { 'content-type': 'application/octet-stream' }, BODY));
    transport = s.transport;
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => RawClient.connect(s.port)));
    try {
      await exchange(clients);
      const before = freed();
      // Ticks are a second apart at most; a connection is idle once a whole tick passed without input or output.
      const deadline = Date.now() + 5000;
      while (freed() - before < CLIENTS * BODY.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(freed() - before).toBeGreaterThanOrEqual(CLIENTS * BODY.length);
      // The same connections, their buffers allocated again.
      await exchange(clients);
      await exchange(clients);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
