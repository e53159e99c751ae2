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
