#!/usr/bin/env bash
# Figures of `tailor embed` on a header tree (default: musl's include/ from the e2e build):
# the unchanged re-run against Linux's IKHEADERS check (`find | xargs ls -lR | md5sum`), best
# of 5 each, and the archive sizes with xz, zstd and none, comments stripped or not.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
cargo build --release -q
TAILOR=$HERE/target/release/tailor
if [ $# -ge 1 ]; then TREE=$1; else eval "$(scripts/e2e-build.sh)"; TREE=$(dirname "$HELLO")/musl/include; fi
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
now() { date +%s%N; }
best_ms() {  # best wall time of 5 runs of "$@", in ms
  local best="" t0 t1 d
  for _ in 1 2 3 4 5; do
    t0=$(now); "$@" > /dev/null 2>&1; t1=$(now); d=$(( (t1 - t0) / 1000 ))
    if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
  done
  printf '%.1f' "$(echo "$best / 1000" | bc -l)"
}
"$TAILOR" embed --name headers --strip-comments "$TREE" -o "$OUT/h.o" 2>/dev/null
linux() { find "$TREE" -name '*.h' | xargs ls -lR | md5sum; }
echo "tree: $TREE ($(find "$TREE" -type f | wc -l) files, $(du -sb "$TREE" | cut -f1) bytes)"
echo "unchanged re-run: tailor embed $(best_ms "$TAILOR" embed --name headers --strip-comments "$TREE" -o "$OUT/h.o") ms;" \
     "Linux's find | xargs ls -lR | md5sum $(best_ms linux) ms"
for c in xz zstd none; do
  for s in "--strip-comments" ""; do
    "$TAILOR" embed --name headers --compress $c $s "$TREE" -o "$OUT/$c$s.o" 2>/dev/null
    size=$("$TAILOR" extract "$OUT/$c$s.o" --list | cut -f3)
    printf '%-5s %-17s payload %s\n' "$c" "${s:-(comments kept)}" "$size"
  done
done
