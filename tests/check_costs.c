/* What one call costs where servers spend their time, counted rather than
   timed: the test binary is linked with -Wl,--wrap for the system calls
   the I/O functions make and for clock_gettime (a vDSO read, no system
   call, but a cost on every call), so each is counted as the library
   makes it. Data ready: one system call and no clock read in every mode;
   a non-blocking read with nothing to read (how every event-loop read
   loop ends): the recv and one fcntl, no clock read. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_tcpq.h"

/* ---- the counting wrappers --------------------------------------------- */

enum counted {
    C_RECV,
    C_SEND,
    C_FCNTL,
    C_GETSOCKOPT,
    C_SETSOCKOPT,
    C_POLL,
    C_ACCEPT4,
    C_GETPEERNAME,
    C_SOCKET,
    C_CONNECT,
    C_GETSOCKOPT_TCP, /* of those getsockopt, at IPPROTO_TCP: a read-back */
    C_OPEN,           /* a file: a procfs read */
    C_CLOCK,          /* not a system call */
    COUNTED
};

static const char *const counted_name[COUNTED] = {"recv",
                                                  "send",
                                                  "fcntl",
                                                  "getsockopt",
                                                  "setsockopt",
                                                  "poll",
                                                  "accept4",
                                                  "getpeername",
                                                  "socket",
                                                  "connect",
                                                  "(at IPPROTO_TCP)",
                                                  "open",
                                                  "clock_gettime"};

static unsigned long counts[COUNTED];
static volatile int counting; /* only between reset and read */

ssize_t __real_recv(int, void *, size_t, int);
ssize_t __real_send(int, const void *, size_t, int);
int __real_fcntl(int, int, ...);
int __real_getsockopt(int, int, int, void *, socklen_t *);
int __real_setsockopt(int, int, int, const void *, socklen_t);
int __real_poll(struct pollfd *, nfds_t, int);
int __real_accept4(int, struct sockaddr *, socklen_t *, int);
int __real_getpeername(int, struct sockaddr *, socklen_t *);
int __real_clock_gettime(clockid_t, struct timespec *);
int __real_socket(int, int, int);
int __real_connect(int, const struct sockaddr *, socklen_t);
int __real_open(const char *, int, ...);

ssize_t __wrap_recv(int, void *, size_t, int);
ssize_t __wrap_send(int, const void *, size_t, int);
int __wrap_fcntl(int, int, ...);
int __wrap_getsockopt(int, int, int, void *, socklen_t *);
int __wrap_setsockopt(int, int, int, const void *, socklen_t);
int __wrap_poll(struct pollfd *, nfds_t, int);
int __wrap_accept4(int, struct sockaddr *, socklen_t *, int);
int __wrap_getpeername(int, struct sockaddr *, socklen_t *);
int __wrap_clock_gettime(clockid_t, struct timespec *);
int __wrap_socket(int, int, int);
int __wrap_connect(int, const struct sockaddr *, socklen_t);
int __wrap_open(const char *, int, ...);

#define COUNT(what)                                                            \
    do {                                                                       \
        if (counting)                                                          \
            counts[what]++;                                                    \
    } while (0)

ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
    COUNT(C_RECV);
    return __real_recv(fd, buf, len, flags);
}

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    COUNT(C_SEND);
    return __real_send(fd, buf, len, flags);
}

int __wrap_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, cmd);
    arg = va_arg(ap, void *); /* as glibc's own fcntl reads it */
    va_end(ap);
    COUNT(C_FCNTL);
    return __real_fcntl(fd, cmd, arg);
}

int __wrap_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
    COUNT(C_GETSOCKOPT);
    if (level == IPPROTO_TCP)
        COUNT(C_GETSOCKOPT_TCP);
    return __real_getsockopt(fd, level, name, value, len);
}

int __wrap_setsockopt(int fd, int level, int name, const void *value,
                      socklen_t len)
{
    COUNT(C_SETSOCKOPT);
    return __real_setsockopt(fd, level, name, value, len);
}

int __wrap_open(const char *path, int flags, ...)
{
    va_list ap;
    int mode;

    va_start(ap, flags);
    mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
    va_end(ap);
    COUNT(C_OPEN);
    return __real_open(path, flags, mode);
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    COUNT(C_POLL);
    return __real_poll(fds, n, timeout);
}

int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    COUNT(C_ACCEPT4);
    return __real_accept4(fd, addr, len, flags);
}

int __wrap_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    COUNT(C_GETPEERNAME);
    return __real_getpeername(fd, addr, len);
}

int __wrap_clock_gettime(clockid_t clock, struct timespec *ts)
{
    COUNT(C_CLOCK);
    return __real_clock_gettime(clock, ts);
}

