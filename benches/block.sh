#!/usr/bin/env bash
# Measure `torclass block` through a router namespace (BENCHMARKS.md, "The NFQUEUE blocker").
# Not a test: it prints numbers. Root; everything runs in namespaces it creates and deletes.
#
#   CLI 10.96.1.2 --- 10.96.1.1 RTR 10.96.2.1 --- 10.96.2.2 SRV     (iptables-legacy ruleset)
#
#   1. iperf3 TCP throughput CLI -> SRV, SECONDS each, ROUNDS rounds: no rules; conntrack only
#      (a stateful rule, as on any NATing server); `torclass block` with the
#      printed ruleset (fast path: the first 32 packets of a connection queued, then its mark);
#      every packet queued (fast path off: only the mark rules, then the queue).
#   2. New tuples per second one queue takes: tcpreplay sends TCP SYNs, each from a new
#      source port, at full speed for SECONDS; the daemon's packet counter and the kernel's
#      queue drops give its rate (the queue saturated, fail-open accepting the excess). Its
#      resident memory before and after (the tables are fixed: it must not grow). That no
#      BitTorrent flow loses its verdict to a flood is a test (block::engine::tests).
#   3. Resident memory of the daemon with 1 and 4 queues at the default sizes.
#
# Usage: benches/block.sh PATH/TO/torclass [SECONDS [ROUNDS]]     (use a release build)
set -euo pipefail
torclass=$(realpath "${1:?usage: $0 PATH/TO/torclass [SECONDS]}")
secs=${2:-10}
rounds=${3:-3}
[ "$(id -u)" = 0 ] || { echo "block bench: needs root" >&2; exit 1; }
for t in iperf3 tcpreplay iptables-legacy ipset python3; do
  command -v $t >/dev/null || { echo "block bench: $t missing" >&2; exit 1; }
