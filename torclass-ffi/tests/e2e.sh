#!/usr/bin/env bash
# End-to-end: nfq_blocker on a router between two network namespaces stops a real BitTorrent
# transfer (transmission-daemon seeding on the server, python3-libtorrent leeching on the
# client, plaintext peer wire over TCP) while an HTTP download of the same file across the same
# router arrives byte for byte.
#
#   tc-e2e-cli 10.99.1.2 --- 10.99.1.1 tc-e2e-rtr 10.99.2.1 --- 10.99.2.2 tc-e2e-srv
#                         FORWARD -> NFQUEUE 0 -> nfq_blocker
#
# Needs root. Outside CI a missing prerequisite skips loudly; with CI=true it fails.
# Usage: e2e.sh PATH/TO/nfq_blocker
set -euo pipefail
blocker=$(realpath "${1:?usage: $0 NFQ_BLOCKER}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3 # Debian's python3-libtorrent only imports with this interpreter
TIMEOUT=25          # seconds the BitTorrent client gets to fetch the file

skip() {
  if [ "${CI:-}" = true ]; then
    echo "e2e: FAIL (CI=true, cannot skip): $*" >&2
    exit 1
  fi
  echo "e2e: SKIPPED: $*" >&2
  echo "e2e: SKIPPED: (run as root with iptables, transmission-daemon, python3-libtorrent)" >&2
  exit 0
}
[ "$(id -u)" = 0 ] || skip "not root"
for tool in ip iptables-legacy transmission-daemon transmission-remote jq curl sha256sum; do
  command -v "$tool" >/dev/null || skip "$tool not installed"
done
"$PY" -c 'import libtorrent' 2>/dev/null || skip "python3-libtorrent not importable by $PY"

CLI=tc-e2e-cli RTR=tc-e2e-rtr SRV=tc-e2e-srv
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in $CLI $RTR $SRV; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { # bg NS LOG CMD...: start CMD in NS, remember its PID
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  pids+=($!)
}

for ns in $CLI $RTR $SRV; do
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  in_ns "$ns" ip link set lo up
done
ip link add tc-e2e-c type veth peer name tc-e2e-rc
ip link add tc-e2e-s type veth peer name tc-e2e-rs
ip link set tc-e2e-c netns $CLI
ip link set tc-e2e-rc netns $RTR
ip link set tc-e2e-s netns $SRV
ip link set tc-e2e-rs netns $RTR
in_ns $CLI ip addr add 10.99.1.2/24 dev tc-e2e-c
in_ns $CLI ip link set tc-e2e-c up
in_ns $CLI ip route add default via 10.99.1.1
in_ns $SRV ip addr add 10.99.2.2/24 dev tc-e2e-s
in_ns $SRV ip link set tc-e2e-s up
in_ns $SRV ip route add default via 10.99.2.1
in_ns $RTR ip addr add 10.99.1.1/24 dev tc-e2e-rc
in_ns $RTR ip addr add 10.99.2.1/24 dev tc-e2e-rs
in_ns $RTR ip link set tc-e2e-rc up
in_ns $RTR ip link set tc-e2e-rs up
in_ns $RTR sysctl -qw net.ipv4.ip_forward=1
# Offloads off, so that NFQUEUE sees packets as they are on the wire.
for dev in tc-e2e-rc tc-e2e-rs; do in_ns $RTR ethtool -K "$dev" gro off gso off tso off 2>/dev/null || true; done

# The router: the rules nfq_blocker's header documents (rules live in the router's namespace
# and go away with it).
ipt() { in_ns $RTR iptables-legacy "$@"; }
ipt -A FORWARD -m connmark --mark 0x70c1 -j DROP
ipt -A FORWARD -m connmark --mark 0x70c0 -j ACCEPT
ipt -A FORWARD -m mark --mark 0x70c0/0xfffe -j CONNMARK --save-mark
ipt -A FORWARD -m mark --mark 0x70c1 -j DROP
ipt -A FORWARD -m mark --mark 0x70c0 -j ACCEPT
ipt -A FORWARD -j NFQUEUE --queue-num 0
bg $RTR "$work/blocker.log" stdbuf -oL "$blocker" -q 0 -c likely
sleep 0.5
kill -0 "${pids[-1]}" || { cat "$work/blocker.log"; echo "e2e: nfq_blocker did not start" >&2; exit 1; }

# The file, its torrent, and the seeder.
mkdir -p "$work/srv" "$work/cli-bt" "$work/cli-http"
head -c $((4 << 20)) /dev/urandom >"$work/srv/payload.bin"
"$PY" "$root/tests/captures/lt_client.py" mktorrent --data "$work/srv/payload.bin" \
  --out "$work/payload.torrent" >"$work/infohash"
infohash=$(cat "$work/infohash")
jq -n --arg dl "$work/srv" '{
  "bind-address-ipv4": "10.99.2.2", "peer-port": 51413, "peer-port-random-on-start": false,
  "port-forwarding-enabled": false, "encryption": 0, "utp-enabled": false, "dht-enabled": false,
  "lpd-enabled": false, "pex-enabled": false, "download-dir": $dl,
  "incomplete-dir-enabled": false, "rpc-enabled": true, "rpc-bind-address": "127.0.0.1",
  "rpc-port": 9091, "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
  "rpc-host-whitelist-enabled": false, "start-added-torrents": true, "ratio-limit-enabled": false
}' >"$work/settings.json"
mkdir -p "$work/tr" && mv "$work/settings.json" "$work/tr/"
bg $SRV "$work/transmission.log" transmission-daemon -f -g "$work/tr"
for _ in $(seq 50); do in_ns $SRV transmission-remote 127.0.0.1:9091 -l >/dev/null 2>&1 && break; sleep 0.2; done
in_ns $SRV transmission-remote 127.0.0.1:9091 -w "$work/srv" -a "$work/payload.torrent" >/dev/null
for _ in $(seq 50); do
  in_ns $SRV transmission-remote 127.0.0.1:9091 -t 1 -i 2>/dev/null | grep -q 'Percent Done: 100%' && break
  sleep 0.2
