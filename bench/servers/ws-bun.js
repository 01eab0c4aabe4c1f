// Bun.serve (run with `bun`): its built-in WebSockets and topics.
import { HOST, PORT, announce } from './_common.js';
import { TOPIC } from './_ws-protocol.js';

const PATHS = new Set(['/echo', '/sub', '/pub']);

const server = Bun.serve({
  hostname: HOST,
  port: PORT,
  fetch(req, srv) {
    const { pathname } = new URL(req.url);
    if (PATHS.has(pathname) && srv.upgrade(req, { data: { path: pathname } })) return undefined;
    return new Response('ok');
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 120,
    open(ws) {
      if (ws.data.path === '/sub') ws.subscribe(TOPIC);
    },
    message(ws, message) {
      if (ws.data.path === '/echo') ws.send(message);
      else if (ws.data.path === '/pub') server.publish(TOPIC, message);
    },
  },
});
announce(server.port, `bun ${Bun.version}`);
