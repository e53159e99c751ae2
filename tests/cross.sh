#!/bin/sh
# make check-cross: the code for the systems this host cannot run, built
# against those systems' real headers, warnings as errors. Nothing is run.
#   macOS x86_64 and arm64: `zig cc` (make cross-deps fetches Zig), which
#     carries the macOS SDK headers and links Mach-O: the library's
#     objects, libtcpq.dylib, and every example and tcpq-info linked
#     against it.
#   FreeBSD 14.2 amd64: clang against the header-only sysroot in
#     FREEBSD_SYSROOT: the library, the examples and tcpq-info compiled
#     (there are no FreeBSD libraries there to link against).
# Sources, flags and the platform file come from the Makefile, asked as if
# on that system (UNAME_S=Darwin, FreeBSD), so nothing is listed twice and
# any per-system choice of files is the Makefile's. One line per target:
# ok, FAILED (the compiler's words above it), or SKIP and why. Exit status
# 1 when a target failed; a SKIP is not a failure, and not a pass either.
set -eu
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
CLANG=${CLANG:-clang}

mk() {
    "$MAKE" -s --no-print-directory "$@"
}
: "${ZIG:=$(mk print-ZIG)}"
: "${ZIG_CACHE:=$(mk print-ZIG_CACHE)}"
: "${FREEBSD_SYSROOT:=$(mk print-FREEBSD_SYSROOT)}"
# zig's own compile cache, beside the compiler and out of the tree
ZIG_GLOBAL_CACHE_DIR=${ZIG_GLOBAL_CACHE_DIR:-$ZIG_CACHE/global}
ZIG_LOCAL_CACHE_DIR=${ZIG_LOCAL_CACHE_DIR:-$ZIG_CACHE/local}
export ZIG_GLOBAL_CACHE_DIR ZIG_LOCAL_CACHE_DIR

# the CI build's flags; -O2 because some warnings need the optimizer
CROSS_CFLAGS="-O2 -Werror"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
failed=0

# A Makefile variable as the build on system $1 (uname -s) sees it, or a
# failure that says so when it is empty. One variable a call: goals given
# together may print in any order under an inherited -j.
var() {
    value=$(mk print-"$2" UNAME_S="$1" CFLAGS="$CROSS_CFLAGS" CPPFLAGS=) || return 1
    if [ -z "$value" ]; then
        echo "check-cross: the Makefile gives no $2 for UNAME_S=$1" >&2
        return 1
    fi
    printf '%s\n' "$value"
}

# What the build on system $1, of family $2, would use, into cppflags,
# lib_cflags, cflags, shared_flags, shared_name, os, core, examples and
# tool. The platform file must be that family's: a Makefile that ignored
# the UNAME_S override would give Linux's.
read_makefile() {
    cppflags=$(var "$1" ALL_CPPFLAGS) && lib_cflags=$(var "$1" LIB_CFLAGS) &&
        cflags=$(var "$1" ALL_CFLAGS) && shared_flags=$(var "$1" SHARED_FLAGS) &&
        shared_name=$(var "$1" SHARED_NAME) && os=$(var "$1" OS_SRC) &&
        core=$(var "$1" LIB_CORE_SRCS) && examples=$(var "$1" EXAMPLE_SRCS) &&
        tool=$(var "$1" TOOL_SRCS) || return 1
    case $os in
    *"$2"*) ;;
    *)
        echo "check-cross: the Makefile picks '$os' for UNAME_S=$1, not lib/os_$2.c" >&2
        return 1
        ;;
    esac
}

# One step of the current target. The command's output is shown when it
# says anything (a warning that is not an error, a linker note); a failure
# is added to $bad and the target goes on, so that one run lists every
# error. Returns the command's status.
step() {
    what=$1
    shift
    if "$@" >"$work/out" 2>&1; then
        [ ! -s "$work/out" ] || sed 's/^/    /' "$work/out"
        return 0
    fi
    sed 's/^/    /' "$work/out"
    bad="$bad${bad:+, }$what"
    return 1
}

# The target's last line: ok ($1), or FAILED and the steps that failed.
verdict() {
    if [ -n "$bad" ]; then
        echo "check-cross: $target: FAILED: $bad"
        return 1
    fi
    echo "check-cross: $target: $1"
}

object() { # source -> its object's path in this target's directory
    printf '%s/%s.o\n' "$out" "$(printf '%s' "${1%.c}" | tr '/' '_')"
}

