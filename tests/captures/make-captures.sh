#!/usr/bin/env bash
# Build a lab of network namespaces joined by a bridge, run real BitTorrent clients and
# real non-BitTorrent programs in it, and write one pcap plus one label file per scenario.
#
#   make-captures.sh [--out DIR] [--matrix | SCENARIO...]
#       (root; default: every committed scenario, into the directory of this script;
#       --matrix: those and the matrix-only ones)
#
# See README.md next to this script for the lab layout, the scenarios and client quirks.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3           # Debian's python3-libtorrent only works with this interpreter
NET=10.77.0                   # lab subnet, host hN is $NET.N
NET6=fd77                     # IPv6 scenarios: host hN is also $NET6::N/64
HOSTS=6                       # hosts h1..h6 in every scenario
ALL_SCENARIOS=(tcp-plain tcp-negative http-magnet dht-magnet utp-only udp-tracker lsd
               udp-negative tcp-encrypted clients-plain clients-encrypted clients-utp
               clients-udp-tracker clients-dht clients-lsd bt-v2 ipv6 negative-extra
               tunnel-vxlan proxy-socks proxy-http proxy-clients negative-services negative-tunnels negative-more
               negative-dnscrypt negative-vpn negative-p2p ssl-torrent
               negative-tls-sni)
# --matrix adds these: regenerable, not committed (they show known misses; see README)
MATRIX_ONLY=(rtorrent-mse-retry ssl-torrent-modified)
V6_SCENARIOS=(ipv6)           # scenarios whose lab has IPv6 addresses ($NET6::N) too

