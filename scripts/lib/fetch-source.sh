# Sourced by scripts/osv-build.sh and scripts/static-build.sh (which define E2E, log and die).

# fetch PACKAGE DIR-GLOB: the Debian source package unpacked in $E2E/src (apt-get source), under
# scripts/e2e-build.sh's lock, since it fetches into the same directory; prints its path.
fetch() {
  local dir
  exec 8>"$E2E/.lock"
  flock 8
  dir=$(ls -d "$E2E"/src/$2 2>/dev/null | head -n 1 || true)
  if [ -z "$dir" ]; then
    log "apt-get source $1"
    mkdir -p "$E2E/src"
    (cd "$E2E/src" && apt-get source -qq "$1" >/dev/null 2>&1) \
      || die "apt-get source $1 failed (is deb-src enabled? run scripts/setup.sh)"
    dir=$(ls -d "$E2E"/src/$2 | head -n 1)
  fi
  exec 8>&-
  echo "$dir"
}

# sqlite_amalgamation: sqlite's amalgamation (sqlite3.c, shell.c, sqlite3.h), generated once
# from Debian's sqlite3 source (its full tree: the amalgamation comes out of tclsh scripts,
# make target `sqlite3.c shell.c`, out of tree) into $E2E/src/sqlite-amalgamation, under a
# lock of its own (the static programs and OSv's sqlite3 compile it side by side); prints its
# directory.
sqlite_amalgamation() {
  local src bld=$E2E/src/sqlite-amalgamation
  src=$(fetch sqlite3 'sqlite3-[0-9]*[0-9]')
  exec 8>"$E2E/src/.sqlite-amalgamation.lock"
  flock 8
  if [ ! -f "$bld/.tailor-generated" ]; then
    log "generating sqlite's amalgamation from $src"
    rm -rf "$bld" && mkdir -p "$bld"
    (cd "$bld" && "$src/configure" --disable-tcl --disable-readline --disable-editline \
        >"$bld/build.log" 2>&1 && make -j2 sqlite3.c shell.c >>"$bld/build.log" 2>&1) \
      || die "generating sqlite's amalgamation failed (see $bld/build.log)"
    touch "$bld/.tailor-generated"
  fi
  exec 8>&-
  echo "$bld"
}
