/**
 * Preloaded into the soak's server (node --expose-gc --import <this>): on
 * SIGUSR2, a full garbage collection, then one line on stderr with the
 * process's memory afterwards:
 *
 *   soak-gc {"heapUsed":…,"heapTotal":…,"external":…,"arrayBuffers":…,"rss":…}
 *
 * bench/soak.js sends the signal right before its start and end readings, so
 * that RSS is compared after a collection at both ends instead of wherever
 * V8's heap happened to be in its grow-and-collect cycle, and the JS heap
 * still in use after a collection (a leak of JS objects shows there first)
 * is recorded. The server under test is not changed otherwise.
 */
process.on('SIGUSR2', () => {
  const gc = /** @type {any} */ (globalThis).gc;
  if (typeof gc === 'function') {
    gc();
    gc(); // a second pass collects what the first one's finalizers released
  }
  const m = process.memoryUsage();
  process.stderr.write(
    `soak-gc ${JSON.stringify({ gc: typeof gc === 'function', heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss })}\n`,
  );
});
