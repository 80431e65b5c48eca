#!/usr/bin/env bash
# Builds libtorclass (release) and installs it under PREFIX:
#   PREFIX/include/torclass.h
#   PREFIX/lib/libtorclass.a, libtorclass.so.<version> with the links libtorclass.so.<ABI> (the
#     SONAME) and libtorclass.so
#   PREFIX/lib/pkgconfig/torclass.pc
# Usage: torclass-ffi/install.sh PREFIX      (e.g. /usr/local; DESTDIR is honoured)
set -euo pipefail
prefix=${1:?usage: $0 PREFIX}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
dest=${DESTDIR:-}${prefix}

cargo build --release -p torclass-ffi --manifest-path "$root/Cargo.toml"
target=${CARGO_TARGET_DIR:-$root/target}/release

version=$(sed -n 's/^#define TORCLASS_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' \
  "$here/include/torclass.h" | paste -sd.)
abi=$(sed -n 's/^#define TORCLASS_ABI_VERSION \([0-9]*\)$/\1/p' "$here/include/torclass.h")

install -d "$dest/include" "$dest/lib/pkgconfig"
install -m 644 "$here/include/torclass.h" "$dest/include/torclass.h"
install -m 644 "$target/libtorclass.a" "$dest/lib/libtorclass.a"
install -m 755 "$target/libtorclass.so" "$dest/lib/libtorclass.so.$version"
ln -sf "libtorclass.so.$version" "$dest/lib/libtorclass.so.$abi"
ln -sf "libtorclass.so.$abi" "$dest/lib/libtorclass.so"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$here/torclass.pc.in" \
  > "$dest/lib/pkgconfig/torclass.pc"
echo "installed libtorclass $version (ABI $abi) under $dest"
