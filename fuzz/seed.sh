#!/usr/bin/env bash
# Write seed corpora for every fuzz target from the real captures (tests/captures) into
# fuzz/corpus/TARGET/ (not committed). Usage: fuzz/seed.sh [DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/fuzz/corpus}"
cd "$root"
cargo run --quiet --release -p torclass-benches --bin fuzz-seeds -- "$out"
