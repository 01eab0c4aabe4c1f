// Graceful close: stop accepting, finish in-flight requests, close idle keep-alive connections.
import { describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, startHttp, testHandler, title } from './http-helpers.js';

describe.each(httpBackends())('HTTP graceful close: $name', (backend) => {
  it.skipIf(backend.skip)(`${title(backend)}: in-flight requests finish, idle connections close, new ones are refused`, async () => {
    const { transport, port } = await startHttp(backend.name, testHandler);
    const idle = await RawClient.connect(port);
    idle.send(GET('/idle'));
    await idle.until((d) => d.includes('GET /idle'));
    const busy = await RawClient.connect(port);
    busy.send(GET('/delay/300'));
    await new Promise((r) => setTimeout(r, 50));
    const closed = transport.close();
    await idle.closedWithin(3000);
    await busy.closedWithin(3000);
    expect(busy.statuses()).toEqual([200]);
    expect(busy.data).toContain('/delay/300');
    await closed;
    await expect(RawClient.connect(port)).rejects.toThrow();
  });

  it.skipIf(backend.skip)(`${title(backend)}: force close destroys connections at once`, async () => {
    const { transport, port } = await startHttp(backend.name, testHandler);
    const busy = await RawClient.connect(port);
    busy.send(GET('/delay/5000'));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await transport.close({ force: true });
    await busy.closedWithin(3000);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