die() { printf 'make-captures: %s\n' "$*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

usage() {
    printf 'usage: %s [--out DIR] [--matrix | SCENARIO...]\nscenarios: %s\nmatrix only: %s\n' \
        "$0" "${ALL_SCENARIOS[*]}" "${MATRIX_ONLY[*]}"
}

OUT=$HERE
SCENARIOS=()
while (($#)); do
    case $1 in
        --out) (($# >= 2)) || die "--out needs a directory"; OUT=$2; shift 2 ;;
        --matrix) SCENARIOS+=("${ALL_SCENARIOS[@]}" "${MATRIX_ONLY[@]}"); shift ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) SCENARIOS+=("$1"); shift ;;
    esac
done
((${#SCENARIOS[@]})) || SCENARIOS=("${ALL_SCENARIOS[@]}")
for s in "${SCENARIOS[@]}"; do
    [[ " ${ALL_SCENARIOS[*]} ${MATRIX_ONLY[*]} " == *" $s "* ]] || { usage >&2; die "unknown scenario '$s'"; }
done

# --- preflight ---------------------------------------------------------------------------

[[ $EUID -eq 0 ]] || die "must run as root: the lab needs network namespaces, veths and a bridge"
command -v ip >/dev/null || die "iproute2 ('ip') is missing"

probe="tclprobe$$"
ip netns add "$probe" 2>/dev/null || die "cannot create network namespaces (ip netns add failed): run as root on a kernel/container that allows it"
ip netns del "$probe"

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need tcpdump tcpdump
need tshark tshark
need ethtool ethtool
need jq jq
need opentracker opentracker
need transmission-daemon transmission-daemon
need transmission-remote transmission-cli
need aria2c aria2
need curl curl
need openssl openssl
need sshd openssh-server
need ssh openssh-client
need socat socat
need dnsmasq dnsmasq
need dig dnsutils
need chronyd chrony
need turnserver coturn
need qbittorrent-nox qbittorrent-nox
need rtorrent rtorrent
need ctorrent ctorrent
need deluged deluged
need deluge-console deluge-console
need rsync rsync
need git git
need smbd samba
need smbclient smbclient
need danted dante-server
need microsocks microsocks
need tinyproxy tinyproxy
need proxychains4 proxychains4
# the negative-* scenarios
need unbound unbound
need kdig knot-dnsutils
need nginx nginx-light
need swaks swaks
need ngircd ngircd
need mosquitto mosquitto
need mosquitto_pub mosquitto-clients
need redis-server redis-server
need redis-cli redis-tools
need psql postgresql
need vsftpd vsftpd
need snmpd snmpd
need snmpwalk snmp
need in.tftpd tftpd-hpa
need tftp tftp-hpa
need rpcbind rpcbind
need memcached memcached
need iperf3 iperf3
need ss-server shadowsocks-libev
need obfs4proxy obfs4proxy
need openvpn openvpn
need sipp sip-tester
need mosh-server mosh
need avahi-daemon avahi-daemon
need dovecot dovecot-imapd
need freeradius freeradius
need radtest freeradius-utils
need udhcpd udhcpd
need udhcpc udhcpc
need upnpc miniupnpc
need syncthing syncthing
need dnsdist dnsdist
need wireguard-go wireguard-go
need wg wireguard-tools
need nebula nebula
need erl erlang-base
need supernode n2n
need tincd tinc
need script bsdutils
need nc.openbsd netcat-openbsd
[[ -x $PY ]] && "$PY" -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
[[ -x $PY ]] && "$PY" -c 'import libtorrent' 2>/dev/null || missing+=(python3-libtorrent)
[[ -x $PY ]] && "$PY" -c 'import nacl.public' 2>/dev/null || missing+=(python3-nacl)
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # keep package scripts from starting daemons (chrony, dnsmasq, sshd …) outside the lab
    policy_made=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        policy_made=1
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [[ -z $policy_made ]] || rm -f /usr/sbin/policy-rc.d
fi
# tshark must not ask whether non-root users may capture
[[ -x $PY ]] || die "$PY is missing"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# --- process and namespace bookkeeping ---------------------------------------------------

TAG="${CAPTURE_NS_PREFIX:-tcl}$$"   # namespace names; CAPTURE_NS_PREFIX sets their prefix
BRNS="$TAG-br"
WORK=$(mktemp -d /tmp/make-captures.XXXXXX)
PIDS=()
NAMESPACES=()
declare -A PID_OF=()
TCPDUMP_PID=""

stop_pid() {
    local pid=$1 i
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Stop the named background process (clients first, tcpdump last).
stop() {
    local name
    for name in "$@"; do
        [[ -n ${PID_OF[$name]:-} ]] && stop_pid "${PID_OF[$name]}"
    done
    return 0
}

stop_all_clients() {
    local i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        [[ ${PIDS[i]} == "$TCPDUMP_PID" ]] || stop_pid "${PIDS[i]}"
    done
}

lab_down() {
    local ns pid
    for ns in "${NAMESPACES[@]}"; do
        # anything a started program forked that is still inside one of our namespaces
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$ns" 2>/dev/null || true
    done
    NAMESPACES=()
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_all_clients
    [[ -n $TCPDUMP_PID ]] && stop_pid "$TCPDUMP_PID"
    lab_down
    if ((rc)) && [[ -z ${KEEP_WORK:-} ]]; then
        log "failed (exit $rc); run with KEEP_WORK=1 to keep the client logs"
    fi
    if [[ -n ${KEEP_WORK:-} ]]; then log "work directory kept: $WORK"; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
hns() { printf '%s-h%s' "$TAG" "$1"; }

# start NAME HOST CMD...: run CMD in host HOST's namespace in the background, log to WORK.
start() {
    local name=$1 host=$2
    shift 2
    ip netns exec "$(hns "$host")" "$@" >"$WORK/logs/$name.log" 2>&1 &
    PIDS+=("$!")
    PID_OF[$name]=$!
}

# Fail with the log if NAME's process already exited.
alive() {
    local name
    for name in "$@"; do
        kill -0 "${PID_OF[$name]}" 2>/dev/null || { tail -n 30 "$WORK/logs/$name.log" >&2; die "$name exited early"; }
    done
}

# pause SECONDS: sleep in a way a signal interrupts at once (bash runs traps during wait).
pause() { sleep "$1" & wait $!; }

# wait_for SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# --- the lab -----------------------------------------------------------------------------

no_offloads() {
    local ns=$1 dev=$2
    nsx "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
        nsx "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null
}

# ipv6_setup NS: IPv6 off, or with LAB_V6=1 on without router solicitations, duplicate
# address detection or privacy addresses (set before eth0 exists, so eth0 inherits them).
ipv6_setup() {
    local ns=$1
    if [[ $LAB_V6 == 1 ]]; then
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
            net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0 \
            net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.dad_transmits=0 \
            net.ipv6.conf.default.use_tempaddr=0
    else
        nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    fi
}

lab_up() {
    local i ns
    ip netns add "$BRNS"
    NAMESPACES+=("$BRNS")
    nsx "$BRNS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$BRNS" link set lo up
    ip -n "$BRNS" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
    for ((i = 1; i <= HOSTS; i++)); do
        ns=$(hns "$i")
        ip netns add "$ns"
        NAMESPACES+=("$ns")
        ipv6_setup "$ns"
        ip link add eth0 netns "$ns" address "02:77:00:00:00:$(printf %02x "$i")" \
            type veth peer name "vh$i" netns "$BRNS"
        ip -n "$BRNS" link set "vh$i" master br0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" addr add "$NET.$i/24" dev eth0
        [[ $LAB_V6 != 1 ]] || ip -n "$ns" addr add "$NET6::$i/64" dev eth0 nodad
        ip -n "$ns" link set eth0 up
        # LSD (BEP 14) and other multicast need a route; there is no default route.
        ip -n "$ns" route add 224.0.0.0/4 dev eth0
        no_offloads "$ns" eth0
        no_offloads "$BRNS" "vh$i"
    done
    ip -n "$BRNS" link set br0 up
    no_offloads "$BRNS" br0
}

capture_start() {
    local pcap=$WORK/$SCENARIO.pcap
    ip netns exec "$BRNS" tcpdump -i br0 -s 0 -U -n -Z root -w "$pcap" >"$WORK/logs/tcpdump.log" 2>&1 &
    TCPDUMP_PID=$!
    PIDS+=("$TCPDUMP_PID")
    wait_for 10 grep -q 'listening on' "$WORK/logs/tcpdump.log" || die "tcpdump did not start: $(cat "$WORK/logs/tcpdump.log")"
    sleep 0.3
}

capture_stop() {
    sleep 0.5
    stop_pid "$TCPDUMP_PID"
    TCPDUMP_PID=""
}

# --- ground truth for label.py -----------------------------------------------------------

RULES=""
# host_runs HOST PROGRAM: the program that opens connections from host HOST.
host_runs() {
    jq -nc --arg ip "$NET.$1" --arg p "$2" '{kind:"host",ip:$ip,program:$p}' >>"$RULES"
    jq -nc --arg ip "$NET6::$1" --arg p "$2" '{kind:"host",ip:$ip,program:$p}' >>"$RULES"
}
# serves L4 HOST PORT|any LABEL PROGRAM [INITIATOR]: what listens on HOST:PORT.
serves() {
    local port=null
    [[ $3 == any ]] || port=$3
    jq -nc --arg l4 "$1" --arg ip "$(addr_of "$2")" --argjson port "$port" --arg lbl "$4" \
        --arg p "$5" --arg init "${6:-}" \
        '{kind:"rule",l4:$l4,ip:$ip,port:$port,"label":$lbl,program:$p,initiator:(if $init == "" then null else $init end)}' >>"$RULES"
}
# carries L4 HOST PORT CONTENT INFOHASH: flows to HOST:PORT carry BitTorrent metadata (a magnet
# URI) in content that is not BitTorrent; the label keeps it and its info-hash.
carries() {
    jq -nc --arg l4 "$1" --arg ip "$(addr_of "$2")" --argjson port "$3" --arg c "$4" --arg h "$5" \
        '{kind:"content",l4:$l4,ip:$ip,port:$port,content:$c,info_hash:$h}' >>"$RULES"
}
# note L4 HOST PORT TEXT: a remark copied to the labels of the flows to HOST:PORT.
note() {
    jq -nc --arg l4 "$1" --arg ip "$(addr_of "$2")" --argjson port "$3" --arg n "$4" \
        '{kind:"note",l4:$l4,ip:$ip,port:$port,note:$n}' >>"$RULES"
}
# expect MIN WHAT FILTER: tshark must find at least MIN frames matching FILTER.
expect() { jq -nc --argjson m "$1" --arg w "$2" --arg f "$3" '{kind:"expect",min:$m,what:$w,filter:$f}' >>"$RULES"; }
# forbid WHAT FILTER: tshark must find no frame matching FILTER.
forbid() { jq -nc --arg w "$1" --arg f "$2" '{kind:"expect",min:0,max:0,what:$w,filter:$f}' >>"$RULES"; }
# addr_of HOST|IP|6:HOST (the host's IPv6 address)
addr_of() {
    case $1 in
        6:*) printf '%s::%s' "$NET6" "${1#6:}" ;;
        *.*|*:*) printf '%s' "$1" ;;
        *) printf '%s.%s' "$NET" "$1" ;;
    esac
}

# --- building blocks ---------------------------------------------------------------------

random_file() { head -c "$2" /dev/urandom >"$1"; }

# make_torrent DATAFILE TORRENT [TRACKER_URL] -> prints the info-hash
make_torrent() {
    "$PY" "$HERE/lt_client.py" mktorrent --data "$1" --out "$2" ${3:+--tracker "$3"}
}

# tracker HOST INFOHASH...: opentracker (HTTP and UDP on 6969); the Debian build only
# accepts info-hashes from its whitelist.
tracker() {
    local host=$1 dir=$WORK/$SCENARIO/tracker
    shift
    mkdir -p "$dir"
    printf '%s\n' "$@" >"$dir/whitelist"
    chmod 755 "$dir"
    chmod 644 "$dir/whitelist"
    # it chroots to -d and drops to -u before reading the whitelist (path relative to -d)
    start opentracker "$host" opentracker -i "$NET.$host" -p 6969 -P 6969 -d "$dir" -u nobody \
        -w whitelist
    sleep 0.5
    alive opentracker
}

# transmission NAME HOST TORRENT DATADIR ENCRYPTION(0|1|2) [UTP(true|false)] [DHT(true|false)]
transmission() {
    local name=$1 host=$2 torrent=$3 data=$4 enc=$5 utp=${6:-false} dht=${7:-false}
    local conf=$WORK/$SCENARIO/$name
    mkdir -p "$conf" "$data"
    jq -n --arg ip "$NET.$host" --argjson enc "$enc" --argjson utp "$utp" --argjson dht "$dht" \
        --arg dl "$data" '{
        "bind-address-ipv4": $ip, "bind-address-ipv6": "::1", "peer-port": 51413,
        "peer-port-random-on-start": false, "port-forwarding-enabled": false,
        "encryption": $enc, "utp-enabled": $utp, "dht-enabled": $dht, "lpd-enabled": false,
        "pex-enabled": true, "download-dir": $dl, "incomplete-dir-enabled": false,
        "speed-limit-up": 128, "speed-limit-up-enabled": true,
        "rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": 9091,
        "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
        "rpc-host-whitelist-enabled": false, "blocklist-enabled": false,
        "start-added-torrents": true, "message-level": 2, "ratio-limit-enabled": false
    }' >"$conf/settings.json"
    # TR_WRAP: a command to run the daemon under (proxychains4 for the proxy scenarios).
    local -a wrap=()
    [[ -z ${TR_WRAP:-} ]] || read -r -a wrap <<<"$TR_WRAP"
    start "$name" "$host" "${wrap[@]}" transmission-daemon -f -g "$conf"
    wait_for 15 nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -l ||
        { alive "$name"; die "$name: RPC did not come up"; }
    nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -w "$data" -a "$torrent" >/dev/null
}

# start_in DIR NAME HOST CMD...: like start, with DIR as the working directory.
start_in() {
    local dir=$1
    shift
    local name=$1 host=$2
    shift 2
    # shellcheck disable=SC2016 # expanded by the inner bash
    start "$name" "$host" bash -c 'cd "$1" && shift && exec "$@"' _ "$dir" "$@"
}

# on HOST CMD...: run CMD in the foreground in host HOST's namespace (at most 40 s).
on() { local host=$1; shift; timeout -k 5 40 ip netns exec "$(hns "$host")" "$@"; }

# libtorrent NAME HOST PORT ARGS...: a python3-libtorrent session (see lt_client.py run).
libtorrent() {
    local name=$1 host=$2 port=$3
    shift 3
    start "$name" "$host" "$PY" -u "$HERE/lt_client.py" run --listen "$NET.$host:$port" "$@"
}

# --- scenarios ---------------------------------------------------------------------------

# Plaintext BitTorrent over TCP: HTTP tracker, transmission seeding, two libtorrent leechers
# and a transmission leecher (BEP 3 handshakes, BEP 10 extension handshakes, ut_pex from
# libtorrent, which sends its first PEX message as soon as it has two peers).
scenario_tcp_plain() {
    local d=$WORK/$SCENARIO seedd hash
    seedd=$d/seed
    mkdir -p "$seedd" "$d/lt3" "$d/lt4" "$d/tr5"
    random_file "$seedd/plain.bin" $((512 * 1024))
    hash=$(make_torrent "$seedd/plain.bin" "$d/plain.torrent" "http://$NET.1:6969/announce")

    host_runs 2 transmission
    host_runs 3 libtorrent
    host_runs 4 libtorrent
    host_runs 5 transmission
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 5 51413 peer_wire transmission
    serves tcp 2 51413 peer_wire transmission
    serves tcp 3 6881 peer_wire libtorrent
    serves tcp 4 6881 peer_wire libtorrent
    expect 6 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'
    expect 4 "BEP 10 extension handshakes" 'bittorrent.msg.type == 20 && bittorrent.extended.id == 0'
    expect 1 "ut_pex messages" 'bittorrent.msg.type == 20 && bittorrent.extended.id != 0'
    expect 6 "HTTP announces" 'http.request.uri contains "/announce"'

    capture_start
    tracker 1 "$hash"
    transmission tr2 2 "$d/plain.torrent" "$seedd" 0
    pause 2
    libtorrent lt3 3 6881 --torrent "$d/plain.torrent" --save "$d/lt3" --enc plain --duration 16
    pause 2
    libtorrent lt4 4 6881 --torrent "$d/plain.torrent" --save "$d/lt4" --enc plain --duration 14
    transmission tr5 5 "$d/plain.torrent" "$d/tr5" 0
    pause 17
    alive tr2 tr5 opentracker
    stop lt3 lt4
    stop tr5 tr2
    sleep 0.5
    stop opentracker
}

# Real non-BitTorrent TCP: HTTP (binary download, gzip body), TLS 1.2, TLS 1.3, HTTPS,
# SSH (scp) and a raw random byte stream; h1 serves, h2 is the client.
scenario_tcp_negative() {
    local d=$WORK/$SCENARIO srv=$NET.1 ssh_opts
    mkdir -p "$d/www" "$d/ssh"
    random_file "$d/www/random.bin" $((1024 * 1024))
    random_file "$d/www/small.bin" $((64 * 1024))
    random_file "$d/ssh/data.bin" $((256 * 1024))
    random_file "$d/raw.bin" $((128 * 1024))
    base64 -w 76 <(head -c 12000 /dev/urandom) >"$d/tls.txt"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=lab.test -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    ssh-keygen -q -t ed25519 -N '' -f "$d/ssh/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$d/ssh/client_key"
    cp "$d/ssh/client_key.pub" "$d/ssh/authorized_keys"
    printf '%s\n' "Port 22" "ListenAddress $srv" "HostKey $d/ssh/host_key" \
        "AuthorizedKeysFile $d/ssh/authorized_keys" "PermitRootLogin prohibit-password" \
        "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" \
        "StrictModes no" "PidFile $d/ssh/sshd.pid" "Subsystem sftp internal-sftp" >"$d/ssh/sshd_config"
    mkdir -p /run/sshd
    ssh_opts=(-F /dev/null -i "$d/ssh/client_key" -o StrictHostKeyChecking=no
              -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes)

    serves tcp 1 8000 not_bittorrent python-http.server curl
    serves tcp 1 8001 not_bittorrent python-gzip-http curl
    serves tcp 1 4433 not_bittorrent openssl-s_server-tls1.2 openssl-s_client
    serves tcp 1 4434 not_bittorrent openssl-s_server-tls1.3 openssl-s_client
    serves tcp 1 8443 not_bittorrent openssl-s_server-www curl
    serves tcp 1 22 not_bittorrent sshd scp
    serves tcp 1 9000 not_bittorrent socat socat
    expect 1 "HTTP gzip body" 'http.content_encoding == "gzip"'
    expect 1 "HTTP binary download" 'http.request.uri == "/random.bin"'
    expect 1 "TLS 1.2 ServerHello" 'tls.handshake.type == 2 && !tls.handshake.extensions.supported_version'
    expect 2 "TLS 1.3 ServerHello" 'tls.handshake.type == 2 && tls.handshake.extensions.supported_version == 0x0304'
    expect 2 "SSH version exchange" 'ssh.protocol'

    start_in "$d/www" http 1 "$PY" -m http.server --bind "$srv" 8000
    start gzip-http 1 "$PY" "$HERE/lab_servers.py" gzip-http "$srv" 8001
    start tls12 1 openssl s_server -accept "$srv:4433" -naccept 1 -tls1_2 -rev \
        -cert "$d/cert.pem" -key "$d/key.pem"
    start tls13 1 openssl s_server -accept "$srv:4434" -naccept 1 -tls1_3 -rev \
        -cert "$d/cert.pem" -key "$d/key.pem"
    start_in "$d/www" https 1 openssl s_server -accept "$srv:8443" -WWW \
        -cert "$d/cert.pem" -key "$d/key.pem"
    start sshd 1 /usr/sbin/sshd -D -e -f "$d/ssh/sshd_config"
    start socat 1 socat -u "TCP-LISTEN:9000,bind=$srv,reuseaddr" "OPEN:$d/raw-received.bin,creat"
    pause 1
    alive http gzip-http tls12 tls13 https sshd socat
    capture_start

    on 2 curl -sS -o "$d/random.got" "http://$srv:8000/random.bin"
    cmp -s "$d/random.got" "$d/www/random.bin" || die "HTTP download differs"
    on 2 curl -sS --compressed -o /dev/null "http://$srv:8001/index.html"
    (cat "$d/tls.txt"; sleep 1) | on 2 openssl s_client -connect "$srv:4433" -tls1_2 \
        -nocommands -no_ign_eof >/dev/null 2>&1 || true
    (cat "$d/tls.txt"; sleep 1) | on 2 openssl s_client -connect "$srv:4434" -tls1_3 \
        -nocommands -no_ign_eof >/dev/null 2>&1 || true
    on 2 curl -sS -k -o "$d/small.got" "https://$srv:8443/small.bin"
    cmp -s "$d/small.got" "$d/www/small.bin" || die "HTTPS download differs"
    on 2 scp -q "${ssh_opts[@]}" "root@$srv:$d/ssh/data.bin" "$d/ssh/data.got"
    cmp -s "$d/ssh/data.got" "$d/ssh/data.bin" || die "scp copy differs"
    on 2 socat -u "OPEN:$d/raw.bin" "TCP:$srv:9000"
    sleep 0.5
    stop http gzip-http tls12 tls13 https sshd socat
}

# A web page carrying a magnet URI (BEP 9) fetched over plain HTTP, next to a page without one.
# The page is not BitTorrent (a magnet link in content is metadata): its label says
# not_bittorrent and keeps the URI's info-hash, which the record must carry.
scenario_http_magnet() {
    local d=$WORK/$SCENARIO srv=$NET.1 hash magnet
    mkdir -p "$d/www"
    random_file "$d/lab-file.bin" $((256 * 1024))
    hash=$(make_torrent "$d/lab-file.bin" "$d/lab.torrent" "http://$NET.1:6969/announce")
    magnet="magnet:?xt=urn:btih:$hash&amp;dn=lab-file.bin&amp;tr=http%3A%2F%2F$NET.1%3A6969%2Fannounce"
    printf '%s\n' '<!doctype html>' '<html><head><title>lab downloads</title></head><body>' \
        '<h1>lab-file.bin</h1>' "<p>256 KiB of random bytes, info-hash $hash.</p>" \
        "<p><a href=\"$magnet\">Download with a BitTorrent client (magnet link)</a></p>" \
        '</body></html>' >"$d/www/magnet.html"
    printf '%s\n' '<!doctype html>' '<html><head><title>lab notes</title></head><body>' \
        '<p>Nothing to download here.</p>' '</body></html>' >"$d/www/plain.html"

    serves tcp 1 8000 not_bittorrent python-http.server curl
    carries tcp 1 8000 magnet "$hash"
    serves tcp 1 8080 not_bittorrent python-http.server curl
    expect 1 "the magnet URI in an HTTP body" "http.file_data contains \"magnet:?xt=urn:btih:$hash\""

    start_in "$d/www" http 1 "$PY" -m http.server --bind "$srv" 8000
    start_in "$d/www" http2 1 "$PY" -m http.server --bind "$srv" 8080
    pause 1
    alive http http2
    capture_start
    on 2 curl -sS -o "$d/magnet.got" "http://$srv:8000/magnet.html"
    grep -q "urn:btih:$hash" "$d/magnet.got" || die "magnet page not fetched"
    on 2 curl -sS -o /dev/null "http://$srv:8080/plain.html"
    stop http http2
}

# Trackerless download by magnet link: the seeder (h2) and a bare DHT node (h3) and the
# downloader (h4) bootstrap their DHTs from each other (BEP 5), the downloader finds the
# seeder with get_peers and fetches the info dictionary with ut_metadata (BEP 9) over TCP.
# uTP is on too, so the DHT sockets also carry uTP when libtorrent picks it.
scenario_dht_magnet() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/get"
    random_file "$d/seed/dht.bin" $((384 * 1024))
    hash=$(make_torrent "$d/seed/dht.bin" "$d/dht.torrent")

    host_runs 2 libtorrent
    host_runs 3 libtorrent
    host_runs 4 libtorrent
    local h
    for h in 2 3 4; do
        serves tcp "$h" 6881 peer_wire libtorrent
        serves udp "$h" 6881 dht+utp libtorrent
    done
    expect 3 "DHT queries" 'bt-dht.bencoded.string == "q"'
    expect 1 "DHT get_peers" 'bt-dht.bencoded.string == "get_peers"'
    expect 1 "DHT announce_peer" 'bt-dht.bencoded.string == "announce_peer"'
    expect 2 "BEP 10 extension handshakes" 'bittorrent.msg.type == 20 && bittorrent.extended.id == 0'

    capture_start
    libtorrent dht3 3 6881 --transports tcp,utp --dht "$NET.2:6881,$NET.4:6881" --save "$d" --duration 30
    libtorrent seed2 2 6881 --transports tcp,utp --dht "$NET.3:6881" \
        --torrent "$d/dht.torrent" --save "$d/seed" --seed --duration 30
    pause 3
    libtorrent get4 4 6881 --transports tcp,utp --dht "$NET.3:6881" \
        --magnet "magnet:?xt=urn:btih:$hash&dn=dht.bin" --save "$d/get" --duration 22 --require-complete
    pause 23
    alive seed2 dht3
    stop get4 seed2 dht3
    cmp -s "$d/get/dht.bin" "$d/seed/dht.bin" || die "magnet download incomplete (see get4 log)"
}

# uTP only (BEP 29): libtorrent with TCP disabled both ways, no tracker, no DHT; two
# leechers connect to the seeder directly and learn about each other by ut_pex.
scenario_utp_only() {
    local d=$WORK/$SCENARIO
    mkdir -p "$d/seed" "$d/get3" "$d/get4"
    random_file "$d/seed/utp.bin" $((384 * 1024))
    make_torrent "$d/seed/utp.bin" "$d/utp.torrent" >/dev/null

    host_runs 2 libtorrent
    host_runs 3 libtorrent
    host_runs 4 libtorrent
    local h
    for h in 2 3 4; do serves udp "$h" 6881 utp libtorrent; done
    expect 2 "uTP SYN" 'bt-utp.type == 4'
    expect 2 "BEP 3 handshakes inside uTP" 'bt-utp && bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    libtorrent seed2 2 6881 --transports utp --torrent "$d/utp.torrent" --save "$d/seed" --seed \
        --upload-limit 60000 --duration 22
    pause 1
    libtorrent get3 3 6881 --transports utp --torrent "$d/utp.torrent" --save "$d/get3" \
        --peer "$NET.2:6881" --duration 18 --require-complete
    pause 1
    libtorrent get4 4 6881 --transports utp --torrent "$d/utp.torrent" --save "$d/get4" \
        --peer "$NET.2:6881" --duration 16 --require-complete
    pause 18
    alive seed2
    stop get3 get4 seed2
    cmp -s "$d/get3/utp.bin" "$d/seed/utp.bin" || die "uTP download incomplete (see get3 log)"
}

# UDP tracker (BEP 15): opentracker on udp://h1:6969, a libtorrent seeder and a libtorrent
# and a transmission leecher announcing there; the peers then talk plaintext TCP.
scenario_udp_tracker() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/get3" "$d/get4"
    random_file "$d/seed/udpt.bin" $((256 * 1024))
    hash=$(make_torrent "$d/seed/udpt.bin" "$d/udpt.torrent" "udp://$NET.1:6969/announce")

    host_runs 2 libtorrent
    host_runs 3 libtorrent
    host_runs 4 transmission
    serves udp 1 6969 udp_tracker opentracker
    serves tcp 2 6881 peer_wire libtorrent
    serves tcp 3 6881 peer_wire libtorrent
    serves tcp 4 51413 peer_wire transmission
    expect 3 "BEP 15 connect requests" 'udp.dstport == 6969 && udp.payload[0:12] == 00:00:04:17:27:10:19:80:00:00:00:00'
    expect 3 "BEP 15 announce requests" 'udp.dstport == 6969 && udp.payload[8:4] == 00:00:00:01'
    expect 2 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    tracker 1 "$hash"
    libtorrent seed2 2 6881 --torrent "$d/udpt.torrent" --save "$d/seed" --seed --duration 16
    pause 1
    libtorrent get3 3 6881 --torrent "$d/udpt.torrent" --save "$d/get3" --duration 13
    transmission tr4 4 "$d/udpt.torrent" "$d/get4" 0
    pause 14
    alive seed2 tr4 opentracker
    stop get3 tr4 seed2
    sleep 0.5
    stop opentracker
}

# Local Service Discovery (BEP 14): libtorrent sessions with LSD on and no tracker or DHT
# find each other by multicast to 239.192.152.143:6771 and then talk plaintext TCP.
scenario_lsd() {
    local d=$WORK/$SCENARIO
    mkdir -p "$d/seed" "$d/get"
    random_file "$d/seed/lsd.bin" $((256 * 1024))
    make_torrent "$d/seed/lsd.bin" "$d/lsd.torrent" >/dev/null

    host_runs 2 libtorrent
    host_runs 3 libtorrent
    serves udp 239.192.152.143 6771 lsd multicast
    serves tcp 2 6881 peer_wire libtorrent
    serves tcp 3 6881 peer_wire libtorrent
    expect 2 "BT-SEARCH announces" 'udp.dstport == 6771 && udp.payload[0:9] == "BT-SEARCH"'
    expect 2 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    libtorrent seed2 2 6881 --lsd --torrent "$d/lsd.torrent" --save "$d/seed" --seed --duration 20
    pause 1
    libtorrent get3 3 6881 --lsd --torrent "$d/lsd.torrent" --save "$d/get" --duration 18 --require-complete
    pause 19
    alive seed2
    stop get3 seed2
    cmp -s "$d/get/lsd.bin" "$d/seed/lsd.bin" || die "LSD download incomplete (see get3 log)"
}

# quic_venv: a virtualenv with aioquic from PyPI (QUIC is not in Debian 12); prints its
# python, or nothing when it cannot be made (no PyPI access).
quic_venv() {
    local venv=${XDG_CACHE_HOME:-$HOME/.cache}/torclass-captures/venv
    if ! [[ -x $venv/bin/python ]] || ! "$venv/bin/python" -c 'import aioquic' 2>/dev/null; then
        rm -rf "$venv"
        if ! { "$PY" -m venv "$venv" && "$venv/bin/pip" install -q aioquic; } >&2; then
            rm -rf "$venv"
            return 0
        fi
    fi
    printf '%s' "$venv/bin/python"
}

# Real non-BitTorrent UDP: DNS (dnsmasq, dig), NTP (chrony server, chronyd -Q and a python
# client on h3), STUN (coturn, turnutils_stunclient) and QUIC (aioquic echo); h1 serves,
# h2 asks.
scenario_udp_negative() {
    local d=$WORK/$SCENARIO srv=$NET.1 qpy t
    mkdir -p "$d"
    qpy=$(quic_venv)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=lab.test -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    printf '%s\n' "local stratum 8" "allow $NET.0/24" "bindaddress $srv" "port 123" "cmdport 0" \
        "pidfile $d/chronyd-server.pid" >"$d/chrony-server.conf"
    printf '%s\n' "server $srv iburst maxsamples 4" "cmdport 0" "pidfile $d/chronyd-client.pid" \
        >"$d/chrony-client.conf"

    serves udp 1 53 not_bittorrent dnsmasq dig
    host_runs 2 chronyd
    host_runs 3 python-ntp-client
    serves udp 1 123 not_bittorrent chronyd
    serves udp 1 3478 not_bittorrent coturn turnutils_stunclient
    expect 4 "DNS answers" 'dns.flags.response == 1 && dns.count.answers > 0'
    expect 4 "NTP server replies" 'ntp.flags.mode == 4'
    expect 1 "STUN binding responses" 'stun.type == 0x0101'
    if [[ -n $qpy ]]; then
        serves udp 1 4443 not_bittorrent aioquic-echo aioquic
        expect 1 "QUIC Initial packets" 'quic.long.packet_type == 0'
    else
        log "udp-negative: no aioquic (PyPI unreachable?), skipping QUIC"
    fi

    start dnsmasq 1 dnsmasq -d -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$srv" --port=53 --pid-file="$d/dnsmasq.pid" \
        --address=/lab.test/$NET.9 --txt-record=lab.test,"capture lab" \
        --mx-host=lab.test,mail.lab.test,10 --host-record=mail.lab.test,$NET.8
    start chronyd 1 chronyd -d -x -f "$d/chrony-server.conf"
    start turnserver 1 turnserver -n --stun-only --no-tls --no-dtls --no-tcp --no-cli \
        --listening-ip="$srv" --listening-port=3478 --log-file=stdout --simple-log
    [[ -z $qpy ]] || start quic 1 "$qpy" "$HERE/quic_echo.py" server "$srv" 4443 "$d/cert.pem" "$d/key.pem"
    sleep 1.5
    alive dnsmasq chronyd turnserver
    [[ -z $qpy ]] || alive quic
    capture_start

    for t in A MX TXT A; do
        on 2 dig +short +tries=1 +time=2 "@$srv" lab.test "$t" >/dev/null
    done
    on 2 dig +short +tries=1 +time=2 "@$srv" mail.lab.test A >/dev/null
    on 2 chronyd -Q -t 10 -f "$d/chrony-client.conf" >"$WORK/logs/chronyd-client.log" 2>&1 ||
        die "chronyd -Q failed: $(cat "$WORK/logs/chronyd-client.log")"
    on 3 "$PY" "$HERE/lab_servers.py" ntp-client "$srv" 3 >/dev/null
    on 2 turnutils_stunclient -p 3478 "$srv" >"$WORK/logs/stunclient.log" 2>&1 ||
        die "turnutils_stunclient failed: $(cat "$WORK/logs/stunclient.log")"
    [[ -z $qpy ]] || on 2 "$qpy" "$HERE/quic_echo.py" client "$srv" 4443 $((32 * 1024)) >/dev/null
    sleep 0.5
    stop quic turnserver chronyd dnsmasq
}

# aria2c LEECHER: NAME HOST TORRENT DIR ARGS...
aria2() {
    local name=$1 host=$2 torrent=$3 dir=$4
    shift 4
    start "$name" "$host" aria2c --dir="$dir" --listen-port=6881 --enable-dht=false \
        --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=true \
        --file-allocation=none --summary-interval=0 --console-log-level=notice \
        --disable-ipv6=true "$@" "$torrent"
}

# MSE/PE (RC4) encrypted peer wire: transmission seeding with encryption required, libtorrent
# with forced RC4, aria2 with --bt-require-crypto, transmission leecher with encryption
# required; HTTP tracker in the clear.
scenario_tcp_encrypted() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/lt3" "$d/a4" "$d/tr5"
    random_file "$d/seed/enc.bin" $((384 * 1024))
    hash=$(make_torrent "$d/seed/enc.bin" "$d/enc.torrent" "http://$NET.1:6969/announce")

    host_runs 2 transmission
    host_runs 3 libtorrent
    host_runs 4 aria2
    host_runs 5 transmission
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 51413 peer_wire_encrypted transmission
    serves tcp 3 6881 peer_wire_encrypted libtorrent
    serves tcp 4 6881 peer_wire_encrypted aria2
    serves tcp 5 51413 peer_wire_encrypted transmission
    forbid "plaintext BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'
    expect 4 "HTTP announces" 'http.request.uri contains "/announce"'
    expect 1 "announces with crypto support flags" 'http.request.uri contains "requirecrypto=1" || http.request.uri contains "supportcrypto=1"'

    capture_start
    tracker 1 "$hash"
    transmission tr2 2 "$d/enc.torrent" "$d/seed" 2
    pause 2
    libtorrent lt3 3 6881 --torrent "$d/enc.torrent" --save "$d/lt3" --enc rc4 --duration 18
    pause 1
    aria2 a4 4 "$d/enc.torrent" "$d/a4" --bt-require-crypto=true --bt-min-crypto-level=arc4 \
        --seed-time=0.25
    transmission tr5 5 "$d/enc.torrent" "$d/tr5" 2
    pause 18
    alive tr2 tr5 opentracker
    stop lt3 a4 tr5 tr2
    sleep 0.5
    stop opentracker
    cmp -s "$d/lt3/enc.bin" "$d/seed/enc.bin" || die "libtorrent download incomplete (see lt3 log)"
    cmp -s "$d/a4/enc.bin" "$d/seed/enc.bin" || die "aria2 download incomplete (see a4 log)"
}

# --- more clients ------------------------------------------------------------------------

