/* tcpq_queue_stats and tcpq_listen_counters against ss and nstat, and the
   strict /proc/net/netstat parser on malformed input. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"
#include "tcpq_internal.h"

/* ---- live queue and counters, in a namespace ---------------------------- */

#define BURST 40

static int overflow_in_namespace(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct tcpq_queue_stats before, after;
    long long nstat_before, nstat_after, drops_before;
    int fd, clients[BURST], i, recv_q = -1, send_q = -1;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.backlog = 8;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(fd >= 0, "open_listener: %s", rep.message);
    TQ_REQUIRE(tcpq_queue_stats(fd, &before) == 0, "queue_stats: %s",
               strerror(errno));
    nstat_before = tq_nstat("TcpExtListenOverflows");
    drops_before = before.listen_drops;
    TQ_REQUIRE(nstat_before >= 0, "nstat did not answer (iproute2)");
    TQ_REQUIRE(before.accept_queue_len == 0 && before.accept_queue_limit == 8,
               "empty listener: len %d limit %d", before.accept_queue_len,
               before.accept_queue_limit);
    TQ_REQUIRE(before.listen_overflows == nstat_before,
               "ListenOverflows %lld, nstat %lld", before.listen_overflows,
               nstat_before);

    tq_burst(fd, BURST, clients); /* nobody accepts: the queue overflows */
    TQ_REQUIRE(tcpq_queue_stats(fd, &after) == 0, "queue_stats: %s",
               strerror(errno));
    nstat_after = tq_nstat("TcpExtListenOverflows");
    TQ_REQUIRE(tq_ss_listen(tq_port_of(fd), &recv_q, &send_q) == 0,
               "ss shows no listener");
    for (i = 0; i < BURST; i++)
        if (clients[i] >= 0)
            close(clients[i]);
    close(fd);

    TQ_REQUIRE(after.accept_queue_len == recv_q,
               "queue length %d, ss Recv-Q %d", after.accept_queue_len, recv_q);
    TQ_REQUIRE(after.accept_queue_limit == send_q, "limit %d, ss Send-Q %d",
               after.accept_queue_limit, send_q);
    TQ_REQUIRE(after.accept_queue_len == 9,
               "a full backlog-8 queue holds 9, "
               "not %d",
               after.accept_queue_len);
    TQ_REQUIRE(nstat_after > nstat_before, "nstat saw no overflow");
    TQ_REQUIRE(after.listen_overflows - before.listen_overflows ==
                   nstat_after - nstat_before,
               "ListenOverflows rose by %lld, nstat by %lld",
               after.listen_overflows - before.listen_overflows,
               nstat_after - nstat_before);
    TQ_REQUIRE(after.listen_drops - drops_before >=
                   after.listen_overflows - before.listen_overflows,
               "ListenDrops rose less than ListenOverflows");
    return 0;
}

START_TEST(queue_stats_match_ss_and_nstat_after_overflow)
{
    tq_run_in_child(TQ_NS_NET, overflow_in_namespace, NULL);
}
END_TEST

/* A thread that moved itself into a network namespace of its own: the
   counters must be that namespace's, as nstat run from that thread (its
   child shares the thread's namespace) tells them, not the process's. */
struct thread_ns {
    char why[320];
    long long ours, overflows, witness, process_view;
};

static void *overflow_in_thread_namespace(void *arg)
{
    struct thread_ns *t = arg;
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct tcpq_queue_stats stats;
    int fd, clients[8], i;

    memset(&opt, 0, sizeof opt);
    opt.backlog = 1;
    if (unshare(CLONE_NEWNET) < 0 || tq_shell("ip link set lo up") != 0) {
        snprintf(t->why, sizeof t->why, "unshare in a thread: %s",
                 strerror(errno));
        return NULL;
    }
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    if (fd < 0) {
        snprintf(t->why, sizeof t->why, "listener: %s", rep.message);
        return NULL;
    }
    tq_burst(fd, 8, clients); /* holds 2; the rest overflow */
    if (tcpq_queue_stats(fd, &stats) < 0 ||
        tcpq_listen_counters(&t->ours, NULL) < 0)
        snprintf(t->why, sizeof t->why, "queue_stats: %s", strerror(errno));
    t->overflows = stats.listen_overflows;
    t->witness = tq_nstat("TcpExtListenOverflows");
    for (i = 0; i < 8; i++)
        if (clients[i] >= 0)
            close(clients[i]);
    close(fd);
    return NULL;
}

