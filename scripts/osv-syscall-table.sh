#!/usr/bin/env bash
# Prints OSv's system call table for one architecture as `NUMBER NAME` lines (NAME as
# syscalls/syscalls.cc.in spells it, the spelling `conf_syscalls_list_file=` takes), from an
# OSv tree or OSv's source tarball, through the C preprocessor: the entries of
# syscalls/syscalls.cc.in (every CONF_ option on), numbered by linux.cc's `__NR_` aliases and
# the tree's include/api/ARCH/bits/syscall.h, as linux.cc's SYSCALLn macros number them.
#   scripts/osv-syscall-table.sh x64|aarch64 OSV_TREE|osv.tar.xz [--rust NAME]
set -euo pipefail
arch=${1:?usage: osv-syscall-table.sh x64|aarch64 OSV_TREE|osv.tar.xz [--rust NAME]}
src=${2:?usage: osv-syscall-table.sh x64|aarch64 OSV_TREE|osv.tar.xz [--rust NAME]}
case "$arch" in
  x64) archdef=__x86_64__ ;;
  aarch64) archdef=__aarch64__ ;;
  *) echo "osv-syscall-table.sh: unknown architecture $arch (x64, aarch64)" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -d "$src" ]; then
  tree=$src
else
  tar -xJf "$src" -C "$tmp" osv/syscalls/syscalls.cc.in osv/linux.cc \
    "osv/include/api/$arch/bits/syscall.h" || { echo "osv-syscall-table.sh: cannot read $src" >&2; exit 2; }
  tree=$tmp/osv
fi
for f in syscalls/syscalls.cc.in linux.cc "include/api/$arch/bits/syscall.h"; do
  [ -f "$tree/$f" ] || { echo "osv-syscall-table.sh: $tree/$f missing" >&2; exit 2; }
done
{
  printf '#define %s 1\n#define CONF_core_epoll 1\n#define CONF_networking_stack 1\n' "$archdef"
  cat "$tree/include/api/$arch/bits/syscall.h"
  grep '^#define __NR_' "$tree/linux.cc"
  for n in 0 1 2 3 4 5 6; do printf '#define SYSCALL%s(fn, ...) TAILOR fn __NR_##fn\n' "$n"; done
  cat "$tree/syscalls/syscalls.cc.in"
} > "$tmp/table.c"
table=$(cpp -P -undef "$tmp/table.c" | sed -n 's/^ *TAILOR \([a-z0-9_]*\) (*\([0-9][0-9]*\))*;$/\2 \1/p' \
  | sort -n -k1,1 -k2,2)
if [ "${3:-}" = "--rust" ]; then
  echo "pub(crate) static ${4:?--rust NAME}: &[(u32, &str)] = &["
  echo "$table" | awk '{ printf("    (%s, \"%s\"),\n", $1, $2) }'
  echo "];"
else
  echo "$table"
fi