done
TAG=tcbb$$
CLI=$TAG-c RTR=$TAG-r SRV=$TAG-s
work=$(mktemp -d)
pids=()
cleanup() {
  local p ns
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  for ns in $CLI $RTR $SRV; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
for ns in $CLI $RTR $SRV; do ip netns add $ns; in_ns $ns ip link set lo up; done
ip link add ${TAG}c netns $CLI type veth peer name ${TAG}rc netns $RTR
ip link add ${TAG}s netns $SRV type veth peer name ${TAG}rs netns $RTR
in_ns $CLI ip addr add 10.96.1.2/24 dev ${TAG}c
in_ns $SRV ip addr add 10.96.2.2/24 dev ${TAG}s
in_ns $RTR ip addr add 10.96.1.1/24 dev ${TAG}rc
in_ns $RTR ip addr add 10.96.2.1/24 dev ${TAG}rs
for p in "$CLI ${TAG}c" "$SRV ${TAG}s" "$RTR ${TAG}rc" "$RTR ${TAG}rs"; do
  set -- $p
  in_ns $1 ip link set $2 up
  # Real MTU-sized segments through the queue, as on a server's wire.
  in_ns $1 ethtool -K $2 tso off gso off gro off >/dev/null 2>&1 || true
done
in_ns $CLI ip route add default via 10.96.1.1
in_ns $SRV ip route add default via 10.96.2.1
in_ns $RTR sysctl -qw net.ipv4.ip_forward=1
in_ns $SRV iperf3 -s -B 10.96.2.2 -D --logfile "$work/iperf3-server.log"
sleep 0.5

daemon=
start_daemon() { # start_daemon ARGS...
  ip netns exec $RTR "$torclass" block --firewall iptables --metrics 127.0.0.1:9877 "$@" >"$work/events" 2>"$work/daemon.err" &
  daemon=$!
  pids+=("$daemon")
  for _ in $(seq 50); do grep -q "serving NFQUEUE" "$work/daemon.err" && return; sleep 0.1; done
  cat "$work/daemon.err" >&2; exit 1
}
stop_daemon() { kill "$daemon"; wait "$daemon" 2>/dev/null || true; }
rules_off() { in_ns $RTR iptables-legacy -t mangle -F; in_ns $RTR iptables-legacy -t mangle -X 2>/dev/null || true; }
metric() {
  in_ns $RTR curl -s --max-time 3 http://127.0.0.1:9877/metrics |
    awk -v n="torclass_$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { print s + 0 }'
}
rss() { awk '/VmRSS/ { print $2 }' /proc/"$1"/status; } # KiB
cpu() { awk '{ print $14 + $15 }' /proc/"$1"/stat; } # user + system clock ticks
iperf() { # iperf: one run, Gbit/s
  in_ns $CLI iperf3 -c 10.96.2.2 -t "$secs" -J |
    python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
}
echo "block bench: load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"

# --- 1. throughput: the three set-ups in turn, three rounds (the machine is shared) ---
"$torclass" block --firewall iptables --print-ruleset >"$work/rules.sh"
every_packet() {
  in_ns $RTR iptables-legacy -t mangle -A FORWARD -m mark --mark 0x70c1 -j DROP
  in_ns $RTR iptables-legacy -t mangle -A FORWARD -m mark --mark 0x70c0 -j ACCEPT
  in_ns $RTR iptables-legacy -t mangle -A FORWARD -p tcp -j NFQUEUE --queue-num 0 --queue-bypass
}
declare -A runs=()
for round in $(seq "$rounds"); do
  runs[none]+=" $(iperf)"
  # A stateful firewall (conntrack on), as on any NATing VPN server, without torclass.
  in_ns $RTR iptables-legacy -t mangle -A FORWARD -m conntrack --ctstate INVALID -j DROP
  runs[conntrack]+=" $(iperf)"
  rules_off
  in_ns $RTR sh "$work/rules.sh"
  start_daemon
  runs[fast]+=" $(iperf)"
  fast_queued=$(metric packets_total)
  stop_daemon
  rules_off
  every_packet
  start_daemon
  runs[every]+=" $(iperf)"
  every_queued=$(metric packets_total)
  stop_daemon
  rules_off
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for k in none conntrack fast every; do
  printf 'iperf3 %-6s median %s Gbit/s of%s\n' "$k" "$(median <<<"${runs[$k]}")" "${runs[$k]}"
done
echo "  packets queued in the last round: fast path $fast_queued, every packet $every_queued"

# --- 2. new tuples per second, memory under the flood ---
mac=$(in_ns $RTR cat /sys/class/net/${TAG}rc/address)
python3 - "$work/syns.pcap" "$mac" <<'EOF'
import struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = bytes([10, 96, 1, 2]), bytes([10, 96, 2, 2])
out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
n = 0
for a in range(2):
    for port in range(1024, 65536):
        sport, dport = port, 7000 + a
        tcp = struct.pack("!HHIIBBHHH", sport, dport, port * 7919, 0, 5 << 4, 0x02, 64240, 0, 0)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), n & 0xffff, 0, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = bytes.fromhex(sys.argv[2].replace(":", "")) + b"\x02\x96\0\0\0\x02" + b"\x08\x00"
        frame = eth + ip + tcp
        out.append(struct.pack("<IIII", n // 1000000, n % 1000000, len(frame), len(frame)) + frame)
        n += 1
open(sys.argv[1], "wb").write(b"".join(out))
EOF
in_ns $RTR sh "$work/rules.sh"
in_ns $RTR sysctl -qw net.netfilter.nf_conntrack_max=1048576 2>/dev/null || true
start_daemon
rss0=$(rss "$daemon")
in_ns $CLI tcpreplay -q --topspeed -i ${TAG}c "$work/syns.pcap" >/dev/null 2>&1 || true
p0=$(metric packets_total) t0=$(date +%s.%N) c0=$(cpu "$daemon")
in_ns $CLI timeout "$secs" tcpreplay -q --topspeed --loop=0 -i ${TAG}c "$work/syns.pcap" >"$work/replay.log" 2>&1 || true
p1=$(metric packets_total) t1=$(date +%s.%N) c1=$(cpu "$daemon")
dropped=$(in_ns $RTR awk '$1 == 0 { print $6 + $7 }' /proc/net/netfilter/nfnetlink_queue)
rss1=$(rss "$daemon")
hz=$(getconf CLK_TCK)
python3 -c "print('new tuples: %d packets queued in %.1f s = %.0f/s through one queue; the daemon busy %.0f%% of the time, %.2f us of CPU per queued packet; kernel queue overflows %s' % ($p1 - $p0, $t1 - $t0, ($p1 - $p0) / ($t1 - $t0), 100.0 * ($c1 - $c0) / $hz / ($t1 - $t0), 1e6 * ($c1 - $c0) / $hz / max(1, $p1 - $p0), '$dropped'))"
echo "  daemon RSS before the flood ${rss0} KiB, after ${rss1} KiB; flows in the table $(metric flows), evicted $(metric flows_evicted_total)"
stop_daemon
rules_off

# --- 3. memory per queue ---
for q in 0 0:3; do
  ip netns exec $RTR "$torclass" block --queue $q --metrics off >/dev/null 2>"$work/mem.err" &
  m=$!
  sleep 2
  echo "memory: --queue $q: RSS $(rss $m) KiB"
  kill $m; wait $m 2>/dev/null || true
done
