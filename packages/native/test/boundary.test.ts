// The two sides of the boundary agree: every enum and constant of the batch
// format (src/batch.h, src/event_records.h), every limit of
// src/transport_limits.h, every ParseError of
// src/http_parser.h and every counter of src/stats.h, as g++ sees them,
// equals its twin in lib/index.ts; and the addon's stats() returns exactly
// NativeStats' keys. A scan of the headers lists what they declare; a small
// program compiled here prints the value of each (so the compiler, not the
// scan, gives the values), and every C++ enum must have a TS twin.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CloseWord,
  DataWord,
  EVENT_WORDS,
  Ev,
  FIELD_WORDS,
  FieldWord,
  HttpErrorWord,
  HttpFlag,
  LINGER_MS,
  MAX_OUTSTANDING_REQUESTS,
  NO_CONNECTION,
  OP_FLAG_RESPONSE_DONE,
  OP_FLAG_WS_BINARY,
  OP_FLAG_WS_COMPRESS,
  OUT_HEADER_WORDS,
  OUTPUT_HIGH_WATER,
  OUT_WORDS,
  Op,
  OpenWord,
  OutHeaderWord,
  OutWord,
  ParseError,
  RecordWord,
  RequestWord,
  SLOT_BITS,
  Timeout,
  TimeoutWord,
  WS_ACCEPT_WORDS,
  WS_CLOSE_WAIT_MS,
  WsAcceptFlag,
  WsAcceptWord,
  WsCloseWord,
  WsFlag,
  WsMessageWord,
  loadBinding,
  nativeStatsKeys,
  slotOf,
} from '../lib/index.js';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

// C++ enum → its TS twin; the C++ prefix is dropped to get the TS key.
const ENUMS: Record<string, { prefix: string; ts: Record<string, number> }> = {
  Ev: { prefix: 'EV_', ts: Ev },
  HttpFlag: { prefix: 'HF_', ts: HttpFlag },
  TimeoutKind: { prefix: 'TO_', ts: Timeout },
  RecordWord: { prefix: 'RW_', ts: RecordWord },
  OpenWord: { prefix: 'OPEN_', ts: OpenWord },
  DataWord: { prefix: 'DATA_', ts: DataWord },
  CloseWord: { prefix: 'CLOSE_', ts: CloseWord },
  RequestWord: { prefix: 'REQ_', ts: RequestWord },
  HttpErrorWord: { prefix: 'HE_', ts: HttpErrorWord },
  TimeoutWord: { prefix: 'TW_', ts: TimeoutWord },
  FieldWord: { prefix: 'FW_', ts: FieldWord },
  OutHeaderWord: { prefix: 'OH_', ts: OutHeaderWord },
  OutWord: { prefix: 'OW_', ts: OutWord },
  OutOp: { prefix: 'OP_', ts: Op },
  ParseError: { prefix: '', ts: ParseError },
  WsMessageWord: { prefix: 'WSM_', ts: WsMessageWord },
  WsFlag: { prefix: 'WSF_', ts: WsFlag },
  WsCloseWord: { prefix: 'WSC_', ts: WsCloseWord },
  WsAcceptWord: { prefix: 'WA_', ts: WsAcceptWord },
  WsAcceptFlag: { prefix: 'WAF_', ts: WsAcceptFlag },
};
// C++ constant → its TS twin.
const CONSTANTS: Record<string, number> = {
  kEventWords: EVENT_WORDS,
  kFieldWords: FIELD_WORDS,
  kOutHeaderWords: OUT_HEADER_WORDS,
  kOutWords: OUT_WORDS,
  kOpFlagResponseDone: OP_FLAG_RESPONSE_DONE,
  kOpFlagWsBinary: OP_FLAG_WS_BINARY,
  kOpFlagWsCompress: OP_FLAG_WS_COMPRESS,
  kNoConnection: NO_CONNECTION,
  kWsAcceptWords: WS_ACCEPT_WORDS,
  kSlotBits: SLOT_BITS,
  kSlotMask: slotOf(0xffffffff),
  kOutputHighWater: OUTPUT_HIGH_WATER,
  kMaxOutstandingRequests: MAX_OUTSTANDING_REQUESTS,
  kLingerMs: LINGER_MS,
  kWsCloseWaitMs: WS_CLOSE_WAIT_MS,
};
// Enums of the format headers that stay native (no TS twin), and ParseError's
// sentinels, which never cross (checked on their own below).
const NATIVE_ONLY = new Set(['UdOp']);
const SENTINELS = new Set(['ParseError:None', 'ParseError:Count']);
// The event record layouts: each lies after the type and connection words, inside one record.
const EVENT_LAYOUTS = ['OpenWord', 'DataWord', 'CloseWord', 'RequestWord', 'HttpErrorWord', 'TimeoutWord', 'WsMessageWord', 'WsCloseWord'];

