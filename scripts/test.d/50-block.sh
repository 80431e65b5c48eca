#!/usr/bin/env bash
# torclass block on real kernels: the nftables ruleset it prints loads (block-ruleset.sh), and
# the end-to-end lab with real clients through a router namespace (block-lab.sh, about 90 s).
# Both need root and network namespaces; outside CI they skip loudly, with CI=true they fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p torclass-cli
bash torclass-cli/tests/block-ruleset.sh target/debug/torclass
# The systemd unit's sandbox (CAP_NET_ADMIN only, no home, read-only system): exposure <= 2.5.
if command -v systemd-analyze >/dev/null; then
  systemd-analyze security --offline=yes --threshold=25 torclass-cli/dist/torclass-block.service >/dev/null
else
  echo "50-block: systemd-analyze missing: the unit's sandbox is not scored" >&2
fi
timeout -k 10 360 bash torclass-cli/tests/block-lab.sh target/debug/torclass