static int counters_of_thread_namespace(void *arg, char *why, size_t cap)
{
    struct thread_ns t;
    pthread_t thread;

    (void)arg;
    memset(&t, 0, sizeof t);
    TQ_REQUIRE(
        pthread_create(&thread, NULL, overflow_in_thread_namespace, &t) == 0,
        "pthread_create");
    pthread_join(thread, NULL);
    TQ_REQUIRE(t.why[0] == '\0', "%s", t.why);
    t.process_view = tq_nstat("TcpExtListenOverflows");
    TQ_REQUIRE(t.witness > 0,
               "nstat in the thread's namespace saw %lld "
               "overflows",
               t.witness);
    TQ_REQUIRE(t.overflows == t.witness,
               "tcpq_queue_stats: ListenOverflows %lld; nstat in the "
               "thread's namespace %lld; the process's namespace %lld",
               t.overflows, t.witness, t.process_view);
    TQ_REQUIRE(t.ours == t.witness,
               "tcpq_listen_counters: %lld; nstat in the thread's namespace "
               "%lld",
               t.ours, t.witness);
    return 0;
}

START_TEST(counters_come_from_the_calling_threads_namespace)
{
    tq_run_in_child(TQ_NS_NET, counters_of_thread_namespace, NULL);
}
END_TEST

START_TEST(listen_counters_match_queue_stats)
{
    struct tcpq_queue_stats stats;
    long long overflows = -2, drops = -2;
    int fd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tcpq_listen_counters(&overflows, &drops), 0);
    ck_assert_int_eq(tcpq_queue_stats(fd, &stats), 0);
    ck_assert(overflows >= 0 && drops >= overflows);
    ck_assert(stats.listen_overflows >= overflows);
    ck_assert_int_eq(tcpq_listen_counters(NULL, NULL), 0);
    close(fd);
}
END_TEST

