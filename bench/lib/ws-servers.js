/**
 * The WebSocket servers under test (bench/servers/ws-*.js, protocol in
 * bench/servers/_ws-protocol.js) and what each needs before it can start:
 * uWS a glibc shim on older glibc, Bun its binary. A server whose
 * preparation fails is reported "not available: <reason>", never silently
 * dropped.
 *
 * To add a server: write bench/servers/ws-<name>.js serving that protocol and
 * append it to WS_SERVERS.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { which } from './children.js';
import { BENCH_DIR } from './servers.js';
import { prepareUws } from './uws/prepare.js';

const script = (file) => path.join(BENCH_DIR, 'servers', file);

/**
 * @typedef {object} WsServerDef
 * @property {string} name
 * @property {string} description
 * @property {string} [expectBackend]
 * @property {() => { command: string[], env: Record<string, string>, note?: string }} prepare  throws when the server cannot run here
 */

/** The Bun binary: $BUN when set (and only it), else `bun` on the PATH, else one installed in bench/node_modules. */
function findBun() {
  if (process.env.BUN) {
    const r = spawnSync(process.env.BUN, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`BUN=${process.env.BUN} does not run (${r.error?.message ?? `exit ${r.status}`})`);
    return { bin: process.env.BUN, version: r.stdout.trim() };
  }
  const candidates = [which('bun'), path.join(BENCH_DIR, 'node_modules', '.bin', 'bun')].filter(Boolean);
  for (const bin of /** @type {string[]} */ (candidates)) {
    if (!existsSync(bin)) continue;
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return { bin, version: r.stdout.trim() };
  }
  throw new Error('bun not found (install it with `npm install -g bun@1.4.5`, or set BUN=/path/to/bun)');
}

/** @param {string} backend */
const ringside = (backend) => ({
  name: `ringside-${backend}`,
  description: `@ringside/http app.websocket() on the ${backend} backend`,
  expectBackend: backend,
  prepare: () => ({ command: [process.execPath, script('ws-ringside.js')], env: { RINGSIDE_BACKEND: backend } }),
});

/** @type {WsServerDef[]} */
export const WS_SERVERS = [
  {
    name: 'uws',
    description: 'uWebSockets.js (@btc-vision/uwebsockets.js), app.publish for broadcast',
    prepare: () => {
      const { env, note } = prepareUws();
      return { command: [process.execPath, script('ws-uws.js')], env, note };
    },
  },
  {
    name: 'ws',
    description: 'ws on node:http, broadcast by a loop over the subscribers',
    prepare: () => ({ command: [process.execPath, script('ws-ws.js')], env: {} }),
  },
  {
    name: 'bun',
    description: 'Bun.serve websocket, server.publish for broadcast',
    prepare: () => {
      const { bin, version } = findBun();
      return { command: [bin, script('ws-bun.js')], env: {}, note: `bun ${version} (${bin})` };
    },
  },
  ringside('io_uring'),
  ringside('epoll'),
  ringside('node'),
];

/**
 * @param {string[] | undefined} names
 * @returns {WsServerDef[]}
 */
export function selectWsServers(names) {
  if (!names?.length) return WS_SERVERS.slice();
  const unknown = names.filter((n) => !WS_SERVERS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`Unknown server(s): ${unknown.join(', ')}. Known: ${WS_SERVERS.map((s) => s.name).join(', ')}`);
  return names.map((n) => /** @type {WsServerDef} */ (WS_SERVERS.find((s) => s.name === n)));
}

/**
 * A command prefix that raises the open-file limit to `needed` for a child
 * (prlimit, within the hard limit), [] when the soft limit already allows
 * it; throws when the hard limit is too low.
 * @param {number} needed
 * @returns {string[]}
 */
export function fdLimitPrefix(needed) {
  const r = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' });
  const [soft, hard] = r.stdout
    .trim()
    .split('\n')
    .map((v) => (v === 'unlimited' ? Infinity : Number(v)));
  if (soft >= needed) return [];
  if (hard < needed) throw new Error(`needs ${needed} open files, hard limit is ${hard} (raise it: ulimit -Hn)`);
  if (!which('prlimit')) throw new Error(`needs ${needed} open files, soft limit is ${soft} and prlimit is missing (run: ulimit -n ${needed})`);
  return ['prlimit', `--nofile=${needed}:${hard === Infinity ? needed : hard}`];
}