# qbittorrent NAME HOST TORRENT|MAGNET SAVEDIR [SETTING=VALUE...]: qbittorrent-nox 4.5 with a
# fresh profile; SETTINGs override keys of the [BitTorrent] section (Session\KEY), or of the
# [Network] section when written `Network:KEY=VALUE` (e.g. `Network:Proxy\Type=SOCKS5`). It
# seeds (skipping the hash check) when SAVEDIR already holds files.
qbittorrent() {
    local name=$1 host=$2 what=$3 save=$4
    shift 4
    local prof=$WORK/$SCENARIO/$name.profile kv skip=() network=()
    local -A set=([Port]=6881 [InterfaceAddress]="$(addr_of "$host")" [Interface]=eth0
        [InterfaceName]=eth0 [DHTEnabled]=false [LSDEnabled]=false [PeXEnabled]=true
        [Encryption]=2 [BTProtocol]=TCP [GlobalUPSpeedLimit]=64 [IgnoreLimitsOnLAN]=false
        [QueueingSystemEnabled]=false [AddTorrentPaused]=false [DefaultSavePath]="$save")
    for kv in "$@"; do
        case $kv in
            Network:*) network+=("${kv#Network:}") ;;
            *) set[${kv%%=*}]=${kv#*=} ;;
        esac
    done
    mkdir -p "$prof/qBittorrent/config" "$save"
    [[ -z $(ls -A "$save") ]] || skip=(--skip-hash-check)
    {
        printf '%s\n' '[LegalNotice]' 'Accepted=true' '' '[BitTorrent]'
        for kv in "${!set[@]}"; do printf 'Session\\%s=%s\n' "$kv" "${set[$kv]}"; done
        printf '%s\n' '' '[Preferences]' 'WebUI\Address=127.0.0.1' 'WebUI\Port=8080' \
            'WebUI\LocalHostAuth=false' 'Connection\UPnP=false' 'General\Locale=en'
        ((${#network[@]} == 0)) || printf '%s\n' '' '[Network]' "${network[@]}"
    } >"$prof/qBittorrent/config/qBittorrent.conf"
    start "$name" "$host" qbittorrent-nox --profile="$prof" --save-path="$save" \
        "${skip[@]}" --add-paused=false "$what"
}

# deluge NAME HOST TORRENT|MAGNET SAVEDIR [JSON-OVERRIDES]: deluged 2.0 (libtorrent 2.0.8)
# with a fresh config, the torrent added with deluge-console over loopback.
deluge() {
    local name=$1 host=$2 what=$3 save=$4 over=${5:-'{}'}
    local conf=$WORK/$SCENARIO/$name
    mkdir -p "$conf" "$save"
    printf '{"file": 1, "format": 1}' >"$conf/core.conf"
    jq -n --arg ip "$(addr_of "$host")" --arg dl "$save" --argjson over "$over" '{
        "listen_interface": $ip, "listen_ports": [6881, 6881], "random_port": false,
        "listen_random_port": null, "outgoing_interface": "", "random_outgoing_ports": true,
        "dht": false, "lsd": false, "upnp": false, "natpmp": false, "utpex": true,
        "enc_in_policy": 2, "enc_out_policy": 2, "enc_level": 0,
        "ignore_limits_on_local_network": false, "max_upload_speed": 64.0,
        "download_location": $dl, "torrentfiles_location": $dl, "move_completed_path": $dl,
        "new_release_check": false, "send_info": false, "allow_remote": false,
        "daemon_port": 58846
    } + $over' >>"$conf/core.conf"
    start "$name" "$host" deluged -d -c "$conf" -u 127.0.0.1 -L info
    wait_for 15 nsx "$(hns "$host")" deluge-console -c "$conf" info ||
        { alive "$name"; die "$name: daemon did not come up"; }
    nsx "$(hns "$host")" deluge-console -c "$conf" "add -p $save $what" >>"$WORK/logs/$name.log" 2>&1 ||
        die "$name: deluge-console could not add $what"
}

# rtorrent NAME HOST TORRENT|MAGNET DIR [RC-LINE...]: rtorrent 0.9.8 (libtorrent 0.13, no uTP,
# no LSD) in daemon mode, plaintext only outgoing (with try_outgoing it opens every connection
# with an MSE handshake, then retries in plaintext), no DHT, PEX on; RC-LINEs override.
rtorrent() {
    local name=$1 host=$2 what=$3 dir=$4
    shift 4
    local conf=$WORK/$SCENARIO/$name
    mkdir -p "$conf/session" "$dir"
    printf '%s\n' 'system.daemon.set = true' "session.path.set = $conf/session" \
        "directory.default.set = $dir" 'network.port_range.set = 6881-6881' \
        'network.port_random.set = no' "network.bind_address.set = $(addr_of "$host")" \
        'dht.mode.set = disable' 'protocol.pex.set = yes' 'trackers.use_udp.set = yes' \
        'protocol.encryption.set = allow_incoming' \
        'throttle.global_up.max_rate.set_kb = 64' "$@" "load.start = \"$what\"" >"$conf/rtorrent.rc"
    start "$name" "$host" rtorrent -n -o "import=$conf/rtorrent.rc"
}

# ctorrent NAME HOST TORRENT SAVEFILE [ARGS...]: Enhanced CTorrent 3.3.2 (HTTP trackers only,
# no encryption, DHT, uTP or PEX).
ctorrent() {
    local name=$1 host=$2 torrent=$3 save=$4
    shift 4
    start "$name" "$host" ctorrent -i "$(addr_of "$host")" -p 6881 -s "$save" -e 1 -U 64 \
        "$@" "$torrent" </dev/null
}

# transmission_cli NAME HOST TORRENT DIR ENC(-er|-ep|-et): the transmission-cli 3.00 client.
transmission_cli() {
    local name=$1 host=$2 torrent=$3 dir=$4 enc=$5
    local conf=$WORK/$SCENARIO/$name
    mkdir -p "$conf" "$dir"
    jq -n --arg ip "$(addr_of "$host")" '{"bind-address-ipv4": $ip, "bind-address-ipv6": "::1",
        "dht-enabled": false, "lpd-enabled": false, "utp-enabled": false, "pex-enabled": true,
        "port-forwarding-enabled": false, "speed-limit-up": 64, "speed-limit-up-enabled": true,
        "ratio-limit-enabled": false}' >"$conf/settings.json"
    start "$name" "$host" transmission-cli -g "$conf" -w "$dir" -p 51413 "$enc" -M "$torrent" </dev/null
}

# Plaintext peer wire among the other Debian clients: qBittorrent seeds, deluge, rtorrent,
# ctorrent and transmission-cli leech; HTTP tracker; qBittorrent and deluge (libtorrent)
# send ut_pex to each other and the rest (PEX among five peers).
scenario_clients_plain() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed"
    random_file "$d/seed/cplain.bin" $((384 * 1024))
    hash=$(make_torrent "$d/seed/cplain.bin" "$d/cplain.torrent" "http://$NET.1:6969/announce")

    host_runs 2 qbittorrent
    host_runs 3 deluge
    host_runs 4 rtorrent
    host_runs 5 ctorrent
    host_runs 6 transmission-cli
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire qbittorrent
    serves tcp 3 6881 peer_wire deluge
    serves udp 3 6881 utp deluge
    serves tcp 4 6881 peer_wire rtorrent
    serves udp 4 6881 utp rtorrent
    serves tcp 5 6881 peer_wire ctorrent
    serves udp 5 6881 utp ctorrent
    serves tcp 6 51413 peer_wire transmission-cli
    serves udp 6 51413 utp transmission-cli
    ssdp_noise
    expect 8 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'
    expect 1 "ut_pex messages" 'bittorrent.msg.type == 20 && bittorrent.extended.id != 0'
    expect 5 "HTTP announces" 'http.request.uri contains "/announce"'

    capture_start
    tracker 1 "$hash"
    qbittorrent qb2 2 "$d/cplain.torrent" "$d/seed"
    pause 3
    deluge de3 3 "$d/cplain.torrent" "$d/de3"
    rtorrent rt4 4 "$d/cplain.torrent" "$d/rt4"
    ctorrent ct5 5 "$d/cplain.torrent" "$d/ct5/cplain.bin"
    transmission_cli tc6 6 "$d/cplain.torrent" "$d/tc6" -et
    pause 25
    alive qb2 de3 rt4 ct5 tc6 opentracker
    stop de3 rt4 ct5 tc6 qb2
    sleep 0.5
    stop opentracker
}

# ssdp_noise: libtorrent inside deluged sends a few UPnP SSDP M-SEARCHes before deluge applies
# "upnp": false; real non-BitTorrent multicast.
ssdp_noise() { serves udp 239.255.255.250 1900 not_bittorrent ssdp-multicast; }

# MSE/PE (RC4) required by every client: qBittorrent seeds (Encryption=1, require), deluge
# (forced, RC4), rtorrent (require, require_RC4), transmission-cli (-er) and aria2 leech.
scenario_clients_encrypted() {
    local d=$WORK/$SCENARIO hash h
    mkdir -p "$d/seed"
    random_file "$d/seed/cenc.bin" $((384 * 1024))
    hash=$(make_torrent "$d/seed/cenc.bin" "$d/cenc.torrent" "http://$NET.1:6969/announce")

    host_runs 2 qbittorrent
    host_runs 3 deluge
    host_runs 4 rtorrent
    host_runs 5 transmission-cli
    host_runs 6 aria2
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire_encrypted qbittorrent
    serves tcp 3 6881 peer_wire_encrypted deluge
    serves tcp 4 6881 peer_wire_encrypted rtorrent
    serves tcp 5 51413 peer_wire_encrypted transmission-cli
    serves tcp 6 6881 peer_wire_encrypted aria2
    for h in 2 3 4 6; do serves udp "$h" 6881 utp "$(jq -r --arg ip "$NET.$h" 'select(.kind=="host" and .ip==$ip).program' "$RULES")"; done
    serves udp 5 51413 utp transmission-cli
    ssdp_noise
    forbid "plaintext BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'
    expect 5 "HTTP announces" 'http.request.uri contains "/announce"'

    capture_start
    tracker 1 "$hash"
    qbittorrent qb2 2 "$d/cenc.torrent" "$d/seed" 'Encryption=1'
    pause 3
    deluge de3 3 "$d/cenc.torrent" "$d/de3" '{"enc_in_policy": 0, "enc_out_policy": 0, "enc_level": 1}'
    rtorrent rt4 4 "$d/cenc.torrent" "$d/rt4" \
        'protocol.encryption.set = allow_incoming,try_outgoing,require,require_RC4'
    transmission_cli tc5 5 "$d/cenc.torrent" "$d/tc5" -er
    aria2 a6 6 "$d/cenc.torrent" "$d/a6" --bt-require-crypto=true --bt-min-crypto-level=arc4 \
        --seed-time=0.3
    pause 24
    alive qb2 de3 rt4 tc5 opentracker
    stop de3 rt4 tc5 a6 qb2
    sleep 0.5
    stop opentracker
}

# uTP (BEP 29) between different implementations: transmission-daemon seeds with uTP on,
# qBittorrent with uTP only (BTProtocol=UTP), deluge (TCP and uTP, libtorrent picks uTP for
# outgoing connections) and libtorrent with uTP only; HTTP tracker.
scenario_clients_utp() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/lt5"
    random_file "$d/seed/cutp.bin" $((384 * 1024))
    hash=$(make_torrent "$d/seed/cutp.bin" "$d/cutp.torrent" "http://$NET.1:6969/announce")

    host_runs 2 transmission
    host_runs 3 qbittorrent
    host_runs 4 deluge
    host_runs 5 libtorrent
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 51413 peer_wire transmission
    serves udp 2 51413 utp transmission
    serves tcp 3 6881 peer_wire qbittorrent
    serves udp 3 6881 utp qbittorrent
    serves tcp 4 6881 peer_wire deluge
    serves udp 4 6881 utp deluge
    serves tcp 5 6881 peer_wire libtorrent
    serves udp 5 6881 utp libtorrent
    ssdp_noise
    expect 3 "uTP SYN" 'bt-utp.type == 4'
    expect 3 "BEP 3 handshakes inside uTP" 'bt-utp && bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    tracker 1 "$hash"
    transmission tr2 2 "$d/cutp.torrent" "$d/seed" 1 true
    pause 2
    qbittorrent qb3 3 "$d/cutp.torrent" "$d/qb3" 'BTProtocol=UTP' 'Encryption=0'
    deluge de4 4 "$d/cutp.torrent" "$d/de4" '{"enc_in_policy": 1, "enc_out_policy": 1, "enc_level": 2}'
    libtorrent lt5 5 6881 --transports utp --torrent "$d/cutp.torrent" --save "$d/lt5" --duration 22
    pause 23
    alive tr2 qb3 de4 opentracker
    stop qb3 de4 lt5 tr2
    sleep 0.5
    stop opentracker
}

# UDP tracker (BEP 15) used by the other clients: qBittorrent seeds, deluge, rtorrent and
# transmission-cli leech; the tracker URL is udp:// only.
scenario_clients_udp_tracker() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed"
    random_file "$d/seed/cudpt.bin" $((256 * 1024))
    hash=$(make_torrent "$d/seed/cudpt.bin" "$d/cudpt.torrent" "udp://$NET.1:6969/announce")

    host_runs 2 qbittorrent
    host_runs 3 deluge
    host_runs 4 rtorrent
    host_runs 5 transmission-cli
    serves udp 1 6969 udp_tracker opentracker
    serves tcp 2 6881 peer_wire qbittorrent
    serves udp 2 6881 utp qbittorrent
    serves tcp 3 6881 peer_wire deluge
    serves udp 3 6881 utp deluge
    serves tcp 4 6881 peer_wire rtorrent
    serves udp 4 6881 utp rtorrent
    serves tcp 5 51413 peer_wire transmission-cli
    serves udp 5 51413 utp transmission-cli
    ssdp_noise
    expect 4 "BEP 15 connect requests" 'udp.dstport == 6969 && udp.payload[0:12] == 00:00:04:17:27:10:19:80:00:00:00:00'
    expect 4 "BEP 15 announce requests" 'udp.dstport == 6969 && udp.payload[8:4] == 00:00:00:01'

    capture_start
    tracker 1 "$hash"
    qbittorrent qb2 2 "$d/cudpt.torrent" "$d/seed"
    pause 2
    deluge de3 3 "$d/cudpt.torrent" "$d/de3"
    rtorrent rt4 4 "$d/cudpt.torrent" "$d/rt4"
    transmission_cli tc5 5 "$d/cudpt.torrent" "$d/tc5" -et
    pause 18
    alive qb2 de3 rt4 tc5 opentracker
    stop de3 rt4 tc5 qb2
    sleep 0.5
    stop opentracker
}

# Trackerless magnet downloads over the DHT (BEP 5, BEP 9) by other implementations: a
# libtorrent seeder with the DHT, transmission-daemon (bootstrapping from its dht.bootstrap
# file) and rtorrent (dht.add_node) downloading from the magnet link only.
scenario_clients_dht() {
    local d=$WORK/$SCENARIO hash magnet
    mkdir -p "$d/seed" "$d/tr3"
    random_file "$d/seed/cdht.bin" $((256 * 1024))
    hash=$(make_torrent "$d/seed/cdht.bin" "$d/cdht.torrent")
    magnet="magnet:?xt=urn:btih:$hash&dn=cdht.bin"

    host_runs 2 libtorrent
    host_runs 3 transmission
    host_runs 4 rtorrent
    serves tcp 2 6881 peer_wire libtorrent
    serves udp 2 6881 dht+utp libtorrent
    serves tcp 3 51413 peer_wire transmission
    serves udp 3 51413 dht+utp transmission
    serves tcp 4 6881 peer_wire rtorrent
    serves udp 4 6881 dht+utp rtorrent   # libtorrent tries uTP to rtorrent's DHT port
    expect 3 "DHT queries" 'bt-dht.bencoded.string == "q"'
    expect 1 "DHT get_peers" 'bt-dht.bencoded.string == "get_peers"'
    expect 1 "BEP 9 ut_metadata" 'bittorrent.msg.type == 20 && bittorrent.extended.id != 0'

    mkdir -p "$d/tr3c"
    printf '%s 6881\n' "$NET.2" >"$d/tr3c/dht.bootstrap"
    capture_start
    libtorrent seed2 2 6881 --transports tcp,utp --dht "$NET.3:51413,$NET.4:6881" \
        --torrent "$d/cdht.torrent" --save "$d/seed" --seed --duration 32
    pause 2
    transmission_dht tr3 3 "$magnet" "$d/tr3" "$d/tr3c"
    rtorrent rt4 4 "$magnet" "$d/rt4" 'dht.mode.set = on' 'dht.port.set = 6881' \
        "schedule2 = dht_node, 1, 0, \"dht.add_node=$NET.2:6881\""
    pause 28
    alive seed2 tr3 rt4
    stop tr3 rt4 seed2
}

# transmission_dht NAME HOST MAGNET DATADIR CONFDIR: transmission-daemon with the DHT and uTP on,
# bootstrapping from CONFDIR/dht.bootstrap, adding MAGNET.
transmission_dht() {
    local name=$1 host=$2 magnet=$3 data=$4 conf=$5
    mkdir -p "$conf" "$data"
    jq -n --arg ip "$NET.$host" --arg dl "$data" '{
        "bind-address-ipv4": $ip, "bind-address-ipv6": "::1", "peer-port": 51413,
        "peer-port-random-on-start": false, "port-forwarding-enabled": false,
        "encryption": 0, "utp-enabled": true, "dht-enabled": true, "lpd-enabled": false,
        "pex-enabled": true, "download-dir": $dl, "incomplete-dir-enabled": false,
        "rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": 9091,
        "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
        "rpc-host-whitelist-enabled": false, "blocklist-enabled": false,
        "start-added-torrents": true, "message-level": 2, "ratio-limit-enabled": false
    }' >"$conf/settings.json"
    start "$name" "$host" transmission-daemon -f -g "$conf"
    wait_for 15 nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -l ||
        { alive "$name"; die "$name: RPC did not come up"; }
    nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -w "$data" -a "$magnet" >/dev/null
}

# Local Service Discovery (BEP 14) between implementations: qBittorrent seeds, transmission
# (lpd-enabled) and deluge leech; no tracker, no DHT.
scenario_clients_lsd() {
    local d=$WORK/$SCENARIO
    mkdir -p "$d/seed"
    random_file "$d/seed/clsd.bin" $((256 * 1024))
    make_torrent "$d/seed/clsd.bin" "$d/clsd.torrent" >/dev/null

    host_runs 2 qbittorrent
    host_runs 3 transmission
    host_runs 4 deluge
    serves udp 239.192.152.143 6771 lsd multicast
    serves tcp 2 6881 peer_wire qbittorrent
    serves udp 2 6881 utp qbittorrent
    serves tcp 3 51413 peer_wire transmission
    serves udp 3 51413 utp transmission
    serves tcp 4 6881 peer_wire deluge
    serves udp 4 6881 utp deluge
    ssdp_noise
    expect 3 "BT-SEARCH announces" 'udp.dstport == 6771 && udp.payload[0:9] == "BT-SEARCH"'
    expect 2 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    qbittorrent qb2 2 "$d/clsd.torrent" "$d/seed" 'LSDEnabled=true'
    pause 3
    transmission_lpd tr3 3 "$d/clsd.torrent" "$d/tr3"
    deluge de4 4 "$d/clsd.torrent" "$d/de4" '{"lsd": true}'
    pause 20
    alive qb2 tr3 de4
    stop tr3 de4 qb2
}

# transmission_lpd NAME HOST TORRENT DATADIR: transmission-daemon with Local Peer Discovery.
transmission_lpd() {
    local name=$1 host=$2 torrent=$3 data=$4 conf=$WORK/$SCENARIO/$1
    mkdir -p "$conf" "$data"
    jq -n --arg ip "$NET.$host" --arg dl "$data" '{
        "bind-address-ipv4": $ip, "bind-address-ipv6": "::1", "peer-port": 51413,
        "peer-port-random-on-start": false, "port-forwarding-enabled": false,
        "encryption": 0, "utp-enabled": false, "dht-enabled": false, "lpd-enabled": true,
        "pex-enabled": true, "download-dir": $dl, "incomplete-dir-enabled": false,
        "rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": 9091,
        "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
        "rpc-host-whitelist-enabled": false, "blocklist-enabled": false,
        "start-added-torrents": true, "message-level": 2, "ratio-limit-enabled": false
    }' >"$conf/settings.json"
    start "$name" "$host" transmission-daemon -f -g "$conf"
    wait_for 15 nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -l ||
        { alive "$name"; die "$name: RPC did not come up"; }
    nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -w "$data" -a "$torrent" >/dev/null
}

