// Responses written by the transport: framing and headers stay right when
// answers repeat (io_uring reuses the bytes of an identical previous answer).
import { afterEach, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, parseResponses, startHttp, title } from './http-helpers.js';
import type { HttpRequestHandler, HttpTransport } from '../src/index.js';

const TEXT = { 'content-type': 'text/plain' };

describe.each(httpBackends())('HTTP responses: $name', (backend) => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  const start = async (h: HttpRequestHandler, limits = {}) => {
    const s = await startHttp(backend.name, h, limits);
    transport = s.transport;
    return s.port;
  };

  it.skipIf(backend.skip)(`${title(backend)}: repeated, alternating and varied answers are each framed right`, async () => {
    const port = await start((req, res) => {
      const u = req.url;
      if (u === '/a') res.send(200, TEXT, 'alpha');
      else if (u === '/b') res.send(200, TEXT, 'beta!!');
      else if (u === '/404') res.send(404, TEXT, 'alpha');
      else if (u === '/json') res.send(200, { 'content-type': 'application/json' }, JSON.stringify({ n: 1 }));
      else if (u === '/close') res.send(200, { ...TEXT, connection: 'close' }, 'alpha');
      else res.send(200, { ...TEXT, 'x-extra': '1' }, 'alpha');
    });
    const c = await RawClient.connect(port);
    const paths = ['/a', '/a', '/b', '/a', '/404', '/a', '/extra', '/a', '/json', '/json', '/a', '/close'];
    c.send(paths.map((p) => GET(p)).join(''));
    await c.closedWithin();
    const rs = parseResponses(c.data);
    expect(rs.map((r) => `${r.status} ${r.body}`)).toEqual([
      '200 alpha',
      '200 alpha',
      '200 beta!!',
      '200 alpha',
      '404 alpha',
      '200 alpha',
      '200 alpha',
      '200 alpha',
      '200 {"n":1}',
      '200 {"n":1}',
      '200 alpha',
      '200 alpha',
    ]);
    expect(rs[6]!.headers['x-extra']).toBe('1');
    expect(rs[7]!.headers['x-extra']).toBeUndefined();
    expect(rs[11]!.headers.connection).toBe('close');
    for (const r of rs) expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
  });

  it.skipIf(backend.skip)(`${title(backend)}: the same answer to HTTP/1.0 and to the last request of a connection says close`, async () => {
    const port = await start((req, res) => res.send(200, TEXT, 'same'), { maxRequestsPerSocket: 3 });
    const c = await RawClient.connect(port);
    c.send(GET('/1') + GET('/2') + GET('/3'));
    await c.closedWithin();
    const rs = parseResponses(c.data);
    expect(rs.map((r) => r.headers.connection)).toEqual(
      [undefined, undefined, 'close'].map((v) => (backend.name === 'node' && v === undefined ? rs[0]!.headers.connection : v)),
    );
    const d = await RawClient.connect(port);
    d.send('GET /ten HTTP/1.0\r\n\r\n');
    await d.closedWithin();
    expect(parseResponses(d.data)[0]!.body).toBe('same');
  });

  it.skipIf(backend.skip)(`${title(backend)}: a header value with CR/LF is refused, and the next answer is still right`, async () => {
    const port = await start((req, res) => {
      if (req.url === '/bad') {
        try {
          res.send(200, { 'x-bad': 'a\r\nInjected: yes' }, 'no');
        } catch {
          res.send(500, TEXT, 'refused');
        }
      } else res.send(200, TEXT, 'fine');
    });
    const c = await RawClient.connect(port);
    c.send(GET('/bad') + GET('/ok', 'Connection: close\r\n'));
    await c.closedWithin();
    const rs = parseResponses(c.data);
    expect(rs.map((r) => `${r.status} ${r.body}`)).toEqual(['500 refused', '200 fine']);
    expect(c.data).not.toContain('Injected');
  });
});
