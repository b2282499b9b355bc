#!/usr/bin/env bash
# Builds a variant of the OSv kernel of scripts/osv-build.sh with OSv's own build and more
# make variables, in a copy of its tree (the base stays as it is):
#   scripts/osv-variant.sh NAME [--from VARIANT] [VAR=VALUE...]
# e.g. `recipe conf_version_script=/abs/app_version_script` (an app version script) or
# `pci-hpet conf_drivers_profile=virtio-pci conf_drivers_hpet=1` (a driver profile).
# `--from VARIANT` starts from a copy of that variant's tree (built before, by the same
# script) and its variables, the new ones replacing same-named ones: a version script on top
# of a driver profile is then a relink instead of the profile's recompilation. A
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
usage="usage: osv-variant.sh NAME [--from VARIANT] [VAR=VALUE...]"
[ $# -ge 1 ] || die "$usage"
NAME=$1
shift
FROM=""
if [ "${1:-}" = --from ]; then
  [ $# -ge 2 ] || die "$usage"
  FROM=$2
  shift 2
fi
for n in "$NAME" ${FROM:+"$FROM"}; do
  case $n in */* | .* | "") die "bad variant name: $n" ;; esac
done
[ "$FROM" != "$NAME" ] || die "variant $NAME cannot start from itself"

# The base build (cached), and its variables.
declare -A base
while IFS='=' read -r k v; do base[$k]=$v; done < <(bash "$HERE/scripts/osv-build.sh")
BASE_TREE=${base[OSV_DIR]}
eval "BUILD_ARGS=(${base[OSV_BUILD_ARGS]})"  # printf %q-quoted by osv-build.sh
VARIANTS=$(dirname "$BASE_TREE")/variants
V=$VARIANTS/$NAME
mkdir -p "$V"
exec 9>"$V.lock"
flock 9

# The tree the variant starts from: the base, or (--from) another variant with its variables.
SRC_TREE=$BASE_TREE
PARENT_ARGS=()
from_key=""
if [ -n "$FROM" ]; then
  P=$VARIANTS/$FROM
  [ -f "$P/stamp" ] && [ -f "$P/args" ] \
    || die "variant $FROM is not built (build it before $NAME, which starts from it)"
  SRC_TREE=$P/tree
  mapfile -t PARENT_ARGS < <(grep -v '^$' "$P/args" || true)
  from_key=" from:$FROM:$(cat "$P/stamp")"
fi

# Variables; a file a variable names (a version script, a syscall list) is copied beside the
# variant (its path is what make sees) and its content is part of the cache key.
ARGS=()
files=""
for a in "${PARENT_ARGS[@]}"; do
  own=0
  for b in "$@"; do [ "${a%%=*}" = "${b%%=*}" ] && own=1; done
  [ "$own" = 1 ] || ARGS+=("$a")
done
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
key="${BUILD_ARGS[*]} ${ARGS[*]} base:$(cat "$(dirname "$BASE_TREE")/build.stamp") $(stat -c %Y "$BASE_TREE/build/release.x64/loader.elf")$files$from_key"

if [ ! -f "$V/stamp" ] || [ "$(cat "$V/stamp")" != "$key" ]; then
  rm -f "$V/stamp"
  if [ ! -f "$V/tree/.tailor-copied" ] || [ "$(cat "$V/tree/.tailor-copied")" != "$SRC_TREE" ] \
      || [ "$SRC_TREE/build/release.x64/loader.elf" -nt "$V/tree/.tailor-copied" ]; then
    log "copying the OSv tree $SRC_TREE to $V/tree"
    # Under the source variant's lock (not rebuilt while it is copied).
    if [ -n "$FROM" ]; then exec 7>"$VARIANTS/$FROM.lock" && flock 7; fi
    rm -rf "$V/tree" && cp -a "$SRC_TREE" "$V/tree" && echo "$SRC_TREE" > "$V/tree/.tailor-copied"
    if [ -n "$FROM" ]; then exec 7>&-; fi
  fi
  log "building OSv variant $NAME: ./scripts/build ${BUILD_ARGS[*]} ${ARGS[*]} (log: $V/build.log)"
  t0=$SECONDS
  (cd "$V/tree" && ./scripts/build "${BUILD_ARGS[@]}" "${ARGS[@]}") > "$V/build.log" 2>&1 \
    || { tail -n 30 "$V/build.log" >&2; die "OSv's build of variant $NAME failed (see $V/build.log)"; }
  log "variant $NAME built in $((SECONDS - t0)) s"
  osv_capture_link "$V/tree" "$V/loader.elf" "${BUILD_ARGS[@]}" "${ARGS[@]}"
  echo "$key" > "$V/stamp"
fi
# Its variables, for a variant that starts from this one (--from).
printf '%s\n' "${ARGS[@]}" > "$V/args"

OUT=$V/tree/build/release.x64
echo "VARIANT_DIR=$V/tree"
echo "VARIANT_LINK=$V/loader.elf.argv"
echo "VARIANT_LOADER=$OUT/loader.elf"
echo "VARIANT_KERNEL=$OUT/loader-stripped.elf"
echo "VARIANT_MANIFEST=$OUT/usr.manifest"
echo "VARIANT_USR_IMG=$OUT/usr.img"
