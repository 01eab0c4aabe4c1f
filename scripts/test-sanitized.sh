#!/usr/bin/env bash
# The whole test suite (vitest, every package) against the addon built with
# AddressSanitizer + UBSan. `pnpm test:sanitized` runs the TypeScript build first.
# Arguments are vitest filters (`scripts/test-sanitized.sh packages/core` runs one
# package). Needs Linux, g++ and its ASan/UBSan runtimes.
#
# How:
# - packages/native/scripts/build-sanitized.cjs builds the addon into
#   packages/native/build-sanitized/; RINGSIDE_ADDON makes loadBinding() load that
#   file and nothing else.
# - node itself is not sanitized, so libasan is preloaded (LD_PRELOAD) into vitest
#   and everything it starts: its fork children and whatever tests spawn inherit
#   it. This script's own tools run without it (mawk, for one, trips ASan's
#   memcmp check).
# - A finding aborts the process that hit it. When that is a vitest fork child,
#   vitest 3 ends the whole run with "Channel closed", names no file and can
#   leave the other fork child running, so each test file (of each vitest
#   project) gets its own `vitest run [--project P] <file>` (same config, pool
#   forks), $SANITIZED_JOBS (default 2) at a time: a crash fails that file by
#   name and the rest of the suite still runs.
# - ASan writes each report to a file per process under packages/native/
#   build-sanitized/reports/<test file>/. UBSan writes to stderr (GCC's UBSan
#   runtime ignores log_path when ASan is loaded too), so its reports are cut out
#   of each file's vitest output. All are printed at the end under the test
#   file's name, and any report fails the run, even when vitest passed: the
#   process may be one a test spawned and did not check, or it may have died
#   after its tests.
#
# ASAN_OPTIONS / UBSAN_OPTIONS from the environment are appended (they win),
# e.g. ASAN_OPTIONS=new_delete_type_mismatch=0 to look past that check.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
vitest="$root/node_modules/.bin/vitest"
REPORTS="$root/packages/native/build-sanitized/reports"

