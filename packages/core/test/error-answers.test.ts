// One source of truth for the transport's error answers: the native parser's
// precomputed responses (C++) must be exactly core's errorResponse() for the
// same error (less the Date field, which native inserts when it sends).
// Skips loudly without g++.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ParseError } from '@ringside/native';
import { errorResponse, transportErrors, type TransportError } from '../src/http-errors.js';
import { missingTool } from './helpers.js';

const nativeSrc = fileURLToPath(new URL('../../native/src', import.meta.url));
const printer = fileURLToPath(new URL('./fixtures/print_error_answers.cc', import.meta.url));

/** Which TS answer each native ParseError (and the native 408) must equal. */
const TWINS: Record<keyof typeof ParseError | 'Timeout', TransportError> = {
  BadRequest: transportErrors.badRequest,
  BadVersion: transportErrors.versionNotSupported,
  UriTooLong: transportErrors.uriTooLong,
  HeadTooLarge: transportErrors.headersTooLarge,
  TooManyHeaders: transportErrors.tooManyHeaders,
  BodyTooLarge: transportErrors.bodyTooLarge,
  Smuggling: transportErrors.smuggling,
  BadChunk: transportErrors.badChunk,
  NotImplemented: transportErrors.notImplemented,
  Timeout: transportErrors.requestTimeout,
};

const skip = missingTool('g++');
if (skip) console.warn(`\n*** SKIPPING the native/TS error answer comparison: ${skip}\n`);
const workDir = skip ? '' : mkdtempSync(join(tmpdir(), 'ringside-errors-'));
afterAll(() => { if (workDir) rmSync(workDir, { recursive: true, force: true }); });

describe.skipIf(!!skip)(`error answers${skip ? ` (SKIPPED: ${skip})` : ''}`, () => {
  it('every native precomputed answer equals errorResponse() of its TS twin, Date aside', () => {
    const exe = join(workDir, 'print_error_answers');
    execFileSync('g++', ['-std=c++20', '-I', nativeSrc, printer, join(nativeSrc, 'http_parser.cc'), '-o', exe], { stdio: 'pipe' });
    const lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
    const seen = new Set<string>();
    for (const line of lines) {
      const [name, status, escaped] = line.split('\t') as [keyof typeof TWINS, string, string];
      const native = JSON.parse(`"${escaped}"`) as string;
      const twin = TWINS[name];
      expect(twin, `no TS twin for native ${name}`).toBeDefined();
      expect(Number(status)).toBe(twin.status);
      expect(native, name).toBe(errorResponse(twin).replace(/\r\nDate: [^\r]*/, ''));
      seen.add(name);
    }
    expect([...seen].sort()).toEqual(Object.keys(TWINS).sort());
  });
});
