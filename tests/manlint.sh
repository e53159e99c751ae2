#!/bin/sh
# Lints every manual page under man/: mandoc -Tlint -W warning when mandoc
# is on PATH, else groff -man -ww -z. Any warning fails (exit 1).
# A link page (a lone ".so manN/page.N" line) is only checked for its target.
set -u
cd "$(dirname "$0")/.." || exit 1

if command -v mandoc >/dev/null 2>&1; then
    tool=mandoc
elif command -v groff >/dev/null 2>&1; then
    tool=groff
else
    echo "manlint: neither mandoc nor groff found (apt-get install mandoc)" >&2
    exit 1
fi

n=0
bad=0
for page in man/man*/*.[0-9]; do
    [ -f "$page" ] || continue
    n=$((n + 1))
    first=$(sed -n '1p' "$page")
    case "$first" in
    .so\ *)
        target=${first#.so }
        if [ "$(wc -l < "$page")" -ne 1 ]; then
            echo "manlint: $page: a link page must hold only its .so line" >&2
            bad=1
        elif [ ! -f "man/$target" ]; then
            echo "manlint: $page: .so target man/$target does not exist" >&2
            bad=1
        fi
        continue
        ;;
    esac
    if [ "$tool" = mandoc ]; then
        out=$(mandoc -Tlint -W warning "$page" 2>&1)
    else
        out=$(groff -t -man -ww -z "$page" 2>&1)
    fi
    if [ -n "$out" ]; then
        printf '%s\n' "$out" >&2
        bad=1
    fi
done

if [ "$n" -eq 0 ]; then
    echo "manlint: no pages found under man/" >&2
    exit 1
fi
if [ "$bad" -ne 0 ]; then
    echo "manlint: FAILED ($tool)" >&2
    exit 1
fi
echo "manlint: $n pages clean ($tool)"
