#!/usr/bin/env bash
# Installs everything tailor's tests and demo need on a fresh Debian machine
# (only Rust assumed). Idempotent: a second run does nothing but check.
set -euo pipefail

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
)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

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

src_changed=$(enable_deb_src)
if [ "${#missing[@]}" -gt 0 ] || [ "$src_changed" = 1 ] || [ ! -f /var/lib/apt/lists/lock ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: toolchain ready (gcc, GNU ld, lld, mold, musl-gcc, cross binutils)" >&2
