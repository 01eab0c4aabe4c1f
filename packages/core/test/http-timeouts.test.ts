// Headers timeout (slowloris), request timeout, keep-alive timeout: real timers, small values.
import { describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, httpServerPerTest, testHandler, title } from './http-helpers.js';

describe.each(httpBackends())('HTTP timeouts: $name', (backend) => {
  const serve = httpServerPerTest(backend);
  const start = (limits = {}) => serve(testHandler, limits);

  it.skipIf(backend.skip)(`${title(backend)}: a head that never completes gets 408 and is closed (headersTimeout)`, async () => {
    const port = await start({ headersTimeout: 500, requestTimeout: 1000 });
    const c = await RawClient.connect(port);
    c.send('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const t0 = Date.now();
    await c.closedWithin(6000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(c.statuses()).toEqual([408]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a body that stalls gets 408 (requestTimeout)`, async () => {
    const port = await start({ headersTimeout: 500, requestTimeout: 800 });
    const c = await RawClient.connect(port);
    c.send('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly-part');
    await c.closedWithin(6000);
    expect(c.statuses()).toEqual([408]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: a fast request on a slow connection is not timed out`, async () => {
    const port = await start({ headersTimeout: 2000, requestTimeout: 3000, keepAliveTimeout: 5000 });
    const c = await RawClient.connect(port);
    c.send(GET('/a'));
    await c.until((d) => d.includes('GET /a'));
    expect(c.closed).toBe(false);
    c.close();
  });
});
