#!/usr/bin/env bash
# The crafted captures (tests/captures/encapsulate.py: GRE, IP-in-IP, 6in4, PPPoE, GTP-U, MPLS
# and IP fragments around real flows) are rebuilt from the committed real captures and must be
# byte for byte the committed ones, labels included; encapsulate.py also checks each with
# tshark. So are negative-probes (tests/captures/probes.py: nmap's probes and scapy's protocol
# layers), negative-p2plike (tests/captures/p2plike.py: eDonkey/eMule, Kad, Gnutella,
# Gnutella2, Xunlei, PPStream, Direct Connect, Soulseek, libp2p, I2P; 3 s) and negative-games
# (tests/captures/games.py: game, voice and streaming sessions beside a BitTorrent host;
# 12 s). About 80 s. Needs scapy and cryptography (scripts/python-requirements.txt, in .venv),
# tshark and nmap-common (its probe files).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! .venv/bin/python -c 'import scapy' 2>/dev/null || ! command -v tshark >/dev/null \
  || [ ! -f /usr/share/nmap/nmap-service-probes ]; then
  if [ "${CI:-}" = true ]; then
    echo "35-captures: FAIL: scapy (in .venv), tshark or nmap-common is missing (scripts/setup.sh)" >&2
    exit 1
  fi
  echo "35-captures: SKIPPED: scapy (in .venv), tshark or nmap-common is missing (run scripts/setup.sh)" >&2
  exit 0
fi
out="$(mktemp -d "${TMPDIR:-/tmp}/torclass-encap.XXXXXX")"
trap 'rm -rf "$out"' EXIT
.venv/bin/python tests/captures/encapsulate.py --out "$out"
.venv/bin/python tests/captures/probes.py --out "$out"
.venv/bin/python tests/captures/p2plike.py --out "$out"
.venv/bin/python tests/captures/games.py --out "$out"
status=0
for f in "$out"/*; do
  cmp "$f" "tests/captures/$(basename "$f")" || status=1
done
[ "$status" = 0 ] && echo "35-captures: $(ls "$out" | wc -l) files rebuilt, identical to the committed ones"
exit "$status"
