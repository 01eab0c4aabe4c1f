// One source of truth for the transport's error answers. Each native
// precomputed response (packages/native/src/http_parser.cc) must be exactly
// what the TS side sends for the same error: core's errorResponse() of the
// answer event-records.ts maps its ParseError to (less the Date field, which
// native inserts when it sends), with and without its body (HEAD); and that
// answer must be what @ringside/http documents and sends for its code (same
// status, reason phrase and message as createError() through the default
// error handler). Skips loudly without g++.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createError, errorCodes, statusText, type ErrorCode } from '../../http/src/errors.js';
import { parseErrorAnswers } from '../src/backends/native/event-records.js';
import { errorBody, errorResponse, transportErrors, type TransportError } from '../src/http-errors.js';
import { missingTool } from './helpers.js';

const nativeSrc = fileURLToPath(new URL('../../native/src', import.meta.url));
const printer = fileURLToPath(new URL('./fixtures/print_error_answers.cc', import.meta.url));

/** The TS answer each native canned response must equal: per ParseError, and the native 408. */
const TWINS: Record<keyof typeof parseErrorAnswers | 'Timeout', TransportError> = {
  ...parseErrorAnswers,
  Timeout: transportErrors.requestTimeout,
};

const withoutDate = (response: string): string => response.replace(/\r\nDate: [^\r]*/, '');

const skip = missingTool('g++');
if (skip) console.warn(`\n*** SKIPPING the native/TS error answer comparison: ${skip}\n`);
const workDir = skip ? '' : mkdtempSync(join(tmpdir(), 'ringside-errors-'));
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe.skipIf(!!skip)(`native error answers against the TS side${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('every native precomputed answer equals errorResponse() of its TS twin, Date aside, with and without its body', () => {
    const exe = join(workDir, 'print_error_answers');
    execFileSync('g++', ['-std=c++20', '-I', nativeSrc, printer, join(nativeSrc, 'http_parser.cc'), '-o', exe], { stdio: 'pipe' });
    const lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
    const seen = new Set<string>();
    for (const line of lines) {
      const [name, status, full, head] = line.split('\t') as [keyof typeof TWINS, string, string, string];
      const twin = TWINS[name];
      expect(twin, `no TS twin for native ${name}`).toBeDefined();
      expect(Number(status), `${name}: the status HTTP_ERROR reports`).toBe(twin.status);
      expect(JSON.parse(`"${full}"`), name).toBe(withoutDate(errorResponse(twin)));
      expect(JSON.parse(`"${head}"`), `${name} to a HEAD request`).toBe(withoutDate(errorResponse(twin, new Date(), true)));
      seen.add(name);
    }
    expect([...seen].sort()).toEqual(Object.keys(TWINS).sort());
  });
});

describe('transport error answers against @ringside/http', () => {
  // One code, two causes: the transport says which limit was hit (header
  // section size or field count); the errors table documents both under one
  // message. Listed so that any other difference fails.
  const OWN_MESSAGE = new Set<TransportError>([transportErrors.tooManyHeaders]);

  for (const [name, e] of Object.entries(transportErrors)) {
    it(`${name}: the code's status, reason phrase and body are what the framework sends for it`, () => {
      expect(errorCodes, `${e.code} is not in @ringside/http's errors table`).toHaveProperty(e.code);
      const code = e.code as ErrorCode;
      expect(e.status).toBe(errorCodes[code].status);
      expect(e.error, 'reason phrase').toBe(statusText(e.status));
      const message = OWN_MESSAGE.has(e) ? e.message : createError(code).message;
      // The body @ringside/http's default error handler sends for createError(code).
      const framework = JSON.stringify({ statusCode: errorCodes[code].status, code, error: statusText(errorCodes[code].status), message });
      expect(errorBody(e)).toBe(framework);
      if (OWN_MESSAGE.has(e)) expect(e.message).not.toBe(createError(code).message);
    });
  }
});
