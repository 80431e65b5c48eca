#!/usr/bin/env bash
# Benchmark (not a test): packets per second nfq_blocker sustains on non-BitTorrent traffic.
# A client namespace floods small UDP datagrams (many source ports, so that every packet is
# looked up in the flow table and classified) through a router namespace whose FORWARD chain
# sends every packet to nfq_blocker (no conntrack offload rules, so nothing bypasses it).
# Prints packets sent, packets the daemon judged, and the daemon's rate. Root only.
# Usage: nfq_pps.sh PATH/TO/nfq_blocker [SECONDS]
set -euo pipefail
blocker=$(realpath "${1:?usage: $0 NFQ_BLOCKER [SECONDS]}")
secs=${2:-10}
CLI=tc-pps-cli RTR=tc-pps-rtr SRV=tc-pps-srv
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for ns in $CLI $RTR $SRV; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
for ns in $CLI $RTR $SRV; do ip netns del "$ns" 2>/dev/null || true; ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
ip link add tc-pps-c type veth peer name tc-pps-rc
ip link add tc-pps-s type veth peer name tc-pps-rs
ip link set tc-pps-c netns $CLI; ip link set tc-pps-rc netns $RTR
ip link set tc-pps-s netns $SRV; ip link set tc-pps-rs netns $RTR
in_ns $CLI ip addr add 10.98.1.2/24 dev tc-pps-c; in_ns $CLI ip link set tc-pps-c up
in_ns $CLI ip route add default via 10.98.1.1
in_ns $SRV ip addr add 10.98.2.2/24 dev tc-pps-s; in_ns $SRV ip link set tc-pps-s up
in_ns $SRV ip route add default via 10.98.2.1
in_ns $RTR ip addr add 10.98.1.1/24 dev tc-pps-rc; in_ns $RTR ip addr add 10.98.2.1/24 dev tc-pps-rs
in_ns $RTR ip link set tc-pps-rc up; in_ns $RTR ip link set tc-pps-rs up
in_ns $RTR sysctl -qw net.ipv4.ip_forward=1
in_ns $RTR iptables-legacy -A FORWARD -m mark --mark 0x70c0/0xfffe -j ACCEPT
in_ns $RTR iptables-legacy -A FORWARD -j NFQUEUE --queue-num 0
ip netns exec $RTR "$blocker" -q 0 -f >"$work/blocker.log" 2>&1 &
pids+=($!)
sleep 0.5
cat >"$work/flood.c" <<'C'
/* Sends small DNS-shaped UDP datagrams from 256 sockets (source ports) for argv[1] seconds. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
int main(int argc, char **argv) {
  (void)argc;
  double secs = atof(argv[1]);
  int socks[256];
  for (int i = 0; i < 256; i++) socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(53)};
  inet_pton(AF_INET, "10.98.2.2", &to.sin_addr);
  static const char q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07" "example\x03" "com\x00\x00\x01\x00\x01";
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  long n = 0;
  for (;;) {
    for (int i = 0; i < 256; i++) n += sendto(socks[i], q, sizeof q - 1, 0, (struct sockaddr *)&to, sizeof to) > 0;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > secs) break;
  }
  printf("%ld\n", n);
  return 0;
}
C
gcc -O2 -o "$work/flood" "$work/flood.c"
sent=$(in_ns $CLI "$work/flood" "$secs")
sleep 0.5
kill -TERM "${pids[0]}"
for _ in $(seq 20); do kill -0 "${pids[0]}" 2>/dev/null || break; sleep 0.2; done
cat "$work/blocker.log"
judged=$(sed -n 's/.* packets=\([0-9]*\) .*/\1/p' "$work/blocker.log")
echo "sent $sent datagrams in ${secs}s ($((sent / secs)) pps offered); nfq_blocker judged $judged ($((judged / secs)) pps)"
