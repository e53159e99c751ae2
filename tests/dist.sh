#!/bin/sh
# make dist / make distcheck.
#   sh tests/dist.sh dist       writes libtcpq-X.Y.Z.tar.gz from the files git
#                               tracks (their working-tree content), nothing else
#   sh tests/dist.sh distcheck  makes the tarball, then unpacks it in a
#                               temporary directory and runs make, make check,
#                               make install DESTDIR=... and make uninstall
#                               there; fails on any step or on a leftover file
# Run from the top of the source tree. MAKE may name the make to use.
set -eu
MAKE=${MAKE:-make}
what=${1:-dist}

[ -f include/tcpq.h ] && [ -f Makefile ] || {
    echo "dist: run from the top of the libtcpq tree" >&2; exit 1; }

# the same sed as the Makefile
v() { sed -n "s/^#define TCPQ_VERSION_$1 *\\([0-9]*\\).*/\\1/p" include/tcpq.h; }
version=$(v MAJOR).$(v MINOR).$(v PATCH)
case $version in
[0-9]*.[0-9]*.[0-9]*) ;;
*) echo "dist: cannot read the version from include/tcpq.h (got '$version')" >&2; exit 1 ;;
esac
name=libtcpq-$version
tarball=$name.tar.gz

make_dist() {
    if ! command -v git >/dev/null 2>&1 ||
       ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        echo "dist: not a git checkout: the tarball is made from the files git tracks, so it cannot be made here" >&2
        exit 1
    fi
    top=$(git rev-parse --show-toplevel)
    [ "$top" = "$(pwd -P)" ] || { echo "dist: run from the top of the checkout ($top)" >&2; exit 1; }
    if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
        echo "dist: warning: tracked files have uncommitted changes; the tarball takes them as they are in the working tree" >&2
    fi
    untracked=$(git ls-files --others --exclude-standard | grep -v "^libtcpq-.*\.tar\.gz$" || true)
    if [ -n "$untracked" ]; then
        echo "dist: warning: untracked files left out of the tarball:" $untracked >&2
    fi
    missing=
    for f in $(git ls-files); do [ -e "$f" ] || missing="$missing $f"; done
    if [ -n "$missing" ]; then
        echo "dist: tracked files missing from the working tree:$missing" >&2
        exit 1
    fi
    work=$(mktemp -d)
    # a reproducible tarball: fixed order, owner and time (the last commit's)
    mtime=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
    mkdir "$work/$name"
    git ls-files -z | xargs -0 tar cf - | tar xf - -C "$work/$name"
    (cd "$work" && tar --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime="$mtime" -cf - "$name") | gzip -9n > "$tarball.tmp"
    rm -rf "$work"
    mv "$tarball.tmp" "$tarball"
    echo "dist: $tarball ($(tar tzf "$tarball" | grep -vc '/$') files)"
}

distcheck() {
    make_dist
    work=$(mktemp -d)
    trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
    tar xzf "$tarball" -C "$work"
    src=$work/$name
    dest=$work/destdir
    step() {
        echo "distcheck: $*"
        (cd "$src" && "$@") > "$work/step.log" 2>&1 || {
            tail -n 60 "$work/step.log" >&2
            echo "distcheck: '$*' FAILED in the unpacked $tarball" >&2
            exit 1
        }
    }
    step $MAKE
    step $MAKE check
    step $MAKE install DESTDIR="$dest"
    for f in include/tcpq.h lib/libtcpq.a lib/libtcpq.so lib/pkgconfig/libtcpq.pc bin/tcpq-info; do
        [ -e "$dest/usr/local/$f" ] || { echo "distcheck: make install did not install /usr/local/$f" >&2; exit 1; }
    done
    step $MAKE uninstall DESTDIR="$dest"
    left=$(find "$dest" \( -type f -o -type l \) 2>/dev/null)
    if [ -n "$left" ]; then
        echo "distcheck: make uninstall left files behind:" >&2
        echo "$left" >&2
        exit 1
    fi
    echo "distcheck: $tarball ok"
}

case $what in
dist) make_dist ;;
distcheck) distcheck ;;
*) echo "usage: sh tests/dist.sh dist|distcheck" >&2; exit 2 ;;
esac
