/**
 * A body read at any time: after it has all arrived (more of it than the
 * transport holds for a reader that has not come yet), never (the response
 * goes out, then the connection closes), or while the client
 * leaves halfway (the reader hears of it); and the body of an Upgrade request
 * answered as plain HTTP. Every backend.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from './helpers.js';
import { GET, RawClient, httpBackends, httpServerPerTest, parseResponses, testHandler, title } from './http-helpers.js';

const BODY = 'x'.repeat(300_000);

describe.each(httpBackends())('HTTP body read late, never, cut, or behind an Upgrade: $name', (backend) => {
  const start = httpServerPerTest(backend);

  it.skipIf(backend.skip)(`${title(backend)}: a body read only once it has all been sent arrives whole, and the next request runs`, async () => {
    let sent = false;
    const port = await start((req, res) => {
      if (!req.hasBody) {
        testHandler(req, res);
        return;
      }
      const chunks: Buffer[] = [];
      void waitFor(() => sent, 5000, 'the client to send the body').then(() =>
        setTimeout(() => {
          req.readBody(
            (c) => chunks.push(c),
            () => res.send(200, {}, String(Buffer.concat(chunks).toString('latin1') === BODY)),
            () => {},
          );
        }, 50),
      );
    });
    const c = await RawClient.connect(port);
    try {
      c.send(`POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}${GET('/after', 'Connection: close\r\n')}`);
      sent = true;
      await c.closedWithin(10_000);
      expect(parseResponses(c.data).map((r) => r.body)).toEqual(['true', 'GET /after']);
    } finally {
      c.close();
    }
  });

  it.skipIf(backend.skip)(`${title(backend)}: a body the app never reads: its answer goes out, then the connection closes`, async () => {
    const port = await start((req, res) => {
      if (req.hasBody) res.send(200, {}, 'unread');
      else testHandler(req, res);
    });
    const c = await RawClient.connect(port);
    try {
      c.send(`POST /ignored HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}${GET('/after', 'Connection: close\r\n')}`);
      await c.closedWithin(10_000);
      // Answered on the head, before the rest of the body came: the connection is not read further.
      expect(parseResponses(c.data).map((r) => r.body)).toEqual(['unread']);
    } finally {
      c.close();
    }
  });

  it.skipIf(backend.skip)(`${title(backend)}: a client that leaves halfway through the body: the reader gets an error, not an end`, async () => {
    const events: string[] = [];
    let reading = false;
    const port = await start((req) => {
      reading = true;
      req.readBody(
        () => {},
        () => events.push('end'),
        () => events.push('error'),
      );
    });
    const c = await RawClient.connect(port);
    c.send(`POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY.slice(0, 1000)}`);
    await waitFor(() => reading, 5000, 'the handler');
    c.close();
    await waitFor(() => events.length > 0, 5000, 'the reader to hear of the closed connection');
    expect(events).toEqual(['error']);
  });

  it.skipIf(backend.skip)(`${title(backend)}: the body of an Upgrade request answered as plain HTTP (curl --http2 -d) arrives whole`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    try {
      const body = BODY.slice(0, 100_000);
      c.send(
        `POST /echo HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
      await c.until((d) => parseResponses(d)[0]?.body.length === body.length, 10_000);
      expect(parseResponses(c.data)[0]).toMatchObject({ status: 200, body });
    } finally {
      c.close();
    }
  });
});
