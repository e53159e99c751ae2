/* The limits table: this host's limits as text rows or one JSON object. */
#include "tcpq_info.h"

#include <stdio.h>
#include <string.h>

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

static void print_limits_text(const struct tcpq_limits *limits)
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

void print_limits(const struct tcpq_limits *limits, int json)
{
    if (json)
        print_limits_json(limits);
    else
        print_limits_text(limits);
}
