/* --help: the usage, the options, the JSON objects and the exit statuses. */
#include "tcpq_info.h"

#include <limits.h>
#include <stdio.h>

void print_usage(FILE *stream)
{
    fprintf(
        stream,
        "Usage: " PROGRAM_NAME " [--json]\n"
        "       " PROGRAM_NAME
        " [--backlog N] [--rcvbuf N] [--sndbuf N] [--check] [--json]\n"
        "       " PROGRAM_NAME
        " --watch PORT [--interval MS] [--count N] [--json]\n"
        "       " PROGRAM_NAME " --help\n"
        "\n"
        "Prints this host's TCP listen-queue and buffer limits, as libtcpq\n"
        "reads them at run time. Without options it then shows what typical\n"
        "requests become here, measured on real sockets on " LOOPBACK_HOST ".\n"
        "With options it makes exactly that request on one listener "
        "on\n" LOOPBACK_HOST " (ephemeral port) and prints the full report.\n"
        "With --watch it samples the accept queue of every TCP listener on\n"
        "a port instead.\n"
        "\n"
        "Options:\n"
        "  --backlog N    listen backlog wanted (0: the OS maximum)\n"
        "  --rcvbuf N     receive buffer wanted, in bytes (0: left to the "
        "kernel)\n"
        "  --sndbuf N     send buffer wanted, in bytes (0: left to the "
        "kernel)\n"
        "  --check        with --backlog, --rcvbuf or --sndbuf: exit with "
        "status 3\n"
        "                 when the OS would clamp any of them; each clamp is\n"
        "                 printed with the command that lifts it\n");
    fprintf(
        stream,
        "  --watch PORT   every interval, one line per TCP listener on PORT "
        "on this\n"
        "                 host (IPv4 and IPv6, whichever process owns it): "
        "local\n"
        "                 address, accept-queue length / limit (the "
        "backlog), a fill\n"
        "                 bar, and how much this host's (network "
        "namespace's)\n"
        "                 ListenOverflows and ListenDrops counters grew "
        "since the\n"
        "                 previous sample; the first sample is the baseline "
        "and\n"
        "                 shows 0. Linux only (sock_diag netlink).\n"
        "  --interval MS  time between samples in milliseconds (default "
        "%d)\n"
        "  --count N      stop after N samples (default: until Ctrl-C; "
        "SIGINT ends\n"
        "                 cleanly, exit status 0)\n"
        "  --json         print JSON instead: one object per line on "
        "stdout and\n"
        "                 nothing else (errors still go to stderr)\n"
        "  --help         print this help and exit\n"
        "\n"
        "N is a decimal number, optionally followed by k, m or g (powers of\n"
        "1024); it must not be negative or exceed %d. MS, N of --count and\n"
        "PORT are plain decimal numbers.\n",
        WATCH_DEFAULT_INTERVAL_MS, INT_MAX);
    fprintf(
        stream,
        "\n"
        "JSON objects, each on one line, \"type\" first:\n"
        "  limits           the limits table: os, queue_model, somaxconn,\n"
        "                   somaxconn_runtime (true/false), "
        "tcp_max_syn_backlog,\n"
        "                   syncookies, tcp_abort_on_overflow, "
        "rmem_default,\n"
        "                   rmem_max, wmem_default, wmem_max, tcp_rmem and\n"
        "                   tcp_wmem ([min, default, max]), and sources\n"
        "                   (where each figure was read, when known)\n"
        "  typical_backlog, typical_rcvbuf\n"
        "                   one per typical request (no options)\n"
        "  request          your request; like the typical ones, every "
        "report\n"
        "                   field (address, backlog_requested, backlog,\n"
        "                   accept_queue_capacity, syn_queue_capacity,\n"
        "                   rcvbuf_requested, rcvbuf, rcvbuf_kernel, and the\n"
        "                   same for sndbuf), warnings (names), message,\n"
        "                   clamped (true/false) and clamps ([{\"what\", "
        "\"fix\"}],\n"
        "                   fix left out when the OS names none)\n"
        "  watch            one per listener and sample: sample (1, 2, ...),\n"
        "                   time_ms (since the Unix epoch), family "
        "(inet/inet6),\n"
        "                   address, port, queue_len, queue_limit,\n"
        "                   listen_overflows_delta, listen_drops_delta "
        "(0 on the\n"
        "                   first sample), listen_overflows, listen_drops\n"
        "                   (absolute, since boot)\n"
        "  no_listener      a later sample found no listener on PORT any "
        "more\n"
        "Numbers are JSON numbers. -1 means what it means in libtcpq: not "
        "known\n"
        "on this OS, or not measured by that call; JSON null is never "
        "used.\n");
    fprintf(stream,
            "\n"
            "Exit status:\n"
            "  0  success (with --check: nothing would be clamped)\n"
            "  1  runtime failure (a system call failed; --watch: no "
            "listener on PORT)\n"
            "  2  usage error\n"
            "  3  --check: the OS would clamp the request\n"
            "\n"
            "Examples:\n"
            "  " PROGRAM_NAME "\n"
            "  " PROGRAM_NAME " --backlog 100000 --rcvbuf 64M\n"
            "  " PROGRAM_NAME " --sndbuf 256k\n"
            "  " PROGRAM_NAME
            " --backlog 4096 --rcvbuf 4M --check || echo 'raise the limits'\n"
            "  " PROGRAM_NAME " --json --backlog 100000\n"
            "  " PROGRAM_NAME " --watch 8080\n"
            "  " PROGRAM_NAME
            " --watch 8080 --interval 200 --count 50 --json\n");
}
