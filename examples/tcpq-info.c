/* tcpq-info: print this host's TCP queue and buffer limits, what requests
 * become, and the live accept queues of the listeners on a port. */
#include <tcpq.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#endif

#define PROGRAM_NAME "tcpq-info"

#include "example_util.h"

/* Exit statuses beyond EXIT_SUCCESS, EXIT_FAILURE and EXIT_USAGE. */
#define EXIT_CLAMPED 3 /* --check: the OS would clamp the request */

#define KIB 1024
#define MIB (1024 * 1024)

#define WATCH_DEFAULT_INTERVAL_MS 1000
#define FILL_BAR_WIDTH 20

/* Every listener this program opens is on loopback, on a port the kernel
   picks, so nothing outside this host is ever touched. */
#define LOOPBACK_HOST "127.0.0.1"
#define EPHEMERAL_PORT "0"

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

/* ---- JSON: one object per line ------------------------------------------ */

static const char *queue_model_key(enum tcpq_queue_model model)
{
    switch (model) {
    case TCPQ_QUEUE_SPLIT:
        return "split";
    case TCPQ_QUEUE_SINGLE:
        return "single";
    case TCPQ_QUEUE_UNKNOWN:
    default:
        return "unknown";
    }
}

static void print_json_triple(const char *key, const int triple[3])
{
    printf(",\"%s\":[%d,%d,%d]", key, triple[0], triple[1], triple[2]);
}

/* The limits table as one object; "sources" names where each figure was
   read, exactly as the table does (nothing where the table says nothing). */
static void print_limits_json(const struct tcpq_limits *limits)
{
    const int on_linux = strcmp(limits->os, "linux") == 0;
    const struct {
        const char *key;
        int value;
        const char *linux_source;
    } figures[] = {
        {"somaxconn", limits->somaxconn, "/proc/sys/net/core/somaxconn"},
        {"tcp_max_syn_backlog", limits->max_syn_backlog,
         "/proc/sys/net/ipv4/tcp_max_syn_backlog"},
        {"syncookies", limits->syncookies, "/proc/sys/net/ipv4/tcp_syncookies"},
        {"tcp_abort_on_overflow", limits->abort_on_overflow,
         "/proc/sys/net/ipv4/tcp_abort_on_overflow"},
        {"rmem_default", limits->rmem_default,
         "/proc/sys/net/core/rmem_default"},
        {"rmem_max", limits->rmem_max, "/proc/sys/net/core/rmem_max"},
        {"wmem_default", limits->wmem_default,
         "/proc/sys/net/core/wmem_default"},
        {"wmem_max", limits->wmem_max, "/proc/sys/net/core/wmem_max"},
        {"tcp_rmem", 0, "/proc/sys/net/ipv4/tcp_rmem"},
        {"tcp_wmem", 0, "/proc/sys/net/ipv4/tcp_wmem"},
    };
    const size_t scalar_count = 8; /* the rows before tcp_rmem */
    const char *separator = "";
    size_t i;

    printf("{\"type\":\"limits\",\"libtcpq\":");
    print_json_string(stdout, tcpq_version());
    printf(",\"os\":");
    print_json_string(stdout, limits->os);
    printf(",\"queue_model\":\"%s\"", queue_model_key(limits->queue_model));
    printf(",\"somaxconn_runtime\":%s",
           limits->somaxconn_runtime ? "true" : "false");
    for (i = 0; i < scalar_count; i++) {
        printf(",\"%s\":%d", figures[i].key, figures[i].value);
    }
    print_json_triple("tcp_rmem", limits->tcp_rmem);
    print_json_triple("tcp_wmem", limits->tcp_wmem);

    printf(",\"sources\":{");
    if (!limits->somaxconn_runtime) {
        printf("\"somaxconn\":\"compiled-in guess (SOMAXCONN)\"");
        separator = ",";
    } else if (!on_linux) {
        printf("\"somaxconn\":\"read at run time\"");
        separator = ",";
    }
    for (i = 0; on_linux && i < sizeof figures / sizeof figures[0]; i++) {
        if (i == 0 && !limits->somaxconn_runtime)
            continue;
        printf("%s\"%s\":", separator, figures[i].key);
        print_json_string(stdout, figures[i].linux_source);
        separator = ",";
    }
    printf("}}\n");
}

