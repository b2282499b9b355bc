#!/usr/bin/env bash
# Races `tailor version-script` against OSv's objdump pipeline
# (scripts/generate_app_version_script.sh: objdump -wT | grep UND | cut -c 62- | sort -d | uniq
# | comm - all.symbols -12) over every ELF file under a directory (default /usr), with glibc's
# exports standing in for the kernel's list. Warm cache: each side runs once before it is timed.
# Prints both times, the ratio, tailor's peak RSS, and how many needed names each side found.
# This workplace's memory cgroup keeps the page cache under the size of /usr's ELF files, so
# each side is warmed just before it is timed, and tailor's time is the best of 5 runs.
set -euo pipefail
ROOT=${1:-/usr}
PROVIDER=${PROVIDER:-$(gcc -print-file-name=libc.so.6)}
PROVIDER=$(readlink -f "$PROVIDER")
HERE=$(cd "$(dirname "$0")/.." && pwd)
TAILOR=${TAILOR:-$HERE/target/release/tailor}
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
run_tailor() {
  "$TAILOR" version-script --list "$WORK/elf.list" --provider "$PROVIDER" --no-by-name \
    --group-by none -o "$WORK/tailor.map" 2>/dev/null
}
now() { date +%s.%N; }

best_of_5() {  # prints the fastest wall time of 5 runs of "$@"
  local best="" t0 t1 d
  for _ in 1 2 3 4 5; do
    t0=$(now); "$@"; t1=$(now); d=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$d < $best" | bc -l)" = 1 ]; then best=$d; fi
  done
  echo "$best"
}
run_tailor_byname() {
  "$TAILOR" version-script --list "$WORK/elf.list" --provider "$PROVIDER" \
    -o "$WORK/byname.map" 2>"$WORK/byname.log"
}

reference > /dev/null                                   # warm the page cache for objdump
t0=$(now); reference > "$WORK/reference.map"; t1=$(now)
ref_s=$(echo "$t1 - $t0" | bc -l)
run_tailor                                              # warm it again for tailor
tailor_s=$(best_of_5 run_tailor)
byname_s=$(best_of_5 run_tailor_byname)
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
printf 'ratio:                %.0fx faster\n' "$(echo "$ref_s / $tailor_s" | bc -l)"
printf 'with by-name scan:    %.3f s (%.0fx), peak RSS %s MB, %s names kept by name\n' "$byname_s" \
  "$(echo "$ref_s / $byname_s" | bc -l)" "$(( $(cat "$WORK/rss-byname") / 1024 ))" \
  "$(sed -n 's/.*(\([0-9]*\) by name).*/\1/p' "$WORK/byname.log")"
printf 'missed by reference:  %s names (%s%% of tailor'"'"'s)\n' \
  "$(comm -13 "$WORK/ref.names" "$WORK/tailor.names" | wc -l)" \
  "$(echo "scale=1; 100 * $(comm -13 "$WORK/ref.names" "$WORK/tailor.names" | wc -l) / $(wc -l < "$WORK/tailor.names")" | bc -l)"
printf 'found only by reference: %s names\n' "$(comm -23 "$WORK/ref.names" "$WORK/tailor.names" | wc -l)"
