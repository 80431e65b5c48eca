#!/usr/bin/env bash
# libtorclass from C: install it under a temporary PREFIX with the documented command, build the
# C tests and the NFQUEUE example with `pkg-config --cflags --libs torclass` and warnings as
# errors, run the tests under AddressSanitizer/UBSan and once under valgrind memcheck, then the
# end-to-end NFQUEUE test (root and network namespaces; skipped loudly outside CI).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

torclass-ffi/install.sh "$work/prefix"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cflags=(-std=c11 -Wall -Wextra -Werror -Wpedantic -g)
link=($(pkg-config --cflags --libs torclass) -Wl,-rpath,"$work/prefix/lib")

echo "--- C tests under ASan/UBSan"
gcc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
  -o "$work/test_api_asan" torclass-ffi/tests/c/test_api.c "${link[@]}" -lpcap
"$work/test_api_asan" tests/captures

echo "--- C tests under valgrind (static link)"
gcc "${cflags[@]}" -o "$work/test_api" torclass-ffi/tests/c/test_api.c \
  -I"$work/prefix/include" "$work/prefix/lib/libtorclass.a" -lpcap -lpthread -ldl -lm
valgrind -q --error-exitcode=1 --leak-check=full "$work/test_api" tests/captures

echo "--- examples/nfq_blocker.c"
gcc "${cflags[@]}" -O2 -o "$work/nfq_blocker" torclass-ffi/examples/nfq_blocker.c \
  "${link[@]}" $(pkg-config --cflags --libs libnetfilter_queue) -lpthread

bash torclass-ffi/tests/e2e.sh "$work/nfq_blocker"
