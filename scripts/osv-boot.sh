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
# overrides), else TCG. QEMU is killed after SECONDS (default 120; exit status 124).
# The exit status is QEMU's (0 when OSv powered off after the program ran). The accelerator
# and the wall time of the boot go to stderr (`osv-boot: tcg 1.62 s`).
#   osv-boot.sh --accel  prints the accelerator boots would use (kvm or tcg) and exits: a
# caller booting many times asks once and sets TAILOR_QEMU_ACCEL (the KVM probe's aborted QEMU
# has been seen to get its messages onto the console output of the boot right after it).
set -euo pipefail
TIMEOUT=120
PROBE_ONLY=0
if [ "${1:-}" = --accel ]; then PROBE_ONLY=1; set -- /dev/null /dev/null ""; fi
if [ "${1:-}" = -t ]; then TIMEOUT=$2; shift 2; fi
if [ $# -ne 3 ]; then
  echo "usage: osv-boot.sh [-t SECONDS] KERNEL IMAGE CMDLINE | osv-boot.sh --accel" >&2; exit 2
fi
KERNEL=$1 IMAGE=$2 CMDLINE=$3
if [ "$PROBE_ONLY" = 0 ]; then
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
if [ "$PROBE_ONLY" = 0 ] && readelf -SW "$KERNEL" | grep -qE ' \.(symtab|debug_info) '; then
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
if [ "$PROBE_ONLY" = 1 ]; then echo "$ACCEL"; exit 0; fi
CPU=()
if [ "$ACCEL" = kvm ]; then CPU=("${KVM_CPU[@]}"); fi

start=$(date +%s.%N)
set +e
timeout --kill-after=5 "$TIMEOUT" "$QEMU" -accel "$ACCEL" "${CPU[@]}" -m 1G -smp 2 \
  -nodefaults -display none -serial stdio -monitor none -nic none \
  -kernel "$KERNEL" -append "--rootfs=rofs $CMDLINE" \
  -object rng-random,id=rng0,filename=/dev/urandom -device virtio-rng-pci,rng=rng0 \
  -device virtio-blk-pci,id=blk0,drive=hd0 \
  -drive "file=$IMAGE,if=none,id=hd0,format=qcow2,snapshot=on,cache=unsafe" \
  -no-reboot </dev/null
status=$?
set -e
end=$(date +%s.%N)
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "osv-boot: killed after $TIMEOUT s ($ACCEL): $CMDLINE" >&2
  exit 124
fi
echo "osv-boot: $ACCEL $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s" >&2
exit "$status"