static void print_warnings_json(unsigned warnings)
{
    const char *separator = "";
    unsigned bit;

    printf(",\"warnings\":[");
    for (bit = 1; bit != 0; bit <<= 1) {
        const char *name = tcpq_warning_name(bit);

        if (!(warnings & bit))
            continue;
        if (name != NULL)
            printf("%s\"%s\"", separator, name);
        else
            printf("%s\"unknown warning bit 0x%x\"", separator, bit);
        separator = ",";
    }
    printf("]");
}

/* ---- clamps and the commands that lift them ------------------------------ */

/* One clamp as the report's message states it: "backlog 100000 clamped to
   4096 by net.core.somaxconn" and its fix "sysctl -w
   net.core.somaxconn=100000" ("" when the message names none). */
struct clamp {
    unsigned warning;
    char what[128];
    char fix[128];
};

static const struct {
    unsigned warning;
    const char *subject; /* how the message starts the clause */
} clamp_kinds[] = {
    {TCPQ_WARN_BACKLOG_CLAMPED, "backlog"},
    {TCPQ_WARN_RCVBUF_CLAMPED, "rcvbuf"},
    {TCPQ_WARN_SNDBUF_CLAMPED, "sndbuf"},
};

#define FIX_PREFIX "raise it with: "

static void copy_text(char *out, size_t size, const char *text, size_t length)
{
    if (length >= size)
        length = size - 1;
    memcpy(out, text, length);
    out[length] = '\0';
}

/* Finds the clause about `subject` in a report's message, whose warnings
   are joined by "; " and whose clamp clauses read "SUBJECT N clamped to M
   by SYSCTL; raise it with: FIX". Returns 1 when found whole, 0 when it
   is absent or was cut with the message (which then ends in "..."). */
static int find_clamp(const char *message, const char *subject,
                      struct clamp *out)
{
    const size_t message_size = sizeof((struct tcpq_report *)0)->message;
    const size_t message_length = strlen(message);
    const size_t subject_length = strlen(subject);
    const int cut = message_length + 1 >= message_size &&
                    strcmp(message + message_length - 3, "...") == 0;
    const char *segment = message;
    int segments;

    /* each pass consumes one "; "-separated segment of a 255-byte text */
    for (segments = 0; *segment != '\0' && segments < 128; segments++) {
        const char *end = strstr(segment, "; ");
        const size_t length =
            end != NULL ? (size_t)(end - segment) : strlen(segment);
        char clause[256];

        copy_text(clause, sizeof clause, segment, length);
        segment = end != NULL ? end + 2 : segment + length;
        if (strncmp(clause, subject, subject_length) != 0 ||
            clause[subject_length] != ' ' ||
            strstr(clause, " clamped to ") == NULL) {
            continue;
        }
        if (end == NULL && cut)
            return 0; /* the clause itself was cut */
        copy_text(out->what, sizeof out->what, clause, length);
        out->fix[0] = '\0';
        if (end != NULL) {
            const char *fix_end = strstr(segment, "; ");
            const size_t fix_length =
                fix_end != NULL ? (size_t)(fix_end - segment) : strlen(segment);

            if (fix_end == NULL && cut)
                return 0; /* the fix, or what may be one, was cut */
            if (strncmp(segment, FIX_PREFIX, strlen(FIX_PREFIX)) == 0) {
                copy_text(out->fix, sizeof out->fix,
                          segment + strlen(FIX_PREFIX),
                          fix_length - strlen(FIX_PREFIX));
            }
        }
        return 1;
    }
    return 0;
}

/* The clamp of one option alone, on a new socket: used when the joined
   message of the whole request was cut before its clause. Returns 0, or -1
   after printing the failure. */
