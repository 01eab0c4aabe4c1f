import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp, nullLogger } from '../src/index.js';

function sink(): { lines: Record<string, any>[]; stream: Writable } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(c, e, cb) {
      for (const l of String(c).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('logging', () => {
  it('is off by default: app.log and req.log are the no-op logger', async () => {
    const app = createApp();
    let reqLog: unknown;
    app.get('/', (req) => {
      reqLog = req.log;
      req.log.info('nothing');
      return 'ok';
    });
    await app.inject('/');
    expect(app.log).toBe(nullLogger);
    expect(reqLog).toBe(nullLogger);
    expect(nullLogger.child({})).toBe(nullLogger);
  });

  it('logs one "request completed" line per request with reqId, statusCode and responseTime (pino instance)', async () => {
    const { lines, stream } = sink();
    const app = createApp({ logger: pino(stream) });
    app.get('/', (req) => {
      req.log.info({ custom: 1 }, 'inside handler');
      return 'ok';
    });
    app.get('/missing', (req, reply) => reply.code(404).send('no'));
    await app.inject('/');
    await app.inject('/missing');
    await tick();
    const done = lines.filter((l) => l.msg === 'request completed');
    expect(done).toHaveLength(2);
    expect(done[0]).toMatchObject({ level: 30, reqId: 'req-1', statusCode: 200, method: 'GET', url: '/' });
    expect(typeof done[0]!.responseTime).toBe('number');
    expect(done[0]!.responseTime).toBeGreaterThanOrEqual(0);
    expect(done[1]).toMatchObject({ reqId: 'req-2', statusCode: 404 });
    expect(lines.find((l) => l.msg === 'inside handler')).toMatchObject({ reqId: 'req-1', custom: 1 });
  });

  it('accepts pino options with a stream, and logger: true', async () => {
    const { lines, stream } = sink();
    const app = createApp({ logger: { level: 'debug', stream } });
    app.get('/', (req) => {
      req.log.debug('debug line');
      return 'ok';
    });
    await app.inject('/');
    await tick();
    expect(lines.some((l) => l.msg === 'debug line' && l.level === 20)).toBe(true);
    expect(lines.some((l) => l.msg === 'request completed')).toBe(true);
    expect(() => createApp({ logger: true })).not.toThrow();
  });

  it('uses genReqId for request ids', async () => {
    const { lines, stream } = sink();
    let n = 100;
    const app = createApp({ logger: pino(stream), genReqId: (raw) => `${String(raw.headers['x-request-id'] ?? 'gen')}-${n++}` });
    app.get('/', (req) => req.id);
    expect((await app.inject({ url: '/', headers: { 'x-request-id': 'abc' } })).body).toBe('abc-100');
    await tick();
    expect(lines.find((l) => l.msg === 'request completed')?.reqId).toBe('abc-100');
  });

  it('default ids count requests: req-1, req-2, …', async () => {
    const app = createApp();
    app.get('/', (req) => req.id);
    expect((await app.inject('/')).body).toBe('req-1');
    expect((await app.inject('/')).body).toBe('req-2');
  });

  it('a silent pino instance disables the per-request work', async () => {
    const { lines, stream } = sink();
    const app = createApp({ logger: pino({ level: 'silent' }, stream) });
    app.get('/', () => 'ok');
    await app.inject('/');
    await tick();
    expect(lines).toHaveLength(0);
  });
});
