/**
 * @fastify/etag 6: an ETag on every answer (strong by default, weak when
 * asked), 304 for a matching If-None-Match, none on a route that set its own.
 */
import { expect, it } from 'vitest';
import etag from '@fastify/etag';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

// Not content-length: on a 304 fastify sends `Content-Length: 0`; Ringside sends none
// (RFC 9110 §8.6: a 304's Content-Length would be the selected representation's).
const HEADERS = ['etag', 'content-type'];

const build =
  (options: object): Build =>
  async (app) => {
    await app.register(etag, options);
    app.get('/json', () => ({ hello: 'world' }));
    app.get('/text', () => 'some text');
    app.get('/own', (_req: any, reply: any) => {
      reply.header('etag', '"mine"');
      return 'own';
    });
  };

describeCompat('@fastify/etag', (via) => {
  const start = useSideBySide(via);

  it('strong tags and 304', async () => {
    const pair = await start(build({}));
    const first = await expectSame(pair, { url: '/json' }, HEADERS);
    expect(first.headers.etag).toMatch(/^"/);
    const again = await expectSame(pair, { url: '/json', headers: { 'if-none-match': first.headers.etag as string } }, HEADERS);
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    expect((await expectSame(pair, { url: '/text', headers: { 'if-none-match': '"other"' } }, HEADERS)).status).toBe(200);
    expect((await expectSame(pair, { url: '/own', headers: { 'if-none-match': '"mine"' } }, HEADERS)).status).toBe(304);
  });

  it('weak tags with the fnv1a algorithm', async () => {
    const pair = await start(build({ weak: true, algorithm: 'fnv1a' }));
    const res = await expectSame(pair, { url: '/text' }, HEADERS);
    expect(res.headers.etag).toMatch(/^W\/"/);
    expect((await expectSame(pair, { url: '/text', headers: { 'if-none-match': res.headers.etag as string } }, HEADERS)).status).toBe(304);
  });
});
