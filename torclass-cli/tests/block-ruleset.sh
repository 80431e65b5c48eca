#!/usr/bin/env bash
# The nftables ruleset `torclass block --print-ruleset` prints loads into a real kernel, twice
# (loading it again replaces it), and takes known peers in the format the daemon writes
# (block::peers's unit test pins that format). In a scratch network namespace.
#
# A kernel without the nft `queue` expression (nft_queue; Debian's kernels have it, some VM
# kernels do not) cannot load the `queue` line: there it is checked with that one line replaced
# by `accept`, and said so. The lab (block-lab.sh) runs the iptables-legacy ruleset end to end.
#
# Needs root. Outside CI a missing prerequisite skips loudly; with CI=true it fails.
# Usage: block-ruleset.sh PATH/TO/torclass
set -euo pipefail
torclass=$(realpath "${1:?usage: $0 PATH/TO/torclass}")
skip() {
  if [ "${CI:-}" = true ]; then
    echo "block-ruleset: FAIL (CI=true, cannot skip): $*" >&2
    exit 1
  fi
  echo "block-ruleset: SKIPPED: $*" >&2
  exit 0
}
fail() { echo "block-ruleset: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "not root"
command -v nft >/dev/null || skip "nft not installed (the nftables package)"
ns=tcbr$$
work=$(mktemp -d)
cleanup() { ip netns del $ns 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add $ns
nx() { ip netns exec $ns "$@"; }

nx nft -f - <<<'table inet probe { chain c { type filter hook forward priority 0; queue num 0 bypass; } }' 2>/dev/null &&
  has_queue=1 || has_queue=
nx nft delete table inet probe 2>/dev/null || true
for args in "" "--queue 0:3 --fail-closed --udp-sample 0 --inspect-packets 8"; do
  # shellcheck disable=SC2086
  "$torclass" block --print-ruleset $args >"$work/rules.nft"
  if [ -z "$has_queue" ]; then
    echo "block-ruleset: this kernel has no nft queue expression: checking the rest (queue -> accept)" >&2
    sed -i 's/^\( *\)queue num .*/\1accept/' "$work/rules.nft"
  fi
  nx nft -f "$work/rules.nft" || fail "the ruleset ($args) did not load"
  nx nft -f "$work/rules.nft" || fail "the ruleset ($args) did not load a second time"
done
chain=$(nx nft list chain inet torclass forward)
grep -q 'ct mark 0x000070c1 drop' <<<"$chain" || fail "no drop rule"
nx nft -f - <<'EOF2' || fail "known peers did not load"
add element inet torclass peers4 { 192.0.2.7 . tcp . 6881 timeout 60s }
add element inet torclass peers4 { 192.0.2.7 . udp . 6881 timeout 60s }
add element inet torclass peers6 { 2001:db8::7 . tcp . 51413 timeout 5s }
EOF2
set=$(nx nft list set inet torclass peers4)
grep -q '192.0.2.7 . tcp . 6881' <<<"$set" || fail "the known peer is not in the set"
nx nft -f - <<<$'flush set inet torclass peers4\nflush set inet torclass peers6' || fail "flush"
set=$(nx nft list set inet torclass peers4)
! grep -q 192.0.2.7 <<<"$set" || fail "the set was not flushed"
echo "block-ruleset: PASS"