# ---- macOS: zig cc, compiled and linked ---------------------------------
# shellcheck disable=SC2317 # called through step
xcc_macos() {
    "$ZIG" cc -target "$triple" "$@"
}

check_macos() { # name zig-target
    target=$1 triple=$2 bad=''
    if ! command -v "$ZIG" >/dev/null 2>&1; then
        echo "check-cross: SKIP $target: no zig at $ZIG (make cross-deps fetches it)"
        return 0
    fi
    if ! read_makefile Darwin darwin; then
        echo "check-cross: $target: FAILED: reading the Makefile"
        return 1
    fi
    out=$work/$target
    mkdir -p "$out"
    zig_version=$("$ZIG" version 2>/dev/null) || zig_version=unknown

    # the library: its objects, then libtcpq.dylib when they all compiled
    lib_objs='' compiled=1 dylib=''
    for src in $core $os; do
        obj=$(object "$src")
        # shellcheck disable=SC2086 # the flags are words
        step "$src" xcc_macos $cppflags $lib_cflags -c "$src" -o "$obj" || compiled=0
        lib_objs="$lib_objs $obj"
    done
    if [ $compiled = 1 ]; then
        # shellcheck disable=SC2086
        if step "link $shared_name" xcc_macos $cflags $shared_flags \
            -o "$out/$shared_name" $lib_objs; then
            dylib=$out/$shared_name
        fi
    fi

    # each example is one program of one file, tcpq-info one of any number
    # of files; all linked against the dylib, which also proves that the
    # API they call is exported under -fvisibility=hidden
    for src in $examples; do
        obj=$(object "$src")
        # shellcheck disable=SC2086
        if step "$src" xcc_macos $cppflags $cflags -c "$src" -o "$obj" &&
            [ -n "$dylib" ]; then
            # shellcheck disable=SC2086
            step "link $(basename "$src" .c)" xcc_macos $cflags "$obj" "$dylib" \
                -lpthread -o "${obj%.o}" || :
        fi
    done
    tool_objs='' compiled=1
    for src in $tool; do
        obj=$(object "$src")
        # shellcheck disable=SC2086
        step "$src" xcc_macos $cppflags $cflags -c "$src" -o "$obj" || compiled=0
        tool_objs="$tool_objs $obj"
    done
    if [ $compiled = 1 ] && [ -n "$dylib" ]; then
        # shellcheck disable=SC2086
        step "link tcpq-info" xcc_macos $cflags $tool_objs "$dylib" -lpthread \
            -o "$out/tcpq-info" || :
    fi
    verdict "library, examples, tcpq-info compiled and linked ok (zig $zig_version, $triple)"
}

# ---- FreeBSD: clang and the header-only sysroot, compiled ---------------
# shellcheck disable=SC2317 # called through step
xcc_freebsd() {
    "$CLANG" --target=x86_64-unknown-freebsd14 --sysroot="$FREEBSD_SYSROOT" "$@"
}

check_freebsd() {
    target=freebsd-amd64 bad=''
    if [ ! -f "$FREEBSD_SYSROOT/usr/include/sys/sysctl.h" ]; then
        echo "check-cross: SKIP $target: no FreeBSD sysroot at $FREEBSD_SYSROOT (set FREEBSD_SYSROOT)"
        return 0
    fi
    if ! command -v "$CLANG" >/dev/null 2>&1; then
        echo "check-cross: SKIP $target: no $CLANG on PATH (apt-get install clang, or make deps)"
        return 0
    fi
    if ! read_makefile FreeBSD freebsd; then
        echo "check-cross: $target: FAILED: reading the Makefile"
        return 1
    fi
    out=$work/$target
    mkdir -p "$out"
    for src in $core $os; do
        # shellcheck disable=SC2086
        step "$src" xcc_freebsd $cppflags $lib_cflags -c "$src" \
            -o "$(object "$src")" || :
    done
    for src in $examples $tool; do
        # shellcheck disable=SC2086
        step "$src" xcc_freebsd $cppflags $cflags -c "$src" -o "$(object "$src")" || :
    done
    version=$(sed -n 's/^#define __FreeBSD_version \([0-9]*\).*/\1/p' \
        "$FREEBSD_SYSROOT/usr/include/sys/param.h")
    verdict "library, examples, tcpq-info compiled ok (clang $("$CLANG" -dumpversion), __FreeBSD_version $version; not linked: the sysroot has no libraries)"
}

check_macos macos-x86_64 x86_64-macos || failed=1
check_macos macos-arm64 aarch64-macos || failed=1
check_freebsd || failed=1
exit $failed
