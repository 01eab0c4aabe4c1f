/**
 * Second calibration peer: uWebSockets.js echoing every text and binary
 * message on any path, permessage-deflate offered. On glibc < 2.38 the addon
 * needs the LD_PRELOAD shim of bench/lib/uws/prepare.js, which only works
 * from process start, so the server runs in a child process.
 *
 *   node bench/ws-conformance/servers/uws-echo.js      (PORT, HOST from the environment)
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { prepareUws } from '../../lib/uws/prepare.js';

/** Runs in the child: the echo app itself. */
function serve() {
  const uWS = createRequire(import.meta.url)(/** @type {string} */ (process.env.UWS_ADDON));
  const host = process.env.HOST ?? '127.0.0.1';
  uWS
    .App()
    .ws('/*', {
      compression: uWS.SHARED_COMPRESSOR | uWS.SHARED_DECOMPRESSOR,
      maxPayloadLength: 64 * 1024 * 1024,
      maxBackpressure: 256 * 1024 * 1024,
      idleTimeout: 0,
      message: (ws, message, isBinary) => ws.send(message, isBinary, true),
    })
    .listen(host, Number(process.env.PORT ?? 9001), (token) => {
      if (!token) {
        console.error('uws echo: listen failed');
        process.exit(1);
      }
      console.log(`ws://${host}:${uWS.us_socket_local_port(token)}/`);
    });
}

/**
 * Starts the uWS echo server in a child process on 127.0.0.1, an ephemeral port.
 * @returns {Promise<{ url: string, name: string, close: () => Promise<void> }>}
 */
export function startUwsEcho() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...prepareUws().env, RINGSIDE_UWS_CHILD: '1', PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`uws echo server exited (${code}) before listening`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ws:\/\/\S+\//.exec(out);
      if (!m) return;
      child.removeAllListeners('exit');
      resolve({
        url: m[0],
        name: 'uWebSockets.js 20.57.0 (@btc-vision republication)',
        close: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.env.RINGSIDE_UWS_CHILD) serve();
  else {
    spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, ...prepareUws().env, RINGSIDE_UWS_CHILD: '1' },
      stdio: 'inherit',
    });
  }
}
