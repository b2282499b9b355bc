#!/usr/bin/env bash
# Builds the statically linked programs `tailor syscalls` is checked on, cached in
# ${TAILOR_E2E_DIR:-target/e2e}/static and rebuilt only when missing:
#   - OSv's native-example hello (apps/native-example of ../shared/osv-src/osv-apps.tar.xz),
#     with its own Makefile: hello-static-pie (gcc -static-pie) and hello-static-non-pie;
#   - lua (Debian's lua5.4 source) and the sqlite3 shell (Debian's sqlite3 source, its
#     amalgamation generated out of tree) linked statically against glibc (gcc -static) and
#     against musl (Debian's musl-gcc);
#   - Debian's busybox-static (/bin/busybox, installed by scripts/setup.sh).
# Installs what it needs with scripts/setup.sh. Prints nothing on stdout but KEY=VALUE lines:
#   HELLO_STATIC_PIE HELLO_STATIC  native-example's static programs
#   LUA_GLIBC LUA_MUSL SQLITE_GLIBC SQLITE_MUSL BUSYBOX  the other programs
#   LUA_SCRIPT     a lua test script (scripts/e2e/test.lua);  SQL_SCRIPT  a sqlite3 script
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
E2E=${TAILOR_E2E_DIR:-$HERE/target/e2e}
mkdir -p "$E2E/static"
E2E=$(cd "$E2E" && pwd)
OUT=$E2E/static
SHARED=${TAILOR_OSV_SRC:-$HERE/../shared/osv-src}
[ -d "$SHARED" ] || SHARED=/work/shared/osv-src
log() { echo "static: $*" >&2; }
die() { echo "static: $*" >&2; exit 2; }
# One build at a time (tests run in parallel and share the cache).
exec 9>"$OUT/.lock"
flock 9

bash "$HERE/scripts/setup.sh" >&2 || die "scripts/setup.sh failed"

# shellcheck source=scripts/lib/fetch-source.sh
. "$HERE/scripts/lib/fetch-source.sh"

# --- OSv's native-example, built by its own Makefile.
NE=$OUT/native-example
if [ ! -x "$NE/hello-static-pie" ] || [ ! -x "$NE/hello-static-non-pie" ]; then
  [ -f "$SHARED/osv-apps.tar.xz" ] || die "missing $SHARED/osv-apps.tar.xz (OSv's source tarballs)"
  log "building OSv's native-example (static hello)"
  rm -rf "$NE" && mkdir -p "$NE"
  tar -xJf "$SHARED/osv-apps.tar.xz" -C "$NE" --strip-components=2 apps/native-example \
    || die "unpacking apps/native-example from $SHARED/osv-apps.tar.xz failed"
  make -C "$NE" hello-static-pie hello-static-non-pie > "$NE/build.log" 2>&1 \
    || die "building native-example failed (see $NE/build.log)"
fi

# --- lua, static, against glibc and musl.
LUA_SRC=$(fetch lua5.4 'lua5.4-[0-9]*[0-9]')
mkdir -p "$OUT/lua-include"
echo "#define DEB_HOST_MULTIARCH \"$(gcc -dumpmachine)\"" > "$OUT/lua-include/lua5.4-deb-multiarch.h.new"
cmp -s "$OUT/lua-include/lua5.4-deb-multiarch.h.new" "$OUT/lua-include/lua5.4-deb-multiarch.h" \
  && rm "$OUT/lua-include/lua5.4-deb-multiarch.h.new" \
  || mv "$OUT/lua-include/lua5.4-deb-multiarch.h.new" "$OUT/lua-include/lua5.4-deb-multiarch.h"
mapfile -t lua_sources < <(ls "$LUA_SRC"/src/*.c | grep -v '/luac\.c$')
for libc in glibc musl; do
  [ -x "$OUT/lua-$libc" ] && continue
  cc=gcc; [ "$libc" = musl ] && cc=musl-gcc
  log "building lua (static, $libc) from $LUA_SRC/src"
  "$cc" -O2 -std=gnu99 -static -DLUA_USE_POSIX -I"$OUT/lua-include" -o "$OUT/lua-$libc.tmp" \
    "${lua_sources[@]}" -lm > "$OUT/lua-$libc.log" 2>&1 \
    || die "building lua against $libc failed (see $OUT/lua-$libc.log)"
  mv "$OUT/lua-$libc.tmp" "$OUT/lua-$libc"
done

# --- the sqlite3 shell, static, against glibc and musl (scripts/lib/fetch-source.sh's
# amalgamation, shared with scripts/osv-build.sh).
if [ ! -x "$OUT/sqlite3-glibc" ] || [ ! -x "$OUT/sqlite3-musl" ]; then
  BLD=$(sqlite_amalgamation)
  log "building the sqlite3 shell (static, glibc and musl)"
  # Both links' compilations in parallel (sqlite3.c alone takes most of a minute).
  printf '%s\n' glibc musl | xargs -P 2 -I{} sh -c '
    cc=gcc; [ {} = musl ] && cc=musl-gcc
    cd "$1" && $cc -O2 -static -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_ENABLE_FTS4 \
      -DSQLITE_ENABLE_FTS5 -I. \
      -o "$2/sqlite3-{}.tmp" shell.c sqlite3.c -lm > "$2/sqlite3-{}.log" 2>&1 \
      && mv "$2/sqlite3-{}.tmp" "$2/sqlite3-{}"' _ "$BLD" "$OUT" \
    || die "building sqlite3 failed (see $OUT/sqlite3-*.log)"
fi

[ -x /bin/busybox ] || die "/bin/busybox missing: install busybox-static (scripts/setup.sh)"
file_of() { [ -x "$1" ] || die "$1 was not built"; echo "$1"; }
echo "HELLO_STATIC_PIE=$(file_of "$NE/hello-static-pie")"
echo "HELLO_STATIC=$(file_of "$NE/hello-static-non-pie")"
echo "LUA_GLIBC=$(file_of "$OUT/lua-glibc")"
echo "LUA_MUSL=$(file_of "$OUT/lua-musl")"
echo "SQLITE_GLIBC=$(file_of "$OUT/sqlite3-glibc")"
echo "SQLITE_MUSL=$(file_of "$OUT/sqlite3-musl")"
echo "BUSYBOX=/bin/busybox"
echo "LUA_SCRIPT=$HERE/scripts/e2e/test.lua"
echo "SQL_SCRIPT=$HERE/scripts/libs/sqlite.sql"
