#!/bin/sh
# The compiler and libc matrix, built in a temporary directory so that the
# tree's own objects are never touched: (a) library, examples, tcpq-info and
# tests with -Werror under gcc and clang; (b) library, examples and tcpq-info
# statically against musl, with a tcpq-info smoke run; (c) the public header
# as C++11; (d) the public header as strict C99 and as C89 (long long
# allowed).
set -eu
cd "$(dirname "$0")/.."
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
WARN="-std=c99 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror"
CPPFLAGS_TREE="-Iinclude -Ilib"
# -O2: some warnings (maybe-uninitialized, format-truncation) need the
# optimizer, and CI builds at -O2
OPT="-O2"
LIB_SRCS=$(${MAKE:-make} -s --no-print-directory print-LIB_SRCS)
EXAMPLE_SRCS=$(ls examples/*.c)
# tcpq-info's files for this platform, as the Makefile builds it
TOOL_SRCS=$(${MAKE:-make} -s --no-print-directory print-TOOL_SRCS)
# tcpq-run and its preload library (Linux)
RUN_SRCS=$(${MAKE:-make} -s --no-print-directory print-RUN_SRCS)
TEST_SRCS=$(ls tests/check_*.c tests/tools/check_*.c)
# the link-time wrappers tests/check_costs.c counts calls with
TEST_WRAP=$(${MAKE:-make} -s --no-print-directory print-TEST_WRAP)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# The library a loop example needs beyond libtcpq (the Makefile's
# LOOP_PKG_name): empty for the others.
example_pkg() {
    ${MAKE:-make} -s --no-print-directory print-LOOP_PKG_"$(basename "$1" .c)"
}

die() {
    echo "matrix: $* FAILED" >&2
    exit 1
}

# ---- (a) gcc and clang, -Werror ------------------------------------------
"$PKG_CONFIG" --exists check 2>/dev/null ||
    die "check framework not found by $PKG_CONFIG (apt-get install check pkg-config);"
check_cflags=$("$PKG_CONFIG" --cflags check)
check_libs=$("$PKG_CONFIG" --libs check)
for cc in gcc clang; do
    command -v "$cc" >/dev/null 2>&1 || die "$cc -Werror build: $cc not found;"
    out="$work/$cc"
    mkdir -p "$out"
    # the library: this platform's file, plus the generic POSIX fallback
    # (compiled only: it defines the same symbols as os_linux.c)
    for src in $LIB_SRCS lib/os_posix.c; do
        # shellcheck disable=SC2086
        $cc $WARN $OPT $CPPFLAGS_TREE -fPIC -c "$src" \
            -o "$out/$(basename "$src" .c).o" || die "$cc -Werror build of $src"
    done
    lib_objs=""
    for src in $LIB_SRCS; do lib_objs="$lib_objs $out/$(basename "$src" .c).o"; done
    for src in $EXAMPLE_SRCS; do
        pkg=$(example_pkg "$src") pkg_flags=
        if [ -n "$pkg" ] && ! pkg_flags=$("$PKG_CONFIG" --cflags --libs "$pkg" 2>/dev/null); then
            echo "matrix: $cc: $src SKIPPED ($PKG_CONFIG finds no $pkg: make deps)"
            continue
        fi
        # shellcheck disable=SC2086
        $cc $WARN $OPT $CPPFLAGS_TREE "$src" $lib_objs $pkg_flags -lpthread \
            -o "$out/$(basename "$src" .c)" || die "$cc -Werror build of $src"
    done
    # shellcheck disable=SC2086
    $cc $WARN $OPT $CPPFLAGS_TREE $TOOL_SRCS $lib_objs \
        -o "$out/tcpq-info" || die "$cc -Werror build of tcpq-info ($TOOL_SRCS)"
    # and the --watch fallback other systems build (compiled only: it
    # defines the same functions as watch_linux.c)
    $cc $WARN $OPT $CPPFLAGS_TREE -c tools/tcpq-info/watch_none.c \
        -o "$out/watch_none.o" || die "$cc -Werror build of tools/tcpq-info/watch_none.c"
    if [ "$(uname -s)" = Linux ]; then
        # shellcheck disable=SC2086
        $cc $WARN $OPT $CPPFLAGS_TREE $RUN_SRCS $lib_objs -o "$out/tcpq-run" ||
            die "$cc -Werror build of tcpq-run ($RUN_SRCS)"
        # shellcheck disable=SC2086
        $cc $WARN $OPT $CPPFLAGS_TREE -fPIC -shared \
            -Wl,--version-script=tools/tcpq-run/preload.map \
            tools/tcpq-run/preload.c tools/tcpq-run/settings.c $lib_objs \
            -o "$out/libtcpq-preload.so" -ldl ||
            die "$cc -Werror build of libtcpq-preload.so"
    fi
    test_objs=""
    for src in $TEST_SRCS; do
        obj="$out/$(basename "$src" .c).o"
        # shellcheck disable=SC2086
        $cc $WARN $OPT $CPPFLAGS_TREE $check_cflags -c "$src" -o "$obj" ||
            die "$cc -Werror build of $src"
        test_objs="$test_objs $obj"
    done
    # shellcheck disable=SC2086
    $cc $test_objs $lib_objs $check_libs -lpthread $TEST_WRAP -o "$out/check_tcpq" ||
        die "$cc link of the test suite"
    echo "matrix: $cc -Werror (library, examples, tcpq-info, tcpq-run, tests) ok"
done

# ---- (b) musl, static ------------------------------------------------------
if command -v musl-gcc >/dev/null 2>&1; then
    out="$work/musl"
    mkdir -p "$out/kernel-headers"
    # musl-gcc sees only musl's headers; tcpq-info also needs the kernel's
    # UAPI headers (linux/inet_diag.h), which libc-neutral linux-libc-dev
    # ships: offer those three directories alone, after musl's own.
    multiarch=$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
    for dir in /usr/include/linux /usr/include/asm-generic; do
        if [ -d "$dir" ]; then ln -s "$dir" "$out/kernel-headers/"; fi
    done
    if [ -d "/usr/include/$multiarch/asm" ]; then
        ln -s "/usr/include/$multiarch/asm" "$out/kernel-headers/asm"
    fi
    lib_objs=""
    for src in $LIB_SRCS; do
        obj="$out/$(basename "$src" .c).o"
        # shellcheck disable=SC2086
        musl-gcc $WARN $OPT $CPPFLAGS_TREE -c "$src" -o "$obj" ||
            die "musl-gcc -Werror build of $src"
        lib_objs="$lib_objs $obj"
    done
    for src in $EXAMPLE_SRCS; do
        if [ -n "$(example_pkg "$src")" ]; then
            echo "matrix: musl: $src SKIPPED (no $(example_pkg "$src") built for musl)"
            continue
        fi
        # shellcheck disable=SC2086
        musl-gcc -static $WARN $OPT $CPPFLAGS_TREE -idirafter "$out/kernel-headers" \
            "$src" $lib_objs -lpthread -o "$out/$(basename "$src" .c)" ||
            die "musl-gcc -static build of $src"
    done
    # shellcheck disable=SC2086
    musl-gcc -static $WARN $OPT $CPPFLAGS_TREE -idirafter "$out/kernel-headers" \
        $TOOL_SRCS $lib_objs -o "$out/tcpq-info" ||
        die "musl-gcc -static build of tcpq-info ($TOOL_SRCS)"
    smoke=$("$out/tcpq-info" --backlog 100) || die "musl tcpq-info --backlog 100 (exit $?)"
    case $smoke in
    *"requested 100, effective "*) ;;
    *) die "musl tcpq-info --backlog 100 printed no effective backlog;" ;;
    esac
    echo "matrix: musl-gcc -static (library, examples, tcpq-info; tcpq-info --backlog 100 ran) ok"
    echo "matrix: musl tests NOT built (no Check library for musl)"
else
    echo "matrix: musl SKIPPED (apt-get install musl-tools)"
fi

# ---- (c) the header as C++ ------------------------------------------------
command -v g++ >/dev/null 2>&1 || die "header as C++11: g++ not found;"
g++ -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror -fsyntax-only \
    include/tcpq.h || die "include/tcpq.h as C++11"
echo "matrix: header as C++11 (g++ -pedantic) ok"

# ---- (d) the header as strict C -------------------------------------------
gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -x c \
    include/tcpq.h || die "include/tcpq.h as C99"
echo "matrix: header as C99 (gcc -Wpedantic) ok"
# C89 with one C99 feature allowed: long long, in the netns counters
# (struct tcpq_queue_stats, tcpq_listen_counters); nothing else may be C99.
gcc -std=c89 -pedantic -Wall -Wextra -Wno-long-long -Werror -fsyntax-only \
    -x c include/tcpq.h || die "include/tcpq.h as C89 (+long long)"
echo "matrix: header as C89 -pedantic, long long allowed, ok"
