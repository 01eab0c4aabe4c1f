// The `ws` package on node:http. ws has no topics: a publish is the loop its
// README shows for broadcasting, over the set of /sub sockets.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import { HOST, PORT, announce } from './_common.js';

const server = http.createServer((req, res) => res.end('ok'));
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
/** @type {Set<import('ws').WebSocket>} */
const subscribers = new Set();

const routes = {
  '/echo': (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })),
  '/sub': (ws) => {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  },
  '/pub': (ws) =>
    ws.on('message', (data, isBinary) => {
      for (const sub of subscribers) sub.send(data, { binary: isBinary });
    }),
};

server.on('upgrade', (req, socket, head) => {
  const route = routes[/** @type {keyof typeof routes} */ (req.url ?? '')];
  if (!route) return socket.destroy();
  wss.handleUpgrade(req, socket, head, route);
});
server.listen(PORT, HOST, () => announce(/** @type {import('node:net').AddressInfo} */ (server.address()).port, 'ws'));
