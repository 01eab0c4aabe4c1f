/**
 * @fastify/under-pressure 9: the status route (with its response schemas),
 * 503 + Retry-After while a health check fails, under heap pressure, and a
 * per-route pressureHandler; app.memoryUsage() and app.isUnderPressure().
 */
import { expect, it } from 'vitest';
import underPressure from '@fastify/under-pressure';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const HEADERS = ['content-type', 'retry-after'];

function health(state: { healthy: boolean }): Build {
  return async (app) => {
    await app.register(underPressure, {
      exposeStatusRoute: '/status',
      healthCheck: async () => state.healthy && { db: 'up', secret: 'not in the schema' },
      retryAfter: 5,
    });
    app.get('/', () => 'ok');
  };
}

const heap: Build = async (app) => {
  await app.register(underPressure, { maxHeapUsedBytes: 1, sampleInterval: 10, pressureHandler: undefined });
  app.get('/', () => 'never');
  app.get('/custom', { config: { pressureHandler: (_req: any, reply: any, type: string) => reply.code(200).send({ handled: type }) } }, () => 'handler');
};

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describeCompat('@fastify/under-pressure', (via) => {
  const start = useSideBySide(via);

  it('the status route follows the health check', async () => {
    const state = { healthy: true };
    const pair = await start(health(state));
    const ok = await expectSame(pair, { url: '/status' }, HEADERS);
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok' });
    state.healthy = false;
    const down = await expectSame(pair, { url: '/status' }, HEADERS);
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(JSON.parse(down.body)).toEqual({ code: 'FST_UNDER_PRESSURE', error: 'Service Unavailable', message: 'Service Unavailable', statusCode: 503 });
  });

  it('a health check failing at start-up answers every request 503', async () => {
    const pair = await start(health({ healthy: false }));
    const res = await expectSame(pair, { url: '/' }, HEADERS);
    expect(res.status).toBe(503);
    expect(pair.ringside.app.isUnderPressure()).toBe(true);
  });

  it("heap pressure: 503, or what the route's pressureHandler sends", async () => {
    const pair = await start(heap);
    await waitFor(() => pair.fastify.app.memoryUsage().heapUsed > 0 && pair.ringside.app.memoryUsage().heapUsed > 0);
    const res = await expectSame(pair, { url: '/' }, HEADERS);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('10');
    expect(JSON.parse((await expectSame(pair, { url: '/custom' }, HEADERS)).body)).toEqual({ handled: 'heapUsedBytes' });
  });
});
