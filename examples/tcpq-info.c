/* tcpq-info: print this host's TCP queue and buffer limits and what requests
 * become. */
#include <tcpq.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROGRAM_NAME "tcpq-info"

#include "example_util.h"

#define KIB 1024
#define MIB (1024 * 1024)

/* Every listener this program opens is on loopback, on a port the kernel
   picks, so nothing outside this host is ever touched. */
#define LOOPBACK_HOST "127.0.0.1"
#define EPHEMERAL_PORT "0"

static void print_usage(FILE *stream)
{
    fprintf(
        stream,
        "Usage: " PROGRAM_NAME " [--backlog N] [--rcvbuf N] [--sndbuf N]\n"
        "       " PROGRAM_NAME " --help\n"
        "\n"
        "Prints this host's TCP listen-queue and buffer limits, as libtcpq\n"
        "reads them at run time. Without options it then shows what typical\n"
        "requests become here, measured on real sockets on " LOOPBACK_HOST ".\n"
        "With options it makes exactly that request on one listener "
        "on\n" LOOPBACK_HOST " (ephemeral port) and prints the full report.\n"
        "\n"
        "Options:\n"
        "  --backlog N   listen backlog wanted (0: the OS maximum)\n"
        "  --rcvbuf N    receive buffer wanted, in bytes (0: left to the "
        "kernel)\n"
        "  --sndbuf N    send buffer wanted, in bytes (0: left to the kernel)\n"
        "  --help        print this help and exit\n"
        "\n"
        "N is a decimal number, optionally followed by k, m or g (powers of\n"
        "1024); it must not be negative or exceed %d.\n"
        "\n"
        "Examples:\n"
        "  " PROGRAM_NAME "\n"
        "  " PROGRAM_NAME " --backlog 100000 --rcvbuf 64M\n"
        "  " PROGRAM_NAME " --sndbuf 256k\n",
        INT_MAX);
}

/* "n/a" for -1, else bytes, with the exact KiB/MiB figure when whole. */
static const char *format_bytes(char *out, size_t size, int bytes)
{
    if (bytes < 0) {
        snprintf(out, size, "n/a");
    } else if (bytes >= MIB && bytes % MIB == 0) {
        snprintf(out, size, "%d (%d MiB)", bytes, bytes / MIB);
    } else if (bytes >= KIB && bytes % KIB == 0) {
        snprintf(out, size, "%d (%d KiB)", bytes, bytes / KIB);
    } else {
        snprintf(out, size, "%d", bytes);
    }
    return out;
}

static const char *format_triple(char *out, size_t size, const int triple[3])
{
    char parts[3][16];
    int i;

    if (triple[0] < 0 && triple[1] < 0 && triple[2] < 0) {
        snprintf(out, size, "n/a");
        return out;
    }
    for (i = 0; i < 3; i++) {
        format_int(parts[i], sizeof parts[i], triple[i]);
    }
    snprintf(out, size, "%s %s %s", parts[0], parts[1], parts[2]);
    return out;
}

static const char *queue_model_name(enum tcpq_queue_model model)
{
    switch (model) {
    case TCPQ_QUEUE_SPLIT:
        return "split (SYN queue + accept queue)";
    case TCPQ_QUEUE_SINGLE:
        return "single (half-open and complete share one queue)";
    case TCPQ_QUEUE_UNKNOWN:
    default:
        return "unknown";
    }
}

static const char *format_syncookies(char *out, size_t size, int syncookies)
{
    switch (syncookies) {
    case 0:
        snprintf(out, size, "0 (off)");
        break;
    case 1:
        snprintf(out, size, "1 (when the SYN queue overflows)");
        break;
    case 2:
        snprintf(out, size, "2 (always)");
        break;
    default:
        format_int(out, size, syncookies);
        break;
    }
    return out;
}

static const char *format_abort_on_overflow(char *out, size_t size,
                                            int abort_on_overflow)
{
    switch (abort_on_overflow) {
    case 0:
        snprintf(out, size, "0 (drop the final ACK)");
        break;
    case 1:
        snprintf(out, size, "1 (answer with RST)");
        break;
    default:
        format_int(out, size, abort_on_overflow);
        break;
    }
    return out;
}

/* One row of the limits table; source is printed only when known. */
static void print_limit_row(const char *label, const char *value,
                            const char *source)
{
    if (source != NULL && source[0] != '\0') {
        printf("  %-24s %-36s %s\n", label, value, source);
    } else {
        printf("  %-24s %s\n", label, value);
    }
}

