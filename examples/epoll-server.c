/* epoll-server: a minimal HTTP server on plain epoll and a libtcpq listener. */
#include <tcpq.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM_NAME "epoll-server"

#include "loop_server.h"

/* --loop-default: what plain code passes to listen() */
#define PLAIN_BACKLOG 128
#define LOOP_DEFAULT "listen(fd, 128) as plain code does"
#define MAX_EVENTS 64

struct connection {
    struct loop_link link; /* first: the list's links are connections */
    int fd;
    size_t used;
    char request[HTTP_REQUEST_MAX];
};

static struct loop_link open_connections;

/* What an event's data.ptr points at: a connection, or one of these two. */
static int listener_source, signal_source;

static void close_connection(struct connection *c)
{
    loop_list_remove(&c->link);
    close(c->fd); /* which also takes it out of the epoll set */
    free(c);
}

static int watch(int epoll_fd, int fd, void *source)
{
    struct epoll_event event;

    event.events = EPOLLIN;
    event.data.ptr = source;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
        perror(PROGRAM_NAME ": epoll_ctl");
        return -1;
    }
    return 0;
}

/* Accepts until the queue is empty: the listener is non-blocking, so
   tcpq_accept fails with EAGAIN then, and every socket it returns is
   non-blocking too (it takes the listener's mode). Returns -1 on an error
   that ends the server. */
static int accept_all(int epoll_fd, int listen_fd, const struct loop_options *o)
{
    for (;;) {
        struct connection *c;
        int fd = tcpq_accept(listen_fd, NULL, NULL);

        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return 0;
            }
            if (errno == ECONNABORTED) {
                continue;
            }
            perror(PROGRAM_NAME ": accept");
            /* out of descriptors or memory: the connection stays queued;
               pause rather than spin on the still readable listener */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) {
                struct timespec pause = {0, 100000000L}; /* 100 ms */
                nanosleep(&pause, NULL);
                return 0;
            }
            return -1;
        }
        c = malloc(sizeof *c);
        if (c == NULL || watch(epoll_fd, fd, c) != 0) {
            fprintf(stderr, PROGRAM_NAME ": connection dropped\n");
            free(c);
            close(fd);
        } else {
            c->fd = fd;
            c->used = 0;
            loop_list_add(&open_connections, &c->link);
        }
        loop_accept_delay(o);
    }
}

/* Reads what the connection has; once the request has ended, answers and
   closes it. Returns 1 when it answered. */
static int serve(struct connection *c)
{
    for (;;) {
        ssize_t n =
            tcpq_recv(c->fd, c->request + c->used, sizeof c->request - c->used);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0; /* the rest of the request later */
        }
        if (n <= 0) {
            break; /* the peer went, or an error */
        }
        c->used += (size_t)n;
        if (http_request_ended(c->request, c->used)) {
            /* a fresh socket's send buffer holds the whole answer, so
               the non-blocking send does not stop half-way */
            int answered =
                tcpq_send_all(c->fd, HTTP_ANSWER, HTTP_ANSWER_LENGTH) >= 0;

            if (!answered) {
                perror(PROGRAM_NAME ": send");
            }
            close_connection(c);
            return answered;
        }
        if (c->used == sizeof c->request) {
            break; /* too long */
        }
    }
    close_connection(c);
    return 0;
}

/* Runs the loop until a stop signal, --requests or an error. Returns the
   responses sent, or -1 on an error. */
static int run(int epoll_fd, int listen_fd, const struct loop_options *o)
{
    struct epoll_event events[MAX_EVENTS];
    int responses = 0;

    for (;;) {
        int n = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
        int i;

        if (n < 0 && errno != EINTR) {
            perror(PROGRAM_NAME ": epoll_wait");
            return -1;
        }
        for (i = 0; i < n; i++) {
            void *source = events[i].data.ptr;

            if (source == &signal_source) {
                return responses; /* SIGTERM or SIGINT */
            }
            if (source != &listener_source) {
                responses += serve(source);
            } else if (accept_all(epoll_fd, listen_fd, o) != 0) {
                return -1;
            }
            if (loop_requests_done(o, responses)) {
                return responses;
            }
        }
    }
}

int main(int argc, char **argv)
{
    struct loop_options options;
    struct loop_listener listener;
    struct loop_link *link, *next;
    sigset_t stop_signals;
    int epoll_fd, signal_fd, responses;

    loop_parse_options(argc, argv, &options, LOOP_DEFAULT);
    loop_list_init(&open_connections);
    /* the stop signals become reads on a signalfd, in the loop; blocked
       before the start line, so that one sent after it never kills */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    if (sigprocmask(SIG_BLOCK, &stop_signals, NULL) != 0) {
        perror(PROGRAM_NAME ": sigprocmask");
        return EXIT_FAILURE;
    }
    signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (signal_fd < 0 || epoll_fd < 0) {
        perror(PROGRAM_NAME ": signalfd or epoll_create1");
        return EXIT_FAILURE;
    }
    if (loop_open_listener(&options, TCPQ_NONBLOCKING, &listener) != 0) {
        return EXIT_FAILURE;
    }
    /* an inherited listener keeps its mode; this loop needs non-blocking */
    if (!listener.nonblocking) {
        struct tcpq_options mode;

        memset(&mode, 0, sizeof mode);
        mode.mode = TCPQ_NONBLOCKING;
        if (tcpq_set_timeout_mode(listener.fd, &mode) != 0) {
            perror(PROGRAM_NAME ": tcpq_set_timeout_mode");
            return EXIT_FAILURE;
        }
    }
    if (options.loop_default && listen(listener.fd, PLAIN_BACKLOG) != 0) {
        perror(PROGRAM_NAME ": listen");
        return EXIT_FAILURE;
    }
    if (watch(epoll_fd, listener.fd, &listener_source) != 0 ||
        watch(epoll_fd, signal_fd, &signal_source) != 0 ||
        loop_announce(&options, &listener, LOOP_DEFAULT) != 0) {
        return EXIT_FAILURE;
    }

    responses = run(epoll_fd, listener.fd, &options);

    for (link = open_connections.next; link != &open_connections; link = next) {
        next = link->next;
        close_connection((struct connection *)link);
    }
    close(listener.fd);
    close(signal_fd);
    close(epoll_fd);
    return responses < 0 ? EXIT_FAILURE : loop_report_stop(responses);
}
