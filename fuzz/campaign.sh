#!/usr/bin/env bash
# A longer fuzz campaign: every target for MINUTES minutes, JOBS targets at a time, from the
# seed corpora (fuzz/seed.sh) with the BitTorrent dictionary. Logs and crashes go to
# fuzz/artifacts/TARGET/ (log-N.txt for the Nth run); each log ends with the fuzzer's own
# statistics and the CPU seconds the run used ("cpu_seconds user sys"), so a campaign run
# beside other work (NICE=19, the default) is still counted in CPU hours.
# Usage: fuzz/campaign.sh [MINUTES] [JOBS] [TARGET...]; fuzz/campaign.sh --hours sums the logs.
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--hours" ]; then
  cat artifacts/*/log-*.txt 2>/dev/null | awk '
    /^cpu_seconds/ { cpu += $2 + $3 }
    /stat::number_of_executed_units/ { execs += $2 }
    END { printf "%.2f CPU hours, %d executions\n", cpu / 3600, execs }'
  exit 0
fi
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
  /usr/bin/time -f "cpu_seconds %U %S" -a -o "artifacts/$t/log-$n.txt" \
    nice -n "${NICE:-19}" cargo +nightly fuzz run -O -a "$t" "corpus/$t" -- -dict=bittorrent.dict \
    -max_total_time=$((minutes * 60)) -print_final_stats=1 -rss_limit_mb=2048 \
    -artifact_prefix="artifacts/$t/" > "artifacts/$t/log-$n.txt" 2>&1 \
    && echo "$t: ok" || echo "$t: FAILED (see fuzz/artifacts/$t/)"
}
export -f run
export minutes
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run {}'
