#!/usr/bin/env bash
# Installs everything tailor's tests and demo need on a fresh Debian machine
# (only Rust assumed). Idempotent: a second run does nothing but check.
#   setup.sh          the toolchain of every test
#   setup.sh --osv    also what building and booting OSv needs (scripts/osv-build.sh runs it):
#                     OSv's build packages, and QEMU from bookworm-backports (the image's
#                     qemu-utils comes from there and breaks bookworm's qemu-system-common)
set -euo pipefail
OSV=0
case "${1:-}" in
  --osv) OSV=1 ;;
  "") ;;
  *) echo "usage: setup.sh [--osv]" >&2; exit 2 ;;
esac

PACKAGES=(
  build-essential binutils lld mold musl-tools
  gcc-multilib                      # 32-bit (i386) fixtures
  binutils-powerpc-linux-gnu        # big-endian 32-bit fixtures
  binutils-aarch64-linux-gnu        # 64-bit non-x86 fixtures (R_AARCH64_COPY)
  binutils-arm-linux-gnueabihf binutils-riscv64-linux-gnu binutils-mips-linux-gnu
                                    # real linker scripts (u-boot) linked by their own ld
  dpkg-dev                          # apt-get source
  libtool-bin                       # libtool wrapper scripts and --mode=link commands
  time bc jq                        # peak-RSS figures, ratios, JSON reports in bench scripts
  cmake                             # expat's own build (scripts/libs-build.sh)
  zlib1g-dev                        # libpng's build links zlib
  tcl                               # tclsh: sqlite's build generates its sources with it
  util-linux                        # setpriv: the libraries test runs a consumer as nobody
  strace busybox-static             # tailor syscalls: what programs really call; a static busybox
  linux-libc-dev linux-libc-dev-arm64-cross  # Linux's system call tables (x86-64, AArch64)
  qemu-user-static                  # runs (and traces) the static AArch64 fixture; no AArch64
                                    # gcc: Debian's cross compilers conflict with gcc-multilib
  chromium fonts-dejavu-core        # the HTML reports, loaded headless (DOM checks, screenshots)
  man-db groff-base                 # `man -l` and `groff -ww` render the generated man pages
  bash zsh fish bsdutils            # the completion scripts; `script` gives a test a terminal
)

# OSv's build (per its scripts/setup.py for Debian, as measured on Debian 12).
OSV_PACKAGES=(
  flex bison gawk genromfs python3 openssl unzip autoconf automake libtool
  libboost-dev libboost-system-dev libboost-filesystem-dev libboost-program-options-dev
  libboost-test-dev libboost-chrono-dev libboost-timer-dev
  libedit-dev libyaml-cpp-dev libssl-dev python3-requests python3-dpkt
)
# Booting it; installed with -t bookworm-backports.
OSV_BACKPORTS=(qemu-system-x86 qemu-system-common qemu-system-data seabios)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
# One at a time (CI's background builds and the tests run it side by side; two apt-gets at
# once fail on dpkg's lock): a second run waits, then finds everything installed.
exec 9>"${TMPDIR:-/tmp}/tailor-setup.lock"
flock 9

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
missing_bpo=()
if [ "$OSV" = 1 ]; then
  for p in "${OSV_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
  for p in "${OSV_BACKPORTS[@]}"; do installed "$p" || missing_bpo+=("$p"); done
fi

enable_deb_src() {
  # Debian 12+ deb822 sources, or the classic sources.list.
  local changed=0
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    if grep -q '^Types: deb$' "$f"; then
      $SUDO sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"; changed=1
    fi
  done
  if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list \
      && ! grep -q '^deb-src ' /etc/apt/sources.list; then
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee -a /etc/apt/sources.list >/dev/null
    changed=1
  fi
  echo $changed
}

enable_backports() {
  # A bookworm-backports entry (deb822), unless some source already names the suite.
  if grep -qs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
      /etc/apt/sources.list.d/*.sources; then
    echo 0; return
  fi
  printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' \
    'Components: main' 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
    | $SUDO tee /etc/apt/sources.list.d/tailor-backports.sources >/dev/null
  echo 1
}

src_changed=$(enable_deb_src)
if [ "${#missing_bpo[@]}" -gt 0 ] && [ "$(enable_backports)" = 1 ]; then src_changed=1; fi
if [ "${#missing[@]}" -gt 0 ] || [ "${#missing_bpo[@]}" -gt 0 ] || [ "$src_changed" = 1 ] \
    || [ ! -f /var/lib/apt/lists/lock ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "${#missing_bpo[@]}" -gt 0 ]; then
  echo "setup: installing ${missing_bpo[*]} from bookworm-backports" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports "${missing_bpo[@]}" >/dev/null
fi
if [ "$OSV" = 1 ]; then echo "setup: OSv build packages and QEMU ready" >&2; fi
echo "setup: toolchain ready (gcc, GNU ld, lld, mold, musl-gcc, cross binutils, chromium, man, shells)" >&2
