/**
 * Ringside's WebSocket engine as an echo server for the conformance client:
 * every text and binary message echoed, permessage-deflate offered, on the
 * backend RINGSIDE_BACKEND (or `backend`) selects. The transport itself,
 * so the engine is what is judged, not the framework above it.
 *
 *   RINGSIDE_BACKEND=epoll node bench/ws-conformance/servers/ringside-echo.js   (PORT, HOST from the environment)
 */
import { pathToFileURL } from 'node:url';
import { createHttpTransport } from '@ringside/core';

/**
 * @param {{ port?: number, host?: string, backend?: 'io_uring' | 'epoll' | 'node' }} [opts]
 * @returns {Promise<{ url: string, name: string, close: () => Promise<void> }>}
 */
export async function startRingsideEcho({ port = 0, host = '127.0.0.1', backend = /** @type {any} */ (process.env.RINGSIDE_BACKEND ?? 'io_uring') } = {}) {
  const transport = createHttpTransport({
    backend,
    log: false,
    onRequest(req, res) {
      if (!req.websocket) return res.send(426, { 'sec-websocket-version': '13' }, 'WebSocket only');
      /** @type {import('@ringside/core').RawWebSocket} */
      const ws = res.upgradeWebSocket(
        // Autobahn's section 9 sends 16 MiB messages; the peers it is compared with accept them.
        { compression: {}, maxPayload: 64 * 1024 * 1024, maxBackpressure: 64 * 1024 * 1024 },
        { onMessage: (data, isBinary) => ws.send(data, isBinary), onDrain() {}, onClose() {} },
      );
    },
  });
  const addr = await transport.listen({ port, host });
  return { url: `ws://${host}:${addr.port}/`, name: `ringside ${transport.backend}`, close: () => transport.close({ force: true }) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await startRingsideEcho({ port: Number(process.env.PORT ?? 9001), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`${server.name} echo server on ${server.url}`);
}
