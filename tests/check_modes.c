/* tcpq_set_timeout_mode / tcpq_get_timeout_mode: the mode lives in the
   descriptor, so plain recv honours it; get reads the kernel's state. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check_tcpq.h"

START_TEST(timeout_mode_plain_recv_waits_at_least_the_timeout)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 200);
    int client, server;
    char byte;
    double start, elapsed;
    ssize_t n;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    start = tq_now_ms();
    n = recv(server, &byte, 1, 0);
    elapsed = tq_now_ms() - start;
    ck_assert_int_eq(n, -1);
    ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "errno %d", errno);
    ck_assert_msg(elapsed >= 200.0, "timed out early: %.1f ms", elapsed);
    ck_assert_msg(elapsed < 5000.0, "waited %.1f ms for a 200 ms timeout",
                  elapsed);
    close(client);
    close(server);
}
END_TEST

START_TEST(nonblocking_plain_recv_fails_at_once)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);
    int client, server;
    char byte;
    double start, elapsed;
    ssize_t n;

    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
    ck_assert_int_ne(fcntl(server, F_GETFL) & O_NONBLOCK, 0);
    start = tq_now_ms();
    n = recv(server, &byte, 1, 0);
    elapsed = tq_now_ms() - start;
    ck_assert_int_eq(n, -1);
    ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "errno %d", errno);
    ck_assert_msg(elapsed < 100.0, "non-blocking recv took %.1f ms", elapsed);
    close(client);
    close(server);
}
END_TEST

START_TEST(blocking_mode_clears_timeout_and_nonblock)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 300);
    struct timeval tv;
    socklen_t len = sizeof tv;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    ck_assert_int_eq(tcpq_set_timeout_mode(fd, &opt), 0);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    opt = tq_mode_options(TCPQ_BLOCKING, 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(fd, &opt), 0);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
    ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
    ck_assert(tv.tv_sec == 0 && tv.tv_usec == 0);
    ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(fd, NULL), 0);
    close(fd);
}
END_TEST

/* get returns what set put; a timeout reads back as the kernel stores it,
   rounded up to whole ms: never less than set, never less than enforced. */
static const struct {
    enum tcpq_mode mode;
    int timeout_ms;
} round_trips[] = {
    {TCPQ_BLOCKING, 0},       {TCPQ_NONBLOCKING, 0}, {TCPQ_TIMEOUT, 1},
    {TCPQ_TIMEOUT, 250},      {TCPQ_TIMEOUT, 1000},  {TCPQ_TIMEOUT, 3500},
    {TCPQ_TIMEOUT, 86400000},
};

START_TEST(get_reads_back_what_set_put)
{
    struct tcpq_options opt =
        tq_mode_options(round_trips[_i].mode, round_trips[_i].timeout_ms);
    enum tcpq_mode mode = (enum tcpq_mode) - 1;
    int ms = -1;
    int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(fd, &opt), 0);
    ck_assert_int_eq(tcpq_get_timeout_mode(fd, &mode, &ms), 0);
    ck_assert_int_eq(mode, opt.mode);
    if (opt.mode != TCPQ_TIMEOUT) {
        ck_assert_int_eq(ms, 0);
    } else {
        struct timeval tv;
        socklen_t len = sizeof tv;
        long long kernel_us;
        ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len), 0);
        kernel_us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
        ck_assert_int_ge(ms, opt.timeout_ms);
        ck_assert_msg((long long)ms * 1000 >= kernel_us &&
                          (long long)ms * 1000 < kernel_us + 1000,
                      "get says %d ms, kernel holds %lld us", ms, kernel_us);
        ck_assert_msg(ms - opt.timeout_ms <= 10,
                      "%d ms read back as %d (more than a tick)",
                      opt.timeout_ms, ms);
    }
    close(fd);
}
END_TEST

START_TEST(listener_mode_is_applied_before_listen)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 150);
    struct tcpq_report rep;
    enum tcpq_mode mode;
    int ms, fd, accepted;
    double start, elapsed;

    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(fd >= 0, "%s", rep.message);
    ck_assert_int_eq(tcpq_get_timeout_mode(fd, &mode, &ms), 0);
    ck_assert_int_eq(mode, TCPQ_TIMEOUT);
    ck_assert_int_ge(ms, 150);
    /* Linux: SO_RCVTIMEO bounds a plain accept() */
    start = tq_now_ms();
    accepted = accept(fd, NULL, NULL);
    elapsed = tq_now_ms() - start;
    ck_assert_int_eq(accepted, -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_msg(elapsed >= 150.0 && elapsed < 5000.0, "accept took %.1f ms",
                  elapsed);
    close(fd);
}
END_TEST

Suite *modes_suite(void)
{
    Suite *s = suite_create("modes");
    TCase *tc = tcase_create("modes");

    tcase_add_test(tc, timeout_mode_plain_recv_waits_at_least_the_timeout);
    tcase_add_test(tc, nonblocking_plain_recv_fails_at_once);
    tcase_add_test(tc, blocking_mode_clears_timeout_and_nonblock);
    tcase_add_loop_test(tc, get_reads_back_what_set_put, 0,
                        (int)(sizeof round_trips / sizeof round_trips[0]));
    tcase_add_test(tc, listener_mode_is_applied_before_listen);
    suite_add_tcase(s, tc);
    return s;
}
