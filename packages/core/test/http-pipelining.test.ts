// Pipelining: responses in request order whatever order handlers finish in; requests split across any number of reads.
import { afterEach, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, parseResponses, startHttp, testHandler, title } from './http-helpers.js';
import type { HttpTransport } from '../src/index.js';

describe.each(httpBackends())('HTTP pipelining: $name', (backend) => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  const start = async () => {
    const s = await startHttp(backend.name, testHandler);
    transport = s.transport;
    return s.port;
  };

  it.skipIf(backend.skip)(`${title(backend)}: 16 requests in one write come back in order`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    let batch = '';
    // Later requests finish first: /delay/(16-i)*5.
    for (let i = 0; i < 16; i++) batch += GET(`/delay/${(16 - i) * 5}?i=${i}`);
    c.send(batch);
    await c.until((d) => parseResponses(d).length === 16, 8000);
    const bodies = parseResponses(c.data).map((r) => r.body);
    expect(bodies).toEqual(Array.from({ length: 16 }, (_, i) => `/delay/${(16 - i) * 5}?i=${i}`));
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: a request split byte by byte is parsed`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    const req = `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`;
    c.socket.setNoDelay(true);
    for (const ch of req) {
      c.send(ch);
      await new Promise((r) => setTimeout(r, 1));
    }
    await c.until((d) => d.endsWith('hello'));
    expect(c.statuses()).toEqual([200]);
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: bodies and heads of pipelined POSTs stay apart`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    let batch = '';
    for (let i = 0; i < 10; i++) {
      const body = `body-${i}-${'x'.repeat(i * 100)}`;
      batch += `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    }
    c.send(batch);
    await c.until((d) => parseResponses(d).length === 10);
    expect(parseResponses(c.data).map((r) => r.body.split('-').slice(0, 2).join('-'))).toEqual(Array.from({ length: 10 }, (_, i) => `body-${i}`));
    c.close();
  });
});

describe.each(httpBackends())('HTTP empty lines before a request: $name', (backend) => {
  it.skipIf(backend.skip)(`${title(backend)}: CRLFs between pipelined requests are ignored`, async () => {
    const { transport, port } = await startHttp(backend.name, testHandler);
    try {
      const c = await RawClient.connect(port);
      c.send(`\r\n\r\n${GET('/a')}\r\n${GET('/b', 'Connection: close\r\n')}`);
      await c.closedWithin();
      expect(parseResponses(c.data).map((r) => r.body)).toEqual(['GET /a', 'GET /b']);
    } finally {
      await transport.close({ force: true });
    }
  });
});

describe.each(httpBackends())("HTTP pipelining and the transport's own answers: $name", (backend) => {
  it.skipIf(backend.skip)(`${title(backend)}: an invalid body behind a pending response is answered after it`, async () => {
    const { transport, port } = await startHttp(backend.name, testHandler);
    try {
      const c = await RawClient.connect(port);
      c.send(GET('/delay/100') + 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n');
      await c.closedWithin();
      expect(c.statuses()).toEqual([200, 400]);
      expect(c.data).toContain('/delay/100');
    } finally {
      await transport.close({ force: true });
    }
  });

  it.skipIf(backend.skip)(`${title(backend)}: requests pipelined after the connection's last one never run`, async () => {
    const seen: string[] = [];
    const { transport, port } = await startHttp(
      backend.name,
      (req, res) => {
        seen.push(req.url);
        testHandler(req, res);
      },
      { maxRequestsPerSocket: 1 },
    );
    try {
      const c = await RawClient.connect(port);
      c.send(GET('/first') + GET('/second') + GET('/third'));
      await c.closedWithin();
      expect(c.statuses()).toEqual([200]);
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual(['/first']);
    } finally {
      await transport.close({ force: true });
    }
  });
});

describe.each(httpBackends())('HTTP deep pipelining and paused bodies: $name', (backend) => {
  it.skipIf(backend.skip)(
    `${title(backend)}: 300 pipelined requests answered later all come back in order`,
    async () => {
      const { transport, port } = await startHttp(backend.name, testHandler);
      try {
        const c = await RawClient.connect(port);
        let batch = '';
        for (let i = 0; i < 300; i++) batch += GET(`/delay/5?i=${i}`);
        c.send(batch);
        await c.until((d) => parseResponses(d).length === 300, 15_000);
        expect(parseResponses(c.data).map((r) => r.body)).toEqual(Array.from({ length: 300 }, (_, i) => `/delay/5?i=${i}`));
        c.close();
      } finally {
        await transport.close({ force: true });
      }
    },
    30_000,
  );

  it.skipIf(backend.skip)(`${title(backend)}: a body paused by the app and resumed from a timer arrives whole, and the next request runs`, async () => {
    const { transport, port } = await startHttp(backend.name, (req, res) => {
      if (!req.url.startsWith('/slow')) {
        testHandler(req, res);
        return;
      }
      const chunks: Buffer[] = [];
      let paused = false;
      req.readBody(
        (chunk) => {
          chunks.push(chunk);
          if (!paused) {
            paused = true;
            req.pauseBody();
            setTimeout(() => req.resumeBody(), 100);
          }
        },
        () => res.send(200, { 'content-type': 'text/plain' }, String(Buffer.concat(chunks).length)),
        () => {},
      );
    });
    try {
      const c = await RawClient.connect(port);
      const body = 'x'.repeat(200_000);
      c.send(`POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}${GET('/after', 'Connection: close\r\n')}`);
      await c.closedWithin(10_000);
      expect(parseResponses(c.data).map((r) => r.body)).toEqual(['200000', 'GET /after']);
    } finally {
      await transport.close({ force: true });
    }
  });
});