# BitTorrent v2 (BEP 52) and hybrid torrents: a v2-only torrent seeded by libtorrent (h2) and
# fetched by qBittorrent (h3); a hybrid v1+v2 torrent seeded by libtorrent (h5) and fetched
# by deluge (h4; deluge 2.0.3 cannot add a v2-only torrent) and transmission 3.00 (h6, which
# reads only the v1 part). opentracker whitelists the v1 and the
# truncated v2 info-hashes.
scenario_bt_v2() {
    local d=$WORK/$SCENARIO v2 hy
    mkdir -p "$d/seed2" "$d/seed5"
    random_file "$d/seed2/v2only.bin" $((256 * 1024))
    random_file "$d/seed5/hybrid.bin" $((256 * 1024))
    v2=$("$PY" "$HERE/lt_client.py" mktorrent --data "$d/seed2/v2only.bin" --out "$d/v2only.torrent" \
        --tracker "http://$NET.1:6969/announce" --version v2 --all-hashes)
    hy=$("$PY" "$HERE/lt_client.py" mktorrent --data "$d/seed5/hybrid.bin" --out "$d/hybrid.torrent" \
        --tracker "http://$NET.1:6969/announce" --version hybrid --all-hashes)

    host_runs 2 libtorrent
    host_runs 3 qbittorrent
    host_runs 4 deluge
    host_runs 5 libtorrent
    host_runs 6 libtorrent
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire libtorrent
    serves tcp 3 6881 peer_wire qbittorrent
    serves udp 3 6881 utp qbittorrent
    serves tcp 4 6881 peer_wire deluge
    serves udp 4 6881 utp deluge
    serves tcp 5 6881 peer_wire libtorrent
    serves tcp 6 6881 peer_wire libtorrent
    ssdp_noise
    expect 3 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'
    expect 2 "handshakes carrying the truncated v2 info-hash" \
        "bittorrent.info_hash == $(sed 's/../&:/g; s/:$//' <<<"$v2")"
    # libtorrent peers that both read v2 handshake on a hybrid torrent with its v2 hash too
    expect 2 "handshakes carrying one of the hybrid torrent's info-hashes" \
        "bittorrent.info_hash == $(sed 's/../&:/g; s/:$//' <<<"${hy%% *}") || bittorrent.info_hash == $(sed 's/../&:/g; s/:$//' <<<"${hy##* }")"

    capture_start
    # shellcheck disable=SC2086 # word splitting wanted: one whitelist line per hash
    tracker 1 $v2 $hy
    libtorrent seed2 2 6881 --torrent "$d/v2only.torrent" --save "$d/seed2" --seed --duration 40
    libtorrent seed5 5 6881 --torrent "$d/hybrid.torrent" --save "$d/seed5" --seed --duration 40
    pause 2
    qbittorrent qb3 3 "$d/v2only.torrent" "$d/qb3"
    deluge de4 4 "$d/hybrid.torrent" "$d/de4"
    libtorrent lt6 6 6881 --torrent "$d/hybrid.torrent" --save "$d/lt6" --duration 22
    pause 22
    alive seed2 seed5 qb3 de4 opentracker
    stop qb3 de4 lt6 seed2 seed5
    sleep 0.5
    stop opentracker
}

# fixed_file PATH BYTES SEED: pseudo-random bytes that are the same in every run (AES-128-CTR
# of zeros under a key made from SEED), so a torrent of them has the same info-hash.
fixed_file() {
    head -c "$2" /dev/zero |
        openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' "$3")" -iv "$(printf '%032x' 0)" >"$1"
}

# SSL torrents (libtorrent manual, "SSL torrents"): the info dict carries the root certificate
# (`ssl-cert`), every peer has a certificate signed by it, and the peer wire runs inside TLS
# with the info-hash in hex as the SNI. libtorrent listens for them on its `s` ports (6882s:
# SSL over TCP and over uTP). h2 seeds a v1 SSL torrent to h3 (TCP only) and h4 (uTP only);
# h5 seeds a hybrid and h1 a v2-only SSL torrent to h6 (TCP, two sessions). No tracker, DHT,
# LSD or PEX: the leechers connect_peer to the seeders' SSL ports. Certificates (Ed25519,
# fixed seeds) and data are the same in every run, so are the info-hashes and SNIs.
# ssl_torrent_setup makes them (into the caller's locals d, v1, hy, v2).
ssl_torrent_setup() {
    mkdir -p "$d/pki" "$d/seed1" "$d/seed2" "$d/seed5" "$d/get3" "$d/get4" "$d/get6h" "$d/get6v"
    "$PY" "$HERE/lt_client.py" sslcerts --out "$d/pki" --name ssl.bin --peers 6
    openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$d/pki/dh.pem"
    fixed_file "$d/seed2/ssl.bin" $((192 * 1024)) 1
    fixed_file "$d/seed5/ssl.bin" $((96 * 1024)) 2
    fixed_file "$d/seed1/ssl.bin" $((96 * 1024)) 3
    v1=$("$PY" "$HERE/lt_client.py" mktorrent --data "$d/seed2/ssl.bin" --out "$d/v1.torrent" \
        --root-cert "$d/pki/ca.pem")
    hy=$("$PY" "$HERE/lt_client.py" mktorrent --data "$d/seed5/ssl.bin" --out "$d/hybrid.torrent" \
        --root-cert "$d/pki/ca.pem" --version hybrid --all-hashes)
    v2=$("$PY" "$HERE/lt_client.py" mktorrent --data "$d/seed1/ssl.bin" --out "$d/v2.torrent" \
        --root-cert "$d/pki/ca.pem" --version v2)
    log "SSL torrents: v1 $v1, hybrid $hy, v2 $v2"
}

ssl_of() { printf '%s' "$d/pki/peer$1.pem,$d/pki/peer$1.key,$d/pki/dh.pem"; }

scenario_ssl_torrent() {
    local d=$WORK/$SCENARIO v1 hy v2 h
    ssl_torrent_setup
    for h in 1 2 3 4 5 6; do host_runs "$h" libtorrent; done
    serves tcp 2 6882 peer_wire_encrypted libtorrent-ssl
    serves udp 2 6882 utp libtorrent-ssl
    serves tcp 5 6882 peer_wire_encrypted libtorrent-ssl
    serves tcp 1 6882 peer_wire_encrypted libtorrent-ssl
    note tcp 2 6882 "SSL torrent v1 over TCP: TLS, SNI $v1"
    note udp 2 6882 "SSL torrent v1 over uTP: TLS in uTP DATA, SNI $v1"
    note tcp 5 6882 "SSL torrent hybrid over TCP: TLS, info-hashes $hy"
    note tcp 1 6882 "SSL torrent v2-only over TCP: TLS, info-hash $v2"
    # tshark calls TCP 6881-6889 BitTorrent and knows no TLS inside uTP, so these look at the
    # bytes: a TLS record header (TCP payload, or uTP DATA payload after its 20-byte header)
    # and the info-hash in hex (only the ClientHello's SNI carries it in clear).
    local hello='(tcp.payload[0:3] == 16:03:01 || udp.payload[20:3] == 16:03:01)'
    expect 2 "ClientHellos with the v1 info-hash as SNI (TCP and uTP)" "$hello && frame contains \"$v1\""
    expect 1 "ClientHello of the hybrid torrent with its v1 info-hash as SNI" \
        "$hello && frame contains \"${hy%% *}\""
    expect 1 "ClientHello of the v2 torrent with its truncated v2 info-hash as SNI" \
        "$hello && frame contains \"$v2\""
    forbid "plaintext BEP 3 handshake" 'frame contains "BitTorrent protocol"'

    capture_start
    libtorrent seed2 2 6882s --transports tcp,utp --torrent "$d/v1.torrent" --save "$d/seed2" \
        --seed --no-pex --ssl-cert "$(ssl_of 2)" --upload-limit 200000 --duration 20
    libtorrent seed5 5 6882s --transports tcp --torrent "$d/hybrid.torrent" --save "$d/seed5" \
        --seed --no-pex --ssl-cert "$(ssl_of 5)" --duration 20
    libtorrent seed1 1 6882s --transports tcp --torrent "$d/v2.torrent" --save "$d/seed1" \
        --seed --no-pex --ssl-cert "$(ssl_of 1)" --duration 20
    pause 2
    libtorrent get3 3 6882s --transports tcp --torrent "$d/v1.torrent" --save "$d/get3" \
        --no-pex --ssl-cert "$(ssl_of 3)" --peer "$NET.2:6882" --duration 14 --require-complete
    libtorrent get4 4 6882s --transports utp --torrent "$d/v1.torrent" --save "$d/get4" \
        --no-pex --ssl-cert "$(ssl_of 4)" --peer "$NET.2:6882" --duration 14 --require-complete
    libtorrent get6h 6 6882s --transports tcp --torrent "$d/hybrid.torrent" --save "$d/get6h" \
        --no-pex --ssl-cert "$(ssl_of 6)" --peer "$NET.5:6882" --duration 14 --require-complete
    libtorrent get6v 6 6883s --transports tcp --torrent "$d/v2.torrent" --save "$d/get6v" \
        --no-pex --ssl-cert "$(ssl_of 6)" --peer "$NET.1:6882" --duration 14 --require-complete
    pause 15
    alive seed2 seed5 seed1
    stop get3 get4 get6h get6v seed2 seed5 seed1
    cmp -s "$d/get3/ssl.bin" "$d/seed2/ssl.bin" || die "SSL download over TCP incomplete (see get3 log)"
    cmp -s "$d/get4/ssl.bin" "$d/seed2/ssl.bin" || die "SSL download over uTP incomplete (see get4 log)"
    cmp -s "$d/get6h/ssl.bin" "$d/seed5/ssl.bin" || die "hybrid SSL download incomplete (see get6h log)"
    cmp -s "$d/get6v/ssl.bin" "$d/seed1/ssl.bin" || die "v2 SSL download incomplete (see get6v log)"
}

# Matrix only (a known miss, README "SSL torrents"): libtorrent's server reads only the SNI's
# first 40 characters, as hex of either case, so a modified client can send SNIs that stock
# libtorrent never does. h1 plays one with openssl s_client (a peer certificate, a BEP 3
# handshake) against a v1 seeder on h5 (6884s, 6885s), with the info-hash in upper case
# (TLS 1.3) and followed by .example.com (TLS 1.2), and gets the seeder's handshake back.
# torclass does not confirm these forms: other TLS clients may send them (their benign twins
# are in negative-tls-sni).
scenario_ssl_torrent_modified() {
    local d=$WORK/$SCENARIO v1 hy v2 h port sni version
    ssl_torrent_setup
    for h in 1 5; do host_runs "$h" libtorrent; done
    serves tcp 5 6884 peer_wire_encrypted libtorrent-ssl openssl-s_client-bt
    serves tcp 5 6885 peer_wire_encrypted libtorrent-ssl openssl-s_client-bt
    note tcp 5 6884 "SSL torrent v1, modified client: SNI ${v1^^} (upper case), TLS 1.3"
    note tcp 5 6885 "SSL torrent v1, modified client: SNI $v1.example.com, TLS 1.2"
    local hello='tcp.payload[0:3] == 16:03:01'
    expect 1 "ClientHello with the v1 info-hash in upper case as SNI" \
        "$hello && frame contains \"${v1^^}\""
    expect 1 "ClientHello with the v1 info-hash then .example.com as SNI" \
        "$hello && frame contains \"$v1.example.com\""
    "$PY" -c 'import sys; sys.stdout.buffer.write(b"\x13BitTorrent protocol" + bytes(8) +
        bytes.fromhex(sys.argv[1]) + b"-OS0300-" + b"0" * 12)' "$v1" >"$d/handshake.bin"

    capture_start
    libtorrent seed5e 5 6884s --listen-extra "$NET.5:6885s" --transports tcp \
        --torrent "$d/v1.torrent" --save "$d/seed2" --seed --no-pex --ssl-cert "$(ssl_of 5)" \
        --duration 12
    pause 2
    for port in 6884 6885; do
        sni=${v1^^} version=-tls1_3
        [[ $port == 6884 ]] || sni=$v1.example.com version=-tls1_2
        (cat "$d/handshake.bin"; sleep 1.5) | on 1 openssl s_client -connect "$NET.5:$port" \
            "$version" -servername "$sni" -cert "$d/pki/peer1.pem" -key "$d/pki/peer1.key" \
            -CAfile "$d/pki/ca.pem" -nocommands -no_ign_eof >"$d/evade$port.out" 2>&1 || true
        grep -aq 'BitTorrent protocol' "$d/evade$port.out" ||
            die "the seeder did not answer SNI $sni (see $d/evade$port.out)"
    done
    pause 2
    alive seed5e
    stop seed5e
}

# Benign twins of the SSL-torrent SNI (ssl-torrent): TLS over TCP between openssl s_client or
# curl (h2) and openssl s_server (h1), one server port per case, with a normal SNI, without
# SNI, and with SNIs that look like an info-hash but are not one: 40 hex digits inside a
# domain name, 39 and 41 hex digits, 40 upper-case hex digits (libtorrent writes lower case).
# The hex digits are SHA-1("torclass tls sni twin"), the same in every run.
scenario_negative_tls_sni() {
    local d=$WORK/$SCENARIO srv=$NET.1 hex up port
    mkdir -p "$d/www"
    hex=$(printf 'torclass tls sni twin' | sha1sum | cut -c1-40)
    up=${hex^^}
    random_file "$d/www/small.bin" $((16 * 1024))
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=lab.test -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    # PORT TLS-VERSION SNI|- (no SNI) NOTE, one line a case for s_client
    local -a cases=(
        "4431 -tls1_3 lab.test SNI lab.test, TLS 1.3"
        "4432 -tls1_2 lab.test SNI lab.test, TLS 1.2"
        "4433 -tls1_3 - no SNI, TLS 1.3"
        "4434 -tls1_3 $hex.example.com SNI 40 hex digits then .example.com, TLS 1.3"
        "4435 -tls1_3 ${hex:0:39} SNI 39 hex digits, TLS 1.3"
        "4436 -tls1_3 ${hex}a SNI 41 hex digits, TLS 1.3"
        "4437 -tls1_3 $up SNI 40 upper-case hex digits, TLS 1.3"
        "4438 -tls1_2 $up SNI 40 upper-case hex digits, TLS 1.2"
    )
    local c version sni text
    for c in "${cases[@]}"; do
        read -r port version sni text <<<"$c"
        serves tcp 1 "$port" not_bittorrent openssl-s_server openssl-s_client
        note tcp 1 "$port" "$text"
        start "tls$port" 1 openssl s_server -accept "$srv:$port" -naccept 1 "$version" -rev \
            -cert "$d/cert.pem" -key "$d/key.pem"
    done
    serves tcp 1 8443 not_bittorrent openssl-s_server-www curl
    note tcp 1 8443 "HTTPS, SNI lab.test"
    serves tcp 1 8444 not_bittorrent openssl-s_server-www curl
    note tcp 1 8444 "HTTPS, SNI 40 hex digits then .example.com"
    start_in "$d/www" https 1 openssl s_server -accept "$srv:8443" -WWW \
        -cert "$d/cert.pem" -key "$d/key.pem"
    start_in "$d/www" https2 1 openssl s_server -accept "$srv:8444" -WWW \
        -cert "$d/cert.pem" -key "$d/key.pem"
    expect 3 "ClientHellos with SNI lab.test" 'tls.handshake.extensions_server_name == "lab.test"'
    expect 1 "ClientHello without SNI" 'tls.handshake.type == 1 && !(tls.handshake.extension.type == 0)'
    expect 2 "SNI 40 hex digits in a domain" "tls.handshake.extensions_server_name == \"$hex.example.com\""
    expect 1 "SNI 39 hex digits" "tls.handshake.extensions_server_name == \"${hex:0:39}\""
    expect 1 "SNI 41 hex digits" "tls.handshake.extensions_server_name == \"${hex}a\""
    expect 2 "SNI upper-case hex" "tls.handshake.extensions_server_name == \"$up\""
    pause 1
    alive https https2
    capture_start
    for c in "${cases[@]}"; do
        read -r port version sni text <<<"$c"
        local -a name=(-servername "$sni")
        [[ $sni != - ]] || name=(-noservername)
        (printf 'hello from the lab\n'; sleep 0.5) | on 2 openssl s_client -connect "$srv:$port" \
            "$version" "${name[@]}" -nocommands -no_ign_eof >/dev/null 2>&1 || true
    done
    on 2 curl -sS -k --resolve "lab.test:8443:$srv" -o "$d/small.got" "https://lab.test:8443/small.bin"
    cmp -s "$d/small.got" "$d/www/small.bin" || die "HTTPS download differs"
    on 2 curl -sS -k --resolve "$hex.example.com:8444:$srv" -o /dev/null \
        "https://$hex.example.com:8444/small.bin"
    sleep 0.5
    stop https https2
    for c in "${cases[@]}"; do stop "tls${c%% *}"; done
}

# Over IPv6 (with IPv4 also on): a small HTTP tracker on [fd77::1] (Debian's opentracker is
# IPv4-only), a libtorrent seeder, qBittorrent and transmission-daemon leechers that learn each
# other's IPv6 addresses from "peers6", a libtorrent uTP-only leecher with the DHT
# bootstrapped over IPv6 and a libtorrent TCP-only leecher (qBittorrent and transmission pick
# uTP, or do not connect out, here). (deluge 2.0.3 writes its listen address as "IP:PORT", which cannot
# name an IPv6 address, and listens on 0.0.0.0 otherwise, so it is not here.)
scenario_ipv6() {
    local d=$WORK/$SCENARIO hash h
    mkdir -p "$d/seed" "$d/lt5" "$d/lt6"
    random_file "$d/seed/v6.bin" $((256 * 1024))
    hash=$(make_torrent "$d/seed/v6.bin" "$d/v6.torrent" "http://[$NET6::1]:6969/announce")

    host_runs 2 libtorrent
    host_runs 3 qbittorrent
    host_runs 4 transmission
    host_runs 5 libtorrent
    host_runs 6 libtorrent
    serves tcp 6:1 6969 http_tracker python-tracker
    serves tcp 6:2 6881 peer_wire libtorrent
    serves udp 6:2 6881 dht+utp libtorrent
    serves tcp 6:3 6881 peer_wire qbittorrent
    serves udp 6:3 6881 dht+utp qbittorrent
    serves tcp 6:4 51413 peer_wire transmission
    serves udp 6:4 51413 dht+utp transmission
    serves tcp 6:5 6881 peer_wire libtorrent
    serves udp 6:5 6881 dht+utp libtorrent
    serves tcp 6:6 6881 peer_wire libtorrent
    serves udp 6:6 6881 dht+utp libtorrent
    # lt6's DHT also sends queries to the other peers' uTP sockets: label those per datagram
    for h in 2 3 4 5 6; do
        serves tcp "$h" any peer_wire "$(jq -r --arg ip "$NET.$h" 'select(.kind=="host" and .ip==$ip).program' "$RULES")"
        serves udp "$h" any utp "$(jq -r --arg ip "$NET.$h" 'select(.kind=="host" and .ip==$ip).program' "$RULES")"
    done
    expect 3 "BEP 3 handshakes over IPv6" 'ipv6 && bittorrent.protocol.name == "BitTorrent protocol"'
    expect 2 "BEP 3 handshakes over IPv6 TCP" 'ipv6 && tcp && bittorrent.protocol.name == "BitTorrent protocol"'
    expect 3 "HTTP announces over IPv6" 'ipv6 && http.request.uri contains "/announce"'

    capture_start
    start tracker6 1 "$PY" "$HERE/lab_servers.py" tracker "$NET6::1" 6969
    pause 0.5
    alive tracker6
    libtorrent seed2 2 6881 --listen-extra "[$NET6::2]:6881" --transports tcp,utp \
        --dht "[$NET6::6]:6881" --torrent "$d/v6.torrent" --save "$d/seed" --seed --duration 40
    pause 2
    qbittorrent qb3 3 "$d/v6.torrent" "$d/qb3" 'InterfaceAddress=' 'BTProtocol=Both'
    transmission_v6 tr4 4 "$d/v6.torrent" "$d/tr4"
    libtorrent lt5 5 6881 --listen-extra "[$NET6::5]:6881" --transports tcp \
        --torrent "$d/v6.torrent" --save "$d/lt5" --duration 22
    libtorrent lt6 6 6881 --listen-extra "[$NET6::6]:6881" --transports utp \
        --dht "[$NET6::2]:6881" --torrent "$d/v6.torrent" --save "$d/lt6" --duration 24
    pause 25
    alive seed2 qb3 tr4 tracker6
    stop qb3 tr4 lt5 lt6 seed2
    sleep 0.5
    stop tracker6
}

