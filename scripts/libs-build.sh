#!/usr/bin/env bash
# Builds four real shared libraries from Debian's source packages, each with its own build
# system, twice (plain, and with -ffunction-sections -fdata-sections added to the CFLAGS),
# and records each shared library's link command exactly as its build ran it:
#   zlib    ./configure && make          (libz.so.1.2.13, -Wl,--version-script,zlib.map)
#   expat   CMake (Unix Makefiles)       (libexpat.so, visibility attributes, no script)
#   sqlite3 autoconf + libtool           (.libs/libsqlite3.so, FTS4, FTS5 and JSON on)
#   libpng  autoconf + libtool           (.libs/libpng16.so, its own libpng.vers)
# Products are cached in ${TAILOR_E2E_DIR:-target/e2e}/libs and rebuilt only when missing.
# Prints nothing on stdout but `KEY=VALUE` lines; for each LIB (ZLIB, EXPAT, SQLITE, PNG), once
# for the plain build and once with the suffix _FS for the function-sections build
# (e.g. ZLIB_DIR and ZLIB_DIR_FS):
#   LIB_DIR        the directory to run the link command in (the build directory)
#   LIB_LINK       a file holding the link command's argv, one argument a line, the driver
#                  (gcc, cc) first; relative paths are relative to LIB_DIR. Run it with
#                  `mapfile -t argv < "$LIB_LINK"; (cd "$LIB_DIR" && "${argv[@]}")`, or
#                  `tailor link CONSUMERS... -- "${argv[@]}"` from LIB_DIR.
#   LIB_LIB        the generic shared library (absolute; the link command's output)
#   LIB_SONAME     its DT_SONAME (the name consumers load)
#   LIB_CONSUMERS  the consumer ELF files, separated by spaces (libtool's real programs in
#                  .libs/, not its wrapper scripts); also one key per consumer:
#                  ZLIB_MINIGZIP ZLIB_EXAMPLE EXPAT_XMLWF SQLITE_SHELL PNG_PNGTEST PNG_PNGCP
#                  PNG_PNGFIX
# and, once: PNG_SRC (libpng's source tree: pngtest.png, contrib/pngsuite), LIBS_TESTS (the
# directory of the functional test drivers, scripts/libs).
# Exits 2 with a message naming the build log when something fails.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
E2E=${TAILOR_E2E_DIR:-$HERE/target/e2e}
mkdir -p "$E2E/libs"
LIBS=$(cd "$E2E/libs" && pwd)
SRC="$LIBS/src"
JOBS=$(nproc 2>/dev/null || echo 2)
[ "$JOBS" -le 2 ] || JOBS=2
log() { echo "libs: $*" >&2; }
die() { echo "libs: $*" >&2; exit 2; }
# One build at a time (tests run in parallel and share the cache).
exec 9>"$LIBS/.lock"
flock 9

bash "$HERE/scripts/setup.sh" >&2

# fetch PACKAGE DIR-GLOB: the unpacked source package (apt-get source, Debian patches applied).
# The newest version apt knows may be missing from the mirror (security updates): then each
# version `apt-cache showsrc` lists is tried.
fetch() {
  local dir v
  dir=$(ls -d "$SRC"/$2 2>/dev/null | head -n 1 || true)
  if [ -z "$dir" ]; then
    mkdir -p "$SRC"
    log "apt-get source $1"
    if ! (cd "$SRC" && apt-get source -qq "$1" >/dev/null 2>&1); then
      for v in $(apt-cache showsrc "$1" 2>/dev/null \
          | awk -v p="$1" '/^Package: /{ok = ($2 == p)} ok && /^Version: /{print $2}' | sort -rV); do
        log "apt-get source $1=$v"
        (cd "$SRC" && apt-get source -qq "$1=$v" >/dev/null 2>&1) && break
      done
    fi
    dir=$(ls -d "$SRC"/$2 2>/dev/null | head -n 1 || true)
    [ -n "$dir" ] || die "apt-get source $1 failed (is deb-src enabled? run scripts/setup.sh)"
  fi
  echo "$dir"
}

