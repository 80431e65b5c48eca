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
# shellcheck source=lab.sh
. "$here/lab.sh"
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
lab_netns tc4rand-cli tc4rand-srv tc4rand-web
lab_link tc4rand-cli tc4rand-c0 10.81.0.2 tc4rand-srv tc4rand-s0 10.81.0.1
lab_link tc4rand-srv tc4rand-s1 10.81.1.1 tc4rand-web tc4rand-w0 10.81.1.2
cli="ip netns exec tc4rand-cli"
srv="ip netns exec tc4rand-srv"
web="ip netns exec tc4rand-web"

# The web: nginx (HTTP 80, HTTPS 443 with a self-signed certificate) and dnsmasq.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=web.lab.test \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
lab_nginx "$work" "server {
    listen 10.81.1.2:80; listen 10.81.1.2:443 ssl;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    root $work/www;
  }"
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
import sys
sys.path.insert(0, sys.argv[1])
import label
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
entries = []
for l4, a, ap, b, bp in label.conversations(sys.stdin):
    if ap in programs and a == "10.81.0.1": a, ap, b, bp = b, bp, a, ap
    prog, note = programs[bp]
    if l4 == "udp":
        prog, note = "ss-tunnel->ss-server", note + " UDP relay (DNS)"
    entries.append({"l4": l4, "a": a, "aport": ap, "b": b, "bport": bp,
                    "label": "not_bittorrent", "program": prog, "limit": "random", "note": note})
label.write_labels(sys.argv[2], entries, sys.argv[3])
' "$here" "$out/negative-rand-real.pcap" "$out/negative-rand-real.labels.jsonl"
cat "$out/negative-rand-real.labels.jsonl"