static int clamp_alone(const struct tcpq_options *request, unsigned warning,
                       const char *subject, struct clamp *out)
{
    struct tcpq_options options;
    struct tcpq_report report;
    int socket_fd;
    int status;

    memset(&options, 0, sizeof options);
    if (warning == TCPQ_WARN_BACKLOG_CLAMPED) {
        options.backlog = request->backlog;
        socket_fd = tcpq_open_listener(LOOPBACK_HOST, EPHEMERAL_PORT, &options,
                                       &report);
        status = socket_fd < 0 ? -1 : 0;
    } else {
        if (warning == TCPQ_WARN_RCVBUF_CLAMPED)
            options.rcvbuf = request->rcvbuf;
        else
            options.sndbuf = request->sndbuf;
        socket_fd = socket(AF_INET, SOCK_STREAM, 0);
        if (socket_fd < 0) {
            fprintf(stderr, PROGRAM_NAME ": socket: %s\n", strerror(errno));
            return -1;
        }
        status = tcpq_set_buffers(socket_fd, &options, &report);
    }
    if (status != 0) {
        int saved_errno = errno;

        print_failure(subject, &report, saved_errno);
        if (socket_fd >= 0)
            close(socket_fd);
        return -1;
    }
    close(socket_fd);
    if (!find_clamp(report.message, subject, out)) {
        /* no longer clamped (a limit changed meanwhile): name the warning */
        snprintf(out->what, sizeof out->what, "%s", tcpq_warning_name(warning));
        out->fix[0] = '\0';
    }
    return 0;
}

/* Every clamp of the request with its fix, in clamps[] (room for 3).
   Returns how many, or -1 after printing a failure. */
static int collect_clamps(const struct tcpq_options *request,
                          const struct tcpq_report *report,
                          struct clamp clamps[3])
{
    size_t i;
    int count = 0;

    for (i = 0; i < sizeof clamp_kinds / sizeof clamp_kinds[0]; i++) {
        struct clamp *clamp = &clamps[count];

        if (!(report->warnings & clamp_kinds[i].warning))
            continue;
        clamp->warning = clamp_kinds[i].warning;
        if (!find_clamp(report->message, clamp_kinds[i].subject, clamp) &&
            (request == NULL ||
             clamp_alone(request, clamp_kinds[i].warning,
                         clamp_kinds[i].subject, clamp) != 0)) {
            return -1;
        }
        count++;
    }
    return count;
}

/* A report as one object: every field, the warnings by name, and each
   clamp with its fix. */
static void print_report_json(const char *type,
                              const struct tcpq_report *report,
                              const struct clamp *clamps, int clamp_count)
{
    int i;

    printf("{\"type\":\"%s\",\"address\":", type);
    print_json_string(stdout, report->address);
    printf(",\"backlog_requested\":%d,\"backlog\":%d,"
           "\"accept_queue_capacity\":%d,\"syn_queue_capacity\":%d",
           report->backlog_requested, report->backlog,
           report->accept_queue_capacity, report->syn_queue_capacity);
    printf(",\"rcvbuf_requested\":%d,\"rcvbuf\":%d,\"rcvbuf_kernel\":%d",
           report->rcvbuf_requested, report->rcvbuf, report->rcvbuf_kernel);
    printf(",\"sndbuf_requested\":%d,\"sndbuf\":%d,\"sndbuf_kernel\":%d",
           report->sndbuf_requested, report->sndbuf, report->sndbuf_kernel);
    print_warnings_json(report->warnings);
    printf(",\"message\":");
    print_json_string(stdout, report->message);
    printf(",\"clamped\":%s,\"clamps\":[", clamp_count > 0 ? "true" : "false");
    for (i = 0; i < clamp_count; i++) {
        printf("%s{\"what\":", i > 0 ? "," : "");
        print_json_string(stdout, clamps[i].what);
        if (clamps[i].fix[0] != '\0') {
            printf(",\"fix\":");
            print_json_string(stdout, clamps[i].fix);
        }
        printf("}");
    }
    printf("]}\n");
}

/* ---- typical requests -----------------------------------------------------
 */

/* Opens a real listener on loopback with this backlog and prints one row.
   Returns 0, or -1 after printing the failure. */