START_TEST(queue_stats_bad_input)
{
    struct tcpq_queue_stats stats;
    int fds[2], tcp, before;

    ck_assert_int_eq(pipe(fds), 0);
    tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    before = tq_open_fds();
    ck_assert_int_eq(tcpq_queue_stats(-1, &stats), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(stats.accept_queue_len, -1);
    ck_assert_int_eq(tcpq_queue_stats(fds[0], &stats), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(tcpq_queue_stats(tcp, &stats), -1); /* not listening */
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tcpq_queue_stats(tcp, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tq_open_fds(), before);
    close(tcp);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

/* ---- the parser ------------------------------------------------------------
 */

static const struct {
    const char *name;
    const char *text;
    long long overflows, drops;
} netstat_cases[] = {
    {"well formed", "TcpExt: A ListenOverflows ListenDrops\nTcpExt: 1 5 7\n", 5,
     7},
    {"by name, not position",
     "Foo: x\nTcpExt: ListenDrops X ListenOverflows\nTcpExt: 2 0 1\n", 1, 2},
    {"other prefixes first",
     "IpExt: ListenOverflows\nIpExt: 9\nTcpExt: ListenOverflows "
     "ListenDrops\nTcpExt: 4 6\n",
     4, 6},
    {"no newline at the end", "TcpExt: ListenOverflows\nTcpExt: 3", 3, -1},
    {"empty file", "", -1, -1},
    {"only a newline", "\n", -1, -1},
    {"missing header", "IpExt: InNoRoutes\nIpExt: 0\n", -1, -1},
    {"header without values", "TcpExt: ListenOverflows ListenDrops\n", -1, -1},
    {"header at the very end", "TcpExt: ListenOverflows", -1, -1},
    {"truncated value line",
     "TcpExt: A ListenOverflows ListenDrops\nTcpExt: 1 5", -1, -1},
    {"more values than names",
     "TcpExt: ListenOverflows ListenDrops\nTcpExt: 1 2 3\n", -1, -1},
    {"value line not next", "TcpExt: ListenOverflows\nIpExt: 1\nTcpExt: 5\n",
     -1, -1},
    {"huge number",
     "TcpExt: ListenOverflows ListenDrops\nTcpExt: "
     "99999999999999999999 8\n",
     -1, 8},
    {"largest number", "TcpExt: ListenOverflows\nTcpExt: 9223372036854775807\n",
     9223372036854775807LL, -1},
    {"negative", "TcpExt: ListenOverflows ListenDrops\nTcpExt: -3 4\n", -1, 4},
    {"not a number", "TcpExt: ListenOverflows ListenDrops\nTcpExt: 3x 4\n", -1,
     4},
    {"prefix without colon", "TcpExt ListenOverflows\nTcpExt 3\n", -1, -1},
    {"prefix as a longer word", "TcpExtra: ListenOverflows\nTcpExtra: 3\n", -1,
     -1},
    {"name as a prefix of a field", "TcpExt: ListenOverflowsX\nTcpExt: 3\n", -1,
     -1},
};

START_TEST(netstat_parser_is_strict)
{
    static const char *const names[] = {"ListenOverflows", "ListenDrops"};
    const char *text = netstat_cases[_i].text;
    size_t len = strlen(text);
    char *copy = malloc(len + 1); /* exactly len bytes matter: no NUL read */
    long long out[2] = {123, 456};

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, text, len);
    copy[len] = 'Z'; /* a byte past the length that must not be read */
    tcpq__parse_netstat(copy, len, "TcpExt", names, 2, out);
    ck_assert_msg(out[0] == netstat_cases[_i].overflows &&
                      out[1] == netstat_cases[_i].drops,
                  "%s: got %lld %lld, want %lld %lld", netstat_cases[_i].name,
                  out[0], out[1], netstat_cases[_i].overflows,
                  netstat_cases[_i].drops);
    free(copy);
}
END_TEST

START_TEST(netstat_parser_reads_this_kernel)
{
    static const char *const names[] = {"ListenOverflows", "ListenDrops",
                                        "SyncookiesSent"};
    char buf[65536];
    long n = tcpq__read_small_file("/proc/net/netstat", buf, sizeof buf);
    long long out[3];

    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(
        tcpq__parse_netstat(buf, (size_t)n, "TcpExt", names, 3, out), 3);
    ck_assert_int_eq(out[0], tq_nstat("TcpExtListenOverflows"));
    ck_assert_int_eq(out[2], tq_nstat("TcpExtSyncookiesSent"));
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("stats");
    TCase *parse = tcase_create("netstat_parser");
    TCase *ns = tq_tcase_if(s, "overflow_in_namespace", tq_caps.netns, 2,
                            "no private network namespace can be made here");

    if (ns != NULL) {
        tcase_set_timeout(ns, 30);
        tcase_add_test(ns, queue_stats_match_ss_and_nstat_after_overflow);
        tcase_add_test(ns, counters_come_from_the_calling_threads_namespace);
    }
    tcase_add_test(tc, listen_counters_match_queue_stats);
    tcase_add_test(tc, queue_stats_bad_input);
    suite_add_tcase(s, tc);
    tcase_add_loop_test(parse, netstat_parser_is_strict, 0,
                        (int)(sizeof netstat_cases / sizeof netstat_cases[0]));
    tcase_add_test(parse, netstat_parser_reads_this_kernel);
    suite_add_tcase(s, parse);
    return s;
}
