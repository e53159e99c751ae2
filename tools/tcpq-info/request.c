/* Requests: what typical ones and the one given become, and --check. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
    print_json_warnings(report->warnings);
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

int show_typical_requests(int json)
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
        char name[48];

        if (!(warnings & bit))
            continue;
        printf("  %-22s %s\n", label, warning_label(name, sizeof name, bit));
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
int show_custom_request(const struct tcpq_options *options, int check, int json,
                        int *clamped)
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
