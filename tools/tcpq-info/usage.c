/* --help: the usage, the options, the JSON objects and the exit statuses. */
#include "tcpq_info.h"

#include <limits.h>
#include <stdio.h>

static void print_synopsis(FILE *stream)
{
    fprintf(stream,
            "Usage: " PROGRAM_NAME " [--json]\n"
            "       " PROGRAM_NAME " [--backlog N] [--rcvbuf N] [--sndbuf N]\n"
            "                 [--keepalive IDLE:INTVL:CNT] [--user-timeout "
            "MS]\n"
            "                 [--defer-accept S] [--fastopen QLEN] "
            "[--notsent-lowat N]\n"
            "                 [--congestion NAME] [--check] [--json]\n"
            "       " PROGRAM_NAME
            " --watch PORT [--interval MS] [--count N] [--json]\n"
            "       " PROGRAM_NAME " --help\n"
            "\n"
            "Prints this host's TCP listen-queue and buffer limits and the\n"
            "defaults of the per-socket options, as libtcpq reads them at "
            "run time.\n"
            "Without options it then shows what typical requests become "
            "here,\n"
            "measured on real sockets on " LOOPBACK_HOST ". With options it "
            "makes exactly\n"
            "that request on one listener on " LOOPBACK_HOST
            " (ephemeral port) and prints\n"
            "the full report: every figure the kernel holds, read back, and "
            "each\n"
            "warning with the command that lifts its cause. With --watch it\n"
            "samples the accept queue of every TCP listener on a port "
            "instead.\n");
}

static void print_request_options(FILE *stream)
{
    fprintf(stream,
            "\n"
            "Options:\n"
            "  --backlog N    listen backlog wanted (0: the OS maximum)\n"
            "  --rcvbuf N     receive buffer wanted, in bytes (0: left to the "
            "kernel)\n"
            "  --sndbuf N     send buffer wanted, in bytes (0: left to the "
            "kernel)\n"
            "  --keepalive IDLE:INTVL:CNT\n"
            "                 keepalive on: the first probe after IDLE "
            "seconds idle,\n"
            "                 then one every INTVL seconds; the connection "
            "fails after\n"
            "                 CNT unanswered probes\n"
            "  --user-timeout MS\n"
            "                 TCP_USER_TIMEOUT: how long sent data may stay\n"
            "                 unacknowledged before the connection fails\n"
            "  --defer-accept S\n"
            "                 TCP_DEFER_ACCEPT: a connection enters the "
            "accept queue\n"
            "                 only once data arrives, waiting up to S seconds "
            "(the\n"
            "                 kernel rounds S up to its SYN-ACK "
            "retransmission schedule)\n"
            "  --fastopen QLEN\n"
            "                 TCP Fast Open, with at most QLEN requests "
            "pending\n"
            "  --notsent-lowat N\n"
            "                 TCP_NOTSENT_LOWAT: unsent bytes past which the "
            "socket\n"
            "                 stops being writable\n"
            "  --congestion NAME\n"
            "                 TCP_CONGESTION: the congestion control, e.g. "
            "reno, cubic\n"
            "                 or bbr; the kernel must have it and allow it\n"
            "                 (net.ipv4.tcp_allowed_congestion_control)\n"
            "  --check        with a request: exit with status 3 when the OS "
            "would\n"
            "                 clamp or refuse part of it (a backlog or buffer "
            "clamped,\n"
            "                 Fast Open while the host's server bit is off); "
            "each is\n"
            "                 printed with the command that lifts it. A "
            "--defer-accept\n"
            "                 the kernel rounds up is noted, not counted: no "
            "command\n"
            "                 changes its schedule\n");
}

static void print_other_options(FILE *stream)
{
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
        "1024); it must not be negative or exceed %d. MS, S, QLEN, IDLE,\n"
        "INTVL, CNT, N of --count and PORT are plain decimal numbers. The\n"
        "values of --keepalive, --user-timeout, --defer-accept, --fastopen "
        "and\n"
        "--notsent-lowat are at least 1. NAME is 1 to 15 letters, digits, _ "
        "or -.\n"
        "Each option from --keepalive to --congestion is set on the listener "
        "and\n"
        "read back; one left out keeps the host's default, shown in the "
        "limits.\n",
        WATCH_DEFAULT_INTERVAL_MS, INT_MAX);
}

