#!/usr/bin/env bash
# Fuzz smoke: build every cargo-fuzz target of fuzz/ and run each for FUZZ_SECONDS (default 20)
# from seeds made from the real captures plus the committed regression inputs, two targets at
# a time. A crash fails the test and leaves its input in $work/artifacts/TARGET/.
# Needs the nightly toolchain (rustup); installs cargo-fuzz if missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${FUZZ_SECONDS:-20}"
jobs="${FUZZ_JOBS:-2}"

if ! cargo +nightly --version >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "60-fuzz: FAIL: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
    exit 1
  fi
  echo "60-fuzz: SKIPPED: no nightly toolchain (rustup toolchain install nightly)" >&2
  exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "60-fuzz: installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/torclass-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Seeds from the real captures (debug build: the workspace is built already).
cargo run --quiet -p torclass-benches --bin fuzz-seeds -- "$work/corpus"

cd fuzz
cargo +nightly fuzz build -O -a
targets=$(cargo +nightly fuzz list)
export work seconds
smoke() {
  local t="$1"
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  local extra=()
  [ -d "regressions/$t" ] && extra+=("regressions/$t")
  if cargo +nightly fuzz run -O -a "$t" "$work/corpus/$t" "${extra[@]}" -- \
      -dict=bittorrent.dict -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" > "$work/$t.log" 2>&1; then
    echo "60-fuzz: $t: $(awk '/stat::number_of_executed_units/ {print $2}' "$work/$t.log") runs, ok"
  else
    echo "60-fuzz: $t: FAILED" >&2
    grep -A30 -E "panicked|ERROR: libFuzzer" "$work/$t.log" | head -60 >&2
    ls "$work/artifacts/$t" >&2
    return 1
  fi
}
export -f smoke
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'smoke {}'
echo "60-fuzz: all targets ran ${seconds}s without a crash"
