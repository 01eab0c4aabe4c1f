// A client that pipelines without reading meets a bound: at most MAX_OUTSTANDING_REQUESTS requests per
// connection reach handlers unanswered; the rest wait unparsed (or parsed, not handed over) until answers go out.
import { MAX_OUTSTANDING_REQUESTS } from '@ringside/native';
import { afterEach, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, parseResponses, startHttp, title } from './http-helpers.js';
import type { HttpRequestHandler, HttpTransport, RawRequest, RawResponse } from '../src/index.js';

const COUNT = 600;
/** A POST with a 4 KB body: 600 of them span many reads of the socket. */
const BODY_SIZE = 4000;
const body = (i: number): string => `${i}`.padEnd(BODY_SIZE, '.');
const post = (i: number): string => `POST /p${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${BODY_SIZE}\r\n\r\n${body(i)}`;
/**
 * All COUNT answers in, the last one whole: parseResponses also returns an answer whose body is
 * still arriving, cut short (a loaded machine split the last one over two reads, and the test
 * compared half a body).
 */
const allAnswered = (d: string): boolean => {
  const answers = parseResponses(d);
  const last = answers[COUNT - 1];
  return answers.length === COUNT && last!.body.length === Number(last!.headers['content-length'] ?? 0);
};
/**
 * Input node reads past the limit: the read in hand (at most 64 KiB) it parses before it stops,
 * when the limit is reached and again after an answer frees a place.
 */
const READ_SLACK = 3 * 64 * 1024;

/** The app reads each body, then answers with the URL and the body. */
function echoUrlAndBody(req: RawRequest, res: RawResponse): void {
  const chunks: Buffer[] = [];
  req.readBody(
    (b) => chunks.push(b),
    () => res.send(200, { 'content-type': 'text/plain' }, `${req.url}:${Buffer.concat(chunks).toString('latin1')}`),
    () => {},
  );
}

/** A handler that holds every request until release(), then answers them (the held ones last first) and the rest at once. */
function holdingHandler(answer: (req: RawRequest, res: RawResponse) => void) {
  const held: [RawRequest, RawResponse][] = [];
  let releasing = false;
  const onRequest: HttpRequestHandler = (req, res) => {
    if (releasing) answer(req, res);
    else held.push([req, res]);
  };
  return {
    onRequest,
    held,
    release(): void {
      releasing = true;
      for (const [req, res] of held.splice(0).reverse()) answer(req, res);
    },
  };
}

/** Wait until `cond()` holds (bounded), then a little longer so that what else would arrive does. */
async function settle(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 300));
}

describe.each(httpBackends())('HTTP pipelined requests per connection are bounded: $name', (backend) => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  const start = async (onRequest: HttpRequestHandler): Promise<number> => {
    const s = await startHttp(backend.name, onRequest);
    transport = s.transport;
    return s.port;
  };
  /**
   * Input the server read is bounded by the requests it holds, whatever the client sent. Checked
   * on node only: the native engine's byte counts are its loop's (all servers of the thread).
   */
  const expectReadBounded = (requestSize: number) => {
    if (backend.name === 'node') expect(transport!.stats().bytesRead).toBeLessThanOrEqual((MAX_OUTSTANDING_REQUESTS + 1) * requestSize + READ_SLACK);
  };

  it.skipIf(backend.skip)(
    `${title(backend)}: ${COUNT} pipelined GETs reach handlers ${MAX_OUTSTANDING_REQUESTS} at a time, all answered in order`,
    async () => {
      const h = holdingHandler((req, res) => res.send(200, { 'content-type': 'text/plain' }, req.url));
      const port = await start(h.onRequest);
      const c = await RawClient.connect(port);
      let batch = '';
      for (let i = 0; i < COUNT; i++) batch += GET(`/r${i}`);
      c.send(batch);
      await settle(() => h.held.length >= MAX_OUTSTANDING_REQUESTS);
      expect(h.held.length).toBe(MAX_OUTSTANDING_REQUESTS);
      h.release();
      await c.until(allAnswered, 10000);
      expect(parseResponses(c.data).map((r) => r.body)).toEqual(Array.from({ length: COUNT }, (_, i) => `/r${i}`));
      c.close();
    },
  );

  it.skipIf(backend.skip)(`${title(backend)}: ${COUNT} pipelined POSTs with unread bodies: bounded, then every body read in order`, async () => {
    const h = holdingHandler(echoUrlAndBody);
    const port = await start(h.onRequest);
    const c = await RawClient.connect(port);
    c.send(Array.from({ length: COUNT }, (_, i) => post(i)).join(''));
    await settle(() => h.held.length >= MAX_OUTSTANDING_REQUESTS);
    expect(h.held.length).toBe(MAX_OUTSTANDING_REQUESTS);
    expectReadBounded(post(0).length);
    h.release();
    await c.until(allAnswered, 10000);
    const bodies = parseResponses(c.data).map((r) => r.body);
    expect(bodies).toEqual(Array.from({ length: COUNT }, (_, i) => `/p${i}:${body(i)}`));
    c.close();
  });

  it.skipIf(backend.skip)(`${title(backend)}: a response streamed while the limit holds does not reopen the connection's input as it drains`, async () => {
    const STREAM = 4 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const h = holdingHandler(echoUrlAndBody);
    let answerFirst: (() => void) | null = null;
    const port = await start((req, res) => {
      if (req.url !== '/p0') return h.onRequest(req, res);
      // The first request is answered once the limit holds, in chunks written as the client drains them.
      answerFirst = () => {
        let sent = 0;
        const pump = () => {
          if (sent === 0) res.writeHead(200, { 'content-length': String(STREAM) });
          while (sent < STREAM) {
            sent += chunk.length;
            const more = res.write(chunk);
            if (sent >= STREAM) return res.end();
            if (!more) return res.onDrain(pump);
          }
        };
        req.readBody(
          () => {},
          pump,
          () => {},
        );
      };
    });
    const c = await RawClient.connect(port);
    c.send(Array.from({ length: COUNT }, (_, i) => post(i)).join(''));
    await settle(() => h.held.length >= MAX_OUTSTANDING_REQUESTS - 1);
    expect(h.held.length).toBe(MAX_OUTSTANDING_REQUESTS - 1);
    answerFirst!();
    await c.until((d) => d.length >= STREAM, 10000);
    await settle(() => true);
    expect(h.held.length).toBe(MAX_OUTSTANDING_REQUESTS);
    expectReadBounded(post(0).length);
    h.release();
    await c.until(allAnswered, 10000);
    expect(parseResponses(c.data).map((r) => r.body.slice(0, 12))).toEqual([
      'z'.repeat(12),
      ...Array.from({ length: COUNT - 1 }, (_, i) => `/p${i + 1}:${body(i + 1)}`.slice(0, 12)),
    ]);
    c.close();
  });
});
