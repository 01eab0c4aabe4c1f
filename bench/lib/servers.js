/**
 * The servers under test and how to start, check and stop them.
 *
 * To add a server: write bench/servers/<name>.js serving the routes listed in
 * bench/README.md on process.env.PORT (host 127.0.0.1), printing one JSON line
 * `{"listening":<port>,"backend":"<name>"}` once it listens, and append an
 * entry to SERVERS below (name, start command, env).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned, stopChild, track } from './children.js';
import { checkResponse } from './scenarios.js';
import { treeRssBytes } from './measure.js';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverScript = (file) => path.join(BENCH_DIR, 'servers', file);

/**
 * @typedef {object} ServerDef
 * @property {string} name                 id used with --servers and in the table
 * @property {string[]} command            argv; PORT (and HOST) come from the env
 * @property {Record<string,string>} env   extra environment
 * @property {string} [expectBackend]      the backend the server must report (else the row is flagged)
 * @property {string} [description]
 */

/** @type {ServerDef[]} */
export const SERVERS = [
  {
    name: 'ringside-io_uring',
    command: [process.execPath, serverScript('ringside.js')],
    env: { RINGSIDE_BACKEND: 'io_uring' },
    expectBackend: 'io_uring',
    description: '@ringside/http on the io_uring backend',
  },
  {
    name: 'ringside-epoll',
    command: [process.execPath, serverScript('ringside.js')],
    env: { RINGSIDE_BACKEND: 'epoll' },
    expectBackend: 'epoll',
    description: '@ringside/http on the native engine with the epoll driver (where io_uring is blocked)',
  },
  {
    name: 'ringside-node',
    command: [process.execPath, serverScript('ringside.js')],
    env: { RINGSIDE_BACKEND: 'node' },
    expectBackend: 'node',
    description: '@ringside/http on the node:net backend',
  },
  {
    name: 'node-http',
    command: [process.execPath, serverScript('node-http.js')],
    env: {},
    description: 'plain node:http, hand-written routing',
  },
  {
    name: 'fastify',
    command: [process.execPath, serverScript('fastify.js')],
    env: {},
    description: 'fastify, logger off',
  },
];

/**
 * Selects servers by name, in the order given (so the interleaving order is
 * the order on the command line), or all of them.
 * @param {string[] | undefined} names
 * @param {ServerDef[]} [all]
 * @returns {ServerDef[]}
 */
export function selectServers(names, all = SERVERS) {
  if (!names || names.length === 0) return all.slice();
  const unknown = names.filter((n) => !all.some((s) => s.name === n));
  if (unknown.length) throw new Error(`Unknown server(s): ${unknown.join(', ')}. Known: ${all.map((s) => s.name).join(', ')}`);
  return names.map((n) => /** @type {ServerDef} */ (all.find((s) => s.name === n)));
}

/** @returns {Promise<number>} a port that was free a moment ago */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One HTTP request on a fresh connection.
 * @param {{ port: number, method?: string, path?: string, headers?: Record<string,string>, body?: string, timeoutMs?: number }} o
 * @returns {Promise<{ status: number, headers: http.IncomingHttpHeaders, body: string }>}
 */
