#!/usr/bin/env bash
# Prints Linux's system call table of one architecture as `NUMBER NAME` lines, sorted by number,
# from the installed kernel headers (linux-libc-dev; linux-libc-dev-arm64-cross for AArch64),
# through the C preprocessor so that aliases (`__NR_newfstatat __NR3264_fstatat`) resolve:
#   scripts/syscall-tables.sh x86_64|aarch64
# `--rust NAME` prints it as the Rust table compiled into tailor instead
# (crates/tailor-core/src/analysis/syscalls/linux_tables.rs is two such tables; the
# syscalls test checks them against this script's output).
set -euo pipefail
arch=${1:?usage: syscall-tables.sh x86_64|aarch64 [--rust NAME]}
case "$arch" in
  x86_64) header=/usr/include/x86_64-linux-gnu/asm/unistd_64.h; inc=(); pkg=linux-libc-dev ;;
  aarch64) header=/usr/aarch64-linux-gnu/include/asm/unistd.h
           inc=(-nostdinc -I/usr/aarch64-linux-gnu/include -D__aarch64__ -D__LP64__)
           pkg=linux-libc-dev-arm64-cross ;;
  *) echo "syscall-tables.sh: unknown architecture $arch (x86_64, aarch64)" >&2; exit 2 ;;
esac
[ -f "$header" ] || { echo "syscall-tables.sh: $header missing: install $pkg" >&2; exit 2; }
command -v cpp >/dev/null || { echo "syscall-tables.sh: cpp missing: install cpp" >&2; exit 2; }
names=$(printf '#include "%s"\n' "$header" | cpp -dM "${inc[@]}" - \
  | sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' | sort -u \
  | grep -v -x -e syscalls -e arch_specific_syscall)  # markers, not system calls
# Each name's value, expanded by the preprocessor; kept when it is a plain number.
table=$( { printf '#include "%s"\n' "$header"; for n in $names; do printf 'TAILOR %s __NR_%s\n' "$n" "$n"; done; } \
  | cpp -P "${inc[@]}" - | sed -n 's/^TAILOR \([a-z0-9_]*\) (*\([0-9][0-9]*\))*$/\2 \1/p' | sort -n -k1,1 -k2,2)
if [ "${2:-}" = "--rust" ]; then
  echo "pub(crate) static ${3:?--rust NAME}: &[(u32, &str)] = &["
  echo "$table" | awk '{ printf("    (%s, \"%s\"),\n", $1, $2) }'
  echo "];"
else
  echo "$table"
fi
