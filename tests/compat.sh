#!/bin/sh
# The ABI promise, run: tests/compat/old_program.c is built with libtcpq
# 0.1.0's header and linked against 0.1.0's libtcpq.so.0 (built from the
# 0.1.0 release commit when this clone has it), then run, unrecompiled,
# against this tree's libtcpq.so.0: plain (guard bytes after each struct
# it hands the library), and under valgrind and against an AddressSanitizer
# build of this library with each struct at its exact 0.1.0 size
# (--exact), so that any read or write past one is an error.
set -eu
cd "$(dirname "$0")/.."
CC=${CC:-cc}
MAKE=${MAKE:-make}
RELEASE_0_1_0=c5aad41
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

[ -e lib/libtcpq.so.0 ] || { echo "compat: build the library first (make)" >&2; exit 1; }
old="$work/0.1.0"
mkdir -p "$old"
if git cat-file -e "$RELEASE_0_1_0^{commit}" 2>/dev/null; then
    git archive "$RELEASE_0_1_0" Makefile include lib libtcpq.pc.in | tar -x -C "$old"
    "$MAKE" -s -C "$old" lib >/dev/null
    linked="0.1.0's own libtcpq.so.0"
else
    # a shallow clone: the program's references are the same unversioned
    # names either way, so linking against this library gives the same binary
    rm -rf "$old" && mkdir -p "$old" && ln -s "$PWD/lib" "$old/lib"
    linked="this libtcpq.so.0 (0.1.0's source is not in this clone)"
fi

"$CC" -std=c99 -Wall -Wextra -Itests/compat/include-0.1.0 \
    tests/compat/old_program.c -o "$work/old_program" -L"$old/lib" -ltcpq
echo "compat: a 0.1.0 program, linked against $linked"

run() { # what, library directory, program argument ("" or --exact), command prefix...
    what=$1 dir=$2 arg=$3
    shift 3
    # shellcheck disable=SC2086
    if ! LD_LIBRARY_PATH="$dir" "$@" "$work/old_program" $arg >"$work/log" 2>&1; then
        cat "$work/log" >&2
        echo "compat: the 0.1.0 program FAILED $what" >&2
        exit 1
    fi
    echo "compat: ok $what: $(tail -n 1 "$work/log")"
}
run "against 0.1.0 itself" "$old/lib" ""
run "against this libtcpq.so.0" "$PWD/lib" ""
if command -v valgrind >/dev/null 2>&1; then
    run "under valgrind" "$PWD/lib" --exact valgrind -q --error-exitcode=1 \
        --leak-check=full --errors-for-leak-kinds=definite,indirect
else
    echo "compat: SKIP valgrind (not installed; make deps)"
fi
if command -v clang >/dev/null 2>&1; then
    san="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
    "$MAKE" -s OBJDIR=build/compat-asan/obj OUT=build/compat-asan/ CC=clang \
        CFLAGS="$san" LDFLAGS="-fsanitize=address,undefined" \
        "build/compat-asan/lib/$(basename "$(readlink lib/libtcpq.so.0)")" >/dev/null
    # shellcheck disable=SC2086
    clang -std=c99 $san -Itests/compat/include-0.1.0 \
        tests/compat/old_program.c -o "$work/old_program" -L"$old/lib" -ltcpq
    run "against this library built with ASan + UBSan" "$PWD/build/compat-asan/lib" --exact
else
    echo "compat: SKIP ASan (clang not installed; make deps)"
fi
