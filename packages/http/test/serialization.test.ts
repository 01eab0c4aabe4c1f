/**
 * Response serialization by schema (fastify's semantics): by status code,
 * status class and default, per content type; custom serializer compilers;
 * reply.serializer() and setReplySerializer precedence; the reply's
 * serialization helpers. One real-socket check per backend at the end.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { describeAppBackends, useApps } from './app-backends.js';

const publicUser = { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } } as const;
const problem = { type: 'object', properties: { error: { type: 'string' } } } as const;

describe('response serialization by schema', () => {
  it('serializes with fast-json-stringify: unlisted fields are left out, types are as the schema says', async () => {
    const app = createApp();
    app.get('/', { schema: { response: { 200: publicUser } } }, () => ({ id: '7', name: 'ada', password: 'secret' }));
    const res = await app.inject('/');
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('{"id":7,"name":"ada"}');
  });

  it('picks the schema for the status: exact code, then class (2xx), then default', async () => {
    const app = createApp();
    const response = {
      200: publicUser,
      '4xx': problem,
      default: { type: 'object', properties: { fallback: { type: 'boolean' } } },
    };
    app.get('/:code', { schema: { response } }, (req, reply) => {
      reply.code(Number((req.params as { code: string }).code));
      return { id: 1, name: 'n', error: 'e', fallback: true, other: 1 };
    });
    expect((await app.inject('/200')).body).toBe('{"id":1,"name":"n"}');
    expect((await app.inject('/404')).body).toBe('{"error":"e"}');
    expect((await app.inject('/201')).body).toBe('{"fallback":true}');
    expect((await app.inject('/503')).body).toBe('{"fallback":true}');
  });

  it('uses JSON.stringify for statuses without a schema', async () => {
    const app = createApp();
    app.get('/', { schema: { response: { 200: publicUser } } }, (req, reply) => reply.code(202).send({ id: 1, extra: true }));
    expect((await app.inject('/')).body).toBe('{"id":1,"extra":true}');
  });

  it('selects by content type with response.<status>.content', async () => {
    const app = createApp();
    const response = {
      200: {
        content: {
          'application/json': { schema: publicUser },
          'application/vnd.short+json': { schema: { type: 'object', properties: { id: { type: 'integer' } } } },
        },
      },
    };
    app.get('/', { schema: { response } }, (req, reply) => {
      if (req.query && (req.query as { short?: string }).short) reply.type('application/vnd.short+json');
      return { id: 1, name: 'n' };
    });
    expect((await app.inject('/')).body).toBe('{"id":1,"name":"n"}');
    const short = await app.inject('/?short=1');
    expect(short.headers['content-type']).toBe('application/vnd.short+json');
    expect(short.body).toBe('{"id":1}');
  });

  it('resolves $ref to shared schemas in response schemas', async () => {
    const app = createApp();
    app.addSchema({ $id: 'user', ...publicUser });
    app.get('/', { schema: { response: { 200: { type: 'array', items: { $ref: 'user#' } } } } }, () => [
      { id: 1, name: 'a', x: 1 },
      { id: 2, name: 'b' },
    ]);
    expect((await app.inject('/')).body).toBe('[{"id":1,"name":"a"},{"id":2,"name":"b"}]');
  });

  it('rejects response keys that are not statuses, and schemas fast-json-stringify refuses, at ready()', async () => {
    expect(() => createApp().get('/', { schema: { response: { 200: { content: { 'application/json': {} } } } } }, () => '')).toThrow(
      expect.objectContaining({ code: 'FST_ERR_SCH_CONTENT_MISSING_SCHEMA' }),
    );
    const bad = createApp();
    bad.get('/', { schema: { response: { ok: publicUser } } }, () => '');
    await expect(bad.ready()).rejects.toMatchObject({ code: 'FST_ERR_SCH_RESPONSE_SCHEMA_NOT_NESTED_2XX' });
    const ref = createApp();
    ref.get('/', { schema: { response: { 200: { $ref: 'missing#' } } } }, () => '');
    await expect(ref.ready()).rejects.toMatchObject({ code: 'FST_ERR_SCH_SERIALIZATION_BUILD' });
  });

  it('shapes the default error answer with the response schema for its status, as fastify', async () => {
    const app = createApp();
    const errorSchema = { type: 'object', properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } };
    app.post('/', { schema: { body: { type: 'object', required: ['a'] }, response: { 200: publicUser, '4xx': errorSchema } } }, () => {
      throw Object.assign(new Error('nope'), { statusCode: 409, code: 'E_CONFLICT' });
    });
    const thrown = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    expect(thrown.statusCode).toBe(409);
    expect(thrown.json()).toEqual({ statusCode: 409, code: 'E_CONFLICT', message: 'nope' });
    const invalid = await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(invalid.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', message: "body must have required property 'a'" });
    // No schema for 5xx: fastify's whole default answer.
    const plain = createApp();
    plain.get('/', { schema: { response: { '4xx': errorSchema } } }, () => {
      throw new Error('boom');
    });
    expect((await plain.inject('/')).json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'boom' });
  });

  it('answers 500 FST_ERR_FAILED_ERROR_SERIALIZATION when the error schema cannot serialize the error', async () => {
    const app = createApp();
    app.get('/', { schema: { response: { '4xx': { type: 'object', required: ['missing'], properties: { missing: { type: 'string' } } } } } }, () => {
      throw Object.assign(new Error('bad'), { statusCode: 400 });
    });
    const res = await app.inject('/');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ statusCode: 500, code: 'FST_ERR_FAILED_ERROR_SERIALIZATION' });
  });

  it('serializes what a custom error handler sends with the schema for its status, as fastify', async () => {
    const app = createApp();
    app.setErrorHandler((err, req, reply) => reply.code(400).send({ error: err.message, stack: 'hidden' }));
    app.get('/', { schema: { response: { '4xx': problem } } }, () => {
      throw new Error('bad');
    });
    expect((await app.inject('/')).body).toBe('{"error":"bad"}');
  });

  it('setSerializerCompiler replaces fast-json-stringify, per scope; the route option wins', async () => {
    const app = createApp();
    const compiled: string[] = [];
    app.register(async (child) => {
      child.setSerializerCompiler(({ schema, method, url, httpStatus }) => {
        compiled.push(`${method} ${url} ${httpStatus}`);
        return (data) => `custom:${(schema as { title: string }).title}:${JSON.stringify(data)}`;
      });
      child.get('/child', { schema: { response: { 200: { title: 'T' } } } }, () => ({ a: 1 }));
      child.get('/route', { schema: { response: { 200: {} } }, serializerCompiler: () => () => 'route' }, () => ({ a: 1 }));
    });
    app.get('/root', { schema: { response: { 200: { type: 'object', properties: { a: { type: 'integer' } } } } } }, () => ({ a: 1, b: 2 }));
    await app.ready();
    // The automatic HEAD route is a route of its own, compiled too (as in fastify).
    expect(compiled).toEqual(['GET /child 200', 'HEAD /child 200']);
    expect((await app.inject('/child')).body).toBe('custom:T:{"a":1}');
    expect((await app.inject('/route')).body).toBe('route');
    expect((await app.inject('/root')).body).toBe('{"a":1}');
    expect(compiled).toHaveLength(2);
  });

  it('reply.serializer() wins over everything and keeps the content type the app set', async () => {
    const app = createApp();
    app.get('/', { schema: { response: { 200: publicUser } } }, (req, reply) =>
      reply
        .type('application/x-custom')
        .serializer((p) => `<${JSON.stringify(p)}>`)
        .send({ id: 1, z: 2 }),
    );
    const res = await app.inject('/');
    expect(res.headers['content-type']).toBe('application/x-custom');
    expect(res.body).toBe('<{"id":1,"z":2}>');
  });

  it('a reply serializer set with setReplySerializer takes precedence over response schemas, as fastify', async () => {
    const app = createApp();
    app.setReplySerializer((p) => `scope:${JSON.stringify(p)}`);
    app.get('/', { schema: { response: { 200: publicUser } } }, () => ({ id: 1, z: 2 }));
    expect((await app.inject('/')).body).toBe('scope:{"id":1,"z":2}');
  });

  it('reply.getSerializationFunction / compileSerializationSchema / serializeInput', async () => {
    const app = createApp();
    const schema = { type: 'object', properties: { x: { type: 'integer' } } };
    app.get('/', { schema: { response: { 200: publicUser, '4xx': { content: { 'application/json': { schema: problem } } } } } }, (req, reply) => {
      const byStatus = reply.getSerializationFunction(200)!;
      const byType = reply.getSerializationFunction('4xx', 'application/json')!;
      const compiled = reply.compileSerializationSchema(schema);
      reply.code(201); // no response schema: the result goes out as JSON.stringify makes it
      return {
        byStatus: byStatus({ id: 1, q: 1 }),
        byType: byType({ error: 'e', q: 1 }),
        same: reply.getSerializationFunction(schema) === compiled && reply.compileSerializationSchema(schema) === compiled,
        input: reply.serializeInput({ x: '5', y: 1 }, schema),
        inputByStatus: reply.serializeInput({ id: 2, q: 1 }, 200),
        missing: reply.getSerializationFunction(500) === undefined,
        thrown: (() => {
          try {
            reply.serializeInput({}, 500);
            return 'no';
          } catch (e) {
            return (e as { code: string }).code;
          }
        })(),
      };
    });
    const body = (await app.inject('/')).json();
    expect(body).toEqual({
      byStatus: '{"id":1}',
      byType: '{"error":"e"}',
      same: true,
      input: '{"x":5}',
      inputByStatus: '{"id":2}',
      missing: true,
      thrown: 'FST_ERR_MISSING_SERIALIZATION_FN',
    });
  });

  it('reply.serialize() follows the same precedence as send()', async () => {
    const app = createApp();
    app.get('/', { schema: { response: { 200: publicUser } } }, (req, reply) => reply.type('text/plain').send(reply.serialize({ id: 3, z: 1 })));
    expect((await app.inject('/')).body).toBe('{"id":3}');
  });
});

describeAppBackends('response serialization over a socket', (backend) => {
  const start = useApps();

  it('sends the schema-serialized body with its length', async () => {
    const port = await start(backend, (app) => app.get('/', { schema: { response: { '2xx': publicUser } } }, () => ({ id: 5, name: 'x', secret: 's' })));
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.headers.get('content-length')).toBe('19');
    expect(await res.text()).toBe('{"id":5,"name":"x"}');
  });
});