static int show_backlog_request(int backlog, int json)
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
    close(listen_fd);
    if (json) {
        struct clamp clamps[3];
        int clamp_count = collect_clamps(NULL, &report, clamps);

        print_report_json("typical_backlog", &report, clamps,
                          clamp_count > 0 ? clamp_count : 0);
        return 0;
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
    return 0;
}

/* Sets SO_RCVBUF on a fresh, unconnected TCP socket and prints one row.
   Returns 0, or -1 after printing the failure. */
static int show_rcvbuf_request(int rcvbuf, int json)
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
    close(socket_fd);
    if (json) {
        struct clamp clamps[3];
        int clamp_count = collect_clamps(NULL, &report, clamps);

        print_report_json("typical_rcvbuf", &report, clamps,
                          clamp_count > 0 ? clamp_count : 0);
        return 0;
    }
    printf("    %-22s %-22s %s\n",
           format_bytes(requested, sizeof requested, report.rcvbuf_requested),
           format_bytes(granted, sizeof granted, report.rcvbuf),
           format_bytes(kernel, sizeof kernel, report.rcvbuf_kernel));
    print_message_line("        ", &report);
    return 0;
}

static int show_typical_requests(int json)
{
    static const int backlogs[] = {0, 128, 511, 65535};
    static const int rcvbufs[] = {64 * KIB, 64 * MIB};
    size_t i;
    int status = 0;

    if (!json) {
        printf("\nWhat typical requests become on this host\n");
        printf("  listen backlog (tcpq_open_listener on " LOOPBACK_HOST
               ", ephemeral port)\n");
        printf("    %-18s    %-10s %-15s %s\n", "requested", "effective",
               "accept queue", "SYN queue");
    }
    for (i = 0; i < sizeof backlogs / sizeof backlogs[0]; i++) {
        if (show_backlog_request(backlogs[i], json) != 0) {
            status = -1;
        }
    }

    if (!json) {
        printf("\n  receive buffer (tcpq_set_buffers on a new TCP socket)\n");
        printf("    %-22s %-22s %s\n", "requested", "granted",
               "getsockopt(SO_RCVBUF)");
    }
    for (i = 0; i < sizeof rcvbufs / sizeof rcvbufs[0]; i++) {
        if (show_rcvbuf_request(rcvbufs[i], json) != 0) {
            status = -1;
        }
    }
    return status;
}

/* ---- the request given on the command line ------------------------------- */

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

/* --check: each clamp on a line of its own, its fix on the next, ready to
   copy. */
static void print_check(const struct clamp *clamps, int clamp_count)
{
    int i;

    if (clamp_count == 0) {
        printf("\nCheck: nothing would be clamped (exit status 0)\n");
        return;
    }
    printf("\nCheck: the OS would clamp this request (exit status %d)\n",
           EXIT_CLAMPED);
    for (i = 0; i < clamp_count; i++) {
        if (clamps[i].fix[0] != '\0') {
            printf("  %s; to lift it:\n    %s\n", clamps[i].what,
                   clamps[i].fix);
        } else {
            printf("  %s\n", clamps[i].what);
        }
    }
}

/* Makes exactly the request given on the command line on one listener.
   Returns 0, or -1 after printing the failure; *clamped is set when the
   OS clamped any part of it. */
static int show_custom_request(const struct tcpq_options *options, int check,
                               int json, int *clamped)
{
    struct tcpq_report report;
    struct clamp clamps[3];
    char requested[32];
    char effective[16];
    char capacity[16];
    int clamp_count;
    int listen_fd;

    listen_fd =
        tcpq_open_listener(LOOPBACK_HOST, EPHEMERAL_PORT, options, &report);
    if (listen_fd < 0) {
        int saved_errno = errno;

        print_failure("listener on " LOOPBACK_HOST, &report, saved_errno);
        return -1;
    }
    close(listen_fd);
    clamp_count = collect_clamps(options, &report, clamps);
    if (clamp_count < 0)
        return -1;
    *clamped = clamp_count > 0;

    if (json) {
        print_report_json("request", &report, clamps, clamp_count);
        return 0;
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
    if (check)
        print_check(clamps, clamp_count);
    return 0;
}

/* ---- --watch: the live accept queues of one port ------------------------- */

struct watch_settings {
    int port;
    int interval_ms;
    int count; /* 0: until SIGINT */
    int json;
};

#ifdef __linux__

#define LINUX_TCP_LISTEN 10 /* include/net/tcp_states.h, a stable ABI */
#define WATCH_MAX_LISTENERS 1024
#define NETLINK_TIMEOUT_MS 2000
#define NETLINK_MAX_RECEIVES 4096 /* per dump; a dump needs a few */

struct listener {
    int family;
    unsigned char address[16]; /* network order: 4 or 16 bytes used */
    int port;
    char text[96]; /* "127.0.0.1:8080", "[::1]:8080" */
    int queue_len;
    int queue_limit;
};

static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    interrupted = 1;
}