static void print_json_objects(FILE *stream)
{
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
        "                   tcp_wmem ([min, default, max]); the defaults of "
        "the\n"
        "                   per-socket options: tcp_keepalive_time,\n"
        "                   tcp_keepalive_intvl, tcp_keepalive_probes,\n"
        "                   tcp_fastopen (its bits: 0x1 client, 0x2 server),\n"
        "                   tcp_notsent_lowat and tcp_congestion_control (a\n"
        "                   string, \"\" when not known); and sources (where "
        "each\n"
        "                   figure was read, when known)\n"
        "  typical_backlog, typical_rcvbuf\n"
        "                   one per typical request (no options)\n"
        "  request          your request; like the typical ones, every "
        "report\n"
        "                   field (address, backlog_requested, backlog,\n"
        "                   accept_queue_capacity, syn_queue_capacity,\n"
        "                   rcvbuf_requested, rcvbuf, rcvbuf_kernel, the "
        "same for\n"
        "                   sndbuf, keepalive_idle_s, keepalive_intvl_s,\n"
        "                   keepalive_cnt, user_timeout_ms, defer_accept_s "
        "(as\n"
        "                   held), fastopen_qlen, notsent_lowat, and "
        "congestion,\n"
        "                   a string, \"\" when not measured), warnings "
        "(names),\n"
        "                   fixes ({name: command}, \"\" where none helps), "
        "message,\n"
        "                   clamped (true/false: what --check exits 3 for) "
        "and\n"
        "                   clamps ([{\"what\", \"fix\"}], fix left out when "
        "the OS\n"
        "                   names none)\n");
    fprintf(stream,
            "  watch            one per listener and sample: sample (1, 2, "
            "...),\n"
            "                   time_ms (since the Unix epoch), family "
            "(inet/inet6),\n"
            "                   address, port, queue_len, queue_limit,\n"
            "                   listen_overflows_delta, listen_drops_delta "
            "(0 on the\n"
            "                   first sample), listen_overflows, "
            "listen_drops\n"
            "                   (absolute, since boot)\n"
            "  no_listener      a later sample found no listener on PORT any "
            "more\n"
            "Numbers are JSON numbers. -1 means what it means in libtcpq: not "
            "known\n"
            "on this OS, or not measured by that call; JSON null is never "
            "used.\n");
}

void print_usage(FILE *stream)
{
    print_synopsis(stream);
    print_request_options(stream);
    print_other_options(stream);
    print_json_objects(stream);
    fprintf(stream,
            "\n"
            "Exit status:\n"
            "  0  success (with --check: nothing would be clamped or "
            "refused)\n"
            "  1  runtime failure (a system call failed, the library refused "
            "the\n"
            "     request, e.g. a congestion control this kernel lacks; "
            "--watch:\n"
            "     no listener on PORT)\n"
            "  2  usage error\n"
            "  3  --check: the OS would clamp or refuse part of the request\n"
            "\n"
            "Examples:\n"
            "  " PROGRAM_NAME "\n"
            "  " PROGRAM_NAME " --backlog 100000 --rcvbuf 64M\n"
            "  " PROGRAM_NAME " --sndbuf 256k\n"
            "  " PROGRAM_NAME
            " --backlog 4096 --rcvbuf 4M --check || echo 'raise the limits'\n"
            "  " PROGRAM_NAME " --keepalive 30:5:4 --defer-accept 5 "
            "--fastopen 16 --check\n"
            "  " PROGRAM_NAME " --congestion bbr --notsent-lowat 16k\n"
            "  " PROGRAM_NAME " --json --backlog 100000\n"
            "  " PROGRAM_NAME " --watch 8080\n"
            "  " PROGRAM_NAME
            " --watch 8080 --interval 200 --count 50 --json\n");
}
