#!/usr/bin/env bash
# Installs what the tests need on Debian 12 (as root, or with sudo): the Debian packages listed
# in scripts/debian-packages.txt and a Python virtual environment in .venv with
# scripts/python-requirements.txt. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/debian-packages.txt)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ -s scripts/python-requirements.txt ]; then
  py=$(command -v python3)
  "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    { echo "setup: $py is $("$py" -V 2>&1); torclass-py needs Python >= 3.11" >&2; exit 1; }
  [ -x .venv/bin/python ] || "$py" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r scripts/python-requirements.txt
fi

# The no_std build check (scripts/test.d/25-crate.sh) needs a bare-metal target's standard
# library; rustup fetches it once (the check skips loudly outside CI if this fails).
target=thumbv7em-none-eabihf
if command -v rustup >/dev/null &&
  ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  echo "setup: adding the Rust target $target"
  rustup target add "$target" >/dev/null || echo "setup: could not add $target" >&2
fi
