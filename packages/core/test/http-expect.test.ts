// Expect: 100-continue, HEAD, and bodyless statuses.
import { describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, parseResponses, httpServerPerTest, title } from './http-helpers.js';

describe.each(httpBackends())('HTTP interim and bodyless responses: $name', (backend) => {
  const start = httpServerPerTest(backend);

  it.skipIf(backend.skip)(`${title(backend)}: Expect: 100-continue gets 100 before the body is sent`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    await c.until((d) => d.includes('100 Continue'));
    c.send('data');
    await c.until((d) => d.endsWith('data'));
    expect(c.statuses()).toEqual([100, 200]);
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: a final answer without 100 Continue, the body discarded unsent: the connection closes`, async () => {
    // The client may never send the body (it got its answer): what it sends next must not be read as that body.
    const port = await start((req, res) => {
      if (req.hasBody) req.discardBody();
      res.send(200, {}, `r ${req.url}`);
    });
    const c = await RawClient.connect(port);
    c.send('POST /a HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n');
    await c.until((d) => d.endsWith('r /a'));
    expect(c.data.toLowerCase()).toContain('connection: close');
    expect(c.data).not.toContain('100 Continue');
    await c.closedWithin(5000);
    expect(c.statuses()).toEqual([200]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: HEAD gets the headers without the body`, async () => {
    const port = await start((req, res) => res.send(200, { 'content-type': 'text/plain', 'content-length': 5 }, req.method === 'HEAD' ? null : 'hello'));
    const c = await RawClient.connect(port);
    c.send(`HEAD / HTTP/1.1\r\nHost: x\r\n\r\n${GET('/next')}`);
    await c.until((d) => d.split('HTTP/1.1 200').length === 3);
    const rs = parseResponses(c.data.replace(/hello$/, ''));
    expect(rs[0]!.headers['content-length']).toBe('5');
    expect(c.data.endsWith('hello')).toBe(true);
    expect(c.data.indexOf('hello')).toBe(c.data.length - 5);
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: 204 and 304 carry no body`, async () => {
    const port = await start((req, res) => res.send(req.url === '/204' ? 204 : 304, {}, null));
    const c = await RawClient.connect(port);
    c.send(GET('/204') + GET('/304'));
    await c.until((d) => (d.match(/HTTP\/1\.1/g) ?? []).length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.statuses()).toEqual([204, 304]);
    expect(c.data.toLowerCase()).not.toContain('content-length');
    expect(c.data.toLowerCase()).not.toContain('transfer-encoding');
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: every response has a Date header`, async () => {
    const port = await start();
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(r.headers.get('date')).toMatch(/GMT$/);
  });
});
