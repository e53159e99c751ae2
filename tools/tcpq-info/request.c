/* Requests: what typical ones and the one given become, and --check. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Says why a library call failed: "tcpq-info: WHAT: REASON", the reason
   from the report's message, which names the step, or from errno when the
   message is empty. Call it before anything can change errno. */
static void print_failure(const struct tcpq_report *report, const char *format,
                          ...)
{
    const int saved_errno = errno;
    char what[128];
    va_list args;

    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    fprintf(stderr, PROGRAM_NAME ": %s: %s\n", what,
            report->message[0] != '\0' ? report->message
                                       : strerror(saved_errno));
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
   clamp with its fix. Returns 0, or -1 after printing a failure. */
static int print_report_json(const char *type, const struct tcpq_report *report)
{
    struct clamp clamps[3];
    const int clamp_count = collect_clamps(report, clamps);
    int i;

    if (clamp_count < 0)
        return -1;
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
    return 0;
}

/* ---- typical requests ---------------------------------------------------- */

/* A real listener on loopback with this backlog. Returns 0 with *report
   filled, or -1 after printing the failure. */
static int backlog_request(int backlog, struct tcpq_report *report)
{
    struct tcpq_options options;
    int listen_fd;

    memset(&options, 0, sizeof options);
    options.backlog = backlog;
    listen_fd =
        tcpq_open_listener(LOOPBACK_HOST, EPHEMERAL_PORT, &options, report);
    if (listen_fd < 0) {
        print_failure(report, "listener with backlog %d on %s", backlog,
                      LOOPBACK_HOST);
        return -1;
    }
    close(listen_fd);
    return 0;
}

/* SO_RCVBUF on a fresh, unconnected TCP socket. Returns 0 with *report
   filled, or -1 after printing the failure. */
static int rcvbuf_request(int rcvbuf, struct tcpq_report *report)
{
    struct tcpq_options options;
    int socket_fd;
    int status;

    socket_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (socket_fd < 0) {
        fprintf(stderr, PROGRAM_NAME ": socket: %s\n", strerror(errno));
        return -1;
    }
    memset(&options, 0, sizeof options);
    options.rcvbuf = rcvbuf;
    status = tcpq_set_buffers(socket_fd, &options, report);
    if (status != 0)
        print_failure(report, "set receive buffer to %d", rcvbuf);
    close(socket_fd);
    return status;
}

static void print_backlog_heading(void)
{
    printf("\nWhat typical requests become on this host\n");
    printf("  listen backlog (tcpq_open_listener on " LOOPBACK_HOST
           ", ephemeral port)\n");
    printf("    %-18s    %-10s %-15s %s\n", "requested", "effective",
           "accept queue", "SYN queue");
}

static void print_backlog_row(const struct tcpq_report *report)
{
    char requested[32];
    char effective[16];
    char accept_capacity[16];
    char syn_capacity[16];

    if (report->backlog_requested <= 0) {
        snprintf(requested, sizeof requested, "%d (OS maximum)",
                 report->backlog_requested);
    } else {
        format_int(requested, sizeof requested, report->backlog_requested);
    }
    printf("    %-18s -> %-10s %-15s %s\n", requested,
           format_int(effective, sizeof effective, report->backlog),
           format_int(accept_capacity, sizeof accept_capacity,
                      report->accept_queue_capacity),
           format_int(syn_capacity, sizeof syn_capacity,
                      report->syn_queue_capacity));
}

static void print_rcvbuf_heading(void)
{
    printf("\n  receive buffer (tcpq_set_buffers on a new TCP socket)\n");
    printf("    %-22s %-22s %s\n", "requested", "granted",
           "getsockopt(SO_RCVBUF)");
}

static void print_rcvbuf_row(const struct tcpq_report *report)
{
    char requested[48];
    char granted[48];
    char kernel[48];

    printf("    %-22s %-22s %s\n",
           format_bytes(requested, sizeof requested, report->rcvbuf_requested),
           format_bytes(granted, sizeof granted, report->rcvbuf),
           format_bytes(kernel, sizeof kernel, report->rcvbuf_kernel));
}

/* A kind of typical request: how it is made and how it is shown. */
struct typical_kind {
    const char *type; /* its JSON objects' type */
    int (*make)(int value, struct tcpq_report *report);
    void (*print_heading)(void);
    void (*print_row)(const struct tcpq_report *report);
};

static const struct typical_kind backlog_kind = {
    "typical_backlog", backlog_request, print_backlog_heading,
    print_backlog_row};
static const struct typical_kind rcvbuf_kind = {
    "typical_rcvbuf", rcvbuf_request, print_rcvbuf_heading, print_rcvbuf_row};

int show_typical_requests(int json)
{
    static const struct {
        const struct typical_kind *kind;
        int value;
    } requests[] = {
        {&backlog_kind, 0},       {&backlog_kind, 128},
        {&backlog_kind, 511},     {&backlog_kind, 65535},
        {&rcvbuf_kind, 64 * KIB}, {&rcvbuf_kind, 64 * MIB},
    };
    size_t i;
    int status = 0;

    for (i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        const struct typical_kind *kind = requests[i].kind;
        struct tcpq_report report;

        if (!json && (i == 0 || kind != requests[i - 1].kind))
            kind->print_heading();
        if (kind->make(requests[i].value, &report) != 0) {
            status = -1;
        } else if (json) {
            if (print_report_json(kind->type, &report) != 0)
                status = -1;
        } else {
            kind->print_row(&report);
            print_message_line("        ", &report);
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
        print_failure(&report, "listener on %s", LOOPBACK_HOST);
        return -1;
    }
    close(listen_fd);
    clamp_count = collect_clamps(&report, clamps);
    if (clamp_count < 0)
        return -1;
    *clamped = clamp_count > 0;

    if (json)
        return print_report_json("request", &report);
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
