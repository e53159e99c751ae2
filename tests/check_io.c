/* tcpq_recv, tcpq_send_all, tcpq_accept, tcpq_connect: Python's timeout
   model, measured against the clock, the kernel's socket state and a
   signal storm. Timeouts have a hard lower bound (never early) and a
   generous upper one. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check_tcpq.h"

/* ---- recv ------------------------------------------------------------------
 */

START_TEST(recv_timeout_is_etimedout_never_early)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 300);
    struct tq_storm storm;
    int client, server, caught = 0;
    char byte;
    double start, elapsed;
    ssize_t n;
    int err;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    if (_i == 1)
        tq_storm_start(&storm);
    start = tq_now_ms();
    n = tcpq_recv(server, &byte, 1);
    err = errno;
    elapsed = tq_now_ms() - start;
    if (_i == 1)
        caught = tq_storm_stop(&storm);
    ck_assert_int_eq(n, -1);
    ck_assert_msg(err == ETIMEDOUT, "errno %d (%s)", err, strerror(err));
    ck_assert_int_eq(tcpq_errclass(err), TCPQ_ERR_TIMEOUT);
    ck_assert_msg(elapsed >= 300.0, "timed out early: %.1f ms", elapsed);
    ck_assert_msg(elapsed < 1000.0, "a 300 ms timeout took %.1f ms%s", elapsed,
                  _i ? " under the signal storm" : "");
    if (_i == 1)
        ck_assert_msg(caught >= 50, "only %d signals arrived", caught);
    close(client);
    close(server);
}
END_TEST

struct late_sender {
    int fd;
    long delay_ms;
};

static void *send_late(void *arg)
{
    struct late_sender *l = arg;
    tq_sleep_ms(l->delay_ms);
    send(l->fd, "x", 1, MSG_NOSIGNAL);
    return NULL;
}

START_TEST(blocking_recv_retries_eintr_until_data)
{
    struct late_sender late;
    struct tq_storm storm;
    pthread_t thread;
    int client, server, caught;
    char byte = 0;
    double start, elapsed;
    ssize_t n;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    late.fd = client;
    late.delay_ms = 200;
    tq_storm_start(&storm);
    ck_assert_int_eq(pthread_create(&thread, NULL, send_late, &late), 0);
    start = tq_now_ms();
    n = tcpq_recv(server, &byte, 1);
    elapsed = tq_now_ms() - start;
    caught = tq_storm_stop(&storm);
    pthread_join(thread, NULL);
    ck_assert_msg(n == 1, "recv gave %zd, errno %d", n, errno);
    ck_assert_int_eq(byte, 'x');
    ck_assert_msg(elapsed >= 150.0, "returned after %.1f ms", elapsed);
    ck_assert_msg(caught >= 30, "only %d signals arrived", caught);
    close(client);
    close(server);
}
END_TEST

START_TEST(recv_returns_data_and_zero_at_orderly_shutdown)
{
    int client, server;
    char buf[16];

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(send(client, "hello", 5, 0), 5);
    shutdown(client, SHUT_WR);
    ck_assert_int_eq(tcpq_recv(server, buf, sizeof buf), 5);
    ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
    ck_assert_int_eq(tcpq_recv(server, buf, sizeof buf), 0);
    close(client);
    close(server);
}
END_TEST

/* recv of zero bytes returns 0 at once in every mode, as CPython's
   recv(0) returns b'' at once: it waits for nothing, whether data is
   pending or not, and consumes nothing. */
START_TEST(recv_of_zero_bytes_returns_at_once_in_every_mode)
{
    static const enum tcpq_mode modes[] = {TCPQ_BLOCKING, TCPQ_TIMEOUT,
                                           TCPQ_NONBLOCKING};
    struct tcpq_options opt = tq_mode_options(modes[_i], 2000);
    struct late_sender late;
    pthread_t thread;
    int client, server;
    char buf[4];
    double start, elapsed;
    ssize_t n;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    /* nothing pending: a byte arrives only after 500 ms */
    late.fd = client;
    late.delay_ms = 500;
    ck_assert_int_eq(pthread_create(&thread, NULL, send_late, &late), 0);
    start = tq_now_ms();
    n = tcpq_recv(server, buf, 0);
    elapsed = tq_now_ms() - start;
    ck_assert_msg(n == 0, "recv of 0 bytes gave %zd (%s)", n, strerror(errno));
    ck_assert_msg(elapsed < 100.0, "recv of 0 bytes waited %.0f ms", elapsed);
    pthread_join(thread, NULL);
    /* a byte pending: still 0, and the byte is still there */
    ck_assert_int_eq(tcpq_recv(server, buf, 0), 0);
    ck_assert_int_eq(recv(server, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT), 1);
    close(client);
    close(server);
}
END_TEST

