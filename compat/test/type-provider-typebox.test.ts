/**
 * @fastify/type-provider-typebox 6 with typebox 1: TypeBox schemas validate
 * requests (with the default ajv compiler and with TypeBoxValidatorCompiler)
 * and serialize responses; and, checked by `tsc -p tsconfig.test.json`,
 * `withTypeProvider<TypeBoxTypeProvider>()` types req.body, req.query,
 * req.params and req.headers from the route's schema, as on fastify.
 */
import { expect, expectTypeOf, it } from 'vitest';
import { Type, TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createApp } from '@ringside/http';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const User = Type.Object({ name: Type.String({ minLength: 1 }), age: Type.Integer({ minimum: 0 }) });
const Params = Type.Object({ id: Type.Integer() });
const Query = Type.Object({ verbose: Type.Optional(Type.Boolean()) });
const Reply = Type.Object({ id: Type.Integer(), name: Type.String(), verbose: Type.Boolean() });

const routes =
  (typebox: boolean): Build =>
  (app) => {
    if (typebox) app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.post(
      '/users/:id',
      {
        schema: { body: User, params: Params, querystring: Query, response: { 200: Reply } },
      },
      (req: any) => ({ id: req.params.id, name: req.body.name, verbose: req.query.verbose ?? false, password: 'not in the schema' }),
    );
  };

const JSON_TYPE = { 'content-type': 'application/json' };

describeCompat('@fastify/type-provider-typebox', (via) => {
  const start = useSideBySide(via);

  for (const typebox of [false, true]) {
    it(`validates and serializes with TypeBox schemas (${typebox ? 'TypeBoxValidatorCompiler' : 'default ajv compiler'})`, async () => {
      const pair = await start(routes(typebox));
      const ok = await expectSame(pair, { method: 'POST', url: '/users/7?verbose=true', headers: JSON_TYPE, body: '{"name":"ann","age":30}' }, [
        'content-type',
      ]);
      expect(JSON.parse(ok.body)).toEqual({ id: 7, name: 'ann', verbose: true });
      const badBody = await expectSame(pair, { method: 'POST', url: '/users/7', headers: JSON_TYPE, body: '{"name":"","age":-1}' }, ['content-type']);
      expect(badBody.status).toBe(400);
      expect(JSON.parse(badBody.body).code).toBe('FST_ERR_VALIDATION');
      expect((await expectSame(pair, { method: 'POST', url: '/users/x', headers: JSON_TYPE, body: '{"name":"a","age":1}' }, ['content-type'])).status).toBe(
        400,
      );
      expect(
        (await expectSame(pair, { method: 'POST', url: '/users/1?verbose=maybe', headers: JSON_TYPE, body: '{"name":"a","age":1}' }, ['content-type'])).status,
      ).toBe(400);
    });
  }
});

// Types only: these handlers are never called; `tsc -p tsconfig.test.json` checks them.
function typedRoutes(): void {
  const app = createApp().withTypeProvider<TypeBoxTypeProvider>();
  app.post('/users/:id', { schema: { body: User, params: Params, querystring: Query, headers: Type.Object({ 'x-token': Type.String() }) } }, (req) => {
    expectTypeOf(req.body).toEqualTypeOf<{ name: string; age: number }>();
    expectTypeOf(req.params.id).toEqualTypeOf<number>();
    expectTypeOf(req.query.verbose).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(req.headers['x-token']).toEqualTypeOf<string>();
    // @ts-expect-error: not in the schema
    void req.body.email;
    return { id: req.params.id };
  });
  app.route({
    method: 'PUT',
    url: '/users/:id',
    schema: { body: User },
    handler: (req) => {
      expectTypeOf(req.body.age).toEqualTypeOf<number>();
      return null;
    },
  });
  // The provider carries through chained calls.
  app
    .addHook('onRequest', async () => {})
    .get('/q', { schema: { querystring: Query } }, (req) => {
      expectTypeOf(req.query).toEqualTypeOf<{ verbose?: boolean }>();
    });
  // Without a schema part, the defaults; an explicit generic still wins.
  app.get('/plain/:x', (req) => {
    expectTypeOf(req.params).toEqualTypeOf<Record<string, string>>();
  });
  app.post<{ Body: { explicit: true } }>('/explicit', (req) => {
    expectTypeOf(req.body).toEqualTypeOf<{ explicit: true }>();
  });
  // The default provider infers nothing from a schema, as fastify's.
  createApp().post('/untyped', { schema: { body: User } }, (req) => {
    expectTypeOf(req.body).toEqualTypeOf<unknown>();
  });
}
void typedRoutes;