done
bg $SRV "$work/http.log" "$PY" -m http.server --bind 10.99.2.2 --directory "$work/srv" 8080
sleep 1

# 1. HTTP across the router: arrives byte for byte.
in_ns $CLI curl -sS --max-time 20 -o "$work/cli-http/payload.bin" http://10.99.2.2:8080/payload.bin
want=$(sha256sum <"$work/srv/payload.bin")
got=$(sha256sum <"$work/cli-http/payload.bin")
[ "$want" = "$got" ] || { echo "e2e: FAIL: HTTP download differs ($got vs $want)" >&2; exit 1; }
echo "e2e: HTTP download across the router: sha256 matches"

# 2. BitTorrent across the router: must not complete.
rc=0
in_ns $CLI timeout -k 5 $((TIMEOUT + 10)) "$PY" -u "$root/tests/captures/lt_client.py" run \
  --listen 10.99.1.2:6881 --save "$work/cli-bt" --torrent "$work/payload.torrent" \
  --peer 10.99.2.2:51413 --enc plain --duration "$TIMEOUT" --require-complete \
  >"$work/leecher.log" 2>&1 || rc=$?
if [ "$rc" = 0 ] || cmp -s "$work/srv/payload.bin" "$work/cli-bt/payload.bin"; then
  echo "e2e: FAIL: the BitTorrent transfer completed through the blocker" >&2
  tail -20 "$work/leecher.log" "$work/blocker.log" >&2
  exit 1
fi
echo "e2e: BitTorrent download across the router did not complete (exit $rc)"
grep -q 'connect_peer 10.99.2.2:51413' "$work/leecher.log" ||
  { echo "e2e: FAIL: the leecher never tried the seeder" >&2; cat "$work/leecher.log" >&2; exit 1; }

# 3. The daemon's log names the blocked flow and its info-hash.
if ! grep -E "action=drop proto=tcp src=10\.99\.1\.2:[0-9]+ dst=10\.99\.2\.2:51413 .*protocol=peer_wire .*info_hash=$infohash" \
  "$work/blocker.log"; then
  echo "e2e: FAIL: no drop of 10.99.1.2 -> 10.99.2.2:51413 with info_hash $infohash logged" >&2
  cat "$work/blocker.log" >&2
  exit 1
fi
# 4. Control: without the queue rule the same transfer completes, so the block above was the
# blocker's doing.
ipt -F FORWARD
rm -rf "$work/cli-bt" && mkdir -p "$work/cli-bt"
in_ns $CLI timeout -k 5 40 "$PY" -u "$root/tests/captures/lt_client.py" run \
  --listen 10.99.1.2:6882 --save "$work/cli-bt" --torrent "$work/payload.torrent" \
  --peer 10.99.2.2:51413 --enc plain --duration 20 --require-complete >"$work/control.log" 2>&1 ||
  { echo "e2e: FAIL: control transfer without the blocker did not complete" >&2; tail "$work/control.log" >&2; exit 1; }
cmp -s "$work/srv/payload.bin" "$work/cli-bt/payload.bin" ||
  { echo "e2e: FAIL: control transfer differs" >&2; exit 1; }
echo "e2e: control: without the blocker the BitTorrent transfer completes"
echo "e2e: PASS"
