/* The command line: options, --help, usage errors and exit statuses. */
#include "tcpq_info.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WATCH_DEFAULT_INTERVAL_MS 1000

static void print_usage(FILE *stream)
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

/* The hint that follows every usage error. */
static void print_help_hint(void)
{
    fprintf(stderr, "Try '" PROGRAM_NAME " --help' for more information.\n");
}

/* "PROGRAM: what", the --help hint, then exit with EXIT_USAGE. */
static void usage_error(const char *what)
{
    fprintf(stderr, PROGRAM_NAME ": %s\n", what);
    print_help_hint();
    exit(EXIT_USAGE);
}

/* "invalid OPTION value 'TEXT': WHY", then exit as usage_error does. */
static void invalid_value_error(const char *option_name, const char *text,
                                const char *why)
{
    char message[256];

    snprintf(message, sizeof message, "invalid %s value '%s': %s", option_name,
             text, why);
    usage_error(message);
}

/* Parses a non-negative decimal number, with an optional k/m/g suffix
   (powers of 1024) when allow_suffix is set. Returns 0 and sets *out, or
   returns -1 and sets *why. Done by hand because strtol accepts leading
   blanks and signs. */
static int parse_number(const char *text, int allow_suffix, int *out,
                        const char **why)
{
    const char *not_a_number =
        allow_suffix ? "not a number (digits, optionally followed by k, m or g)"
                     : "not a number (digits only)";
    const char *cursor = text;
    long long value = 0;
    long long multiplier = 1;

    if (*cursor == '-') {
        *why = "must not be negative";
        return -1;
    }
    if (*cursor < '0' || *cursor > '9') {
        *why = not_a_number;
        return -1;
    }
    while (*cursor >= '0' && *cursor <= '9') {
        value = value * 10 + (*cursor - '0');
        if (value > INT_MAX) {
            *why = "too large (the most is 2147483647)";
            return -1;
        }
        cursor++;
    }
    if (allow_suffix) {
        switch (*cursor) {
        case 'k':
        case 'K':
            multiplier = 1024;
            cursor++;
            break;
        case 'm':
        case 'M':
            multiplier = 1024LL * 1024;
            cursor++;
            break;
        case 'g':
        case 'G':
            multiplier = 1024LL * 1024 * 1024;
            cursor++;
            break;
        default:
            break;
        }
    }
    if (*cursor != '\0') {
        *why = not_a_number;
        return -1;
    }
    if (value > INT_MAX / multiplier) {
        *why = "too large (the most is 2147483647)";
        return -1;
    }
    *out = (int)(value * multiplier);
    return 0;
}

/* The value of an option, or a usage error naming the option. */
static int parse_option_value(const char *option_name, const char *text,
                              int allow_suffix)
{
    const char *why = "";
    int value = 0;

    if (parse_number(text, allow_suffix, &value, &why) != 0) {
        invalid_value_error(option_name, text, why);
    }
    return value;
}

/* A count or a time: like parse_option_value, and at least 1. */
static int parse_positive_option(const char *option_name, const char *text)
{
    int value = parse_option_value(option_name, text, 0);

    if (value == 0) {
        invalid_value_error(option_name, text, "must be at least 1");
    }
    return value;
}

/* A TCP port given as a number, 1 to 65535 (never a service name, so no
   lookup is made); anything else is a usage error naming the option. */
static int parse_port_option(const char *option_name, const char *text)
{
    int port = parse_option_value(option_name, text, 0);

    if (port < 1 || port > 65535) {
        invalid_value_error(option_name, text, "not a port (1 to 65535)");
    }
    return port;
}

/* Flushes stdout; on failure says so. Returns the status to exit with. */
static int finish_output(int status)
{
    if (fflush(stdout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": writing output: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    return status;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"backlog", required_argument, NULL, 'b'},
        {"rcvbuf", required_argument, NULL, 'r'},
        {"sndbuf", required_argument, NULL, 's'},
        {"check", no_argument, NULL, 'c'},
        {"watch", required_argument, NULL, 'w'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tcpq_options options;
    struct tcpq_limits limits;
    struct watch_settings watch;
    int custom_request = 0;
    int check = 0;
    int watching = 0;
    int watch_tuned = 0; /* --interval or --count given */
    int json = 0;
    int clamped = 0;
    int option;
    int status;

    memset(&options, 0, sizeof options);
    memset(&watch, 0, sizeof watch);
    watch.interval_ms = WATCH_DEFAULT_INTERVAL_MS;
    while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (option) {
        case 'b':
            options.backlog = parse_option_value("--backlog", optarg, 1);
            custom_request = 1;
            break;
        case 'r':
            options.rcvbuf = parse_option_value("--rcvbuf", optarg, 1);
            custom_request = 1;
            break;
        case 's':
            options.sndbuf = parse_option_value("--sndbuf", optarg, 1);
            custom_request = 1;
            break;
        case 'c':
            check = 1;
            break;
        case 'w':
            watch.port = parse_port_option("--watch", optarg);
            watching = 1;
            break;
        case 'i':
            watch.interval_ms = parse_positive_option("--interval", optarg);
            watch_tuned = 1;
            break;
        case 'n':
            watch.count = parse_positive_option("--count", optarg);
            watch_tuned = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            print_usage(stdout);
            return EXIT_SUCCESS;
        default:
            /* getopt_long has already said what was wrong. */
            print_help_hint();
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        char message[128];

        snprintf(message, sizeof message, "unexpected argument '%s'",
                 argv[optind]);
        usage_error(message);
    }
    if (watching && (custom_request || check)) {
        usage_error("--watch does not go with --backlog, --rcvbuf, --sndbuf "
                    "or --check");
    }
    if (watch_tuned && !watching) {
        usage_error("--interval and --count go with --watch PORT");
    }
    if (check && !custom_request) {
        usage_error("--check needs --backlog, --rcvbuf or --sndbuf");
    }

    if (watching) {
        watch.json = json;
        status = watch_port(&watch);
        return status == EXIT_SUCCESS ? finish_output(status) : status;
    }

    if (tcpq_get_limits(&limits) != 0) {
        fprintf(stderr, PROGRAM_NAME ": reading the host's limits: %s\n",
                strerror(errno));
        return EXIT_FAILURE;
    }
    print_limits(&limits, json);
    if (custom_request) {
        status = show_custom_request(&options, check, json, &clamped);
    } else {
        status = show_typical_requests(json);
    }
    if (status != 0)
        return finish_output(EXIT_FAILURE);
    return finish_output(check && clamped ? EXIT_CLAMPED : EXIT_SUCCESS);
}
