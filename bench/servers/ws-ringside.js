// @ringside/http's WebSockets; the backend comes from RINGSIDE_BACKEND
// (io_uring | epoll | node).
import { createApp } from '@ringside/http';
import { HOST, PORT, announce } from './_common.js';
import { TOPIC } from './_ws-protocol.js';

const app = createApp({ logger: false });
if (typeof app.websocket !== 'function') throw new Error('@ringside/http has no app.websocket() yet');

app.get('/', () => 'ok');
app.websocket('/echo', { message: (ws, data, isBinary) => ws.send(data, isBinary) });
app.websocket('/sub', { open: (ws) => ws.subscribe(TOPIC), message: () => {} });
app.websocket('/pub', { message: (ws, data, isBinary) => app.publish(TOPIC, data, isBinary) });

const addr = await app.listen({ port: PORT, host: HOST });
const port = typeof addr === 'object' && addr !== null && 'port' in addr ? addr.port : PORT;
announce(port, app.backend ?? app.server?.backend ?? process.env.RINGSIDE_BACKEND ?? 'auto');
