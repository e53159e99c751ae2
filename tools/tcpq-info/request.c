/* Typical requests: what each becomes on this host, on a real socket. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void print_message_line(const char *indent,
                               const struct tcpq_report *report)
{
    if (report->message[0] != '\0') {
        printf("%swarning: %s\n", indent, report->message);
    }
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
