#!/usr/bin/env bash
# Races `tailor gc` (the whole prediction: driver query, reading every object, resolution,
# marking) against the link it predicts, for musl's libc.so (generic; tailored to hello and
# to lua through --provider) and lua's own objects linked dynamically and statically (glibc),
# with GNU ld, lld and mold. Best of 5 each, warmed first: the default text report with the
# input cache warm (gc_ms: the objects, ld's built-in script and gcc's -### answer taken from
# the cache, as on every run after the first with unchanged inputs) and with no cache
# (nocache_ms: TAILOR_CACHE_DIR= , every object read, the driver asked), the JSON one listing
# every kept section too
# (json_ms); peak RSS of tailor.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
cargo build --release -q
TAILOR=$HERE/target/release/tailor
eval "$(scripts/e2e-build.sh)"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT

# best DIR CMD...: the best wall time of 5 runs (after one warm-up), in ms.
best() {
  local dir=$1; shift
  (cd "$dir" && "$@" > /dev/null 2>&1) || true
  python3 - "$dir" "$@" <<'EOF'
import subprocess, sys, time
d, cmd = sys.argv[1], sys.argv[2:]
b = min((lambda t: (subprocess.run(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(f"{b * 1000:.1f}")
EOF
}

peak() { # peak RSS (MB) of one run
  local dir=$1; shift
  (cd "$dir" && /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1) | awk '{printf "%.1f", $1/1024}'
}

printf '%-28s %-5s %9s %9s %8s %7s %10s %9s %9s %8s\n' case linker link_ms gc_ms "gc/link" target nocache_ms "nc/link" json_ms rss_MB
row() { # name linker dir gc-args... -- link command...
  local name=$1 linker=$2 dir=$3; shift 3
  local gcargs=() ; while [ "$1" != "--" ]; do gcargs+=("$1"); shift; done; shift
  local link=("$@")
  local fuse=(); [ "$linker" != bfd ] && fuse=(-fuse-ld="$linker")
  local l g c j r target=-
  l=$(best "$dir" "${link[@]}" "${fuse[@]}" -o "$OUT/out")
  g=$(best "$dir" "$TAILOR" gc "${gcargs[@]}" -- "${link[@]}" "${fuse[@]}" -o "$OUT/out")
  c=$(best "$dir" env TAILOR_CACHE_DIR= "$TAILOR" gc "${gcargs[@]}" -- "${link[@]}" "${fuse[@]}" -o "$OUT/out")
  j=$(best "$dir" "$TAILOR" gc --format json "${gcargs[@]}" -- "${link[@]}" "${fuse[@]}" -o "$OUT/out")
  r=$(peak "$dir" "$TAILOR" gc --format json "${gcargs[@]}" -- "${link[@]}" "${fuse[@]}" -o "$OUT/out")
  # Issue 13's target: `tailor gc` within 10% of the GNU ld link it predicts (musl for lua).
  [ "$name" = "musl libc.so for lua" ] && [ "$linker" = bfd ] && target="≤10%"
  printf '%-28s %-5s %9s %9s %7.1f%% %7s %10s %8.1f%% %9s %8s\n' "$name" "$linker" "$l" "$g" \
    "$(echo "100 * $g / $l" | bc -l)" "$target" "$c" "$(echo "100 * $c / $l" | bc -l)" "$j" "$r"
}

for linker in bfd lld mold; do
  row "musl libc.so generic" $linker "$MUSL_DIR" -- "$LINK_CC" @"$LINK_RSP"
  row "musl libc.so for hello" $linker "$MUSL_DIR" "$HELLO" --provider "$LIBC" -- "$LINK_CC" @"$LINK_RSP"
  row "musl libc.so for lua" $linker "$MUSL_DIR" "$LUA" --provider "$LIBC" -- "$LINK_CC" @"$LINK_RSP"
  row "lua dynamic (glibc)" $linker "$LUA_OBJ" -- gcc lua.o liblua.a -lm -Wl,-E -ldl -Wl,--gc-sections
  row "lua static (glibc libc.a)" $linker "$LUA_OBJ" -- gcc -static lua.o liblua.a -lm -Wl,--gc-sections
done
