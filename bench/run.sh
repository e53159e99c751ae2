#!/bin/sh
# make bench: runs every bench program, prints one table (variant, figure,
# ratio against its reference, the spread of that ratio over the rounds,
# target, verdict), writes the rows to a CSV under bench/results/ and, with
# gnuplot, the burst-latency CDF chart. A verdict is pass, FAIL or
# within-noise (the middle 80% of the rounds straddle the target, or lie
# within 2% of it): see bench/bench_util.h.
set -eu
if [ "$(uname -s)" != Linux ]; then
    echo "bench: Linux only (the programs use epoll, /proc and strace); this is $(uname -s)" >&2
    exit 1
fi
dir=${BENCH_DIR:-bench/results}
mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
csv="$dir/bench-$stamp.csv"
rows=$(mktemp)
usage=$(mktemp)
trap 'rm -f "$rows" "$usage"' EXIT INT TERM

# Other work on the machine moves the figures more than anything a run's
# rounds can show (a peer thread slowed by another process, a ratio that
# drifts with the machine's state), so each program's share of the CPUs
# taken by other processes is reported: user-mode CPU time of the whole
# machine (/proc/stat) less the bench's own (the shell's `times`). The
# bench itself spends almost all its time in the kernel.
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpus=$(nproc)
machine_user() { awk '/^cpu / { print $2 + $3 }' /proc/stat; }
own_user() { awk 'NR == 2 { split($1, t, /[ms]/); print t[1] * 60 + t[2] }' "$usage"; }
others_total=0
others_worst=0

echo "make bench: $(nproc) cores, $(uname -sr), net.core.somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?')" >&2
run_start=$(date +%s)
for prog in burst io accept setup connect; do
    echo "--- bench/$prog" >&2
    start=$(date +%s.%N)
    m0=$(machine_user)
    times >"$usage"
    o0=$(own_user)
    if ! "bench/$prog" -o "$dir" >>"$rows"; then
        echo "bench/$prog could not run" >&2
        echo "$prog,could-not-run,-,-,-,-,-,-,FAIL" >>"$rows"
    fi
    m1=$(machine_user)
    times >"$usage"
    o1=$(own_user)
    others=$(awk -v m0="$m0" -v m1="$m1" -v o0="$o0" -v o1="$o1" -v hz="$hz" \
        -v n="$cpus" -v t0="$start" -v t1="$(date +%s.%N)" 'BEGIN {
            s = (m1 - m0) / hz - (o1 - o0); if (s < 0) s = 0
            printf "%.0f %.0f %.0f", 100 * s / ((t1 - t0) * n), s, t1 - t0 }')
    set -- $others
    echo "--- bench/$prog: $3 s; other processes took $1% of the CPUs" >&2
    others_total=$((others_total + $2))
    [ "$1" -le "$others_worst" ] || others_worst=$1
done
run_time=$(( $(date +%s) - run_start ))

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
echo "bench: $run_time s; other processes took ${others_total} s of CPU, up to $others_worst% of the CPUs during one program"
if [ "$others_worst" -ge 5 ]; then
    echo "bench: the machine was not idle: this run's figures and verdicts are not comparable with an idle run's"
fi

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
set title 'Connect latency of a burst of connects, by listen backlog (loopback, $(nproc) cores, Linux $(uname -r | cut -d- -f1))'
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
