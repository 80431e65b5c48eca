#!/usr/bin/env bash
# Soak: at least 10 million packets and a million concurrent flows through a fixed-capacity
# flow table, via the CLI and via the C API, with resident memory sampled every second. Not
# part of scripts/test.sh (about five minutes on 2 cores).
#
#   scripts/soak.sh [PACKETS] [SLOTS...]     (defaults: 10400000; 262144 and 2097152 slots)
#   SOAK_ONLY=cli|ffi scripts/soak.sh ...    (one of the two; default both)
#
# The traffic is the real captures of tests/captures, each flow cut to its first 10 packets
# and replicated ~30,000 times with rewritten addresses (benches `mixcap`), all copies
# interleaved so that every flow is open at once; it is streamed through a pipe, never stored.
# For each table size it checks: no crash; every flow the table created comes out as exactly
# one record (flows in the summary = flows created; flows created = distinct flows + flows
# re-created after their eviction); resident memory flat after the table is allocated.
#
# The C soak is torclass-ffi/bench/soak.c, built against the library installed by
# torclass-ffi/install.sh (under $SOAK_DIR/prefix) with pkg-config, like the C tests: it reads
# the same pcap stream on its standard input and classifies it with torclass_table_process in
# a table of SLOTS slots in memory it allocates, reports every flow once (evicted, expired by
# torclass_table_expire, or left at the end), checks its count against
# torclass_table_get_stats, and prints the `--summary --format jsonl` JSON on stdout and the
# table's `TableStats { flows: .., evicted_active: .., evicted_idle: .. }` on stderr; it is
# soaked and checked the same way. SOAK_FFI_BIN replaces it with another program taking the
# slot count as its argument.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
packets="${1:-10400000}"
shift || true
slots=("$@")
[ "${#slots[@]}" -gt 0 ] || slots=(262144 2097152)
target="${CARGO_TARGET_DIR:-$root/target}"
dir="${SOAK_DIR:-$target/soak}"
mkdir -p "$dir"
only="${SOAK_ONLY:-}"
cargo build --quiet --release -p torclass-cli -p torclass-benches
bin="$target/release"
ffi_bin="${SOAK_FFI_BIN:-}"
if [ "$only" != cli ] && [ -z "$ffi_bin" ]; then
  torclass-ffi/install.sh "$dir/prefix" >/dev/null
  ffi_bin="$dir/soak-ffi"
  # shellcheck disable=SC2046
  gcc -std=c11 -Wall -Wextra -Werror -Wpedantic -O2 -o "$ffi_bin" torclass-ffi/bench/soak.c \
    $(PKG_CONFIG_PATH="$dir/prefix/lib/pkgconfig" pkg-config --cflags --libs torclass) \
    -Wl,-rpath,"$dir/prefix/lib"
fi
prefix=10
gen() { "$bin/mixcap" - "$packets" "$prefix" 2>/dev/null; }

distinct=$(gen | "$bin/bare-walk" /dev/stdin)
echo "soak: traffic: $distinct"
frames=$(awk '{print $2}' <<<"$distinct")
flows=$(awk '{print $6}' <<<"$distinct")

