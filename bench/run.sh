#!/bin/sh
# make bench: runs every bench program, prints one table (variant, figure,
# ratio against its reference, the spread of that ratio over the rounds,
# target, verdict), writes the rows to a CSV under bench/results/ and, with
# gnuplot, the burst-latency CDF chart. A verdict is pass, FAIL or
# within-noise (the rounds straddle the target, or lie within 2% of it):
# see bench/bench_util.h.
set -eu
dir=${BENCH_DIR:-bench/results}
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv="$dir/bench-$stamp.csv"
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT INT TERM

echo "make bench: $(nproc) cores, $(uname -sr), net.core.somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?')" >&2
for prog in burst io accept setup; do
    echo "--- bench/$prog" >&2
    start=$(date +%s)
    if ! "bench/$prog" -o "$dir" >>"$rows"; then
        echo "bench/$prog could not run" >&2
        echo "$prog,could-not-run,-,-,-,-,-,-,FAIL" >>"$rows"
    fi
    echo "--- bench/$prog: $(( $(date +%s) - start )) s" >&2
done

{
    echo "section,variant,figure,unit,reference,ratio,spread,target,verdict"
    cat "$rows"
} >"$csv"

fmt='%-8s %-34s %10s %-8s %-22s %7s %-13s %7s %s\n'
printf "\n$fmt" section variant figure unit reference ratio spread target verdict
awk -F, -v fmt="$fmt" '{ printf fmt, $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$rows"
failed=$(awk -F, '$9 == "FAIL"' "$rows" | wc -l)
passed=$(awk -F, '$9 == "pass"' "$rows" | wc -l)
noise=$(awk -F, '$9 == "within-noise"' "$rows" | wc -l)
echo
echo "bench: $passed targets met, $failed missed, $noise within noise; rows in $csv"

if command -v gnuplot >/dev/null 2>&1 && ls "$dir"/burst-*.dat >/dev/null 2>&1; then
    plots=""
    for f in "$dir"/burst-*.dat; do
        name=$(basename "$f" .dat | sed 's/^burst-//')
        n=$(wc -l <"$f")
        [ "$n" -gt 0 ] || continue
        plots="$plots${plots:+, }'$f' using 1:(\$0+1)/$n with steps lw 2 title '$name'"
    done
    gnuplot <<GP
set terminal pngcairo size 900,520 noenhanced
set output '$dir/burst-cdf.png'
set title 'Connect latency of a burst of connects, by listen backlog (loopback, $(nproc) cores, $(uname -r))'
set xlabel 'connect latency (ms, log scale)'
set ylabel 'fraction of connects completed'
set logscale x
set key bottom right
set grid
plot $plots
GP
    echo "bench: chart in $dir/burst-cdf.png"
else
    echo "bench: no chart (gnuplot not found: apt-get install gnuplot-nox, or make deps)"
fi
