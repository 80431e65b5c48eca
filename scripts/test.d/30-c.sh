#!/usr/bin/env bash
# libtorclass from C, every recipe torclass-ffi/README.md documents: install under a temporary
# PREFIX with install.sh; check what is installed (only torclass_* exported, sizes); the header
# in C89 and C++98; the README's C snippets put together as one program; the C tests built with `pkg-config --cflags --libs torclass` and warnings as
# errors under AddressSanitizer/UBSan (rpath), the same binary run through LD_LIBRARY_PATH, the
# static recipe (`torclass-static`) under valgrind memcheck, `gcc -static`, helgrind and drd
# with the shipped suppressions on tables in several threads; then the NFQUEUE example and its
# end-to-end test (root and network namespaces; skipped loudly outside CI).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

torclass-ffi/install.sh "$work/prefix"
lib="$work/prefix/lib"
export PKG_CONFIG_PATH="$lib/pkgconfig"
cflags=(-std=c11 -Wall -Wextra -Werror -Wpedantic -g)
strict=(-Wall -Wextra -Werror -pedantic-errors)

echo "--- installed libraries export only torclass_*"
so_exports=$(nm -D --defined-only "$lib/libtorclass.so" | awk '{print $3}')
a_exports=$(nm -g --defined-only "$lib/libtorclass.a" 2>/dev/null | awk 'NF == 3 {print $3}')
if grep -v '^torclass_' <<<"$so_exports$a_exports" | grep .; then
  echo "symbols other than torclass_* are exported" >&2
  exit 1
fi
[ "$(wc -l <<<"$so_exports")" = "$(wc -l <<<"$a_exports")" ]
printf 'exports: %s (.so), %s (.a); sizes: libtorclass.a %s bytes, libtorclass.so %s bytes\n' \
  "$(wc -l <<<"$so_exports")" "$(wc -l <<<"$a_exports")" \
  "$(stat -c %s "$lib/libtorclass.a")" "$(stat -L -c %s "$lib/libtorclass.so")"

echo "--- the header in C89 and C++98 (and C++17)"
printf '#include <torclass.h>\nint main(void) { return (int)torclass_abi_version() != TORCLASS_ABI_VERSION; }\n' \
  > "$work/h.c"
cp "$work/h.c" "$work/h.cpp"
gcc -std=c89 "${strict[@]}" $(pkg-config --cflags torclass) -fsyntax-only "$work/h.c"
g++ -std=c++98 "${strict[@]}" $(pkg-config --cflags torclass) -fsyntax-only "$work/h.cpp"
g++ -std=c++17 "${strict[@]}" $(pkg-config --cflags torclass) -fsyntax-only "$work/h.cpp"

echo "--- the C snippets of torclass-ffi/README.md, put together, compile and run"
# Declarations (a `static` function, a `struct NAME {` definition, at brace depth 0) go to file
# scope, every other line into main, each code block in its own scope; main first declares the
# context the snippets assume (a packet, a connection, a seed).
awk '
  /^```c$/ { inblock = 1; depth = 0; top = 0; body = body "  {\n"; next }
  /^```$/ && inblock { inblock = 0; body = body "  }\n"; next }
  inblock {
    if (depth == 0 && ($0 ~ /^static / || $0 ~ /^struct [a-z_]+ \{/)) top = 1
    line = $0
    opens = gsub(/\{/, "{", line)
    closes = gsub(/\}/, "}", line)
    if (top) decls = decls $0 "\n"; else body = body "    " $0 "\n"
    depth += opens - closes
    if (top && depth == 0) top = 0
  }
  END {
    print "#define _POSIX_C_SOURCE 200809L"
    print "#include <torclass.h>"
    print "#include <assert.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <time.h>"
    printf "%s", decls
    print "int main(void) {"
    print "  static const uint8_t pkt[60] = {0x45, 0, 0, 60};"
    print "  size_t len = sizeof pkt;"
    print "  const uint8_t *data = pkt;"
    print "  uint8_t dir = TORCLASS_DIRECTION_INITIATOR;"
    print "  uint64_t random_seed = 0x5eed;"
    print "  struct conn conn, *c = &conn;"
    print "  torclass_verdict verdict;"
    print "  torclass_table *table = NULL;"
    print "  memset(&conn, 0, sizeof conn);"
    printf "%s", body
    print "  return 0;\n}"
  }' torclass-ffi/README.md >"$work/readme.c"
gcc "${cflags[@]}" -o "$work/readme" "$work/readme.c" $(pkg-config --cflags --libs torclass) -Wl,-rpath,"$lib" ||
  { cat -n "$work/readme.c"; exit 1; }
"$work/readme"

echo "--- C tests under ASan/UBSan (shared library, rpath)"
gcc "${cflags[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
  -o "$work/test_api_asan" torclass-ffi/tests/c/test_api.c \
  $(pkg-config --cflags --libs torclass) -Wl,-rpath,"$lib" -lpcap
"$work/test_api_asan" tests/captures

echo "--- shared library without rpath: fails alone, runs with LD_LIBRARY_PATH"
gcc "${cflags[@]}" -o "$work/test_api_shared" torclass-ffi/tests/c/test_api.c \
  $(pkg-config --cflags --libs torclass) -lpcap
if "$work/test_api_shared" 2>/dev/null; then
  echo "ran without finding libtorclass.so.1: is one installed system-wide?" >&2
fi
LD_LIBRARY_PATH="$lib" "$work/test_api_shared" tests/captures >/dev/null

echo "--- static library (pkg-config torclass-static) under valgrind"
gcc "${cflags[@]}" -o "$work/test_api" torclass-ffi/tests/c/test_api.c \
  $(pkg-config --cflags --libs torclass-static) -lpcap
if ldd "$work/test_api" | grep -q libtorclass; then
  echo "the static recipe linked the shared library" >&2
  exit 1
fi
valgrind -q --error-exitcode=1 --leak-check=full "$work/test_api" tests/captures

echo "--- gcc -static, C89 threads; helgrind and drd with share/torclass/torclass.supp"
gcc -static -std=c89 "${strict[@]}" -D_POSIX_C_SOURCE=200112L -g -o "$work/test_threads" \
  torclass-ffi/tests/c/test_threads.c $(pkg-config --cflags --libs torclass-static) 2>"$work/ld.txt" ||
  { cat "$work/ld.txt"; exit 1; }
file "$work/test_threads" | grep -q 'statically linked'
"$work/test_threads"
# The thread checkers need the dynamic libc (they intercept pthread and malloc).
gcc -std=c89 "${strict[@]}" -D_POSIX_C_SOURCE=200112L -g -o "$work/test_threads_dyn" \
  torclass-ffi/tests/c/test_threads.c $(pkg-config --cflags --libs torclass-static)
for tool in helgrind drd; do
  valgrind -q --tool=$tool --error-exitcode=1 \
    --suppressions="$work/prefix/share/torclass/torclass.supp" "$work/test_threads_dyn" >/dev/null
done

echo "--- examples/nfq_blocker.c"
gcc "${cflags[@]}" -O2 -o "$work/nfq_blocker" torclass-ffi/examples/nfq_blocker.c \
  $(pkg-config --cflags --libs torclass) -Wl,-rpath,"$lib" \
  $(pkg-config --cflags --libs libnetfilter_queue) -lpthread

bash torclass-ffi/tests/e2e.sh "$work/nfq_blocker"
