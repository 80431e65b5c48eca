#!/usr/bin/env bash
# torclass-core as a crates.io dependency: it builds for a real no_std target with
# `default-features = false` (thumbv7em-none-eabihf, installed with
# `rustup target add thumbv7em-none-eabihf`; skipped loudly without it outside CI, a failure in
# CI), the workspace's docs build without a warning, and `cargo publish --dry-run` packages and
# builds the crate as crates.io would.
set -euo pipefail
cd "$(dirname "$0")/../.."

target=thumbv7em-none-eabihf
echo "--- torclass-core for $target (no_std)"
if rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  cargo build -p torclass-core --no-default-features --target "$target"
  cargo build -p torclass-core --no-default-features --features serde --target "$target"
elif [ "${CI:-}" = true ]; then
  echo "the $target target is not installed (rustup target add $target)" >&2
  exit 1
else
  echo "!!! SKIPPED: the $target target is not installed (rustup target add $target)" >&2
fi

echo "--- docs without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

echo "--- cargo publish --dry-run -p torclass-core"
cargo publish --dry-run -p torclass-core --allow-dirty
