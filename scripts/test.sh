#!/usr/bin/env bash
# The test command of the README: installs what the tests need, then runs every test. A full
# run (no arguments) first starts building the end-to-end products in the background
# (scripts/e2e-all.sh; its log: target/e2e/all.log), beside cargo's build of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --osv
pgid=""
if [ $# -eq 0 ]; then pgid=$(bash scripts/e2e-all.sh --background); fi
trap '[ -z "$pgid" ] || kill -- "-$pgid" 2>/dev/null || true' EXIT
cargo test --release --workspace "$@"
