#!/usr/bin/env bash
# End-to-end lab of `torclass block`: real BitTorrent clients through a router namespace that
# runs the daemon with the printed iptables-legacy ruleset (this lab's kernel has no nft queue
# expression; the nftables ruleset is checked by block-ruleset.sh).
#
#   CLI  10.97.1.x --- 10.97.1.1 RTR 10.97.2.1 --- 10.97.2.x SRV
#   CLI2 10.97.3.x --- 10.97.3.1 /   mangle FORWARD -> TORCLASS -> NFQUEUE 0 -> torclass block
#
# (each client has its own address, and the dry-run round other ones than the block round:
# transmission refuses a new peer from an address it holds a stale one for.)
#
# Server side (SRV): opentracker (HTTP and UDP on 10.97.2.2:6969, and on 10.97.2.6:6969, which
# is allow-listed: clients that learn their peers there show peer connections being blocked,
# the others find the tracker blocked); transmission seeding in the
# clear (10.97.2.2:51413) and with encryption required (10.97.2.3:51413); a libtorrent seeder
# (10.97.2.4:6881, TCP, uTP and DHT) and a bare DHT node (10.97.2.5:6881); and, on 10.97.2.2 —
# the tracker and seeder host — HTTP (python http.server :8080), HTTPS (openssl s_server
# :8443), SSH (sshd :22) and DNS (dnsmasq :53).
#
# Client side (CLI), each leecher on its own address (transmission keeps one peer per
# address), all at once:
#   tr-http   transmission-daemon, allow-listed HTTP tracker         -> the seeders
#   lt-plain  libtorrent, plaintext, HTTP tracker, peer given         -> transmission
#   lt-rc4    libtorrent, forced RC4 (MSE/PE), dead tracker, peer     -> transmission (encrypted)
#   lt-utp    libtorrent, uTP only, UDP tracker, peer given           -> libtorrent
#   lt-dht    libtorrent, DHT-only magnet link                        -> libtorrent
#   aria2     aria2c, MSE required, allow-listed HTTP tracker         -> the seeders
#   qbt       qBittorrent, allow-listed UDP tracker                   -> the seeders
#
# Phases, each bounded:
#   1. block: every download fails; each expected protocol is logged as blocked; HTTP, HTTPS,
#      SSH and DNS between the same hosts pass, before and after; a new connection to a known
#      peer is dropped by the kernel's set rule (its counter grows, the daemon sees nothing).
#      Meanwhile `torclass classify --interface` on the router streams the decisions it sees
#      and prints a summary at SIGINT.
#   2. kill -9 mid-transfer (--queue-bypass): a rate-limited HTTP download running across the
#      kill completes, and new HTTP/HTTPS/SSH/DNS connections pass with no daemon.
#   3. restart: blocks again (a new uTP leecher is logged and does not complete).
#   4. SIGHUP with the config file changed to `dry-run = true`: same daemon, same queue; every
#      download of a second round (new addresses) completes; the flows logged as `dry_run`
#      cover the same (server, protocol) pairs as the blocked ones.
#
# Needs root. Outside CI a missing prerequisite skips loudly; with CI=true it fails.
# Usage: block-lab.sh PATH/TO/torclass     (LAB_KEEP=1 keeps the work directory)
set -euo pipefail
torclass=$(realpath "${1:?usage: $0 PATH/TO/torclass}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PY=/usr/bin/python3 # Debian's python3-libtorrent only imports with this interpreter
LT=$root/tests/captures/lt_client.py
WAIT=30 # seconds a blocked download is given

skip() {
  if [ "${CI:-}" = true ]; then
    echo "block-lab: FAIL (CI=true, cannot skip): $*" >&2
    exit 1
  fi
  echo "block-lab: SKIPPED: $*" >&2
  exit 0
}
[ "$(id -u)" = 0 ] || skip "not root"
for tool in ip iptables-legacy ipset transmission-daemon transmission-remote opentracker aria2c \
  qbittorrent-nox openssl sshd ssh ssh-keygen dnsmasq dig curl jq cmp; do
  command -v "$tool" >/dev/null || skip "$tool not installed"
done
"$PY" -c 'import libtorrent' 2>/dev/null || skip "python3-libtorrent not importable by $PY"
getent passwd nobody >/dev/null || skip "no user nobody (opentracker drops privileges to it)"

TAG=tcb$$
CLI=$TAG-c CLI2=$TAG-d RTR=$TAG-r SRV=$TAG-s
work=$(mktemp -d /tmp/block-lab.XXXXXX)
chmod 755 "$work"
pids=()
stop_pid() { # TERM, up to 4 s, then KILL, and reap
  local pid=$1 i
  kill "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  for i in $(seq 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local i ns pid
  trap - EXIT
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
  for ns in $CLI $CLI2 $SRV $RTR; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ -n "${LAB_KEEP:-}" ]; then echo "block-lab: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() {
  echo "block-lab: FAIL: $*" >&2
  [ -f "$work/block.err" ] && tail -20 "$work/block.err" >&2
  exit 1
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
bg() { # bg NS LOG CMD...: start CMD in NS, its PID in $last
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$@" >"$log" 2>&1 &
  last=$!
  pids+=("$last")
}
now() { printf '%s' "${EPOCHREALTIME/./}"; } # microseconds
secs_since() { local t=$(($(now) - $1)); printf '%d.%d' $((t / 1000000)) $((t % 1000000 / 100000)); }
wait_for() { # wait_for SECONDS CMD...: poll CMD until it succeeds
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
t_start=$(now)

# --- the network ------------------------------------------------------------------------
for ns in $CLI $CLI2 $RTR $SRV; do
  ip netns add "$ns"
  in_ns "$ns" ip link set lo up
  in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "${TAG}c" netns $CLI type veth peer name "${TAG}rc" netns $RTR
ip link add "${TAG}d" netns $CLI2 type veth peer name "${TAG}rd" netns $RTR
ip link add "${TAG}s" netns $SRV type veth peer name "${TAG}rs" netns $RTR
for i in 2 3 4 5 6 7 8 20 21 22; do in_ns $CLI ip addr add 10.97.1.$i/24 dev "${TAG}c"; done
for i in 2 3 4 5 6 7 8; do in_ns $CLI2 ip addr add 10.97.3.$i/24 dev "${TAG}d"; done
for i in 2 3 4 5 6; do in_ns $SRV ip addr add 10.97.2.$i/24 dev "${TAG}s"; done
in_ns $RTR ip addr add 10.97.1.1/24 dev "${TAG}rc"
in_ns $RTR ip addr add 10.97.2.1/24 dev "${TAG}rs"
in_ns $RTR ip addr add 10.97.3.1/24 dev "${TAG}rd"
for pair in "$CLI ${TAG}c" "$CLI2 ${TAG}d" "$SRV ${TAG}s" "$RTR ${TAG}rc" "$RTR ${TAG}rd" "$RTR ${TAG}rs"; do
  set -- $pair
  in_ns "$1" ip link set "$2" up
  in_ns "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 || true
done
in_ns $CLI ip route add default via 10.97.1.1
in_ns $CLI2 ip route add default via 10.97.3.1
in_ns $SRV ip route add default via 10.97.2.1
in_ns $RTR sysctl -qw net.ipv4.ip_forward=1

# The router: the daemon's own ruleset (ipsets and mangle rules live in the namespace).
cat >"$work/block.toml" <<EOF
queue = "0:1"
firewall = "iptables"
metrics = "127.0.0.1:9877"
users = ["10.97.1.0/24", "10.97.3.0/24"]
allow = ["10.97.2.6/32"]
EOF
"$torclass" block --config "$work/block.toml" --print-ruleset >"$work/ruleset.sh"
in_ns $RTR sh "$work/ruleset.sh" || fail "the printed ruleset did not load"
starts=0
started() { (($(grep -c "serving NFQUEUE 0:1" "$work/block.err") >= starts)); }
daemon_start() { # daemon_start: torclass block in RTR, stdout (events) appended to block.jsonl
  ip netns exec $RTR "$torclass" block --config "$work/block.toml" >>"$work/block.jsonl" 2>>"$work/block.err" &
  daemon=$!
  pids+=("$daemon")
  starts=$((starts + 1))
  wait_for 10 started || fail "the daemon did not start"
}
metric() { # metric NAME: the value of a counter summed over its labels
  in_ns $RTR curl -s --max-time 3 http://127.0.0.1:9877/metrics |
    awk -v n="torclass_$1" '$1 == n || index($1, n "{") == 1 { s += $2 } END { print s + 0 }'
}
: >"$work/block.jsonl"
: >"$work/block.err"
daemon_start

# --- servers ----------------------------------------------------------------------------
mkdir -p "$work/srv" "$work/tracker" "$work/www"
head -c $((1 << 20)) /dev/urandom >"$work/srv/payload.bin"
cp "$work/srv/payload.bin" "$work/www/payload.bin"
mktorrent() { "$PY" "$LT" mktorrent --data "$work/srv/payload.bin" --out "$work/$1.torrent" --tracker "$2"; }
infohash=$(mktorrent http http://10.97.2.2:6969/announce)
for t in "udp udp://10.97.2.2:6969/announce" "open-http http://10.97.2.6:6969/announce" \
  "open-udp udp://10.97.2.6:6969/announce" "dead http://10.97.2.9:6969/announce"; do
  [ "$(mktorrent $t)" = "$infohash" ] || fail "info-hash differs"
done
printf '%s\n' "$infohash" >"$work/tracker/whitelist"
chmod 755 "$work/tracker" && chmod 644 "$work/tracker/whitelist"
bg $SRV "$work/opentracker.log" opentracker -i 10.97.2.2 -p 6969 -P 6969 -i 10.97.2.6 -p 6969 -P 6969 \
  -d "$work/tracker" -u nobody -w whitelist

# transmission NS NAME IP ENC RPC TORRENT DIR: transmission-daemon on IP:51413 (no DHT, LSD or
# uTP), the torrent added over RPC on 127.0.0.1:RPC.
transmission() {
  local ns=$1 name=$2 ip=$3 enc=$4 rpc=$5 torrent=$6 dir=$7
  mkdir -p "$work/$name" "$dir"
  jq -n --arg ip "$ip" --argjson enc "$enc" --argjson rpc "$rpc" --arg dl "$dir" '{
    "bind-address-ipv4": $ip, "peer-port": 51413, "peer-port-random-on-start": false,
    "port-forwarding-enabled": false, "encryption": $enc, "utp-enabled": false,
    "dht-enabled": false, "lpd-enabled": false, "pex-enabled": true, "download-dir": $dl,
    "incomplete-dir-enabled": false, "rpc-enabled": true, "rpc-bind-address": "127.0.0.1",
    "rpc-port": $rpc, "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
    "rpc-host-whitelist-enabled": false, "start-added-torrents": true, "ratio-limit-enabled": false
  }' >"$work/$name/settings.json"
  bg "$ns" "$work/$name.log" transmission-daemon -f -g "$work/$name"
  wait_for 15 in_ns "$ns" transmission-remote 127.0.0.1:"$rpc" -l || fail "$name: RPC did not come up"
  in_ns "$ns" transmission-remote 127.0.0.1:"$rpc" -w "$dir" -a "$torrent" >/dev/null
}
transmission $SRV tr-plain 10.97.2.2 0 9091 "$work/open-http.torrent" "$work/srv"
transmission $SRV tr-enc 10.97.2.3 2 9092 "$work/open-http.torrent" "$work/srv"
mkdir -p "$work/lt-seed" "$work/node" && cp "$work/srv/payload.bin" "$work/lt-seed/"
bg $SRV "$work/lt-seed.log" "$PY" -u "$LT" run --listen 10.97.2.4:6881 --transports tcp,utp \
  --dht 10.97.2.5:6881 --torrent "$work/open-udp.torrent" --save "$work/lt-seed" --seed --duration 900
bg $SRV "$work/dht-node.log" "$PY" -u "$LT" run --listen 10.97.2.5:6881 --dht 10.97.2.4:6881 \
  --save "$work/node" --duration 900
# Ordinary services on the tracker and seeder host.
bg $SRV "$work/http.log" "$PY" -m http.server --bind 10.97.2.2 --directory "$work/www" 8080
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=lab.test -days 2 -keyout "$work/tls.key" \
  -out "$work/tls.crt" 2>/dev/null
(cd "$work/www" && exec ip netns exec $SRV openssl s_server -quiet -accept 10.97.2.2:8443 -WWW \
  -cert "$work/tls.crt" -key "$work/tls.key" >"$work/https.log" 2>&1) &
pids+=("$!")
ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_host" && ssh-keygen -q -t ed25519 -N '' -f "$work/ssh_user"
cp "$work/ssh_user.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<EOF
ListenAddress 10.97.2.2:22
HostKey $work/ssh_host
AuthorizedKeysFile $work/authorized_keys
PidFile none
StrictModes no
PasswordAuthentication no
UsePAM no
EOF
mkdir -p /run/sshd
bg $SRV "$work/sshd.log" "$(command -v sshd)" -D -e -f "$work/sshd_config"
bg $SRV "$work/dns.log" dnsmasq -k --no-resolv --no-hosts --listen-address=10.97.2.2 \
  --bind-interfaces --address=/lab.test/10.97.2.2 --pid-file= --user=root
sleep 1
echo "block-lab: setup done in $(secs_since "$t_start") s"

# ordinary FROM: HTTP, HTTPS, SSH and DNS from address FROM to 10.97.2.2 must all work.
ordinary() {
  local from=$1 got
  in_ns $CLI curl -sS --max-time 10 --interface "$from" -o "$work/got-http" http://10.97.2.2:8080/payload.bin &&
    cmp -s "$work/got-http" "$work/srv/payload.bin" || fail "HTTP from $from"
  in_ns $CLI curl -sSk --max-time 10 --interface "$from" -o "$work/got-https" https://10.97.2.2:8443/payload.bin &&
    cmp -s "$work/got-https" "$work/srv/payload.bin" || fail "HTTPS from $from"
  got=$(in_ns $CLI timeout 15 ssh -n -b "$from" -i "$work/ssh_user" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR root@10.97.2.2 echo ssh-ok) || true
  [ "$got" = ssh-ok ] || fail "SSH from $from"
  got=$(in_ns $CLI dig +short +time=3 +tries=2 -b "$from" @10.97.2.2 lab.test) || true
  [ "$got" = 10.97.2.2 ] || fail "DNS from $from ($got)"
}

# The leechers of a round from namespace NS, in three waves, client N on NET.(2+N):
#   A (N = 0..2) lt-plain, lt-rc4, lt-utp: each given one seeder directly, lt-plain and lt-utp
#     announcing to a blocked tracker: plaintext, MSE/PE, uTP, HTTP and UDP tracker flows;
#   B (N = 3)    lt-dht: the magnet link over the DHT;
#   C (N = 4..6) tr-http, aria2, qbt: peers from the allow-listed tracker. In a block round
#     their seeders are known peers by then: their connections die in the kernel.
# Each wave waits (at most WAIT s) for its flows to be logged with EVENT before the next.
declare -A leecher_dir
leecher_pids=()
lt_leech() { # lt_leech NAME IP ARGS...
  local name=$1 ip=$2
  shift 2
  mkdir -p "$work/cli-$name-$ip"
  bg $ns "$work/$name-$ip.log" "$PY" -u "$LT" run --listen "$ip:6881" --bind-outgoing --save "$work/cli-$name-$ip" \
    --duration $((3 * WAIT)) "$@"
  leecher_pids+=("$last") leecher_dir[$name]=$work/cli-$name-$ip
}
round() { # round NS NET EVENT
  local ns=$1 net=$2 event=$3 b=2 ip
  lt_leech lt-plain $net.$b --torrent "$work/http.torrent" --peer 10.97.2.2:51413
  # lt-rc4's tracker is dead: it meets its peer only as given, 2 s later, when the queues
  # have shared what they learned (two queues: what one learns reaches the other within a
  # second; an encrypted connection opened within that second to a peer only the other
  # queue knows is not corroborated — README, "What it does not do").
  lt_leech lt-rc4 $net.$((b + 1)) --torrent "$work/dead.torrent" --enc rc4 --peer 10.97.2.3:51413 --peer-delay 2
  lt_leech lt-utp $net.$((b + 2)) --transports utp --torrent "$work/udp.torrent" --peer 10.97.2.4:6881 --peer-delay 1
  expect "$event" A \
    '.protocol == "peer_wire" and .dst == "10.97.2.2" and .dport == 51413' \
    '.protocol == "http_tracker" and .dst == "10.97.2.2" and .dport == 6969' \
    '.protocol == "udp_tracker" and .dst == "10.97.2.2" and .dport == 6969' \
    '.protocol == "peer_wire_encrypted" and .dst == "10.97.2.3" and .dport == 51413' \
    '.protocol == "utp" and .dst == "10.97.2.4" and .dport == 6881'
  lt_leech lt-dht $net.$((b + 3)) --transports tcp,utp --dht 10.97.2.5:6881 \
    --magnet "magnet:?xt=urn:btih:$infohash&dn=payload.bin"
  expect "$event" B '.protocol == "dht" and .src == "'$net.$((b + 3))'"'
  transmission $ns "tr-http-$net" "$net.$((b + 4))" 0 9100 "$work/open-http.torrent" "$work/cli-tr-http-$net"
  leecher_pids+=("$last") leecher_dir[tr-http]=$work/cli-tr-http-$net
  ip=$net.$((b + 5))
  mkdir -p "$work/cli-aria2-$net"
  bg $ns "$work/aria2-$net.log" aria2c --dir="$work/cli-aria2-$net" --seed-time=0 --interface="$ip" \
    --listen-port=6881 --enable-dht=false --bt-enable-lpd=false --bt-require-crypto=true \
    --bt-min-crypto-level=arc4 --file-allocation=none --summary-interval=0 --console-log-level=notice \
    --bt-stop-timeout=$((3 * WAIT)) "$work/open-http.torrent"
  leecher_pids+=("$last") leecher_dir[aria2]=$work/cli-aria2-$net
  ip=$net.$((b + 6))
  local prof=$work/qbt-$net
  mkdir -p "$prof/qBittorrent/config" "$work/cli-qbt-$net"
  printf '%s\n' '[LegalNotice]' 'Accepted=true' '' '[BitTorrent]' 'Session\Port=6881' \
    "Session\\InterfaceAddress=$ip" "Session\\Interface=$iface" "Session\\InterfaceName=$iface" \
    'Session\DHTEnabled=false' 'Session\LSDEnabled=false' 'Session\PeXEnabled=true' \
    'Session\Encryption=0' 'Session\BTProtocol=Both' 'Session\QueueingSystemEnabled=false' \
    "Session\\DefaultSavePath=$work/cli-qbt-$net" '' '[Preferences]' 'WebUI\Address=127.0.0.1' \
    'WebUI\Port=8100' 'Connection\UPnP=false' >"$prof/qBittorrent/config/qBittorrent.conf"
  bg $ns "$work/qbt-$net.log" qbittorrent-nox --profile="$prof" --save-path="$work/cli-qbt-$net" \
    --add-paused=false "$work/open-udp.torrent"
  leecher_pids+=("$last") leecher_dir[qbt]=$work/cli-qbt-$net
}
NAMES=(lt-plain lt-rc4 lt-utp lt-dht tr-http aria2 qbt)
complete() { cmp -s "$work/srv/payload.bin" "${leecher_dir[$1]}/payload.bin"; }
stop_leechers() { local p; for p in "${leecher_pids[@]}"; do stop_pid "$p"; done; leecher_pids=(); }
# logged EVENT JQ-FILTER: a line of block.jsonl with that event matches the filter.
logged() { jq -e -s --arg e "$1" "[.[] | select(.event == \$e) | select($2)] | length > 0" "$work/block.jsonl" >/dev/null; }
# expect EVENT WAVE FILTER...: wait until each filter matches a logged line (at most WAIT s).
expect() {
  local event=$1 wave=$2 f
  shift 2
  all() { local f; for f in "$@"; do logged "$event" "$f" || return 1; done; }
  wait_for $WAIT all "$@" || true
  for f in "$@"; do logged "$event" "$f" || fail "$event: wave $wave: nothing logged for $f"; done
  EXPECTED+=("$@")
}

# --- 1. block -----------------------------------------------------------------------------
# Live monitoring alongside: torclass classify on the router's client side, until SIGINT.
ip netns exec $RTR "$torclass" classify --interface "${TAG}rc" --bpf 'tcp or udp' --format jsonl \
  --emit decided >"$work/live.jsonl" 2>"$work/live.err" &
live=$!
pids+=("$live")
ordinary 10.97.1.2
t1=$(now)
EXPECTED=()
iface=${TAG}c
round $CLI 10.97.1 block
sleep $((WAIT / 2)) # let the last wave try every peer it learns
for n in "${NAMES[@]}"; do ! complete "$n" || fail "block: $n completed its download through the blocker"; done
jq -e -s 'all(.[]; .event == "block" and .confidence == "confirmed" and (.user | startswith("10.97.1.")))' \
  "$work/block.jsonl" >/dev/null || fail "block: a logged flow is not confirmed or has no user"
jq -e -s --arg h "$infohash" 'any(.[]; .info_hash == $h and .client != null)' "$work/block.jsonl" >/dev/null ||
  fail "block: no logged flow names the torrent and its client"
stop_leechers
echo "block-lab: block: none of ${NAMES[*]} completed; $(jq -s length "$work/block.jsonl") flows logged in $(secs_since "$t1") s"
# Time from the flow's first packet to its drop, per protocol (BENCHMARKS.md).
jq -r -s 'def ms: ((.time | sub("\\.[0-9]+Z$"; "Z") | fromdate) + (.time | capture("(?<f>\\.[0-9]+)Z$").f | tonumber) - .first_ts) * 1000 | . * 10 | round / 10;
  group_by(.protocol)[] | "block-lab:   \(.[0].protocol): \(length) flows, first packet to drop \(map(ms) | min)-\(map(ms) | max) ms, dropped at packet \(map(.packets) | min)-\(map(.packets) | max)"' \
  "$work/block.jsonl" || true
ordinary 10.97.1.2
ordinary 10.97.1.3
echo "block-lab: block: HTTP, HTTPS, SSH and DNS between the same hosts pass"
kill -INT "$live"
wait "$live" || fail "live capture: exit status $?"
grep -q '^total' "$work/live.err" || fail "live capture: no summary at SIGINT"
# The client side sees a tracker announce whole (conclusive alone), but of a peer wire flow only
# the client's handshake: the blocker drops the answer, and a lone handshake waits for its
# refutation chance (the connection's end).
jq -e -s 'any(.[]; .verdict == "bittorrent" and .protocol == "http_tracker") and
  any(.[]; .verdict == "not_bittorrent" and .dport == 22)' "$work/live.jsonl" >/dev/null ||
  fail "live capture: the decided flows are missing"
echo "block-lab: live capture: $(jq -s length "$work/live.jsonl") decisions streamed, a summary at SIGINT"
# A known peer: its endpoint is in the set, a new connection to it dies at its SYN in the kernel.
in_ns $RTR ipset list torclass-peers4 | grep -q '^10\.97\.2\.3,tcp:51413' ||
  { in_ns $RTR ipset list torclass-peers4 >&2; fail "the encrypted seeder is not a known peer"; }
set_drops() { in_ns $RTR iptables-legacy -t mangle -L TORCLASS -v -x -n | awk '/match-set torclass-peers4/ && $4 == 6 { print $1 }'; }
before=$(set_drops) queued=$(metric packets_total)
! in_ns $CLI timeout 3 bash -c 'exec 3<>/dev/tcp/10.97.2.3/51413' 2>/dev/null || fail "connected to a known peer"
after=$(set_drops)
((after > before)) || fail "known peer: the set rule dropped nothing ($before -> $after)"
echo "block-lab: known peer: SYNs to 10.97.2.3:51413 dropped by the set rule ($((after - before))), the daemon saw $(($(metric packets_total) - queued)) packets meanwhile"

# --- 2. kill -9 mid-transfer, queue bypass ------------------------------------------------
t2=$(now)
in_ns $CLI curl -sS --max-time 30 --limit-rate 300k --interface 10.97.1.20 -o "$work/got-slow" \
  http://10.97.2.2:8080/payload.bin &
slow=$!
sleep 1.5
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
ordinary 10.97.1.20
wait "$slow" || fail "the HTTP download across the kill failed"
cmp -s "$work/got-slow" "$work/srv/payload.bin" || fail "the HTTP download across the kill differs"
echo "block-lab: kill -9: a transfer across it completed and new HTTP, HTTPS, SSH, DNS passed in $(secs_since "$t2") s"

# --- 3. restart: blocks again ------------------------------------------------------------
daemon_start
mkdir -p "$work/cli-restart"
bg $CLI "$work/restart.log" "$PY" -u "$LT" run --listen 10.97.1.21:6881 --transports utp \
  --torrent "$work/udp.torrent" --save "$work/cli-restart" --duration 60
restart_leecher=$last
wait_for 20 logged block '.src == "10.97.1.21"' || fail "restart: the new leecher was not blocked"
sleep 3
! cmp -s "$work/srv/payload.bin" "$work/cli-restart/payload.bin" || fail "restart: the download completed"
stop_pid "$restart_leecher"
echo "block-lab: restart: blocking again"

# --- 4. SIGHUP to dry-run: same daemon, same queue, nothing blocked, the same flows logged ---
portid() { in_ns $RTR awk '$1 <= 1 { print $2 }' /proc/net/netfilter/nfnetlink_queue; }
port_before=$(portid)
echo 'dry-run = true' >>"$work/block.toml"
kill -HUP "$daemon"
wait_for 5 grep -q 'reloaded:.*dry run' "$work/block.err" || fail "SIGHUP: no reload"
kill -0 "$daemon" && [ "$(portid)" = "$port_before" ] || fail "SIGHUP: the daemon or its queue changed"
in_ns $RTR ipset list torclass-peers4 | grep -q '^10\.97\.' && fail "dry run: known peers stayed in the set"
t4=$(now)
EXPECTED=()
iface=${TAG}d
round $CLI2 10.97.3 dry_run
all_complete() { local n; for n in "${NAMES[@]}"; do complete "$n" || return 1; done; }
wait_for $((2 * WAIT)) all_complete || {
  for n in "${NAMES[@]}"; do complete "$n" || echo "block-lab: $n did not complete" >&2; done
  fail "dry run: a download did not complete"
}
stop_leechers
# Wave C's clients (transmission, aria2 with MSE only, qBittorrent), whose connections the
# kernel set stopped in the block round, are each recognised on their own here.
for i in 6 7 8; do
  logged dry_run '.src == "10.97.3.'$i'"' || fail "dry run: nothing logged for the client on 10.97.3.$i"
done
echo "block-lab: SIGHUP dry-run: all ${#NAMES[@]} downloads completed in $(secs_since "$t4") s, the same flows logged, and every client's"
kill -TERM "$daemon"
wait "$daemon" || fail "the daemon did not exit cleanly"
ordinary 10.97.1.22
echo "block-lab: PASS in $(secs_since "$t_start") s"
