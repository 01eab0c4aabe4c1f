#!/usr/bin/env bash
# The transport and framework suites with io_uring blocked the way container
# runtimes block it (seccomp: io_uring_setup/enter/register fail with EPERM,
# packages/core/test/fixtures/no-io-uring.c): `auto` must pick the native
# engine on epoll, the io_uring suites skip loudly with the reason, and every
# other suite passes. Arguments are vitest filters (default: core and http).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -O2 -Wall -Wextra -o "$out/no-io-uring" packages/core/test/fixtures/no-io-uring.c
if (($# == 0)); then set -- packages/core packages/http; fi
"$out/no-io-uring" "$root/node_modules/.bin/vitest" run --project all "$@"
