// fastify, logger off, the same routes and hooks as bench/servers/ringside.js.
import Fastify from 'fastify';
import { HOST, PORT, announce } from './_common.js';
import { schemaHandler, schemaRouteOptions } from './_schema-route.js';
import { pluginsRoute } from './_plugins-route.js';

const app = Fastify({ logger: false });
// POST /echo echoes any content type (fastify parses only JSON and text by default).
app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => done(null, body));

app.get('/', async (req, reply) => 'Hello, World!');
app.get('/json', () => ({ hello: 'world' }));
app.get('/user/:id', (req) => ({ id: req.params.id }));
app.post('/echo', (req, reply) => {
  reply.type(req.headers['content-type'] ?? 'application/octet-stream');
  return req.body;
});
app.post('/schema', schemaRouteOptions, schemaHandler);
app.register(pluginsRoute);
app.register(async (scope) => {
  scope.addHook('onRequest', async (req, reply) => {});
  scope.addHook('preHandler', async (req, reply) => {});
  scope.get('/hooked', () => ({ hello: 'world' }));
});

await app.listen({ port: PORT, host: HOST });
announce(app.server.address().port, 'fastify');
