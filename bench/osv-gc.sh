#!/usr/bin/env bash
# Compares `tailor gc`'s removed sections with what GNU ld removes (--print-gc-sections) on the
# real link of OSv's loader.elf (scripts/osv-build.sh). Prints the counts each side, the
# sections both remove, and those only one side removes, by section kind (`.text`, `.rodata`,
# ...), with a few examples. Group signatures (`[sig]`) are dropped from names on both sides.
#   bench/osv-gc.sh [TAILOR-GC-OPTIONS...]      (e.g. --version-script FILE: the tailored link,
#                                                that script in ld's command too)
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib/osv.sh"
"$TAILOR" gc "$@" --format json -- "${argv[@]}" > "$TMP/tailor.json"
# The same link, into a scratch file, with ld's own report (and the version script given to
# tailor gc, when one is: the tailored link).
script=""
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = --version-script ]; then j=$((i + 1)); script=$(realpath "${!j}"); fi
done
cmd=()
for ((i = 0; i < ${#argv[@]}; i++)); do
  if [ "${argv[i]}" = -o ]; then cmd+=(-o "$TMP/loader.elf"); i=$((i + 1))
  elif [ -n "$script" ] && [[ ${argv[i]} == --version-script=* ]]; then cmd+=("--version-script=$script")
  else cmd+=("${argv[i]}"); fi
done
"${cmd[@]}" --print-gc-sections 2> "$TMP/ld.txt" || { cat "$TMP/ld.txt" >&2; exit 2; }
python3 - "$TMP/tailor.json" "$TMP/ld.txt" <<'EOF'
import collections, json, re, sys
def norm(s): return re.sub(r'\[[^\]]*\]$', '', s)
t = json.load(open(sys.argv[1]))
T = collections.Counter((r['file'], norm(r['section'])) for r in t['removed'])
L = collections.Counter()
for line in open(sys.argv[2]):
    m = re.match(r".*: removing unused section '(.*)' in file '(.*)'$", line.strip())
    if m: L[(m.group(2), norm(m.group(1)))] += 1
def kinds(c):
    k = collections.Counter()
    for (f, s), n in c.items():
        k['.debug*' if s.startswith('.debug') else '.' + s.split('.')[1] if s.startswith('.') else s] += n
    return ', '.join(f'{n} {s}' for s, n in k.most_common(12))
both, only_t, only_l = T & L, T - L, L - T
print(f"tailor removes {sum(T.values())}, ld removes {sum(L.values())}; both {sum(both.values())}")
print(f"only tailor: {sum(only_t.values())} ({kinds(only_t)})")
for (f, s), _ in list(only_t.items())[:5]: print(f"    {s} in {f}")
print(f"only ld: {sum(only_l.values())} ({kinds(only_l)})")
for (f, s), _ in list(only_l.items())[:5]: print(f"    {s} in {f}")
EOF