export function httpRequest(o) {
  return new Promise((resolve, reject) => {
    const headers = { ...(o.headers ?? {}) };
    if (o.body !== undefined) headers['content-length'] = String(Buffer.byteLength(o.body));
    const req = http.request(
      { host: '127.0.0.1', port: o.port, method: o.method ?? 'GET', path: o.path ?? '/', headers, agent: false, timeout: o.timeoutMs ?? 2000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 2000} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

const TAIL = 8192;

/**
 * The most telling line of a crashed Node process's output: the first
 * "SomeError: message" / "Error [CODE]: message" line, shortened.
 * @param {string} text
 * @returns {string | null}
 */
export function errorLine(text) {
  const m = /^\s*(?:Uncaught )?((?:[A-Z]\w*)?Error(?: \[[\w_]+\])?: .+)$/m.exec(text);
  if (!m) return null;
  return m[1].length > 240 ? m[1].slice(0, 239) + '…' : m[1];
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * @typedef {object} RunningServer
 * @property {ServerDef} def
 * @property {string} name
 * @property {number} pid
 * @property {number} port
 * @property {string | null} backend       as the server reported it (JSON line or "ringside: backend …" log)
 * @property {number} startMs              spawn → first answer
 * @property {number | null} rssIdleBytes
 * @property {() => { code: number | null, signal: string | null } | null} exited
 * @property {() => string} output         last lines of stdout+stderr
 * @property {() => Promise<void>} stop
 */

/**
 * Starts a server and waits until it answers GET / (any status). Rejects —
 * after killing it — when it exits first or does not answer within
 * `readyTimeoutMs`. The error message carries the tail of its output.
 * @param {ServerDef} def
 * @param {{ cpu?: number | null, readyTimeoutMs?: number, port?: number }} [opts]
 * @returns {Promise<RunningServer>}
 */
export async function startServer(def, opts = {}) {
  const port = opts.port ?? (await freePort());
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const argv = pinned(def.command, opts.cpu ?? null);
  const t0 = performance.now();
  const child = spawn(argv[0], argv.slice(1), {
    cwd: BENCH_DIR,
    env: { ...process.env, NODE_ENV: 'production', ...def.env, PORT: String(port), HOST: '127.0.0.1', BENCH_EXIT_WITH_PARENT: '1' },
    // stdin is a pipe the server watches: when the harness dies, it exits.
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  track(child, { group: true });
  let out = '';
  /** @type {string | null} */
  let backend = null;
  let lineBuf = '';
  const onText = (text, isStdout) => {
    out = (out + text).slice(-TAIL);
    if (isStdout) {
      lineBuf += text;
      let nl;
      while ((nl = lineBuf.indexOf('\n')) >= 0) {
        const line = lineBuf.slice(0, nl).trim();
        lineBuf = lineBuf.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            const msg = JSON.parse(line);
            if (msg && typeof msg === 'object' && 'listening' in msg && msg.backend) backend = String(msg.backend);
          } catch {
            /* not ours */
          }
        }
      }
    }
    const m = /ringside: backend (\w+)/.exec(text);
    if (m && backend === null) backend = m[1];
  };
  child.stdout?.setEncoding('utf8').on('data', (t) => onText(t, true));
  child.stderr?.setEncoding('utf8').on('data', (t) => onText(t, false));
  child.stdin?.on('error', () => {});
  /** @type {{ code: number | null, signal: string | null } | null} */
  let exited = null;
  /** @type {Error | null} */
  let spawnError = null;
  child.on('error', (e) => (spawnError = e));
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const handle = {
    def,
    name: def.name,
    pid: /** @type {number} */ (child.pid),
    port,
    get backend() {
      return backend;
    },
    startMs: 0,
    rssIdleBytes: /** @type {number | null} */ (null),
    exited: () => exited,
    output: () => out.trim(),
    stop: () => stopChild(child),
  };

  const deadline = t0 + readyTimeoutMs;
  const fail = async (why) => {
    await stopChild(child, 500);
    const cause = errorLine(out);
    const tail = out.trim().split('\n').slice(-12).join('\n');
    throw new Error(`${def.name}: ${why}${cause ? `: ${cause}` : ''}${tail ? `\n${tail}` : ''}`);
  };
  for (;;) {
    if (spawnError) return fail(`could not start: ${/** @type {Error} */ (spawnError).message}`);
    if (exited) {
      const e = /** @type {{ code: number | null, signal: string | null }} */ (exited);
      return fail(`exited (${e.signal ?? `code ${e.code}`}) before answering`);
    }
    if (performance.now() > deadline) return fail(`did not answer GET / within ${Math.round(readyTimeoutMs / 1000)} s`);
    try {
      await httpRequest({ port, path: '/', timeoutMs: Math.max(200, Math.min(1000, deadline - performance.now())) });
      break;
    } catch {
      await sleep(100);
    }
  }
  handle.startMs = Math.round(performance.now() - t0);
  // The announce line is printed right after listen(); give it a moment to arrive.
  for (let i = 0; i < 20 && backend === null && !exited; i++) await sleep(25);
  return handle;
}

/**
 * Checks every scenario's route once; returns the problems found (empty when all answer correctly).
 * @param {RunningServer} server
 * @param {import('./scenarios.js').Scenario[]} scenarios
 * @returns {Promise<Record<string, string>>} scenario name → problem
 */
export async function checkRoutes(server, scenarios) {
  /** @type {Record<string, string>} */
  const problems = {};
  for (const s of scenarios) {
    try {
      const res = await httpRequest({ port: server.port, method: s.method, path: s.path, headers: s.headers, body: s.body, timeoutMs: 3000 });
      const why = checkResponse(s, res);
      if (why) problems[s.name] = why;
    } catch (e) {
      problems[s.name] = `${s.method} ${s.path}: ${/** @type {Error} */ (e).message}`;
    }
  }
  return problems;
}

/**
 * Idle RSS of the server's process tree, a moment after it first answered.
 * @param {RunningServer} server
 * @param {number} [settleMs]
 */
export async function measureIdleRss(server, settleMs = 300) {
  await sleep(settleMs);
  server.rssIdleBytes = treeRssBytes(server.pid);
  return server.rssIdleBytes;
}

/** Keep-alive connections held open for the "RSS with connections open" reading. */
export const OPEN_CONNECTIONS = 1000;

/**
 * RSS of the server's process tree with `count` keep-alive connections open,
 * each having had one `GET /` answered (so each went through the server's
 * whole request path once), read 0.5 s after the last answer; then the
 * connections are closed. Opened 50 at a time; bounded by `timeoutMs`.
 * @param {RunningServer} server
 * @param {number} count
 * @param {number} [timeoutMs]
 * @returns {Promise<number | null>}
 */
export async function measureOpenConnectionsRss(server, count, timeoutMs = 20_000) {
  /** @type {net.Socket[]} */
  const sockets = [];
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${count} connections not answered within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  const oneRequest = () =>
    new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port });
      sockets.push(socket);
      let head = '';
      socket.setEncoding('latin1');
      socket.on('error', reject);
      socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      socket.on('data', (text) => {
        head += text;
        // Any complete answer will do: a 200 with its body, or an error status.
        if (head.includes('\r\n\r\n')) resolve(undefined);
      });
      socket.on('close', () => reject(new Error('connection closed before an answer')));
    });
  try {
    const open = async () => {
      for (let i = 0; i < count; i += 50) await Promise.all(Array.from({ length: Math.min(50, count - i) }, oneRequest));
    };
    await Promise.race([open(), deadline]);
    await sleep(500);
    return treeRssBytes(server.pid);
  } finally {
    clearTimeout(timer);
    for (const s of sockets) {
      s.removeAllListeners('close');
      s.on('error', () => {});
      s.destroy();
    }
  }
}
