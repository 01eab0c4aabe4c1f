/**
 * Once a server has started, hand back what starting used. Loading modules
 * and compiling the first hot functions grow V8's young generation to its
 * maximum and leave freed compiler memory in malloc's arenas; an idle server
 * keeps both until load comes, and that is what `kubectl top` and a memory
 * limit see. One memory-reducing collection shrinks them (bench server idle
 * 74.9 → 61.5 MiB; a pause of 15–20 ms there, once). Under load the young
 * generation grows again, as in any Node process.
 *
 * Once per thread (each worker has its own heap), after the code that
 * follows listen() has run; a no-op where the addon is not loadable.
 */
import { loadBinding } from '@ringside/native';

let scheduled = false;

/** Release start-up memory soon (at most once per thread). */
export function releaseStartupMemory(): void {
  if (scheduled) return;
  scheduled = true;
  // ?.(): an addon built before releaseMemory existed (RINGSIDE_ADDON, a stale build) lacks it.
  setImmediate(() => loadBinding().binding?.releaseMemory?.()).unref();
}
