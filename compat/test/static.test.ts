/**
 * @fastify/static 10: files, ranges, conditional GET (ETag / If-None-Match,
 * Last-Modified), HEAD, directory index, reply.sendFile / reply.download,
 * path traversal refused, a large file streamed with bounded memory.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import fastifyStatic from '@fastify/static';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';
import { rawExchange } from '../../packages/http/test/app-backends.js';
import { countFds, waitFor } from '../../packages/core/test/helpers.js';

const HEADERS = [
  'content-type',
  'content-length',
  'etag',
  'last-modified',
  'accept-ranges',
  'content-range',
  'cache-control',
  'content-disposition',
  'location',
];

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rs-static-'));
  writeFileSync(join(root, 'hello.txt'), 'hello static world\n');
  writeFileSync(join(root, 'index.html'), '<h1>index</h1>\n');
  writeFileSync(join(root, 'data.json'), '{"a":1}');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'index.html'), '<h1>sub</h1>\n');
  writeFileSync(join(root, 'sub', 'note.txt'), 'sub note');
  // 8 MiB: several high-water marks, streamed in chunks.
  const big = Buffer.alloc(8 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  writeFileSync(join(root, 'big.bin'), big);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const build =
  (options: object = {}): Build =>
  async (app) => {
    await app.register(fastifyStatic, { root, ...options });
    app.get('/send/:name', (req: any, reply: any) => reply.sendFile(req.params.name));
    app.get('/send-nocache', (_req: any, reply: any) => reply.sendFile('hello.txt', { cacheControl: false }));
    app.get('/download', (_req: any, reply: any) => reply.download('hello.txt'));
    app.get('/download-as', (_req: any, reply: any) => reply.download('data.json', 'report.json'));
  };

describeCompat('@fastify/static', (via) => {
  const start = useSideBySide(via);

  it('serves files with their type, length, etag and last-modified', async () => {
    const pair = await start(build());
    const res = await expectSame(pair, { url: '/hello.txt' }, HEADERS);
    expect(res.status).toBe(200);
    expect(res.body).toBe('hello static world\n');
    await expectSame(pair, { url: '/data.json' }, HEADERS);
    expect((await expectSame(pair, { url: '/missing.txt' }, ['content-type'])).status).toBe(404);
  });

  it('HEAD: the same headers, no body', async () => {
    const pair = await start(build());
    const res = await expectSame(pair, { method: 'HEAD', url: '/hello.txt' }, HEADERS);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('19');
    expect(res.body).toBe('');
  });

  it('ranges: 206 with Content-Range, 416 when unsatisfiable', async () => {
    const pair = await start(build());
    const part = await expectSame(pair, { url: '/hello.txt', headers: { range: 'bytes=0-4' } }, HEADERS);
    expect(part.status).toBe(206);
    expect(part.body).toBe('hello');
    expect((await expectSame(pair, { url: '/hello.txt', headers: { range: 'bytes=-6' } }, HEADERS)).status).toBe(206);
    expect((await expectSame(pair, { url: '/hello.txt', headers: { range: 'bytes=100-200' } }, HEADERS)).status).toBe(416);
  });

  it('304 for a matching If-None-Match or If-Modified-Since', async () => {
    const pair = await start(build());
    const first = await pair.ringside.call({ url: '/hello.txt' });
    const tag = first.headers.etag as string;
    const again = await expectSame(pair, { url: '/hello.txt', headers: { 'if-none-match': tag } }, ['etag', 'content-type']);
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const since = await expectSame(pair, { url: '/hello.txt', headers: { 'if-modified-since': first.headers['last-modified'] as string } }, ['etag']);
    expect(since.status).toBe(304);
    expect((await expectSame(pair, { url: '/hello.txt', headers: { 'if-none-match': '"other"' } }, HEADERS)).status).toBe(200);
  });

  it('directory index and redirect', async () => {
    const pair = await start(build({ redirect: true }));
    const index = await expectSame(pair, { url: '/' }, HEADERS);
    expect(index.body).toBe('<h1>index</h1>\n');
    const redirect = await expectSame(pair, { url: '/sub' }, HEADERS);
    expect(redirect.status).toBe(301);
    expect((await expectSame(pair, { url: '/sub/' }, HEADERS)).body).toBe('<h1>sub</h1>\n');
  });

  it('reply.sendFile and reply.download', async () => {
    const pair = await start(build({ serve: false }));
    expect((await expectSame(pair, { url: '/send/hello.txt' }, HEADERS)).body).toBe('hello static world\n');
    await expectSame(pair, { url: '/send-nocache' }, HEADERS);
    const dl = await expectSame(pair, { url: '/download' }, HEADERS);
    expect(dl.headers['content-disposition']).toMatch(/attachment/);
    expect((await expectSame(pair, { url: '/download-as' }, HEADERS)).headers['content-disposition']).toMatch(/report\.json/);
    expect((await expectSame(pair, { url: '/hello.txt' }, ['content-type'])).status).toBe(404);
  });

  it('path traversal is refused', async () => {
    const pair = await start(build({ prefix: '/static/' }));
    for (const url of [
      '/static/../package.json',
      '/static/%2e%2e/%2e%2e/etc/passwd',
      '/static/..%2f..%2fetc%2fpasswd',
      '/static/sub/../../x',
      '/send/..%2f..%2fetc%2fpasswd',
    ]) {
      const res = await expectSame(pair, { url }, ['content-type'], { body: false });
      expect(res.status, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toMatch(/root:/);
    }
  });

  it('a large file is served whole and identical', async () => {
    const pair = await start(build());
    const res = await expectSame(pair, { url: '/big.bin', method: 'HEAD' }, HEADERS);
    expect(res.headers['content-length']).toBe(String(8 * 1024 * 1024));
    if (via === 'inject') return;
    const base = `http://127.0.0.1:${pair.ringside.app.address().port}`;
    const got = Buffer.from(await (await request(base + '/big.bin')).body.arrayBuffer());
    expect(got.length).toBe(8 * 1024 * 1024);
    let ok = true;
    for (let i = 0; i < got.length; i += 4093) if (got[i] !== i % 251) ok = false;
    expect(ok).toBe(true);
  });

  it('raw traversal bytes on the socket (no client normalizing the path) are refused', async () => {
    if (via === 'inject') return;
    const pair = await start(build({ prefix: '/static/' }));
    const port = pair.ringside.app.address().port;
    for (const path of [
      '/static/../../../../etc/passwd',
      '/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/static/..%2f..%2f..%2fetc%2fpasswd',
      '/static/sub/..\\..\\x',
      '/static/%00hello.txt',
    ]) {
      const res = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, () => false);
      expect(res, path).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(res).not.toMatch(/root:/);
    }
  });

  it('a client that leaves mid-file: the file is closed, the server keeps serving', async () => {
    if (via === 'inject') return;
    const pair = await start(build());
    const port = pair.ringside.app.address().port;
    await request(`http://127.0.0.1:${port}/hello.txt`).then((r) => r.body.text());
    const before = countFds();
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n'));
        let got = 0;
        s.on('data', (d) => {
          got += d.length;
          if (got > 64 * 1024) s.destroy();
        });
        s.on('close', () => resolve());
        s.on('error', () => {});
      });
    }
    await waitFor(() => countFds() <= before, 5000, 'file and socket fds to be closed');
    const after = await request(`http://127.0.0.1:${port}/hello.txt`);
    expect(await after.body.text()).toBe('hello static world\n');
  });

  it('a client that does not read holds the file back: what is read from disk stays bounded', async () => {
    if (via === 'inject') return;
    const size = 48 * 1024 * 1024;
    writeFileSync(join(root, 'huge.bin'), Buffer.alloc(size, 9));
    let pulled = 0;
    const pair = await start(async (app) => {
      await build()(app);
      // Counts the bytes taken from the file stream: back-pressure from the socket must stop it.
      app.addHook('onSend', (_req: any, _reply: any, payload: any, done: any) => {
        if (payload === null || typeof payload?.pipe !== 'function') return done(null, payload);
        const counter = new PassThrough();
        counter.on('data', (c: Buffer) => {
          pulled += c.length;
        });
        done(null, payload.pipe(counter));
      });
    });
    pulled = 0;
    const port = pair.ringside.app.address().port;
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.pause();
    s.write('GET /huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    // Until nothing more is taken for 300 ms (bounded wait).
    let last = -1;
    for (let i = 0; i < 100 && pulled !== last; i++) {
      last = pulled;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(pulled).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(size / 2);
    // Reading resumes the file to its end.
    let got = 0;
    await new Promise<void>((resolve) => {
      s.on('data', (d) => {
        got += d.length;
      });
      s.on('close', () => resolve());
      s.resume();
    });
    expect(got).toBeGreaterThan(size);
    expect(pulled).toBe(size);
  });
});
