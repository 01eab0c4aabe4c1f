/**
 * @fastify/swagger 9 + @fastify/swagger-ui 6: the OpenAPI (and Swagger 2)
 * document generated from the routes' schemas is the one fastify generates
 * for the same app; the UI's page and static assets are served.
 */
import { expect, it } from 'vitest';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { describeCompat, expectSame, useSideBySide, type Build } from './helpers.js';

const routes: Build = async (app) => {
  app.addSchema({ $id: 'User', type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } }, required: ['id', 'name'] });
  app.get(
    '/users/:id',
    {
      schema: {
        description: 'One user',
        tags: ['users'],
        params: { type: 'object', properties: { id: { type: 'integer', description: 'user id' } }, required: ['id'] },
        querystring: { type: 'object', properties: { fields: { type: 'string' } } },
        headers: { type: 'object', properties: { 'x-trace': { type: 'string' } } },
        response: { 200: { $ref: 'User#' }, 404: { type: 'object', properties: { message: { type: 'string' } } } },
      },
    },
    (req: any) => ({ id: Number(req.params.id), name: 'ada' }),
  );
  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user',
        tags: ['users'],
        body: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'] },
        response: { 201: { $ref: 'User#' } },
      },
    },
    (req: any, reply: any) => reply.code(201).send({ id: 1, name: req.body.name }),
  );
  app.register(
    async (child: any) => {
      child.get('/items', { schema: { response: { 200: { type: 'array', items: { type: 'string' } } } } }, () => ['a']);
      child.delete('/items/:name', { schema: { hide: true } }, () => 'gone');
    },
    { prefix: '/v1' },
  );
  app.get('/plain', () => 'no schema');
};

const openapi =
  (uiPrefix?: string): Build =>
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: { title: 'compat', version: '1.0.0' },
        servers: [{ url: 'http://localhost' }],
        components: { securitySchemes: { key: { type: 'apiKey', name: 'x-key', in: 'header' } } },
      },
    });
    if (uiPrefix !== undefined) await app.register(swaggerUi, { routePrefix: uiPrefix });
    await routes(app);
  };

describeCompat('@fastify/swagger', (via) => {
  const start = useSideBySide(via);

  it("the OpenAPI 3 document equals fastify's", async () => {
    const pair = await start(openapi());
    await pair.ringside.app.ready();
    const expected = pair.fastify.app.swagger();
    const actual = pair.ringside.app.swagger();
    expect(actual).toEqual(expected);
    expect(Object.keys(actual.paths).sort()).toEqual(['/plain', '/users', '/users/{id}', '/v1/items']);
    expect(pair.ringside.app.swagger({ yaml: true })).toBe(pair.fastify.app.swagger({ yaml: true }));
  });

  it("the Swagger 2 document equals fastify's", async () => {
    const pair = await start(async (app) => {
      await app.register(swagger, { swagger: { info: { title: 'compat', version: '2.0.0' }, host: 'localhost', schemes: ['http'] } });
      await routes(app);
    });
    expect(pair.ringside.app.swagger()).toEqual(pair.fastify.app.swagger());
  });

  it('swagger-ui: the page, the document as JSON and YAML, the static assets', async () => {
    const pair = await start(openapi('/docs'));
    const HEADERS = ['content-type', 'location'];
    const json = await expectSame(pair, { url: '/docs/json' }, HEADERS);
    expect(JSON.parse(json.body).openapi).toMatch(/^3\./);
    await expectSame(pair, { url: '/docs/yaml' }, HEADERS);
    const page = await expectSame(pair, { url: '/docs/' }, HEADERS, { body: false });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/swagger-ui/i);
    // /docs redirects (or serves) as on fastify.
    await expectSame(pair, { url: '/docs' }, HEADERS, { body: false });
    for (const asset of [
      '/docs/static/swagger-ui.css',
      '/docs/static/swagger-ui-bundle.js',
      '/docs/static/swagger-ui-standalone-preset.js',
      '/docs/static/swagger-initializer.js',
    ]) {
      const res = await expectSame(pair, { url: asset }, ['content-type', 'content-length'], { body: false });
      expect(res.status, asset).toBe(200);
      const f = await pair.fastify.call({ url: asset });
      expect(res.bytes.equals(f.bytes), asset).toBe(true);
    }
    expect((await expectSame(pair, { url: '/docs/static/../../package.json' }, ['content-type'], { body: false })).status).toBe(404);
    // The routes themselves still answer.
    await expectSame(pair, { url: '/users/7' }, ['content-type']);
  });
});
