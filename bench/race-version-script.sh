#!/usr/bin/env bash
# Races `tailor version-script` against OSv's objdump pipeline
# (scripts/generate_app_version_script.sh: objdump -wT | grep UND | cut -c 62- | sort -d | uniq
# | comm - all.symbols -12) over every ELF file under a directory (default /usr), with glibc's
# exports standing in for the kernel's list. Warm cache: each side runs once before it is timed.
# Prints both times, the ratios next to their target (issue 13: at least 150x, with and without
# the by-name scan), tailor's peak RSS, and how many needed names each side found.
# BASELINE=/path/to/an/older/tailor also times that binary against the same reference run and
# checks that it writes the same scripts (before/after figures from one session).
# This workplace's memory cgroup keeps the page cache under the size of /usr's ELF files, so
# each side is warmed just before it is timed, and tailor's time is the best of 5 runs.
set -euo pipefail
ROOT=${1:-/usr}
PROVIDER=${PROVIDER:-$(gcc -print-file-name=libc.so.6)}
PROVIDER=$(readlink -f "$PROVIDER")
HERE=$(cd "$(dirname "$0")/.." && pwd)
TAILOR=${TAILOR:-$HERE/target/release/tailor}
BASELINE=${BASELINE:-}
TARGET=150   # issue 13: version-script over /usr at least 150x faster than OSv's pipeline
[ -x "$TAILOR" ] || (cd "$HERE" && cargo build --release -q)
for t in objdump nm comm /usr/bin/time perl; do
  command -v "$t" >/dev/null || { echo "missing $t: run scripts/setup.sh" >&2; exit 2; }
done
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT

# Every ELF file under ROOT, one path a line (the same list for both sides).
find "$ROOT" -type f -print0 2>/dev/null | perl -0ne 'chomp; open(F, "<", $_) or next;
  read(F, $m, 4); print "$_\n" if $m eq "\x7fELF"' > "$WORK/elf.list"
nm -D --defined-only "$PROVIDER" | awk 'NF == 3 && $2 != "A" {print $3}' | sed 's/@.*//' \
  | sort -d | uniq > "$WORK/all.symbols"

reference() {
  echo "{"; echo "  global:"
  while read -r file; do
    echo "/*------- $file */"
    # OSv's line, as it is (its comm warns about the unsorted input it is given: silenced).
    { objdump -wT "$file" | grep UND | cut -c 62- | sort -d | uniq \
      | comm - "$WORK/all.symbols" -12 | awk '// { printf("    %s;\n", $0) }'; } 2>/dev/null || true
  done < "$WORK/elf.list"
  echo "  local:"; echo "    *;"; echo "};"
}
run_tailor() {  # [BINARY [SUFFIX]]
  "${1:-$TAILOR}" version-script --list "$WORK/elf.list" --provider "$PROVIDER" --no-by-name \
    --group-by none -o "$WORK/tailor${2:-}.map" 2>/dev/null
}
now() { date +%s.%N; }

