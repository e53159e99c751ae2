/* What a report tells beyond its figures: the clamps, each with the command
   that lifts it, and the whole report as one JSON object. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int collect_clamps(const struct tcpq_report *report, struct clamp clamps[3])
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

const char *format_clamp(char *out, size_t size, const struct clamp *clamp)
{
    snprintf(out, size, "%s %d clamped to %d", clamp->option, clamp->requested,
             clamp->granted);
    return out;
}

int print_report_json(const char *type, const struct tcpq_report *report)
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