static void print_limits(const struct tcpq_limits *limits)
{
    /* The /proc/sys paths are where libtcpq reads each figure on Linux (see
       tcpq_get_limits in tcpq.h); elsewhere the source is left out. */
    int on_linux = strcmp(limits->os, "linux") == 0;
    char value[96];
    const char *somaxconn_source;

    printf("Limits of this host (libtcpq %s)\n", tcpq_version());
    print_limit_row("os", limits->os, NULL);
    print_limit_row("queue model", queue_model_name(limits->queue_model), NULL);

    if (!limits->somaxconn_runtime) {
        somaxconn_source =
            "compiled-in guess (SOMAXCONN), not read at run time";
    } else if (on_linux) {
        somaxconn_source = "/proc/sys/net/core/somaxconn";
    } else {
        somaxconn_source = "read at run time";
    }
    print_limit_row("somaxconn",
                    format_int(value, sizeof value, limits->somaxconn),
                    somaxconn_source);
    print_limit_row("tcp_max_syn_backlog",
                    format_int(value, sizeof value, limits->max_syn_backlog),
                    on_linux ? "/proc/sys/net/ipv4/tcp_max_syn_backlog" : NULL);
    print_limit_row("syncookies",
                    format_syncookies(value, sizeof value, limits->syncookies),
                    on_linux ? "/proc/sys/net/ipv4/tcp_syncookies" : NULL);
    print_limit_row("tcp_abort_on_overflow",
                    format_abort_on_overflow(value, sizeof value,
                                             limits->abort_on_overflow),
                    on_linux ? "/proc/sys/net/ipv4/tcp_abort_on_overflow"
                             : NULL);
    print_limit_row("rmem_default",
                    format_bytes(value, sizeof value, limits->rmem_default),
                    on_linux ? "/proc/sys/net/core/rmem_default" : NULL);
    print_limit_row("rmem_max",
                    format_bytes(value, sizeof value, limits->rmem_max),
                    on_linux ? "/proc/sys/net/core/rmem_max" : NULL);
    print_limit_row("wmem_default",
                    format_bytes(value, sizeof value, limits->wmem_default),
                    on_linux ? "/proc/sys/net/core/wmem_default" : NULL);
    print_limit_row("wmem_max",
                    format_bytes(value, sizeof value, limits->wmem_max),
                    on_linux ? "/proc/sys/net/core/wmem_max" : NULL);
    print_limit_row("tcp_rmem (min def max)",
                    format_triple(value, sizeof value, limits->tcp_rmem),
                    on_linux ? "/proc/sys/net/ipv4/tcp_rmem" : NULL);
    print_limit_row("tcp_wmem (min def max)",
                    format_triple(value, sizeof value, limits->tcp_wmem),
                    on_linux ? "/proc/sys/net/ipv4/tcp_wmem" : NULL);
}

/* Prints why a library call failed: the report's message names the step,
   errno is the fallback when the message is empty. */
static void print_failure(const char *what, const struct tcpq_report *report,
                          int saved_errno)
{
    if (report->message[0] != '\0') {
        fprintf(stderr, PROGRAM_NAME ": %s: %s\n", what, report->message);
    } else {
        fprintf(stderr, PROGRAM_NAME ": %s: %s\n", what, strerror(saved_errno));
    }
}

static void print_message_line(const char *indent,
                               const struct tcpq_report *report)
{
    if (report->message[0] != '\0') {
        printf("%swarning: %s\n", indent, report->message);
    }
}

/* Opens a real listener on loopback with this backlog and prints one row.
   Returns 0, or -1 after printing the failure. */
static int show_backlog_request(int backlog)
{
    struct tcpq_options options;
    struct tcpq_report report;
    char requested[32];
    char effective[16];
    char accept_capacity[16];
    char syn_capacity[16];
    int listen_fd;

    memset(&options, 0, sizeof options);
    options.backlog = backlog;
    listen_fd =
        tcpq_open_listener(LOOPBACK_HOST, EPHEMERAL_PORT, &options, &report);
    if (listen_fd < 0) {
        int saved_errno = errno;
        char what[96];

        snprintf(what, sizeof what, "listener with backlog %d on %s", backlog,
                 LOOPBACK_HOST);
        print_failure(what, &report, saved_errno);
        return -1;
    }
    if (report.backlog_requested <= 0) {
        snprintf(requested, sizeof requested, "%d (OS maximum)",
                 report.backlog_requested);
    } else {
        format_int(requested, sizeof requested, report.backlog_requested);
    }
    printf("    %-18s -> %-10s %-15s %s\n", requested,
           format_int(effective, sizeof effective, report.backlog),
           format_int(accept_capacity, sizeof accept_capacity,
                      report.accept_queue_capacity),
           format_int(syn_capacity, sizeof syn_capacity,
                      report.syn_queue_capacity));
    print_message_line("        ", &report);
    close(listen_fd);
    return 0;
}

/* Sets SO_RCVBUF on a fresh, unconnected TCP socket and prints one row.
   Returns 0, or -1 after printing the failure. */
static int show_rcvbuf_request(int rcvbuf)
{
    struct tcpq_options options;
    struct tcpq_report report;
    char requested[48];
    char granted[48];
    char kernel[48];
    int socket_fd;

    socket_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (socket_fd < 0) {
        fprintf(stderr, PROGRAM_NAME ": socket: %s\n", strerror(errno));
        return -1;
    }
    memset(&options, 0, sizeof options);
    options.rcvbuf = rcvbuf;
    if (tcpq_set_buffers(socket_fd, &options, &report) != 0) {
        int saved_errno = errno;
        char what[64];

        snprintf(what, sizeof what, "set receive buffer to %d", rcvbuf);
        print_failure(what, &report, saved_errno);
        close(socket_fd);
        return -1;
    }
    printf("    %-22s %-22s %s\n",
           format_bytes(requested, sizeof requested, report.rcvbuf_requested),
           format_bytes(granted, sizeof granted, report.rcvbuf),
           format_bytes(kernel, sizeof kernel, report.rcvbuf_kernel));
    print_message_line("        ", &report);
    close(socket_fd);
    return 0;
}

