// The two sides of the boundary agree: every constant and enum of src/batch.h
// and every ParseError of src/http_parser.h, as g++ sees them, equals its twin
// in lib/index.ts; and the addon's stats() returns exactly NativeStats' keys.
// The C++ side is a small program compiled here that prints name=value lines;
// a scan of the headers checks it prints every enum and constant of batch.h
// and every ParseError there is.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENT_WORDS, Ev, FIELD_WORDS, HttpFlag, OP_FLAG_RESPONSE_DONE, OUT_HEADER_WORDS, OUT_WORDS, Op, ParseError,
  SLOT_BITS, Timeout, loadBinding, nativeStatsKeys, slotOf,
} from '../lib/index.js';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

// Every line is "<group>:<C++ name>=<value>"; group is the enum, or "const".
const PRINTER = `
#include <cstdio>
#include "batch.h"
#include "http_parser.h"
using namespace ringside;
using http::ParseError;
#define C(x) std::printf("const:%s=%lld\\n", #x, (long long)(x))
#define E(e, x) std::printf("%s:%s=%lld\\n", #e, #x, (long long)(x))
#define EC(e, x) std::printf("%s:%s=%lld\\n", #e, #x, (long long)e::x)
int main() {
  C(kEventWords); C(kFieldWords); C(kOutHeaderWords); C(kOutWords);
  C(kOpFlagResponseDone); C(kSlotBits); C(kSlotMask);
  E(Ev, EV_OPEN); E(Ev, EV_DATA); E(Ev, EV_END); E(Ev, EV_DRAIN); E(Ev, EV_CLOSE);
  E(Ev, EV_REQUEST); E(Ev, EV_BODY); E(Ev, EV_BODY_END); E(Ev, EV_HTTP_ERROR); E(Ev, EV_TIMEOUT);
  E(HttpFlag, HF_KEEP_ALIVE); E(HttpFlag, HF_CHUNKED); E(HttpFlag, HF_HAS_BODY);
  E(HttpFlag, HF_EXPECT_CONTINUE); E(HttpFlag, HF_HTTP10); E(HttpFlag, HF_UPGRADE);
  E(TimeoutKind, TO_HEADERS); E(TimeoutKind, TO_IDLE); E(TimeoutKind, TO_REQUEST); E(TimeoutKind, TO_SEND);
  E(OutOp, OP_WRITE); E(OutOp, OP_WRITE_WANT_DRAIN); E(OutOp, OP_END); E(OutOp, OP_END_CLOSE); E(OutOp, OP_DESTROY);
  E(OutOp, OP_PAUSE); E(OutOp, OP_RESUME); E(OutOp, OP_RESPONSE_DONE); E(OutOp, OP_DISCARD_BODY);
  EC(ParseError, None); EC(ParseError, BadRequest); EC(ParseError, BadVersion); EC(ParseError, UriTooLong);
  EC(ParseError, HeadTooLarge); EC(ParseError, TooManyHeaders); EC(ParseError, BodyTooLarge);
  EC(ParseError, Smuggling); EC(ParseError, BadChunk); EC(ParseError, NotImplemented); EC(ParseError, Count);
  return 0;
}
`;

// C++ enum → its TS twin; the C++ prefix is dropped to get the TS key.
const ENUMS: { cpp: string; prefix: string; ts: Record<string, number> }[] = [
  { cpp: 'Ev', prefix: 'EV_', ts: Ev },
  { cpp: 'HttpFlag', prefix: 'HF_', ts: HttpFlag },
  { cpp: 'TimeoutKind', prefix: 'TO_', ts: Timeout },
  { cpp: 'OutOp', prefix: 'OP_', ts: Op },
  { cpp: 'ParseError', prefix: '', ts: ParseError },
];
// Enums and constants of the headers that stay native (no TS twin), and
// ParseError's sentinels, which never cross (checked on their own below).
const NATIVE_ONLY = new Set(['UdOp']);
const SENTINELS = new Set(['ParseError:None', 'ParseError:Count']);

/** "group:name" of every enumerator and k-constant the header declares. */
function declared(header: string): string[] {
  const text = readFileSync(join(srcDir, header), 'utf8').replace(/\/\/.*$/gm, '');
  const names: string[] = [];
  for (const m of text.matchAll(/\benum\s+(?:class\s+)?(\w+)\s*(?::\s*\w+\s*)?\{([^}]*)\}/g)) {
    if (NATIVE_ONLY.has(m[1]!)) continue;
    for (const e of m[2]!.split(',')) {
      const name = e.trim().match(/^\w+/)?.[0];
      if (name) names.push(`${m[1]}:${name}`);
    }
  }
  for (const m of text.matchAll(/\bconstexpr\s+\w+\s+(k\w+)\s*=/g)) names.push(`const:${m[1]}`);
  return names;
}

