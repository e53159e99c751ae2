/* libuv-server: a minimal HTTP server on libuv and a libtcpq listener. */
#include <tcpq.h>

#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define PROGRAM_NAME "libuv-server"

#include "loop_server.h"

/* --loop-default: Node's backlog */
#define UV_DEFAULT_BACKLOG 511
#define LOOP_DEFAULT "uv_listen(511) as Node does"

struct connection {
    uv_tcp_t handle; /* first: the handle's address is the connection's */
    uv_write_t write;
    size_t used;
    char request[HTTP_REQUEST_MAX];
};

static struct loop_options options;
static uv_tcp_t listener;
static uv_signal_t stop_signals[2];
static int responses;

static void on_closed(uv_handle_t *handle)
{
    free(handle->data); /* the connection; NULL for the server's own */
}

static void close_handle(uv_handle_t *handle, void *unused)
{
    (void)unused;
    if (!uv_is_closing(handle)) {
        uv_close(handle, on_closed);
    }
}

/* Closes every handle: uv_run returns once their callbacks have run. */
static void stop(void)
{
    uv_walk(uv_default_loop(), close_handle, NULL);
}

static void on_stop_signal(uv_signal_t *handle, int signal_number)
{
    (void)handle;
    (void)signal_number;
    stop();
}

static void on_written(uv_write_t *request, int status)
{
    if (status < 0) {
        fprintf(stderr, PROGRAM_NAME ": write: %s\n", uv_strerror(status));
    } else {
        responses++;
    }
    close_handle((uv_handle_t *)request->handle, NULL);
    if (loop_requests_done(&options, responses)) {
        stop();
    }
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct connection *c = handle->data;

    (void)suggested;
    /* the rest of the request buffer; none left gives UV_ENOBUFS */
    *buf = uv_buf_init(c->request + c->used,
                       (unsigned)(sizeof c->request - c->used));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct connection *c = stream->data;
    uv_buf_t answer;
    int status;

    (void)buf;
    if (nread < 0) { /* UV_EOF, an error, or too long a request */
        close_handle((uv_handle_t *)stream, NULL);
        return;
    }
    c->used += (size_t)nread;
    if (!http_request_ended(c->request, c->used)) {
        return;
    }
    answer = uv_buf_init(HTTP_ANSWER, HTTP_ANSWER_LENGTH);
    status = uv_read_stop(stream);
    if (status == 0) {
        status = uv_write(&c->write, stream, &answer, 1, on_written);
    }
    if (status < 0) {
        fprintf(stderr, PROGRAM_NAME ": answer: %s\n", uv_strerror(status));
        close_handle((uv_handle_t *)stream, NULL);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    struct connection *c;

    if (status < 0) {
        fprintf(stderr, PROGRAM_NAME ": accept: %s\n", uv_strerror(status));
        return;
    }
    c = malloc(sizeof *c);
    if (c == NULL || uv_tcp_init(uv_default_loop(), &c->handle) != 0) {
        fprintf(stderr, PROGRAM_NAME ": connection dropped\n");
        free(c);
        return;
    }
    c->handle.data = c;
    c->used = 0;
    status = uv_accept(server, (uv_stream_t *)&c->handle);
    if (status == 0) {
        status = uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
    }
    if (status < 0) {
        fprintf(stderr, PROGRAM_NAME ": %s\n", uv_strerror(status));
        close_handle((uv_handle_t *)&c->handle, NULL);
    }
    loop_accept_delay(&options);
}

/* The server's handles: the listener on the libtcpq descriptor, listening
   with `backlog` (uv_listen always calls listen() again), and the stop
   signals. Returns 0 or a libuv error. */
static int start(uv_loop_t *loop, int listen_fd, int backlog)
{
    static const int signal_numbers[2] = {SIGTERM, SIGINT};
    int status = uv_tcp_init(loop, &listener);
    int i;

    listener.data = NULL;
    if (status == 0) {
        status = uv_tcp_open(&listener, listen_fd); /* sets O_NONBLOCK */
    }
    if (status == 0) {
        status = uv_listen((uv_stream_t *)&listener, backlog, on_connection);
    }
    for (i = 0; i < 2 && status == 0; i++) {
        stop_signals[i].data = NULL;
        status = uv_signal_init(loop, &stop_signals[i]);
        if (status == 0) {
            status = uv_signal_start(&stop_signals[i], on_stop_signal,
                                     signal_numbers[i]);
        }
    }
    return status;
}

int main(int argc, char **argv)
{
    struct loop_listener l;
    uv_loop_t *loop = uv_default_loop();
    int status;

    loop_parse_options(argc, argv, &options, LOOP_DEFAULT);
    if (loop == NULL || loop_ignore_sigpipe() != 0 ||
        loop_open_listener(&options, TCPQ_NONBLOCKING, &l) != 0) {
        return EXIT_FAILURE;
    }
    /* libtcpq's backlog, read back from the kernel, or Node's */
    status =
        start(loop, l.fd,
              options.loop_default ? UV_DEFAULT_BACKLOG : l.report.backlog);
    if (status != 0) {
        fprintf(stderr, PROGRAM_NAME ": %s\n", uv_strerror(status));
        return EXIT_FAILURE;
    }
    if (loop_announce(&options, &l, LOOP_DEFAULT) != 0) {
        return EXIT_FAILURE;
    }
    status = uv_run(loop, UV_RUN_DEFAULT);
    if (status == 0) {
        status = uv_loop_close(loop);
    }
    if (status != 0) {
        fprintf(stderr, PROGRAM_NAME ": handles left open at stop\n");
        return EXIT_FAILURE;
    }
    return loop_report_stop(responses);
}
