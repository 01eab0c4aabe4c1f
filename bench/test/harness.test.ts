// Smoke test of the benchmark harness: one tiny real run (node-http, one
// scenario, 1 s, 1 round) plus a server that cannot start, into a temp dir.
// Checks that the reports are produced and well-formed; never asserts on
// how fast anything was.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs, runBenchmark, scenarioTool } from '../lib/run.js';
import { SERVERS, startServer } from '../lib/servers.js';
import { stat } from '../lib/report.js';
import { parseProcStat } from '../lib/measure.js';
import { wrkScript } from '../lib/load.js';
import { checkResponse, SCENARIOS } from '../lib/scenarios.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ringside-bench-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Splits a Markdown table row into cells (escaped pipes stay inside a cell). */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** Every table has a header, a separator and rows with the same number of cells. */
function checkMarkdownTables(md: string): number {
  const lines = md.split('\n');
  let tables = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('|')) continue;
    const header = cells(lines[i]);
    const sep = cells(lines[i + 1] ?? '');
    expect(sep.length, `separator under: ${lines[i]}`).toBe(header.length);
    for (const s of sep) expect(s).toMatch(/^:?-{3,}:?$/);
    let j = i + 2;
    for (; j < lines.length && lines[j].startsWith('|'); j++) {
      expect(cells(lines[j]).length, `row: ${lines[j]}`).toBe(header.length);
    }
    tables++;
    i = j;
  }
  return tables;
}

/** A small XML well-formedness check: balanced tags, quoted attributes, escaped text. */
function checkXml(xml: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  const re = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->/g;
  let last = 0;
  let m: RegExpExecArray | null;
  const checkText = (text: string) => {
    expect(text, 'raw < in text').not.toMatch(/</);
    expect(text.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, ''), 'unescaped & in text').not.toMatch(/&/);
  };
  while ((m = re.exec(xml))) {
    checkText(xml.slice(last, m.index));
    last = re.lastIndex;
    if (!m[2]) continue;
    const [, close, name, attrs, selfClose] = m;
    expect(attrs.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, ''), `attribute & in <${name}>`).not.toMatch(/&/);
    if (close) {
      expect(stack.pop(), `closing </${name}>`).toBe(name);
    } else {
      names.push(name);
      if (!selfClose) stack.push(name);
    }
  }
  checkText(xml.slice(last));
  expect(stack, 'unclosed tags').toEqual([]);
  return names;
}