function probeCompiler(): string | null {
  try {
    execFileSync('g++', ['--version'], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `g++ not found (${(e as Error).message.split('\n')[0]}); install a C++20 compiler to check the C++ side of the boundary`;
  }
}

const noCompiler = probeCompiler();
if (noCompiler) console.warn(`\n*** SKIPPING boundary constant tests: ${noCompiler}\n`);

describe.skipIf(!!noCompiler)(`batch.h and http_parser.h against lib/index.ts${noCompiler ? ` (SKIPPED: ${noCompiler})` : ''}`, () => {
  const cpp = new Map<string, number>();
  let workDir = '';

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'ringside-boundary-'));
    const source = join(workDir, 'print.cc');
    const exe = join(workDir, 'print');
    writeFileSync(source, PRINTER);
    let output: string;
    try {
      execFileSync('g++', ['-std=c++20', '-Wall', '-Wextra', '-I', srcDir, source, '-o', exe], { stdio: 'pipe', timeout: 60_000 });
      output = execFileSync(exe, { stdio: 'pipe' }).toString();
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
      throw new Error(`building or running the constant printer failed:\n${err.stderr?.toString() || err.message}${err.stdout?.toString() ?? ''}`);
    }
    for (const line of output.trim().split('\n')) {
      const m = line.match(/^(\w+:\w+)=(-?\d+)$/);
      if (!m) throw new Error(`constant printer wrote an unexpected line: ${JSON.stringify(line)}`);
      cpp.set(m[1]!, Number(m[2]));
    }
  }, 90_000);
  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('the printer covers every enumerator and constant the headers declare', () => {
    // http_parser.h: only ParseError crosses; its other enums and constants are the parser's own.
    const parseErrors = declared('http_parser.h').filter((n) => n.startsWith('ParseError:'));
    const inHeaders = [...declared('batch.h'), ...parseErrors].sort();
    expect([...cpp.keys()].sort(), 'a C++ enum or constant was added or removed: add it to PRINTER and its twin to lib/index.ts').toEqual(inHeaders);
  });

  it('record sizes, flags and connection id layout match', () => {
    expect({
      EVENT_WORDS, FIELD_WORDS, OUT_HEADER_WORDS, OUT_WORDS, OP_FLAG_RESPONSE_DONE, SLOT_BITS,
      slotMask: slotOf(0xffffffff),
    }).toEqual({
      EVENT_WORDS: cpp.get('const:kEventWords'),
      FIELD_WORDS: cpp.get('const:kFieldWords'),
      OUT_HEADER_WORDS: cpp.get('const:kOutHeaderWords'),
      OUT_WORDS: cpp.get('const:kOutWords'),
      OP_FLAG_RESPONSE_DONE: cpp.get('const:kOpFlagResponseDone'),
      SLOT_BITS: cpp.get('const:kSlotBits'),
      slotMask: cpp.get('const:kSlotMask'),
    });
  });

  for (const { cpp: name, prefix, ts } of ENUMS) {
    it(`${name} matches its TS twin`, () => {
      const fromCpp: Record<string, number> = {};
      for (const [key, value] of cpp) {
        const [group, member] = key.split(':') as [string, string];
        if (group === name && !SENTINELS.has(key)) fromCpp[member.slice(prefix.length)] = value;
      }
      expect(Object.keys(fromCpp).length, `no ${name} values printed`).toBeGreaterThan(0);
      expect({ ...ts }).toEqual(fromCpp);
    });
  }

  it('OP_FLAG_RESPONSE_DONE lies above every Op code', () => {
    for (const code of Object.values(Op)) expect(code & OP_FLAG_RESPONSE_DONE).toBe(0);
  });

  it('ParseError: None is 0 and never crosses; codes run 1 … Count-1', () => {
    expect(cpp.get('ParseError:None')).toBe(0);
    expect(Object.values(ParseError).sort((a, b) => a - b)).toEqual(
      Array.from({ length: cpp.get('ParseError:Count')! - 1 }, (_, i) => i + 1),
    );
  });
});

const { binding, error } = loadBinding();
if (!binding) console.warn(`\n*** SKIPPING boundary stats test: ${error}\n`);

describe.skipIf(!binding)(`addon stats() against NativeStats${binding ? '' : ` (SKIPPED: ${error})`}`, () => {
  it('returns exactly the keys of NativeStats, all numbers', () => {
    const stats = binding!.stats();
    expect(Object.keys(stats).sort()).toEqual([...nativeStatsKeys].sort());
    for (const key of nativeStatsKeys) expect(typeof stats[key], key).toBe('number');
  });
});