static long long clock_ms(clockid_t clock)
{
    struct timespec now;

    clock_gettime(clock, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* One listener from an inet_diag message, added to list when on `port`. */
static void add_listener(const struct inet_diag_msg *message, int port,
                         struct listener *list, size_t capacity, size_t *count,
                         size_t *left_out)
{
    struct listener *listener;
    struct sockaddr_storage address;
    socklen_t address_length;

    if (message->idiag_state != LINUX_TCP_LISTEN ||
        ntohs(message->id.idiag_sport) != port) {
        return;
    }
    if (*count >= capacity) {
        (*left_out)++;
        return;
    }
    listener = &list[(*count)++];
    memset(listener, 0, sizeof *listener);
    memset(&address, 0, sizeof address);
    listener->family = message->idiag_family;
    listener->port = port;
    listener->queue_len = (int)message->idiag_rqueue;
    listener->queue_limit = (int)message->idiag_wqueue;
    if (message->idiag_family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&address;

        in6->sin6_family = AF_INET6;
        in6->sin6_port = message->id.idiag_sport;
        memcpy(&in6->sin6_addr, message->id.idiag_src, 16);
        if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
            in6->sin6_scope_id = message->id.idiag_if;
        memcpy(listener->address, message->id.idiag_src, 16);
        address_length = sizeof *in6;
    } else {
        struct sockaddr_in *in4 = (struct sockaddr_in *)&address;

        in4->sin_family = AF_INET;
        in4->sin_port = message->id.idiag_sport;
        memcpy(&in4->sin_addr, message->id.idiag_src, 4);
        memcpy(listener->address, message->id.idiag_src, 4);
        address_length = sizeof *in4;
    }
    format_address((struct sockaddr *)&address, address_length, listener->text,
                   sizeof listener->text, "address");
}

/* One sock_diag dump of the TCP listeners of one family. The kernel
   answers with messages ending in NLMSG_DONE, or with NLMSG_ERROR; each
   receive waits at most NETLINK_TIMEOUT_MS (SO_RCVTIMEO), the whole dump
   at most NETLINK_MAX_RECEIVES receives. Returns 0, or -1 with errno (and
   *step naming what failed). */
static int dump_listeners(int netlink_fd, int family, unsigned sequence,
                          int port, struct listener *list, size_t capacity,
                          size_t *count, size_t *left_out, const char **step)
{
    struct {
        struct nlmsghdr header;
        struct inet_diag_req_v2 request;
    } query;
    struct sockaddr_nl kernel;
    long buffer[8192]; /* 64 KiB, aligned for struct nlmsghdr */
    int receives;

    memset(&query, 0, sizeof query);
    query.header.nlmsg_len = NLMSG_LENGTH(sizeof query.request);
    query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    query.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    query.header.nlmsg_seq = sequence;
    query.request.sdiag_family = (__u8)family;
    query.request.sdiag_protocol = IPPROTO_TCP;
    query.request.idiag_states = 1u << LINUX_TCP_LISTEN;
    /* With a source port set the kernel skips other listeners: only an
       optimisation, the port is checked again in add_listener. */
    query.request.id.idiag_sport = htons((unsigned short)port);
    memset(&kernel, 0, sizeof kernel);
    kernel.nl_family = AF_NETLINK;

    *step = "netlink send";
    if (sendto(netlink_fd, &query, query.header.nlmsg_len, 0,
               (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        return -1;
    }
    for (receives = 0; receives < NETLINK_MAX_RECEIVES; receives++) {
        struct iovec vector;
        struct msghdr reply;
        ssize_t received;
        size_t offset = 0;

        memset(&reply, 0, sizeof reply);
        vector.iov_base = buffer;
        vector.iov_len = sizeof buffer;
        reply.msg_iov = &vector;
        reply.msg_iovlen = 1;
        *step = "netlink receive";
        received = recvmsg(netlink_fd, &reply, 0);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                errno = ETIMEDOUT;
            return -1;
        }
        if (reply.msg_flags & MSG_TRUNC) {
            errno = EMSGSIZE;
            return -1;
        }
        while (offset + sizeof(struct nlmsghdr) <= (size_t)received) {
            const struct nlmsghdr *header =
                (const struct nlmsghdr *)((const char *)buffer + offset);
            const size_t length = header->nlmsg_len;

            *step = "netlink reply";
            if (length < sizeof *header || length > (size_t)received - offset) {
                errno = EPROTO;
                return -1;
            }
            offset +=
                (length + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
            if (header->nlmsg_seq != sequence)
                continue; /* a stale answer */
            if (header->nlmsg_type == NLMSG_DONE)
                return 0;
            if (header->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *error = NLMSG_DATA(header);

                if (length < NLMSG_LENGTH(sizeof *error)) {
                    errno = EPROTO;
                    return -1;
                }
                if (error->error == 0)
                    continue; /* an acknowledgement */
                *step = "sock_diag";
                errno = -error->error;
                return -1;
            }
            if (header->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
                length >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
                add_listener(NLMSG_DATA(header), port, list, capacity, count,
                             left_out);
            }
        }
    }
    *step = "netlink reply";
    errno = EPROTO; /* no NLMSG_DONE after so many receives */
    return -1;
}

static int compare_listeners(const void *left, const void *right)
{
    const struct listener *a = left;
    const struct listener *b = right;

    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    return memcmp(a->address, b->address, sizeof a->address);
}

/* "[##########..........]": the share of the limit in use, rounded up so
   that one waiting connection shows; Linux holds limit + 1, shown full. */
static void format_fill_bar(char *out, int queue_len, int queue_limit)
{
    long long filled;
    int i;

    if (queue_len <= 0)
        filled = 0;
    else if (queue_limit <= 0 || queue_len >= queue_limit)
        filled = FILL_BAR_WIDTH;
    else
        filled = ((long long)queue_len * FILL_BAR_WIDTH + queue_limit - 1) /
                 queue_limit;
    out[0] = '[';
    for (i = 0; i < FILL_BAR_WIDTH; i++)
        out[1 + i] = i < filled ? '#' : '.';
    out[1 + FILL_BAR_WIDTH] = ']';
    out[2 + FILL_BAR_WIDTH] = '\0';
}

/* "+3", or "n/a" when the counter is not known. */
static const char *format_delta(char *out, size_t size, long long delta)
{
    if (delta < 0)
        snprintf(out, size, "n/a");
    else
        snprintf(out, size, "+%lld", delta);
    return out;
}

static void print_watch_line(const struct watch_settings *settings, int sample,
                             long long time_ms, const struct listener *listener,
                             const long long counters[2],
                             const long long deltas[2])
{
    char bar[FILL_BAR_WIDTH + 3];
    char clock_text[32];
    char overflows[32];
    char drops[32];
    struct tm local;
    time_t seconds = (time_t)(time_ms / 1000);

    if (settings->json) {
        printf("{\"type\":\"watch\",\"sample\":%d,\"time_ms\":%lld,"
               "\"family\":\"%s\",\"address\":",
               sample, time_ms,
               listener->family == AF_INET6 ? "inet6" : "inet");
        print_json_string(stdout, listener->text);
        printf(",\"port\":%d,\"queue_len\":%d,\"queue_limit\":%d,"
               "\"listen_overflows_delta\":%lld,\"listen_drops_delta\":%lld,"
               "\"listen_overflows\":%lld,\"listen_drops\":%lld}\n",
               listener->port, listener->queue_len, listener->queue_limit,
               deltas[0], deltas[1], counters[0], counters[1]);
        return;
    }
    if (localtime_r(&seconds, &local) == NULL ||
        strftime(clock_text, sizeof clock_text, "%H:%M:%S", &local) == 0) {
        snprintf(clock_text, sizeof clock_text, "%lld", time_ms / 1000);
    }
    format_fill_bar(bar, listener->queue_len, listener->queue_limit);
    printf("%s.%03d  %-28s %6d/%-6d  %s  %9s  %9s\n", clock_text,
           (int)(time_ms % 1000), listener->text, listener->queue_len,
           listener->queue_limit, bar,
           format_delta(overflows, sizeof overflows, deltas[0]),
           format_delta(drops, sizeof drops, deltas[1]));
}

/* Waits until the monotonic clock reaches deadline_ms or SIGINT arrives.
   SIGINT is blocked except inside pselect, so none is lost between the
   check of `interrupted` and the wait. */
static void wait_until(long long deadline_ms, const sigset_t *wait_mask)
{
    int waits;

    /* each pass waits the whole remaining time; other signals could wake
       it early, hence the bounded retry */
    for (waits = 0; waits < 1000 && !interrupted; waits++) {
        long long remaining_ms = deadline_ms - clock_ms(CLOCK_MONOTONIC);
        struct timespec pause;

        if (remaining_ms <= 0)
            return;
        pause.tv_sec = (time_t)(remaining_ms / 1000);
        pause.tv_nsec = (long)(remaining_ms % 1000) * 1000000L;
        pselect(0, NULL, NULL, NULL, &pause, wait_mask);
    }
}

/* Samples every listener on the port until the count is reached or SIGINT.
   Returns EXIT_SUCCESS or EXIT_FAILURE (after saying why on stderr). */
static int watch_port(const struct watch_settings *settings)
{
    static struct listener list[WATCH_MAX_LISTENERS];
    const struct timeval receive_timeout = {
        NETLINK_TIMEOUT_MS / 1000,
        (suseconds_t)(NETLINK_TIMEOUT_MS % 1000) * 1000};
    static const int families[] = {AF_INET, AF_INET6};
    struct sigaction action;
    sigset_t blocked;
    sigset_t wait_mask;
    long long previous[2] = {-1, -1};
    long long start_ms;
    unsigned sequence = 0;
    int netlink_fd;
    int status = EXIT_SUCCESS;
    int sample;

    netlink_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (netlink_fd < 0) {
        fprintf(stderr, PROGRAM_NAME ": netlink socket (sock_diag): %s\n",
                strerror(errno));
        return EXIT_FAILURE;
    }
    if (setsockopt(netlink_fd, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout,
                   sizeof receive_timeout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": setsockopt SO_RCVTIMEO: %s\n",
                strerror(errno));
        close(netlink_fd);
        return EXIT_FAILURE;
    }

    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    if (sigaction(SIGINT, &action, NULL) != 0 ||
        sigprocmask(SIG_BLOCK, &blocked, &wait_mask) != 0) {
        fprintf(stderr, PROGRAM_NAME ": sigaction SIGINT: %s\n",
                strerror(errno));
        close(netlink_fd);
        return EXIT_FAILURE;
    }
    sigdelset(&wait_mask, SIGINT);

    start_ms = clock_ms(CLOCK_MONOTONIC);
    for (sample = 1; settings->count == 0 || sample <= settings->count;
         sample++) {
        size_t count = 0;
        size_t left_out = 0;
        long long counters[2];
        long long deltas[2];
        long long time_ms;
        size_t i;
        int k;

        if (sample > 1) {
            wait_until(start_ms +
                           (long long)(sample - 1) * settings->interval_ms,
                       &wait_mask);
        }
        if (interrupted)
            break;
        tcpq_listen_counters(&counters[0], &counters[1]);
        for (k = 0; k < 2; k++) {
            if (counters[k] < 0 || (sample > 1 && previous[k] < 0))
                deltas[k] = -1;
            else
                deltas[k] = sample == 1 ? 0 : counters[k] - previous[k];
            previous[k] = counters[k];
        }
        time_ms = clock_ms(CLOCK_REALTIME);
        for (i = 0; i < sizeof families / sizeof families[0]; i++) {
            const char *step = "";

            if (dump_listeners(netlink_fd, families[i], ++sequence,
                               settings->port, list, WATCH_MAX_LISTENERS,
                               &count, &left_out, &step) != 0) {
                if (families[i] == AF_INET6 &&
                    (errno == ENOENT || errno == EAFNOSUPPORT))
                    continue; /* no IPv6 in this kernel */
                fprintf(stderr, PROGRAM_NAME ": %s (%s listeners): %s\n", step,
                        families[i] == AF_INET ? "IPv4" : "IPv6",
                        strerror(errno));
                status = EXIT_FAILURE;
                goto done;
            }
        }
        if (count == 0 && sample == 1) {
            fprintf(stderr,
                    PROGRAM_NAME ": no TCP listener on port %d on this host "
                                 "(IPv4 or IPv6)\n",
                    settings->port);
            status = EXIT_FAILURE;
            goto done;
        }
        if (sample == 1 && !settings->json) {
            printf("TCP listeners on port %d, every %d ms; overflows and "
                   "drops: growth of this\nhost's ListenOverflows and "
                   "ListenDrops since the previous sample (first: 0)\n",
                   settings->port, settings->interval_ms);
            printf("%-12s  %-28s %6s/%-6s  %-22s  %9s  %9s\n", "time",
                   "address", "queue", "limit", "fill", "overflows", "drops");
        }
        if (count == 0) {
            if (settings->json)
                printf("{\"type\":\"no_listener\",\"sample\":%d,"
                       "\"time_ms\":%lld,\"port\":%d}\n",
                       sample, time_ms, settings->port);
            else
                printf("no TCP listener on port %d any more\n", settings->port);
        }
        qsort(list, count, sizeof list[0], compare_listeners);
        for (i = 0; i < count; i++)
            print_watch_line(settings, sample, time_ms, &list[i], counters,
                             deltas);
        if (left_out > 0) {
            fprintf(stderr,
                    PROGRAM_NAME ": %zu more listeners on port %d not shown\n",
                    left_out, settings->port);
        }
        if (fflush(stdout) != 0) {
            fprintf(stderr, PROGRAM_NAME ": writing output: %s\n",
                    strerror(errno));
            status = EXIT_FAILURE;
            goto done;
        }
    }
done:
    close(netlink_fd);
    return status;
}

#else /* !__linux__ */

static int watch_port(const struct watch_settings *settings)
{
    (void)settings;
    fprintf(stderr, PROGRAM_NAME ": --watch: not supported on this OS (it "
                                 "reads listeners through Linux sock_diag "
                                 "netlink)\n");
    return EXIT_FAILURE;
}

#endif /* __linux__ */

/* ---- main -----------------------------------------------------------------
 */

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
            watch.interval_ms = parse_option_value("--interval", optarg, 0);
            if (watch.interval_ms == 0)
                invalid_value_error("--interval", optarg, "must be at least 1");
            watch_tuned = 1;
            break;
        case 'n':
            watch.count = parse_option_value("--count", optarg, 0);
            if (watch.count == 0)
                invalid_value_error("--count", optarg, "must be at least 1");
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
        if (status == EXIT_SUCCESS && fflush(stdout) != 0) {
            fprintf(stderr, PROGRAM_NAME ": writing output: %s\n",
                    strerror(errno));
            return EXIT_FAILURE;
        }
        return status;
    }

    if (tcpq_get_limits(&limits) != 0) {
        fprintf(stderr, PROGRAM_NAME ": reading the host's limits: %s\n",
                strerror(errno));
        return EXIT_FAILURE;
    }
    if (json)
        print_limits_json(&limits);
    else
        print_limits(&limits);

    if (custom_request) {
        status = show_custom_request(&options, check, json, &clamped);
    } else {
        status = show_typical_requests(json);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": writing output: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    if (status != 0)
        return EXIT_FAILURE;
    return check && clamped ? EXIT_CLAMPED : EXIT_SUCCESS;
}
