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
