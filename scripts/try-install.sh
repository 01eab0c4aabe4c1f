#!/usr/bin/env bash
# A new user's install, measured: the three packages packed as they would be
# published (with the four prebuilds), installed with npm into a fresh folder
# outside the repository with NO compiler on PATH (only node, npm and sh), then
# an app serves one request and `npx ringside doctor` runs. fastify is installed
# the same way beside it for comparison. Then a machine no prebuild fits: the
# install warns on the terminal, and `npm rebuild @ringside/native` with a
# compiler builds from source (node-gyp as npm bundles it, node-addon-api's
# headers from the package). Prints the figures; needs script(1), the npm
# registry (for the packages' own dependencies) and a built tree
# (`npx --yes pnpm@9.15.9 run build`).
#   bash scripts/try-install.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=$(mktemp -d /tmp/ringside-try-XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== prebuilds (zig from npm; seconds when up to date)"
node "$root/packages/native/scripts/prebuild.cjs"

echo "== pack"
for p in native core http; do
  (cd "$root/packages/$p" && npx --yes pnpm@9.15.9 pack --pack-destination "$work/tarballs" >/dev/null)
done
ls -l "$work/tarballs"

# PATH with node, npm, npx and sh only: no cc, c++, make or python3.
mkdir -p "$work/bin"
for tool in node npm npx sh; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
for tool in cc c++ gcc g++ make python3; do
  if PATH="$work/bin" command -v "$tool" >/dev/null; then echo "$tool is on the test PATH" >&2; exit 1; fi
done

# One npm install into a fresh folder: prints seconds, packages, bytes.
measure() {
  local dir=$1; shift
  mkdir -p "$dir" && cd "$dir"
  PATH="$work/bin" npm init -y >/dev/null
  local t0=$(date +%s.%N)
  # a cache of its own: each install starts cold
  PATH="$work/bin" npm install --no-audit --no-fund --cache "$dir.npm-cache" "$@" > install.log 2>&1 || { cat install.log; exit 1; }
  local t1=$(date +%s.%N)
  printf '%s %s %s\n' "$(echo "$t1 - $t0" | bc)" "$(grep -o 'added [0-9]* packages' install.log | grep -o '[0-9]*')" "$(du -sb node_modules | cut -f1)"
}

echo "== npm install of the three tarballs (no compiler on PATH)"
read -r r_secs r_pkgs r_bytes < <(measure "$work/app" "$work"/tarballs/*.tgz)
cat "$work/app/install.log"

cat > "$work/app/server.mjs" <<'EOF'
import createApp from '@ringside/http';
const app = createApp();
app.get('/', () => `hello from ${app.backend}`);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const res = await fetch(address);
console.log(JSON.stringify({ backend: app.backend, status: res.status, body: await res.text() }));
await app.close();
EOF
echo "== serve"
served=$(cd "$work/app" && PATH="$work/bin" node server.mjs)
echo "$served"
echo "== npx ringside doctor"
(cd "$work/app" && PATH="$work/bin" npx ringside doctor)

echo "== a machine no prebuild fits (the native tarball repacked without prebuilds/), install script allowed"
mkdir -p "$work/bare" && tar xzf "$work"/tarballs/ringside-native-*.tgz -C "$work/bare"
rm -rf "$work/bare/package/prebuilds"
tar czf "$work/bare/ringside-native.tgz" -C "$work/bare" package
mkdir -p "$work/app2" && cd "$work/app2"
PATH="$work/bin" npm init -y >/dev/null
node -e "const f='package.json', p=require('./'+f); p.allowScripts={'@ringside/native':true}; require('fs').writeFileSync(f, JSON.stringify(p))"
# Under a terminal (script(1)), as a user sees it: npm hides install scripts' output, the warning must not be.
script -qec "PATH='$work/bin' npm install --no-audit --no-fund --cache '$work/npm-cache' '$work/bare/ringside-native.tgz' $work/tarballs/ringside-core-*.tgz $work/tarballs/ringside-http-*.tgz" /dev/null > tty.log 2>&1
grep -A1 'WARNING' tty.log || { echo 'no visible warning' >&2; exit 1; }
cp "$work/app/server.mjs" .
echo "before a build: $(PATH="$work/bin" node server.mjs 2>&1 | tr '\n' ' ')"
echo "npm rebuild @ringside/native, with the machine's compiler:"
npm rebuild @ringside/native > rebuild.log 2>&1 || { cat rebuild.log; exit 1; }
echo "after it: $(node server.mjs)"

echo "== npm install fastify (for comparison)"
read -r f_secs f_pkgs f_bytes < <(measure "$work/fastify" fastify)

echo
echo "== figures ($(node -v), npm $(npm -v), $(uname -r), $(date -u +%FT%TZ))"
printf '%-28s %8s %9s %12s\n' install seconds packages 'node_modules'
printf '%-28s %8.1f %9s %9.1f MB\n' 'ringside (3 tarballs)' "$r_secs" "$r_pkgs" "$(echo "$r_bytes / 1000000" | bc -l)"
printf '%-28s %8.1f %9s %9.1f MB\n' 'fastify' "$f_secs" "$f_pkgs" "$(echo "$f_bytes / 1000000" | bc -l)"
echo "served: $served"
case $served in *'"backend":"io_uring"'*) ;; *) echo "not served on io_uring" >&2; exit 1 ;; esac
