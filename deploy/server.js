// The app behind nginx.conf, ringside@.service and k8s.yaml: one event loop per
// core, drained on SIGTERM/SIGINT, with liveness and readiness routes.
//   PORT (default 3000), HOST (default 127.0.0.1), WORKERS ('auto' or a count, default 'auto'),
//   METRICS=1: Prometheus metrics on /metrics (off by default: nothing counted)
import createApp, { metrics, workerIndex } from '@ringside/http';

// return503OnClosing: false — while draining, a request that arrives on an open
// keep-alive connection is served (with Connection: close), not answered 503:
// nginx does not retry a POST that got a 503.
const app = createApp({ return503OnClosing: false });

if (process.env.METRICS === '1') app.register(metrics, { path: '/metrics' });

app.get('/', () => 'Hello, World!');

app.post('/echo', { body: 'buffer' }, (req, reply) => {
  reply.type(req.headers['content-type'] ?? 'application/octet-stream');
  return req.body ?? '';
});

// Liveness: the process answers. Readiness: 503 from the moment draining starts,
// so a probing balancer (Kubernetes, haproxy) stops sending new connections.
app.get('/healthz', () => 'ok');
app.get('/readyz', (req, reply) => (app.closing ? reply.code(503).send('draining') : 'ready'));

const workers = process.env.WORKERS === undefined || process.env.WORKERS === 'auto' ? 'auto' : Number(process.env.WORKERS);
const address = await app.listen({
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  workers,
  // SIGTERM: stop accepting, serve what arrives on open connections with
  // `Connection: close`, keep idle ones 5 s (above nginx's keepalive_timeout 4s), exit; hard deadline 10 s.
  closeOnSignals: true,
});
if (workerIndex() === 0) console.log(`Ringside listening on ${address} (backend: ${app.backend})`);
