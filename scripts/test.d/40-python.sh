#!/usr/bin/env bash
# torclass-py: build the extension into .venv (made by scripts/setup.sh) with
# `maturin develop --release`, then run its pytest suite: the real captures (the Rust accuracy
# expectations), the rows of the CLI (built here, debug), Arrow tables, sources, bad inputs,
# threads, memory, the stubs (mypy.stubtest, mypy --strict on the examples), the notebooks
# (nbclient) and the Dask (LocalCluster, process workers) and PySpark (local[2]) runs, each
# bounded by a timeout.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "40-python: no .venv; run scripts/setup.sh first" >&2; exit 1; }
export VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH"
start=$SECONDS
cargo build --quiet -p torclass-cli
export TORCLASS_CLI="$PWD/target/debug/torclass"
(cd torclass-py && maturin develop --release --quiet)
# The wheel, from the same build (seconds): checked by tests/test_wheel.py.
export TORCLASS_WHEELS="$PWD/target/wheels-test"
rm -rf "$TORCLASS_WHEELS"
(cd torclass-py && maturin build --release --quiet --out "$TORCLASS_WHEELS")
echo "40-python: extension, wheel and CLI built in $((SECONDS - start)) s"
cd torclass-py
python -m pytest -q -p no:cacheprovider --durations=5 tests
