#!/usr/bin/env bash
# Functional test of expat through xmlwf: well-formed documents (namespaces, a DTD with
# entities and default attributes, an ISO-8859-1 and a UTF-16 one), broken ones, and a
# "billion laughs" document expat must refuse; canonical output (-d), meta-data (-m) and
# namespace processing (-n).
# Usage: expat.sh XMLWF, run in an empty scratch directory with LD_LIBRARY_PATH choosing the
# library. Prints a deterministic transcript (exit codes included).
set -u
XMLWF=$1
HERE=$(cd "$(dirname "$0")" && pwd)
cp "$HERE"/xml/*.xml .
printf '<?xml version="1.0" encoding="ISO-8859-1"?>\n<caf\xe9 na\xefve="d\xe9j\xe0 vu">cr\xe8me br\xfbl\xe9e</caf\xe9>\n' > latin1.xml
# UTF-16LE with a byte order mark.
printf '\xff\xfe<\0d\0o\0c\0 \0a\0=\0"\0\xe9\0"\0>\0\xac\x20<\0/\0d\0o\0c\0>\0' > utf16.xml
# Entities nesting ten deep, ten times each: expat 2.4+ refuses the amplification.
{
  echo '<?xml version="1.0"?>'
  echo '<!DOCTYPE lolz ['
  echo ' <!ENTITY lol0 "lol">'
  for i in 1 2 3 4 5 6 7 8 9; do
    printf ' <!ENTITY lol%d "' "$i"
    for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&lol%d;' $((i - 1)); done
    echo '">'
  done
  echo ']>'
  echo '<lolz>&lol9;</lolz>'
} > laughs.bomb
for f in $(ls *.xml | LC_ALL=C sort); do
  echo "== $f"
  for opts in "" "-n" "-m" "-x" "-s"; do
    rm -rf out && mkdir out
    "$XMLWF" $opts -d out "$f" 2>&1; echo "xmlwf $opts: exit=$?"
    [ -f "out/$f" ] && { cat "out/$f"; echo; }
  done
done
# The entity bomb: with the default limits (expat expands 8 MiB before it judges) and with
# tighter ones (-a, -b).
"$XMLWF" laughs.bomb 2>&1; echo "laughs: exit=$?"
"$XMLWF" -a 50 -b 65536 laughs.bomb 2>&1; echo "laughs -a 50 -b 65536: exit=$?"
# Several files at once, reading through a pipe, and the library's version and features.
"$XMLWF" ok-simple.xml bad-mismatch.xml ok-ns.xml 2>&1; echo "several: exit=$?"
"$XMLWF" < ok-dtd.xml 2>&1; echo "stdin: exit=$?"
"$XMLWF" -v 2>&1; echo "version: exit=$?"
