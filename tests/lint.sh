#!/bin/sh
# Static analysis: cppcheck over lib/, examples/ and tools/, then clang-tidy
# (checks in the committed .clang-tidy) over the library, example and tool
# sources that build on this host. Any finding fails the script; one summary
# line a tool.
set -eu
cd "$(dirname "$0")/.."
CPPCHECK=${CPPCHECK:-cppcheck}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}

for tool in "$CPPCHECK" "$CLANG_TIDY"; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "lint: $tool not found (apt-get install cppcheck clang-tidy, or: make deps)" >&2
        exit 1
    }
done

# ---- cppcheck: every platform file too; it needs no system headers ------
# -D__linux__ -D_GNU_SOURCE: the configuration the Linux build compiles;
# --library=posix: knows socket(), close() and the rest, for leak checks.
set -- lib/*.c examples/*.c tools/*/*.c
n=$#
if ! "$CPPCHECK" --enable=warning,portability --error-exitcode=1 \
    --inline-suppr -q --library=posix --std=c99 \
    -D__linux__ -D_GNU_SOURCE -Iinclude -Ilib lib/ examples/ tools/; then
    echo "lint: cppcheck FAILED (findings above)" >&2
    exit 1
fi
echo "lint: cppcheck clean ($n files)"

# ---- clang-tidy: the sources this host compiles ----------------------------
# The library as the Makefile builds it here (the portable core and this
# platform's file), the generic POSIX fallback, the examples, and
# tcpq-info's files as the Makefile builds them here with its --watch
# fallback; the BSD and macOS files are compiled against their own
# headers by make check-cross.
lib_srcs=$(${MAKE:-make} -s --no-print-directory print-LIB_SRCS)
tool_srcs=$(${MAKE:-make} -s --no-print-directory print-TOOL_SRCS)
case " $tool_srcs " in
*" tools/tcpq-info/watch_none.c "*) ;;
*) tool_srcs="$tool_srcs tools/tcpq-info/watch_none.c" ;;
esac
# tcpq-run and its preload library (Linux)
run_srcs="$(${MAKE:-make} -s --no-print-directory print-RUN_SRCS) tools/tcpq-run/preload.c"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
# One line a file: the file, then the flags it needs beyond the common
# ones: a loop example its library's, from pkg-config (the Makefile's
# LOOP_PKG_name), or a SKIP line where pkg-config finds none.
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
# shellcheck disable=SC2086
for f in $lib_srcs lib/os_posix.c examples/*.c $tool_srcs $run_srcs; do
    case $f in
    examples/*) pkg=$(${MAKE:-make} -s --no-print-directory print-LOOP_PKG_"$(basename "$f" .c)") ;;
    *) pkg= ;;
    esac
    if [ -z "$pkg" ]; then
        echo "$f"
    elif flags=$("$PKG_CONFIG" --cflags "$pkg" 2>/dev/null); then
        echo "$f $flags"
    else
        echo "lint: clang-tidy SKIP $f: $PKG_CONFIG finds no $pkg (make deps)" >&2
    fi
done >"$out/files"
n=$(wc -l <"$out/files")

# One process per file, not all files in one: clang-tidy 14 carries
# analyzer state from one file to the next (a false
# clang-analyzer-valist.Uninitialized in echo-server.c otherwise).
# shellcheck disable=SC2016  # $1..$3 expand in the inner sh
xargs -P "$JOBS" -I{} sh -c '
    out=$1 tidy=$2
    set -- $3 # the file, then its own flags
    f=$1; log=$out/$(echo "$f" | tr / _).log
    shift
    if ! "$tidy" --quiet "$f" -- -std=c99 -D_GNU_SOURCE -Iinclude -Ilib "$@" \
        >"$log" 2>&1; then
        echo "$f" >>"$out/failed"
    fi' sh "$out" "$CLANG_TIDY" {} <"$out/files"
if [ -s "$out/failed" ]; then
    sort "$out/failed" | while read -r f; do
        cat "$out/$(echo "$f" | tr / _).log" >&2
    done
    echo "lint: clang-tidy FAILED in $(sort "$out/failed" | tr '\n' ' ')" >&2
    exit 1
fi
echo "lint: clang-tidy clean ($n files)"
