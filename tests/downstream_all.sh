#!/bin/sh
# make check-downstream: stages `make install` into a temporary DESTDIR and
# builds the three consumers in examples/downstream/ (plain make, CMake,
# Meson) against it the way downstream projects do: through pkg-config
# only. Then checks the .pc file itself: it validates, its version is the
# one the library reports, and --static links libtcpq statically.
# A consumer whose build tool is missing is SKIPPED, visibly; any real
# failure exits 1. Run from the top of the source tree.
set -eu
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
MAKE=${MAKE:-make}
top=$(pwd)
[ -d examples/downstream ] || { echo "check-downstream: run from the top of the libtcpq tree" >&2; exit 1; }
command -v "$PKG_CONFIG" >/dev/null 2>&1 || { echo "check-downstream: needs pkg-config (apt-get install pkg-config)" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM
$MAKE -s install DESTDIR="$stage" PREFIX=/usr >/dev/null
export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$stage"
export PKG_CONFIG_LIBDIR="$stage/usr/lib/pkgconfig"
export CC PKG_CONFIG
lib=$stage/usr/lib
log=$stage/log
failed=0

fail() { # consumer, why
    [ -s "$log" ] && tail -n 40 "$log" >&2
    echo "check-downstream: $1 FAILED ($2)" >&2
    failed=1
}
skip() { echo "check-downstream: $1 SKIPPED ($2)"; }

# run_app NAME BINARY: runs it against the staged shared library and checks
# what it prints; sets $printed_version
run_app() {
    out=$(LD_LIBRARY_PATH="$lib" "$2" 2>&1) || { echo "$out" >"$log"; fail "$1" "the built program failed"; return 1; }
    printed_version=$(printf '%s\n' "$out" | sed -n 's/^tcpq_version: //p')
    case $out in
    *"listening on 127.0.0.1:"*", backlog "[0-9]*) ;;
    *) echo "$out" >"$log"; fail "$1" "unexpected output"; return 1 ;;
    esac
    [ "$printed_version" = "$version" ] || { : >"$log"; fail "$1" "library says $printed_version, pkg-config says $version"; return 1; }
    return 0
}

# the library, not a static copy, must be what the consumer loads
uses_staged_so() {
    LD_LIBRARY_PATH="$lib" ldd "$1" 2>/dev/null | grep -q "$lib/libtcpq.so"
}

version=$($PKG_CONFIG --modversion libtcpq)

# ---- plain make ------------------------------------------------------------
b=$stage/build-make
cp -R examples/downstream/make "$b"
if ! $MAKE -s -C "$b" >"$log" 2>&1; then
    fail make "build"
elif ! uses_staged_so "$b/app"; then
    : >"$log"; fail make "app not linked against the staged libtcpq.so"
elif run_app make "$b/app"; then
    echo "check-downstream: make ok ($(LD_LIBRARY_PATH="$lib" "$b/app" | tail -n 1))"
fi

# ---- CMake -----------------------------------------------------------------
if ! command -v cmake >/dev/null 2>&1; then
    skip cmake "not installed"
else
    b=$stage/build-cmake
    if ! { cmake -S examples/downstream/cmake -B "$b" && cmake --build "$b"; } >"$log" 2>&1; then
        fail cmake "configure or build"
    elif ! uses_staged_so "$b/app"; then
        : >"$log"; fail cmake "app not linked against the staged libtcpq.so"
    elif run_app cmake "$b/app"; then
        echo "check-downstream: cmake ok"
    fi
fi

# ---- Meson -----------------------------------------------------------------
if ! command -v meson >/dev/null 2>&1; then
    skip meson "not installed"
elif ! command -v ninja >/dev/null 2>&1 && ! command -v samu >/dev/null 2>&1; then
    skip meson "ninja not installed"
else
    b=$stage/build-meson
    if ! { meson setup "$b" examples/downstream/meson && meson compile -C "$b"; } >"$log" 2>&1; then
        fail meson "setup or build"
    elif ! uses_staged_so "$b/app"; then
        : >"$log"; fail meson "app not linked against the staged libtcpq.so"
    elif run_app meson "$b/app"; then
        echo "check-downstream: meson ok"
    fi
fi

# ---- pkg-config itself -----------------------------------------------------
: >"$log"
pc_ok=1
if ! $PKG_CONFIG --validate libtcpq >"$log" 2>&1; then
    fail pkg-config "--validate libtcpq"; pc_ok=0
fi
# the version in the .pc is the one the library reports
hdr=$(sed -n 's/^#define TCPQ_VERSION_\(MAJOR\|MINOR\|PATCH\) *\([0-9]*\).*/\2/p' include/tcpq.h | paste -sd. -)
if [ "$version" != "$hdr" ]; then
    : >"$log"; fail pkg-config "--modversion $version, include/tcpq.h says $hdr"; pc_ok=0
fi
# --static: libtcpq.a linked in; the program must not need libtcpq.so.
# Fully static first; where the libc cannot be linked statically, libtcpq
# alone static and the libc dynamic.
b=$stage/build-static
mkdir "$b"
static_libs=$($PKG_CONFIG --static --libs libtcpq)
static_cflags=$($PKG_CONFIG --static --cflags libtcpq)
how=
# shellcheck disable=SC2086
if $CC -std=c99 -D_POSIX_C_SOURCE=200809L $static_cflags examples/downstream/make/main.c \
        -o "$b/app" -static $static_libs >"$log" 2>&1 && "$b/app" >/dev/null 2>&1; then
    how="fully static"
else
    # shellcheck disable=SC2086
    if $CC -std=c99 -D_POSIX_C_SOURCE=200809L $static_cflags examples/downstream/make/main.c \
            -o "$b/app" $(printf '%s\n' $static_libs | sed 's/^-ltcpq$/-Wl,-Bstatic -ltcpq -Wl,-Bdynamic/') >"$log" 2>&1; then
        how="libtcpq.a static, libc dynamic"
    else
        fail pkg-config "--static --libs does not link a static consumer"; pc_ok=0
    fi
fi
if [ -n "$how" ]; then
    if LD_LIBRARY_PATH="$lib" ldd "$b/app" 2>/dev/null | grep -q 'libtcpq\.so'; then
        : >"$log"; fail pkg-config "the --static consumer still needs libtcpq.so"; pc_ok=0
    else
        # the .so is gone from the stage: the program must run all the same
        mkdir "$stage/hide" && mv "$lib"/libtcpq.so* "$stage/hide/"
        if run_app pkg-config "$b/app"; then :; else pc_ok=0; fi
        mv "$stage/hide"/* "$lib/"
    fi
fi
[ "$pc_ok" -eq 1 ] && echo "check-downstream: pkg-config ok (--validate; --modversion $version = tcpq_version(); --static links: $how)"

cd "$top"
if [ "$failed" -ne 0 ]; then
    echo "check-downstream: FAILED" >&2
    exit 1
fi
