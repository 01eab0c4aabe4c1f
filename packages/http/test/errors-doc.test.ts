/**
 * docs/errors.md and src/errors.ts must agree: the same codes, in tables of
 * `| code | status | when | what to do |`, with the same texts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../src/errors.js';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)), 'utf8');

interface Row {
  code: string;
  status: number;
  when: string;
  fix: string;
}

function rows(markdown: string): Row[] {
  const out: Row[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`((?:RS|FST)_ERR_[A-Z0-9_]+)`\s*\|/.exec(line);
    if (!m) continue;
    // Split on pipes that are not escaped.
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
    expect(cells, `row for ${m[1]} has 4 cells`).toHaveLength(4);
    out.push({ code: m[1]!, status: Number(cells[1]), when: cells[2]!, fix: cells[3]! });
  }
  return out;
}

describe('docs/errors.md', () => {
  const documented = rows(doc);

  it('documents every code of errors.ts, and no other', () => {
    const codes = Object.keys(errorCodes).sort();
    expect(documented.map((r) => r.code).sort()).toEqual(codes);
    expect(new Set(documented.map((r) => r.code)).size).toBe(documented.length);
  });

  it('has the same status, "when" and "what to do" as errors.ts', () => {
    for (const row of documented) {
      const def = errorCodes[row.code as keyof typeof errorCodes];
      expect({ code: row.code, status: row.status, when: row.when, fix: row.fix }).toEqual({
        code: row.code,
        status: def.status,
        when: def.when,
        fix: def.fix,
      });
    }
  });

  it('follows the RS_ERR_<AREA>_<WHAT> naming and gives every code a message, doc line and fix', () => {
    for (const [code, def] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^RS_ERR_[A-Z]+(_[A-Z]+)+$|^RS_ERR_INTERNAL$|^FST_ERR_[A-Z0-9_]+$/);
      expect(def.status).toBeGreaterThanOrEqual(400);
      expect(def.status).toBeLessThanOrEqual(599);
      expect(def.message.length).toBeGreaterThan(0);
      expect(def.when.length).toBeGreaterThan(10);
      expect(def.fix.length).toBeGreaterThan(5);
    }
  });

  it('lists the transport codes the native parser and the node backend send', () => {
    for (const code of [
      'RS_ERR_HTTP_BAD_REQUEST',
      'RS_ERR_HTTP_VERSION_NOT_SUPPORTED',
      'RS_ERR_HTTP_URI_TOO_LONG',
      'RS_ERR_HTTP_HEADERS_TOO_LARGE',
      'RS_ERR_HTTP_BODY_TOO_LARGE',
      'RS_ERR_HTTP_SMUGGLING',
      'RS_ERR_HTTP_BAD_CHUNK',
      'RS_ERR_HTTP_NOT_IMPLEMENTED',
      'RS_ERR_HTTP_REQUEST_TIMEOUT',
    ]) {
      expect(errorCodes).toHaveProperty(code);
    }
  });
});
