/**
 * The calibration peer: the `ws` package's server echoing every text and
 * binary message, permessage-deflate offered (like Autobahn's echo servers).
 *
 *   node bench/ws-conformance/servers/ws-echo.js      (PORT, HOST from the environment)
 */
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';

/**
 * @param {{ port?: number, host?: string, skipUTF8Validation?: boolean }} [opts]
 *   skipUTF8Validation: a deliberately non-conformant server, to show that the client notices.
 * @returns {Promise<{ url: string, name: string, close: () => Promise<void> }>}
 */
export function startWsEcho({ port = 0, host = '127.0.0.1', skipUTF8Validation = false } = {}) {
  const wss = new WebSocketServer({ port, host, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024, skipUTF8Validation });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => {}); // protocol errors close the socket; nothing else to do
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      const addr = /** @type {import('node:net').AddressInfo} */ (wss.address());
      resolve({
        url: `ws://${host}:${addr.port}/`,
        name: 'ws@8.18.3',
        close: () =>
          new Promise((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await startWsEcho({ port: Number(process.env.PORT ?? 9001), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`ws echo server on ${server.url}`);
}
