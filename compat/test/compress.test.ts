/**
 * @fastify/compress 9: responses compressed by Accept-Encoding (br, gzip,
 * deflate, identity), the threshold, streams, reply.compress(), global and
 * per-route options, and request bodies decompressed (Content-Encoding) or
 * refused (415) as on fastify.
 */
import { expect, it } from 'vitest';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import compress from '@fastify/compress';
import { waitFor } from '../../packages/core/test/helpers.js';
import { describeCompat, expectSame, useSideBySide, type Answer, type Build } from './helpers.js';

const HEADERS = ['content-encoding', 'content-type', 'vary', 'content-length'];
const STREAM_HEADERS = ['content-encoding', 'content-type', 'vary'];

const text = 'ringside compresses this sentence. '.repeat(200);
const json = { items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item ${i}` })) };

function decode(a: Answer): string {
  switch (a.headers['content-encoding']) {
    case 'br':
      return zlib.brotliDecompressSync(a.bytes).toString();
    case 'gzip':
      return zlib.gunzipSync(a.bytes).toString();
    case 'deflate':
      return zlib.inflateSync(a.bytes).toString();
    default:
      return a.bytes.toString();
  }
}

const routes: Build = (app) => {
  app.get('/text', () => text);
  app.get('/json', () => json);
  app.get('/small', () => 'tiny');
  app.get('/buffer', (_req: any, reply: any) => reply.type('text/plain').send(Buffer.from(text)));
  app.get('/stream', (_req: any, reply: any) => reply.type('text/plain').send(Readable.from([text.slice(0, 3000), text.slice(3000)])));
  app.get('/manual', (_req: any, reply: any) => reply.type('text/plain').compress(Readable.from([text])));
  app.get('/image', (_req: any, reply: any) => reply.type('image/png').send(Buffer.from(text)));
  app.get('/off', { compress: false }, () => text);
  app.get('/route-gzip', { compress: { encodings: ['gzip'] } }, () => text);
  app.post('/echo', (req: any) => ({ got: req.body }));
};

const build =
  (options: object = {}): Build =>
  async (app) => {
    await app.register(compress, options);
    routes(app);
  };

describeCompat('@fastify/compress', (via) => {
  const start = useSideBySide(via);

  it('br, gzip, deflate and identity by Accept-Encoding, with Vary', async () => {
    const pair = await start(build());
    for (const enc of ['br', 'gzip', 'deflate', 'gzip;q=0.5, br;q=0.1', 'identity', '*', 'unknown']) {
      for (const url of ['/text', '/json', '/buffer']) {
        const res = await expectSame(pair, { url, headers: { 'accept-encoding': enc } }, HEADERS, { body: false });
        expect(decode(res), `${url} ${enc}`).toBe(url === '/json' ? JSON.stringify(json) : text);
      }
    }
    const br = await expectSame(pair, { url: '/text', headers: { 'accept-encoding': 'br' } }, HEADERS, { body: false });
    expect(br.headers['content-encoding']).toBe('br');
  });

  it('the threshold, and types that do not compress', async () => {
    const pair = await start(build({ threshold: 1024 }));
    expect((await expectSame(pair, { url: '/small', headers: { 'accept-encoding': 'gzip' } }, HEADERS)).headers['content-encoding']).toBeUndefined();
    expect((await expectSame(pair, { url: '/image', headers: { 'accept-encoding': 'gzip' } }, HEADERS)).headers['content-encoding']).toBeUndefined();
    expect((await expectSame(pair, { url: '/text', headers: { 'accept-encoding': 'gzip' } }, HEADERS, { body: false })).headers['content-encoding']).toBe(
      'gzip',
    );
  });

  it('streams and reply.compress()', async () => {
    const pair = await start(build());
    for (const url of ['/stream', '/manual']) {
      for (const enc of ['gzip', 'br', 'deflate']) {
        const res = await expectSame(pair, { url, headers: { 'accept-encoding': enc } }, STREAM_HEADERS, { body: false });
        expect(res.headers['content-encoding']).toBe(enc);
        expect(res.headers['content-length']).toBeUndefined();
        expect(decode(res)).toBe(text);
      }
      expect(decode(await expectSame(pair, { url }, STREAM_HEADERS, { body: false }))).toBe(text);
    }
  });

  it("HEAD: no body; the GET's headers (a difference from fastify, see the fastify plugins table in packages/http/README.md)", async () => {
    const pair = await start(build());
    // fastify's automatic HEAD route empties the payload in an onSend hook that runs before the
    // hooks @fastify/compress adds with onRoute, so its HEAD says neither Content-Encoding nor
    // Vary. Ringside's HEAD carries the headers its GET has (RFC 9110 §9.3.2).
    const head = await expectSame(pair, { method: 'HEAD', url: '/text', headers: { 'accept-encoding': 'gzip' } }, ['content-type']);
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const get = await pair.ringside.call({ url: '/text', headers: { 'accept-encoding': 'gzip' } });
    expect({ encoding: head.headers['content-encoding'], vary: head.headers.vary }).toEqual({
      encoding: get.headers['content-encoding'],
      vary: get.headers.vary,
    });
    expect(head.headers['content-encoding']).toBe('gzip');
  });

  it('per route: compress false, own encodings; global: false with reply.compress()', async () => {
    const pair = await start(build());
    expect((await expectSame(pair, { url: '/off', headers: { 'accept-encoding': 'gzip' } }, HEADERS)).headers['content-encoding']).toBeUndefined();
    expect(
      (await expectSame(pair, { url: '/route-gzip', headers: { 'accept-encoding': 'br, gzip' } }, HEADERS, { body: false })).headers['content-encoding'],
    ).toBe('gzip');
    const local = await start(build({ global: false }));
    expect((await expectSame(local, { url: '/text', headers: { 'accept-encoding': 'gzip' } }, HEADERS)).headers['content-encoding']).toBeUndefined();
    expect(decode(await expectSame(local, { url: '/manual', headers: { 'accept-encoding': 'gzip' } }, STREAM_HEADERS, { body: false }))).toBe(text);
  });

  it('request bodies: gzip, deflate and br decompressed; an unknown encoding 415; a corrupt one 400', async () => {
    const pair = await start(build());
    const body = JSON.stringify({ hello: 'world', n: 42 });
    const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync };
    for (const [enc, fn] of Object.entries(encoders)) {
      const res = await expectSame(
        pair,
        { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json', 'content-encoding': enc }, body: fn(Buffer.from(body)) },
        ['content-type'],
      );
      expect(JSON.parse(res.body)).toEqual({ got: { hello: 'world', n: 42 } });
    }
    expect(
      (
        await expectSame(pair, { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json', 'content-encoding': 'zstd-x' }, body }, [
          'content-type',
        ])
      ).status,
    ).toBe(415);
    expect(
      (
        await expectSame(
          pair,
          { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: Buffer.from('not gzip at all') },
          ['content-type'],
        )
      ).status,
    ).toBe(400);
  });

  it('a compressed request body that inflates past bodyLimit is refused 413', async () => {
    const pair = await start(build(), { bodyLimit: 64 * 1024 });
    // 4 MiB of zeros in ~4 KiB of gzip: the limit applies to the inflated bytes.
    const bomb = zlib.gzipSync(Buffer.from(JSON.stringify({ z: '0'.repeat(4 * 1024 * 1024) })));
    const res = await expectSame(
      pair,
      { method: 'POST', url: '/echo', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: bomb },
      ['content-type'],
    );
    expect(res.status).toBe(413);
  });

  it('a client that leaves a compressed endless stream: the source is destroyed, the server serves on', async () => {
    if (via === 'inject') return;
    let destroyed = 0;
    const pair = await start(async (app) => {
      await build()(app);
      app.get('/endless', (_req: any, reply: any) => {
        const source = new Readable({
          read() {
            this.push(randomBytes(16 * 1024));
          },
        });
        source.on('close', () => {
          destroyed++;
        });
        reply.type('text/plain').send(source);
      });
    });
    const port = pair.ringside.app.address().port;
    for (const enc of ['gzip', 'br']) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write(`GET /endless HTTP/1.1\r\nHost: x\r\nAccept-Encoding: ${enc}\r\n\r\n`));
        let got = 0;
        s.on('data', (d) => {
          got += d.length;
          if (got > 256 * 1024) s.destroy();
        });
        s.on('close', () => resolve());
        s.on('error', () => {});
      });
    }
    await waitFor(() => destroyed === 2, 5000, 'both endless sources to be destroyed');
    expect(decode(await pair.ringside.call({ url: '/text', headers: { 'accept-encoding': 'gzip' } }))).toBe(text);
  });
});
