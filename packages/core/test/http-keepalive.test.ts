// Keep-alive per HTTP/1.0 and 1.1 rules, Connection: close, maxRequestsPerSocket.
import { describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, parseResponses, httpServerPerTest, testHandler, title } from './http-helpers.js';

describe.each(httpBackends())('HTTP keep-alive: $name', (backend) => {
  const serve = httpServerPerTest(backend);
  const start = (limits = {}) => serve(testHandler, limits);

  it.skipIf(backend.skip)(`${title(backend)}: HTTP/1.1 keeps the connection for the next request`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send(GET('/one'));
    await c.until((d) => d.includes('GET /one'));
    c.send(GET('/two'));
    await c.until((d) => d.includes('GET /two'));
    expect(c.closed).toBe(false);
    expect(c.statuses()).toEqual([200, 200]);
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: Connection: close is honoured`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send(GET('/bye', 'Connection: close\r\n'));
    await c.closedWithin();
    const [r] = parseResponses(c.data);
    expect(r!.status).toBe(200);
    expect(r!.headers.connection).toBe('close');
  });

  it.skipIf(backend.skip)(`${title(backend)}: HTTP/1.0 closes by default and keeps alive on request`, async () => {
    const port = await start();
    const a = await RawClient.connect(port);
    a.send('GET /ten HTTP/1.0\r\n\r\n');
    await a.closedWithin();
    expect(a.statuses()).toEqual([200]);

    const b = await RawClient.connect(port);
    b.send('GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await b.until((d) => d.includes('GET /ka'));
    expect(parseResponses(b.data)[0]!.headers.connection).toBe('keep-alive');
    b.send('GET /ka2 HTTP/1.0\r\n\r\n');
    await b.closedWithin();
    expect(b.statuses()).toEqual([200, 200]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: maxRequestsPerSocket closes after the last allowed response`, async () => {
    const port = await start({ maxRequestsPerSocket: 2 });
    const c = await RawClient.connect(port);
    c.send(GET('/1'));
    await c.until((d) => d.includes('GET /1'));
    c.send(GET('/2'));
    await c.closedWithin();
    expect(c.statuses()).toEqual([200, 200]);
    expect(parseResponses(c.data)[1]!.headers.connection).toBe('close');
  });

  it.skipIf(backend.skip)(`${title(backend)}: keep-alive idle timeout closes quiet connections`, async () => {
    const port = await start({ keepAliveTimeout: 300 });
    const c = await RawClient.connect(port);
    c.send(GET('/x'));
    await c.until((d) => d.includes('GET /x'));
    const t0 = Date.now();
    await c.closedWithin(5000);
    expect(Date.now() - t0).toBeLessThan(4000);
  });
});
