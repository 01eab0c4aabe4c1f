// WebSocket conformance (Autobahn|Testsuite sections 1-7, 9, 12, 13, see
// bench/ws-conformance/): a seeded, bounded sample of cases against each echo
// server below must give the verdicts recorded in calibration-ws.json, the run
// of the same client against the `ws` package's server. A Ringside backend is
// checked by adding its echo-server factory to SERVERS.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CASES } from '../../../bench/ws-conformance/cases.js';
import { pickCases, runConformance } from '../../../bench/ws-conformance/run.js';
import { startWsEcho } from '../../../bench/ws-conformance/servers/ws-echo.js';
import { startRingsideEcho } from '../../../bench/ws-conformance/servers/ringside-echo.js';
import { title, websocketBackends } from '../../core/test/http-helpers.js';

type EchoServer = { url: string; close: () => Promise<void> };
type Verdicts = { verdict: string; behavior: string; behaviorClose: string };

/** Echo servers under test: each echoes text and binary messages and offers permessage-deflate. */
const SERVERS: { name: string; skip: string | null; start: () => Promise<EchoServer> }[] = [
  { name: 'ws', skip: null, start: () => startWsEcho() },
  ...websocketBackends().map((b) => ({ name: `ringside ${title(b)}`, skip: b.skip, start: () => startRingsideEcho({ backend: b.name }) })),
];

const calibration = JSON.parse(readFileSync(new URL('../../../bench/ws-conformance/calibration-ws.json', import.meta.url), 'utf8')) as {
  cases: Record<string, Verdicts>;
};

// 80 of the 516 cases, the same ones on every run; Autobahn's own waits (a loaded CI machine
// must not turn a slow answer into a verdict), loads capped so the run takes seconds.
const SAMPLE = { seed: 20261130, sample: 80, timeScale: 1, limits: { maxPayload: 256 * 1024, maxMessages: 10 } };

describe('conformance case table', () => {
  it('has every case of Autobahn sections 1-7, 9, 12 and 13, once', () => {
    const perSection: Record<number, number> = {};
    for (const c of CASES) perSection[c.section] = (perSection[c.section] ?? 0) + 1;
    expect(perSection).toEqual({ 1: 16, 2: 11, 3: 7, 4: 10, 5: 20, 6: 145, 7: 37, 9: 54, 12: 90, 13: 126 });
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    expect(Object.keys(calibration.cases).sort()).toEqual(CASES.map((c) => c.id).sort());
  });

  it('draws the same sample for the same seed, and a different one for another seed', () => {
    const ids = (seed: number) => pickCases({ seed, sample: SAMPLE.sample }).map((c) => c.id);
    expect(ids(SAMPLE.seed)).toEqual(ids(SAMPLE.seed));
    expect(ids(SAMPLE.seed)).toHaveLength(SAMPLE.sample);
    expect(ids(SAMPLE.seed)).not.toEqual(ids(SAMPLE.seed + 1));
  });
});

for (const server of SERVERS) {
  describe.skipIf(server.skip !== null)(`${server.name} echo server`, () => {
    let echo: EchoServer;
    beforeAll(async () => {
      echo = await server.start();
    });
    afterAll(() => echo?.close());

    it('gives the calibrated verdict on every sampled case', async () => {
      const run = await runConformance({ url: echo.url, ...SAMPLE });
      expect(run.results).toHaveLength(SAMPLE.sample);
      const got = Object.fromEntries(run.results.map((r) => [r.id, { verdict: r.verdict, behavior: r.behavior, behaviorClose: r.behaviorClose }]));
      const want = Object.fromEntries(
        run.results.map((r) => {
          const { verdict, behavior, behaviorClose } = calibration.cases[r.id];
          return [r.id, { verdict, behavior, behaviorClose }];
        }),
      );
      expect(got).toEqual(want);
    }, 60_000);
  });
}

describe('a server that does not validate UTF-8', () => {
  let lax: EchoServer;
  beforeAll(async () => {
    lax = await startWsEcho({ skipUTF8Validation: true });
  });
  afterAll(() => lax?.close());

  it('fails the invalid-UTF-8 cases and passes the valid ones', async () => {
    const run = await runConformance({ url: lax.url, cases: ['6.3.*', '6.8.*', '6.1.1'], timeScale: 0.25 });
    const verdicts = Object.fromEntries(run.results.map((r) => [r.id, r.verdict]));
    expect(verdicts).toEqual({ '6.1.1': 'OK', '6.3.1': 'FAILED', '6.3.2': 'FAILED', '6.8.1': 'FAILED', '6.8.2': 'FAILED' });
  });
});
