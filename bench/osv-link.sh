#!/usr/bin/env bash
# tailor's own time on OSv's kernel link (scripts/osv-build.sh): `tailor link` tailoring
# loader.elf to the image's manifest (hello, lua, sqlite3, the vDSO clock program and the
# vDSO itself), each run into a fresh output (so it links), against the time of the link it
# wraps and of GNU ld running OSv's own command by hand. Prints one row a run and the target
# (tailor's own time at most 10% of the link, issue 13's figure for GNU ld).
#   bench/osv-link.sh [RUNS]      (default 3)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-3}
source "$HERE/bench/lib/osv.sh"
now() { date +%s%N; }
# OSv's own link, by hand, into a scratch file.
cmd=()
for ((i = 0; i < ${#argv[@]}; i++)); do
  if [ "${argv[i]}" = -o ]; then cmd+=(-o "$TMP/loader.elf"); i=$((i + 1)); else cmd+=("${argv[i]}"); fi
done
best=""
for ((r = 0; r < RUNS; r++)); do
  t0=$(now); "${cmd[@]}" 2>/dev/null; t1=$(now)
  ms=$(( (t1 - t0) / 1000000 )); if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
done
echo "GNU ld, OSv's loader.elf link by hand: best of $RUNS: $best ms"
printf '%-4s %9s %10s %9s %8s %7s\n' run wall_ms link_ms tailor_ms "tailor%" target
for ((r = 0; r < RUNS; r++)); do
  out=$TMP/run$r/loader.elf
  mkdir -p "$TMP/run$r"
  t0=$(now)
  "$TAILOR" link --manifest build/release.x64/usr.manifest -D libgcc_s_dir=/usr/lib/x86_64-linux-gnu \
    -o "$out" --report "$out.json" -- "${argv[@]}" > /dev/null 2>&1
  t1=$(now)
  printf '%-4s %9d %10.0f %9.0f %7.1f%% %7s\n' "$r" $(( (t1 - t0) / 1000000 )) \
    "$(jq .link_ms "$out.json")" "$(jq .tailor_ms "$out.json")" \
    "$(jq '100 * .tailor_ms / .link_ms' "$out.json")" "<=10%"
done
