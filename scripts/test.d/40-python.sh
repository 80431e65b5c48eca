#!/usr/bin/env bash
# torclass-py: build the extension into .venv (made by scripts/setup.sh) with
# `maturin develop --release`, then run its pytest suite: the real captures (the Rust accuracy
# expectations), bad inputs, threads, memory, the stubs (mypy.stubtest) and the example
# notebook (nbclient).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || { echo "40-python: no .venv; run scripts/setup.sh first" >&2; exit 1; }
export VIRTUAL_ENV="$PWD/.venv" PATH="$PWD/.venv/bin:$PATH"
start=$SECONDS
(cd torclass-py && maturin develop --release --quiet)
echo "40-python: extension built in $((SECONDS - start)) s"
cd torclass-py
python -m pytest -q -p no:cacheprovider tests
