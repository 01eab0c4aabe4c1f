// @ringside/http; the backend comes from RINGSIDE_BACKEND (io_uring | node | auto).
import { createApp } from '@ringside/http';
import { HOST, PORT, announce } from './_common.js';
import { schemaHandler, schemaRouteOptions } from './_schema-route.js';
import { pluginsRoute } from './_plugins-route.js';

const app = createApp({ logger: false });

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

const addr = await app.listen({ port: PORT, host: HOST });
const port = typeof addr === 'object' && addr !== null && 'port' in addr ? addr.port : PORT;
// The backend actually in use (the harness records it and flags a mismatch).
const backend = app.backend ?? app.server?.backend ?? app.transport?.backend ?? process.env.RINGSIDE_BACKEND ?? 'auto';
announce(port, backend);
