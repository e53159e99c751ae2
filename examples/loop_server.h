/* The loop examples' shared part: options, listener, start line, answer. */
#ifndef LOOP_SERVER_H
#define LOOP_SERVER_H

#include <tcpq.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "example_util.h" /* and PROGRAM_NAME, which it needs */

/* Every connection gets this answer once its request has ended; then the
   server closes it. */
#define HTTP_ANSWER                                                            \
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
#define HTTP_ANSWER_LENGTH (sizeof HTTP_ANSWER - 1)
/* A request whose header does not end within this many bytes is closed
   unanswered. */
#define HTTP_REQUEST_MAX 8192

struct loop_options {
    const char *host;    /* --host; default 127.0.0.1 */
    const char *port;    /* --port; default 0: one the kernel picks */
    int listen_fds;      /* --listen-fds: the listener systemd passed */
    int backlog;         /* --backlog: libtcpq's; 0 the OS maximum */
    int loop_default;    /* --loop-default: the loop's backlog instead */
    int accept_delay_us; /* --accept-delay-us: pause after each accept */
    int requests;        /* --requests: stop after this many; 0 never */
};

/* The listener and what libtcpq reported on it. */
struct loop_listener {
    int fd;
    char name[TCPQ_FDNAME_MAX]; /* LISTEN_FDNAMES' name; "" when opened here */
    int nonblocking;            /* O_NONBLOCK after tcpq_listen (fcntl) */
    struct tcpq_report report;
};

static inline void loop_print_usage(const char *loop_default)
{
    printf("Usage: " PROGRAM_NAME " [--host HOST] [--port N] [--listen-fds]\n"
           "       [--backlog N] [--loop-default] [--accept-delay-us N]\n"
           "       [--requests N]\n"
           "\n"
           "Answers each connection with a minimal HTTP/1.1 response, then\n"
           "closes it. Prints the bound address and the backlog in force\n"
           "on one line, then serves; stops cleanly on SIGTERM or SIGINT.\n"
           "\n"
           "  --host HOST          address to bind (default 127.0.0.1)\n"
           "  --port N             port to bind (default 0: the kernel "
           "picks)\n"
           "  --listen-fds         serve the listener systemd passed\n"
           "                       (LISTEN_FDS), kept in its mode\n"
           "  --backlog N          libtcpq's backlog (default 0: the OS "
           "maximum)\n"
           "  --loop-default       no libtcpq backlog: %s\n"
           "  --accept-delay-us N  sleep N us after each accepted "
           "connection\n"
           "  --requests N         exit after N responses\n",
           loop_default);
}

/* Fills *o from the command line; a usage error or --help exits. */
static inline void loop_parse_options(int argc, char **argv,
                                      struct loop_options *o,
                                      const char *loop_default)
{
    static const struct option long_options[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"listen-fds", no_argument, NULL, 'l'},
        {"backlog", required_argument, NULL, 'b'},
        {"loop-default", no_argument, NULL, 'd'},
        {"accept-delay-us", required_argument, NULL, 'a'},
        {"requests", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int option;

    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = "0";
    while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (option) {
        case 'H':
            o->host = optarg;
            break;
        case 'p':
            o->port = optarg;
            break;
        case 'l':
            o->listen_fds = 1;
            break;
        case 'b':
            o->backlog = parse_option_value("--backlog", optarg, 0);
            break;
        case 'd':
            o->loop_default = 1;
            break;
        case 'a':
            o->accept_delay_us =
                parse_option_value("--accept-delay-us", optarg, 0);
            break;
        case 'n':
            o->requests = parse_option_value("--requests", optarg, 0);
            break;
        case 'h':
            loop_print_usage(loop_default);
            exit(EXIT_SUCCESS);
        default:
            print_help_hint();
            exit(EXIT_USAGE);
        }
    }
    if (optind != argc) {
        usage_error("unexpected argument");
    }
}

/* The listener of o: opened by libtcpq in `mode`, or the one systemd passed
   (--listen-fds), resized by tcpq_listen in TCPQ_MODE_KEEP so that the mode
   it was given stays. Returns 0, or -1 after saying why on stderr. */
static inline int loop_open_listener(const struct loop_options *o,
                                     enum tcpq_mode mode,
                                     struct loop_listener *l)
{
    struct tcpq_options policy;
    int flags;

