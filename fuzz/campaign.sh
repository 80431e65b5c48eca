#!/usr/bin/env bash
# A longer fuzz campaign: every target for MINUTES minutes, JOBS targets at a time, from the
# seed corpora (fuzz/seed.sh) with the BitTorrent dictionary. Logs and crashes go to
# fuzz/artifacts/TARGET/ (log-N.txt for the Nth run). Usage: fuzz/campaign.sh [MINUTES] [JOBS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
minutes="${1:-5}"
jobs="${2:-2}"
shift 2 || shift $#
[ -d corpus ] || ./seed.sh
cargo +nightly fuzz build -O -a
targets="${*:-$(cargo +nightly fuzz list)}"
run() {
  local t="$1"
  mkdir -p "corpus/$t" "artifacts/$t"
  local n=1
  while [ -e "artifacts/$t/log-$n.txt" ]; do n=$((n + 1)); done
  cargo +nightly fuzz run -O -a "$t" "corpus/$t" -- -dict=bittorrent.dict \
    -max_total_time=$((minutes * 60)) -print_final_stats=1 -rss_limit_mb=2048 \
    -artifact_prefix="artifacts/$t/" > "artifacts/$t/log-$n.txt" 2>&1 \
    && echo "$t: ok" || echo "$t: FAILED (see fuzz/artifacts/$t/)"
}
export -f run
export minutes
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run {}'