int __wrap_socket(int domain, int type, int protocol)
{
    COUNT(C_SOCKET);
    return __real_socket(domain, type, protocol);
}

int __wrap_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    COUNT(C_CONNECT);
    return __real_connect(fd, addr, len);
}

static void count_start(void)
{
    memset(counts, 0, sizeof counts);
    counting = 1;
}

/* Stops counting; the number of system calls, and *clock_reads. */
static unsigned long count_stop(unsigned long *clock_reads, char *list,
                                size_t cap)
{
    unsigned long calls = 0;
    size_t used = 0;
    int i;

    counting = 0;
    list[0] = '\0';
    for (i = 0; i < COUNTED; i++) {
        if (counts[i] == 0)
            continue;
        if (i != C_CLOCK && i != C_GETSOCKOPT_TCP) /* not a call of its own */
            calls += counts[i];
        if (used < cap)
            used +=
                (size_t)snprintf(list + used, cap - used, "%s%s %lu",
                                 used ? ", " : "", counted_name[i], counts[i]);
    }
    *clock_reads = counts[C_CLOCK];
    return calls;
}

/* ---- the paths ------------------------------------------------------------
 */

static const enum tcpq_mode modes[] = {TCPQ_BLOCKING, TCPQ_TIMEOUT,
                                       TCPQ_NONBLOCKING};
static const char *const mode_name[] = {"blocking", "timeout", "nonblocking"};

START_TEST(recv_with_data_ready_is_one_system_call_and_no_clock_read)
{
    struct tcpq_options opt = tq_mode_options(modes[_i], 5000);
    unsigned long calls, clocks;
    int client, server;
    char buf[8], list[256];
    ssize_t n;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    ck_assert_int_eq(send(client, "x", 1, 0), 1);
    tq_sleep_ms(20); /* delivered on loopback */
    count_start();
    n = tcpq_recv(server, buf, sizeof buf);
    calls = count_stop(&clocks, list, sizeof list);
    ck_assert_int_eq(n, 1);
    printf("  cost: tcpq_recv, data ready, %s: %s\n", mode_name[_i], list);
    ck_assert_msg(calls == 1 && counts[C_RECV] == 1,
                  "%s, data ready: %s (want one recv)", mode_name[_i], list);
    ck_assert_msg(clocks == 0, "%s, data ready: %lu clock reads", mode_name[_i],
                  clocks);
    close(client);
    close(server);
}
END_TEST

START_TEST(nonblocking_recv_with_nothing_to_read_costs_no_clock_read)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);
    unsigned long calls, clocks;
    int client, server;
    char buf[8], list[256];
    ssize_t n;
    int err;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    count_start();
    n = tcpq_recv(server, buf, sizeof buf);
    err = errno;
    calls = count_stop(&clocks, list, sizeof list);
    printf("  cost: tcpq_recv, nothing to read, nonblocking: %s\n", list);
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(err, EAGAIN);
    /* the recv, and the fcntl that tells EAGAIN from an expired timeout */
    ck_assert_msg(calls == 2 && counts[C_RECV] == 1 && counts[C_FCNTL] == 1,
                  "nothing to read: %s", list);
    ck_assert_msg(clocks == 0, "nothing to read: %lu clock reads", clocks);
    close(client);
    close(server);
}
END_TEST

START_TEST(send_all_that_fits_is_one_system_call_and_no_clock_read)
{
    struct tcpq_options opt = tq_mode_options(modes[_i], 5000);
    unsigned long calls, clocks;
    int client, server;
    char list[256];
    ssize_t n;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(client, &opt), 0);
    count_start();
    n = tcpq_send_all(client, "hello", 5);
    calls = count_stop(&clocks, list, sizeof list);
    printf("  cost: tcpq_send_all, fits, %s: %s\n", mode_name[_i], list);
    ck_assert_int_eq(n, 5);
    ck_assert_msg(calls == 1 && counts[C_SEND] == 1, "%s: %s (want one send)",
                  mode_name[_i], list);
    ck_assert_msg(clocks == 0, "%s: %lu clock reads", mode_name[_i], clocks);
    close(client);
    close(server);
}
END_TEST

/* A numeric address, blocking: the calls of socket() + connect(), and with
   a report the two buffer sizes read back; no resolver, no poll(). */
/* Options set, and read back only for a report: a keepalive client (the
   three figures set, each read once with a report, none without). */
