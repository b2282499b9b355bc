#!/usr/bin/env bash
# Builds a real OSv kernel and image for the OSv tests, from the tarballs in ../shared/osv-src
# (OSv v0.57.0-398 and the submodules an x64 build needs), with OSv's own build:
#   ./scripts/build -j2 fs=rofs conf_hide_symbols=1 "conf_compiler_cflags=-msse2 -g0" \
#     image=native-example,tailor-apps
# where tailor-apps is a module of ours holding lua and the sqlite3 shell, built here against
# the host's glibc as position-independent executables from Debian's source packages.
# Everything is cached in ${TAILOR_E2E_DIR:-target/e2e}/osv and rebuilt only when missing.
# Installs what it needs with `scripts/setup.sh --osv` (OSv's build packages, QEMU).
#
# Prints nothing on stdout but `KEY=VALUE` lines:
#   OSV_DIR        the OSv tree (the link command runs there)
#   OSV_LINK       loader.elf's link command, one argument a line, argv[0] (ld) first; read it
#                  with `mapfile -t argv < "$OSV_LINK"`. Re-running it in OSV_DIR reproduces
#                  OSV_LOADER byte for byte (checked here when it is captured)
#   OSV_LINK_LD    argv[0] of that command;  OSV_LINK_RSP  the rest, as an ld response file
#                  (`$OSV_LINK_LD @$OSV_LINK_RSP`)
#   OSV_LOADER     the generic kernel, build/release.x64/loader.elf (with symbols)
#   OSV_KERNEL     build/release.x64/loader-stripped.elf (what QEMU boots with -kernel)
#   OSV_MANIFEST   build/release.x64/usr.manifest (every file of the image; the consumers)
#   OSV_USR_IMG    build/release.x64/usr.img (qcow2: boot loader, kernel and the rofs partition)
#   OSV_EXPORTS    the tree's exported_symbols directory (the export lists of the kernel)
#   OSV_HELLO OSV_HELLO_STATIC_PIE OSV_HELLO_STATIC  native-example's programs (host paths)
#   OSV_LUA OSV_SQLITE3   lua and the sqlite3 shell (host paths)
#   OSV_APPS_MANIFEST     the tailor-apps module's own usr.manifest (${MODULE_DIR} paths)
#   OSV_HELLO_CMD OSV_LUA_CMD OSV_SQLITE3_CMD   command lines that run each app in the image
#                  (deterministic output; the last line each prints is OSV_*_LAST)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
E2E=${TAILOR_E2E_DIR:-$HERE/target/e2e}
mkdir -p "$E2E/osv"
E2E=$(cd "$E2E" && pwd)
OSV=$E2E/osv
SHARED=${TAILOR_OSV_SRC:-$HERE/../shared/osv-src}
[ -d "$SHARED" ] || SHARED=/work/shared/osv-src
TREE=$OSV/tree
OUT=$TREE/build/release.x64
# Without debug info (`-g0` after the Makefile's `-g`): loader.elf is 4.5 MB instead of ten times that,
# so the OSv tests' relinks take a third less time; nothing here reads DWARF (QEMU boots it stripped).
BUILD_ARGS=(-j2 fs=rofs conf_hide_symbols=1 "conf_compiler_cflags=-msse2 -g0"
  image=native-example,tailor-apps)
log() { echo "osv: $*" >&2; }
took() { log "$1 in $((SECONDS - $2)) s"; }
die() { echo "osv: $*" >&2; exit 2; }
# shellcheck source=scripts/osv/lib.sh
. "$HERE/scripts/osv/lib.sh"
# One build at a time (tests run in parallel and share the cache).
exec 9>"$OSV/.lock"
flock 9

bash "$HERE/scripts/setup.sh" --osv >&2 || die "scripts/setup.sh --osv failed"

# --- The OSv tree: the tarballs unpacked where the submodules go, as a git repository tagged
# v0.57.0 (scripts/osv-version.sh runs `git describe --tags --match 'v[0-9]*'`).
if [ ! -f "$TREE/.tailor-unpacked" ]; then
  for t in osv acpica musl_1.2.1 musl_0.9.12 kbuild osv-apps; do
    [ -f "$SHARED/$t.tar.xz" ] || die "missing $SHARED/$t.tar.xz (OSv's source tarballs)"
  done
  log "unpacking OSv from $SHARED into $TREE"
  t0=$SECONDS
  rm -rf "$TREE" "$TREE.tmp" && mkdir -p "$TREE.tmp"
  tar -xJf "$SHARED/osv.tar.xz" -C "$TREE.tmp" --strip-components=1
  unpack() {  # unpack TARBALL DIR
    rm -rf "${TREE:?}.tmp/$2" && mkdir -p "$TREE.tmp/$2"
    tar -xJf "$SHARED/$1.tar.xz" -C "$TREE.tmp/$2" --strip-components=1
  }
  unpack acpica external/x64/acpica
  unpack musl_1.2.1 musl_1.2.1
  unpack musl_0.9.12 musl_0.9.12
  unpack kbuild kbuild
  unpack osv-apps apps
  (cd "$TREE.tmp" && git init -q && git add -A \
    && git -c user.name=tailor -c user.email=tailor@localhost commit -q -m "OSv v0.57.0-398-g0e34e4dc" \
    && git tag v0.57.0) >&2 || die "making $TREE.tmp a git repository failed"
  touch "$TREE.tmp/.tailor-unpacked"
  mv "$TREE.tmp" "$TREE"
  took "unpacked and committed" "$t0"
