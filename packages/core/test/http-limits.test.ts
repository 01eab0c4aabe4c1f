// Limits with node:http/fastify defaults, each answered with its status and the connection closed.
import { describe, expect, it } from 'vitest';
import { GET, RawClient, httpBackends, httpServerPerTest, testHandler, title } from './http-helpers.js';

describe.each(httpBackends())('HTTP limits: $name', (backend) => {
  const serve = httpServerPerTest(backend);
  const start = (limits = {}) => serve(testHandler, limits);

  it.skipIf(backend.skip)(`${title(backend)}: head over 16 KiB → 431`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([431]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: more than maxHeaders (100) headers → 431`, async () => {
    const port = await start({ maxHeaders: 100 });
    const c = await RawClient.connect(port);
    let h = '';
    for (let i = 0; i < 101; i++) h += `X-H${i}: v\r\n`;
    c.send(`GET / HTTP/1.1\r\nHost: x\r\n${h}\r\n`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([431]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: exactly maxHeaders (100) headers pass`, async () => {
    const port = await start({ maxHeaders: 100 });
    const c = await RawClient.connect(port);
    let h = '';
    for (let i = 0; i < 98; i++) h += `X-H${i}: v\r\n`; // + Host + Connection = 100
    c.send(`GET /ok HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([200]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: 150 header fields (a proxied request) pass at the default limits`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    let h = '';
    for (let i = 0; i < 150; i++) h += `X-Forwarded-H${i}: v\r\n`;
    c.send(`GET /ok HTTP/1.1\r\nHost: x\r\n${h}Connection: close\r\n\r\n`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([200]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: URL over maxUrlLength → 414`, async () => {
    const port = await start({ maxUrlLength: 1024 });
    const c = await RawClient.connect(port);
    c.send(GET('/' + 'a'.repeat(2000)));
    await c.closedWithin();
    expect(c.statuses()).toEqual([414]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: Content-Length over bodyLimit → 413`, async () => {
    const port = await start({ bodyLimit: 1000 });
    const c = await RawClient.connect(port);
    c.send(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n${'a'.repeat(1001)}`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([413]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: chunked body over bodyLimit → 413`, async () => {
    const port = await start({ bodyLimit: 1000 });
    const c = await RawClient.connect(port);
    c.send(`POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n600\r\n${'a'.repeat(0x600)}\r\n0\r\n\r\n`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([413]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: body at exactly bodyLimit passes`, async () => {
    const port = await start({ bodyLimit: 1000 });
    const c = await RawClient.connect(port);
    c.send(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n${'b'.repeat(1000)}`);
    await c.closedWithin();
    expect(c.statuses()).toEqual([200]);
    expect(c.data.endsWith('b'.repeat(1000))).toBe(true);
  });

  it.skipIf(backend.skip)(`${title(backend)}: unsupported HTTP version → 505`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send('GET / HTTP/2.0\r\nHost: x\r\n\r\n');
    await c.closedWithin();
    expect(c.statuses()).toEqual([505]);
  });

  it.skipIf(backend.skip)(`${title(backend)}: error answers are JSON with a code and close the connection`, async () => {
    const port = await start();
    const c = await RawClient.connect(port);
    c.send('GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n');
    await c.closedWithin();
    expect(c.statuses()).toEqual([400]);
    const body = c.data.slice(c.data.indexOf('\r\n\r\n') + 4);
    expect(JSON.parse(body)).toMatchObject({ statusCode: 400, code: expect.stringMatching(/^RS_ERR_HTTP_/) });
    expect(c.data.toLowerCase()).toContain('connection: close');
  });
});