    memset(&policy, 0, sizeof policy);
    memset(l, 0, sizeof *l);
    policy.backlog = o->backlog;
    policy.mode = mode;
    if (!o->listen_fds) {
        l->fd = tcpq_open_listener(o->host, o->port, &policy, &l->report);
        if (l->fd < 0) {
            fprintf(stderr, PROGRAM_NAME ": %s\n", l->report.message);
            return -1;
        }
    } else {
        int found = tcpq_listen_fds_named(&l->fd, &l->name, 1,
                                          TCPQ_LISTEN_FDS_UNSET, &l->report);

        if (found != 1) {
            fprintf(stderr, PROGRAM_NAME ": --listen-fds: %s\n",
                    found < 0 ? l->report.message
                              : "no TCP listener passed (LISTEN_FDS)");
            return -1;
        }
        /* a zeroed struct would be TCPQ_BLOCKING: it would clear the
           O_NONBLOCK that whoever passed the listener may have set */
        policy.mode = TCPQ_MODE_KEEP;
        if (tcpq_listen(l->fd, &policy, &l->report) != 0) {
            fprintf(stderr, PROGRAM_NAME ": %s\n", l->report.message);
            return -1;
        }
    }
    flags = fcntl(l->fd, F_GETFL);
    if (flags < 0) {
        perror(PROGRAM_NAME ": fcntl F_GETFL");
        return -1;
    }
    l->nonblocking = (flags & O_NONBLOCK) != 0;
    return 0;
}

/* The start line, once the loop has listened: the address and the backlog
   in force as the kernel holds it (after the loop's own listen(), if it
   made one). Returns 0, or -1 after saying why. */
static inline int loop_announce(const struct loop_options *o,
                                const struct loop_listener *l,
                                const char *loop_default)
{
    struct tcpq_queue_stats stats;

    if (tcpq_queue_stats(l->fd, &stats) != 0) {
        perror(PROGRAM_NAME ": tcpq_queue_stats");
        return -1;
    }
    if (o->listen_fds) {
        printf(PROGRAM_NAME ": listening on %s backlog %d -> %d (fd %d "
                            "\"%s\", O_NONBLOCK %s)\n",
               l->report.address, l->report.backlog_before,
               stats.accept_queue_limit, l->fd, l->name,
               l->nonblocking ? "set" : "clear");
    } else {
        printf(PROGRAM_NAME ": listening on %s backlog %d (%s)\n",
               l->report.address, stats.accept_queue_limit,
               o->loop_default ? loop_default : "libtcpq");
    }
    return fflush(stdout) == 0 ? 0 : -1;
}

/* --accept-delay-us: a deliberately slow accept loop. */
static inline void loop_accept_delay(const struct loop_options *o)
{
    struct timespec delay;

    delay.tv_sec = o->accept_delay_us / 1000000;
    delay.tv_nsec = (long)(o->accept_delay_us % 1000000) * 1000L;
    while (o->accept_delay_us > 0 && nanosleep(&delay, &delay) != 0 &&
           errno == EINTR) {
    }
}

/* Whether the request text so far has its blank line: the end of a
   request without a body, which is all these servers take. */
static inline int http_request_ended(const char *text, size_t length)
{
    size_t i;

    for (i = 3; i < length; i++) {
        if (memcmp(text + i - 3, "\r\n\r\n", 4) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whether --requests is reached after `responses` answers. */
static inline int loop_requests_done(const struct loop_options *o,
                                     int responses)
{
    return o->requests > 0 && responses >= o->requests;
}

static inline int loop_report_stop(int responses)
{
    printf(PROGRAM_NAME ": stopped after %d response%s\n", responses,
           responses == 1 ? "" : "s");
    return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* A write to a peer that has gone raises SIGPIPE unless ignored (the loop
   libraries write with write(2); tcpq_send_all never raises it). */
static inline int loop_ignore_sigpipe(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    action.sa_handler = SIG_IGN;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGPIPE, &action, NULL) != 0) {
        perror(PROGRAM_NAME ": sigaction SIGPIPE");
        return -1;
    }
    return 0;
}

/* The open connections, a circular list through a link each connection
   struct starts with, so that a stop can close and free them all. */
struct loop_link {
    struct loop_link *previous;
    struct loop_link *next;
};

static inline void loop_list_init(struct loop_link *head)
{
    head->previous = head->next = head;
}

static inline void loop_list_add(struct loop_link *head, struct loop_link *item)
{
    item->next = head->next;
    item->previous = head;
    head->next->previous = item;
    head->next = item;
}

static inline void loop_list_remove(struct loop_link *item)
{
    item->previous->next = item->next;
    item->next->previous = item->previous;
}

#endif /* LOOP_SERVER_H */
