// uWebSockets.js. The harness sets UWS_ADDON (and, on glibc < 2.38,
// LD_PRELOAD) from bench/lib/uws/prepare.js; run alone it loads the package.
import { createRequire } from 'node:module';
import { HOST, PORT, announce } from './_common.js';
import { TOPIC } from './_ws-protocol.js';

const require = createRequire(import.meta.url);
/** @type {typeof import('@btc-vision/uwebsockets.js')} */
const uWS = require(process.env.UWS_ADDON ?? '@btc-vision/uwebsockets.js');

const common = { compression: uWS.DISABLED, maxPayloadLength: 16 * 1024, idleTimeout: 120 };
const app = uWS
  .App()
  .ws('/echo', { ...common, message: (ws, message, isBinary) => ws.send(message, isBinary) })
  .ws('/sub', { ...common, open: (ws) => ws.subscribe(TOPIC) })
  .ws('/pub', { ...common, message: (ws, message, isBinary) => app.publish(TOPIC, message, isBinary) })
  .get('/*', (res) => res.end('ok'));

app.listen(HOST, PORT, (token) => {
  if (!token) {
    process.stderr.write(`Error: uWS could not listen on ${HOST}:${PORT}\n`);
    process.exit(1);
  }
  announce(uWS.us_socket_local_port(token), 'uws');
});