fi
[ "$(cd "$TREE" && scripts/osv-version.sh 2>/dev/null)" != "" ] \
  || die "scripts/osv-version.sh prints no version in $TREE (git tag v0.57.0 missing?)"

# --- lua and sqlite3: Debian's source packages, built against glibc as PIEs.
# shellcheck source=scripts/lib/fetch-source.sh
. "$HERE/scripts/lib/fetch-source.sh"
APPS=$OSV/apps
mkdir -p "$APPS"
if [ ! -x "$APPS/lua" ]; then
  LUA_SRC=$(fetch lua5.4 'lua5.4-[0-9]*[0-9]')
  log "building lua (PIE, glibc) from $LUA_SRC/src"
  t0=$SECONDS
  mkdir -p "$APPS/lua-include"
  # Debian's luaconf.h includes a header its rules generate (the multiarch triplet).
  echo "#define DEB_HOST_MULTIARCH \"$(gcc -dumpmachine)\"" > "$APPS/lua-include/lua5.4-deb-multiarch.h"
  mapfile -t lua_sources < <(ls "$LUA_SRC"/src/*.c | grep -v '/luac\.c$')
  gcc -O2 -std=gnu99 -fPIE -pie -DLUA_USE_LINUX -I"$APPS/lua-include" -o "$APPS/lua.tmp" \
    "${lua_sources[@]}" -Wl,-E -lm -ldl > "$APPS/lua-build.log" 2>&1 \
    || die "building lua failed (see $APPS/lua-build.log)"
  mv "$APPS/lua.tmp" "$APPS/lua"
  took "lua built" "$t0"
fi
if [ ! -x "$APPS/sqlite3" ]; then
  # scripts/lib/fetch-source.sh's amalgamation (shared with scripts/static-build.sh).
  BLD=$(sqlite_amalgamation)
  log "building the sqlite3 shell (PIE, glibc) from $BLD"
  t0=$SECONDS
  rm -rf "$APPS/sqlite-bld" && mkdir -p "$APPS/sqlite-bld" && : > "$APPS/sqlite-build.log"
  # The two translation units compile in parallel (sqlite3.c alone takes most of a minute).
  (cd "$APPS/sqlite-bld" && printf '%s\n' shell sqlite3 | xargs -P 2 -I{} \
      gcc -O2 -fPIE -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -I"$BLD" -c "$BLD/{}.c" -o {}.o \
    && gcc -pie -o "$APPS/sqlite3.tmp" shell.o sqlite3.o -lm) >>"$APPS/sqlite-build.log" 2>&1 \
    || die "building sqlite3 failed (see $APPS/sqlite-build.log)"
  mv "$APPS/sqlite3.tmp" "$APPS/sqlite3"
  took "sqlite3 built" "$t0"
fi

if [ ! -x "$APPS/clock" ] || [ "$HERE/scripts/osv/clock.c" -nt "$APPS/clock" ]; then
  log "building clock (static, glibc: reads the clocks through the vDSO)"
  gcc -O2 -static -o "$APPS/clock.tmp" "$HERE/scripts/osv/clock.c" \
    || die "building clock failed (static glibc: libc6-dev)"
  mv "$APPS/clock.tmp" "$APPS/clock"
fi

# --- Our module (apps/tailor-apps): the two programs and their test inputs, in OSv's
# usr.manifest format. Written only when its content changes (the image depends on it).
MOD=$TREE/apps/tailor-apps
mkdir -p "$MOD"
put() {  # put SRC DEST: copy when different
  cmp -s "$1" "$2" || cp "$1" "$2"
}
put "$APPS/lua" "$MOD/lua"
put "$APPS/sqlite3" "$MOD/sqlite3"
put "$APPS/clock" "$MOD/clock"
put "$HERE/scripts/osv/test.lua" "$MOD/test.lua"
put "$HERE/scripts/osv/test.sql" "$MOD/test.sql"
printf '%s\n' '/lua: ${MODULE_DIR}/lua' '/sqlite3: ${MODULE_DIR}/sqlite3' '/clock: ${MODULE_DIR}/clock' \
  '/tailor/test.lua: ${MODULE_DIR}/test.lua' '/tailor/test.sql: ${MODULE_DIR}/test.sql' \
  > "$MOD/usr.manifest.new"
put "$MOD/usr.manifest.new" "$MOD/usr.manifest" && rm "$MOD/usr.manifest.new"
printf '%s\n' 'from osv.modules import api' '' 'default = api.run("/lua /tailor/test.lua")' \
  > "$MOD/module.py.new"
put "$MOD/module.py.new" "$MOD/module.py" && rm "$MOD/module.py.new"
printf '%s\n' '.PHONY: module clean' 'module:' 'clean:' > "$MOD/Makefile.new"
put "$MOD/Makefile.new" "$MOD/Makefile" && rm "$MOD/Makefile.new"
MOD_FILES=(lua sqlite3 clock test.lua test.sql usr.manifest module.py Makefile)

# --- The build. Re-run when a product is missing or an input of the image is newer.
stamp=$OSV/build.stamp
need_build=0
for f in "$OUT/loader.elf" "$OUT/loader-stripped.elf" "$OUT/usr.img" "$OUT/usr.manifest" "$stamp"; do
  [ -f "$f" ] || need_build=1
done
if [ "$need_build" = 0 ]; then
  [ "$(cat "$stamp")" = "${BUILD_ARGS[*]}" ] || need_build=1
  for f in "${MOD_FILES[@]}"; do if [ "$MOD/$f" -nt "$OUT/usr.img" ]; then need_build=1; fi; done
fi
if [ "$need_build" = 1 ]; then
  # OSv's make does not track its variables: a build with other ones starts from no objects.
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "${BUILD_ARGS[*]}" ]; then
    log "the build's variables changed (was: $(cat "$stamp")): removing $TREE/build"
    rm -rf "$TREE/build" "$stamp"
  fi
  log "building OSv: ./scripts/build ${BUILD_ARGS[*]} (log: $OSV/build.log)"
  t0=$SECONDS
  (cd "$TREE" && ./scripts/build "${BUILD_ARGS[@]}") > "$OSV/build.log" 2>&1 \
    || { tail -n 30 "$OSV/build.log" >&2; die "OSv's build failed (see $OSV/build.log)"; }
  took "OSv built" "$t0"
  echo "${BUILD_ARGS[*]}" > "$stamp"
  rm -f "$OSV/loader.elf.argv"
fi

# --- loader.elf's link command, as make runs it (scripts/osv/lib.sh).
if [ ! -f "$OSV/loader.elf.argv" ] || [ ! -f "$OSV/loader.elf.rsp" ]; then
  osv_capture_link "$TREE" "$OSV/loader.elf" "${BUILD_ARGS[@]}"
fi

echo "OSV_DIR=$TREE"
echo "OSV_LINK=$OSV/loader.elf.argv"
echo "OSV_LINK_LD=$(head -n 1 "$OSV/loader.elf.argv")"
echo "OSV_LINK_RSP=$OSV/loader.elf.rsp"
echo "OSV_LOADER=$OUT/loader.elf"
echo "OSV_KERNEL=$OUT/loader-stripped.elf"
echo "OSV_MANIFEST=$OUT/usr.manifest"
echo "OSV_USR_IMG=$OUT/usr.img"
echo "OSV_EXPORTS=$TREE/exported_symbols"
echo "OSV_HELLO=$TREE/apps/native-example/hello"
echo "OSV_HELLO_STATIC_PIE=$TREE/apps/native-example/hello-static-pie"
echo "OSV_HELLO_STATIC=$TREE/apps/native-example/hello-static-non-pie"
echo "OSV_LUA=$MOD/lua"
echo "OSV_SQLITE3=$MOD/sqlite3"
echo "OSV_CLOCK=$MOD/clock"
echo "OSV_APPS_MANIFEST=$MOD/usr.manifest"
echo "OSV_HELLO_CMD=/hello"
echo "OSV_HELLO_LAST=Hello from C code"
echo "OSV_LUA_CMD=/lua /tailor/test.lua"
echo "OSV_LUA_LAST=lua on OSv: done"
echo "OSV_SQLITE3_CMD=/sqlite3 -batch -init /tailor/test.sql :memory: .quit"
echo "OSV_SQLITE3_LAST=sqlite on OSv: done"
echo "OSV_CLOCK_CMD=/clock"
echo "OSV_CLOCK_LAST=vdso clock on OSv: done"
echo "OSV_BUILD_ARGS=$(printf '%q ' "${BUILD_ARGS[@]}")"
