#!/usr/bin/env bash
# The README's main job, end to end on a fresh Debian machine: installs what it needs, builds
# musl from Debian's source package, builds hello and lua against it, runs `tailor link` with
# musl's own link command to get a libc.so tailored to hello, to lua and to both, runs each
# program with its tailored libc (as the dynamic linker: `./libc.so ./prog`), compares the
# output with the generic libc's, and prints the size table. LINKER=bfd|lld|mold picks the
# linker (default: GNU ld).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
LINKER=${LINKER:-bfd}
bash scripts/setup.sh
cargo build --release -q
TAILOR=$HERE/target/release/tailor
eval "$(scripts/e2e-build.sh)"
OUT=${TAILOR_E2E_DIR:-$HERE/target/e2e}/demo-$LINKER
# A fresh run each time: an up-to-date `tailor link` relinks nothing and prints no table.
rm -rf "$OUT"
mkdir -p "$OUT"

link() {  # link NAME SIZE-FLAG CONSUMERS...
  local name=$1 size=$2; shift 2
  (cd "$MUSL_DIR" && "$TAILOR" link "$@" --linker "$LINKER" $size -o "$OUT/libc-$name.so" \
      --report "$OUT/libc-$name.json" -- "$LINK_CC" @"$LINK_RSP") > "$OUT/libc-$name.txt"
}
run_all() {  # run_all LIBC: both programs' output with that libc as the dynamic linker
  "$1" "$HELLO" tailor
  TAILOR_LUA_VAR=demo "$1" "$LUA" "$LUA_SCRIPT"
}

echo "tailoring musl's libc.so ($LIBC) with $LINKER..." >&2
link hello "" "$HELLO"
link lua "" "$LUA"
link both "" "$HELLO" "$LUA"
link both-size --size "$HELLO" "$LUA"

run_all "$LIBC" > "$OUT/generic.out" 2>&1
"$OUT/libc-hello.so" "$HELLO" tailor > "$OUT/hello.out" 2>&1
TAILOR_LUA_VAR=demo "$OUT/libc-lua.so" "$LUA" "$LUA_SCRIPT" > "$OUT/lua.out" 2>&1
run_all "$OUT/libc-both.so" > "$OUT/both.out" 2>&1
run_all "$OUT/libc-both-size.so.stripped" > "$OUT/both-size.out" 2>&1
head -n 1 "$OUT/generic.out" | cmp -s - "$OUT/hello.out" || { echo "hello differs with its tailored libc" >&2; exit 1; }
tail -n +2 "$OUT/generic.out" | cmp -s - "$OUT/lua.out" || { echo "lua differs with its tailored libc" >&2; diff <(tail -n +2 "$OUT/generic.out") "$OUT/lua.out" >&2; exit 1; }
cmp -s "$OUT/generic.out" "$OUT/both.out" || { echo "output differs with libc-both" >&2; exit 1; }
cmp -s "$OUT/generic.out" "$OUT/both-size.out" || { echo "output differs with libc-both --size" >&2; exit 1; }
echo "hello and lua ($(wc -l < "$OUT/generic.out") lines of output) run identically on every tailored libc" >&2

size() { stat -c %s "$1"; }
exports() { sed -n 's/^exported symbols *\([0-9]*\) *\([0-9]*\).*/\2/p' "$1"; }
GENERIC=$(size "$LIBC")
printf '\n%-22s %10s %8s %8s   %s\n' "libc.so ($LINKER)" bytes ratio exports "kept by name"
printf '%-22s %10s %8s %8s\n' generic "$GENERIC" 100.0% "$(sed -n 's/^exported symbols *\([0-9]*\).*/\1/p' "$OUT/libc-hello.txt")"
for name in hello lua both both-size; do
  file="$OUT/libc-$name.so"; label="tailored to $name"
  base=$GENERIC
  if [ "$name" = both-size ]; then
    # Stripped against stripped: the generic libc stripped the same way.
    file="$file.stripped"; label="both, --size, stripped"
    strip --strip-all -o "$OUT/generic.stripped" "$LIBC"
    base=$(size "$OUT/generic.stripped")
  fi
  printf '%-22s %10s %7.1f%% %8s   %s\n' "$label" "$(size "$file")" \
    "$(echo "100 * $(size "$file") / $base" | bc -l)" "$(exports "$OUT/libc-$name.txt")" \
    "$(sed -n 's/.*kept by name: //p' "$OUT/libc-$name.txt")"
done
echo "(the stripped row is against the generic libc stripped alike: $(size "$OUT/generic.stripped") bytes)"
echo
echo "size table of the libc tailored to both (tailor link's own report):"
cat "$OUT/libc-both.txt"
