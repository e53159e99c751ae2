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

/* One clamp, from the report's own figures: "backlog 100000 clamped to
   4096", and the command that lifts it ("" where none is known). */
struct clamp {
    const char *option; /* "backlog", "rcvbuf" or "sndbuf" */
    int requested;
    int granted;
    char fix[160];
};

/* Every clamp the report carries, with its fix from tcpq_warning_fix, in
   clamps[] (room for 3). Returns how many, or -1 after printing a
   failure. */
static int collect_clamps(const struct tcpq_report *report,
                          struct clamp clamps[3])
{
    const struct {
        unsigned warning;
        const char *option;
        int requested, granted;
    } kinds[] = {
        {TCPQ_WARN_BACKLOG_CLAMPED, "backlog", report->backlog_requested,
         report->backlog},
        {TCPQ_WARN_RCVBUF_CLAMPED, "rcvbuf", report->rcvbuf_requested,
         report->rcvbuf},
        {TCPQ_WARN_SNDBUF_CLAMPED, "sndbuf", report->sndbuf_requested,
         report->sndbuf},
    };
    size_t i;
    int count = 0;

    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct clamp *clamp = &clamps[count];
        int length;

        if (!(report->warnings & kinds[i].warning))
            continue;
        clamp->option = kinds[i].option;
        clamp->requested = kinds[i].requested;
        clamp->granted = kinds[i].granted;
        length = tcpq_warning_fix(report, kinds[i].warning, clamp->fix,
                                  sizeof clamp->fix);
        if (length < 0 || (size_t)length >= sizeof clamp->fix) {
            fprintf(stderr, PROGRAM_NAME ": the fix for the %s clamp: %s\n",
                    clamp->option,
                    length < 0 ? strerror(errno) : "longer than it can show");
            return -1;
        }
        count++;
    }
    return count;
}

static const char *format_clamp(char *out, size_t size,
                                const struct clamp *clamp)
{
    snprintf(out, size, "%s %d clamped to %d", clamp->option, clamp->requested,
             clamp->granted);
    return out;
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
        char what[96];

        printf("%s{\"what\":", i > 0 ? "," : "");
        print_json_string(stdout, format_clamp(what, sizeof what, &clamps[i]));
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
        int clamp_count = collect_clamps(&report, clamps);

        if (clamp_count < 0)
            return -1;
        print_report_json("typical_backlog", &report, clamps, clamp_count);
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
        int clamp_count = collect_clamps(&report, clamps);

        if (clamp_count < 0)
            return -1;
        print_report_json("typical_rcvbuf", &report, clamps, clamp_count);
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
        char what[96];

        format_clamp(what, sizeof what, &clamps[i]);
        if (clamps[i].fix[0] != '\0')
            printf("  %s; to lift it:\n    %s\n", what, clamps[i].fix);
        else
            printf("  %s; no known command lifts it\n", what);
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
    clamp_count = collect_clamps(&report, clamps);
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
