/**
 * `ringside doctor`: what this machine gives Ringside and what to change, one
 * line each. Everything is read, nothing is changed: the addon (which file,
 * how it got here), whether io_uring and epoll can run and why not, what
 * `auto` would pick, and the limits a busy server meets first.
 */
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { libc, loadBinding, type AddonOrigin } from '@ringside/native';
import { epollUnavailableReason, ioUringUnavailableReason, selectBackend } from './select-backend.js';
import type { BackendName } from './types.js';

/** Below these a busy server refuses connections (backlog 4096 is Ringside's default; each connection is an fd). */
const WANT_SOMAXCONN = 4096;
const WANT_NOFILE = 65536;

export interface DoctorReport {
  node: string;
  platform: string;
  arch: string;
  /** 'glibc 2.36', 'musl', or '' off Linux. */
  libc: string;
  kernel: string;
  addon: { loaded: boolean; path: string; origin: AddonOrigin | null; tried: string[]; error: string; fix: string };
  ioUring: { usable: boolean; reason: string; fix: string; setupFlags: string[]; ioUringDisabled: number | null };
  epoll: { usable: boolean; reason: string; fix: string };
  /** What `backend: 'auto'` picks here, and RINGSIDE_BACKEND when it overrides that. */
  auto: { backend: BackendName; reason: string; env: string | null };
  /** Soft and hard RLIMIT_NOFILE of this Node process (Node raises the soft limit to the hard one at start). */
  openFiles: { soft: Limit; hard: Limit };
  somaxconn: number | null;
  /** What to change, one line each; empty when nothing needs changing. */
  advice: string[];
}

function readNumber(file: string): number | null {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

export type Limit = number | 'unlimited' | null;

function openFileLimits(): { soft: Limit; hard: Limit } {
  let line = '';
  try {
    line =
      readFileSync('/proc/self/limits', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('Max open files')) ?? '';
  } catch {
    // not Linux
  }
  // "Max open files            1048576              1048576              files"
  const [soft, hard] = line
    .split(/\s{2,}/)
    .slice(1, 3)
    .map((v): Limit => (v === 'unlimited' ? v : Number.isFinite(Number(v)) ? Number(v) : null));
  return { soft: soft ?? null, hard: hard ?? null };
}

function libcName(): string {
  if (process.platform !== 'linux') return '';
  const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
  return libc() === 'glibc' ? `glibc ${glibc}` : 'musl';
}

export function doctor(): DoctorReport {
  const loaded = loadBinding();
  const io = ioUringUnavailableReason();
  const ep = epollUnavailableReason();
  const probe = loaded.binding?.probe();
  const auto = selectBackend('auto');
  const openFiles = openFileLimits();
  const somaxconn = readNumber('/proc/sys/net/core/somaxconn');
  const env = process.env.RINGSIDE_BACKEND || null;

  const advice: string[] = [];
  if (!loaded.binding && loaded.fix) advice.push(`native engine: ${loaded.fix}`);
  else if (io.why && io.fix) advice.push(`io_uring: ${io.fix}`);
  if (somaxconn !== null && somaxconn < WANT_SOMAXCONN) {
    advice.push(`listen backlog: the kernel caps it at net.core.somaxconn=${somaxconn}; raise it: \`sysctl -w net.core.somaxconn=${WANT_SOMAXCONN}\``);
  }
  if (typeof openFiles.soft === 'number' && openFiles.soft < WANT_NOFILE) {
    advice.push(
      `open files: ${openFiles.soft} caps connections; raise it to ${WANT_NOFILE}: \`ulimit -n ${WANT_NOFILE}\` ` +
        `(systemd: LimitNOFILE=${WANT_NOFILE}; Docker: --ulimit nofile=${WANT_NOFILE}:${WANT_NOFILE})`,
    );
  }
  if (env && env !== 'auto' && env !== auto.name) advice.push(`RINGSIDE_BACKEND=${env} overrides auto's choice (${auto.name})`);

  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    libc: libcName(),
    kernel: probe?.kernel || release(),
    addon: { loaded: !!loaded.binding, path: loaded.path, origin: loaded.origin, tried: loaded.tried, error: loaded.error, fix: loaded.fix },
    ioUring: {
      usable: !io.why,
      reason: io.why,
      fix: io.fix,
      setupFlags: probe?.setupFlags ?? [],
      ioUringDisabled: readNumber('/proc/sys/kernel/io_uring_disabled'),
    },
    epoll: { usable: !ep.why, reason: ep.why, fix: ep.fix },
    auto: { backend: auto.name, reason: auto.reason, env },
    openFiles,
    somaxconn,
    advice,
  };
}

const show = (n: Limit): string => (n === null ? 'unknown' : String(n));

/** The report as text, one line per fact. */
export function formatDoctor(r: DoctorReport): string {
  const noAddon = 'not usable: the addon is not loaded (see addon)';
  const rows: [string, string][] = [
    ['node', `${r.node} ${r.platform}-${r.arch}${r.libc ? ` (${r.libc})` : ''}`],
    ['kernel', r.kernel],
    ['addon', r.addon.loaded ? `${r.addon.path} (${r.addon.origin})` : `not loaded: ${r.addon.error}`],
    ['io_uring', r.ioUring.usable ? `usable (${r.ioUring.setupFlags.join(' ')})` : r.addon.loaded ? `not usable: ${r.ioUring.reason}` : noAddon],
    ['io_uring sysctl', r.ioUring.ioUringDisabled === null ? 'kernel.io_uring_disabled absent' : `kernel.io_uring_disabled=${r.ioUring.ioUringDisabled}`],
    ['epoll', r.epoll.usable ? 'usable' : r.addon.loaded ? `not usable: ${r.epoll.reason}` : noAddon],
    ['auto picks', r.auto.reason],
    ...(r.auto.env ? [['RINGSIDE_BACKEND', r.auto.env] as [string, string]] : []),
    ['open files', `${show(r.openFiles.soft)} (hard ${show(r.openFiles.hard)})`],
    ['somaxconn', show(r.somaxconn)],
    ...(r.advice.length ? r.advice.map((a) => ['change', a] as [string, string]) : [['change', 'nothing'] as [string, string]]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return ['ringside doctor', ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}
