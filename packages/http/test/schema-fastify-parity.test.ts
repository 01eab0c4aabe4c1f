/**
 * Differential check: the same app (schemas, content types, payloads) built
 * on fastify 5 and on Ringside answers the same requests with the same
 * status, content type and body bytes, through inject().
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';

const schema = {
  body: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 }, email: { type: 'string', format: 'email' } },
    additionalProperties: false,
  },
  querystring: { type: 'object', properties: { page: { type: 'integer', default: 1 }, tags: { type: 'array', items: { type: 'string' } } } },
  headers: { type: 'object', properties: { 'X-Num': { type: 'integer' } } },
  params: { type: 'object', properties: { id: { type: 'integer' } } },
  response: {
    200: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer' },
        q: { type: 'object', additionalProperties: true },
        id: { type: 'integer' },
        h: { type: 'integer' },
      },
    },
  },
};

interface Routes {
  post(path: string, opts: object, handler: (req: any) => unknown): unknown;
  post(path: string, handler: (req: any) => unknown): unknown;
  get(path: string, handler: (req: any) => unknown): unknown;
}

/** The one app, written once against the API both frameworks share. */
function build<T extends Routes>(app: T, withErrorSchema: boolean): T {
  const response = withErrorSchema
    ? { ...schema.response, '4xx': { type: 'object', properties: { error: { type: 'string' }, message: { type: 'string' } } } }
    : schema.response;
  app.post('/u/:id', { schema: { ...schema, response } }, (req) => ({ ...req.body, q: req.query, id: req.params.id, h: req.headers['x-num'], secret: 1 }));
  app.post('/raw', (req) => req.body ?? null);
  app.get('/typed', () => new Uint16Array([1, 2]));
  app.get('/view', () => new DataView(new Uint8Array([1, 2, 3]).buffer, 1));
  app.get('/response', () => new Response('hi', { status: 201, headers: { 'x-a': 'b', 'content-type': 'text/x-hi' } }));
  return app;
}

const json = { 'content-type': 'application/json' };
const CASES: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string }[] = [
  { method: 'POST', url: '/u/1?tags=a', headers: { ...json, 'x-num': '5' }, payload: '{"name":"a","age":"3","extra":1}' },
  { method: 'POST', url: '/u/x', headers: json, payload: '{"name":"a"}' },
  { method: 'POST', url: '/u/1', headers: json, payload: '{"age":-1}' },
  { method: 'POST', url: '/u/1', headers: json, payload: '{"name":{},"age":1}' },
  { method: 'POST', url: '/u/1?page=x', headers: json, payload: '{"name":"a"}' },
  { method: 'POST', url: '/u/1', headers: { ...json, 'x-num': 'q' }, payload: '{"name":"a"}' },
  { method: 'POST', url: '/u/1', headers: json, payload: '{"name":"a","email":"nope"}' },
  { method: 'POST', url: '/u/1', headers: json, payload: '{"__proto__":{"a":1}}' },
  { method: 'POST', url: '/u/1', headers: json, payload: '{"a":{"constructor":{"prototype":{"b":1}}}}' },
  { method: 'POST', url: '/u/1', headers: json, payload: '{"a":' },
  { method: 'POST', url: '/u/1', headers: { ...json, 'content-length': '0' } },
  { method: 'POST', url: '/raw', headers: { 'content-type': 'application/xml' }, payload: '<a/>' },
  { method: 'POST', url: '/raw', headers: {}, payload: 'abc' },
  { method: 'POST', url: '/raw', headers: { 'content-type': 'bad type' }, payload: 'abc' },
  { method: 'POST', url: '/raw', headers: { 'content-type': 'text/plain' }, payload: 'abc' },
  { method: 'GET', url: '/typed' },
  { method: 'GET', url: '/view' },
  { method: 'GET', url: '/response' },
];

describe.each([false, true])('the same app on fastify and on Ringside (4xx response schema: %s)', (withErrorSchema) => {
  it('answers every request identically', async () => {
    const fastify = build(Fastify() as unknown as Routes, withErrorSchema) as unknown as ReturnType<typeof Fastify>;
    const ringside = build(createApp() as unknown as Routes, withErrorSchema) as unknown as ReturnType<typeof createApp>;
    try {
      for (const c of CASES) {
        const [a, b] = [await fastify.inject(c), await ringside.inject(c)];
        const seen = (r: { statusCode: number; headers: Record<string, unknown>; body: string }) => ({
          status: r.statusCode,
          type: r.headers['content-type'],
          xa: r.headers['x-a'],
          body: r.body,
        });
        expect(seen(b), `${c.method} ${c.url} ${c.payload ?? ''}`).toEqual(seen(a));
      }
    } finally {
      await fastify.close();
      await ringside.close();
    }
  });
});
