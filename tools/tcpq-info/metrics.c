/* --openmetrics: listeners, counters and limits as Prometheus text. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first room for the listeners of the whole host, and how often it
   grows (each time to twice what the kernel last had) before the rest is
   left out. */
#define FIRST_CAPACITY 256
#define MAX_LISTINGS 4

/* Every metric name starts with this. */
#define PREFIX "tcpq_"

/* One gauge of the host's limits: its name after PREFIX, unit suffix
   included, its HELP text and its figure (-1: not read, left out). */
struct limit_gauge {
    const char *name;
    const char *help;
    int value;
};

static void print_family(const char *name, const char *type, const char *help)
{
    printf("# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name,
           type);
}

/* A label value as the text format wants it: '\\', '"' and newline
   escaped; a byte that is not UTF-8 written as U+FFFD. */
static void print_label_value(const char *text)
{
    const unsigned char *cursor = (const unsigned char *)text;

    putchar('"');
    while (*cursor != '\0') {
        size_t length = utf8_length(cursor);

        if (*cursor == '\\' || *cursor == '"') {
            putchar('\\');
            putchar(*cursor);
        } else if (*cursor == '\n') {
            fputs("\\n", stdout);
        } else if (length == 0) {
            fputs("\xef\xbf\xbd", stdout);
            length = 1;
        } else {
            fwrite(cursor, 1, length, stdout);
        }
        cursor += length;
    }
    putchar('"');
}

static int same_labels(const struct listener *a, const struct listener *b)
{
    return a->family == b->family && a->port == b->port &&
           strcmp(a->host, b->host) == 0;
}

/* 1 when a neighbour in the sorted list has the same family, host and
   port: one of an SO_REUSEPORT group, told apart by its inode. */
static int shares_labels(const struct listener *list, size_t count, size_t i)
{
    return (i > 0 && same_labels(&list[i - 1], &list[i])) ||
           (i + 1 < count && same_labels(&list[i + 1], &list[i]));
}

/* One family of per-listener gauges: the queue length (limit 0) or the
   limit. */
static void print_listener_family(const struct listener *list, size_t count,
                                  int limit)
{
    size_t i;

    if (limit)
        print_family("accept_queue_limit", "gauge",
                     "The accept-queue limit of a TCP listener: the backlog "
                     "in force, as ss shows it in Send-Q. Linux queues up to "
                     "one connection more.");
    else
        print_family("accept_queue_length", "gauge",
                     "Connections in the accept queue of a TCP listener: "
                     "established, not yet accepted, as ss shows them in "
                     "Recv-Q.");
    for (i = 0; i < count; i++) {
        printf(PREFIX "accept_queue_%s{family=\"%s\",address=",
               limit ? "limit" : "length",
               list[i].family == AF_INET6 ? "inet6" : "inet");
        print_label_value(list[i].host);
        printf(",port=\"%d\"", list[i].port);
        if (shares_labels(list, count, i))
            printf(",inode=\"%lu\"", list[i].inode);
        printf("} %d\n", limit ? list[i].queue_limit : list[i].queue_len);
    }
}

/* A counter of the network namespace's, left out when not known. */
static void print_counter(const char *name, const char *help, long long value)
{
    if (value < 0)
        return;
    print_family(name, "counter", help);
    printf(PREFIX "%s %lld\n", name, value);
}

/* The host's limits that are gauges, each left out when not read. The
   Fast Open bits and the congestion control's name are not quantities:
   --json gives them. */
