/* What a report tells beyond its figures: each warning's fix, the parts of
   the request the OS clamped or refused, and the whole report as one JSON
   object. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int warning_fix(const struct tcpq_report *report, unsigned warning, char *fix,
                size_t size)
{
    const int length = tcpq_warning_fix(report, warning, fix, size);

    if (length < 0 || (size_t)length >= size) {
        char name[48];

        fprintf(stderr, PROGRAM_NAME ": the fix for %s: %s\n",
                warning_label(name, sizeof name, warning),
                length < 0 ? strerror(errno) : "longer than it can show");
        return -1;
    }
    return 0;
}

int collect_clamps(const struct tcpq_report *report,
                   struct clamp clamps[MAX_CLAMPS])
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
        {TCPQ_WARN_FASTOPEN_OFF, "fastopen", report->fastopen_qlen, 0},
    };
    size_t i;
    int count = 0;

    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct clamp *clamp = &clamps[count];

        if (!(report->warnings & kinds[i].warning))
            continue;
        if (kinds[i].warning == TCPQ_WARN_FASTOPEN_OFF)
            snprintf(clamp->what, sizeof clamp->what,
                     "fastopen %d held, but no SYN data is accepted: the "
                     "host's Fast Open lacks the server bit (0x2)",
                     kinds[i].requested);
        else
            snprintf(clamp->what, sizeof clamp->what, "%s %d clamped to %d",
                     kinds[i].option, kinds[i].requested, kinds[i].granted);
        if (warning_fix(report, kinds[i].warning, clamp->fix,
                        sizeof clamp->fix) != 0)
            return -1;
        count++;
    }
    return count;
}

int collect_warnings(const struct tcpq_report *report,
                     struct warning warnings[MAX_WARNINGS])
{
    unsigned bit;
    int count = 0;

    for (bit = 1; bit != 0 && count < MAX_WARNINGS; bit <<= 1) {
        if (!(report->warnings & bit))
            continue;
        warning_label(warnings[count].name, sizeof warnings[count].name, bit);
        if (warning_fix(report, bit, warnings[count].fix,
                        sizeof warnings[count].fix) != 0)
            return -1;
        count++;
    }
    return count;
}

/* ,"warnings":["NAME",...],"fixes":{"NAME":"command",...}: every warning
   the report carries by name, and with the command that lifts its cause
   ("" where none does). */
static void print_json_warnings(const struct warning *warnings, int count)
{
    int i;

    printf(",\"warnings\":[");
    for (i = 0; i < count; i++) {
        printf("%s", i > 0 ? "," : "");
        print_json_string(stdout, warnings[i].name);
    }
    printf("],\"fixes\":{");
    for (i = 0; i < count; i++) {
        printf("%s", i > 0 ? "," : "");
        print_json_string(stdout, warnings[i].name);
        printf(":");
        print_json_string(stdout, warnings[i].fix);
    }
    printf("}");
}

int print_report_json(const char *type, const struct tcpq_report *report)
{
    struct clamp clamps[MAX_CLAMPS];
    struct warning warnings[MAX_WARNINGS];
    const int clamp_count = collect_clamps(report, clamps);
    const int warning_count =
        clamp_count < 0 ? -1 : collect_warnings(report, warnings);
    int i;

    if (warning_count < 0)
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
    printf(",\"keepalive_idle_s\":%d,\"keepalive_intvl_s\":%d,"
           "\"keepalive_cnt\":%d,\"user_timeout_ms\":%d",
           report->keepalive_idle_s, report->keepalive_intvl_s,
           report->keepalive_cnt, report->user_timeout_ms);
    printf(",\"defer_accept_s\":%d,\"fastopen_qlen\":%d,\"notsent_lowat\":%d",
           report->defer_accept_s, report->fastopen_qlen,
           report->notsent_lowat);
    printf(",\"congestion\":");
    print_json_string(stdout, report->congestion);
    print_json_warnings(warnings, warning_count);
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
    return 0;
}
