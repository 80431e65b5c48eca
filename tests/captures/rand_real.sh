#!/usr/bin/env bash
# Capture `negative-rand-real`: real circumvention proxies whose bytes are random from the
# first, carrying web downloads. shadowsocks-libev (ss-server, ss-local, ss-tunnel; AEAD ciphers
# aes-256-gcm, chacha20-ietf-poly1305, aes-128-gcm) and obfs4proxy (server and client in managed
# mode: obfs4 with iat-mode 0, 1 and 2, obfs3, obfs2). Three network namespaces: the client
# (curl, dig, ss-local, ss-tunnel, the obfs4proxy client; tcpdump on its veth), the proxy server
# (ss-server, the obfs4proxy servers), the web (nginx HTTP and HTTPS, dnsmasq). Only the
# client-to-proxy legs are captured. KEEP_WORK=1 keeps the work directory (logs).
# Needs root and: apt-get install shadowsocks-libev obfs4proxy nginx-light dnsmasq curl
# dnsutils tcpdump tshark openssl.
# Usage: tests/captures/rand_real.sh [OUTDIR]   (about 60 s; each run differs in its bytes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here}"
work="$(mktemp -d /tmp/tc4rand-real.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for ns in cli srv web; do ip netns del "tc4rand-$ns" 2>/dev/null || true; done
  if [ -z "${KEEP_WORK:-}" ]; then rm -rf "$work"; else echo "work directory: $work"; fi
}
trap cleanup EXIT
for ns in cli srv web; do ip netns add "tc4rand-$ns"; ip -n "tc4rand-$ns" link set lo up; done
ip link add tc4rand-c0 type veth peer name tc4rand-s0
ip link add tc4rand-s1 type veth peer name tc4rand-w0
ip link set tc4rand-c0 netns tc4rand-cli
ip link set tc4rand-s0 netns tc4rand-srv
ip link set tc4rand-s1 netns tc4rand-srv
ip link set tc4rand-w0 netns tc4rand-web
ip -n tc4rand-cli addr add 10.81.0.2/24 dev tc4rand-c0
ip -n tc4rand-srv addr add 10.81.0.1/24 dev tc4rand-s0
ip -n tc4rand-srv addr add 10.81.1.1/24 dev tc4rand-s1
ip -n tc4rand-web addr add 10.81.1.2/24 dev tc4rand-w0
ip -n tc4rand-cli link set tc4rand-c0 up
ip -n tc4rand-srv link set tc4rand-s0 up
ip -n tc4rand-srv link set tc4rand-s1 up
ip -n tc4rand-web link set tc4rand-w0 up
# No segmentation offloads: the capture holds wire-sized segments, not 64 KB super-frames.
for nv in cli:tc4rand-c0 srv:tc4rand-s0 srv:tc4rand-s1 web:tc4rand-w0; do
  ip netns exec "tc4rand-${nv%%:*}" ethtool -K "${nv#*:}" tso off gso off gro off 2>/dev/null || true
done
cli="ip netns exec tc4rand-cli"
srv="ip netns exec tc4rand-srv"
web="ip netns exec tc4rand-web"

# The web: nginx (HTTP 80, HTTPS 443 with a self-signed certificate) and dnsmasq.
mkdir -p "$work/www"
head -c 75 /dev/urandom | base64 > "$work/www/tiny.txt"
head -c 2000 /dev/urandom | base64 > "$work/www/small.txt"
head -c 30000 /dev/urandom | base64 > "$work/www/page.txt"
head -c 3000000 /dev/urandom > "$work/www/big.bin"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=web.lab.test \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 10.81.1.2:80; listen 10.81.1.2:443 ssl;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    root $work/www;
  }
}
CONF
mkdir -p "$work/tmp"
$web nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
$web dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=10.81.1.2 \
  --bind-interfaces --pid-file="$work/dnsmasq.pid" --address=/lab.test/10.81.1.2 -u root &
pids+=($!)

# The proxy server: ss-server (TCP and UDP relay) on three ports, one cipher each, and three
# obfs4 servers (iat-mode 0, 1, 2) whose "ORPort" is the web server's HTTP port.
declare -A cipher=([443]=aes-256-gcm [8388]=chacha20-ietf-poly1305 [40123]=aes-128-gcm)
for p in 443 8388 40123; do
  $srv ss-server -s 10.81.0.1 -p "$p" -k "tc4rand-$p" -m "${cipher[$p]}" -u &
  pids+=($!)
