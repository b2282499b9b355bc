#!/usr/bin/env bash
# Races `tailor version-script` against OSv's objdump pipeline
# (scripts/generate_app_version_script.sh: objdump -wT | grep UND | cut -c 62- | sort -d | uniq
# | comm - all.symbols -12) over every ELF file under a directory (default /usr), with glibc's
# exports standing in for the kernel's list. Warm cache: each side runs once before it is timed.
# Prints both times, the ratio, tailor's peak RSS, and how many needed names each side found.
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

reference > /dev/null; run_tailor                       # warm the page cache
t0=$(now); reference > "$WORK/reference.map"; t1=$(now)
rm -f "$WORK/tailor.map"
t2=$(now); run_tailor; t3=$(now)
rm -f "$WORK/tailor.map"
/usr/bin/time -f "%M" -o "$WORK/rss" "$TAILOR" version-script --list "$WORK/elf.list" \
  --provider "$PROVIDER" --no-by-name --group-by none -o "$WORK/tailor.map" 2>/dev/null

names() { grep -E '^    [^ /*]+;' "$1" | sed 's/^ *//; s/;.*//; s/"//g' | sort -u; }
names "$WORK/reference.map" > "$WORK/ref.names"
names "$WORK/tailor.map" > "$WORK/tailor.names"
ref_s=$(echo "$t1 - $t0" | bc -l); tailor_s=$(echo "$t3 - $t2" | bc -l)
printf 'ELF files:            %s (under %s), provider %s\n' "$(wc -l < "$WORK/elf.list")" "$ROOT" "$PROVIDER"
printf 'reference pipeline:   %.2f s, %s distinct names\n' "$ref_s" "$(wc -l < "$WORK/ref.names")"
printf 'tailor version-script: %.3f s, %s distinct names, peak RSS %s MB\n' "$tailor_s" \
  "$(wc -l < "$WORK/tailor.names")" "$(( $(cat "$WORK/rss") / 1024 ))"
printf 'ratio:                %.0fx faster\n' "$(echo "$ref_s / $tailor_s" | bc -l)"
printf 'missed by reference:  %s names (%s%% of tailor'"'"'s)\n' \
  "$(comm -13 "$WORK/ref.names" "$WORK/tailor.names" | wc -l)" \
  "$(echo "scale=1; 100 * $(comm -13 "$WORK/ref.names" "$WORK/tailor.names" | wc -l) / $(wc -l < "$WORK/tailor.names")" | bc -l)"
printf 'found only by reference: %s names\n' "$(comm -23 "$WORK/ref.names" "$WORK/tailor.names" | wc -l)"
