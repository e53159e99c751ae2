#!/bin/sh
# The library's objects depend one way: for every object, the objects that
# define the library symbols it uses (nm), printed as a graph. The objects
# are given lowest layer first (the Makefile's LIB_OBJS order, as
# lib/tcpq_internal.h lists the layers): an object that needs one given
# after it fails, and so does any loop. Run by make lint and make check.
set -eu
cd "$(dirname "$0")/.."
NM=${NM:-nm}
objs=$*
[ -n "$objs" ] || { echo "usage: layers.sh OBJECT... (lowest layer first)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
for o in $objs; do
    "$NM" -g --defined-only "$o" | awk -v o="$(basename "$o" .o)" \
        'NF == 3 && $3 ~ /^tcpq_/ {print $3, o}'
done | sort >"$work/defs"
for o in $objs; do
    name=$(basename "$o" .o)
    "$NM" -u "$o" | awk '$2 ~ /^tcpq_/ {print $2}' | sort -u |
        join - "$work/defs" | awk -v o="$name" '$2 != o {print o, $2}'
done | sort -u >"$work/edges"

# print: object -> what it needs
awk '{need[$1] = need[$1] " " $2} END {for (o in need) print "layers: " o " ->" need[o]}' \
    "$work/edges" | sort
# each edge must point down: to an object given before the one that needs it
rank=0
for o in $objs; do
    rank=$((rank + 1))
    echo "$(basename "$o" .o) $rank"
done | sort >"$work/rank"
awk 'NR == FNR {rank[$1] = $2; next}
     rank[$2] >= rank[$1] {
         print "layers: " $1 " needs " $2 ", which is not below it"; bad = 1
     }
     END {exit bad}' "$work/rank" "$work/edges" >&2 || exit 1
# tsort fails on a cycle and names it
if ! tsort "$work/edges" >"$work/order" 2>"$work/cycle"; then
    echo "layers: the objects depend on each other in a loop:" >&2
    cat "$work/cycle" >&2
    exit 1
fi
echo "layers: $(echo $objs | wc -w) objects, $(wc -l <"$work/edges") dependencies, every one down a layer, no loop"
