# Sourced by the OSv benches: builds tailor, builds (or finds cached) OSv, and leaves TAILOR,
# the OSv build's variables (OSV_DIR, OSV_LINK, ...), a temporary TMP, the link command in
# argv, and the working directory in OSv's tree.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HERE/target}
cargo build --release -q -p tailor --manifest-path "$HERE/Cargo.toml"
TAILOR=$CARGO_TARGET_DIR/release/tailor
while IFS='=' read -r k v; do declare "$k=$v"; done < <(bash "$HERE/scripts/osv-build.sh")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mapfile -t argv < "$OSV_LINK"
cd "$OSV_DIR"
