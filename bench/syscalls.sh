#!/bin/sh
# System calls per tcpq_send_all / tcpq_recv with data ready, per mode,
# counted by strace between the markers bench/syscalls.c writes.
set -eu
bin=${1:-bench/syscalls}
command -v strace >/dev/null 2>&1 || { echo "syscalls: strace not found (apt-get install strace)"; exit 1; }
trace=$(mktemp)
trap 'rm -f "$trace"' EXIT INT TERM
for mode in 0 1 2; do
    case $mode in 0) name=blocking ;; 1) name="timeout 5 s" ;; 2) name=nonblocking ;; esac
    strace -o "$trace" "$bin" "$mode" 2>/dev/null
    counts=$(awk '/MARK start/ {on = 1; next} /MARK end/ {on = 0} on {sub(/\(.*/, ""); n[$0]++}
                  END {for (c in n) printf "%s %d, ", c, n[c]}' "$trace")
    echo "syscalls, 1000 tcpq_send_all + 1000 tcpq_recv, $name: ${counts%, }"
done
