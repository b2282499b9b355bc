#!/usr/bin/env bash
# Builds every cached product the end-to-end tests use, ahead of them: the packages
# (scripts/setup.sh --osv), then scripts/e2e-build.sh (musl, lua), scripts/osv-build.sh (the
# OSv kernel and image), the OSv driver-profile variant the tests boot (scripts/osv-variant.sh
# pci-hpet with scripts/osv/profile.vars), scripts/libs-build.sh and scripts/static-build.sh,
# one after the other, each cached as it is when a test runs it.
#   e2e-all.sh               in the foreground; exits 2 when a build failed (after the others)
#   e2e-all.sh --background  starts it detached (its log: ${TAILOR_E2E_DIR:-target/e2e}/all.log)
#                            unless one is running, and prints its process group's id (the
#                            caller kills that group when it stops early: `kill -- -PGID`)
# The tests still run each build script themselves: one waits on that script's lock for the
# build in progress, finds its products cached, or builds them (and reports its own failure).
# CI (.ci/run) starts it before cargo's build, which then overlaps these builds.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
E2E=${TAILOR_E2E_DIR:-$HERE/target/e2e}
mkdir -p "$E2E"
E2E=$(cd "$E2E" && pwd)
LOCK=$E2E/.all.lock
log() { echo "e2e-all: $*" >&2; }

if [ "${1:-}" = --background ]; then
  # One at a time: a second start while one runs does nothing.
  flock -n "$LOCK" true || exit 0
  setsid bash "$0" > "$E2E/all.log" 2>&1 < /dev/null &
  echo $!
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: e2e-all.sh [--background]" >&2; exit 2; }
exec 9>"$LOCK"
flock -n 9 || { log "another e2e-all.sh is running"; exit 0; }

failed=()
cpu() {  # CPU seconds of this script's finished children (user + system)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($16 + $17) / hz }' "/proc/$$/stat"
}
step() {  # step NAME COMMAND...: runs a build script, its KEY=VALUE lines discarded
  local t0=$SECONDS c0
  c0=$(cpu)
  if "${@:2}" > /dev/null; then log "$1 ready in $((SECONDS - t0)) s ($(( $(cpu) - c0 )) CPU-s)"
  else log "$1 failed (exit $?)"; failed+=("$1"); fi
}
step setup bash "$HERE/scripts/setup.sh" --osv
step e2e-build bash "$HERE/scripts/e2e-build.sh"
step osv-build bash "$HERE/scripts/osv-build.sh"
read -r -a PROFILE < "$HERE/scripts/osv/profile.vars"
step "osv-variant pci-hpet" bash "$HERE/scripts/osv-variant.sh" pci-hpet "${PROFILE[@]}"
step libs-build bash "$HERE/scripts/libs-build.sh"
step static-build bash "$HERE/scripts/static-build.sh"
if [ "${#failed[@]}" -gt 0 ]; then log "failed: ${failed[*]}"; exit 2; fi
log "every product built in $SECONDS s ($(cpu) CPU-s)"
