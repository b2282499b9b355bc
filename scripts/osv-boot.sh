#!/usr/bin/env bash
# Boots an OSv kernel in QEMU and prints its console output on stdout.
#   osv-boot.sh [-t SECONDS] KERNEL IMAGE CMDLINE
# KERNEL  an OSv kernel ELF (loader-stripped.elf, or loader.elf / a tailored one: it is
#         stripped into a temporary file first when it carries symbols or debug info);
#         booted directly (`-kernel`, PVH), with `-append "--rootfs=rofs CMDLINE"`.
# IMAGE   the usr.img of scripts/osv-build.sh (qcow2), as a virtio-blk disk opened with
#         snapshot=on (never written; several boots may share it).
# No network device (`-nic none`); a virtio-rng device (as OSv's run.py adds: without one,
# OSv's /dev/random blocks for seconds until its software pool is seeded — sqlite3 reads it). KVM when /dev/kvm works (TAILOR_QEMU_ACCEL=kvm|tcg
# overrides), else TCG; a KVM boot that stops with "KVM internal error" is booted again under
# TCG. QEMU is killed after SECONDS (default 120; exit status 124).
# The exit status is QEMU's (0 when OSv powered off after the program ran). The accelerator
# and the wall time of the boot go to stderr (`osv-boot: tcg 1.62 s`).
#   osv-boot.sh --accel [KERNEL IMAGE]  prints the accelerator boots would use (kvm or tcg;
# given a kernel, kvm only if KVM runs it: it boots it with --help) and exits: a
# caller booting many times asks once and sets TAILOR_QEMU_ACCEL (the KVM probe's aborted QEMU
# has been seen to get its messages onto the console output of the boot right after it).
set -euo pipefail
TIMEOUT=120
PROBE_ONLY=0
if [ "${1:-}" = --accel ]; then
  PROBE_ONLY=1
  if [ $# -eq 3 ]; then set -- "$2" "$3" "--help"; else set -- /dev/null /dev/null ""; fi
fi
if [ "${1:-}" = -t ]; then TIMEOUT=$2; shift 2; fi
if [ $# -ne 3 ]; then
  echo "usage: osv-boot.sh [-t SECONDS] KERNEL IMAGE CMDLINE | osv-boot.sh --accel" >&2; exit 2
fi
KERNEL=$1 IMAGE=$2 CMDLINE=$3
if [ "$KERNEL" != /dev/null ]; then
  for f in "$KERNEL" "$IMAGE"; do
    [ -f "$f" ] || { echo "osv-boot: no such file: $f" >&2; exit 2; }
  done
fi
QEMU=$(command -v qemu-system-x86_64 || true)
[ -n "$QEMU" ] || { echo "osv-boot: qemu-system-x86_64 is not installed (run scripts/setup.sh --osv)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# QEMU's ELF loader takes the PVH entry note; the kernel is stripped as OSv's build strips
# loader.elf into loader-stripped.elf (debug info makes it 20 times larger).
if [ "$KERNEL" != /dev/null ] && readelf -SW "$KERNEL" | grep -qE ' \.(symtab|debug_info) '; then
  strip -o "$TMP/kernel.elf" "$KERNEL"
  KERNEL=$TMP/kernel.elf
fi

KVM_CPU=(-cpu host,+x2apic)   # as OSv's run.py runs it on KVM
kvm_works() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  # Opening the device is not enough: QEMU must set up a VM with this CPU (a nested KVM
  # without some MSR aborts QEMU here). -S: no guest code runs.
  # In its own session, its messages in a file: a QEMU aborting here otherwise gets its
  # messages onto the console output of the boot that follows.
  echo quit > "$TMP/probe.in"
  setsid -w timeout 20 "$QEMU" -accel kvm "${KVM_CPU[@]}" -machine pc -nodefaults -S \
    -display none -monitor stdio -nic none <"$TMP/probe.in" >"$TMP/probe.log" 2>&1
}
ACCEL=${TAILOR_QEMU_ACCEL:-}
if [ -z "$ACCEL" ]; then
  if kvm_works; then ACCEL=kvm; else ACCEL=tcg; fi
fi

# One boot under ACCEL; its console in $TMP/console, QEMU's own messages in $TMP/qemu.log.
# A KVM that cannot run the guest (a nested KVM without unrestricted-guest support stops at
# OSv's first SSE instruction with "KVM internal error. Suberror: 1 ... emulation failure", and
# QEMU then waits, paused, until it is killed) is told from the boot's first messages: that
# boot is stopped at once (status 125) and the caller boots again under TCG.
boot() {  # ACCEL
  local accel=$1 cpu=() pid
  if [ "$accel" = kvm ]; then cpu=("${KVM_CPU[@]}"); fi
  : > "$TMP/console"; : > "$TMP/qemu.log"
  timeout --kill-after=5 "$TIMEOUT" "$QEMU" -accel "$accel" "${cpu[@]}" -m 1G -smp 2 \
    -nodefaults -display none -serial stdio -monitor none -nic none \
    -kernel "$KERNEL" -append "--rootfs=rofs $CMDLINE" \
    -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0 \
    -device virtio-blk-pci,id=blk0,drive=hd0 \
    -drive "file=$IMAGE,if=none,id=hd0,format=qcow2,snapshot=on,cache=unsafe" \
    -no-reboot </dev/null >"$TMP/console" 2>"$TMP/qemu.log" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$accel" = kvm ] && grep -q "KVM internal error" "$TMP/qemu.log"; then
      kill -- "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 125
    fi
    sleep 0.1
  done
  wait "$pid"
}

if [ "$PROBE_ONLY" = 1 ]; then
  # With a kernel: KVM only if it runs that kernel's first instructions (OSv's --help).
  if [ "$ACCEL" = kvm ] && [ "$KERNEL" != /dev/null ] && [ -z "${TAILOR_QEMU_ACCEL:-}" ]; then
    TIMEOUT=20
    set +e; boot kvm; [ $? = 125 ] && ACCEL=tcg; set -e
  fi
  echo "$ACCEL"; exit 0
fi

start=$(date +%s.%N)
set +e
boot "$ACCEL"
status=$?
if [ "$status" = 125 ]; then
  echo "osv-boot: KVM cannot run this kernel ($(grep -m1 -o 'KVM internal error.*' "$TMP/qemu.log"), $(grep -m1 -o 'emulation failure' "$TMP/qemu.log" || true)): booting again with TCG" >&2
  ACCEL=tcg
  start=$(date +%s.%N)
  boot tcg
  status=$?
fi
set -e
end=$(date +%s.%N)
cat "$TMP/console"
cat "$TMP/qemu.log" >&2
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "osv-boot: killed after $TIMEOUT s ($ACCEL): $CMDLINE" >&2
  exit 124
fi
echo "osv-boot: $ACCEL $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s" >&2
exit "$status"