# transmission_v6 NAME HOST TORRENT DATADIR: transmission-daemon on both address families (with
# bind-address-ipv4 set it also binds its tracker requests to that IPv4 address, and then
# cannot reach an IPv6 tracker).
transmission_v6() {
    local name=$1 host=$2 torrent=$3 data=$4 conf=$WORK/$SCENARIO/$1
    mkdir -p "$conf" "$data"
    jq -n --arg ip6 "$NET6::$host" --arg dl "$data" '{
        "bind-address-ipv4": "0.0.0.0", "bind-address-ipv6": $ip6, "peer-port": 51413,
        "peer-port-random-on-start": false, "port-forwarding-enabled": false,
        "encryption": 0, "utp-enabled": true, "dht-enabled": false, "lpd-enabled": false,
        "pex-enabled": true, "download-dir": $dl, "incomplete-dir-enabled": false,
        "speed-limit-up": 64, "speed-limit-up-enabled": true,
        "rpc-enabled": true, "rpc-bind-address": "127.0.0.1", "rpc-port": 9091,
        "rpc-authentication-required": false, "rpc-whitelist-enabled": false,
        "rpc-host-whitelist-enabled": false, "blocklist-enabled": false,
        "start-added-torrents": true, "message-level": 2, "ratio-limit-enabled": false
    }' >"$conf/settings.json"
    start "$name" "$host" transmission-daemon -f -g "$conf"
    wait_for 15 nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -l ||
        { alive "$name"; die "$name: RPC did not come up"; }
    nsx "$(hns "$host")" transmission-remote 127.0.0.1:9091 -w "$data" -a "$torrent" >/dev/null
}

# More real non-BitTorrent traffic: rsync over its daemon protocol, git over git://, an RTP
# audio stream with RTCP sender reports and SMB (smbd, smbclient as guest); h1 serves, h2 is
# the client.
scenario_negative_extra() {
    local d=$WORK/$SCENARIO srv=$NET.1 i
    mkdir -p "$d/rsync" "$d/git" "$d/smb/share" "$d/smb/state"
    random_file "$d/smb/share/data.bin" $((128 * 1024))
    chmod a+x "$WORK" "$d"   # smbd serves guests as nobody, who must reach the share
    chmod -R a+rX "$d/smb"
    printf '%s\n' '[global]' 'server role = standalone server' 'map to guest = Bad User' \
        'guest account = nobody' "interfaces = $srv" 'bind interfaces only = yes' \
        'smb ports = 445' 'disable netbios = yes' 'load printers = no' 'printcap name = /dev/null' \
        'disable spoolss = yes' "private dir = $d/smb/state" "lock directory = $d/smb/state" \
        "state directory = $d/smb/state" "cache directory = $d/smb/state" \
        "pid directory = $d/smb/state" "ncalrpc dir = $d/smb/state/ncalrpc" \
        'server min protocol = SMB2' 'log level = 1' '[lab]' "path = $d/smb/share" \
        'guest ok = yes' 'read only = yes' >"$d/smb/smb.conf"
    for i in 1 2 3; do random_file "$d/rsync/file$i.bin" $((96 * 1024)); done
    printf '%s\n' "pid file = $d/rsyncd.pid" 'use chroot = no' '[lab]' "path = $d/rsync" \
        'read only = yes' >"$d/rsyncd.conf"
    git init -q -b main "$d/git/lab.git.work"
    for i in 1 2 3; do
        base64 -w 76 <(head -c 40000 /dev/urandom) >"$d/git/lab.git.work/notes$i.txt"
        git -C "$d/git/lab.git.work" add . >/dev/null
        git -C "$d/git/lab.git.work" -c user.name=lab -c user.email=lab@lab.test \
            commit -q -m "notes $i"
    done
    git clone -q --bare "$d/git/lab.git.work" "$d/git/lab.git"

    serves tcp 1 873 not_bittorrent rsyncd rsync
    serves tcp 1 9418 not_bittorrent git-daemon git-clone
    serves udp 1 5004 not_bittorrent rtp-receiver rtp-sender
    serves udp 1 5005 not_bittorrent rtcp-receiver rtp-sender
    serves tcp 1 445 not_bittorrent smbd smbclient
    expect 1 "rsync daemon greeting" 'rsync'
    expect 1 "git protocol request" 'git'
    expect 50 "RTP packets" 'udp.dstport == 5004 && udp.payload[0:1] == 80'
    expect 1 "SMB2 reads" 'smb2.cmd == 8'

    start rsyncd 1 rsync --daemon --no-detach --config="$d/rsyncd.conf" --address="$srv" --port=873
    start gitd 1 git daemon --base-path="$d/git" --export-all --reuseaddr --listen="$srv" --port=9418
    start rtp-sink 1 socat -u "UDP-RECV:5004,bind=$srv" /dev/null
    start rtcp-sink 1 socat -u "UDP-RECV:5005,bind=$srv" /dev/null
    # its own process group: on exit smbd signals its whole group
    start smbd 1 smbd --foreground --debug-stdout -s "$d/smb/smb.conf"
    pause 1.5
    alive rsyncd gitd rtp-sink rtcp-sink smbd
    capture_start
    on 2 rsync -a "rsync://$srv/lab/" "$d/rsync-got/"
    cmp -s "$d/rsync-got/file2.bin" "$d/rsync/file2.bin" || die "rsync copy differs"
    on 2 git clone -q "git://$srv/lab.git" "$d/git-got"
    [[ -f $d/git-got/notes3.txt ]] || die "git clone incomplete"
    on 2 "$PY" "$HERE/lab_servers.py" rtp-send "$srv" 5004 3
    on 2 smbclient "//$srv/lab" -N -s "$d/smb/smb.conf" -c "get data.bin $d/smb-got.bin" >/dev/null 2>&1 ||
        die "smbclient failed"
    cmp -s "$d/smb-got.bin" "$d/smb/share/data.bin" || die "SMB copy differs"
    sleep 0.5
    stop rsyncd gitd rtp-sink rtcp-sink smbd
}

# long_chain DIR: a TLS certificate chain of a self-signed root, six intermediates and a leaf
# (RSA 2048; about 8 KB of certificates) for nginx and openssl s_server.
long_chain() {
    local d=$1 i prev=root
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=lab-root -keyout "$d/root.key" \
        -out "$d/root.pem" 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE\n' >"$d/ca.ext"
    for i in 1 2 3 4 5 6; do
        openssl req -new -newkey rsa:2048 -nodes -subj "/CN=lab-intermediate-$i" -keyout "$d/int$i.key" \
            -out "$d/int$i.csr" 2>/dev/null
        openssl x509 -req -in "$d/int$i.csr" -CA "$d/$prev.pem" -CAkey "$d/$prev.key" -CAcreateserial \
            -days 2 -extfile "$d/ca.ext" -out "$d/int$i.pem" 2>/dev/null
        prev=int$i
    done
    openssl req -new -newkey rsa:2048 -nodes -subj /CN=lab.test -keyout "$d/leaf.key" -out "$d/leaf.csr" 2>/dev/null
    printf 'subjectAltName=DNS:lab.test,IP:%s.1\n' "$NET" >"$d/leaf.ext"
    openssl x509 -req -in "$d/leaf.csr" -CA "$d/int6.pem" -CAkey "$d/int6.key" -CAcreateserial -days 2 \
        -extfile "$d/leaf.ext" -out "$d/leaf.pem" 2>/dev/null
    cat "$d/leaf.pem" "$d/int6.pem" "$d/int5.pem" "$d/int4.pem" "$d/int3.pem" "$d/int2.pem" \
        "$d/int1.pem" >"$d/fullchain.pem"
}

# Many real non-BitTorrent programs, h1 serving and h2 (h3) asking: DNS with EDNS0 over UDP and
# TCP (unbound on 53; dnsmasq on h4's UDP 443 as a DNSCrypt resolver's certificate look-up would
# go, kdig and dig), HTTPS over HTTP/2 and HTTP/1.1 with a long certificate chain (nginx, curl;
# TLS 1.2 shows the chain in the clear, TLS 1.3 encrypts it), a web page and an e-mail (swaks to
# Python's smtpd) and IRC messages (ngircd) carrying a magnet URI, MQTT (mosquitto), Redis,
# PostgreSQL, FTP (vsftpd, passive), SNMP (snmpd, snmpwalk), syslog over UDP and TCP (logger),
# TFTP (tftpd-hpa), ONC RPC (rpcbind, rpcinfo over UDP and TCP), memcached over TCP and UDP,
# iperf3 over TCP and UDP, a netcat (OpenBSD nc) transfer of a file that begins with a BitTorrent handshake,
# and random bytes over TCP and UDP to arbitrary ports.
scenario_negative_services() {
    local d=$WORK/$SCENARIO srv=$NET.1 hash magnet i pg
    pg=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    mkdir -p "$d/www" "$d/tls" "$d/ftp/pub" "$d/ftp-empty" "$d/tftp" "$d/irc" "$d/pg"
    chmod a+x "$WORK" "$d"
    hash=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
    magnet="magnet:?xt=urn:btih:$hash&dn=lab-file.bin&tr=udp%3A%2F%2Ftracker.lab.test%3A6969"
    printf '%s\n' '<!doctype html>' '<html><head><title>lab downloads</title></head><body>' \
        "<p><a href=\"${magnet//&/&amp;}\">lab-file.bin (magnet)</a></p>" '</body></html>' >"$d/www/magnet.html"
    random_file "$d/www/blob.bin" $((48 * 1024))
    long_chain "$d/tls"
    random_file "$d/ftp/pub/data.bin" $((64 * 1024))
    random_file "$d/tftp/boot.bin" $((24 * 1024))
    chmod -R a+rX "$d/ftp" "$d/tftp"
    # a file that starts with a BEP 3 handshake, then random bytes
    { printf '\023BitTorrent protocol\0\0\0\0\0\020\0\005'; head -c 20 /dev/urandom; printf -- '-TR3000-abcdefghijkl'
      head -c 30000 /dev/urandom; } >"$d/handshake-file.bin"

    printf '%s\n' 'server:' "  interface: $srv" '  port: 53' '  do-daemonize: no' '  username: ""' \
        '  chroot: ""' "  directory: \"$d\"" "  pidfile: \"$d/unbound.pid\"" '  use-syslog: no' \
        '  do-ip6: no' '  module-config: "iterator"' "  access-control: $NET.0/24 allow" \
        '  local-zone: "lab.test." static' "  local-data: \"lab.test. A $NET.9\"" \
        '  local-data: "lab.test. TXT \"capture lab\""' "  local-data: \"www.lab.test. A $NET.1\"" \
        'remote-control:' '  control-enable: no' >"$d/unbound.conf"
    printf '%s\n' 'user root;' 'worker_processes 1;' "pid $d/nginx.pid;" 'error_log stderr;' 'daemon off;' \
        'events { worker_connections 64; }' 'http {' '  access_log off;' \
        "  client_body_temp_path $d/nginx-tmp;" "  proxy_temp_path $d/nginx-tmp;" \
        "  fastcgi_temp_path $d/nginx-tmp;" "  uwsgi_temp_path $d/nginx-tmp;" "  scgi_temp_path $d/nginx-tmp;" \
        '  types { text/html html; application/octet-stream bin; }' \
        "  server { listen $srv:443 ssl http2; listen $srv:80; root $d/www;" \
        "    ssl_certificate $d/tls/fullchain.pem; ssl_certificate_key $d/tls/leaf.key;" \
        '    ssl_protocols TLSv1.2 TLSv1.3; }' '}' >"$d/nginx.conf"
    mkdir -p "$d/nginx-tmp"
    printf '%s\n' "listener 1883 $srv" 'allow_anonymous true' 'persistence false' >"$d/mosquitto.conf"
    printf '%s\n' '[Global]' '  Name = irc.lab.test' '  Info = capture lab' "  Listen = $srv" '  Ports = 6667' \
        "  PidFile = $d/irc/ngircd.pid" '  MotdPhrase = "capture lab"' '[Limits]' '  PingTimeout = 120' \
        '[Options]' '  PAM = no' '  DNS = no' '  Ident = no' '  RequireAuthPing = no' >"$d/irc/ngircd.conf"
    printf '%s\n' 'listen=YES' 'listen_ipv6=NO' "listen_address=$srv" 'anonymous_enable=YES' \
        'local_enable=NO' 'write_enable=NO' "anon_root=$d/ftp" 'no_anon_password=YES' \
        'pasv_enable=YES' 'pasv_min_port=40000' 'pasv_max_port=40100' "secure_chroot_dir=$d/ftp-empty" \
        'ftp_username=daemon' 'seccomp_sandbox=NO' 'background=NO' >"$d/vsftpd.conf"
    printf '%s\n' "rocommunity public $NET.0/24" 'sysLocation capture lab' \
        'sysContact lab@lab.test' >"$d/snmpd.conf"

    serves udp 1 53 not_bittorrent unbound kdig
    serves tcp 1 53 not_bittorrent unbound kdig
    serves udp 4 443 not_bittorrent dnsmasq-udp443 dig-kdig
    serves tcp 1 443 not_bittorrent nginx-h2-long-chain curl
    serves tcp 1 80 not_bittorrent nginx curl
    carries tcp 1 80 magnet "$hash"
    serves tcp 1 25 not_bittorrent python-smtpd swaks
    serves tcp 1 6667 not_bittorrent ngircd irc-client
    carries tcp 1 6667 magnet "$hash"
    carries tcp 1 25 magnet "$hash"
    serves tcp 1 1883 not_bittorrent mosquitto mosquitto-clients
    serves tcp 1 6379 not_bittorrent redis-server redis-cli
    serves tcp 1 5432 not_bittorrent postgresql psql
    serves tcp 1 21 not_bittorrent vsftpd curl-ftp
    serves tcp 1 any not_bittorrent vsftpd-data curl-ftp
    serves udp 1 161 not_bittorrent snmpd snmpwalk
    serves udp 1 514 not_bittorrent syslog-sink logger
    serves tcp 1 601 not_bittorrent syslog-sink logger
    serves udp 1 69 not_bittorrent tftpd-hpa tftp
    serves udp 2 any not_bittorrent tftpd-hpa-data tftp
    serves udp 1 111 not_bittorrent rpcbind rpcinfo
    serves tcp 1 111 not_bittorrent rpcbind rpcinfo
    serves tcp 1 11211 not_bittorrent memcached memcached-client
    serves udp 1 11211 not_bittorrent memcached memcached-client
    serves tcp 1 5201 not_bittorrent iperf3 iperf3
    serves udp 1 5201 not_bittorrent iperf3 iperf3
    serves tcp 1 9001 not_bittorrent socat-sink netcat-handshake-file
    serves tcp 1 12345 not_bittorrent socat-random socat-random
    serves udp 1 33333 not_bittorrent socat-random socat-random
    expect 2 "DNS answers with an EDNS0 OPT record" 'dns.flags.response == 1 && dns.resp.type == 41'
    expect 1 "DNS to UDP 443" 'udp.dstport == 443 && dns.flags.response == 0'
    expect 2 "DNS queries to UDP 443 padded with EDNS0 Padding" 'udp.dstport == 443 && dns.opt.code == 12'
    expect 1 "TLS 1.2 Certificate in the clear" 'tls.handshake.type == 11'
    expect 1 "a ClientHello offering HTTP/2" 'tls.handshake.type == 1 && tls.handshake.extensions_alpn_str == "h2"'
    expect 1 "the magnet URI in an HTTP body" "http.file_data contains \"urn:btih:$hash\""
    expect 2 "the magnet URI in IRC messages (to the server and relayed)" "tcp.port == 6667 && tcp.payload contains \"urn:btih:$hash\""
    expect 1 "the magnet URI in an e-mail" "tcp.port == 25 && tcp.payload contains \"urn:btih:$hash\""
    expect 1 "MQTT publish" 'mqtt.msgtype == 3'
    expect 1 "PostgreSQL startup" 'pgsql'
    expect 1 "FTP" 'ftp.request.command == "RETR"'
    expect 1 "SNMP responses" 'snmp'
    expect 1 "syslog" 'syslog'
    expect 1 "TFTP data" 'tftp.opcode == 3'
    expect 2 "ONC RPC" 'rpc'
    expect 1 "the BEP 3 handshake at the start of the netcat transfer" 'tcp.dstport == 9001 && tcp.payload[0:20] == 13:42:69:74:54:6f:72:72:65:6e:74:20:70:72:6f:74:6f:63:6f:6c'

    start unbound 1 unbound -d -c "$d/unbound.conf"
    start dnsmasq443 4 dnsmasq -d -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$NET.4" --port=443 --pid-file="$d/dnsmasq.pid" \
        --txt-record=2.dnscrypt-cert.lab.test,"DNSC capture lab" --address=/lab.test/$NET.9
    start nginx 1 nginx -c "$d/nginx.conf" -p "$d"
    start smtpd 1 "$PY" -W ignore -m smtpd -n -c DebuggingServer "$srv:25"
    start ngircd 1 ngircd -n -f "$d/irc/ngircd.conf"
    start mosquitto 1 mosquitto -c "$d/mosquitto.conf"
    start redis 1 redis-server --bind "$srv" --port 6379 --save '' --appendonly no --protected-mode no
    chown postgres "$d/pg"
    runuser -u postgres -- "$pg/initdb" -D "$d/pg" -U postgres --auth=trust --no-sync --no-locale -E UTF8 >"$WORK/logs/initdb.log" 2>&1 ||
        die "initdb failed: $(cat "$WORK/logs/initdb.log")"
    printf 'host all all %s.0/24 trust\n' "$NET" >>"$d/pg/pg_hba.conf"
    start postgres 1 runuser -u postgres -- "$pg/postgres" -D "$d/pg" -c listen_addresses="$srv" \
        -c unix_socket_directories="$d/pg"
    start vsftpd 1 vsftpd "$d/vsftpd.conf"
    start snmpd 1 snmpd -f -Lo -C -c "$d/snmpd.conf" -p "$d/snmpd.pid" "udp:$srv:161"
    start syslog-udp 1 socat -u "UDP-RECV:514,bind=$srv" /dev/null
    start syslog-tcp 1 socat -u "TCP-LISTEN:601,bind=$srv,reuseaddr,fork" /dev/null
    start tftpd 1 in.tftpd -L -a "$srv:69" -u nobody -s "$d/tftp"
    start rpcbind 1 rpcbind -f -w -h "$srv"
    start memcached 1 memcached -u nobody -l "$srv" -p 11211 -U 11211 -m 16
    start iperf3 1 iperf3 -s -B "$srv" -p 5201
    start nc-sink 1 socat -u "TCP-LISTEN:9001,bind=$srv,reuseaddr" /dev/null
    start rnd-tcp 1 socat "TCP-LISTEN:12345,bind=$srv,reuseaddr" SYSTEM:'head -c 6000 /dev/urandom; sleep 1'
    start rnd-udp 1 socat -u "UDP-RECV:33333,bind=$srv" /dev/null
    pause 3
    alive unbound dnsmasq443 nginx smtpd ngircd mosquitto redis postgres vsftpd snmpd tftpd rpcbind \
        memcached iperf3 nc-sink rnd-tcp rnd-udp
    capture_start

    on 2 kdig +edns=0 +bufsize=1232 "@$srv" lab.test A >/dev/null
    on 2 kdig +edns=0 "@$srv" lab.test TXT >/dev/null
    on 2 kdig +tcp +edns=0 "@$srv" www.lab.test A >/dev/null
    for i in 1 2 3; do
        on 2 dig +tries=1 +time=2 +edns=0 +bufsize=1252 -p 443 "@$NET.4" 2.dnscrypt-cert.lab.test TXT >/dev/null
    done
    # EDNS0 Padding (RFC 7830) to 128-byte blocks, as privacy-minded resolvers' clients send
    for i in 1 2; do
        on 2 kdig +edns +padding=128 +retry=0 -p 443 "@$NET.4" 2.dnscrypt-cert.lab.test TXT >/dev/null
    done
    [[ $(on 2 curl -sS -k --http2 -o /dev/null -w '%{http_version}' "https://$srv/blob.bin") == 2 ]] ||
        die "curl did not get HTTP/2 from nginx"
    on 2 curl -sS -k --http1.1 --tlsv1.2 --tls-max 1.2 -o /dev/null "https://$srv/blob.bin"
    on 2 curl -sS -o "$d/magnet.got" "http://$srv/magnet.html"
    grep -q "$hash" "$d/magnet.got" || die "magnet page not fetched"
    on 2 swaks --silent 2 --server "$srv:25" --from alice@lab.test --to bob@lab.test \
        --header 'Subject: the lab file' --body "Hi Bob, here it is: $magnet" >/dev/null
    # IRC: bob listens in #lab, alice sends the magnet link there (ngircd relays it to bob)
    ( printf 'NICK bob\r\nUSER bob 0 * :Bob\r\n'; sleep 1; printf 'JOIN #lab\r\n'; sleep 3; printf 'QUIT :bye\r\n'; sleep 0.5 ) |
        timeout 10 ip netns exec "$(hns 3)" socat - "TCP:$srv:6667" >"$d/irc/bob.log" 2>&1 &
    sleep 1.5
    ( printf 'NICK alice\r\nUSER alice 0 * :Alice\r\n'; sleep 1; printf 'JOIN #lab\r\n'; sleep 0.5
      printf 'PRIVMSG #lab :%s\r\n' "$magnet"; sleep 0.5; printf 'QUIT :bye\r\n'; sleep 0.5 ) |
        on 2 socat - "TCP:$srv:6667" >/dev/null 2>&1
    wait_for 8 grep -q "$hash" "$d/irc/bob.log" || die "IRC message not relayed"
    on 2 mosquitto_sub -h "$srv" -t 'lab/#' -C 2 -W 8 >/dev/null &
    i=$!
    sleep 0.5
    on 2 mosquitto_pub -h "$srv" -t lab/temp -m '21.5'
    on 2 mosquitto_pub -h "$srv" -t lab/humidity -m '40'
    wait "$i" || die "mosquitto_sub got no message"
    on 2 redis-cli -h "$srv" SET lab:key "$(head -c 3000 /dev/urandom | base64 -w0)" >/dev/null
    on 2 redis-cli -h "$srv" GET lab:key >/dev/null
    on 2 psql -h "$srv" -U postgres -c 'select count(*) from generate_series(1, 1000)' >/dev/null
    on 2 curl -sS -o "$d/ftp.got" "ftp://$srv/pub/data.bin"
    cmp -s "$d/ftp.got" "$d/ftp/pub/data.bin" || die "FTP download differs"
    on 2 snmpwalk -v2c -c public -On "$srv" 1.3.6.1.2.1.1 >/dev/null
    on 2 logger -n "$srv" -P 514 -d -t lab 'capture lab: a syslog message over UDP'
    on 2 logger -n "$srv" -P 601 -T -t lab 'capture lab: a syslog message over TCP'
    (cd "$d" && on 2 tftp -m binary "$srv" -c get boot.bin "$d/tftp.got")
    cmp -s "$d/tftp.got" "$d/tftp/boot.bin" || die "TFTP download differs"
    on 2 rpcinfo -u "$srv" 100000 >/dev/null
    on 2 rpcinfo -p "$srv" >/dev/null
    printf 'set lab 0 0 5\r\nhello\r\nget lab\r\nquit\r\n' | on 2 socat - "TCP:$srv:11211" >/dev/null
    printf '\0\1\0\0\0\1\0\0get lab\r\n' | on 2 socat -T 2 - "UDP:$srv:11211" >/dev/null || true
    on 2 iperf3 -c "$srv" -p 5201 -n 400K >/dev/null
    on 2 iperf3 -c "$srv" -p 5201 -u -b 1M -t 1 -l 1200 >/dev/null
    on 2 nc.openbsd -N "$srv" 9001 <"$d/handshake-file.bin"
    (head -c 300 /dev/urandom; sleep 1.5) | on 2 socat - "TCP:$srv:12345" >/dev/null
    head -c 12000 /dev/urandom | on 2 socat -u -b 1200 - "UDP:$srv:33333"
    sleep 0.5
    stop rnd-udp rnd-tcp nc-sink iperf3 memcached rpcbind tftpd syslog-tcp syslog-udp snmpd vsftpd \
        postgres redis mosquitto ngircd smtpd nginx dnsmasq443 unbound
}

