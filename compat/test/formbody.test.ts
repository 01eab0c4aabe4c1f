/**
 * @fastify/formbody 9: application/x-www-form-urlencoded bodies parsed by
 * the plugin's parser (its own parser, its bodyLimit option), beside JSON.
 */
import { expect, it } from 'vitest';
import formbody from '@fastify/formbody';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const build: Build = async (app) => {
  await app.register(formbody, { bodyLimit: 100 });
  app.post('/', (req: any) => ({ body: req.body }));
};

const customParser: Build = async (app) => {
  await app.register(formbody, { parser: (text: string) => ({ raw: text }) });
  app.post('/', (req: any) => req.body);
  app.post('/big', { bodyLimit: 10 }, (req: any) => req.body);
};

describeCompat('@fastify/formbody', (via) => {
  const start = useSideBySide(via);

  it("parses form bodies; the plugin's bodyLimit answers 413", async () => {
    const pair = await start(build);
    const res = await expectSame(pair, { method: 'POST', url: '/', headers: FORM, body: 'a=1&b=x%20y&b=z&c' }, ['content-type']);
    expect(JSON.parse(res.body)).toEqual({ body: { a: '1', b: ['x y', 'z'], c: '' } });
    await expectSame(pair, { method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: 'q=%E2%9C%93' }, [
      'content-type',
    ]);
    const big = await expectSame(pair, { method: 'POST', url: '/', headers: FORM, body: 'a=' + 'x'.repeat(200) }, ['content-type']);
    expect(big.status).toBe(413);
    await expectSame(pair, { method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }, ['content-type']);
  });

  it('a custom parser; a route bodyLimit still applies', async () => {
    const pair = await start(customParser);
    expect(JSON.parse((await expectSame(pair, { method: 'POST', url: '/', headers: FORM, body: 'a=1' }, ['content-type'])).body)).toEqual({ raw: 'a=1' });
    expect((await expectSame(pair, { method: 'POST', url: '/big', headers: FORM, body: 'a=12345678901' }, ['content-type'])).status).toBe(413);
  });
});

it('@fastify/formbody: without the plugin a form body is 415, as on fastify', async () => {
  const { default: Fastify } = await import('fastify');
  const { createApp } = await import('@ringside/http');
  const statuses: number[] = [];
  for (const app of [Fastify(), createApp()] as any[]) {
    app.post('/', (req: any) => req.body);
    const res = await app.inject({ method: 'POST', url: '/', headers: FORM, payload: 'a=1' });
    statuses.push(res.statusCode);
    await app.close();
  }
  expect(statuses).toEqual([415, 415]);
});