# A line of `vitest list --filesOnly`: "path", or "[project] path" when the
# config has projects. Its report folder: the line with / and brackets replaced.
report_dir() { local s=${1//\//__}; s=${s//\[/}; s=${s//\] /--}; echo "$REPORTS/$s"; }

# ---- One test file (run by xargs below, environment already set) -------------
if [[ "${1:-}" == --one ]]; then
  entry=$2
  if [[ $entry =~ ^\[([^]]+)\]\ (.+)$ ]]; then project=(--project "${BASH_REMATCH[1]}"); file=${BASH_REMATCH[2]}
  else project=(); file=$entry; fi
  dir=$(report_dir "$entry")
  mkdir -p "$dir"
  export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$dir/asan"
  start=$SECONDS
  run_file() {
    rc=0
    timeout "${SANITIZED_FILE_TIMEOUT:-900}" env LD_PRELOAD="$SANITIZED_PRELOAD" "$vitest" run "${project[@]}" "$root/$file" >"$dir/output.log" 2>&1 || rc=$?
  }
  run_file
  # A failure without any sanitizer report is a timing test losing to the ~3x
  # slowdown: run that file once more. A sanitizer report never gets a retry.
  if [[ $rc != 0 ]] && ! compgen -G "$dir/asan.*" >/dev/null && ! grep -q ': runtime error: ' "$dir/output.log"; then
    mv "$dir/output.log" "$dir/output.first.log"
    run_file
    echo "(test-sanitized: first run failed without a sanitizer report, see output.first.log; this is the retry)" >>"$dir/output.log"
  fi
  secs=$((SECONDS - start))
  echo "$rc $secs" >"$dir/rc"
  # One file per UBSan report: the "runtime error" line and its stack.
  awk -v out="$dir/ubsan" '
    /: runtime error: / { n++; f = out "." n; print > f; on = 1; next }
    on && /^ *(#[0-9]+ |SUMMARY: UndefinedBehaviorSanitizer)/ { print > f; next }
    { on = 0 }' "$dir/output.log"
  # The whole output of one file at a time.
  flock "$REPORTS/.print-lock" bash -c 'echo "==== $0 (vitest exit $1, $2 s)"; cat "$3"' "$entry" "$rc" "$secs" "$dir/output.log"
  exit 0
fi

# ---- Build and set up ------------------------------------------------------------
addon=$(node packages/native/scripts/build-sanitized.cjs | tail -n 1)

libasan=$(g++ -print-file-name=libasan.so)
if [[ "$libasan" != /* || ! -e "$libasan" ]]; then
  echo "test-sanitized: libasan.so not found (g++ -print-file-name=libasan.so said '$libasan')" >&2
  exit 1
fi
libasan=$(readlink -f "$libasan")

rm -rf "$REPORTS"
mkdir -p "$REPORTS"

mapfile -t files < <("$vitest" list --filesOnly "$@")
if ((${#files[@]} == 0)); then
  echo "test-sanitized: no test files match: $*" >&2
  exit 1
fi

# Compilers that tests run (parser.test.ts builds its own ASan binaries) get no
# preload: g++ under libasan is several times slower, long enough for vitest's
# worker RPC to time out while execFileSync waits. Shims first on PATH drop it.
shims="$root/packages/native/build-sanitized/bin"
mkdir -p "$shims"
for cc in g++ c++ gcc cc; do
  real=$(command -v "$cc" || true)
  [[ -n "$real" ]] || continue
  printf '#!/bin/sh\nunset LD_PRELOAD\nexec %q "$@"\n' "$real" >"$shims/$cc"
  chmod +x "$shims/$cc"
done
export PATH="$shims:$PATH"

# detect_leaks=0: node does not free everything at exit, and LeakSanitizer needs
# ptrace, which containers often forbid. abort_on_error=1: die by SIGABRT, never
# carry on (the addon is also built with -fno-sanitize-recover=all).
# quarantine_size_mb=64 (default 256): freed memory is still held back long
# enough to catch a use after free, and the tests' RSS bounds (relaxed 4x
# under RINGSIDE_SANITIZED) stay meaningful.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export RINGSIDE_ADDON="$addon"
# Tests whose bounds cannot hold under ASan (RSS: quarantine, redzones and
# shadow memory inflate it) relax them (packages/core/test/helpers.ts RSS_BOUND_FACTOR).
export RINGSIDE_SANITIZED=address,undefined
export SANITIZED_PRELOAD="$libasan${LD_PRELOAD:+:$LD_PRELOAD}"

# Which addon the run uses, and whether io_uring runs here: without io_uring the
# transport tests use the node backend and the native loop goes untested.
if ! LD_PRELOAD="$SANITIZED_PRELOAD" node -e '
  const p = require(process.env.RINGSIDE_ADDON).probe();
  console.log(`test-sanitized: addon ${process.env.RINGSIDE_ADDON} (ASan+UBSan; LD_PRELOAD=${process.env.LD_PRELOAD})`);
  if (p.usable) console.log(`test-sanitized: io_uring usable (kernel ${p.kernel})`);
  else console.warn(`\n*** test-sanitized: io_uring UNUSABLE here (${p.reason}); only the parser and binding tests reach native code\n`);
'; then
  echo "test-sanitized: loading the sanitized addon and calling probe() failed (report above)" >&2
  exit 1
fi

# ---- Run every file --------------------------------------------------------------
jobs=${SANITIZED_JOBS:-2}
echo "test-sanitized: ${#files[@]} test files (per project), $jobs at a time, one vitest run each"
start=$SECONDS
printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$jobs" bash "$root/scripts/test-sanitized.sh" --one ||
  echo "test-sanitized: a per-file run failed to finish (xargs exit $?); the summary below marks it" >&2
elapsed=$((SECONDS - start))

# ---- Summary ---------------------------------------------------------------------
shopt -s nullglob
passed=0 failed=0 skipped=0 bad_files=0 n_reports=0
summary=() report_text=()
for file in "${files[@]}"; do
  dir=$(report_dir "$file")
  read -r rc secs <"$dir/rc" || { rc=?; secs=?; }
  line=$(grep -E '^Tests: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$dir/output.log" | tail -n 1 || true)
  if [[ $line =~ ^Tests:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2])); skipped=$((skipped + BASH_REMATCH[3]))
    counts="${line#Tests: }"
  else
    counts='no result: the run died'
  fi
  reports=("$dir"/asan.* "$dir"/ubsan.*)
  n_reports=$((n_reports + ${#reports[@]}))
  for f in "${reports[@]}"; do report_text+=("==== $file: $f" "$(cat "$f")"); done
  if [[ $rc == 0 && ${#reports[@]} == 0 ]]; then verdict=PASS
  else verdict=FAIL; bad_files=$((bad_files + 1)); fi
  note=""
  ((${#reports[@]})) && note="; ${#reports[@]} sanitizer report(s)"
  [[ $rc == 124 ]] && note="$note; timed out"
  summary+=("$(printf '%-5s %-64s %4ss  vitest exit %s: %s%s' "$verdict" "$file" "$secs" "$rc" "$counts" "$note")")
done

if ((n_reports)); then
  echo
  echo "test-sanitized: sanitizer reports"
  printf '%s\n' "${report_text[@]}"
fi
echo
echo "test-sanitized: per file (reports and output under $REPORTS)"
printf '  %s\n' "${summary[@]}"
echo
echo "test-sanitized: ${#files[@]} files in ${elapsed} s, $bad_files failed; $n_reports sanitizer report(s)"
echo "Tests: $passed passed, $failed failed, $skipped skipped"
((bad_files == 0 && n_reports == 0))
