#!/usr/bin/env bash
# The main job: build torclass and classify the bundled real capture (Transmission and
# libtorrent peers with an opentracker HTTP tracker, plus real non-BitTorrent traffic).
set -euo pipefail
cd "$(dirname "$0")/.."
# Without the blocker and live capture, which link libnetfilter_queue and libpcap: classifying
# files needs neither.
cargo build --release --quiet -p torclass-cli --no-default-features
./target/release/torclass classify tests/captures/tcp-plain.pcap tests/captures/tcp-negative.pcap "$@"