done
declare -A iat=([9443]=0 [37281]=1 [8443]=2)
for p in 9443 37281 8443; do
  mkdir -p "$work/obfs4-$p"
  $srv env TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_STATE_LOCATION="$work/obfs4-$p" \
    TOR_PT_SERVER_TRANSPORTS=obfs4 TOR_PT_SERVER_BINDADDR="obfs4-10.81.0.1:$p" \
    TOR_PT_ORPORT=10.81.1.2:80 TOR_PT_SERVER_TRANSPORT_OPTIONS="obfs4:iat-mode=${iat[$p]}" \
    obfs4proxy > "$work/obfs4-$p.out" 2>&1 < /dev/null &
  pids+=($!)
done
# obfs4proxy's older transports: obfs3 (UniformDH) and obfs2 (its ScrambleSuit is client only).
mkdir -p "$work/obfs-old"
$srv env TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_STATE_LOCATION="$work/obfs-old" \
  TOR_PT_SERVER_TRANSPORTS=obfs3,obfs2 \
  TOR_PT_SERVER_BINDADDR="obfs3-10.81.0.1:5223,obfs2-10.81.0.1:46001" \
  TOR_PT_ORPORT=10.81.1.2:80 obfs4proxy -enableLogging -logLevel DEBUG \
  > "$work/obfs-old.out" 2>&1 < /dev/null &
pids+=($!)
# The client's proxies: ss-local (SOCKS5) and ss-tunnel (UDP to dnsmasq) per cipher, and the
# obfs4 client (SOCKS5; the bridge's cert and iat-mode go in the SOCKS username and password).
declare -A socks=([443]=1080 [8388]=1081 [40123]=1082)
declare -A dns=([443]=5300 [8388]=5301 [40123]=5302)
for p in 443 8388 40123; do
  $cli ss-local -s 10.81.0.1 -p "$p" -k "tc4rand-$p" -m "${cipher[$p]}" -b 127.0.0.1 \
    -l "${socks[$p]}" &
  pids+=($!)
  $cli ss-tunnel -s 10.81.0.1 -p "$p" -k "tc4rand-$p" -m "${cipher[$p]}" -b 127.0.0.1 \
    -l "${dns[$p]}" -L 10.81.1.2:53 -U &
  pids+=($!)
done
mkdir -p "$work/obfs4-client"
$cli env TOR_PT_MANAGED_TRANSPORT_VER=1 TOR_PT_STATE_LOCATION="$work/obfs4-client" \
  TOR_PT_CLIENT_TRANSPORTS=obfs4,obfs3,obfs2 obfs4proxy -enableLogging -logLevel DEBUG \
  > "$work/obfs4-client.out" 2>&1 < /dev/null &
pids+=($!)
sleep 3
socks_of() { sed -n "s/^CMETHOD $1 socks5 //p" "$work/obfs4-client.out"; }
obfs4_socks="$(socks_of obfs4)"
echo "obfs4 client SOCKS5 at $obfs4_socks"

$cli tcpdump -i tc4rand-c0 -U -w "$work/real.pcap" tcp or udp 2>/dev/null &
tcpdump_pid=$!
sleep 2
for p in 443 8388 40123; do
  s="socks5h://127.0.0.1:${socks[$p]}"
  $cli curl -sS -o /dev/null -x "$s" http://10.81.1.2/tiny.txt
  $cli curl -sS -o /dev/null -I -x "$s" http://10.81.1.2/page.txt
  # Keep-alive: three requests on one connection (the client's second flight is random too).
  $cli curl -sS -o /dev/null -o /dev/null -o /dev/null -x "$s" http://10.81.1.2/tiny.txt \
    http://10.81.1.2/tiny.txt http://10.81.1.2/small.txt
  $cli curl -sS -o /dev/null -x "$s" http://10.81.1.2/small.txt
  $cli curl -sS -o /dev/null -x "$s" http://10.81.1.2/page.txt
  $cli curl -sS -o /dev/null -x "$s" http://10.81.1.2/big.bin
  $cli curl -sS -o /dev/null -k -x "$s" https://10.81.1.2/small.txt
  $cli curl -sS -o /dev/null -k -x "$s" https://10.81.1.2/big.bin
  for q in a b c; do
    $cli dig +short +tries=1 +time=2 -p "${dns[$p]}" @127.0.0.1 "$q.lab.test" A
  done
  sleep 1