describe('bench harness', () => {
  it('runs node-http on one scenario and writes Markdown, JSON and SVG', { timeout: 20_000 }, async () => {
    const out = path.join(tmp, 'results');
    const nodeHttp = SERVERS.find((s) => s.name === 'node-http')!; // bench/lib/servers.js defines it
    const broken = { name: 'broken', command: [process.execPath, '-e', 'console.error("Error: boom"); process.exit(3)'], env: {} };
    const lines: string[] = [];
    const { report, markdown, svg, files } = await runBenchmark(
      {
        ...parseArgs(['--quick']),
        servers: ['node-http', 'broken'],
        serverDefs: [nodeHttp, broken],
        scenarios: ['json'],
        duration: 1,
        rounds: 1,
        warmup: 0,
        connections: 10,
        out,
        readyTimeoutS: 5,
        command: 'vitest',
      },
      { log: (l: string) => lines.push(l) },
    );

    // Files
    const written = readdirSync(out).sort();
    expect(written).toContain('latest.md');
    expect(written).toContain('latest.json');
    expect(written).toContain('latest.svg');
    expect(written.filter((f) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.json$/.test(f))).toHaveLength(1);
    expect(files).toHaveLength(4);

    // JSON
    const json = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8'));
    expect(json).toEqual(JSON.parse(JSON.stringify(report)));
    expect(json.machine.kernel).toBe(os.release());
    expect(json.machine.nproc).toBeGreaterThan(0);
    expect(json.node).toBe(process.version);
    expect(json.tool).toEqual({ name: 'auto', used: ['autocannon'] });
    expect(typeof json.tools.autocannon).toBe('string');
    expect(json.command).toBe('vitest');
    const ok = json.results.find((r: any) => r.server === 'node-http' && r.scenario === 'json');
    expect(ok.error).toBeNull();
    expect(ok.rounds).toHaveLength(1);
    expect(ok.summary.responses).toBeGreaterThan(0);
    for (const k of ['rps', 'p50Ms', 'p99Ms', 'cpuPerReqUs']) {
      expect(ok.summary[k], k).toMatchObject({ median: expect.any(Number), min: expect.any(Number), max: expect.any(Number) });
    }
    expect(ok.notes.filter((n: string) => n.startsWith('wrong answer'))).toEqual([]);
    const srv = json.servers.find((s: any) => s.name === 'node-http');
    expect(srv.error).toBeNull();
    expect(srv.backend).toBe('node:http');
    expect(srv.rssIdleBytes).toBeGreaterThan(0);
    expect(srv.rssOpenBytes).toBeGreaterThan(0);
    const bad = json.results.find((r: any) => r.server === 'broken');
    expect(bad.summary).toBeNull();
    expect(bad.error).toMatch(/failed to start.*Error: boom/);
    // Every target needs ringside-io_uring, which did not run.
    expect(json.targets.length).toBeGreaterThan(0);
    expect(json.targets.filter((t: any) => t.status !== 'SKIP')).toEqual([]);

    // Markdown
    const md = readFileSync(path.join(out, 'latest.md'), 'utf8');
    expect(md).toBe(markdown);
    expect(md).toMatch(/^# Ringside benchmark/);
    expect(checkMarkdownTables(md)).toBe(3);
    expect(md).toMatch(/^\| JSON GET \/json \| [\d,]+ · [\d.]+ µs \| — \|$/m); // summary: node-http's figures, none for broken
    expect(md).toMatch(/^\| RSS idle \| [\d.]+ MiB \| — \|$/m);
    expect(md).toMatch(/^\| RSS, 1,000 connections open \| [\d.]+ MiB \| — \|$/m);
    expect(md).toMatch(/\| JSON GET \/json \| node-http \| [\d,]+ \|/);
    expect(md).toMatch(/\| JSON GET \/json \| broken \| — \|.*ERROR: server failed to start/);
    expect(md).toMatch(/\| broken \| — \|.*ERROR: exited \(code 3\) before answering: Error: boom/);
    expect(md).toMatch(/^- \*\*SKIP\*\* Plaintext CPU\/req/m);

    // SVG
    const s = readFileSync(path.join(out, 'latest.svg'), 'utf8');
    expect(s).toBe(svg);
    expect(s.trim()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 \d+ \d+"[\s\S]*<\/svg>$/);
    const tags = checkXml(s);
    expect(tags.filter((t) => t === 'rect').length).toBeGreaterThanOrEqual(3); // background, legend, bars

    expect(lines.some((l) => l.includes('ERROR broken'))).toBe(true);
  });

  it('gives up on a server that never answers, without hanging', { timeout: 10_000 }, async () => {
    const silent = { name: 'silent', command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], env: {} };
    const t0 = Date.now();
    await expect(startServer(silent, { readyTimeoutMs: 1000 })).rejects.toThrow(/did not answer GET \/ within 1 s/);
    expect(Date.now() - t0).toBeLessThan(8000);
  });

  it('parses options, /proc stat lines, and builds wrk scripts', () => {
    const q = parseArgs(['--quick', '--servers', 'node-http,fastify', '--scenarios=plaintext', '--tool', 'wrk', '--no-pin']);
    expect(q).toMatchObject({ quick: true, rounds: 1, duration: 2, servers: ['node-http', 'fastify'], scenarios: ['plaintext'], tool: 'wrk', pin: false });
    expect(parseArgs([])).toMatchObject({ quick: false, rounds: 3, duration: 2, warmup: 1, connections: 100, tool: 'auto' });
    const pipelined = SCENARIOS.find((s) => s.name === 'dynamic-pipelined')!;
    const plain = SCENARIOS.find((s) => s.name === 'plaintext')!;
    expect([scenarioTool('auto', pipelined, true), scenarioTool('auto', plain, true), scenarioTool('auto', pipelined, false)]).toEqual([
      'wrk',
      'autocannon',
      'autocannon',
    ]);
    expect([scenarioTool('wrk', plain, true), scenarioTool('wrk', plain, false), scenarioTool('autocannon', pipelined, true)]).toEqual([
      'wrk',
      'autocannon',
      'autocannon',
    ]);
    expect(() => parseArgs(['--bogus'])).toThrow(/Unknown option/);
    expect(stat([3, 1, null, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(stat([])).toBeNull();
    const st = parseProcStat('42 (node (x) y) S 1 42 42 0 -1 4194560 10 0 0 0 150 25 3 4 20 0 11 0 100 0 0');
    expect(st).toMatchObject({ pid: 42, ppid: 1, utime: 150, stime: 25, cutime: 3, cstime: 4 });
    const lua = wrkScript({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a"b', pipelining: 16 });
    expect(lua).toContain('wrk.method = "POST"');
    expect(lua).toContain('wrk.body = "a\\"b"');
    expect(lua).toContain('local depth = 16');
  });

  it("checks a scenario's expected headers before any load", () => {
    const plugins = SCENARIOS.find((s) => s.name === 'plugins')!;
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'access-control-allow-origin': '*',
      'x-frame-options': 'SAMEORIGIN',
      'content-security-policy': "default-src 'self';base-uri 'self'",
      'set-cookie': ['session=abc123; Path=/; HttpOnly; SameSite=Lax'],
    };
    const body = JSON.stringify({ hello: 'world', theme: 'dark' });
    expect(checkResponse(plugins, { status: 200, headers, body })).toBeNull();
    expect(checkResponse(plugins, { status: 200, headers: { ...headers, 'set-cookie': undefined }, body })).toMatch(/set-cookie "", expected/);
  });
});
