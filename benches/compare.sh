#!/usr/bin/env bash
# Side by side on two large captures, the mix of the real captures and a synthetic uplink-like
# capture (mostly not BitTorrent): torclass classify --summary (1 and 2 threads, and
# with a table sized for the capture: 16384 slots instead of the default 262144),
# ndpiReader (nDPI, Debian libndpi-bin) and the bare walk (read + decode + flow lookup, no
# classification: the floor). Medians of RUNS runs (hyperfine), packets/s, ratios, peak RSS.
#
#   benches/compare.sh [PACKETS] [RUNS]        (defaults: 1000000 packets, 7 runs)
#
# The mix is built by `mixcap` from tests/captures, the uplink-like capture by `uplinkcap`
# (fixed seed; see BENCHMARKS.md), both into $BENCH_DIR (default target/bench-compare);
# results go to $BENCH_DIR/compare.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
packets="${1:-1000000}"
runs="${2:-7}"
target="${CARGO_TARGET_DIR:-$root/target}"
dir="${BENCH_DIR:-$target/bench-compare}"
mkdir -p "$dir"
for tool in hyperfine ndpiReader /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done

cargo build --quiet --release -p torclass-cli -p torclass-benches
bin="$target/release"
mix="$dir/mix-$packets.pcap"
uplink="$dir/uplink-$packets.pcap"
[ -s "$mix" ] || "$bin/mixcap" "$mix" "$packets"
[ -s "$uplink" ] || "$bin/uplinkcap" "$uplink" "$packets"

peak() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
: > "$dir/compare.md"
for capture in "$mix" "$uplink"; do
  name=$(basename "$capture" .pcap)
  frames=$("$bin/bare-walk" "$capture" | awk '{print $2}')
  echo "compare.sh: $capture: $frames frames, $(du -h "$capture" | cut -f1)"
  # Drop the file from the page cache, then read it back once, so that every tool reads from
  # memory and the cache holds the file in large folios: a cache refilled piecemeal over hours
  # made both mapping and read(2) copies several times slower (BENCHMARKS.md).
  dd if="$capture" iflag=nocache count=0 status=none
  cat "$capture" > /dev/null

  hyperfine --warmup 1 --runs "$runs" --export-json "$dir/hyperfine-$name.json" --style basic \
    -n bare-walk "$bin/bare-walk $capture" \
    -n torclass "$bin/torclass classify --summary --no-progress $capture" \
    -n torclass-2-threads "$bin/torclass classify --summary --no-progress --threads 2 $capture" \
    -n torclass-16k-slots "$bin/torclass classify --summary --no-progress --max-flows 16384 $capture" \
    -n ndpiReader "ndpiReader -q -i $capture"

  {
    echo "bare-walk $(peak "$bin/bare-walk" "$capture")"
    echo "torclass $(peak "$bin/torclass" classify --summary --no-progress "$capture")"
    echo "torclass-2-threads $(peak "$bin/torclass" classify --summary --no-progress --threads 2 "$capture")"
    echo "torclass-16k-slots $(peak "$bin/torclass" classify --summary --no-progress --max-flows 16384 "$capture")"
    echo "ndpiReader $(peak ndpiReader -q -i "$capture")"
  } > "$dir/peak-rss-$name.txt"

  python3 - "$dir" "$name" "$frames" "$runs" <<'PY' | tee -a "$dir/compare.md"
import json, sys
d, name, frames, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
res = {r["command"]: r for r in json.load(open(f"{d}/hyperfine-{name}.json"))["results"]}
rss = dict(l.split() for l in open(f"{d}/peak-rss-{name}.txt") if len(l.split()) == 2)
t1 = res["torclass"]["median"]
print(f"### {name}: {frames} frames; median of {runs} runs\n")
print("| tool | median s | min s | CPU s (user+sys) | Mpackets/s | ns/packet | vs torclass | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for tool in ["bare-walk", "torclass", "torclass-2-threads", "torclass-16k-slots", "ndpiReader"]:
    r = res[tool]
    m = r["median"]
    cpu = r["user"] + r["system"]
    print(f"| {tool} | {m:.3f} | {r['min']:.3f} | {cpu:.3f} | {frames / m / 1e6:.2f} | {m / frames * 1e9:.0f} "
          f"| {m / t1:.2f}x | {int(rss.get(tool, 0)) / 1024:.0f} |")
print()
PY
done