static int show_typical_requests(void)
{
    static const int backlogs[] = {0, 128, 511, 65535};
    static const int rcvbufs[] = {64 * KIB, 64 * MIB};
    size_t i;
    int status = 0;

    printf("\nWhat typical requests become on this host\n");
    printf("  listen backlog (tcpq_open_listener on " LOOPBACK_HOST
           ", ephemeral port)\n");
    printf("    %-18s    %-10s %-15s %s\n", "requested", "effective",
           "accept queue", "SYN queue");
    for (i = 0; i < sizeof backlogs / sizeof backlogs[0]; i++) {
        if (show_backlog_request(backlogs[i]) != 0) {
            status = -1;
        }
    }

    printf("\n  receive buffer (tcpq_set_buffers on a new TCP socket)\n");
    printf("    %-22s %-22s %s\n", "requested", "granted",
           "getsockopt(SO_RCVBUF)");
    for (i = 0; i < sizeof rcvbufs / sizeof rcvbufs[0]; i++) {
        if (show_rcvbuf_request(rcvbufs[i]) != 0) {
            status = -1;
        }
    }
    return status;
}

static void print_buffer_report(const char *label, int requested, int granted,
                                int kernel)
{
    char requested_text[48];
    char granted_text[48];
    char kernel_text[48];

    if (requested == 0) {
        /* untouched: the kernel sizes it and autotuning may grow it */
        printf("  %-22s left to the kernel, now getsockopt %s (autotuned)\n",
               label, format_bytes(kernel_text, sizeof kernel_text, kernel));
        return;
    }
    format_bytes(requested_text, sizeof requested_text, requested);
    printf("  %-22s requested %s, granted %s, getsockopt %s\n", label,
           requested_text,
           format_bytes(granted_text, sizeof granted_text, granted),
           format_bytes(kernel_text, sizeof kernel_text, kernel));
}

static void print_warnings(unsigned warnings)
{
    const char *label = "warnings";
    unsigned bit;

    if (warnings == 0) {
        printf("  %-22s none\n", label);
        return;
    }
    for (bit = 1; bit != 0; bit <<= 1) {
        const char *name = tcpq_warning_name(bit);
        if (!(warnings & bit))
            continue;
        if (name != NULL)
            printf("  %-22s %s\n", label, name);
        else
            printf("  %-22s unknown warning bit 0x%x\n", label, bit);
        label = "";
    }
}

/* Makes exactly the request given on the command line on one listener. */
static int show_custom_request(const struct tcpq_options *options)
{
    struct tcpq_report report;
    char requested[32];
    char effective[16];
    char capacity[16];
    int listen_fd;

    listen_fd =
        tcpq_open_listener(LOOPBACK_HOST, EPHEMERAL_PORT, options, &report);
    if (listen_fd < 0) {
        int saved_errno = errno;

        print_failure("listener on " LOOPBACK_HOST, &report, saved_errno);
        return -1;
    }

    printf("\nYour request on a real listener (%s)\n", report.address);
    if (report.backlog_requested <= 0) {
        snprintf(requested, sizeof requested, "%d (the OS maximum)",
                 report.backlog_requested);
    } else {
        format_int(requested, sizeof requested, report.backlog_requested);
    }
    printf("  %-22s requested %s, effective %s\n", "backlog", requested,
           format_int(effective, sizeof effective, report.backlog));
    printf("  %-22s %s\n", "accept queue capacity",
           format_int(capacity, sizeof capacity, report.accept_queue_capacity));
    printf("  %-22s %s\n", "SYN queue capacity",
           format_int(capacity, sizeof capacity, report.syn_queue_capacity));
    print_buffer_report("rcvbuf", report.rcvbuf_requested, report.rcvbuf,
                        report.rcvbuf_kernel);
    print_buffer_report("sndbuf", report.sndbuf_requested, report.sndbuf,
                        report.sndbuf_kernel);
    print_warnings(report.warnings);
    printf("  %-22s %s\n", "message",
           report.message[0] != '\0' ? report.message : "(none)");
    close(listen_fd);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"backlog", required_argument, NULL, 'b'},
        {"rcvbuf", required_argument, NULL, 'r'},
        {"sndbuf", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tcpq_options options;
    struct tcpq_limits limits;
    int custom_request = 0;
    int option;
    int status;

    memset(&options, 0, sizeof options);
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

    if (tcpq_get_limits(&limits) != 0) {
        fprintf(stderr, PROGRAM_NAME ": reading the host's limits: %s\n",
                strerror(errno));
        return EXIT_FAILURE;
    }
    print_limits(&limits);

    if (custom_request) {
        status = show_custom_request(&options);
    } else {
        status = show_typical_requests();
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": writing output: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    return status == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