static void print_limits_gauges(const struct tcpq_limits *limits)
{
    const struct limit_gauge gauges[] = {
        {"somaxconn",
         "net.core.somaxconn: the cap on any listen backlog in this network "
         "namespace.",
         limits->somaxconn_runtime ? limits->somaxconn : -1},
        {"tcp_max_syn_backlog",
         "net.ipv4.tcp_max_syn_backlog: the cap on a listener's SYN queue.",
         limits->max_syn_backlog},
        {"tcp_syncookies",
         "net.ipv4.tcp_syncookies: 0 off, 1 when a SYN queue overflows, 2 "
         "always.",
         limits->syncookies},
        {"tcp_abort_on_overflow",
         "net.ipv4.tcp_abort_on_overflow: 0 a full accept queue drops the "
         "final ACK, 1 it answers with RST.",
         limits->abort_on_overflow},
        {"rmem_default_bytes",
         "net.core.rmem_default: the receive buffer a socket starts with.",
         limits->rmem_default},
        {"rmem_max_bytes",
         "net.core.rmem_max: the cap on a receive buffer set with SO_RCVBUF.",
         limits->rmem_max},
        {"wmem_default_bytes",
         "net.core.wmem_default: the send buffer a socket starts with.",
         limits->wmem_default},
        {"wmem_max_bytes",
         "net.core.wmem_max: the cap on a send buffer set with SO_SNDBUF.",
         limits->wmem_max},
        {"tcp_rmem_min_bytes",
         "net.ipv4.tcp_rmem, first figure: the least receive buffer "
         "autotuning gives a TCP socket.",
         limits->tcp_rmem[0]},
        {"tcp_rmem_default_bytes",
         "net.ipv4.tcp_rmem, second figure: a TCP socket's receive buffer "
         "at the start.",
         limits->tcp_rmem[1]},
        {"tcp_rmem_max_bytes",
         "net.ipv4.tcp_rmem, third figure: the most receive buffer "
         "autotuning gives a TCP socket.",
         limits->tcp_rmem[2]},
        {"tcp_wmem_min_bytes",
         "net.ipv4.tcp_wmem, first figure: the least send buffer autotuning "
         "gives a TCP socket.",
         limits->tcp_wmem[0]},
        {"tcp_wmem_default_bytes",
         "net.ipv4.tcp_wmem, second figure: a TCP socket's send buffer at "
         "the start.",
         limits->tcp_wmem[1]},
        {"tcp_wmem_max_bytes",
         "net.ipv4.tcp_wmem, third figure: the most send buffer autotuning "
         "gives a TCP socket.",
         limits->tcp_wmem[2]},
        {"tcp_keepalive_time_seconds",
         "net.ipv4.tcp_keepalive_time: idle time before the first keepalive "
         "probe.",
         limits->keepalive_time_s},
        {"tcp_keepalive_intvl_seconds",
         "net.ipv4.tcp_keepalive_intvl: time between keepalive probes.",
         limits->keepalive_intvl_s},
        {"tcp_keepalive_probes",
         "net.ipv4.tcp_keepalive_probes: unanswered probes before a "
         "connection fails.",
         limits->keepalive_probes},
        {"tcp_notsent_lowat_bytes",
         "net.ipv4.tcp_notsent_lowat: unsent bytes past which a TCP socket "
         "stops being writable.",
         limits->notsent_lowat},
    };
    size_t i;

    for (i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
        if (gauges[i].value < 0)
            continue;
        print_family(gauges[i].name, "gauge", gauges[i].help);
        printf(PREFIX "%s %d\n", gauges[i].name, gauges[i].value);
    }
}

void print_openmetrics(struct listener *list, size_t count)
{
    struct tcpq_limits limits;
    long long overflows = -1;
    long long drops = -1;

    sort_listeners(list, count);
    print_listener_family(list, count, 0);
    print_listener_family(list, count, 1);
    tcpq_listen_counters(&overflows, &drops);
    print_counter("listen_overflows_total",
                  "Connections a full accept queue had no room for, on any "
                  "listener of this network namespace, since boot (TcpExt "
                  "ListenOverflows).",
                  overflows);
    print_counter("listen_drops_total",
                  "Connections TCP listeners of this network namespace "
                  "dropped for any reason, overflows included, since boot "
                  "(TcpExt ListenDrops).",
                  drops);
    if (tcpq_get_limits(&limits) == 0)
        print_limits_gauges(&limits);
    printf("# EOF\n");
}

int show_openmetrics(void)
{
    struct listener_source source;
    struct listener *list = NULL;
    size_t capacity = FIRST_CAPACITY;
    size_t count = 0;
    size_t left_out = 0;
    int status = EXIT_FAILURE;
    int listing;

    if (listener_source_open(&source) != 0)
        return EXIT_FAILURE;
    for (listing = 0; listing < MAX_LISTINGS; listing++) {
        struct listener *grown = realloc(list, capacity * sizeof *list);

        if (grown == NULL) {
            fprintf(stderr, PROGRAM_NAME ": room for %zu listeners: %s\n",
                    capacity, strerror(errno));
            goto done;
        }
        list = grown;
        count = 0;
        left_out = 0;
        if (listener_source_list(&source, 0, list, capacity, &count,
                                 &left_out) != 0)
            goto done;
        if (left_out == 0)
            break;
        capacity = (count + left_out) * 2;
    }
    if (left_out > 0) {
        fprintf(stderr,
                PROGRAM_NAME ": %zu more listeners appeared while listing, "
                             "not shown\n",
                left_out);
    }
    print_openmetrics(list, count);
    status = EXIT_SUCCESS;
done:
    free(list);
    listener_source_close(&source);
    return status;
}
