#!/usr/bin/env bash
# Capture `negative-vmess-real`: V2Ray 4.34 (Debian 12) VMess with the AEAD header (alterId 0),
# security aes-128-gcm and chacha20-poly1305, carrying curl's web downloads. Two network
# namespaces: the client (curl, v2ray with a SOCKS5 inbound and a VMess outbound; tcpdump on
# its veth) and the server (v2ray with a VMess inbound and a freedom outbound, nginx on HTTP 80).
# Only the client-to-server legs are captured; flows cut after 12 KB (trim_flows.py).
# Needs root and: apt-get install v2ray nginx-light curl tcpdump tshark.
# Usage: tests/captures/vmess_real.sh [OUTDIR]   (about 20 s; each run differs in its bytes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lab.sh
. "$here/lab.sh"
out="${1:-$here}"
work="$(mktemp -d /tmp/tc4rand-vmess.XXXXXX)"
chmod 755 "$work"   # nginx workers read the files as www-data
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for ns in vc vs; do ip netns del "tc4rand-$ns" 2>/dev/null || true; done
  if [ -z "${KEEP_WORK:-}" ]; then rm -rf "$work"; else echo "work directory: $work"; fi
}
trap cleanup EXIT
lab_netns tc4rand-vc tc4rand-vs
lab_link tc4rand-vc tc4rand-m0 10.81.3.2 tc4rand-vs tc4rand-m1 10.81.3.1
lab_nginx "$work" "server { listen 127.0.0.1:80; root $work/www; }"
ip netns exec tc4rand-vs nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
uuid=6c1f4d2e-8b7a-4c3e-9f10-2a5b7c9d0e11
cat > "$work/server.json" <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"listen": "10.81.3.1", "port": 10086, "protocol": "vmess",
               "settings": {"clients": [{"id": "$uuid", "alterId": 0}]}},
              {"listen": "10.81.3.1", "port": 443, "protocol": "vmess",
               "settings": {"clients": [{"id": "$uuid", "alterId": 0}]}}],
 "outbounds": [{"protocol": "freedom"}]}
JSON
ip netns exec tc4rand-vs v2ray -config "$work/server.json" > "$work/server.log" 2>&1 &
pids+=($!)
declare -A sec=([1090]=aes-128-gcm [1091]=chacha20-poly1305)
declare -A port=([1090]=10086 [1091]=443)
for s in 1090 1091; do
  cat > "$work/client-$s.json" <<JSON
{"log": {"loglevel": "warning"},
 "inbounds": [{"listen": "127.0.0.1", "port": $s, "protocol": "socks", "settings": {"udp": false}}],
 "outbounds": [{"protocol": "vmess", "settings": {"vnext": [{"address": "10.81.3.1",
   "port": ${port[$s]}, "users": [{"id": "$uuid", "alterId": 0, "security": "${sec[$s]}"}]}]}}]}
JSON
  ip netns exec tc4rand-vc v2ray -config "$work/client-$s.json" > "$work/client-$s.log" 2>&1 &
  pids+=($!)
done
sleep 3
ip netns exec tc4rand-vc tcpdump -i tc4rand-m0 -U -w "$work/real.pcap" tcp 2>/dev/null &
tcpdump_pid=$!
sleep 2
for s in 1090 1091; do
  x="socks5h://127.0.0.1:$s"
  for f in tiny.txt tiny.txt small.txt page.txt big.bin; do
    ip netns exec tc4rand-vc curl -fsS -o /dev/null -x "$x" "http://127.0.0.1/$f"
  done
  # Keep-alive: three requests on one connection.
  ip netns exec tc4rand-vc curl -fsS -o /dev/null -o /dev/null -o /dev/null -x "$x" \
    http://127.0.0.1/tiny.txt http://127.0.0.1/tiny.txt http://127.0.0.1/small.txt
  sleep 1
done
sleep 2
kill "$tcpdump_pid"; sleep 1
/usr/bin/python3 "$here/trim_flows.py" "$work/real.pcap" "$out/negative-vmess-real.pcap" 12288
tshark -r "$out/negative-vmess-real.pcap" -q -z conv,tcp | \
  /usr/bin/python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import label
notes = {10086: "VMess AEAD, aes-128-gcm", 443: "VMess AEAD, chacha20-poly1305"}
entries = []
for l4, a, ap, b, bp in label.conversations(sys.stdin):
    if a == "10.81.3.1": a, ap, b, bp = b, bp, a, ap
    entries.append({"l4": l4, "a": a, "aport": ap, "b": b, "bport": bp,
                    "label": "not_bittorrent", "program": "v2ray->v2ray", "limit": "random",
                    "note": notes[bp]})
label.write_labels(sys.argv[2], entries, sys.argv[3])
' "$here" "$out/negative-vmess-real.pcap" "$out/negative-vmess-real.labels.jsonl"
cat "$out/negative-vmess-real.labels.jsonl"
