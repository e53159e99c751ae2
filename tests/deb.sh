#!/bin/sh
# make deb: build the Debian packages (libtcpq0, libtcpq-dev, tcpq-tools)
# from a clean copy of the source tree, check that every file is in the
# package it belongs to, and run lintian.
#
#   sh tests/deb.sh [OUTDIR]      # OUTDIR defaults to ./build-deb
#
# Needs dpkg-dev, debhelper, fakeroot, pkg-config and check (lintian is
# used when present). The upstream tests are not run in the package build:
# they need root and network namespaces (see debian/rules).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
out=${1:-build-deb}
case $out in /*) ;; *) out="$root/$out" ;; esac

for tool in dpkg-buildpackage dh fakeroot dpkg-deb; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "deb: $tool not found: apt-get install dpkg-dev debhelper fakeroot lintian"
        exit 1
    }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
version=$(${MAKE:-make} -s --no-print-directory print-VERSION)
version_re=$(echo "$version" | sed 's/\./\\./g')

# The files git knows: tracked ones plus new ones not ignored (so that an
# uncommitted debian/ or man/ is packaged too); no build products.
src="$work/libtcpq-$version"
mkdir "$src"
# OUTDIR itself is left out when it lies inside the tree.
skip=${out#"$root"/}/
git ls-files -z --cached --others --exclude-standard |
    (cd "$root" && xargs -0 sh -c 'skip=$1; shift; for f; do
        case $f in "$skip"*) continue ;; esac
        [ -f "$f" ] || [ -L "$f" ] || continue; printf "%s\0" "$f"; done' sh "$skip") |
    (cd "$root" && xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$src"
[ -x "$src/debian/rules" ] || chmod +x "$src/debian/rules"

# dpkg-buildpackage leaves the .debs, .buildinfo and .changes in the parent
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$work/build.log" 2>&1; then
    tail -n 60 "$work/build.log"
    echo "deb: dpkg-buildpackage FAILED"
    exit 1
fi

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out"/build.log
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$work/build.log" "$out"/

fail=0
pkgfile() { ls "$out"/"$1"_*.deb 2>/dev/null | head -n 1; }
# expect PACKAGE PATH-REGEX: a file matching PATH-REGEX is in PACKAGE
expect() {
    if grep -Eq "$2" "$work/$1.list"; then :; else
        echo "deb: $1 lacks $2"
        fail=1
    fi
}
# forbid PACKAGE PATH-REGEX: nothing matching PATH-REGEX is in PACKAGE
forbid() {
    if grep -Eq "$2" "$work/$1.list"; then
        echo "deb: $1 must not hold $2"
        fail=1
    fi
}

for p in libtcpq0 libtcpq-dev tcpq-tools; do
    deb=$(pkgfile "$p")
    [ -n "$deb" ] || { echo "deb: $p was not built"; exit 1; }
    echo "== $(basename "$deb")"
    dpkg-deb -c "$deb" | tee "$work/$p.raw"
    # the paths alone, without ./ and without a symlink's target
    awk '{ p = $6; sub(/^\.\//, "/", p); print p }' "$work/$p.raw" > "$work/$p.list"
done

ma='/usr/lib/[a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+'
expect libtcpq0 "^$ma/libtcpq\\.so\\.$version_re\$"
expect libtcpq0 "^$ma/libtcpq\\.so\\.0\$"
forbid libtcpq0 '/libtcpq\.(a|so|pc)$|\.h$|/bin/'
expect libtcpq-dev '^/usr/include/tcpq\.h$'
expect libtcpq-dev "^$ma/libtcpq\\.a\$"
expect libtcpq-dev "^$ma/libtcpq\\.so\$"
expect libtcpq-dev "^$ma/pkgconfig/libtcpq\\.pc\$"
forbid libtcpq-dev '\.so\.0|/bin/'
expect tcpq-tools '^/usr/bin/tcpq-info$'
expect tcpq-tools '^/usr/bin/tcpq-run$'
expect tcpq-tools "^$ma/tcpq/libtcpq-preload\\.so\$"
forbid tcpq-tools '/usr/include/|/libtcpq\.(a|so\.)'

# the manual pages that the tree has, each in its package (gzipped)
for m in man/man3/*.3 man/man7/*.7; do
    [ -f "$src/$m" ] || continue
    n=$(basename "$m")
    expect libtcpq-dev "^/usr/share/${m}\\.gz\$"
    forbid tcpq-tools "/$n\\.gz\$"
done
for m in man/man1/*.1; do
    [ -f "$src/$m" ] || continue
    expect tcpq-tools "^/usr/share/${m}\\.gz\$"
done

# the .pc names the multiarch directory it is installed in
pcdir="$work/dev"
dpkg-deb -x "$(pkgfile libtcpq-dev)" "$pcdir"
pc=$(find "$pcdir" -name libtcpq.pc | head -n 1)
if [ -n "$pc" ]; then
    grep -Eq "^libdir=$ma\$" "$pc" || { echo "deb: libtcpq.pc libdir is not multiarch:"; cat "$pc"; fail=1; }
    grep -q "^Version: $version_re\$" "$pc" || { echo "deb: libtcpq.pc Version is not $version"; fail=1; }
fi

[ "$fail" -eq 0 ] || { echo "deb: package contents FAILED"; exit 1; }

# lintian: errors fail, warnings are shown
if command -v lintian >/dev/null 2>&1; then
    changes=$(ls "$out"/*.changes | head -n 1)
    lintian --no-tag-display-limit "$changes" > "$work/lintian.log" 2>&1 || true
    nerr=$(grep -c '^E: ' "$work/lintian.log" || true)
    nwarn=$(grep -c '^W: ' "$work/lintian.log" || true)
    grep -E '^(E|W): ' "$work/lintian.log" || true
    if [ "$nerr" -ne 0 ]; then
        echo "deb: lintian FAILED: $nerr errors, $nwarn warnings"
        exit 1
    fi
    lint="lintian: $nerr errors, $nwarn warnings"
else
    lint="lintian: not installed, not run"
fi

echo "deb: packages in $out"
echo "deb: libtcpq0, libtcpq-dev, tcpq-tools built and checked; $lint"
