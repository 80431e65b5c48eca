#!/usr/bin/env bash
# The one command that runs every test. It installs what the tests need first (scripts/setup.sh).
# Parts that need more than cargo live in scripts/test.d/*.sh and run in name order.
# Tests that need root, network namespaces or real clients skip with a loud reason outside CI
# and fail in CI (CI=true).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n==== %s\n' "$*"; }

step "setup"
bash scripts/setup.sh

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p torclass-core --no-default-features --all-targets -- -D warnings

step "cargo test"
cargo test --workspace
cargo test -p torclass-core --no-default-features

for part in scripts/test.d/*.sh; do
  [ -e "$part" ] || continue
  step "$(basename "$part" .sh)"
  bash "$part"
done

step "all tests passed"
