// Chunked request bodies (sizes, extensions, trailers) and chunked streaming responses.
import { describe, expect, it } from 'vitest';
import { RawClient, httpBackends, httpServerPerTest, title } from './http-helpers.js';

describe.each(httpBackends())('HTTP chunked: $name', (backend) => {
  const start = httpServerPerTest(backend);

  it.skipIf(backend.skip)(`${title(backend)}: decodes chunk sizes, extensions and trailers`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send(
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n',
    );
    await c.closedWithin();
    expect(c.statuses()).toEqual([200]);
    expect(c.data.endsWith('hello 0123456789')).toBe(true);
  });

  it.skipIf(backend.skip)(`${title(backend)}: fetch streams a request body and gets it back`, async () => {
    const port = await start();
    const parts = ['alpha', 'beta', 'gamma'];
    const body = new ReadableStream({
      start(ctl) {
        for (const p of parts) ctl.enqueue(new TextEncoder().encode(p));
        ctl.close();
      },
    });
    const r = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect(await r.text()).toBe('alphabetagamma');
  });

  it.skipIf(backend.skip)(`${title(backend)}: streaming response without a length is chunked`, async () => {
    const port = await start((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let i = 0;
      const tick = () => {
        if (i < 5) {
          res.write(`part${i++};`);
          setTimeout(tick, 5);
        } else res.end();
      };
      tick();
    });
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(r.headers.get('transfer-encoding')).toBe('chunked');
    expect(await r.text()).toBe('part0;part1;part2;part3;part4;');
  });

  it.skipIf(backend.skip)(`${title(backend)}: a large streamed response respects back-pressure and arrives whole`, async () => {
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const total = 256;
    const port = await start((req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) {
            res.onDrain(pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const r = await fetch(`http://127.0.0.1:${port}/`);
    const buf = Buffer.from(await r.arrayBuffer());
    expect(buf.length).toBe(chunk.length * total);
  });
});
