#!/usr/bin/env bash
# Capture `negative-telegram-real`: Telethon 1.45 (a real Telegram MTProto client, from PyPI, in
# a virtualenv under ~/.cache/torclass-captures) opening connections to a Telegram data centre
# and to an MTProxy that accept the TCP connection and never answer (a dead proxy, a blocked DC):
# the obfuscated transport (obfuscated2: a random 64-byte header, then AES-CTR) and MTProxy's
# randomized intermediate transport (the header keyed with the proxy's secret, random padding),
# each sending its first request, req_pq_multi, and giving up after its timeout. Two network
# namespaces; tcpdump in the client's. Needs root, python3-venv (PyPI), tcpdump, tshark.
# Usage: tests/captures/telegram_real.sh [OUTDIR]   (about 20 s; each run differs in its bytes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lab.sh
. "$here/lab.sh"
out="${1:-$here}"
venv="$HOME/.cache/torclass-captures/telethon"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import telethon" 2>/dev/null; then
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q telethon==1.45.0
fi
work="$(mktemp -d /tmp/tc4rand-tg.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 1
  for ns in tgc tgs; do ip netns del "tc4rand-$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
lab_netns tc4rand-tgc tc4rand-tgs
lab_link tc4rand-tgc tc4rand-g0 10.81.2.2 tc4rand-tgs tc4rand-g1 10.81.2.1
# The silent server: accepts on 443, 47213 (the DC) and 8888 (the MTProxy), reads, never writes.
ip netns exec tc4rand-tgs /usr/bin/python3 -c '
import selectors, socket
sel = selectors.DefaultSelector()
for port in (443, 47213, 8888):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.81.2.1", port))
    s.listen(16)
    sel.register(s, selectors.EVENT_READ, None)
while True:
    for key, _ in sel.select():
        if key.data is None:
            c, _ = key.fileobj.accept()
            sel.register(c, selectors.EVENT_READ, "c")
        elif not key.fileobj.recv(65536):
            sel.unregister(key.fileobj)
            key.fileobj.close()
' &
pids+=($!)
sleep 1
ip netns exec tc4rand-tgc tcpdump -i tc4rand-g0 -U -w "$work/tg.pcap" tcp 2>/dev/null &
tcpdump_pid=$!
sleep 2
clients=()
for run in 1 2 3; do
  for target in "443 obfuscated" "47213 obfuscated" "443 mtproxy" "8888 mtproxy"; do
    set -- $target
    ip netns exec tc4rand-tgc "$venv/bin/python" -W ignore "$here/telegram_real_client.py" 10.81.2.1 "$1" "$2" &
    clients+=($!)
    sleep 0.5
  done
done
for c in "${clients[@]}"; do wait "$c" || true; done
sleep 2
kill "$tcpdump_pid"; sleep 1
cp "$work/tg.pcap" "$out/negative-telegram-real.pcap"
tshark -r "$out/negative-telegram-real.pcap" -q -z conv,tcp | \
  /usr/bin/python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import label
entries = []
for l4, a, ap, b, bp in label.conversations(sys.stdin):
    if a == "10.81.2.1": a, ap, b, bp = b, bp, a, ap
    entries.append({"l4": l4, "a": a, "aport": ap, "b": b, "bport": bp,
                    "label": "not_bittorrent"})
# The clients start 0.5 s apart in the order of the loop above: per round, the DC on 443 and
# 47213 (obfuscated), then the MTProxy on 443 and 8888.
assert [e["bport"] for e in entries] == [443, 47213, 443, 8888] * 3, entries
for i, e in enumerate(entries):
    mtproxy = i % 4 >= 2
    e["program"] = "telethon->" + ("silent-mtproxy" if mtproxy else "silent-dc")
    e["limit"] = "random"
    e["note"] = ("MTProxy randomized intermediate (dd secret)" if mtproxy
                 else "obfuscated2 transport") + ", req_pq_multi unanswered"
label.write_labels(sys.argv[2], entries, sys.argv[3])
' "$here" "$out/negative-telegram-real.pcap" "$out/negative-telegram-real.labels.jsonl"
cat "$out/negative-telegram-real.labels.jsonl"
