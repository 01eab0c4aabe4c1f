// Hello, Ringside: a few routes on @ringside/http.
//   PORT (default 3000), HOST (default 127.0.0.1), RINGSIDE_BACKEND=auto|io_uring|node
import createApp from '@ringside/http';

const app = createApp(); // the backend comes from RINGSIDE_BACKEND (default: auto)

app.get('/', () => 'Hello, World!');

app.get('/json', () => ({ hello: 'world' }));

app.get('/user/:id', (req) => ({ id: req.params.id }));

// Echo the body as it came, with its content type ({ body: 'buffer' }: no parsing).
app.post('/echo', { body: 'buffer' }, (req, reply) => {
  reply.type(req.headers['content-type'] ?? 'application/octet-stream');
  return req.body ?? '';
});

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const address = await app.listen({ port, host }); // 'http://127.0.0.1:3000', as fastify
console.log(`Ringside listening on ${address} (backend: ${app.backend})`);

// Graceful shutdown: stop accepting, finish in-flight requests, close idle connections.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await app.close({ timeout: 10_000 });
    process.exit(0);
  });
}
