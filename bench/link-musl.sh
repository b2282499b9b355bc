#!/usr/bin/env bash
# Figures of `tailor link` on musl: for GNU ld, lld and mold, the libc tailored to hello, to
# lua and to both, with and without --size — file size against the generic libc, exports,
# tailor's own time against the link's — and the time of a re-run with nothing changed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
cargo build --release -q
TAILOR=$HERE/target/release/tailor
eval "$(scripts/e2e-build.sh)"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
now() { date +%s%N; }

printf '%-6s %-6s %-5s %10s %10s %7s %11s %8s %9s %8s %7s %7s\n' linker target size generic tailored ratio stripped exports link_ms tailor_ms "tailor%" target
# Issue 13's targets for tailor's own time, as a share of the link it wraps.
target_of() { case $1 in bfd) echo 10;; lld) echo 20;; mold) echo 5;; esac; }
for linker in bfd lld mold; do
  for target in hello lua both; do
    case $target in hello) consumers=("$HELLO");; lua) consumers=("$LUA");; both) consumers=("$HELLO" "$LUA");; esac
    for size in "" --size; do
      out="$OUT/libc-$target-$linker${size:+-size}.so"
      (cd "$MUSL_DIR" && "$TAILOR" link "${consumers[@]}" --linker "$linker" $size -o "$out" \
          --report "$out.json" -- "$LINK_CC" @"$LINK_RSP" > /dev/null)
      r="$out.json"
      stripped=$(jq -r '.stripped.stats.file_size // "-"' "$r")
      printf '%-6s %-6s %-5s %10s %10s %6.1f%% %11s %8s %9.1f %8.1f %6.1f%% %5s%%\n' "$linker" "$target" "${size:+yes}" \
        "$(jq .generic_stats.file_size "$r")" "$(jq .tailored_stats.file_size "$r")" \
        "$(jq '100 * .tailored_stats.file_size / .generic_stats.file_size' "$r")" "$stripped" \
        "$(jq -r '"\(.exports_generic)->\(.exports_tailored)"' "$r")" "$(jq .link_ms "$r")" \
        "$(jq .tailor_ms "$r")" "$(jq '100 * .tailor_ms / .link_ms' "$r")" "≤$(target_of "$linker")"
    done
  done
done
# A re-run with nothing changed: no link, only the fingerprint check.
out="$OUT/libc-both-bfd.so"
t0=$(now)
(cd "$MUSL_DIR" && "$TAILOR" link "$HELLO" "$LUA" --linker bfd -o "$out" --report "$out.json" \
    -- "$LINK_CC" @"$LINK_RSP" > /dev/null 2> "$OUT/rerun.log")
t1=$(now)
printf '\nre-run with nothing changed: %.1f ms, target ≤ 10 ms (%s)\n' "$(echo "($t1 - $t0) / 1000000" | bc -l)" "$(cat "$OUT/rerun.log")"
