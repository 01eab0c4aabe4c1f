/**
 * GET /plugins, served the same way by Ringside and fastify: @fastify/cors,
 * @fastify/helmet and @fastify/cookie, registered unchanged with their
 * defaults in one plugin scope (the other routes do not run their hooks),
 * and a handler that sets a cookie.
 */
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';

/** Register with `app.register(pluginsRoute)`. */
export async function pluginsRoute(scope) {
  await scope.register(cors);
  await scope.register(helmet);
  await scope.register(cookie);
  scope.get('/plugins', (req, reply) => {
    reply.setCookie('session', 'abc123', { path: '/', httpOnly: true });
    return { hello: 'world', theme: req.cookies.theme ?? null };
  });
}