START_TEST(nonblocking_recv_and_accept_fail_at_once)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);
    struct tcpq_report rep;
    int client, server, lfd;
    char byte;
    double start, elapsed;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    start = tq_now_ms();
    ck_assert_int_eq(tcpq_recv(server, &byte, 1), -1);
    ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "errno %d", errno);
    ck_assert_int_eq(tcpq_errclass(errno), TCPQ_ERR_WOULDBLOCK);
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    ck_assert_int_eq(tcpq_accept(lfd, NULL, NULL), -1);
    ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "errno %d", errno);
    elapsed = tq_now_ms() - start;
    ck_assert_msg(elapsed < 100.0, "took %.1f ms", elapsed);
    close(lfd);
    close(client);
    close(server);
}
END_TEST

/* ---- accept ----------------------------------------------------------------
 */

START_TEST(accept_timeout_is_etimedout_never_early)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 300);
    struct tcpq_report rep;
    struct tq_storm storm;
    int lfd, fd, err, caught = 0;
    double start, elapsed;

    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    if (_i == 1)
        tq_storm_start(&storm);
    start = tq_now_ms();
    fd = tcpq_accept(lfd, NULL, NULL);
    err = errno;
    elapsed = tq_now_ms() - start;
    if (_i == 1)
        caught = tq_storm_stop(&storm);
    ck_assert_int_eq(fd, -1);
    ck_assert_msg(err == ETIMEDOUT, "errno %d (%s)", err, strerror(err));
    ck_assert_msg(elapsed >= 300.0, "timed out early: %.1f ms", elapsed);
    ck_assert_msg(elapsed < 1000.0, "a 300 ms timeout took %.1f ms", elapsed);
    if (_i == 1)
        ck_assert_msg(caught >= 50, "only %d signals arrived", caught);
    close(lfd);
}
END_TEST

static const enum tcpq_mode listener_modes[] = {TCPQ_BLOCKING, TCPQ_TIMEOUT,
                                                TCPQ_NONBLOCKING};

START_TEST(accepted_socket_takes_the_listener_mode)
{
    struct tcpq_options opt = tq_mode_options(listener_modes[_i], 700);
    struct tcpq_report rep;
    struct timeval listener_tv, accepted_tv;
    socklen_t len = sizeof listener_tv;
    enum tcpq_mode mode;
    int lfd, client, fd, ms;
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof peer;

    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    client = tq_connect_nb(tq_port_of(lfd));
    ck_assert_int_ge(client, 0);
    tq_sleep_ms(50); /* the handshake completes on loopback */
    fd = tcpq_accept(lfd, (struct sockaddr *)&peer, &peer_len);
    ck_assert_msg(fd >= 0, "accept: %s", strerror(errno));
    ck_assert_int_eq(peer.ss_family, AF_INET);
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK,
                     fcntl(lfd, F_GETFL) & O_NONBLOCK);
    ck_assert_int_eq(
        getsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &listener_tv, &len), 0);
    len = sizeof accepted_tv;
    ck_assert_int_eq(
        getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &accepted_tv, &len), 0);
    ck_assert(listener_tv.tv_sec == accepted_tv.tv_sec &&
              listener_tv.tv_usec == accepted_tv.tv_usec);
    ck_assert_int_eq(tcpq_get_timeout_mode(fd, &mode, &ms), 0);
    ck_assert_int_eq(mode, listener_modes[_i]);
    close(fd);
    close(client);
    close(lfd);
}
END_TEST

/* ---- connect ---------------------------------------------------------------
 */

static int count_syn_sent(int port)
{
    char filter[64];
    int count;

    snprintf(filter, sizeof filter, "state syn-sent '( dport = :%d )'", port);
    count = tq_ss_count(filter);
    ck_assert_int_ge(count, 0);
    return count;
}

START_TEST(connect_timeout_leaves_nothing_behind)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 300);
    struct tcpq_report rep;
    char port[16], where[48];
    int filler, lfd = tq_blackhole(&filler);
    int fds, fd, err;
    double start, elapsed;

    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    snprintf(where, sizeof where, "connect 127.0.0.1:%s", port);
    fds = tq_open_fds();
    start = tq_now_ms();
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    err = errno;
    elapsed = tq_now_ms() - start;
    ck_assert_int_eq(fd, -1);
    ck_assert_msg(err == ETIMEDOUT, "errno %d (%s)", err, strerror(err));
    ck_assert_msg(elapsed >= 300.0, "timed out early: %.1f ms", elapsed);
    ck_assert_msg(elapsed < 1000.0, "a 300 ms timeout took %.1f ms", elapsed);
    ck_assert_msg(strstr(rep.message, where) != NULL, "message: %s",
                  rep.message);
    ck_assert_int_eq(tq_open_fds(), fds);
    /* the timed-out attempt left no SYN-SENT socket behind */
    ck_assert_int_eq(count_syn_sent(tq_port_of(lfd)), 0);
    close(filler);
    close(lfd);
}
END_TEST