# vpn_pki DIR: a CA and a server and a client certificate (EC P-256) for OpenVPN's TLS mode.
vpn_pki() {
    local d=$1 who
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=lab-vpn-ca \
        -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    for who in server client; do
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=lab-vpn-$who" \
            -keyout "$d/$who.key" -out "$d/$who.csr" 2>/dev/null
        printf 'keyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' \
            "$([[ $who == server ]] && echo serverAuth || echo clientAuth)" >"$d/$who.ext"
        openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
            -extfile "$d/$who.ext" -out "$d/$who.pem" 2>/dev/null
    done
}

# openvpn_pair NAME PROTO PORT NET: an OpenVPN 2.6 point-to-point tunnel in TLS mode (AES-256-GCM)
# between h1 (server, 10.8.NET.1) and h2 (client, 10.8.NET.2) over PROTO (udp or tcp), then two
# HTTP downloads through it.
openvpn_pair() {
    local name=$1 proto=$2 port=$3 n=$4 d=$WORK/$SCENARIO/vpn sp=udp cp=udp
    [[ $proto == udp ]] || { sp=tcp-server; cp=tcp-client; }
    local common=(--dev "tun$n" --dev-type tun --data-ciphers AES-256-GCM --ca "$d/ca.pem" --dh none
                  --verb 3 --ping 2 --connect-retry 1 --remote-cert-tls)  # + the peer's role
    start "$name-server" 1 openvpn "${common[@]}" client --tls-server --cert "$d/server.pem" --key "$d/server.key" \
        --proto "$sp" --local "$NET.1" --lport "$port" --ifconfig "10.8.$n.1" "10.8.$n.2"
    sleep 1
    start "$name-client" 2 openvpn "${common[@]}" server --tls-client --cert "$d/client.pem" --key "$d/client.key" \
        --proto "$cp" --remote "$NET.1" "$port" --nobind --ifconfig "10.8.$n.2" "10.8.$n.1"
    wait_for 20 grep -q 'Initialization Sequence Completed' "$WORK/logs/$name-client.log" ||
        { tail -n 20 "$WORK/logs/$name-client.log" >&2; die "$name: the tunnel did not come up"; }
    on 2 curl -sS -o /dev/null "http://10.8.$n.1:8000/tunnel.bin" || die "$name: no HTTP through the tunnel"
    on 2 curl -sS -o /dev/null "http://10.8.$n.1:8000/" || die "$name: no HTTP through the tunnel"
    stop "$name-client" "$name-server"
}

