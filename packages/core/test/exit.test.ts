// After close() resolves nothing of the server keeps the event loop alive: a child process
// that starts a server, connects, and closes it exits by itself (code 0) within 5 s.
// The child imports the built package (packages/core/dist): `pnpm test` builds first.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeBackends, runNodeChild } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/exit-child.mjs', import.meta.url));
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describeBackends('process exit after close', (backend) => {
  for (const mode of ['tcp', 'tcp-force', 'http']) {
    it(`${mode}: the child exits by itself with code 0 within 5 s`, async () => {
      expect(fs.existsSync(dist), `${dist} is missing: build first (pnpm -r --filter ./packages/** run build)`).toBe(true);
      const r = await runNodeChild(fixture, [mode], { RINGSIDE_BACKEND: backend }, 5000);
      expect(r.signal, `killed after 5 s: something kept the loop alive. stderr: ${r.err}`).toBe(null);
      expect(r.code, `stderr: ${r.err}`).toBe(0);
      const report = JSON.parse(r.out.trim()) as { backend: string };
      expect(report.backend).toBe(backend);
    }, 15_000);
  }
});