# link_line LOG OUTPUT: the last command in a build log that links OUTPUT as a shared library
# (libtool's echo `libtool: link: ...` taken without its prefix; make's backslash-newline
# continuations joined).
link_line() {
  sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$1" | sed -e 's/^libtool: link: //' \
    | grep -E -e '(^| )-shared( |$)' | grep -F -e " -o $2" | grep -v -e 'libtool ' | tail -n 1
}

# write_argv LINE FILE: the shell words of LINE (make runs recipes with /bin/sh; libtool
# echoes its commands quoted for the shell), one a line, into FILE (rewritten only when it
# changes).
write_argv() {
  (eval "set -- $1" && printf '%s\n' "$@") > "$2.new" || die "cannot split the link command: $1"
  if cmp -s "$2.new" "$2"; then rm "$2.new"; else mv "$2.new" "$2"; fi
}

soname() {
  readelf -dW "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p'
}

# build NAME VARIANT FUNCTION: runs FUNCTION BUILD-DIR EXTRA-CFLAGS in a fresh directory unless
# a previous build completed (its stamp .tailor-built exists), with the output in build.log.
build() {
  local dir="$LIBS/$1-$2" extra=""
  [ "$2" = fs ] && extra="-ffunction-sections -fdata-sections"
  if [ ! -f "$dir/.tailor-built" ]; then
    log "building $1 ($2) in $dir"
    local t0=$SECONDS
    rm -rf "$dir" && mkdir -p "$dir"
    ( set -e; "$3" "$dir" "$extra" ) > "$dir.log" 2>&1 \
      || die "building $1 ($2) failed: see $dir.log"
    mv "$dir.log" "$dir/build.log"
    touch "$dir/.tailor-built"
    log "built $1 ($2) in $((SECONDS - t0)) s"
  fi
  echo "$dir"
}

# emit KEY-PREFIX SUFFIX DIR LIB-RELATIVE CONSUMER-KEY=RELATIVE-PATH...
emit() {
  local key=$1 sfx=$2 dir=$3 lib=$4 line consumers="" kv
  shift 4
  [ -f "$dir/$lib" ] || die "$dir/$lib was not built (see $dir/build.log)"
  line=$(link_line "$dir/build.log" "$lib")
  [ -n "$line" ] || die "no link command for $lib in $dir/build.log"
  write_argv "$line" "$dir/tailor-link.argv"
  echo "${key}_DIR$sfx=$dir"
  echo "${key}_LINK$sfx=$dir/tailor-link.argv"
  echo "${key}_LIB$sfx=$dir/$lib"
  echo "${key}_SONAME$sfx=$(soname "$dir/$lib")"
  for kv in "$@"; do
    [ -f "$dir/${kv#*=}" ] || die "$dir/${kv#*=} was not built (see $dir/build.log)"
    echo "${kv%%=*}$sfx=$dir/${kv#*=}"
    consumers="$consumers${consumers:+ }$dir/${kv#*=}"
  done
  echo "${key}_CONSUMERS$sfx=$consumers"
}

ZLIB_SRC=$(fetch zlib 'zlib-1.2.13*')
EXPAT_SRC=$(fetch expat 'expat-2.5.0')
SQLITE_SRC=$(fetch sqlite3 'sqlite3-3.40.1')
PNG_SRC=$(fetch libpng1.6 'libpng1.6-1.6.39')