START_TEST(options_are_read_back_once_and_only_for_a_report)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    unsigned long clocks;
    char port[16], list[256];
    int lfd, fd, server;

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    ck_assert_int_ge(lfd, 0);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    memset(&opt, 0, sizeof opt);
    opt.keepalive_idle_s = 30;
    opt.keepalive_intvl_s = 5;
    opt.keepalive_cnt = 4;
    count_start();
    fd = tcpq_connect("127.0.0.1", port, &opt, _i ? &rep : NULL);
    count_stop(&clocks, list, sizeof list);
    ck_assert_int_ge(fd, 0);
    printf("  cost: tcpq_connect, keepalive 30:5:4, %s: %s\n",
           _i ? "with a report" : "NULL report", list);
    /* SO_KEEPALIVE and the three; with a report, the two buffers and the
       three keepalive figures read back once each */
    ck_assert_msg(counts[C_SETSOCKOPT] == 4 &&
                      counts[C_GETSOCKOPT] == (_i ? 5u : 0u),
                  "%s report: %s", _i ? "with a" : "NULL", list);
    if (_i)
        ck_assert_msg(rep.keepalive_idle_s == 30 &&
                          rep.keepalive_intvl_s == 5 && rep.keepalive_cnt == 4,
                      "report %d:%d:%d", rep.keepalive_idle_s,
                      rep.keepalive_intvl_s, rep.keepalive_cnt);
    server = accept(lfd, NULL, NULL);
    close(server);
    close(fd);
    close(lfd);
}
END_TEST

/* A listener reads its TCP options and backlog back for a report only.
   Either way one TCP_INFO tells the socket's state (connected, listening)
   before anything changes; with a report, TCP_FASTOPEN and TCP_INFO (the
   backlog in force) are read back after. The kernel clamps the backlog
   itself and tells it back, so without a report no sysctl is read either;
   with one, tcp_syncookies (and tcp_fastopen, for its warning). */
START_TEST(listen_reads_back_only_for_a_report)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    unsigned long clocks;
    char list[256];
    int backlog = -1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    memset(&opt, 0, sizeof opt);
    opt.backlog = 64;
    opt.fastopen_qlen = 8;
    count_start();
    ck_assert_int_eq(tcpq_listen(fd, &opt, _i ? &rep : NULL), 0);
    count_stop(&clocks, list, sizeof list);
    printf("  cost: tcpq_listen, fastopen 8, %s: %s\n",
           _i ? "with a report" : "NULL report", list);
    ck_assert_msg(counts[C_GETSOCKOPT_TCP] == (_i ? 3u : 1u), "%s report: %s",
                  _i ? "with a" : "NULL", list);
    ck_assert_msg(_i ? counts[C_OPEN] >= 1 : counts[C_OPEN] == 0,
                  "%s report: %s", _i ? "with a" : "NULL", list);
    if (_i)
        ck_assert_int_eq(rep.backlog, 64);
    ck_assert_int_eq(tq_tcpi_listen(fd, NULL, &backlog), 0);
    ck_assert_int_eq(backlog, 64); /* listening, as asked */
    close(fd);
}
END_TEST

START_TEST(connect_to_a_numeric_address_costs_what_socket_and_connect_cost)
{
    struct tcpq_report rep;
    unsigned long calls, clocks;
    char port[16], list[256];
    int lfd, fd, server;

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    ck_assert_int_ge(lfd, 0);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    count_start();
    fd = tcpq_connect("127.0.0.1", port, NULL, _i ? &rep : NULL);
    calls = count_stop(&clocks, list, sizeof list);
    ck_assert_int_ge(fd, 0);
    printf("  cost: tcpq_connect, numeric, blocking, %s: %s\n",
           _i ? "with a report" : "NULL report", list);
    ck_assert_msg(counts[C_SOCKET] == 1 && counts[C_CONNECT] == 1 &&
                      calls == (_i ? 4u : 2u),
                  "%s report: %s", _i ? "with a" : "NULL", list);
    ck_assert_uint_eq(clocks, 0);
    server = accept(lfd, NULL, NULL);
    close(server);
    close(fd);
    close(lfd);
}
END_TEST

Suite *costs_suite(void)
{
    Suite *s = suite_create("costs");
    TCase *tc = tcase_create("calls_per_call");

    tcase_add_loop_test(
        tc, recv_with_data_ready_is_one_system_call_and_no_clock_read, 0, 3);
    tcase_add_test(tc,
                   nonblocking_recv_with_nothing_to_read_costs_no_clock_read);
    tcase_add_loop_test(
        tc, send_all_that_fits_is_one_system_call_and_no_clock_read, 0, 3);
    tcase_add_loop_test(
        tc, connect_to_a_numeric_address_costs_what_socket_and_connect_cost, 0,
        2);
    tcase_add_loop_test(tc, options_are_read_back_once_and_only_for_a_report, 0,
                        2);
    tcase_add_loop_test(tc, listen_reads_back_only_for_a_report, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
