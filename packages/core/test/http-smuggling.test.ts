// Ambiguous framing is refused with 400, the connection closed, and nothing after it processed.
import { afterEach, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, startHttp, title } from './http-helpers.js';
import type { HttpRequestHandler, HttpTransport } from '../src/index.js';

const cases: [string, string][] = [
  ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two differing Content-Length fields', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
  ['Content-Length list with differing values', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!'],
  ['Transfer-Encoding not ending in chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n'],
  ['Transfer-Encoding: chunked twice', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['space before the colon', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
  ['bare LF line ending', 'GET / HTTP/1.1\nHost: x\n\n'],
  ['invalid Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello'],
  ['invalid chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n'],
  ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\nX-A: a\r\n\r\n'],
];

describe.each(httpBackends())('HTTP smuggling: $name', (backend) => {
  let transport: HttpTransport | undefined;
  let seen: string[] = [];
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  const handler: HttpRequestHandler = (req, res) => {
    seen.push(req.url);
    const chunks: Buffer[] = [];
    req.readBody(
      (c) => chunks.push(c),
      () => res.send(200, {}, 'ok'),
      () => {},
    );
  };

  it.each(cases)(`${title(backend)}: %s → 400, closed, the next request never runs`, async (_name, bytes) => {
    if (backend.skip) return;
    seen = [];
    const s = await startHttp(backend.name, handler);
    transport = s.transport;
    const c = await RawClient.connect(s.port);
    c.send(bytes + GET('/smuggled'));
    await c.closedWithin();
    expect(c.statuses()).toEqual([400]);
    expect(seen).not.toContain('/smuggled');
  });
});