# zlib: in a copy of the tree (its configure builds in place); make builds the shared
# library and the programs linked against it (minigzipsh, examplesh).
zlib_build() {
  cp -a "$ZLIB_SRC/." "$1/"
  cd "$1"
  if [ -n "$2" ]; then CFLAGS="-O3 $2" ./configure; else ./configure; fi
  make -j"$JOBS"
}
# expat: CMake out of tree, release flags, no documentation (docbook) and no tests; the build
# tree's RPATH is left out (CMAKE_SKIP_BUILD_RPATH) so that LD_LIBRARY_PATH chooses the library
# xmlwf loads (a DT_RPATH would win over it).
expat_build() {
  cd "$1"
  cmake -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="$2" \
    -DCMAKE_SKIP_BUILD_RPATH=ON -DEXPAT_BUILD_DOCS=OFF -DEXPAT_BUILD_TESTS=OFF \
    -DEXPAT_BUILD_EXAMPLES=OFF "$EXPAT_SRC/expat"
  # Debian's CVE-2024-8176 patch tests `#if XML_DTD == 1`, which its autotools config.h
  # satisfies but CMake's `#cmakedefine XML_DTD` (an empty definition) does not.
  sed -i 's/^#define XML_DTD$/#define XML_DTD 1/' expat_config.h
  make -j"$JOBS" VERBOSE=1
}
# sqlite: autoconf out of tree (its build generates the amalgamation with tclsh), FTS4, FTS5
# (JSON is built in), no Tcl extension, no line editing; libtool's commands shown (V=1).
sqlite_build() {
  cd "$1"
  CFLAGS="-g -O2 $2" "$SQLITE_SRC/configure" --enable-fts4 --enable-fts5 --enable-json \
    --disable-tcl --disable-readline --disable-editline --disable-static
  make -j"$JOBS" V=1 libsqlite3.la sqlite3
}
# libpng: autoconf out of tree; `make` builds the library (with libpng.vers) and the check
# programs (pngtest, pngcp) besides pngfix.
png_build() {
  cd "$1"
  CFLAGS="-g -O2 $2" "$PNG_SRC/configure" --disable-static
  make -j"$JOBS" V=1
}

# sqlite's amalgamation is one 9 MB translation unit, compiled on one core: its two builds run
# side by side (the slowest part of a cold run), then everything is built in order.
if [ ! -f "$LIBS/sqlite-plain/.tailor-built" ] || [ ! -f "$LIBS/sqlite-fs/.tailor-built" ]; then
  ( build sqlite plain sqlite_build >/dev/null ) & plain_pid=$!
  ( build sqlite fs sqlite_build >/dev/null ) & fs_pid=$!
  wait "$plain_pid" || die "building sqlite (plain) failed"
  wait "$fs_pid" || die "building sqlite (fs) failed"
fi
for v in plain fs; do
  sfx=""; [ "$v" = fs ] && sfx=_FS
  d=$(build zlib $v zlib_build)
  emit ZLIB "$sfx" "$d" libz.so.1.2.13 ZLIB_MINIGZIP=minigzipsh ZLIB_EXAMPLE=examplesh
  d=$(build expat $v expat_build)
  lib=$(cd "$d" && ls libexpat.so.*.*.* 2>/dev/null | head -n 1 || true)
  emit EXPAT "$sfx" "$d" "$lib" EXPAT_XMLWF=xmlwf/xmlwf
  d=$(build sqlite $v sqlite_build)
  lib=$(cd "$d" && ls .libs/libsqlite3.so.*.*.* 2>/dev/null | head -n 1 || true)
  emit SQLITE "$sfx" "$d" "$lib" SQLITE_SHELL=.libs/sqlite3
  d=$(build libpng $v png_build)
  lib=$(cd "$d" && ls .libs/libpng16.so.*.*.* 2>/dev/null | head -n 1 || true)
  emit PNG "$sfx" "$d" "$lib" PNG_PNGTEST=.libs/pngtest PNG_PNGCP=.libs/pngcp \
    PNG_PNGFIX=.libs/pngfix
done
echo "PNG_SRC=$PNG_SRC"
echo "LIBS_TESTS=$HERE/scripts/libs"
