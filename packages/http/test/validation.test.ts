/**
 * Request validation by JSON schema (fastify's semantics): body, querystring,
 * params and headers; fastify's 400 answer; shared schemas with $ref and
 * their encapsulation; custom validator compilers and error formatters;
 * attachValidation. One real-socket check per backend at the end.
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { describeAppBackends, useApps } from './app-backends.js';

const user = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 }, role: { type: 'string', default: 'member' } },
  additionalProperties: false,
} as const;

function json(payload: unknown): { method: 'POST'; url: string; headers: Record<string, string>; payload: string } {
  return { method: 'POST', url: '/', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) };
}

describe('schema validation', () => {
  it('validates the body with ajv and fastify defaults: defaults filled, additional properties removed, types coerced', async () => {
    const app = createApp();
    app.post('/', { schema: { body: user } }, (req) => req.body);
    const ok = await app.inject(json({ name: 'ada', age: '36', extra: true }));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ name: 'ada', age: 36, role: 'member' });
  });

  it("answers fastify's 400 body for an invalid body", async () => {
    const app = createApp();
    let called = false;
    app.post('/', { schema: { body: user } }, () => {
      called = true;
      return 'no';
    });
    const missing = await app.inject(json({ age: 3 }));
    expect(missing.statusCode).toBe(400);
    expect(missing.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(missing.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: "body must have required property 'name'" });
    const wrongType = await app.inject(json({ name: { first: 'a' } }));
    expect(wrongType.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/name must be string' });
    const below = await app.inject(json({ name: 'a', age: -1 }));
    expect(below.json().message).toBe('body/age must be >= 0');
    const none = await app.inject({ method: 'POST', url: '/' });
    expect(none.json().message).toBe('body must be object');
    expect(called).toBe(false);
  });

  it('validates and coerces the querystring (query is an alias), arrays included', async () => {
    const app = createApp();
    const querystring = {
      type: 'object',
      properties: { page: { type: 'integer', default: 1 }, tags: { type: 'array', items: { type: 'string' } }, debug: { type: 'boolean' } },
    };
    app.get('/q', { schema: { querystring } }, (req) => req.query);
    app.get('/alias', { schema: { query: { type: 'object', required: ['x'], properties: { x: { type: 'number' } } } } }, (req) => req.query);
    expect((await app.inject('/q?tags=a&debug=true')).json()).toEqual({ page: 1, tags: ['a'], debug: true });
    expect((await app.inject('/q?page=3&tags=a&tags=b')).json()).toEqual({ page: 3, tags: ['a', 'b'] });
    const bad = await app.inject('/q?page=two');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toBe('querystring/page must be integer');
    expect((await app.inject('/alias')).json().message).toBe("querystring must have required property 'x'");
    expect(() => createApp().get('/', { schema: { query: {}, querystring: {} } }, () => '')).toThrow(
      expect.objectContaining({ code: 'FST_ERR_SCH_DUPLICATE' }),
    );
    expect(() => createApp().get('/', { schema: { body: {} } }, () => '')).toThrow(
      expect.objectContaining({ code: 'FST_ERR_ROUTE_BODY_VALIDATION_SCHEMA_NOT_SUPPORTED' }),
    );
  });

  it('validates and coerces params', async () => {
    const app = createApp();
    app.get('/user/:id', { schema: { params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } } } } }, (req) => ({
      id: (req.params as { id: unknown }).id,
    }));
    expect((await app.inject('/user/42')).json()).toEqual({ id: 42 });
    const bad = await app.inject('/user/x');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'params/id must be integer' });
  });

  it('validates headers case-insensitively (names in the schema may be written in any case)', async () => {
    const app = createApp();
    const headers = { type: 'object', required: ['X-Api-Key'], properties: { 'X-Api-Key': { type: 'string', minLength: 3 }, 'X-Count': { type: 'integer' } } };
    app.get('/', { schema: { headers } }, (req) => ({ key: req.headers['x-api-key'], count: req.headers['x-count'] }));
    expect((await app.inject({ url: '/', headers: { 'x-api-key': 'abcd', 'X-Count': '7' } })).json()).toEqual({ key: 'abcd', count: 7 });
    const missing = await app.inject('/');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toBe("headers must have required property 'x-api-key'");
    expect((await app.inject({ url: '/', headers: { 'x-api-key': 'ab' } })).json().message).toBe('headers/x-api-key must NOT have fewer than 3 characters');
  });

  it('checks params, body, querystring, headers in that order and reports the first failure', async () => {
    const app = createApp();
    app.post(
      '/:n',
      {
        schema: {
          params: { type: 'object', properties: { n: { type: 'integer' } } },
          body: { type: 'object', required: ['b'] },
          querystring: { type: 'object', required: ['q'] },
          headers: { type: 'object', required: ['h'] },
        },
      },
      () => 'ok',
    );
    const send = (url: string, body: unknown, headers: Record<string, string> = {}) =>
      app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
    expect((await send('/x', {})).json().message).toMatch(/^params/);
    expect((await send('/1', {})).json().message).toMatch(/^body/);
    expect((await send('/1', { b: 1 })).json().message).toMatch(/^querystring/);
    expect((await send('/1?q=1', { b: 1 })).json().message).toMatch(/^headers/);
    expect((await send('/1?q=1', { b: 1 }, { h: '1' })).body).toBe('ok');
  });

  it('validates the body by content type with body.content', async () => {
    const app = createApp();
    app.addContentTypeParser('text/csv', { parseAs: 'string' }, (req, body, done) => done(null, String(body).split(',')));
    app.post(
      '/',
      {
        schema: {
          body: {
            content: {
              'application/json': { schema: { type: 'object', required: ['a'] } },
              'text/csv': { schema: { type: 'array', maxItems: 2 } },
            },
          },
        },
      },
      (req) => req.body,
    );
    expect((await app.inject(json({ a: 1 }))).statusCode).toBe(200);
    expect((await app.inject(json({ b: 1 }))).json().message).toBe("body must have required property 'a'");
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'text/csv; charset=utf-8' }, payload: 'x,y' })).json()).toEqual(['x', 'y']);
    expect((await app.inject({ method: 'POST', url: '/', headers: { 'content-type': 'text/csv' }, payload: 'x,y,z' })).json().message).toBe(
      'body must NOT have more than 2 items',
    );
    expect(() => createApp().post('/', { schema: { body: { content: { 'application/json': {} } } } }, () => '')).toThrow(
      expect.objectContaining({ code: 'FST_ERR_SCH_CONTENT_MISSING_SCHEMA' }),
    );
  });

  it('attachValidation: the handler runs and sees req.validationError', async () => {
    const app = createApp();
    app.post('/', { schema: { body: user }, attachValidation: true }, (req) => {
      const err = req.validationError;
      return err ? { message: err.message, context: err.validationContext, keyword: (err.validation as { keyword: string }[])[0]!.keyword } : { ok: true };
    });
    expect((await app.inject(json({}))).json()).toEqual({ message: "body must have required property 'name'", context: 'body', keyword: 'required' });
    expect((await app.inject(json({ name: 'x' }))).json()).toEqual({ ok: true });
  });

  it('sends validation errors through the error handler with validation and validationContext', async () => {
    const app = createApp();
    app.setErrorHandler((err, req, reply) => {
      const e = err as Error & { validation?: unknown[]; validationContext?: string; code?: string };
      reply.code(422).send({ part: e.validationContext, count: e.validation?.length, code: e.code });
    });
    app.post('/', { schema: { body: user } }, () => 'ok');
    const res = await app.inject(json({ name: {} }));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({ part: 'body', count: 1, code: 'FST_ERR_VALIDATION' });
  });

  it('setSchemaErrorFormatter (app, plugin scope) and the route option build the error', async () => {
    const app = createApp({ schemaErrorFormatter: (errors, part) => new Error(`app: ${part} has ${errors.length} problem(s)`) });
    app.post('/app', { schema: { body: user } }, () => 'ok');
    app.post('/route', { schema: { body: user }, schemaErrorFormatter: (errors) => Object.assign(new Error('route'), { statusCode: 406 }) }, () => 'ok');
    app.register(async (child) => {
      child.decorate('label', 'child');
      child.setSchemaErrorFormatter(function (this: { label: string }, errors, part) {
        return new Error(`${this.label}: ${errors[0]!.instancePath} (${part})`);
      });
      child.post('/child', { schema: { body: user } }, () => 'ok');
    });
    expect((await app.inject({ ...json({}), url: '/app' })).json().message).toBe('app: body has 1 problem(s)');
    const route = await app.inject({ ...json({}), url: '/route' });
    expect(route.statusCode).toBe(406);
    expect(route.json()).toMatchObject({ code: 'FST_ERR_VALIDATION', message: 'route' });
    expect((await app.inject({ ...json({ name: {} }), url: '/child' })).json().message).toBe('child: /name (body)');
    expect(() => createApp().setSchemaErrorFormatter('no' as never)).toThrow(expect.objectContaining({ code: 'FST_ERR_SCHEMA_ERROR_FORMATTER_NOT_FN' }));
  });

  it('shares schemas with addSchema and $ref; getSchema/getSchemas see them', async () => {
    const app = createApp();
    app.addSchema({ $id: 'address', type: 'object', required: ['city'], properties: { city: { type: 'string' } } });
    app.addSchema({ $id: 'person', type: 'object', required: ['name', 'home'], properties: { name: { type: 'string' }, home: { $ref: 'address#' } } });
    app.post('/', { schema: { body: { $ref: 'person#' } } }, (req) => req.body);
    expect(app.getSchema('address')).toMatchObject({ $id: 'address' });
    expect(Object.keys(app.getSchemas()).sort()).toEqual(['address', 'person']);
    expect(() => app.addSchema({ type: 'object' })).toThrow(expect.objectContaining({ code: 'FST_ERR_SCH_MISSING_ID' }));
    expect(() => app.addSchema({ $id: 'address' })).toThrow(expect.objectContaining({ code: 'FST_ERR_SCH_ALREADY_PRESENT' }));
    expect((await app.inject(json({ name: 'a', home: { city: 'Oslo' } }))).statusCode).toBe(200);
    expect((await app.inject(json({ name: 'a', home: {} }))).json().message).toBe("body/home must have required property 'city'");
  });

  it('encapsulates shared schemas per plugin scope, as fastify', async () => {
    const app = createApp();
    app.addSchema({ $id: 'root', type: 'string' });
    let seenInChild: string[] = [];
    app.register(async (child) => {
      child.addSchema({ $id: 'child', type: 'integer' });
      seenInChild = Object.keys(child.getSchemas()).sort();
      child.post('/child', { schema: { body: { type: 'object', properties: { a: { $ref: 'root#' }, b: { $ref: 'child#' } } } } }, (req) => req.body);
    });
    app.register(async (sibling) => {
      sibling.post('/sibling', { schema: { body: { type: 'object', properties: { b: { $ref: 'child#' } } } } }, () => 'never');
    });
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_SCH_VALIDATION_BUILD' });
    expect(seenInChild).toEqual(['child', 'root']);
    expect(app.getSchema('child')).toBeUndefined();

    const ok = createApp();
    ok.addSchema({ $id: 'root', type: 'string' });
    ok.register(async (child) => {
      child.addSchema({ $id: 'child', type: 'integer' });
      child.post('/child', { schema: { body: { type: 'object', properties: { a: { $ref: 'root#' }, b: { $ref: 'child#' } } } } }, (req) => req.body);
    });
    expect((await ok.inject({ ...json({ a: 'x', b: '2' }), url: '/child' })).json()).toEqual({ a: 'x', b: 2 });
    expect((await ok.inject({ ...json({ a: 'x', b: 'two' }), url: '/child' })).json().message).toBe('body/b must be integer');
  });

  it('compiles each schema once, at ready(), with a custom validator compiler (joi-style { value } / { error })', async () => {
    const app = createApp();
    const compiled: string[] = [];
    app.setValidatorCompiler(({ schema, method, url, httpPart }) => {
      compiled.push(`${method} ${url} ${httpPart}`);
      const { min } = schema as { min: number };
      return (data: { n?: number }) =>
        data && typeof data.n === 'number' && data.n >= min
          ? { value: { n: data.n * 10 } }
          : { error: Object.assign(new Error(`${httpPart}: n must be >= ${min}`)) };
    });
    app.post('/', { schema: { body: { min: 2 } } }, (req) => req.body);
    expect(compiled).toEqual([]);
    await app.ready();
    expect(compiled).toEqual(['POST / body']);
    expect((await app.inject(json({ n: 3 }))).json()).toEqual({ n: 30 });
    const bad = await app.inject(json({ n: 1 }));
    expect(bad.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body: n must be >= 2' });
    await app.inject(json({ n: 5 }));
    expect(compiled).toEqual(['POST / body']);
    expect(app.validatorCompiler).toBeTypeOf('function');
  });

  it('the route option validatorCompiler wins over the scope one; a plugin scope may set its own', async () => {
    const app = createApp();
    const refuse = () => () => ({ error: new Error('scope compiler') });
    app.register(async (child) => {
      child.setValidatorCompiler(refuse);
      child.post('/scoped', { schema: { body: {} } }, () => 'ok');
      child.post('/route', { schema: { body: {} }, validatorCompiler: () => () => true }, () => 'ok');
    });
    app.post('/root', { schema: { body: { type: 'object' } } }, () => 'ok');
    expect((await app.inject({ ...json({}), url: '/scoped' })).json().message).toBe('scope compiler');
    expect((await app.inject({ ...json({}), url: '/route' })).body).toBe('ok');
    expect((await app.inject({ ...json({}), url: '/root' })).body).toBe('ok');
  });

  it('answers 500 when a validator throws (a server fault, not a bad request)', async () => {
    const app = createApp();
    app.post(
      '/',
      {
        schema: { body: {} },
        validatorCompiler: () => () => {
          throw new Error('validator bug');
        },
      },
      () => 'ok',
    );
    const res = await app.inject(json({}));
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toBe('validator bug');
  });

  it("formats a compiler's { error: [problems] } (TypeBox style) with the schema error formatter", async () => {
    const app = createApp();
    app.post('/', { schema: { body: {} }, validatorCompiler: () => () => ({ error: [{ instancePath: '/n', message: 'Expected number' }] }) }, () => 'ok');
    expect((await app.inject(json({ n: 'x' }))).json()).toEqual({
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      error: 'Bad Request',
      message: 'body/n Expected number',
    });
  });

  it('takes ajv options and plugins from the ajv option, and runs $async schemas', async () => {
    const seen: unknown[] = [];
    const plugin = (ajv: { addKeyword(def: object): void }) => {
      ajv.addKeyword({ keyword: 'even', validate: (_: unknown, data: number) => data % 2 === 0, errors: false });
    };
    const app = createApp({ ajv: { customOptions: { allErrors: true, removeAdditional: false }, plugins: [plugin], onCreate: (ajv) => seen.push(ajv) } });
    app.post(
      '/',
      { schema: { body: { type: 'object', properties: { a: { type: 'integer', even: true }, b: { type: 'string' } }, additionalProperties: false } } },
      (req) => req.body,
    );
    app.post('/async', { schema: { body: { $async: true, type: 'object', required: ['x'] } } }, (req) => req.body);
    await app.ready();
    expect(seen).toHaveLength(1);
    const both = await app.inject(json({ a: 3, b: {} }));
    expect(both.json().message).toBe('body/a must pass "even" keyword validation, body/b must be string');
    expect((await app.inject(json({ a: 4, extra: 1 }))).json().message).toBe('body must NOT have additional properties');
    expect((await app.inject({ ...json({ x: 1 }), url: '/async' })).json()).toEqual({ x: 1 });
    const asyncBad = await app.inject({ ...json({}), url: '/async' });
    expect(asyncBad.statusCode).toBe(400);
    expect(asyncBad.json().code).toBe('FST_ERR_VALIDATION');
    expect(() => createApp({ ajv: { plugins: 'x' as never } })).toThrow(/ajv.plugins/);
  });

  it('knows ajv-formats formats by default, as fastify', async () => {
    const app = createApp();
    app.post(
      '/',
      { schema: { body: { type: 'object', properties: { email: { type: 'string', format: 'email' }, at: { type: 'string', format: 'date-time' } } } } },
      () => 'ok',
    );
    expect((await app.inject(json({ email: 'a@b.example', at: '2026-11-30T10:00:00Z' }))).body).toBe('ok');
    expect((await app.inject(json({ email: 'not-an-email' }))).json().message).toBe('body/email must match format "email"');
  });

  it('fails ready() with FST_ERR_SCH_VALIDATION_BUILD for a schema ajv refuses', async () => {
    const app = createApp();
    app.post('/', { schema: { body: { type: 'object', properties: { a: { $ref: 'nowhere#' } } } } }, () => 'ok');
    await expect(app.ready()).rejects.toMatchObject({ code: 'FST_ERR_SCH_VALIDATION_BUILD', message: expect.stringContaining('POST') });
  });

  it('uses the schemaController option: a custom bucket and compilers factory', async () => {
    const added: string[] = [];
    const bucket = (parent?: Record<string, unknown>) => {
      const store: Record<string, unknown> = { ...parent };
      return {
        add(s: { $id: string }) {
          added.push(s.$id);
          store[s.$id] = s;
        },
        getSchema: (id: string) => store[id],
        getSchemas: () => ({ ...store }),
      };
    };
    let externals: string[] = [];
    const app = createApp({
      schemaController: {
        bucket: bucket as never,
        compilersFactory: {
          buildValidator: (schemas) => {
            externals = Object.keys(schemas);
            return () => () => true;
          },
        },
      },
    });
    app.addSchema({ $id: 'a' });
    app.post('/', { schema: { body: { $ref: 'a#' } } }, () => 'ok');
    await app.ready();
    expect(added).toEqual(['a']);
    expect(externals).toEqual(['a']);
    expect(() => createApp({ schemaController: { bucket: 1 as never } })).toThrow(
      expect.objectContaining({ code: 'FST_ERR_SCHEMA_CONTROLLER_BUCKET_OPT_NOT_FN' }),
    );
  });

  it('req.getValidationFunction / compileValidationSchema / validateInput', async () => {
    const app = createApp();
    const extra = { type: 'object', required: ['z'], properties: { z: { type: 'integer' } } };
    app.post('/', { schema: { body: user, querystring: { type: 'object', properties: { q: { type: 'integer' } } } } }, (req) => {
      const body = req.getValidationFunction('body')!;
      const compiled = req.compileValidationSchema(extra);
      const thrown = (() => {
        try {
          req.validateInput({}, 'headers');
          return 'no';
        } catch (e) {
          return (e as { code: string }).code;
        }
      })();
      return {
        body: body({ name: {} }) as boolean,
        errors: body.errors?.length,
        query: req.getValidationFunction('query') === req.getValidationFunction('querystring'),
        cached: req.getValidationFunction(extra) === compiled && req.compileValidationSchema(extra) === compiled,
        valid: req.validateInput({ z: '3' }, extra),
        byPart: req.validateInput({ name: 'n' }, 'body'),
        thrown,
      };
    });
    expect((await app.inject(json({ name: 'x' }))).json()).toEqual({
      body: false,
      errors: 1,
      query: true,
      cached: true,
      valid: true,
      byPart: true,
      thrown: 'FST_ERR_REQ_INVALID_VALIDATION_INVOCATION',
    });
  });

  it('validates HEAD routes made from GET routes and leaves routes without schema alone', async () => {
    const app = createApp();
    app.get('/s', { schema: { querystring: { type: 'object', required: ['q'] } } }, () => 'ok');
    app.get('/plain', (req) => req.query);
    expect((await app.inject({ method: 'HEAD', url: '/s' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'HEAD', url: '/s?q=1' })).statusCode).toBe(200);
    expect((await app.inject('/plain?x=1')).json()).toEqual({ x: '1' });
  });
});

describeAppBackends('schema validation over a socket', (backend) => {
  const start = useApps();

  it("answers fastify's 400 and passes valid bodies", async () => {
    const port = await start(backend, (app) => app.post('/', { schema: { body: user } }, (req) => req.body));
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const bad = await post({ name: { x: 7 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/name must be string' });
    const ok = await post({ name: 'x', age: '2' });
    expect(await ok.json()).toEqual({ name: 'x', age: 2, role: 'member' });
  });
});
