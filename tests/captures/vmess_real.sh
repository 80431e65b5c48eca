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
for ns in vc vs; do ip netns add "tc4rand-$ns"; ip -n "tc4rand-$ns" link set lo up; done
ip link add tc4rand-m0 type veth peer name tc4rand-m1
ip link set tc4rand-m0 netns tc4rand-vc
ip link set tc4rand-m1 netns tc4rand-vs
ip -n tc4rand-vc addr add 10.81.3.2/24 dev tc4rand-m0
ip -n tc4rand-vs addr add 10.81.3.1/24 dev tc4rand-m1
ip -n tc4rand-vc link set tc4rand-m0 up
ip -n tc4rand-vs link set tc4rand-m1 up
for nv in vc:tc4rand-m0 vs:tc4rand-m1; do
  ip netns exec "tc4rand-${nv%%:*}" ethtool -K "${nv#*:}" tso off gso off gro off 2>/dev/null || true
done
mkdir -p "$work/www" "$work/tmp"
head -c 75 /dev/urandom | base64 > "$work/www/tiny.txt"
head -c 2000 /dev/urandom | base64 > "$work/www/small.txt"
head -c 30000 /dev/urandom | base64 > "$work/www/page.txt"
head -c 3000000 /dev/urandom > "$work/www/big.bin"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen 127.0.0.1:80; root $work/www; }
}
CONF
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
import collections, re, sys, json
sys.path.insert(0, sys.argv[1])
import label
verdicts = label.tshark_verdicts(sys.argv[2])
notes = {10086: "VMess AEAD, aes-128-gcm", 443: "VMess AEAD, chacha20-poly1305"}
rows = []
for line in sys.stdin:
    m = re.match(r"([\d.]+):(\d+)\s+<->\s+([\d.]+):(\d+)\s", line)
    if m:
        rel = float(line.split()[-2])
        a, ap, b, bp = m.group(1), int(m.group(2)), m.group(3), int(m.group(4))
        if a == "10.81.3.1": a, ap, b, bp = b, bp, a, ap
        rows.append((rel, {"l4": "tcp", "a": a, "aport": ap, "b": b, "bport": bp,
                           "label": "not_bittorrent", "program": "v2ray->v2ray"}))
for _, r in sorted(rows, key=lambda x: x[0]):
    ends = sorted([(r["a"], r["aport"]), (r["b"], r["bport"])], key=label.endpoint_order)
    v = verdicts.get(("tcp",) + tuple(ends), collections.Counter())
    r["tshark"] = ",".join(n for n, _ in v.most_common()) or "-"
    r["limit"] = "random"
    r["note"] = notes[r["bport"]]
    print(json.dumps(r, separators=(",", ":")))
' "$here" "$out/negative-vmess-real.pcap" > "$out/negative-vmess-real.labels.jsonl"
cat "$out/negative-vmess-real.labels.jsonl"