START_TEST(connect_to_closed_port_is_refused_at_once)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 5000);
    struct tcpq_report rep;
    char port[16];
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    int fds, fd;
    double start, elapsed;

    /* a port that was free a moment ago and has no listener */
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(probe, (struct sockaddr *)&sin, sizeof sin), 0);
    snprintf(port, sizeof port, "%d", tq_port_of(probe));
    close(probe);
    fds = tq_open_fds();
    start = tq_now_ms();
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    elapsed = tq_now_ms() - start;
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    ck_assert_int_eq(tcpq_errclass(errno), TCPQ_ERR_REFUSED);
    ck_assert_msg(elapsed < 500.0, "refusal took %.1f ms", elapsed);
    ck_assert_int_eq(tq_open_fds(), fds);
}
END_TEST

/* The socket comes back in the requested mode, with buffers that were in
   force at the handshake (a small rcvbuf gives a smaller window scale). */
START_TEST(connect_sets_buffers_before_and_mode_after)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 2000);
    struct tcpq_report rep;
    struct tcp_info small_info, default_info;
    socklen_t len = sizeof small_info;
    char port[16], where[48];
    enum tcpq_mode mode;
    int lfd, small, plain, ms;

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    ck_assert_int_ge(lfd, 0);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    snprintf(where, sizeof where, "127.0.0.1:%s", port);
    opt.rcvbuf = 4096;
    opt.flags = TCPQ_NODELAY;
    small = tcpq_connect("127.0.0.1", port, &opt, &rep);
    ck_assert_msg(small >= 0, "%s", rep.message);
    ck_assert_str_eq(rep.address, where);
    ck_assert_int_eq(rep.rcvbuf_kernel,
                     tq_getsockopt_int(small, SOL_SOCKET, SO_RCVBUF));
    ck_assert_uint_eq(rep.warnings & TCPQ_WARN_TOO_LATE, 0);
    ck_assert_int_eq(tq_getsockopt_int(small, IPPROTO_TCP, TCP_NODELAY), 1);
    ck_assert_int_eq(fcntl(small, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ck_assert_int_eq(tcpq_get_timeout_mode(small, &mode, &ms), 0);
    ck_assert_int_eq(mode, TCPQ_TIMEOUT);
    ck_assert_int_ge(ms, 2000);

    plain = tcpq_connect("127.0.0.1", port, NULL, &rep);
    ck_assert_msg(plain >= 0, "%s", rep.message);
    ck_assert_int_eq(tcpq_get_timeout_mode(plain, &mode, &ms), 0);
    ck_assert_int_eq(mode, TCPQ_BLOCKING);
    ck_assert_int_eq(
        getsockopt(small, IPPROTO_TCP, TCP_INFO, &small_info, &len), 0);
    len = sizeof default_info;
    ck_assert_int_eq(
        getsockopt(plain, IPPROTO_TCP, TCP_INFO, &default_info, &len), 0);
    ck_assert_msg(small_info.tcpi_rcv_wscale < default_info.tcpi_rcv_wscale,
                  "rcv_wscale with rcvbuf 4096: %u, default: %u",
                  small_info.tcpi_rcv_wscale, default_info.tcpi_rcv_wscale);
    close(small);
    close(plain);
    close(lfd);
}
END_TEST

START_TEST(nonblocking_connect_returns_in_progress_and_finishes)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);
    struct tcpq_report rep;
    char port[16];
    int filler, hole = tq_blackhole(&filler);
    int lfd, fd;
    double start, elapsed;

    snprintf(port, sizeof port, "%d", tq_port_of(hole));
    start = tq_now_ms();
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    elapsed = tq_now_ms() - start;
    ck_assert_msg(fd >= 0, "%s", rep.message);
    ck_assert_msg(elapsed < 100.0, "non-blocking connect took %.1f ms",
                  elapsed);
    ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(tcpq_connect_finish(fd, 0), -1);
    ck_assert_int_eq(errno, EINPROGRESS);
    ck_assert_int_eq(tcpq_errclass(errno), TCPQ_ERR_WOULDBLOCK);
    ck_assert_int_eq(count_syn_sent(tq_port_of(hole)), 1);
    close(fd);
    close(filler);
    close(hole);

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tcpq_connect_finish(fd, 2000), 0);
    close(fd);
    close(lfd);
}
END_TEST

