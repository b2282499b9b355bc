# Shared by scripts/osv-build.sh and scripts/osv-variant.sh (sourced; they define log and die).

# osv_capture_link TREE PREFIX BUILD_ARGS...: loader.elf's link command as make runs it in TREE
# (`make -n V=1`; the recipe is one line, and loader.elf's prerequisites include the phony
# stage1, so a dry run always prints it), checked to reproduce TREE's loader.elf byte for byte
# (output elsewhere), written one argument a line to PREFIX.argv (argv[0] first) and as an ld
# response file to PREFIX.rsp.
osv_capture_link() {
  local tree=$1 prefix=$2 line a i
  shift 2
  local make_args=() check=()
  for a in "$@"; do case $a in image=* | -j*) ;; *) make_args+=("$a") ;; esac; done
  line=$(cd "$tree" && make -n V=1 "${make_args[@]}" build/release.x64/loader.elf 2>/dev/null \
    | grep -E '(^| )-o build/release.x64/loader.elf( |$)' | tail -n 1 || true)
  [ -n "$line" ] || die "could not find loader.elf's link command in make -n V=1 output ($tree)"
  # The shell's word splitting and quoting, as make's shell would apply them.
  local argv=()
  eval "argv=($line)"
  for ((i = 0; i < ${#argv[@]}; i++)); do
    if [ "${argv[i]}" = -o ]; then check+=(-o "$prefix.check"); i=$((i + 1))
    else check+=("${argv[i]}"); fi
  done
  (cd "$tree" && "${check[@]}") >&2 || die "re-running loader.elf's link command failed ($tree)"
  cmp -s "$prefix.check" "$tree/build/release.x64/loader.elf" \
    || die "re-running loader.elf's link command did not reproduce $tree/build/release.x64/loader.elf"
  rm -f "$prefix.check"
  printf '%s\n' "${argv[@]:1}" > "$prefix.rsp"
  printf '%s\n' "${argv[@]}" > "$prefix.argv"
}
