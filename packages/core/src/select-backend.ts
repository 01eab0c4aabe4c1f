/**
 * Backend selection: `auto` probes io_uring, then falls back to the native
 * engine on epoll (io_uring blocked: seccomp, sysctl, old kernel), then to the
 * node backend (no addon), saying why in one line; an explicit backend that
 * cannot run throws with the reason and what to do.
 */
import { loadBinding, type Binding } from '@ringside/native';
import { ioUringFix, withFix } from './native-advice.js';
import type { BackendChoice, BackendName, NativeDriver } from './types.js';

export interface BackendSelection {
  name: BackendName;
  reason: string;
  /** The addon, for the native engine (io_uring or epoll); null for node. */
  binding: Binding | null;
}

const CHOICES: readonly BackendChoice[] = ['auto', 'io_uring', 'epoll', 'node'];

/** The native driver a selection runs on, or null for the node backend. */
export function nativeDriver(sel: BackendSelection): NativeDriver | null {
  return sel.binding && sel.name !== 'node' ? sel.name : null;
}

export function resolveChoice(option: BackendChoice | undefined): BackendChoice {
  const fromEnv = process.env.RINGSIDE_BACKEND;
  const choice = option ?? (fromEnv === undefined || fromEnv === '' ? 'auto' : (fromEnv as BackendChoice));
  if (!CHOICES.includes(choice)) {
    const where = option !== undefined ? 'Option "backend"' : 'RINGSIDE_BACKEND';
    throw new TypeError(`${where} must be one of ${CHOICES.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(choice)}`);
  }
  return choice;
}

/** A backend's binding, or why it cannot run here and what a user can do about it. */
export interface Availability {
  binding: Binding | null;
  /** The cause; '' when it can run. */
  why: string;
  /** What to change; '' when it can run or nothing can be done (not Linux). */
  fix: string;
}

let probed: Availability | undefined;

/** Why io_uring cannot run here, or '' when it can. Cached per thread. */
export function ioUringUnavailableReason(): Availability {
  if (probed) return probed;
  const loaded = loadBinding();
  if (!loaded.binding) {
    probed = { binding: null, why: loaded.error, fix: loaded.fix };
    return probed;
  }
  const p = loaded.binding.probe();
  probed = p.usable ? { binding: loaded.binding, why: '', fix: '' } : { binding: null, why: p.reason, fix: ioUringFix(p) };
  return probed;
}

/** Why the native engine on epoll cannot run here (the addon did not load), or ''. */
export function epollUnavailableReason(): Availability {
  const loaded = loadBinding();
  return { binding: loaded.binding, why: loaded.error, fix: loaded.fix };
}

export function selectBackend(option: BackendChoice | undefined): BackendSelection {
  const choice = resolveChoice(option);
  const source = option !== undefined ? 'option backend' : process.env.RINGSIDE_BACKEND ? 'RINGSIDE_BACKEND' : 'auto';
  if (choice === 'node') return { name: 'node', reason: `node: requested by ${source}`, binding: null };
  if (choice === 'epoll') {
    const ep = epollUnavailableReason();
    if (!ep.binding)
      throw new Error(`Ringside: backend 'epoll' was requested (${source}) but cannot run here: ${withFix(ep.why, ep.fix)}. Use backend 'auto' or 'node'.`);
    return { name: 'epoll', reason: `epoll: requested by ${source}`, binding: ep.binding };
  }
  const { binding, why, fix } = ioUringUnavailableReason();
  if (binding) {
    return { name: 'io_uring', reason: choice === 'auto' ? 'io_uring: probe succeeded' : `io_uring: requested by ${source}`, binding };
  }
  if (choice === 'io_uring') {
    throw new Error(
      `Ringside: backend 'io_uring' was requested (${source}) but cannot run here: ${withFix(why, fix)}. ` +
        `Use backend 'auto', 'epoll' or 'node' (RINGSIDE_BACKEND=epoll) instead.`,
    );
  }
  // The same cause and fix as the error above, in the one line 'auto' logs.
  const ep = epollUnavailableReason();
  if (ep.binding) return { name: 'epoll', reason: `epoll: io_uring unavailable (${withFix(why, fix)})`, binding: ep.binding };
  return { name: 'node', reason: `node: native engine unavailable (${withFix(why, fix)})`, binding: null };
}

export function logSelection(log: ((line: string) => void) | false | undefined, reason: string): void {
  if (log === false) return;
  const line = `ringside: backend ${reason}`;
  if (log) log(line);
  // Without a logger, speak only when 'auto' fell back: that is the surprise worth a line.
  else if (reason.includes('unavailable') || process.env.RINGSIDE_LOG_BACKEND) process.stderr.write(line + '\n');
}
