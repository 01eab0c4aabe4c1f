// The addon exports exactly the surface typed in lib/index.ts, and probe() tells the truth.
import { describe, expect, it } from 'vitest';
import { bindingExports, loadBinding } from '../lib/index.js';

const { binding, error } = loadBinding();
if (!binding) console.warn(`\n*** SKIPPING native binding tests: ${error}\n`);

describe.skipIf(!binding)(`native binding${binding ? '' : ` (SKIPPED: ${error})`}`, () => {
  it('exports exactly the typed surface', () => {
    expect(Object.keys(binding!).sort()).toEqual([...bindingExports].sort());
    for (const name of bindingExports) expect(typeof binding![name]).toBe('function');
  });

  it('probe() reports the kernel, flags and features, or why io_uring is unusable', () => {
    const p = binding!.probe();
    expect(typeof p.usable).toBe('boolean');
    expect(p.kernel).toMatch(/^\d+\.\d+/);
    if (p.usable) {
      expect(p.reason).toBe('');
      expect(p.features.multishotAccept && p.features.multishotRecv && p.features.bufferRing).toBe(true);
      // Incremental buffer consumption came in Linux 6.12; the loop uses it where the probe finds it.
      const [major, minor] = p.kernel.split('.').map(Number);
      expect(p.features.incrementalBuffers).toBe(major > 6 || (major === 6 && minor >= 12));
      expect(p.setupFlags.length).toBeGreaterThan(0);
    } else {
      expect(p.reason.length).toBeGreaterThan(10);
    }
  });

  it('refuses listen() before init() with a message that says what to do', () => {
    expect(() => binding!.listen({ host: '127.0.0.1', port: 0, backlog: 16, reusePort: false, ipv6Only: false, http: null })).toThrow(
      /init\(\) must be called/,
    );
  });
});
