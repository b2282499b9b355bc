#!/usr/bin/env bash
# Builds a variant of the OSv kernel of scripts/osv-build.sh with OSv's own build and more
# make variables, in a copy of its tree (the base stays as it is):
#   scripts/osv-variant.sh NAME [VAR=VALUE...]
# e.g. `recipe conf_version_script=/abs/app_version_script` (an app version script) or
# `pci-hpet conf_drivers_profile=virtio-pci conf_drivers_hpet=1` (a driver profile). A
# `conf_version_script=` file is copied beside the variant, so the variant is rebuilt exactly
# when its content (or the other variables, or the base) changes; `conf_syscalls_list_file=`
# likewise. Cached in
# ${TAILOR_E2E_DIR:-target/e2e}/osv/variants/NAME. A copy's build recompiles only what the
# variables change (a profile: some 15 files, about a minute; a version script: a relink).
#
# Prints nothing on stdout but `KEY=VALUE` lines:
#   VARIANT_DIR      the variant's tree (its link command runs there)
#   VARIANT_LINK     its loader.elf's link command, one argument a line (as OSV_LINK)
#   VARIANT_LOADER   build/release.x64/loader.elf     VARIANT_KERNEL  loader-stripped.elf
#   VARIANT_MANIFEST build/release.x64/usr.manifest   VARIANT_USR_IMG usr.img
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
log() { echo "osv-variant: $*" >&2; }
die() { echo "osv-variant: $*" >&2; exit 2; }
# shellcheck source=scripts/osv/lib.sh
. "$HERE/scripts/osv/lib.sh"
[ $# -ge 1 ] || die "usage: osv-variant.sh NAME [VAR=VALUE...]"
NAME=$1
shift
case $NAME in */* | .* | "") die "bad variant name: $NAME" ;; esac

# The base build (cached), and its variables.
declare -A base
while IFS='=' read -r k v; do base[$k]=$v; done < <(bash "$HERE/scripts/osv-build.sh")
BASE_TREE=${base[OSV_DIR]}
read -r -a BUILD_ARGS <<< "${base[OSV_BUILD_ARGS]}"
V=$(dirname "$BASE_TREE")/variants/$NAME
mkdir -p "$V"
exec 9>"$V.lock"
flock 9

# Variables; a file a variable names (a version script, a syscall list) is copied beside the
# variant (its path is what make sees) and its content is part of the cache key.
ARGS=()
files=""
for a in "$@"; do
  case $a in
    conf_version_script=* | conf_syscalls_list_file=*)
      var=${a%%=*} f=${a#*=}
      [ -f "$f" ] || die "$f: no such file (for $var)"
      cmp -s "$f" "$V/$var" || cp "$f" "$V/$var"
      files="$files $var:$(sha256sum < "$V/$var" | cut -d' ' -f1)"
      ARGS+=("$var=$V/$var") ;;
    *=*) ARGS+=("$a") ;;
    *) die "not a make variable: $a" ;;
  esac
done
key="${BUILD_ARGS[*]} ${ARGS[*]} base:$(cat "$(dirname "$BASE_TREE")/build.stamp") $(stat -c %Y "$BASE_TREE/build/release.x64/loader.elf")$files"

if [ ! -f "$V/stamp" ] || [ "$(cat "$V/stamp")" != "$key" ]; then
  rm -f "$V/stamp"
  if [ ! -f "$V/tree/.tailor-copied" ] || [ "$BASE_TREE/build/release.x64/loader.elf" -nt "$V/tree/.tailor-copied" ]; then
    log "copying the OSv tree to $V/tree"
    rm -rf "$V/tree" && cp -a "$BASE_TREE" "$V/tree" && touch "$V/tree/.tailor-copied"
  fi
  log "building OSv variant $NAME: ./scripts/build ${BUILD_ARGS[*]} ${ARGS[*]} (log: $V/build.log)"
  t0=$SECONDS
  (cd "$V/tree" && ./scripts/build "${BUILD_ARGS[@]}" "${ARGS[@]}") > "$V/build.log" 2>&1 \
    || { tail -n 30 "$V/build.log" >&2; die "OSv's build of variant $NAME failed (see $V/build.log)"; }
  log "variant $NAME built in $((SECONDS - t0)) s"
  osv_capture_link "$V/tree" "$V/loader.elf" "${BUILD_ARGS[@]}" "${ARGS[@]}"
  echo "$key" > "$V/stamp"
fi

OUT=$V/tree/build/release.x64
echo "VARIANT_DIR=$V/tree"
echo "VARIANT_LINK=$V/loader.elf.argv"
echo "VARIANT_LOADER=$OUT/loader.elf"
echo "VARIANT_KERNEL=$OUT/loader-stripped.elf"
echo "VARIANT_MANIFEST=$OUT/usr.manifest"
echo "VARIANT_USR_IMG=$OUT/usr.img"