best_of() {  # BEST CMD...: runs CMD once, prints the smaller of its wall time and BEST
  local best=$1 t0 t1 d; shift
  t0=$(now); "$@"; t1=$(now); d=$(echo "$t1 - $t0" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
  echo "$best"
}
best_of_5() {  # prints the fastest wall time of 5 runs of "$@"
  local best=""
  for _ in 1 2 3 4 5; do best=$(best_of "$best" "$@"); done
  echo "$best"
}
run_tailor_byname() {  # [BINARY [SUFFIX]]
  "${1:-$TAILOR}" version-script --list "$WORK/elf.list" --provider "$PROVIDER" \
    -o "$WORK/byname${2:-}.map" 2>"$WORK/byname${2:-}.log"
}
ratio() { echo "$ref_s / $1" | bc -l; }
verdict() {  # RATIO: "target >= 150x: met" or "not met"
  if [ "$(echo "$1 >= $TARGET" | bc -l)" = 1 ]; then echo "target >= ${TARGET}x: met"
  else echo "target >= ${TARGET}x: NOT met"; fi
}

reference > /dev/null                                   # warm the page cache for objdump
t0=$(now); reference > "$WORK/reference.map"; t1=$(now)
ref_s=$(echo "$t1 - $t0" | bc -l)
run_tailor                                              # warm it again for tailor
if [ -z "$BASELINE" ]; then
  tailor_s=$(best_of_5 run_tailor)
  byname_s=$(best_of_5 run_tailor_byname)
else
  # Rounds alternate between the binaries, so a burst of load on a shared machine falls on both.
  tailor_s="" byname_s="" base_s="" base_byname_s=""
  for _ in 1 2 3 4 5; do
    tailor_s=$(best_of "$tailor_s" run_tailor)
    base_s=$(best_of "$base_s" run_tailor "$BASELINE" .base)
    byname_s=$(best_of "$byname_s" run_tailor_byname)
    base_byname_s=$(best_of "$base_byname_s" run_tailor_byname "$BASELINE" .base)
  done
fi
/usr/bin/time -f "%M" -o "$WORK/rss" "$TAILOR" version-script --list "$WORK/elf.list" \
  --provider "$PROVIDER" --no-by-name --group-by none -o "$WORK/rss.map" 2>/dev/null
/usr/bin/time -f "%M" -o "$WORK/rss-byname" "$TAILOR" version-script --list "$WORK/elf.list" \
  --provider "$PROVIDER" -o "$WORK/rss-byname.map" 2>/dev/null

names() { grep -E '^    [^ /*]+;' "$1" | sed 's/^ *//; s/;.*//; s/"//g' | sort -u; }
names "$WORK/reference.map" > "$WORK/ref.names"
names "$WORK/tailor.map" > "$WORK/tailor.names"
printf 'ELF files:            %s (under %s), provider %s\n' "$(wc -l < "$WORK/elf.list")" "$ROOT" "$PROVIDER"
printf 'reference pipeline:   %.2f s, %s distinct names\n' "$ref_s" "$(wc -l < "$WORK/ref.names")"
printf 'tailor version-script: %.3f s, %s distinct names, peak RSS %s MB\n' "$tailor_s" \
  "$(wc -l < "$WORK/tailor.names")" "$(( $(cat "$WORK/rss") / 1024 ))"
printf 'ratio:                %.0fx faster (%s)\n' "$(ratio "$tailor_s")" "$(verdict "$(ratio "$tailor_s")")"
printf 'with by-name scan:    %.3f s (%.0fx; %s), peak RSS %s MB, %s names kept by name\n' \
  "$byname_s" "$(ratio "$byname_s")" "$(verdict "$(ratio "$byname_s")")" \
  "$(( $(cat "$WORK/rss-byname") / 1024 ))" \
  "$(sed -n 's/.*(\([0-9]*\) by name).*/\1/p' "$WORK/byname.log")"
if [ -n "$BASELINE" ]; then
  printf 'baseline %s: %.3f s (%.0fx), with by-name scan %.3f s (%.0fx)\n' "$BASELINE" \
    "$base_s" "$(ratio "$base_s")" "$base_byname_s" "$(ratio "$base_byname_s")"
  for m in tailor byname; do
    cmp -s "$WORK/$m.map" "$WORK/$m.base.map" \
      || echo "baseline: $m.map differs from the baseline's" >&2
  done
fi
printf 'missed by reference:  %s names (%s%% of tailor'"'"'s)\n' \
  "$(comm -13 "$WORK/ref.names" "$WORK/tailor.names" | wc -l)" \
  "$(echo "scale=1; 100 * $(comm -13 "$WORK/ref.names" "$WORK/tailor.names" | wc -l) / $(wc -l < "$WORK/tailor.names")" | bc -l)"
printf 'found only by reference: %s names\n' "$(comm -23 "$WORK/ref.names" "$WORK/tailor.names" | wc -l)"
