#!/usr/bin/env bash
# OSv's own recipe for an app-specific kernel's version script, for comparison with tailor's:
# the tree's scripts/generate_app_version_script.sh (objdump -wT of each ELF file of a
# manifest, its undefined symbols intersected with the kernel's all.symbols), with one bug
# fixed: it cuts objdump's output at a fixed column (`cut -c 62-`), which drops the names of
# versioned imports printed one column further (`__libc_start_main`, memcpy, pthread_*);
# `awk '{print $NF}'` takes the last field instead.
#   scripts/osv-recipe.sh OSV_DIR MANIFEST OUT
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: osv-recipe.sh OSV_DIR MANIFEST OUT" >&2; exit 2; }
TREE=$(realpath "$1") MANIFEST=$(realpath "$2")
OUT=$(realpath -m "$3")
SCRIPT=$TREE/scripts/generate_app_version_script.sh
[ -f "$SCRIPT" ] || { echo "osv-recipe: no $SCRIPT" >&2; exit 2; }
# The script finds build/last relative to itself: the fixed copy stands beside it.
FIXED=$TREE/scripts/.tailor-generate_app_version_script.sh
trap 'rm -f "$FIXED"' EXIT
sed -e 's/cut -c 62- |/awk "{print \\$NF}" |/' \
    -e "s#^VERSION_SCRIPT_FILE=.*#VERSION_SCRIPT_FILE=$OUT#" "$SCRIPT" > "$FIXED"
grep -q 'awk "{print \\$NF}"' "$FIXED" || { echo "osv-recipe: the column cut was not found in $SCRIPT" >&2; exit 2; }
(cd "$TREE" && bash "$FIXED" "$MANIFEST") >&2
