#!/usr/bin/env bash
# Capture `negative-games-real`: real Debian game and voice servers (ioquake3's ioq3ded with
# OpenArena's data, minetestserver with the devtest game, murmurd) in a network namespace,
# queried by games_real_clients.py from a second one; tcpdump in the client's namespace.
# Needs root and: apt-get install openarena-server minetest-server mumble-server tcpdump.
# Usage: tests/captures/games_real.sh [OUTDIR]   (about 40 s; each run differs in its bytes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
work="$(mktemp -d /tmp/tc4game-real.XXXXXX)"
chmod 777 "$work"   # murmurd drops to its own user
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  ip netns del tc4game-srv 2>/dev/null || true
  ip netns del tc4game-cli 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add tc4game-srv
ip netns add tc4game-cli
ip link add tc4game-v0 type veth peer name tc4game-v1
ip link set tc4game-v0 netns tc4game-srv
ip link set tc4game-v1 netns tc4game-cli
ip -n tc4game-srv addr add 10.78.2.1/24 dev tc4game-v0
ip -n tc4game-cli addr add 10.78.2.2/24 dev tc4game-v1
for ns in tc4game-srv tc4game-cli; do ip -n "$ns" link set lo up; done
ip -n tc4game-srv link set tc4game-v0 up
ip -n tc4game-cli link set tc4game-v1 up
cat > "$work/murmur.ini" <<INI
database=$work/murmur.sqlite
host=10.78.2.1
port=64738
INI
mkdir -p "$work/world" "$work/home"
ip netns exec tc4game-srv /usr/sbin/murmurd -fg -ini "$work/murmur.ini" > "$work/murmur.log" 2>&1 &
pids+=($!)
ip netns exec tc4game-srv env HOME="$work/home" /usr/games/minetestserver --world "$work/world" \
  --gameid devtest --port 30000 > "$work/minetest.log" 2>&1 &
pids+=($!)
ip netns exec tc4game-srv env HOME="$work/home" /usr/lib/ioquake3/ioq3ded +set com_basegame baseoa \
  +set fs_basepath /usr/lib/openarena-server +set com_homepath .openarena \
  +set com_legacyprotocol 71 +set com_protocol 71 +set dedicated 1 +set net_ip 10.78.2.1 \
  +set sv_master1 "" +set sv_master2 "" +set sv_master3 "" +map oa_dm4 > "$work/ioq3.log" 2>&1 &
pids+=($!)
sleep 6
ip netns exec tc4game-cli tcpdump -i tc4game-v1 -U -w "$work/real.pcap" udp or tcp 2>/dev/null &
pids+=($!)
sleep 1
ip netns exec tc4game-cli python3 "$here/games_real_clients.py"
sleep 1
kill "${pids[-1]}"; sleep 1
cp "$work/real.pcap" "$out/negative-games-real.pcap"
# One label per flow (tshark's conversations), all not_bittorrent.
tshark -r "$out/negative-games-real.pcap" -q -z conv,udp -z conv,tcp | \
  python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import label
programs = {27960: "games_real_clients->ioq3ded", 30000: "games_real_clients->minetestserver",
            64738: "games_real_clients->murmurd"}
entries = []
for l4, a, ap, b, bp in label.conversations(sys.stdin):
    if ap in programs: a, ap, b, bp = b, bp, a, ap
    entries.append({"l4": l4, "a": a, "aport": ap, "b": b, "bport": bp,
                    "label": "not_bittorrent", "program": programs[bp]})
label.write_labels(sys.argv[2], entries, sys.argv[3])
' "$here" "$out/negative-games-real.pcap" "$out/negative-games-real.labels.jsonl"
cat "$out/negative-games-real.labels.jsonl"
