#!/usr/bin/env bash
# Figures of `tailor link` on musl: for GNU ld, lld and mold, the libc tailored to hello, to
# lua and to both, with and without --size — file size against the generic libc, exports,
# tailor's own time (the wall time during which no linker or strip runs: the tailored link
# may start while the generic one still runs) against the tailored link's time and against
# the plain link (the command alone, with that linker, best of 3) — and the time of a re-run
# with nothing changed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
cargo build --release -q
TAILOR=$HERE/target/release/tailor
eval "$(scripts/e2e-build.sh)"
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
now() { date +%s%N; }

printf '%-6s %-6s %-5s %10s %10s %7s %11s %9s %8s %8s %9s %7s %7s %8s\n' linker target size generic tailored ratio stripped exports link_ms plain_ms tailor_ms "tailor%" target "of plain"
# plain LINKER: the best of 3 runs of the command alone with that linker, in ms.
plain() {
  local fuse=(); [ "$1" != bfd ] && fuse=(-fuse-ld="$1")
  (cd "$MUSL_DIR" && python3 - "$LINK_CC" @"$LINK_RSP" "${fuse[@]}" -o "$OUT/plain.so" <<'EOF2'
import subprocess, sys, time
best = min((lambda t: (subprocess.run(sys.argv[1:], check=True), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
print(f"{best * 1000:.1f}")
EOF2
  )
}
# Issue 13's targets for tailor's own time, as a share of the link it wraps.
target_of() { case $1 in bfd) echo 10;; lld) echo 20;; mold) echo 5;; esac; }
for linker in bfd lld mold; do
  plain_ms=$(plain "$linker")
  for target in hello lua both; do
    case $target in hello) consumers=("$HELLO");; lua) consumers=("$LUA");; both) consumers=("$HELLO" "$LUA");; esac
    for size in "" --size; do
      out="$OUT/libc-$target-$linker${size:+-size}.so"
      (cd "$MUSL_DIR" && "$TAILOR" link "${consumers[@]}" --linker "$linker" $size -o "$out" \
          --report "$out.json" -- "$LINK_CC" @"$LINK_RSP" > /dev/null)
      r="$out.json"
      stripped=$(jq -r '.stripped.stats.file_size // "-"' "$r")
      printf '%-6s %-6s %-5s %10s %10s %6.1f%% %11s %9s %8.1f %8s %9.1f %6.1f%% %5s%% %7.1f%%\n' "$linker" "$target" "${size:+yes}" \
        "$(jq .generic_stats.file_size "$r")" "$(jq .tailored_stats.file_size "$r")" \
        "$(jq '100 * .tailored_stats.file_size / .generic_stats.file_size' "$r")" "$stripped" \
        "$(jq -r '"\(.exports_generic)->\(.exports_tailored)"' "$r")" "$(jq .link_ms "$r")" "$plain_ms" \
        "$(jq .tailor_ms "$r")" "$(jq '100 * .tailor_ms / .link_ms' "$r")" "≤$(target_of "$linker")" \
        "$(jq ".tailor_ms * 100 / $plain_ms" "$r")"
    done
  done
done
# A re-run with nothing changed: no link, only the fingerprint check (best of 5 wall times).
out="$OUT/libc-both-bfd.so"
rerun=$(cd "$MUSL_DIR" && python3 - "$TAILOR" link "$HELLO" "$LUA" --linker bfd -o "$out" \
    --report "$out.json" -- "$LINK_CC" @"$LINK_RSP" <<'EOF2'
import subprocess, sys, time
def once():
    t = time.perf_counter()
    r = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True)
    return time.perf_counter() - t, r.stderr.strip()
runs = [once() for _ in range(5)]
best = min(runs)
print(f"{best[0] * 1000:.1f} ms, target ≤ 10 ms ({best[1]})")
EOF2
)
printf '\nre-run with nothing changed: %s\n' "$rerun"