interface Declared {
  group: string;
  name: string;
  scoped: boolean;
}

/** Every enumerator and k-constant a header declares ("const" is the group of constants). */
function declared(header: string): Declared[] {
  const text = readFileSync(join(srcDir, header), 'utf8').replace(/\/\/.*$/gm, '');
  const names: Declared[] = [];
  for (const m of text.matchAll(/\benum\s+(class\s+)?(\w+)\s*(?::\s*\w+\s*)?\{([^}]*)\}/g)) {
    if (NATIVE_ONLY.has(m[2]!)) continue;
    for (const e of m[3]!.split(',')) {
      const name = e.trim().match(/^\w+/)?.[0];
      if (name) names.push({ group: m[2]!, name, scoped: !!m[1] });
    }
  }
  for (const m of text.matchAll(/\bconstexpr\s+\w+\s+(k\w+)\s*=/g)) names.push({ group: 'const', name: m[1]!, scoped: false });
  return names;
}

/** The batch format's declarations, ParseError from the parser's header (its other enums are the parser's own). */
function formatDeclarations(): Declared[] {
  return [
    ...declared('batch.h'),
    ...declared('event_records.h'),
    ...declared('transport_limits.h'),
    ...declared('http_parser.h').filter((d) => d.group === 'ParseError'),
  ];
}

