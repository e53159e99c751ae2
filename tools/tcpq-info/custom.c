/* The request given on the command line, on one listener, and --check. */
#include "tcpq_info.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* One option of the request: as asked (0: not asked for) and as the kernel
   holds it, read back (-1: not measured). */
struct option_row {
    const char *label;
    const char *unit; /* after the figure; NULL: a size in bytes */
    int requested;
    int held;
};

static const char *format_figure(char *out, size_t size, int value,
                                 const char *unit)
{
    if (unit == NULL)
        return format_bytes(out, size, value);
    if (value < 0)
        snprintf(out, size, "n/a");
    else
        snprintf(out, size, "%d%s", value, unit);
    return out;
}

/* The 0.2 options the report measured, each as asked and as held. */
static void print_options(const struct tcpq_options *options,
                          const struct tcpq_report *report)
{
    const struct option_row rows[] = {
        {"keepalive idle", " s", options->keepalive_idle_s,
         report->keepalive_idle_s},
        {"keepalive interval", " s", options->keepalive_intvl_s,
         report->keepalive_intvl_s},
        {"keepalive probes", "", options->keepalive_cnt, report->keepalive_cnt},
        {"user timeout", " ms", options->user_timeout_ms,
         report->user_timeout_ms},
        {"defer accept", " s", options->defer_accept_s, report->defer_accept_s},
        {"fast open queue", "", options->fastopen_qlen, report->fastopen_qlen},
        {"notsent lowat", NULL, options->notsent_lowat, report->notsent_lowat},
    };
    size_t i;

    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char requested[48];
        char held[48];

        if (rows[i].requested <= 0 && rows[i].held < 0)
            continue;
        format_figure(held, sizeof held, rows[i].held, rows[i].unit);
        if (rows[i].requested <= 0)
            printf("  %-22s not asked for, held %s\n", rows[i].label, held);
        else
            printf("  %-22s requested %s, held %s\n", rows[i].label,
                   format_figure(requested, sizeof requested, rows[i].requested,
                                 rows[i].unit),
                   held);
    }
    if (options->congestion != NULL || report->congestion[0] != '\0')
        printf("  %-22s requested %s, granted %s\n", "congestion control",
               options->congestion != NULL ? options->congestion : "n/a",
               report->congestion[0] != '\0' ? report->congestion : "n/a");
}

/* Each warning by name, with the command that lifts its cause where one
   does. Returns 0, or -1 after printing a failure. */
static int print_warnings(const struct tcpq_report *report)
{
    struct warning warnings[MAX_WARNINGS];
    const int count = collect_warnings(report, warnings);
    int i;

    if (count < 0)
        return -1;
    if (count == 0)
        printf("  %-22s none\n", "warnings");
    for (i = 0; i < count; i++)
        printf("  %-22s %s%s%s\n", i == 0 ? "warnings" : "", warnings[i].name,
               warnings[i].fix[0] != '\0' ? "; fix: " : "", warnings[i].fix);
    return 0;
}

/* --check: each clamp or refusal on a line of its own, its fix on the
   next, ready to copy; then what was noted but not counted. */
static void print_check(const struct clamp *clamps, int clamp_count,
                        const struct tcpq_options *options,
                        const struct tcpq_report *report)
{
    int i;

    if (clamp_count == 0)
        printf("\nCheck: nothing would be clamped or refused (exit status "
               "0)\n");
    else
        printf("\nCheck: the OS would clamp or refuse part of this request "
               "(exit status %d)\n",
               EXIT_CLAMPED);
    for (i = 0; i < clamp_count; i++) {
        if (clamps[i].fix[0] != '\0')
            printf("  %s; to lift it:\n    %s\n", clamps[i].what,
                   clamps[i].fix);
        else
            printf("  %s; no known command lifts it\n", clamps[i].what);
    }
    if (report->warnings & TCPQ_WARN_ROUNDED)
        printf("  not counted: defer accept %d s is held as %d s, rounded up "
               "to the kernel's\n  SYN-ACK retransmission schedule; no "
               "command changes that\n",
               options->defer_accept_s, report->defer_accept_s);
}

/* The report as text: every figure, the options as asked and as held,
   each warning with its fix, and the message. Returns 0, or -1 after
   printing a failure. */
static int print_custom_text(const struct tcpq_options *options,
                             const struct tcpq_report *report)
{
    char requested[32];
    char effective[16];
    char capacity[16];

    printf("\nYour request on a real listener (%s)\n", report->address);
    if (report->backlog_requested <= 0) {
        snprintf(requested, sizeof requested, "%d (the OS maximum)",
                 report->backlog_requested);
    } else {
        format_int(requested, sizeof requested, report->backlog_requested);
    }
    printf("  %-22s requested %s, effective %s\n", "backlog", requested,
           format_int(effective, sizeof effective, report->backlog));
    printf(
        "  %-22s %s\n", "accept queue capacity",
        format_int(capacity, sizeof capacity, report->accept_queue_capacity));
    printf("  %-22s %s\n", "SYN queue capacity",
           format_int(capacity, sizeof capacity, report->syn_queue_capacity));
    print_buffer_report("rcvbuf", report->rcvbuf_requested, report->rcvbuf,
                        report->rcvbuf_kernel);
    print_buffer_report("sndbuf", report->sndbuf_requested, report->sndbuf,
                        report->sndbuf_kernel);
    print_options(options, report);
    if (print_warnings(report) != 0)
        return -1;
    printf("  %-22s %s\n", "message",
           report->message[0] != '\0' ? report->message : "(none)");
    return 0;
}

int show_custom_request(const struct tcpq_options *options, int check, int json,
                        int *clamped)
{
    struct tcpq_report report;
    struct clamp clamps[MAX_CLAMPS];
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
    if (print_custom_text(options, &report) != 0)
        return -1;
    if (check)
        print_check(clamps, clamp_count, options, &report);
    return 0;
}