# Real encrypted tunnels and proxies that look random on the wire, and real-time UDP: Shadowsocks
# (shadowsocks-libev, AEAD and a legacy stream cipher), obfs4 (obfs4proxy as a managed
# pluggable transport, no Tor), OpenVPN over UDP and TCP (TLS mode), SIP (sipp calls) and TURN
# over UDP and TCP (coturn, turnutils_uclient); h1 serves, h2 is the client.
scenario_negative_tunnels() {
    local d=$WORK/$SCENARIO srv=$NET.1 port line cert i
    mkdir -p "$d/www" "$d/vpn" "$d/obfs4-server" "$d/obfs4-client"
    random_file "$d/www/tunnel.bin" $((96 * 1024))
    vpn_pki "$d/vpn"

    serves tcp 1 8388 not_bittorrent ss-server-aead ss-local
    serves tcp 1 8389 not_bittorrent ss-server-aes-cfb ss-local
    serves tcp 1 9443 not_bittorrent obfs4proxy-server obfs4proxy-client
    serves udp 1 1194 not_bittorrent openvpn-udp openvpn
    serves tcp 1 1194 not_bittorrent openvpn-tcp openvpn
    serves udp 1 5060 not_bittorrent sipp-uas sipp-uac
    serves udp 1 3478 not_bittorrent coturn turnutils_uclient
    serves tcp 1 3478 not_bittorrent coturn turnutils_uclient
    expect 2 "OpenVPN control packets over UDP" 'openvpn && udp'
    expect 2 "OpenVPN control packets over TCP" 'openvpn && tcp'
    expect 3 "SIP INVITEs" 'sip.Method == "INVITE"'
    expect 2 "TURN allocations" 'stun.type == 0x0003'

    start_in "$d/www" http 1 "$PY" -m http.server --bind 0.0.0.0 8000
    start ss-server 1 ss-server -s "$srv" -p 8388 -k lab-secret -m chacha20-ietf-poly1305
    start ss-server-cfb 1 ss-server -s "$srv" -p 8389 -k lab-secret -m aes-256-cfb
    start ss-local 2 ss-local -s "$srv" -p 8388 -b 127.0.0.1 -l 1080 -k lab-secret -m chacha20-ietf-poly1305
    start ss-local-cfb 2 ss-local -s "$srv" -p 8389 -b 127.0.0.1 -l 1081 -k lab-secret -m aes-256-cfb
    start obfs4-server 1 env TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_STATE_LOCATION="$d/obfs4-server" \
        TOR_PT_SERVER_TRANSPORTS=obfs4 TOR_PT_SERVER_BINDADDR="obfs4-$srv:9443" TOR_PT_ORPORT="$srv:8000" \
        obfs4proxy -enableLogging -logLevel INFO
    start obfs4-client 2 env TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_STATE_LOCATION="$d/obfs4-client" \
        TOR_PT_CLIENT_TRANSPORTS=obfs4 obfs4proxy -enableLogging -logLevel INFO
    start sipp-uas 1 sipp -sn uas -i "$srv" -p 5060 -nostdin -bg -trace_err -error_file "$d/sipp-uas.err"
    start turnserver 1 turnserver -n --lt-cred-mech --user lab:labpass --realm lab.test --listening-ip "$srv" \
        --relay-ip "$srv" --listening-port 3478 --min-port 49160 --max-port 49200 --no-tls --no-dtls --no-cli \
        --log-file stdout --simple-log --allow-loopback-peers --no-multicast-peers
    wait_for 10 grep -q 'SMETHOD obfs4' "$WORK/logs/obfs4-server.log" || die "obfs4proxy server did not start"
    wait_for 10 grep -q 'CMETHOD obfs4' "$WORK/logs/obfs4-client.log" || die "obfs4proxy client did not start"
    pause 1
    alive http ss-server ss-server-cfb ss-local ss-local-cfb obfs4-server obfs4-client turnserver
    line=$(grep -m1 'SMETHOD obfs4' "$WORK/logs/obfs4-server.log")
    cert=$(sed -n 's/.*cert=\([^,]*\),iat-mode=0.*/\1/p' <<<"$line")
    [[ -n $cert ]] || die "no obfs4 cert in: $line"
    port=$(sed -n 's/.*CMETHOD obfs4 socks5 127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/logs/obfs4-client.log" | head -n1)
    capture_start

    for i in 1 2; do
        on 2 curl -sS --socks5 127.0.0.1:1080 -o "$d/ss.got" "http://$srv:8000/tunnel.bin"
        cmp -s "$d/ss.got" "$d/www/tunnel.bin" || die "Shadowsocks download differs"
    done
    on 2 curl -sS --socks5 127.0.0.1:1081 -o "$d/ss-cfb.got" "http://$srv:8000/tunnel.bin"
    cmp -s "$d/ss-cfb.got" "$d/www/tunnel.bin" || die "Shadowsocks (aes-256-cfb) download differs"
    # goptlib takes the bridge arguments from the SOCKS5 user name and password joined; the
    # SOCKS destination is the bridge, which hands the stream to its ORPORT (the web server)
    for i in 1 2; do
        on 2 curl -sS --socks5 "127.0.0.1:$port" --proxy-user "cert=$cert;:iat-mode=0" \
            -o "$d/obfs4.got" "http://$srv:9443/tunnel.bin"
        cmp -s "$d/obfs4.got" "$d/www/tunnel.bin" || die "obfs4 download differs"
    done
    openvpn_pair ovpn-udp udp 1194 1
    openvpn_pair ovpn-tcp tcp 1194 2
    on 2 sipp -sn uac "$srv:5060" -i "$NET.2" -p 5062 -m 3 -r 2 -d 500 -nostdin -trace_err \
        -error_file "$d/sipp-uac.err" >/dev/null 2>&1 || die "sipp uac failed: $(tail -n 5 "$d/sipp-uac.err" 2>/dev/null)"
    on 2 turnutils_uclient -u lab -w labpass -y -n 20 -m 1 -l 300 "$srv" >"$WORK/logs/uclient-udp.log" 2>&1 ||
        die "turnutils_uclient (UDP) failed: $(tail -n 5 "$WORK/logs/uclient-udp.log")"
    on 2 turnutils_uclient -t -u lab -w labpass -y -n 20 -m 1 -l 300 "$srv" >"$WORK/logs/uclient-tcp.log" 2>&1 ||
        die "turnutils_uclient (TCP) failed: $(tail -n 5 "$WORK/logs/uclient-tcp.log")"
    sleep 0.5
    stop turnserver sipp-uas obfs4-client obfs4-server ss-local-cfb ss-local ss-server-cfb ss-server http
}

# More real non-BitTorrent programs, h1 serving and h2 asking: mosh (encrypted UDP datagrams),
# DNS over TLS (unbound, kdig +tls), IMAP (dovecot, curl) fetching an e-mail that carries a
# magnet URI, RADIUS (freeradius, radtest), DHCP (busybox udhcpd and udhcpc, broadcast), mDNS
# (avahi-daemon answering dig), SSDP M-SEARCH (upnpc) and Syncthing's local discovery
# broadcasts (two instances, h1 and h2).
scenario_negative_more() {
    local d=$WORK/$SCENARIO srv=$NET.1 hash magnet key line i
    mkdir -p "$d/tls" "$d/dovecot/run" "$d/dovecot/home/bob/Maildir/new" "$d/dovecot/home/bob/Maildir/cur" \
        "$d/dovecot/home/bob/Maildir/tmp" "$d/st1" "$d/st2"
    chmod a+x "$WORK" "$d"
    hash=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
    magnet="magnet:?xt=urn:btih:$hash&dn=lab-file.bin"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=lab.test -keyout "$d/tls/key.pem" -out "$d/tls/cert.pem" 2>/dev/null
    printf '%s\n' 'server:' "  interface: $srv@853" '  do-daemonize: no' '  username: ""' '  chroot: ""' \
        "  directory: \"$d\"" "  pidfile: \"$d/unbound.pid\"" '  use-syslog: no' '  do-ip6: no' \
        '  module-config: "iterator"' "  access-control: $NET.0/24 allow" '  tls-port: 853' \
        "  tls-service-key: \"$d/tls/key.pem\"" "  tls-service-pem: \"$d/tls/cert.pem\"" \
        '  local-zone: "lab.test." static' "  local-data: \"lab.test. A $NET.9\"" \
        'remote-control:' '  control-enable: no' >"$d/unbound.conf"
    printf '%s\n' 'protocols = imap' "listen = $srv" "base_dir = $d/dovecot/run" 'ssl = no' \
        'disable_plaintext_auth = no' 'auth_mechanisms = plain login' 'log_path = /dev/stderr' \
        'default_internal_user = dovecot' 'default_login_user = dovenull' \
        'passdb {' '  driver = static' '  args = password=labpass' '}' \
        'userdb {' '  driver = static' "  args = uid=nobody gid=nogroup home=$d/dovecot/home/%u" '}' \
        'mail_location = maildir:~/Maildir' >"$d/dovecot.conf"
    printf '%s\r\n' 'From: Alice <alice@lab.test>' 'To: Bob <bob@lab.test>' 'Subject: the lab file' \
        'Date: Wed, 01 Nov 2023 10:00:00 +0000' 'Message-ID: <lab-1@lab.test>' '' 'Hi Bob,' '' \
        "here it is: $magnet" '' 'Alice' >"$d/dovecot/home/bob/Maildir/new/1698832800.M1P1.lab:2,"
    chown -R nobody:nogroup "$d/dovecot/home"
    cp -a /etc/freeradius/3.0 "$d/raddb"
    printf '%s\n' 'client lab {' "  ipaddr = $NET.0/24" '  secret = labsecret' '}' >>"$d/raddb/clients.conf"
    { printf 'bob Cleartext-Password := "labpass"\n'; cat "$d/raddb/mods-config/files/authorize"; } >"$d/authorize"
    cp "$d/authorize" "$d/raddb/mods-config/files/authorize"
    chown -R freerad:freerad "$d/raddb"
    printf '%s\n' "start $NET.100" "end $NET.110" 'interface eth0' "lease_file $d/udhcpd.leases" \
        "pidfile $d/udhcpd.pid" 'opt subnet 255.255.255.0' 'opt lease 600' >"$d/udhcpd.conf"
    : >"$d/udhcpd.leases"
    printf '%s\n' '[server]' 'host-name=lab-h1' 'use-ipv4=yes' 'use-ipv6=no' 'allow-interfaces=eth0' \
        'enable-dbus=no' '[publish]' 'publish-workstation=no' >"$d/avahi.conf"
    for i in 1 2; do
        HOME=$d/st$i syncthing generate --home="$d/st$i" --no-default-folder >/dev/null 2>&1 ||
            die "syncthing generate failed"
        sed -i -e 's|<globalAnnounceEnabled>true<|<globalAnnounceEnabled>false<|' \
            -e 's|<relaysEnabled>true<|<relaysEnabled>false<|' -e 's|<natEnabled>true<|<natEnabled>false<|' \
            -e 's|<startBrowser>true<|<startBrowser>false<|' -e 's|<urAccepted>0<|<urAccepted>-1<|' \
            -e "s|<listenAddress>default</listenAddress>|<listenAddress>tcp://$NET.$i:22000</listenAddress>|" \
            -e "s|<address>127.0.0.1:8384</address>|<address>127.0.0.1:8384</address>|" "$d/st$i/config.xml"
    done

    serves udp 1 60001 not_bittorrent mosh-server mosh-client
    serves tcp 1 853 not_bittorrent unbound-dot kdig
    serves tcp 1 143 not_bittorrent dovecot-imap curl-imap
    carries tcp 1 143 magnet "$hash"
    serves udp 1 1812 not_bittorrent freeradius radtest
    serves udp 255.255.255.255 67 not_bittorrent udhcpd udhcpc
    serves udp 255.255.255.255 68 not_bittorrent udhcpc udhcpd
    serves udp 1 67 not_bittorrent udhcpd udhcpc
    host_runs 1 avahi-daemon
    host_runs 2 dig-mdns
    serves udp 224.0.0.251 5353 not_bittorrent mdns-multicast
    serves udp 1 5353 not_bittorrent avahi-daemon dig-mdns
    serves udp 239.255.255.250 1900 not_bittorrent ssdp-multicast upnpc
    serves udp 255.255.255.255 21027 not_bittorrent syncthing-discovery syncthing
    serves udp "$NET.255" 21027 not_bittorrent syncthing-discovery syncthing
    expect 10 "mosh datagrams" 'udp.port == 60001'
    expect 1 "TLS to port 853" 'tcp.dstport == 853 && tls.handshake.type == 1'
    expect 1 "IMAP FETCH" 'imap.request contains "FETCH" || imap.request contains "fetch"'
    expect 2 "RADIUS Access-Request and Access-Accept" 'radius'
    expect 2 "DHCP" 'dhcp'
    expect 1 "mDNS" 'mdns'
    expect 1 "SSDP M-SEARCH" 'ssdp'
    expect 1 "Syncthing local discovery announcements" 'udp.dstport == 21027'

    start unbound-dot 1 unbound -d -c "$d/unbound.conf"
    start dovecot 1 dovecot -F -c "$d/dovecot.conf"
    start freeradius 1 freeradius -f -l stdout -d "$d/raddb"
    start udhcpd 1 udhcpd -f "$d/udhcpd.conf"
    start avahi 1 avahi-daemon -f "$d/avahi.conf" --no-drop-root --no-chroot --no-rlimits
    pause 2
    alive unbound-dot dovecot freeradius udhcpd avahi
    capture_start

    # mosh: the server prints its port and key and detaches; the client needs a terminal with a
    # size (script gives it a pty)
    line=$(on 1 env LANG=C.UTF-8 mosh-server new -i "$srv" -p 60001 -- /bin/sh 2>/dev/null | grep 'MOSH CONNECT')
    key=${line##* }
    [[ -n $key ]] || die "mosh-server did not start: $line"
    ( sleep 1.5; printf 'echo capture-lab; ls /\r'; sleep 1.5; printf 'exit\r'; sleep 1.5 ) |
        on 2 env LANG=C.UTF-8 TERM=xterm MOSH_KEY="$key" script -qfec "stty rows 24 cols 80; mosh-client $srv 60001" /dev/null >"$d/mosh.out" 2>&1 ||
        die "mosh-client failed: $(tail -c 300 "$d/mosh.out")"
    grep -q capture-lab "$d/mosh.out" || die "mosh session did not run"
    on 2 kdig +tls "@$srv" -p 853 lab.test TXT >/dev/null
    on 2 kdig +tls "@$srv" -p 853 lab.test A >/dev/null
    on 2 curl -sS --user bob:labpass -o "$d/imap.got" "imap://$srv/INBOX;UID=1"
    grep -q "$hash" "$d/imap.got" || die "IMAP fetch failed"
    on 2 radtest bob labpass "$srv" 0 labsecret >"$WORK/logs/radtest.log" 2>&1 ||
        die "radtest failed: $(tail -n 5 "$WORK/logs/radtest.log")"
    on 2 udhcpc -i eth0 -n -q -f -t 3 -T 1 -s /bin/true >"$WORK/logs/udhcpc.log" 2>&1 ||
        die "udhcpc failed: $(tail -n 5 "$WORK/logs/udhcpc.log")"
    on 2 dig +tries=1 +time=2 -p 5353 @224.0.0.251 lab-h1.local A >/dev/null || true
    on 2 upnpc -l >/dev/null 2>&1 || true
    start syncthing1 1 env HOME="$d/st1" syncthing serve --home="$d/st1" --no-browser --no-restart --no-upgrade
    start syncthing2 2 env HOME="$d/st2" syncthing serve --home="$d/st2" --no-browser --no-restart --no-upgrade
    pause 8
    stop syncthing2 syncthing1 avahi udhcpd freeradius dovecot unbound-dot
}

# DNSCrypt v2 and DNS over HTTPS, real on both ends where Debian has it: dnsdist on h1 serves
# DNSCrypt on UDP and TCP 443 (provider 2.dnscrypt-cert.lab.test, X25519-XSalsa20Poly1305) and
# DoH on 8443 in front of unbound; h2 runs dnscrypt_client.py (the certificate look-up with
# EDNS0 to UDP 443, then encrypted queries; Debian 12 has no dnscrypt-proxy) and curl resolving
# over DoH.
scenario_negative_dnscrypt() {
    local d=$WORK/$SCENARIO srv=$NET.1
    mkdir -p "$d/www"
    chmod a+x "$WORK" "$d"
    printf 'lab\n' >"$d/www/index.html"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=doh.lab.test -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    printf '%s\n' 'server:' "  interface: $srv" '  port: 53' '  do-daemonize: no' '  username: ""' \
        '  chroot: ""' "  directory: \"$d\"" "  pidfile: \"$d/unbound.pid\"" '  use-syslog: no' \
        '  do-ip6: no' '  module-config: "iterator"' "  access-control: $NET.0/24 allow" \
        '  local-zone: "lab.test." static' "  local-data: \"www.lab.test. A $srv\"" \
        "  local-data: \"mail.lab.test. A $NET.8\"" 'remote-control:' '  control-enable: no' >"$d/unbound.conf"
    printf '%s\n' "setLocal('127.0.0.1:5300')" "newServer({address='$srv:53', checkName='www.lab.test.', checkType='A'})" 'setSecurityPollSuffix("")' \
        "generateDNSCryptProviderKeys('$d/provider.public', '$d/provider.private')" \
        "generateDNSCryptCertificate('$d/provider.private', '$d/resolver.cert', '$d/resolver.key', 1, os.time() - 60, os.time() + 86400)" \
        "addDNSCryptBind('$srv:443', '2.dnscrypt-cert.lab.test', '$d/resolver.cert', '$d/resolver.key')" \
        "addDOHLocal('$srv:8443', '$d/cert.pem', '$d/key.pem', '/dns-query')" >"$d/dnsdist.conf"

    serves udp 1 443 not_bittorrent dnsdist-dnscrypt dnscrypt-client
    serves tcp 1 443 not_bittorrent dnsdist-dnscrypt dnscrypt-client
    serves tcp 1 8443 not_bittorrent dnsdist-doh curl-doh
    serves tcp 1 8000 not_bittorrent python-http.server curl-doh
    expect 1 "the certificate look-up: a TXT query with EDNS0 to UDP 443" 'udp.dstport == 443 && dns.qry.type == 16 && dns.count.add_rr == 1'
    expect 5 "DNSCrypt answers (resolver magic r6fnvWj8)" 'tcp.srcport == 443 || udp.srcport == 443'
    expect 1 "TLS to the DoH endpoint" 'tcp.dstport == 8443 && tls.handshake.type == 1'

    start unbound 1 unbound -d -c "$d/unbound.conf"
    start dnsdist 1 dnsdist --supervised --disable-syslog -C "$d/dnsdist.conf"
    start_in "$d/www" http 1 "$PY" -m http.server --bind "$srv" 8000
    wait_for 10 test -s "$d/provider.public" || die "dnsdist made no DNSCrypt provider key"
    pause 1.5
    alive unbound dnsdist http
    capture_start
    on 2 "$PY" "$HERE/dnscrypt_client.py" "$srv" 443 2.dnscrypt-cert.lab.test "$d/provider.public" \
        www.lab.test 6 >"$WORK/logs/dnscrypt-client.log" 2>&1 ||
        die "DNSCrypt client failed: $(tail -n 5 "$WORK/logs/dnscrypt-client.log")"
    on 2 "$PY" "$HERE/dnscrypt_client.py" "$srv" 443 2.dnscrypt-cert.lab.test "$d/provider.public" \
        mail.lab.test 2 >>"$WORK/logs/dnscrypt-client.log" 2>&1 ||
        die "DNSCrypt client failed: $(tail -n 5 "$WORK/logs/dnscrypt-client.log")"
    on 2 curl -sS --doh-url "https://$srv:8443/dns-query" --doh-insecure -o /dev/null "http://www.lab.test:8000/" ||
        die "curl over DoH failed"
    sleep 0.5
    stop http dnsdist unbound
}

# Overlay VPNs and P2P VPNs in user space, whose datagrams are encrypted end to end: WireGuard
# (wireguard-go and wg, UDP 51820), Nebula (Noise over UDP 4242, a lighthouse on h1), n2n 1.3
# (a supernode on h1, edges on h2 and h3 talking through it and to each other) and tinc 1.0
# (TCP meta connection and UDP data on 655); HTTP through each tunnel, served by h1 (h3 for n2n).
# Length-prefixed binary protocols between real programs (issue 13's false-positive pass): the
# Erlang distribution protocol (2-byte then 4-byte big-endian lengths, ticks of four zero
# bytes) between two nodes with epmd, and the Redis Cluster bus between two cluster nodes.
scenario_negative_p2p() {
    local d=$WORK/$SCENARIO i
    mkdir -p "$d/r1" "$d/r2"
    # node b pings node a, calls it 30 times, fetches 20 kB, and waits for a tick (every 15 s).
    printf '%s\n' "A = 'a@$NET.1'," 'pong = net_adm:ping(A),' \
        '[A = rpc:call(A, erlang, node, []) || _ <- lists:seq(1, 30)],' \
        'B = rpc:call(A, crypto, strong_rand_bytes, [20000]),' 'io:format("~p~n", [byte_size(B)]),' \
        'timer:sleep(17000),' 'init:stop().' >"$d/b.eval"

    serves tcp 1 4369 not_bittorrent epmd erlang-node
    serves tcp 1 9100 not_bittorrent erlang-node erlang-node
    serves tcp 1 7000 not_bittorrent redis-server redis-cli
    serves tcp 1 17000 not_bittorrent redis-cluster-bus redis-cluster-bus
    serves tcp 2 17000 not_bittorrent redis-cluster-bus redis-cluster-bus
    expect 1 "EPMD port request" 'epmd'
    expect 10 "Erlang distribution messages" 'tcp.port == 9100 && tcp.len > 0'
    expect 4 "Redis Cluster bus messages" 'tcp.port == 17000 && tcp.len > 0'

    start epmd 1 epmd -address "127.0.0.1,$NET.1"
    start epmd2 2 epmd -address 127.0.0.1
    for i in 1 2; do
        start "redis$i" "$i" redis-server --bind "$NET.$i" --port 7000 --cluster-enabled yes \
            --cluster-config-file "$d/r$i/nodes.conf" --dir "$d/r$i" --save '' --appendonly no \
            --protected-mode no
    done
    pause 1
    start erl-a 1 erl -noshell -name "a@$NET.1" -setcookie lab -start_epmd false \
        -kernel inet_dist_listen_min 9100 inet_dist_listen_max 9100
    pause 3
    alive epmd epmd2 redis1 redis2 erl-a
    capture_start
    on 3 redis-cli -h "$NET.1" -p 7000 cluster meet "$NET.2" 7000 >/dev/null
    on 2 erl -noshell -name "b@$NET.2" -setcookie lab -start_epmd false \
        -kernel inet_dist_listen_min 9101 inet_dist_listen_max 9101 -eval "$(<"$d/b.eval")" |
        grep -qx 20000 || die "the Erlang nodes did not talk"
    on 3 redis-cli -h "$NET.1" -p 7000 cluster info | grep -q 'cluster_known_nodes:2' ||
        die "the Redis nodes did not meet"
    stop erl-a redis1 redis2 epmd epmd2
}

scenario_negative_vpn() {
    local d=$WORK/$SCENARIO srv=$NET.1 i k1 k2 tag=${TAG#tcl}
    local wga="wg${tag}a" wgb="wg${tag}b" neba="nb${tag}a" nebb="nb${tag}b" n2a="n2${tag}a" n2b="n2${tag}b"
    mkdir -p "$d/www" "$d/nebula" "$d/tinc1/hosts" "$d/tinc2/hosts"
    random_file "$d/www/tunnel.bin" $((48 * 1024))
    # WireGuard keys
    umask 077
    wg genkey >"$d/wg1.key"; wg pubkey <"$d/wg1.key" >"$d/wg1.pub"
    wg genkey >"$d/wg2.key"; wg pubkey <"$d/wg2.key" >"$d/wg2.pub"
    umask 022
    # Nebula: a CA and one certificate per host
    nebula-cert ca -name lab -out-crt "$d/nebula/ca.crt" -out-key "$d/nebula/ca.key"
    for i in 1 2; do
        nebula-cert sign -name "h$i" -ip "10.10.0.$i/24" -ca-crt "$d/nebula/ca.crt" -ca-key "$d/nebula/ca.key" \
            -out-crt "$d/nebula/h$i.crt" -out-key "$d/nebula/h$i.key"
    done
    printf '%s\n' 'pki:' "  ca: $d/nebula/ca.crt" "  cert: $d/nebula/h1.crt" "  key: $d/nebula/h1.key" \
        'static_host_map: {}' 'lighthouse:' '  am_lighthouse: true' 'listen:' "  host: $srv" '  port: 4242' \
        'punchy:' '  punch: false' 'tun:' "  dev: $neba" 'logging:' '  level: info' \
        'firewall:' '  outbound: [{port: any, proto: any, host: any}]' '  inbound: [{port: any, proto: any, host: any}]' \
        >"$d/nebula/h1.yml"
    printf '%s\n' 'pki:' "  ca: $d/nebula/ca.crt" "  cert: $d/nebula/h2.crt" "  key: $d/nebula/h2.key" \
        'static_host_map:' "  \"10.10.0.1\": [\"$srv:4242\"]" 'lighthouse:' '  am_lighthouse: false' \
        '  hosts: ["10.10.0.1"]' 'listen:' "  host: $NET.2" '  port: 4242' 'punchy:' '  punch: false' \
        'tun:' "  dev: $nebb" 'logging:' '  level: info' \
        'firewall:' '  outbound: [{port: any, proto: any, host: any}]' '  inbound: [{port: any, proto: any, host: any}]' \
        >"$d/nebula/h2.yml"
    # tinc 1.0: two nodes, RSA keys, each knowing the other's host file
    for i in 1 2; do
        printf '%s\n' "Name = h$i" 'Mode = router' "Interface = tn${tag}$i" >"$d/tinc$i/tinc.conf"
        [[ $i == 2 ]] && printf 'ConnectTo = h1\n' >>"$d/tinc$i/tinc.conf"
        printf '%s\n' "Address = $NET.$i" 'Port = 655' "Subnet = 10.12.0.$i/32" >"$d/tinc$i/hosts/h$i"
        tincd -c "$d/tinc$i" -K2048 </dev/null >/dev/null 2>&1 || die "tincd -K failed"
        printf '%s\n' '#!/bin/sh' 'ip addr add '"10.12.0.$i"'/24 dev $INTERFACE' 'ip link set $INTERFACE up' \
            >"$d/tinc$i/tinc-up"
        chmod +x "$d/tinc$i/tinc-up"
    done
    cp "$d/tinc1/hosts/h1" "$d/tinc2/hosts/h1"
    cp "$d/tinc2/hosts/h2" "$d/tinc1/hosts/h2"

    serves udp 1 51820 not_bittorrent wireguard-go wireguard-go
    serves udp 1 4242 not_bittorrent nebula-lighthouse nebula
    serves udp 2 4242 not_bittorrent nebula nebula
    serves udp 1 7654 not_bittorrent n2n-supernode n2n-edge
    serves udp 3 any not_bittorrent n2n-edge n2n-edge
    serves tcp 1 655 not_bittorrent tincd tincd
    serves udp 1 655 not_bittorrent tincd tincd
    serves udp 2 655 not_bittorrent tincd tincd
    expect 2 "WireGuard handshake" 'wg.type == 1 || wg.type == 2'
    expect 4 "WireGuard transport data" 'wg.type == 4'

    start_in "$d/www" http1 1 "$PY" -m http.server --bind 0.0.0.0 8000
    start_in "$d/www" http3 3 "$PY" -m http.server --bind 0.0.0.0 8000
    start wg1 1 env WG_PROCESS_FOREGROUND=1 wireguard-go "$wga"
    start wg2 2 env WG_PROCESS_FOREGROUND=1 wireguard-go "$wgb"
    start nebula1 1 nebula -config "$d/nebula/h1.yml"
    start nebula2 2 nebula -config "$d/nebula/h2.yml"
    start supernode 1 supernode -l 7654
    pause 1.5
    alive http1 http3 wg1 wg2 nebula1 nebula2 supernode
    nsx "$(hns 1)" wg set "$wga" private-key "$d/wg1.key" listen-port 51820 peer "$(cat "$d/wg2.pub")" allowed-ips 10.9.0.2/32
    nsx "$(hns 2)" wg set "$wgb" private-key "$d/wg2.key" peer "$(cat "$d/wg1.pub")" allowed-ips 10.9.0.0/24 \
        endpoint "$srv:51820"
    nsx "$(hns 1)" ip addr add 10.9.0.1/24 dev "$wga"
    nsx "$(hns 2)" ip addr add 10.9.0.2/24 dev "$wgb"
    nsx "$(hns 1)" ip link set "$wga" up
    nsx "$(hns 2)" ip link set "$wgb" up
    capture_start

    on 2 curl -sS --max-time 10 -o "$d/wg.got" "http://10.9.0.1:8000/tunnel.bin" || die "no HTTP through WireGuard"
    cmp -s "$d/wg.got" "$d/www/tunnel.bin" || die "WireGuard download differs"
    on 2 curl -sS --max-time 10 -o /dev/null "http://10.10.0.1:8000/tunnel.bin" || die "no HTTP through Nebula"
    start edge2 2 edge -d "$n2a" -a 10.11.0.2 -c lab -k labkey -l "$srv:7654" -p 7655
    start edge3 3 edge -d "$n2b" -a 10.11.0.3 -c lab -k labkey -l "$srv:7654" -p 7655
    pause 2
    alive edge2 edge3
    on 2 curl -sS --max-time 10 -o /dev/null "http://10.11.0.3:8000/tunnel.bin" || die "no HTTP through n2n"
    start tinc1 1 tincd -c "$d/tinc1" -D -d1 --pidfile="$d/tinc1.pid"
    start tinc2 2 tincd -c "$d/tinc2" -D -d1 --pidfile="$d/tinc2.pid"
    wait_for 15 nsx "$(hns 2)" curl -sS --max-time 2 -o /dev/null "http://10.12.0.1:8000/" || die "no HTTP through tinc"
    on 2 curl -sS --max-time 10 -o /dev/null "http://10.12.0.1:8000/tunnel.bin" || die "no HTTP through tinc"
    sleep 0.5
    stop tinc2 tinc1 edge3 edge2 supernode nebula2 nebula1 wg2 wg1 http3 http1
}

# Matrix only (not committed: it shows a known miss, see README "Known misses"): rtorrent with
# protocol.encryption try_outgoing,enable_retry opens every connection with an MSE/PE key
# (one flight of Ya and padding) and, when a plaintext-only peer (qBittorrent with encryption
# disabled, ctorrent) hangs up, retries the same peer in plaintext.
scenario_rtorrent_mse_retry() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed"
    random_file "$d/seed/retry.bin" $((256 * 1024))
    hash=$(make_torrent "$d/seed/retry.bin" "$d/retry.torrent" "http://$NET.1:6969/announce")

    host_runs 2 qbittorrent
    host_runs 3 rtorrent
    host_runs 4 ctorrent
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire+peer_wire_encrypted qbittorrent
    serves udp 2 6881 utp qbittorrent
    serves tcp 3 6881 peer_wire+peer_wire_encrypted rtorrent
    serves tcp 4 6881 peer_wire+peer_wire_encrypted ctorrent
    expect 2 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    tracker 1 "$hash"
    qbittorrent qb2 2 "$d/retry.torrent" "$d/seed"
    pause 2
    ctorrent ct4 4 "$d/retry.torrent" "$d/ct4/retry.bin"
    pause 1
    rtorrent rt3 3 "$d/retry.torrent" "$d/rt3" \
        'protocol.encryption.set = allow_incoming,try_outgoing,enable_retry'
    pause 15
    alive qb2 rt3 ct4 opentracker
    stop rt3 ct4 qb2
    sleep 0.5
    stop opentracker
}

# VXLAN (RFC 7348), live: h2, h3 and h4 join VXLAN 42 (multicast group 239.1.1.42 on eth0, UDP
# 4789) with addresses 10.77.1.N on vxlan0; a libtorrent seeder on h2, a TCP-only leecher on h3
# and a uTP-only leecher on h4 reach it across the tunnel, and curl on h3 fetches a file from
# a python http.server on h2 the same way. The capture on br0 sees every flow inside VXLAN.
# (GRE and IP-in-IP are not in this kernel: encapsulate.py builds those captures.)
scenario_tunnel_vxlan() {
    local d=$WORK/$SCENARIO h inner=10.77.1
    mkdir -p "$d/seed" "$d/get3" "$d/get4" "$d/www"
    random_file "$d/seed/vx.bin" $((256 * 1024))
    random_file "$d/www/random.bin" $((64 * 1024))
    make_torrent "$d/seed/vx.bin" "$d/vx.torrent" >/dev/null
    for h in 2 3 4; do
        ip -n "$(hns "$h")" link add vxlan0 type vxlan id 42 group 239.1.1.42 dev eth0 \
            dstport 4789 ttl 4
        ip -n "$(hns "$h")" addr add "$inner.$h/24" dev vxlan0
        ip -n "$(hns "$h")" link set vxlan0 up
        no_offloads "$(hns "$h")" vxlan0
    done

    jq -nc --arg ip "$inner.3" '{kind:"host",ip:$ip,program:"libtorrent"}' >>"$RULES"
    jq -nc --arg ip "$inner.4" '{kind:"host",ip:$ip,program:"libtorrent"}' >>"$RULES"
    serves tcp "$inner.2" 6881 peer_wire libtorrent
    serves udp "$inner.2" 6881 utp libtorrent
    serves tcp "$inner.2" 8000 not_bittorrent python-http.server curl
    expect 20 "VXLAN packets" 'vxlan.vni == 42'
    expect 1 "BEP 3 handshakes inside VXLAN" 'vxlan && bittorrent.protocol.name == "BitTorrent protocol"'
    expect 1 "uTP SYN inside VXLAN" 'vxlan && bt-utp.type == 4'

    capture_start
    start_in "$d/www" http 2 "$PY" -m http.server --bind "$inner.2" 8000
    start seed2 2 "$PY" -u "$HERE/lt_client.py" run --listen "$inner.2:6881" --transports tcp,utp \
        --torrent "$d/vx.torrent" --save "$d/seed" --seed --no-pex --duration 18
    pause 1
    start get3 3 "$PY" -u "$HERE/lt_client.py" run --listen "$inner.3:6881" --transports tcp \
        --torrent "$d/vx.torrent" --save "$d/get3" --peer "$inner.2:6881" --no-pex --duration 14 \
        --require-complete
    start get4 4 "$PY" -u "$HERE/lt_client.py" run --listen "$inner.4:6881" --transports utp \
        --torrent "$d/vx.torrent" --save "$d/get4" --peer "$inner.2:6881" --no-pex --duration 14 \
        --require-complete
    wait_for 10 on 3 curl -sS -o "$d/random.got" "http://$inner.2:8000/random.bin"
    pause 14
    alive seed2
    stop get3 get4 seed2 http
    cmp -s "$d/get3/vx.bin" "$d/seed/vx.bin" || die "VXLAN TCP download incomplete (see get3 log)"
    cmp -s "$d/get4/vx.bin" "$d/seed/vx.bin" || die "VXLAN uTP download incomplete (see get4 log)"
}

# danted_conf FILE: dante on h6:1080, SOCKS 4 and 5 without authentication, CONNECT, BIND
# and UDP ASSOCIATE for the lab subnet.
danted_conf() {
    printf '%s\n' "logoutput: stderr" "internal: $NET.6 port = 1080" "external: $NET.6" \
        "socksmethod: none" "clientmethod: none" "user.privileged: root" \
        "user.unprivileged: nobody" "client pass { from: $NET.0/24 to: 0.0.0.0/0 }" \
        "socks pass { from: $NET.0/24 to: 0.0.0.0/0 command: bind connect udpassociate }" \
        "socks pass { from: 0.0.0.0/0 to: $NET.0/24 command: bindreply udpreply }" >"$1"
}

# www_servers DIR: python's http.server on h1:8000 and `openssl s_server -WWW` on h1:8443, both
# serving DIR/www (the certificate and key are DIR/cert.pem and DIR/key.pem).
www_servers() {
    start_in "$1/www" http 1 "$PY" -m http.server --bind "$NET.1" 8000
    start_in "$1/www" https 1 openssl s_server -accept "$NET.1:8443" -WWW -cert "$1/cert.pem" \
        -key "$1/key.pem" -quiet
}

# proxy_rule L4 HOST PORT|any KIND PROGRAM: HOST:PORT is a proxy (KIND socks or http). A flow to
# it is labelled by what it carries: the target its negotiation names (SOCKS CONNECT or UDP
# ASSOCIATE relay datagrams, HTTP CONNECT or a forward-proxy request) and that target's rule.
proxy_rule() {
    local port=null
    [[ $3 == any ]] || port=$3
    jq -nc --arg l4 "$1" --arg ip "$(addr_of "$2")" --argjson port "$port" --arg k "$4" \
        --arg p "$5" '{kind:"proxy",l4:$l4,ip:$ip,port:$port,proxy:$k,program:$p}' >>"$RULES"
}

# BitTorrent through SOCKS (issue 14): dante (SOCKS4 and SOCKS5 with UDP ASSOCIATE) and
# microsocks (SOCKS5 with username/password) on h6; a libtorrent leecher on h3 sends its tracker
# announces, peer connections, DHT and uTP through dante (SOCKS5, UDP relayed), another on h4
# through microsocks (socks5_pw, TCP only: microsocks refuses UDP ASSOCIATE); the seeder (h2)
# and the tracker (h1) see the proxy. Negative traffic through the same proxies from h5: curl
# over SOCKS5 and SOCKS4 to an HTTP server, DNS queries over the SOCKS5 UDP relay, and scp
# to an OpenSSH server through `nc -X 5` (ProxyCommand).
scenario_proxy_socks() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/lt3" "$d/lt4" "$d/www" "$d/ssh"
    random_file "$d/seed/px.bin" $((192 * 1024))
    random_file "$d/www/random.bin" $((64 * 1024))
    random_file "$d/ssh/data.bin" $((64 * 1024))
    ssh-keygen -q -t ed25519 -N '' -f "$d/ssh/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$d/ssh/client_key"
    cp "$d/ssh/client_key.pub" "$d/ssh/authorized_keys"
    printf '%s\n' "Port 22" "ListenAddress $NET.1" "HostKey $d/ssh/host_key" \
        "AuthorizedKeysFile $d/ssh/authorized_keys" "PermitRootLogin prohibit-password" \
        "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UsePAM no" \
        "StrictModes no" "PidFile $d/ssh/sshd.pid" "Subsystem sftp internal-sftp" \
        >"$d/ssh/sshd_config"
    mkdir -p /run/sshd
    hash=$(make_torrent "$d/seed/px.bin" "$d/px.torrent" "http://$NET.1:6969/announce")
    danted_conf "$d/danted.conf"

    host_runs 2 libtorrent
    host_runs 3 libtorrent
    host_runs 4 libtorrent
    host_runs 5 curl/scp/socks-dns
    host_runs 6 socks-proxy
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire libtorrent
    serves udp 2 6881 utp+dht libtorrent
    serves tcp 1 8000 not_bittorrent python-http.server
    serves udp 1 53 not_bittorrent dnsmasq
    serves tcp 1 22 not_bittorrent sshd
    proxy_rule tcp 6 1080 socks danted
    proxy_rule tcp 6 1081 socks microsocks
    proxy_rule udp 6 any socks danted
    expect 4 "SOCKS requests" 'socks'
    expect 1 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    tracker 1 "$hash"
    start_in "$d/www" http 1 "$PY" -m http.server --bind "$NET.1" 8000
    start dnsmasq 1 dnsmasq -d -k -C /dev/null --no-resolv --no-hosts --bind-interfaces \
        --listen-address="$NET.1" --port=53 --pid-file="$d/dnsmasq.pid" \
        --address=/lab.test/$NET.9
    start danted 6 danted -f "$d/danted.conf" -p "$d/danted.pid"
    start microsocks 6 microsocks -i "$NET.6" -p 1081 -u lab -P secret
    start sshd 1 /usr/sbin/sshd -D -e -f "$d/ssh/sshd_config"
    libtorrent seed2 2 6881 --transports tcp,utp --torrent "$d/px.torrent" --save "$d/seed" \
        --seed --dht "$NET.2:6881" --no-pex --upload-limit 100000 --duration 24
    pause 2
    libtorrent lt3 3 6881 --transports tcp,utp --torrent "$d/px.torrent" --save "$d/lt3" \
        --dht "$NET.2:6881" --no-pex --proxy "socks5,$NET.6,1080" --duration 18
    libtorrent lt4 4 6881 --transports tcp --torrent "$d/px.torrent" --save "$d/lt4" \
        --no-pex --proxy "socks5_pw,$NET.6,1081,lab,secret" --duration 18
    pause 3
    on 5 curl -sS --socks5 "$NET.6:1080" -o /dev/null "http://$NET.1:8000/random.bin"
    on 5 curl -sS --socks4 "$NET.6:1080" -o /dev/null "http://$NET.1:8000/random.bin"
    on 5 curl -sS --socks5 "lab:secret@$NET.6:1081" -o /dev/null "http://$NET.1:8000/random.bin"
    on 5 "$PY" "$HERE/lab_servers.py" socks-dns "$NET.6" 1080 "$NET.1" 3
    on 5 scp -q -F /dev/null -i "$d/ssh/client_key" -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes \
        -o "ProxyCommand=nc -X 5 -x $NET.6:1080 %h %p" \
        "root@$NET.1:$d/ssh/data.bin" "$d/ssh/data.got"
    cmp -s "$d/ssh/data.got" "$d/ssh/data.bin" || die "scp through SOCKS differs"
    pause 14
    alive seed2 danted microsocks opentracker sshd
    stop lt3 lt4 seed2
    sleep 0.5
    stop danted microsocks dnsmasq http opentracker sshd
}

# BitTorrent through an HTTP proxy (tinyproxy on h6): a libtorrent leecher on h3 with
# proxy_type http (peer connections in CONNECT tunnels, announces as forward-proxy
# `GET http://…/announce`), aria2 on h4 with --all-proxy (its announces only; its peer
# connections go direct); curl on h5 through the same proxy: HTTPS in a CONNECT tunnel and a
# forward-proxied HTTP download.
scenario_proxy_http() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/lt3" "$d/ar4" "$d/www"
    random_file "$d/seed/ph.bin" $((256 * 1024))
    random_file "$d/www/random.bin" $((64 * 1024))
    random_file "$d/www/small.bin" $((32 * 1024))
    hash=$(make_torrent "$d/seed/ph.bin" "$d/ph.torrent" "http://$NET.1:6969/announce")
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=lab.test -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    printf '%s\n' "Port 8888" "Listen $NET.6" "Timeout 60" "MaxClients 20" \
        "Allow $NET.0/24" "LogLevel Info" "PidFile \"$d/tinyproxy.pid\"" >"$d/tinyproxy.conf"

    host_runs 2 libtorrent
    host_runs 3 libtorrent
    host_runs 4 aria2
    host_runs 5 curl
    host_runs 6 tinyproxy
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire+peer_wire_encrypted libtorrent
    serves tcp 1 8000 not_bittorrent python-http.server
    serves tcp 1 8443 not_bittorrent openssl-s_server-www
    proxy_rule tcp 6 8888 http tinyproxy
    expect 1 "HTTP CONNECT" 'http.request.method == "CONNECT"'
    expect 1 "forward-proxied announces" 'http.request.uri contains "/announce" && http.request.uri contains "http://"'

    capture_start
    tracker 1 "$hash"
    www_servers "$d"
    start tinyproxy 6 tinyproxy -d -c "$d/tinyproxy.conf"
    libtorrent seed2 2 6881 --transports tcp --enc prefer --torrent "$d/ph.torrent" \
        --save "$d/seed" --seed --no-pex --upload-limit 100000 --duration 22
    pause 2
    libtorrent lt3 3 6881 --transports tcp --torrent "$d/ph.torrent" --save "$d/lt3" --no-pex \
        --proxy "http,$NET.6,8888" --duration 16
    aria2 ar4 4 "$d/ph.torrent" "$d/ar4" --all-proxy="http://$NET.6:8888" --seed-time=0
    pause 3
    on 5 curl -sS -k -x "http://$NET.6:8888" -o /dev/null "https://$NET.1:8443/small.bin"
    on 5 curl -sS -x "http://$NET.6:8888" -o /dev/null "http://$NET.1:8000/random.bin"
    pause 14
    alive seed2 tinyproxy opentracker
    stop lt3 ar4 seed2
    sleep 0.5
    stop tinyproxy https http opentracker
}

