/**
 * A body paused on its last chunk when the end comes with that chunk (the
 * native transport delivers both in one batch): nobody resumes a body that
 * has ended, so the transport must not leave the connection held, or the
 * next request on it is never read. Likewise a body paused, then discarded
 * (the app answers without reading the rest). And trailers after a chunked
 * body.
 * Every backend.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpTransport } from '../src/index.js';
import { waitFor } from './helpers.js';
import { GET, httpBackends, RawClient, startHttp, title } from './http-helpers.js';

for (const c of httpBackends()) {
  describe.skipIf(c.skip !== null)(`body paused at its end, trailers: ${title(c)}`, () => {
    let transport: HttpTransport | null = null;
    afterEach(async () => {
      await transport?.close({ timeout: 500 });
      transport = null;
    });

    it('serves the next request on the connection', async () => {
      let reading = false;
      const started = await startHttp(c.name, (req, res) => {
        if (!req.hasBody) {
          res.send(200, {}, 'next');
          return;
        }
        let n = 0;
        let ended = false;
        reading = true;
        // A stream consumer: pause on each chunk, resume later unless the body has ended (then nobody resumes).
        req.readBody(
          (chunk) => {
            n += chunk.length;
            req.pauseBody();
            setImmediate(() => {
              if (!ended) req.resumeBody();
            });
          },
          () => {
            ended = true;
            res.send(200, {}, `got ${n}`);
          },
          () => {},
        );
      });
      transport = started.transport;
      const client = await RawClient.connect(started.port);
      try {
        // The head first, so the handler reads before the body (and its end) arrive together.
        client.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n');
        await waitFor(() => reading, 5000, 'the handler');
        client.send('hello');
        await client.until((d) => d.endsWith('got 5'));
        // Sent after the pause took effect: read only if the end of the body released the connection.
        client.send(GET('/'));
        expect(await client.until((d) => d.endsWith('next'))).toMatch(/got 5HTTP\/1\.1 200 [\s\S]*next$/);
      } finally {
        client.close();
      }
    });

    it('serves the next request after a paused body is discarded', async () => {
      const size = 800_000;
      let paused = false;
      const started = await startHttp(c.name, (req, res) => {
        if (!req.hasBody) {
          res.send(200, {}, 'next');
          return;
        }
        // Read the first chunk, pause, then answer without the rest (the body is discarded).
        req.readBody(
          () => {
            if (paused) return;
            paused = true;
            req.pauseBody();
            setTimeout(() => {
              req.discardBody();
              res.send(200, {}, 'early');
            }, 50);
          },
          () => {},
          () => {},
        );
      });
      transport = started.transport;
      const client = await RawClient.connect(started.port);
      try {
        client.send(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n` + 'x'.repeat(size) + GET('/'));
        expect(await client.until((d) => d.endsWith('next'), 10_000)).toMatch(/early[\s\S]*HTTP\/1\.1 200 [\s\S]*next$/);
      } finally {
        client.close();
      }
    });

    it('sends trailers after the last chunk of a chunked response', async () => {
      const started = await startHttp(c.name, (req, res) => {
        res.writeHead(200, { trailer: 'x-sum' });
        res.write('body');
        res.end({ 'x-sum': '42' });
      });
      transport = started.transport;
      const client = await RawClient.connect(started.port);
      try {
        client.send(GET('/'));
        const data = await client.until((d) => d.endsWith('\r\n\r\n') && d.includes('x-sum: 42'));
        expect(data.toLowerCase()).toContain('transfer-encoding: chunked');
        expect(data).toMatch(/\r\n4\r\nbody\r\n0\r\nx-sum: 42\r\n\r\n$/i);
      } finally {
        client.close();
      }
    });
  });
}
