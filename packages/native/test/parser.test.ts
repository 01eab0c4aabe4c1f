// The native HTTP parser on its own: builds test/parser/parser_test.cc (unit
// tests) and test/parser/fuzz.cc (seeded mutation test) with g++ under
// AddressSanitizer + UBSan and runs them. Needs no addon build and no io_uring.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const nativeDir = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(nativeDir, 'src');
const testDir = join(nativeDir, 'test', 'parser');
const TIMEOUT = 120_000;

function probeCompiler(): string | null {
  try {
    execFileSync('g++', ['--version'], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `g++ not found (${(e as Error).message.split('\n')[0]}); install a C++20 compiler to run the parser tests`;
  }
}

const skipReason = probeCompiler();
if (skipReason) console.warn(`\n*** SKIPPING native parser tests: ${skipReason}\n`);

const workDir = skipReason ? '' : mkdtempSync(join(tmpdir(), 'ringside-parser-'));
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface RunResult {
  status: number;
  output: string;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): RunResult {
  try {
    const out = execFileSync(cmd, args, {
      cwd: nativeDir,
      env: { ...process.env, ...env },
      stdio: 'pipe',
      timeout: TIMEOUT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: 0, output: out.toString() };
  } catch (e) {
    const err = e as { status?: number | null; signal?: string; stdout?: Buffer; stderr?: Buffer; message: string };
    const output = `${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? ''}`;
    return { status: err.status ?? -1, output: output || `${err.message} (signal ${err.signal ?? 'none'})` };
  }
}

// Sanitizer runtimes are usually installed with g++; if not, still run the
// tests, unsanitized, and say so loudly.
let sanitizerFlags: string[] | null = null;
function sanitizers(): string[] {
  if (sanitizerFlags) return sanitizerFlags;
  const probe = join(workDir, 'probe.cc');
  writeFileSync(probe, 'int main() { return 0; }\n');
  const flags = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
  const r = run('g++', [...flags, probe, '-o', join(workDir, 'probe')]);
  if (r.status === 0) sanitizerFlags = flags;
  else {
    console.warn(`\n*** native parser tests run WITHOUT ASan/UBSan (no sanitizer runtime):\n${r.output}\n`);
    sanitizerFlags = [];
  }
  return sanitizerFlags;
}

function build(name: string, sources: string[]): string {
  const exe = join(workDir, name);
  const r = run('g++', ['-std=c++20', '-O1', '-g', '-Wall', '-Wextra', ...sanitizers(), '-I', srcDir, ...sources, join(srcDir, 'http_parser.cc'), '-o', exe]);
  expect(r.status, `building ${name} failed:\n${r.output}`).toBe(0);
  return exe;
}

const sanitizerEnv = {
  // LeakSanitizer needs ptrace, which containers often forbid; the parser never allocates.
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};

describe.skipIf(!!skipReason)(`native HTTP parser${skipReason ? ` (SKIPPED: ${skipReason})` : ''}`, () => {
  it('http_parser.cc compiles warning-free with the addon flags', { timeout: TIMEOUT }, () => {
    const r = run('g++', [
      '-std=c++20',
      '-O2',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fno-exceptions',
      '-fno-rtti',
      '-I',
      srcDir,
      '-c',
      join(srcDir, 'http_parser.cc'),
      '-o',
      join(workDir, 'http_parser.o'),
    ]);
    expect(r.status, r.output).toBe(0);
  });

  it('passes its unit tests (ASan + UBSan)', { timeout: TIMEOUT }, () => {
    const exe = build('parser_test', [join(testDir, 'parser_test.cc')]);
    const r = run(exe, [], sanitizerEnv);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/parser_test: \d+ tests, \d+ checks, 0 failures/);
  });

  it('survives 200k seeded mutations, byte-by-byte chunked decoding agreeing (ASan + UBSan)', { timeout: TIMEOUT }, () => {
    const exe = build('parser_fuzz', [join(testDir, 'fuzz.cc')]);
    const r = run(exe, ['200000', '0x5eed'], sanitizerEnv);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/fuzz: ok/);
  });
});
