/* libevent-server: a minimal HTTP server on libevent and a libtcpq listener. */
#include <tcpq.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <stdio.h>
#include <stdlib.h>

#define PROGRAM_NAME "libevent-server"

#include "loop_server.h"

/* --loop-default: -1 asks libevent for its default, listen(fd, 128) */
#define EVENT_DEFAULT_BACKLOG (-1)
#define LOOP_DEFAULT "evconnlistener_new(-1): libevent's 128"

struct connection {
    struct loop_link link; /* first: the list's links are connections */
    struct bufferevent *events;
};

static struct loop_options options;
static struct loop_link open_connections;
static int responses;

static void close_connection(struct connection *c)
{
    loop_list_remove(&c->link);
    bufferevent_free(c->events); /* and the socket: BEV_OPT_CLOSE_ON_FREE */
    free(c);
}

/* The answer has left (the output buffer is empty): done. */
static void on_written(struct bufferevent *events, void *context)
{
    struct event_base *base = bufferevent_get_base(events);

    close_connection(context);
    responses++;
    if (loop_requests_done(&options, responses)) {
        event_base_loopbreak(base);
    }
}

static void on_read(struct bufferevent *events, void *context)
{
    struct evbuffer *input = bufferevent_get_input(events);
    struct evbuffer_ptr end = evbuffer_search(input, "\r\n\r\n", 4, NULL);

    if (end.pos < 0) { /* not yet ended */
        if (evbuffer_get_length(input) >= HTTP_REQUEST_MAX) {
            close_connection(context);
        }
        return;
    }
    if (bufferevent_disable(events, EV_READ) != 0 ||
        bufferevent_write(events, HTTP_ANSWER, HTTP_ANSWER_LENGTH) != 0) {
        fprintf(stderr, PROGRAM_NAME ": cannot answer\n");
        close_connection(context);
    }
}

static void on_event(struct bufferevent *events, short what, void *context)
{
    (void)events;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        close_connection(context);
    }
}

static void on_accept(struct evconnlistener *listener, evutil_socket_t fd,
                      struct sockaddr *peer, int peer_length, void *unused)
{
    struct event_base *base = evconnlistener_get_base(listener);
    struct connection *c = malloc(sizeof *c);

    (void)peer;
    (void)peer_length;
    (void)unused;
    if (c != NULL) {
        c->events = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (c == NULL || c->events == NULL) {
        fprintf(stderr, PROGRAM_NAME ": connection dropped\n");
        free(c);
        evutil_closesocket(fd);
    } else {
        loop_list_add(&open_connections, &c->link);
        bufferevent_setcb(c->events, on_read, on_written, on_event, c);
        if (bufferevent_enable(c->events, EV_READ) != 0) {
            close_connection(c);
        }
    }
    loop_accept_delay(&options);
}

static void on_accept_error(struct evconnlistener *listener, void *unused)
{
    int error = EVUTIL_SOCKET_ERROR();

    (void)listener;
    (void)unused;
    fprintf(stderr, PROGRAM_NAME ": accept: %s\n",
            evutil_socket_error_to_string(error));
}

static void on_stop_signal(evutil_socket_t signal_number, short what,
                           void *base)
{
    (void)signal_number;
    (void)what;
    event_base_loopbreak(base);
}

int main(int argc, char **argv)
{
    struct evconnlistener *listener = NULL;
    struct event *stop_signals[2] = {NULL, NULL};
    struct loop_listener l;
    struct loop_link *link, *next;
    struct event_base *base;
    int status = EXIT_FAILURE;

    loop_parse_options(argc, argv, &options, LOOP_DEFAULT);
    loop_list_init(&open_connections);
    base = event_base_new();
    if (base == NULL || loop_ignore_sigpipe() != 0) {
        return EXIT_FAILURE;
    }
    stop_signals[0] = evsignal_new(base, SIGTERM, on_stop_signal, base);
    stop_signals[1] = evsignal_new(base, SIGINT, on_stop_signal, base);
    if (stop_signals[0] == NULL || stop_signals[1] == NULL ||
        event_add(stop_signals[0], NULL) != 0 ||
        event_add(stop_signals[1], NULL) != 0 ||
        loop_open_listener(&options, TCPQ_NONBLOCKING, &l) != 0) {
        goto out;
    }
    /* evconnlistener_new wants a non-blocking listener: an inherited one
       keeps its mode, which may be blocking */
    if (!l.nonblocking && evutil_make_socket_nonblocking(l.fd) != 0) {
        goto out;
    }
    /* backlog 0: the socket already listens, libevent leaves it alone;
       any other value makes it call listen() again */
    listener = evconnlistener_new(
        base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
        options.loop_default ? EVENT_DEFAULT_BACKLOG : 0, l.fd);
    if (listener == NULL) {
        perror(PROGRAM_NAME ": evconnlistener_new");
        goto out;
    }
    evconnlistener_set_error_cb(listener, on_accept_error);
    if (loop_announce(&options, &l, LOOP_DEFAULT) != 0 ||
        event_base_dispatch(base) < 0) {
        goto out;
    }
    status = loop_report_stop(responses);
out:
    for (link = open_connections.next; link != &open_connections; link = next) {
        next = link->next;
        close_connection((struct connection *)link);
    }
    if (listener != NULL) {
        evconnlistener_free(listener);
    }
    if (stop_signals[0] != NULL) {
        event_free(stop_signals[0]);
    }
    if (stop_signals[1] != NULL) {
        event_free(stop_signals[1]);
    }
    event_base_free(base);
    return status;
}