/* ---- send_all --------------------------------------------------------------
 */

struct slow_reader {
    int fd;
    volatile int slow; /* read 4 KiB every 20 ms while set */
    size_t received;
};

static void *read_slowly(void *arg)
{
    struct slow_reader *r = arg;
    char buf[65536];
    int rounds = 0;

    for (;;) {
        ssize_t n;
        int slow = r->slow;
        n = recv(r->fd, buf, slow ? 4096 : sizeof buf, 0);
        if (n <= 0)
            break;
        r->received += (size_t)n;
        if (slow && rounds++ < 500)
            tq_sleep_ms(20);
    }
    return NULL;
}

START_TEST(send_all_timeout_bounds_the_whole_call)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 200);
    struct slow_reader reader;
    pthread_t thread;
    size_t len = 64u << 20, sent = 0;
    char *buf = calloc(1, len);
    int client, server, rc, err;
    double start, elapsed;

    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(client, &opt), 0);
    reader.fd = server;
    reader.slow = 1;
    reader.received = 0;
    ck_assert_int_eq(pthread_create(&thread, NULL, read_slowly, &reader), 0);
    start = tq_now_ms();
    rc = tcpq_send_all_ex(client, buf, len, &sent);
    err = errno;
    elapsed = tq_now_ms() - start;
    reader.slow = 0;
    shutdown(client, SHUT_WR);
    pthread_join(thread, NULL);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(err == ETIMEDOUT, "errno %d (%s)", err, strerror(err));
    ck_assert_msg(elapsed >= 200.0, "timed out early: %.1f ms", elapsed);
    ck_assert_msg(elapsed < 1000.0, "a 200 ms whole-call timeout took %.1f ms",
                  elapsed);
    ck_assert_msg(sent > 0 && sent < len, "sent %zu of %zu", sent, len);
    ck_assert_msg(reader.received == sent, "peer received %zu, sent says %zu",
                  reader.received, sent);
    ck_assert_int_eq(tcpq_send_all(client, buf, 0), 0);
    free(buf);
    close(client);
    close(server);
}
END_TEST

START_TEST(send_all_sends_everything)
{
    struct slow_reader reader;
    pthread_t thread;
    size_t len = 8u << 20;
    char *buf = malloc(len);
    int client, server;

    ck_assert_ptr_nonnull(buf);
    memset(buf, 'a', len);
    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    reader.fd = server;
    reader.slow = 0;
    reader.received = 0;
    ck_assert_int_eq(pthread_create(&thread, NULL, read_slowly, &reader), 0);
    ck_assert_int_eq(tcpq_send_all(client, buf, len), (ssize_t)len);
    shutdown(client, SHUT_WR);
    pthread_join(thread, NULL);
    ck_assert_uint_eq(reader.received, len);
    free(buf);
    close(client);
    close(server);
}
END_TEST

/* In a child with SIGPIPE at its default: a send to a closed peer must
   fail with EPIPE or ECONNRESET, not kill the process. */
static int send_to_closed_peer(void *arg, char *why, size_t cap)
{
    static char chunk[65536];
    int client, server, i, rc = 0;

    (void)arg;
    signal(SIGPIPE, SIG_DFL);
    TQ_REQUIRE(tq_connected_pair(&client, &server, NULL) == 0, "pair");
    close(server);
    for (i = 0; i < 100 && rc == 0; i++) { /* bounded: about 1 s */
        rc = (int)tcpq_send_all(client, chunk, sizeof chunk) < 0 ? -1 : 0;
        if (rc == 0)
            tq_sleep_ms(10);
    }
    TQ_REQUIRE(rc == -1, "100 sends to a closed peer all succeeded");
    TQ_REQUIRE(errno == EPIPE || errno == ECONNRESET, "errno %d (%s)", errno,
               strerror(errno));
    TQ_REQUIRE(tcpq_send_all(client, chunk, sizeof chunk) == -1 &&
                   (errno == EPIPE || errno == ECONNRESET),
               "a second send: errno %d", errno);
    close(client);
    return 0;
}

START_TEST(send_all_to_closed_peer_never_raises_sigpipe)
{
    tq_run_in_child(0, send_to_closed_peer, NULL);
}
END_TEST

/* ---- errclass and bad input ---------------------------------------------- */

