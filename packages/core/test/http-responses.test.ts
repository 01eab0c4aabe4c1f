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

  it.skipIf(backend.skip)(`${title(backend)}: short bodies are framed by their UTF-8 bytes, repeated or after ASCII ones of as many characters`, async () => {
    // io_uring frames a short string as ASCII and checks it while copying it: a non-ASCII one is framed again.
    const bodies: Record<string, string> = { '/u': 'h\u00e9llo \u2603', '/a': 'hello !!', '/s': '\ud83d\ude00!', '/x': 'x'.repeat(256) + '\u00e9' };
    const port = await start((req, res) => res.send(200, TEXT, bodies[req.url]!));
    const paths = ['/u', '/u', '/a', '/u', '/a', '/a', '/s', '/s', '/u', '/x', '/x', '/a'];
    const c = await RawClient.connect(port);
    c.send(paths.map((p) => GET(p)).join('') + GET('/a', 'Connection: close\r\n'));
    await c.closedWithin();
    const rs = parseResponses(c.data);
    expect(rs.length).toBe(paths.length + 1);
    rs.slice(0, paths.length).forEach((r, i) => {
      const want = Buffer.from(bodies[paths[i]!]!);
      expect(Buffer.from(r.body, 'latin1').equals(want), paths[i]).toBe(true);
      expect(Number(r.headers['content-length'])).toBe(want.length);
    });
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

  it.skipIf(backend.skip)(`${title(backend)}: heads and bodies of every size and encoding, and answers held behind a slow one, are framed right`, async () => {
    // io_uring assembles a response in a 16 KiB scratch: these cross its edges (a larger head grows it, a larger body goes on its own).
    const bodies: Record<string, string | Buffer> = {
      '/ascii': 'x',
      '/empty': '',
      '/utf8-short': 'héllo ☃ 😀',
      '/utf8-long': 'é'.repeat(5000) + '☃',
      '/big-string': 'a'.repeat(40000),
      '/buf-small': Buffer.from([0, 1, 2, 255]),
      '/buf-big': Buffer.alloc(50000, 7),
      '/big-head': 'ok',
      '/after-big': 'ok',
      '/n1': 'one',
      '/n2': 'two',
      '/date': 'dated',
      '/list': 'listed',
      '/fast1': 'first',
      '/fast2': 'second!',
    };
    const headersOf = (u: string) => {
      if (u === '/big-head') return { ...TEXT, 'x-big': 'v'.repeat(20000) };
      if (u === '/n1' || u === '/n2') return { ...TEXT, 'x-n': u };
      if (u === '/date') return { ...TEXT, date: 'Thu, 01 Jan 1970 00:00:00 GMT' };
      if (u === '/list') return { ...TEXT, 'x-list': ['a', 'b'] };
      return TEXT;
    };
    let slow: (() => void) | undefined;
    const port = await start((req, res) => {
      const u = req.url;
      if (u === '/slow') slow = () => res.send(200, TEXT, 'slow');
      else res.send(200, headersOf(u), bodies[u]!);
      if (u === '/fast2') setTimeout(() => slow?.(), 20);
    });
    const paths = [...Object.keys(bodies).filter((p) => !p.startsWith('/fast')), '/slow', '/fast1', '/fast2'];
    const c = await RawClient.connect(port);
    c.send(paths.map((p) => GET(p)).join(''));
    await c.until((d) => d.endsWith('second!'));
    c.close();
    const rs = parseResponses(c.data);
    expect(rs.map((r) => r.status)).toEqual(paths.map(() => 200));
    rs.forEach((r, i) => {
      const want = bodies[paths[i]!] ?? 'slow';
      const bytes = Buffer.from(r.body, 'latin1');
      expect(bytes.equals(typeof want === 'string' ? Buffer.from(want) : want), paths[i]).toBe(true);
      expect(Number(r.headers['content-length'])).toBe(bytes.length);
    });
    expect(rs[paths.indexOf('/big-head')]!.headers['x-big']).toBe('v'.repeat(20000));
    expect(rs[paths.indexOf('/after-big')]!.headers['x-big']).toBeUndefined();
    expect(rs[paths.indexOf('/n2')]!.headers['x-n']).toBe('/n2');
    // The app's Date replaces the transport's; a list header is one line per value.
    const headOf = (after: string) => {
      const at = c.data.indexOf('HTTP/1.1 200', c.data.indexOf(after));
      return c.data.slice(at, c.data.indexOf('\r\n\r\n', at));
    };
    expect(headOf('x-n: /n2').match(/^date: .*$/gim)).toEqual(['date: Thu, 01 Jan 1970 00:00:00 GMT']);
    expect(headOf('dated').match(/^x-list: .*$/gim)).toEqual(['x-list: a', 'x-list: b']);
  });

  it.skipIf(backend.skip)(`${title(backend)}: an answer repeated after others on other connections (no body, longer framing, streaming) is whole`, async () => {
    // io_uring keeps the previous answer's bytes and reuses the parts that repeat: what came between must not leave stale bytes.
    const port = await start((req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, TEXT);
        res.write('streamed');
        res.end();
      } else res.send(200, TEXT, req.url === '/b' ? 'bravo' : 'alpha');
    });
    const c1 = await RawClient.connect(port);
    const ask = async (c: RawClient, request: string, until: string) => {
      const from = c.data.length;
      c.send(request);
      await c.until((d) => d.slice(from).includes(until));
      return c.data.slice(from);
    };
    const twice = GET('/a');
    expect(parseResponses(await ask(c1, twice, 'alpha'))[0]!.body).toBe('alpha');
    const c2 = await RawClient.connect(port);
    const head = await ask(c2, 'HEAD /a HTTP/1.0\r\n\r\n', '\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 /);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    expect(parseResponses(await ask(c1, twice, 'alpha'))[0]!.body).toBe('alpha');
    const c3 = await RawClient.connect(port);
    expect(await ask(c3, GET('/stream'), '0\r\n\r\n')).toContain('streamed');
    expect(parseResponses(await ask(c1, twice, 'alpha'))[0]!.body).toBe('alpha');
    expect(parseResponses(await ask(c1, GET('/b'), 'bravo'))[0]!.body).toBe('bravo');
    const last = parseResponses(await ask(c1, twice, 'alpha'));
    expect(last.map((r) => `${r.status} ${r.headers['content-length']} ${r.body}`)).toEqual(['200 5 alpha']);
    for (const c of [c1, c2, c3]) c.close();
  });
});
