#!/usr/bin/env bash
# Builds libtorclass (release) and installs it under PREFIX:
#   PREFIX/include/torclass.h
#   PREFIX/lib/libtorclass.a, libtorclass.so.<version> with the links libtorclass.so.<ABI> (the
#     SONAME) and libtorclass.so; both export only the torclass_* functions and are stripped
#   PREFIX/lib/pkgconfig/torclass.pc (shared) and torclass-static.pc (static)
#   PREFIX/share/torclass/torclass.supp (valgrind helgrind/drd suppressions)
# Needs binutils (ld, objcopy, ar, nm, strip).
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The exports: the shared library's dynamic symbols (rustc exports exactly the torclass_*
# functions from a cdylib).
nm -D --defined-only "$target/libtorclass.so" | awk '{print $3}' > "$work/exports"
if grep -qv '^torclass_' "$work/exports"; then
  echo "install.sh: unexpected exports:" >&2; grep -v '^torclass_' "$work/exports" >&2; exit 1
fi
# The archive rustc writes holds the whole standard library (~30 MB, ~2,900 global symbols,
# rust_eh_personality among them). Link it into one object keeping only what the exports
# reach, make every other symbol local (no clash with another Rust library in the same
# program), drop debug info, and archive that.
ld -r --gc-sections $(sed 's/^/-u /' "$work/exports") --whole-archive "$target/libtorclass.a" \
  -o "$work/torclass.o"
objcopy --keep-global-symbols="$work/exports" --strip-debug \
  --remove-section=.llvmbc --remove-section=.llvmcmd "$work/torclass.o"
ar crs "$work/libtorclass.a" "$work/torclass.o"
strip --strip-unneeded -o "$work/libtorclass.so" "$target/libtorclass.so"

install -d "$dest/include" "$dest/lib/pkgconfig" "$dest/share/torclass"
install -m 644 "$here/include/torclass.h" "$dest/include/torclass.h"
install -m 644 "$work/libtorclass.a" "$dest/lib/libtorclass.a"
install -m 755 "$work/libtorclass.so" "$dest/lib/libtorclass.so.$version"
ln -sf "libtorclass.so.$version" "$dest/lib/libtorclass.so.$abi"
ln -sf "libtorclass.so.$abi" "$dest/lib/libtorclass.so"
for pc in torclass torclass-static; do
  sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$here/$pc.pc.in" \
    > "$dest/lib/pkgconfig/$pc.pc"
done
install -m 644 "$here/torclass.supp" "$dest/share/torclass/torclass.supp"
echo "installed libtorclass $version (ABI $abi) under $dest"