/** A program printing "<group>:<name>=<value>" for each declaration, and "stats:<key>" for each counter. */
function printer(decls: Declared[]): string {
  const lines = decls.map(({ group, name, scoped }) => {
    const expr = group === 'const' ? name : scoped ? `${group}::${name}` : name;
    return `  std::printf("%s=%lld\\n", "${group}:${name}", (long long)(${expr}));`;
  });
  return `#include <cstdio>
#include "batch.h"
#include "event_records.h"
#include "http_parser.h"
#include "stats.h"
#include "transport_limits.h"
using namespace ringside;
using http::ParseError;
int main() {
${lines.join('\n')}
#define PRINT_STAT(field, key) std::printf("stats:%s\\n", key);
  RINGSIDE_LOOP_STATS(PRINT_STAT)
  return 0;
}
`;
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

describe.skipIf(!!noCompiler)(
  `the batch format (src/batch.h, event_records.h, http_parser.h, stats.h) against lib/index.ts${noCompiler ? ` (SKIPPED: ${noCompiler})` : ''}`,
  () => {
    const cpp = new Map<string, number>();
    const stats: string[] = [];
    const decls = formatDeclarations();
    let workDir = '';

    beforeAll(() => {
      workDir = mkdtempSync(join(tmpdir(), 'ringside-boundary-'));
      const source = join(workDir, 'print.cc');
      const exe = join(workDir, 'print');
      writeFileSync(source, printer(decls));
      let output: string;
      try {
        execFileSync('g++', ['-std=c++20', '-Wall', '-Wextra', '-I', srcDir, source, '-o', exe], { stdio: 'pipe', timeout: 60_000 });
        output = execFileSync(exe, { stdio: 'pipe' }).toString();
      } catch (e) {
        const err = e as { stdout?: Buffer; stderr?: Buffer; message: string };
        throw new Error(`building or running the constant printer failed:\n${err.stderr?.toString() || err.message}${err.stdout?.toString() ?? ''}`);
      }
      for (const line of output.trim().split('\n')) {
        const stat = line.match(/^stats:(\w+)$/);
        if (stat) {
          stats.push(stat[1]!);
          continue;
        }
        const m = line.match(/^(\w+:\w+)=(-?\d+)$/);
        if (!m) throw new Error(`constant printer wrote an unexpected line: ${JSON.stringify(line)}`);
        cpp.set(m[1]!, Number(m[2]));
      }
    }, 90_000);
    afterAll(() => {
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    it('the scan finds the format and every value was printed', () => {
      expect(decls.length, 'the header scan found nothing: has the declaration syntax changed?').toBeGreaterThan(60);
      expect(cpp.size).toBe(decls.length);
    });

    it('every C++ enum and constant has a TS twin', () => {
      const groups = new Set(decls.map((d) => d.group));
      groups.delete('const');
      expect([...groups].sort(), 'an enum was added to the format: give it a TS twin in lib/index.ts and list it in ENUMS').toEqual(Object.keys(ENUMS).sort());
      const constants = decls.filter((d) => d.group === 'const').map((d) => d.name);
      expect(constants.sort(), 'a constant was added to the format: give it a TS twin and list it in CONSTANTS').toEqual(Object.keys(CONSTANTS).sort());
    });

    it('record sizes, flags and the connection id layout match', () => {
      const fromCpp = Object.fromEntries(Object.keys(CONSTANTS).map((k) => [k, cpp.get(`const:${k}`)]));
      expect(CONSTANTS).toEqual(fromCpp);
    });

    for (const [name, { prefix, ts }] of Object.entries(ENUMS)) {
      it(`${name} matches its TS twin`, () => {
        const fromCpp: Record<string, number> = {};
        for (const [key, value] of cpp) {
          const [group, member] = key.split(':') as [string, string];
          if (group !== name || SENTINELS.has(key)) continue;
          expect(member.startsWith(prefix), `${key} lacks the prefix ${prefix}`).toBe(true);
          fromCpp[member.slice(prefix.length)] = value;
        }
        expect(Object.keys(fromCpp).length, `no ${name} values printed`).toBeGreaterThan(0);
        expect({ ...ts }).toEqual(fromCpp);
      });
    }

    it('each event record layout follows the type and connection words and fits one record, words distinct', () => {
      expect(RecordWord).toEqual({ TYPE: 0, CONN: 1 });
      for (const name of EVENT_LAYOUTS) {
        const words = Object.values(ENUMS[name]!.ts);
        expect(new Set(words).size, name).toBe(words.length);
        for (const w of words) {
          expect(w, name).toBeGreaterThanOrEqual(2);
          expect(w, name).toBeLessThan(EVENT_WORDS);
        }
      }
      expect(Math.max(...Object.values(RequestWord)) + 1, 'EVENT_WORDS is the longest record').toBe(EVENT_WORDS);
      expect(Object.values(FieldWord).sort()).toEqual([...Array(FIELD_WORDS).keys()]);
      expect(Object.values(OutWord).sort()).toEqual([...Array(OUT_WORDS).keys()]);
      expect(Object.values(OutHeaderWord).sort()).toEqual([...Array(OUT_HEADER_WORDS).keys()]);
    });

    it('OP_FLAG_RESPONSE_DONE lies above every Op code', () => {
      for (const code of Object.values(Op)) expect(code & OP_FLAG_RESPONSE_DONE).toBe(0);
    });

    it('ParseError: None is 0 and never crosses; codes run 1 … Count-1', () => {
      expect(cpp.get('ParseError:None')).toBe(0);
      expect(Object.values(ParseError).sort((a, b) => a - b)).toEqual(Array.from({ length: cpp.get('ParseError:Count')! - 1 }, (_, i) => i + 1));
    });

    it('the counters of src/stats.h are the keys of NativeStats', () => {
      expect(stats.length).toBeGreaterThan(0);
      expect([...stats].sort()).toEqual([...nativeStatsKeys].sort());
    });
  },
);

const { binding, error } = loadBinding();
if (!binding) console.warn(`\n*** SKIPPING boundary stats test: ${error}\n`);

describe.skipIf(!binding)(`addon stats() against NativeStats${binding ? '' : ` (SKIPPED: ${error})`}`, () => {
  it('returns exactly the keys of NativeStats, all numbers', () => {
    const stats = binding!.stats();
    expect(Object.keys(stats).sort()).toEqual([...nativeStatsKeys].sort());
    for (const key of nativeStatsKeys) expect(typeof stats[key], key).toBe('number');
  });
});