# Run "$@" reading the generated pcap on stdin; sample its RSS every second into $1.csv, with
# whether the generator was still writing (reading = 1) or had finished (the classifier is then
# at its last packets or writing its output).
soak_one() {
  local name="$1"; shift
  local csv="$dir/rss-$name.csv" out="$dir/out-$name.json" err="$dir/err-$name.txt"
  local done="$dir/generated-$name"
  echo "seconds,rss_kib,reading" > "$csv"
  rm -f "$done"
  local start=$SECONDS
  { gen; touch "$done"; } | "$@" > "$out" 2> "$err" &
  local pid=$!
  # The classifier is the last process of the pipeline.
  sleep 0.2
  local cpid
  cpid=$(pgrep -P "$pid" | tail -1 || true)
  [ -n "$cpid" ] || cpid=$pid
  while kill -0 "$pid" 2>/dev/null; do
    local rss
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$cpid/status" 2>/dev/null || true)
    local reading=1
    [ -e "$done" ] && reading=0
    [ -n "$rss" ] && echo "$((SECONDS - start)),$rss,$reading" >> "$csv"
    sleep 1
  done
  wait "$pid" || { echo "soak: $name: FAILED (exit status $?)"; cat "$err"; return 1; }
  python3 - "$name" "$csv" "$out" "$err" "$frames" "$flows" <<'PY'
import json, re, sys
name, csv, out, err, frames, flows = sys.argv[1:7]
frames, flows = int(frames), int(flows)
rows = [tuple(map(int, l.split(","))) for l in open(csv).read().split()[1:]]
rss = [r for _, r, _ in rows]
doc = json.load(open(out))
summary = doc["summary"]
stats = open(err).read()
created = int(re.search(r"TableStats \{ flows: (\d+)", stats).group(1))
evicted_active = int(re.search(r"evicted_active: (\d+)", stats).group(1))
evicted_idle = int(re.search(r"evicted_idle: (\d+)", stats).group(1))
ok = True
def check(cond, what):
    global ok
    print(f"soak: {name}: {'ok  ' if cond else 'FAIL'} {what}")
    ok &= cond
check(summary["packets"] == frames, f"packets classified {summary['packets']} = packets sent {frames}")
check(summary["flows"] == created, f"records {summary['flows']} = flows created {created}")
check(created >= flows, f"flows created {created} >= distinct flows {flows} "
      f"(re-created after eviction: {created - flows}; evicted active {evicted_active}, idle {evicted_idle})")
# While packets flow: from the first fifth (table allocated and touched) to the last sample
# taken while the generator was still writing. After it, the CLI builds the records of the
# flows still in the table at once (one record per slot in use: bounded by the table size, not
# by the capture's length).
reading = [r for _, r, on in rows if on]
steady = reading[len(reading) // 5:] or rss[len(rss) // 5:-1] or rss
if steady:
    growth = (max(steady) - min(steady)) / 1024
    check(growth < 32, f"resident memory flat while reading: {min(steady)/1024:.0f}..{max(steady)/1024:.0f} MiB "
          f"(growth {growth:.1f} MiB); peak {max(rss)/1024:.0f} MiB with the final records; {len(rss)} samples, "
          f"{len(reading)} while reading")
else:
    print(f"soak: {name}: no RSS sample (the run took less than a second)")
print(f"soak: {name}: RSS MiB by second (* after the last packet was generated): "
      + " ".join(f"{r/1024:.0f}{'' if on else '*'}" for _, r, on in rows))
if "ffi" in doc:
    f = doc["ffi"]
    if f["slots"] >= 1_000_000:
        check(f["max_flows_in_table"] >= 1_000_000,
              f"C API: {f['max_flows_in_table']} flows in the table at once (>= 1 M)")
    # The C program's own samples, from right after torclass_table_init to its exit.
    growth = (f["rss_kib"]["max"] - f["rss_kib"]["start"]) / 1024
    check(growth < 32, f"C API: resident memory after the table init {f['rss_kib']['start']/1024:.0f} MiB, "
          f"peak {f['rss_kib']['max']/1024:.0f} MiB (growth {growth:.1f} MiB)")
    print(f"soak: {name}: C API: {f['frames']} frames, {f['classified']} classified in "
          f"{f['seconds']:.1f} s ({f['packets_per_s']:.0f}/s); {f['flows_created']} flows created, "
          f"at most {f['max_flows_in_table']} in the table at once; {f['evicted']} evicted, "
          f"{f['expired']} expired, {f['in_table_at_end']} left at the end; table "
          f"{f['table_bytes'] / 2**20:.0f} MiB, RSS {f['rss_kib']['start'] / 1024:.0f} MiB after "
          f"init, {f['rss_kib']['max'] / 1024:.0f} MiB peak")
sys.exit(0 if ok else 1)
PY
}

status=0
for n in "${slots[@]}"; do
  if [ "$only" != ffi ]; then
    soak_one "cli-$n-slots" "$bin/torclass" classify --summary --format jsonl --verbose --no-progress --max-flows "$n" /dev/stdin || status=1
  fi
  if [ "$only" != cli ]; then
    soak_one "ffi-$n-slots" "$ffi_bin" "$n" || status=1
  fi
done
exit "$status"