static const struct {
    int err;
    enum tcpq_errclass cls;
} classes[] = {
    {0, TCPQ_ERR_NONE},
    {EAGAIN, TCPQ_ERR_WOULDBLOCK},
    {EWOULDBLOCK, TCPQ_ERR_WOULDBLOCK},
    {EALREADY, TCPQ_ERR_WOULDBLOCK},
    {EINPROGRESS, TCPQ_ERR_WOULDBLOCK},
    {ETIMEDOUT, TCPQ_ERR_TIMEOUT},
    {EINTR, TCPQ_ERR_INTERRUPTED},
    {ECONNREFUSED, TCPQ_ERR_REFUSED},
    {ECONNRESET, TCPQ_ERR_RESET},
    {ECONNABORTED, TCPQ_ERR_ABORTED},
    {EPIPE, TCPQ_ERR_BROKEN_PIPE},
    {ESHUTDOWN, TCPQ_ERR_BROKEN_PIPE},
    {EADDRINUSE, TCPQ_ERR_ADDR_IN_USE},
    {ENOENT, TCPQ_ERR_OTHER},
    {EINVAL, TCPQ_ERR_OTHER},
    {-1, TCPQ_ERR_OTHER},
};

START_TEST(errclass_follows_pep_3151)
{
    ck_assert_msg(tcpq_errclass(classes[_i].err) == classes[_i].cls,
                  "errno %d: class %d, want %d", classes[_i].err,
                  (int)tcpq_errclass(classes[_i].err), (int)classes[_i].cls);
}
END_TEST

START_TEST(io_bad_input_fails_cleanly)
{
    char buf[8] = {0};
    int fds[2], before, s;

    ck_assert_int_eq(pipe(fds), 0);
    before = tq_open_fds();
    ck_assert_int_eq(tcpq_recv(-1, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(tcpq_send_all(-1, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(tcpq_accept(-1, NULL, NULL), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(tcpq_connect_finish(-1, 0), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(tcpq_recv(fds[0], NULL, 5), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tcpq_send_all(fds[1], NULL, 5), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tcpq_recv(fds[0], buf, sizeof buf), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(tcpq_send_all(fds[1], buf, sizeof buf), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(tcpq_accept(fds[0], NULL, NULL), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    {
        struct sockaddr_in sin;
        ck_assert_int_eq(tcpq_accept(fds[0], (struct sockaddr *)&sin, NULL),
                         -1);
        ck_assert_int_eq(errno, EINVAL);
    }
    ck_assert_int_eq(tcpq_connect(NULL, "80", NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tcpq_connect("127.0.0.1", "99999", NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(tcpq_accept(s, NULL, NULL), -1); /* not listening */
    ck_assert_int_eq(errno, EINVAL);
    close(s);
    ck_assert_int_eq(tq_open_fds(), before);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *timeouts = tcase_create("timeouts");
    TCase *tc = tcase_create("io");
    TCase *sockets = tcase_create("with_ss");

    tcase_set_timeout(timeouts, 30);
    tcase_add_loop_test(timeouts, recv_timeout_is_etimedout_never_early, 0, 2);
    tcase_add_loop_test(timeouts, accept_timeout_is_etimedout_never_early, 0,
                        2);
    tcase_add_test(timeouts, blocking_recv_retries_eintr_until_data);
    tcase_add_test(timeouts, send_all_timeout_bounds_the_whole_call);
    suite_add_tcase(s, timeouts);

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, recv_returns_data_and_zero_at_orderly_shutdown);
    tcase_add_test(tc, nonblocking_recv_and_accept_fail_at_once);
    tcase_add_loop_test(tc, recv_of_zero_bytes_returns_at_once_in_every_mode, 0,
                        3);
    tcase_add_loop_test(
        tc, accepted_socket_takes_the_listener_mode, 0,
        (int)(sizeof listener_modes / sizeof listener_modes[0]));
    tcase_add_test(tc, connect_to_closed_port_is_refused_at_once);
    tcase_add_test(tc, connect_sets_buffers_before_and_mode_after);
    tcase_add_test(tc, send_all_sends_everything);
    tcase_add_test(tc, send_all_to_closed_peer_never_raises_sigpipe);
    tcase_add_loop_test(tc, errclass_follows_pep_3151, 0,
                        (int)(sizeof classes / sizeof classes[0]));
    tcase_add_test(tc, io_bad_input_fails_cleanly);
    suite_add_tcase(s, tc);

    tcase_set_timeout(sockets, 30);
    tcase_add_test(sockets, connect_timeout_leaves_nothing_behind);
    tcase_add_test(sockets,
                   nonblocking_connect_returns_in_progress_and_finishes);
    suite_add_tcase(s, sockets);
    return s;
}
