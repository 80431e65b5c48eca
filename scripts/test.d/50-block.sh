#!/usr/bin/env bash
# torclass block on real kernels: the nftables ruleset it prints loads (block-ruleset.sh), and
# the end-to-end lab with real clients through a router namespace (block-lab.sh, about 90 s).
# Both need root and network namespaces; outside CI they skip loudly, with CI=true they fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build -q -p torclass-cli
bash torclass-cli/tests/block-ruleset.sh target/debug/torclass
timeout -k 10 360 bash torclass-cli/tests/block-lab.sh target/debug/torclass
