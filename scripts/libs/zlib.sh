#!/usr/bin/env bash
# Functional test of zlib through its own test programs: minigzip round trips (every
# compression strategy and a few levels, files and pipes) and example's self-test.
# Usage: zlib.sh MINIGZIP EXAMPLE, run in an empty scratch directory with LD_LIBRARY_PATH
# choosing the library. Prints a deterministic transcript (exit codes included); exits 0
# unless the scratch directory is unusable.
set -u
MINIGZIP=$1 EXAMPLE=$2
# Inputs: compressible text, the (incompressible-ish) minigzip binary, an empty file.
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "line %d of the zlib round trip: %d\n", i, (i * i) % 9973 }' > text
cp "$MINIGZIP" binary
: > empty
for f in text binary empty; do
  for opts in "" "-1" "-9" "-f" "-h" "-r"; do
    cp "$f" work
    "$MINIGZIP" $opts work 2>&1; echo "compress $f $opts: exit=$?"
    sum=$(sha256sum < work.gz | cut -d' ' -f1)
    echo "  work.gz $(wc -c < work.gz) bytes sha256 $sum"
    "$MINIGZIP" -d work.gz 2>&1; echo "  decompress: exit=$?"
    cmp "$f" work && echo "  round trip identical"
    rm -f work work.gz
  done
  # Through pipes (gzdopen on stdin/stdout).
  "$MINIGZIP" -9 < "$f" | "$MINIGZIP" -d | cmp - "$f" && echo "pipe $f: round trip identical"
done
# example: deflate/inflate, gz* file functions, dictionaries, sync, large buffers.
"$EXAMPLE" 2>&1; echo "example: exit=$?"
"$EXAMPLE" example.gz 2>&1; echo "example example.gz: exit=$?"
