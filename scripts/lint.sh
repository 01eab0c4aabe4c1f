#!/usr/bin/env bash
# Lint and format check: biome for TypeScript/JavaScript (biome.json), clang-format
# for C/C++ (packages/native/.clang-format). `pnpm lint` checks (part of `pnpm test`);
# `pnpm format` rewrites the files instead.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin="$root/node_modules/.bin"
shopt -s nullglob
cpp=(packages/native/src/*.cc packages/native/src/*.h packages/native/test/*/*.c packages/native/test/*/*.cc packages/core/test/fixtures/*.c packages/core/test/fixtures/*.cc)
style=--style=file:packages/native/.clang-format
if [[ "${1:-}" == "--write" ]]; then
  "$bin/biome" check --write .
  "$bin/clang-format" -i "$style" "${cpp[@]}"
else
  "$bin/biome" check .
  "$bin/clang-format" --dry-run -Werror "$style" "${cpp[@]}"
fi
