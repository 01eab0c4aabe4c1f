// The keep-alive decision (src/keep-alive.ts) as every backend applies it: per request's
// position on the connection, not per count seen when its answer goes out.
import { afterEach, describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, parseResponses, startHttp, title } from './http-helpers.js';
import type { HttpLimits, HttpRequestHandler, HttpTransport } from '../src/index.js';

const TEXT = { 'content-type': 'text/plain' };

describe.each(httpBackends())('keep-alive decision: $name', (backend) => {
  let transport: HttpTransport | undefined;
  afterEach(async () => {
    await transport?.close({ force: true });
    transport = undefined;
  });
  const start = async (h: HttpRequestHandler, limits: Partial<HttpLimits> = {}) => {
    const s = await startHttp(backend.name, h, limits);
    transport = s.transport;
    return s.port;
  };
  // Answers after a timer: later pipelined requests are parsed before earlier answers go out.
  const later: HttpRequestHandler = (req, res) => {
    setTimeout(() => res.send(200, TEXT, req.url), 20);
  };

  it.skipIf(backend.skip)(`${title(backend)}: pipelined up to maxRequestsPerSocket, slow answers: each allowed request answered, then close`, async () => {
    const seen: string[] = [];
    const port = await start(
      (req, res) => {
        seen.push(req.url);
        later(req, res);
      },
      { maxRequestsPerSocket: 2 },
    );
    const c = await RawClient.connect(port);
    c.send(GET('/1') + GET('/2') + GET('/3'));
    await c.closedWithin();
    const rs = parseResponses(c.data);
    expect(rs.map((r) => `${r.status} ${r.body}`)).toEqual(['200 /1', '200 /2']);
    expect(rs[0]!.headers.connection).not.toBe('close');
    expect(rs[1]!.headers.connection).toBe('close');
    expect(seen).toEqual(['/1', '/2']);
  });

  it.skipIf(backend.skip)(`${title(backend)}: keepAliveTimeout 0: the first request is the last, pipelined ones never run`, async () => {
    const seen: string[] = [];
    const port = await start(
      (req, res) => {
        seen.push(req.url);
        later(req, res);
      },
      { keepAliveTimeout: 0 },
    );
    const c = await RawClient.connect(port);
    c.send(GET('/1') + GET('/2'));
    await c.closedWithin();
    const rs = parseResponses(c.data);
    expect(rs.map((r) => `${r.status} ${r.body} ${r.headers.connection}`)).toEqual(['200 /1 close']);
    expect(seen).toEqual(['/1']);
  });

  it.skipIf(backend.skip)(`${title(backend)}: an app's Connection header listing close ends keep-alive`, async () => {
    const port = await start((req, res) => res.send(200, { ...TEXT, connection: 'Upgrade, close' }, 'bye'));
    const c = await RawClient.connect(port);
    c.send(GET('/'));
    await c.closedWithin();
    expect(c.statuses()).toEqual([200]);
  });
});