done
for p in 9443 37281 8443; do
  cert="$(sed -n 's/.* cert=\([^ ]*\) .*/\1/p' "$work/obfs4-$p/obfs4_bridgeline.txt")"
  auth="cert=$cert;:iat-mode=${iat[$p]}"
  $cli curl -sS -o /dev/null -x "socks5://$obfs4_socks" --proxy-user "$auth" \
    "http://10.81.0.1:$p/tiny.txt"
  $cli curl -sS -o /dev/null -x "socks5://$obfs4_socks" --proxy-user "$auth" \
    "http://10.81.0.1:$p/small.txt"
  $cli curl -sS -o /dev/null -o /dev/null -x "socks5://$obfs4_socks" --proxy-user "$auth" \
    "http://10.81.0.1:$p/tiny.txt" "http://10.81.0.1:$p/tiny.txt"
  $cli curl -sS -o /dev/null -x "socks5://$obfs4_socks" --proxy-user "$auth" \
    "http://10.81.0.1:$p/page.txt"
  $cli curl -sS -o /dev/null -x "socks5://$obfs4_socks" --proxy-user "$auth" \
    "http://10.81.0.1:$p/big.bin"
  sleep 1
done
# obfs3 and obfs2 take no arguments. Their padding is random: six connections each.
for t in obfs3:5223 obfs2:46001; do
  tp="${t%%:*}"; p="${t#*:}"
  for f in tiny.txt tiny.txt small.txt page.txt big.bin; do
    $cli curl -sS -o /dev/null -x "socks5://$(socks_of "$tp")" "http://10.81.0.1:$p/$f"
  done
  $cli curl -sS -o /dev/null -o /dev/null -x "socks5://$(socks_of "$tp")" \
    "http://10.81.0.1:$p/tiny.txt" "http://10.81.0.1:$p/tiny.txt"
  sleep 1
done
sleep 2
kill "$tcpdump_pid"; sleep 1
# Keep each flow's first 12 KB of payload (the handshakes and the first flights whole); drop
# the rest of the downloads.
/usr/bin/python3 "$here/trim_flows.py" "$work/real.pcap" "$out/negative-rand-real.pcap" 12288
# One label per flow (tshark's conversations), all not_bittorrent and random from the first
# byte.
tshark -r "$out/negative-rand-real.pcap" -q -z conv,udp -z conv,tcp | \
  /usr/bin/python3 -c '
import collections, re, sys, json
sys.path.insert(0, sys.argv[1])
import label
verdicts = label.tshark_verdicts(sys.argv[2])
programs = {
    443: ("ss-local->ss-server", "shadowsocks-libev aes-256-gcm"),
    8388: ("ss-local->ss-server", "shadowsocks-libev chacha20-ietf-poly1305"),
    40123: ("ss-local->ss-server", "shadowsocks-libev aes-128-gcm"),
    9443: ("obfs4proxy->obfs4proxy", "obfs4 iat-mode=0"),
    37281: ("obfs4proxy->obfs4proxy", "obfs4 iat-mode=1"),
    8443: ("obfs4proxy->obfs4proxy", "obfs4 iat-mode=2"),
    5223: ("obfs4proxy->obfs4proxy", "obfs3"),
    46001: ("obfs4proxy->obfs4proxy", "obfs2"),
}
l4 = None
rows = []
for line in sys.stdin:
    if line.startswith("UDP Conversations"): l4 = "udp"
    if line.startswith("TCP Conversations"): l4 = "tcp"
    m = re.match(r"([\d.]+):(\d+)\s+<->\s+([\d.]+):(\d+)\s", line)
    if m:
        rel = float(line.split()[-2])
        a, ap, b, bp = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        if ap in programs and a == "10.81.0.1": a, ap, b, bp = b, bp, a, ap
        prog, note = programs[bp]
        if l4 == "udp":
            prog, note = "ss-tunnel->ss-server", note + " UDP relay (DNS)"
        rows.append((rel, {"l4": l4, "a": a, "aport": ap, "b": b, "bport": bp,
                           "label": "not_bittorrent", "program": prog}, note))
for _, r, note in sorted(rows, key=lambda x: x[0]):
    ends = sorted([(r["a"], r["aport"]), (r["b"], r["bport"])], key=label.endpoint_order)
    v = verdicts.get((r["l4"],) + tuple(ends), collections.Counter())
    r["tshark"] = ",".join(n for n, _ in v.most_common()) or "-"
    r["limit"] = "random"
    r["note"] = note
    print(json.dumps(r, separators=(",", ":")))
' "$here" "$out/negative-rand-real.pcap" > "$out/negative-rand-real.labels.jsonl"
cat "$out/negative-rand-real.labels.jsonl"