# Clients whose proxy support is their own or forced on them (issue 14): qBittorrent (h3)
# with its SOCKS5 proxy setting (peer connections and announces through dante on h6), and
# transmission (h4), which has no proxy setting, under proxychains4 through microsocks with
# username/password (peer connections and announces; it prefers MSE, the seeder accepts it, so
# its peer wire is encrypted inside the tunnel). h2 seeds with libtorrent; h5 runs curl under
# the same proxychains4 set-up to HTTP and HTTPS servers (negatives through the same proxy).
scenario_proxy_clients() {
    local d=$WORK/$SCENARIO hash
    mkdir -p "$d/seed" "$d/qb3" "$d/tr4" "$d/www"
    random_file "$d/seed/pc.bin" $((192 * 1024))
    random_file "$d/www/random.bin" $((48 * 1024))
    hash=$(make_torrent "$d/seed/pc.bin" "$d/pc.torrent" "http://$NET.1:6969/announce")
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=lab.test -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null
    danted_conf "$d/danted.conf"
    printf '%s\n' "strict_chain" "quiet_mode" "tcp_read_time_out 15000" \
        "tcp_connect_time_out 8000" "localnet 127.0.0.0/255.0.0.0" "[ProxyList]" \
        "socks5 $NET.6 1081 lab secret" >"$d/proxychains.conf"

    host_runs 2 libtorrent
    host_runs 3 qbittorrent
    host_runs 4 transmission
    host_runs 5 curl
    host_runs 6 socks-proxy
    serves tcp 1 6969 http_tracker opentracker
    serves tcp 2 6881 peer_wire+peer_wire_encrypted libtorrent
    serves tcp 1 8000 not_bittorrent python-http.server
    serves tcp 1 8443 not_bittorrent openssl-s_server-www
    proxy_rule tcp 6 1080 socks danted
    proxy_rule tcp 6 1081 socks microsocks
    expect 2 "SOCKS requests" 'socks'
    expect 1 "BEP 3 handshakes" 'bittorrent.protocol.name == "BitTorrent protocol"'

    capture_start
    tracker 1 "$hash"
    www_servers "$d"
    start danted 6 danted -f "$d/danted.conf" -p "$d/danted.pid"
    start microsocks 6 microsocks -i "$NET.6" -p 1081 -u lab -P secret
    libtorrent seed2 2 6881 --transports tcp --enc prefer --torrent "$d/pc.torrent" \
        --save "$d/seed" --seed --no-pex --upload-limit 100000 --duration 26
    pause 2
    qbittorrent qb3 3 "$d/pc.torrent" "$d/qb3" 'ProxyPeerConnections=true' \
        'Network:Proxy\Type=SOCKS5' "Network:Proxy\\IP=$NET.6" 'Network:Proxy\Port=1080' \
        'Network:Proxy\OnlyForTorrents=true'
    TR_WRAP="proxychains4 -q -f $d/proxychains.conf" transmission tr4 4 "$d/pc.torrent" "$d/tr4" 1
    pause 3
    on 5 proxychains4 -q -f "$d/proxychains.conf" curl -sS -o /dev/null \
        "http://$NET.1:8000/random.bin"
    on 5 proxychains4 -q -f "$d/proxychains.conf" curl -sS -k -o /dev/null \
        "https://$NET.1:8443/random.bin"
    pause 16
    alive seed2 danted microsocks opentracker qb3 tr4
    stop qb3 tr4 seed2
    sleep 0.5
    stop danted microsocks https http opentracker
    cmp -s "$d/qb3/pc.bin" "$d/seed/pc.bin" || die "qBittorrent download through SOCKS5 incomplete (see qb3 log)"
    cmp -s "$d/tr4/pc.bin" "$d/seed/pc.bin" || die "transmission download through proxychains4 incomplete (see tr4 log)"
}

# --- main --------------------------------------------------------------------------------

mkdir -p "$WORK/logs"
for SCENARIO in "${SCENARIOS[@]}"; do
    log "scenario $SCENARIO"
    mkdir -p "$WORK/$SCENARIO"
    RULES=$WORK/$SCENARIO.rules.jsonl
    : >"$RULES"
    PIDS=()
    PID_OF=()
    LAB_V6=0
    [[ " ${V6_SCENARIOS[*]} " != *" $SCENARIO "* ]] || LAB_V6=1
    lab_up
    "scenario_${SCENARIO//-/_}"
    stop_all_clients
    capture_stop
    lab_down
    cp "$WORK/$SCENARIO.pcap" "$OUT/$SCENARIO.pcap"
    v6flag=()
    [[ $LAB_V6 != 1 ]] || v6flag=(--allow-ipv6)
    "$PY" "$HERE/label.py" --pcap "$OUT/$SCENARIO.pcap" --rules "$RULES" "${v6flag[@]}" \
        --out "$OUT/$SCENARIO.labels.jsonl" || die "$SCENARIO: labelling/verification failed"
    size=$(stat -c %s "$OUT/$SCENARIO.pcap")
    ((size < 3 * 1024 * 1024)) || die "$SCENARIO: pcap is $size bytes (limit 3 MiB)"
    log "scenario $SCENARIO done: $OUT/$SCENARIO.pcap ($size bytes)"
done
total=$(cat "$OUT"/*.pcap | wc -c)
((total <= 50 * 1024 * 1024)) || log "warning: the pcaps in $OUT add up to $total bytes (budget 50 MiB)"
