#!/bin/sh
# Stages `make install` into a temporary DESTDIR and builds tcpq-info
# there the way a downstream project would: pkg-config only.
set -eu
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
MAKE=${MAKE:-make}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT INT TERM

$MAKE -s install DESTDIR="$stage" PREFIX=/usr >/dev/null
# the loop examples' libraries, as this system's pkg-config finds them,
# before it is pointed at the stage alone
loop_srcs=$($MAKE -s --no-print-directory print-LOOP_EXAMPLE_ALL)
for src in $loop_srcs; do
    name=$(basename "$src" .c)
    pkg=$($MAKE -s --no-print-directory print-LOOP_PKG_"$name")
    if [ -z "$pkg" ]; then
        echo "$src" # libtcpq alone
    elif pkg_flags=$($PKG_CONFIG --cflags --libs "$pkg" 2>/dev/null); then
        echo "$src $pkg $pkg_flags"
    else
        echo "downstream: SKIP $name: $PKG_CONFIG finds no $pkg (make deps)" >&2
    fi
done >"$stage/loop-examples"
export PKG_CONFIG_PATH="$stage/usr/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$stage"
export PKG_CONFIG_LIBDIR="$stage/usr/lib/pkgconfig"

version=$($PKG_CONFIG --modversion libtcpq)
flags=$($PKG_CONFIG --cflags --libs libtcpq)
# its sources for this platform, as the Makefile lists them
tool_srcs=$($MAKE -s --no-print-directory print-TOOL_SRCS)
# shellcheck disable=SC2086
$CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
    $tool_srcs -o "$stage/tcpq-info" $flags
out=$(LD_LIBRARY_PATH="$stage/usr/lib" "$stage/tcpq-info" --backlog 100)
case $out in
*"requested 100, effective 100"*) ;;
*) echo "downstream: tcpq-info built with pkg-config printed nothing useful" >&2
   exit 1 ;;
esac
# the binary must use the staged shared library, not a static copy
if ! LD_LIBRARY_PATH="$stage/usr/lib" ldd "$stage/tcpq-info" | grep -q "$stage/usr/lib/libtcpq.so"; then
    echo "downstream: tcpq-info is not linked against the staged libtcpq.so" >&2
    exit 1
fi
# the event-loop examples, as a program using libtcpq with libuv or
# libevent is built: libtcpq's flags from the staged install, the loop
# library's from the system; each must load the staged libtcpq.so
loops=""
while read -r src pkg loop_flags; do
    name=$(basename "$src" .c)
    # shellcheck disable=SC2086
    $CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
        "$src" -o "$stage/$name" $flags $loop_flags
    if ! LD_LIBRARY_PATH="$stage/usr/lib" "$stage/$name" --help >/dev/null ||
        ! LD_LIBRARY_PATH="$stage/usr/lib" ldd "$stage/$name" | grep -q "$stage/usr/lib/libtcpq.so"; then
        echo "downstream: $name built with pkg-config does not run on the staged libtcpq.so" >&2
        exit 1
    fi
    loops="$loops, $name${pkg:+ (+$pkg)}"
done <"$stage/loop-examples"
# the shared library exports the header's functions and nothing else
if command -v nm >/dev/null 2>&1; then
    exported=$(nm -D --defined-only "$stage/usr/lib/libtcpq.so" | awk '{print $3}' | sort)
    # each TCPQ_API declaration, joined to its ';', names one function
    declared=$(awk '/^TCPQ_API/ {decl = ""; on = 1}
                    on {decl = decl " " $0}
                    on && /;/ {on = 0; if (match(decl, /tcpq_[a-z_0-9]*[(]/))
                                   print substr(decl, RSTART, RLENGTH - 1)}' \
                   include/tcpq.h | sort)
    if [ "$exported" != "$declared" ]; then
        echo "downstream: exported symbols differ from the header's functions:" >&2
        printf 'exported:\n%s\ndeclared:\n%s\n' "$exported" "$declared" >&2
        exit 1
    fi
fi
# hardened: full RELRO (read-only GOT, bound now), stack canaries, fortify
if command -v readelf >/dev/null 2>&1; then
    so="$stage/usr/lib/libtcpq.so"
    readelf -lW "$so" | grep -q GNU_RELRO || { echo "downstream: libtcpq.so has no RELRO" >&2; exit 1; }
    readelf -dW "$so" | grep -q 'BIND_NOW\|FLAGS.*NOW' || { echo "downstream: libtcpq.so is not linked with -z now" >&2; exit 1; }
    undefined=$(nm -D --undefined-only "$so")
    case $undefined in *__stack_chk_fail*) ;; *) echo "downstream: libtcpq.so has no stack protector" >&2; exit 1 ;; esac
    case $undefined in *_chk*) ;; *) echo "downstream: libtcpq.so is not built with _FORTIFY_SOURCE" >&2; exit 1 ;; esac
fi
$MAKE -s uninstall DESTDIR="$stage" PREFIX=/usr >/dev/null
left=$(find "$stage/usr" -type f 2>/dev/null | wc -l)
if [ "$left" -ne 0 ]; then
    echo "downstream: uninstall left $left files behind" >&2
    exit 1
fi
echo "downstream: libtcpq $version: tcpq-info$loops built and ran via pkg-config from a staged install: ok"
