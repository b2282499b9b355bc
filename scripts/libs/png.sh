#!/usr/bin/env bash
# Functional test of libpng through its own programs: pngtest (read, write, compare) on
# pngtest.png and on every image of contrib/pngsuite, pngcp with several compression
# settings, pngfix checking, optimizing and fixing good and damaged images; the bytes of every
# image written are summed.
# Usage: png.sh PNGTEST PNGCP PNGFIX PNG_SRC, run in an empty scratch directory with
# LD_LIBRARY_PATH choosing the library. Prints a deterministic transcript (exit codes
# included).
set -u
PNGTEST=$1 PNGCP=$2 PNGFIX=$3 SRC=$4
cp "$SRC/pngtest.png" .
mkdir suite crashers
cp "$SRC"/contrib/pngsuite/*.png suite/
cp "$SRC"/contrib/testpngs/crashers/bad*.png "$SRC"/contrib/testpngs/crashers/empty_ancillary_chunks.png crashers/
sums() { for f in "$@"; do [ -f "$f" ] && echo "  $f $(wc -c < "$f") $(sha256sum < "$f" | cut -d' ' -f1)"; done; }

"$PNGTEST" pngtest.png out.png 2>&1; echo "pngtest: exit=$?"
sums out.png
"$PNGTEST" --strict pngtest.png strict.png 2>&1; echo "pngtest --strict: exit=$?"
"$PNGTEST" -m suite/*.png 2>&1; echo "pngtest -m suite: exit=$?"
sums pngout.png
for f in crashers/*.png; do
  "$PNGTEST" "$f" crashed.png 2>&1; echo "pngtest $f: exit=$?"
done

for opts in "" "--level=9" "--level=1 --strategy=filtered" "--strategy=huffman" \
    "--strategy=RLE" "--text=none --gamma=none" "--filter=none" "--filter=paeth"; do
  rm -f cp.png
  "$PNGCP" $opts pngtest.png cp.png 2>&1; echo "pngcp $opts: exit=$?"
  sums cp.png
done
for f in suite/basn2c16.png suite/basn3p04.png suite/basn6a08.png suite/ibasn0g16.png; do
  rm -f cp.png
  "$PNGCP" "$f" cp.png 2>&1; echo "pngcp $f: exit=$?"
  sums cp.png
done

"$PNGFIX" --verbose pngtest.png suite/basn0g08.png 2>&1; echo "pngfix check: exit=$?"
"$PNGFIX" --optimize --out=opt.png pngtest.png 2>&1; echo "pngfix --optimize: exit=$?"
sums opt.png
"$PNGFIX" --strip=all --out=stripped.png pngtest.png 2>&1; echo "pngfix --strip=all: exit=$?"
sums stripped.png
for f in crashers/*.png; do
  rm -f fixed.png
  "$PNGFIX" --strip=crc --out=fixed.png "$f" 2>&1; echo "pngfix $f: exit=$?"
  sums fixed.png
done
