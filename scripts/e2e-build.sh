#!/usr/bin/env bash
# Builds what the end-to-end demo and tests tailor: musl (from Debian's source package, with its
# own link command recorded), a hello program and the lua interpreter (Debian's lua5.4 source)
# built against it with musl-gcc. Products are cached in $TAILOR_E2E_DIR (default
# target/e2e) and rebuilt only when missing. Prints nothing on stdout but `KEY=VALUE` lines:
#   MUSL_DIR   musl's build tree (run the link command there)
#   LINK_RSP   response file holding musl's libc.so link command (after the driver name)
#   LINK_CC    the driver the command runs
#   LIBC       the generic libc.so (also the dynamic linker)
#   HELLO LUA  the programs;  LUA_SCRIPT  the lua test script
#   LUA_OBJ    lua's objects (gcc, function/data sections): lua.o and liblua.a
#   UBOOT_DIR  u-boot's source tree (its hand-written linker scripts)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
E2E=${TAILOR_E2E_DIR:-$HERE/target/e2e}
mkdir -p "$E2E"
E2E=$(cd "$E2E" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)
log() { echo "e2e: $*" >&2; }
# One build at a time (tests run in parallel and share the cache).
exec 9>"$E2E/.lock"
flock 9

bash "$HERE/scripts/setup.sh" >&2

# Sources, through apt-get source (deb-src is enabled by setup.sh).
fetch() {  # fetch PACKAGE DIR-GLOB
  local dir
  dir=$(ls -d "$E2E"/src/$2 2>/dev/null | head -n 1 || true)
  if [ -z "$dir" ]; then
    log "apt-get source $1"
    mkdir -p "$E2E/src"
    (cd "$E2E/src" && apt-get source -qq "$1" >/dev/null 2>&1) \
      || { echo "e2e: apt-get source $1 failed (is deb-src enabled? run scripts/setup.sh)" >&2; exit 2; }
    dir=$(ls -d "$E2E"/src/$2 | head -n 1)
  fi
  echo "$dir"
}
MUSL_DIR=$(fetch musl 'musl-[0-9]*[0-9]')
LUA_SRC=$(fetch lua5.4 'lua5.4-[0-9]*[0-9]')
# u-boot's hand-written linker scripts (no build: only its *.lds files are read).
UBOOT_DIR=$(fetch u-boot 'u-boot-[0-9]*')
PREFIX="$E2E/musl"

if [ ! -f "$PREFIX/lib/libc.so" ] || [ ! -x "$PREFIX/bin/musl-gcc" ]; then
  log "building musl in $MUSL_DIR"
  (cd "$MUSL_DIR" && ./configure --prefix="$PREFIX" --syslibdir="$PREFIX/lib" >/dev/null \
     && make -s -j"$JOBS" >/dev/null 2>&1 && make -s install >/dev/null 2>&1) \
    || { echo "e2e: building musl failed in $MUSL_DIR" >&2; exit 2; }
fi
# musl's own link command for lib/libc.so, as make runs it (dry run with -B; the recipe's
# backslash-newline continuations joined).
LINK_LINE=$(cd "$MUSL_DIR" && make -n -B lib/libc.so 2>/dev/null \
  | sed -e ':a' -e '/\\$/N; s/\\\n//; ta' | grep -e '-o lib/libc.so' | tail -n 1 || true)
[ -n "$LINK_LINE" ] || { echo "e2e: could not find musl's link command" >&2; exit 2; }
LINK_CC=${LINK_LINE%% *}
# Rewritten only when it changes: tailor takes a response file newer than lib/libc.so as a
# sign that the generic image is stale.
printf '%s\n' "${LINK_LINE#* }" > "$E2E/libc.so.rsp.new"
if cmp -s "$E2E/libc.so.rsp.new" "$E2E/libc.so.rsp"; then rm "$E2E/libc.so.rsp.new"
else mv "$E2E/libc.so.rsp.new" "$E2E/libc.so.rsp"; fi

MUSL_GCC="$PREFIX/bin/musl-gcc"
if [ ! -x "$E2E/hello" ]; then
  log "building hello"
  "$MUSL_GCC" -O2 -o "$E2E/hello" "$HERE/scripts/e2e/hello.c"
fi
if [ ! -x "$E2E/lua" ]; then
  # What upstream's `make linux-noreadline` builds (Debian's patched Makefile needs libtool):
  # every source but luac's, -DLUA_USE_LINUX, linked with -Wl,-E -lm -ldl.
  log "building lua from $LUA_SRC/src"
  # Debian's luaconf.h includes a header its rules generate (the multiarch triplet).
  mkdir -p "$E2E/lua-include"
  echo "#define DEB_HOST_MULTIARCH \"$(gcc -dumpmachine)\"" > "$E2E/lua-include/lua5.4-deb-multiarch.h"
  mapfile -t lua_sources < <(ls "$LUA_SRC"/src/*.c | grep -v '/luac\.c$')
  "$MUSL_GCC" -O2 -std=gnu99 -DLUA_USE_LINUX -I"$E2E/lua-include" -o "$E2E/lua.tmp" \
    "${lua_sources[@]}" -Wl,-E -lm -ldl > "$E2E/lua-build.log" 2>&1 \
    || { echo "e2e: building lua with musl-gcc failed (see $E2E/lua-build.log)" >&2; exit 2; }
  mv "$E2E/lua.tmp" "$E2E/lua"
fi

echo "MUSL_DIR=$MUSL_DIR"
echo "LINK_RSP=$E2E/libc.so.rsp"
echo "LINK_CC=$LINK_CC"
echo "LIBC=$MUSL_DIR/lib/libc.so"
echo "HELLO=$E2E/hello"
# lua's own objects, for the section-GC tests: compiled by gcc (glibc) with function and
# data sections, laid out as upstream's Makefile does (lua.o + liblua.a).
LUA_OBJ="$E2E/lua-obj"
if [ ! -f "$LUA_OBJ/liblua.a" ]; then
  log "compiling lua's objects with gcc -ffunction-sections -fdata-sections"
  rm -rf "$LUA_OBJ.tmp" && mkdir -p "$LUA_OBJ.tmp"
  ls "$LUA_SRC"/src/*.c | grep -v '/luac\.c$' | xargs -P "$(nproc)" -I{} sh -c \
    'gcc -O2 -std=gnu99 -DLUA_USE_LINUX -ffunction-sections -fdata-sections -I"$1" -c "$2" -o "$0/$(basename "$2" .c).o"' \
    "$LUA_OBJ.tmp" "$E2E/lua-include" {} \
    || { echo "e2e: compiling lua's objects failed" >&2; exit 2; }
  (cd "$LUA_OBJ.tmp" && ar rcs liblua.a $(ls *.o | grep -v '^lua\.o$'))
  rm -rf "$LUA_OBJ" && mv "$LUA_OBJ.tmp" "$LUA_OBJ"
fi

echo "LUA=$E2E/lua"
echo "LUA_OBJ=$LUA_OBJ"
echo "UBOOT_DIR=$UBOOT_DIR"
echo "LUA_SCRIPT=$HERE/scripts/e2e/test.lua"
