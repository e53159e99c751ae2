/* tcpq_listen and tcpq_open_listener: the backlog clamp, the accept queue
   and the flags, measured from the kernel (TCP_INFO, ss, a real burst). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_tcpq.h"

#define NS_SOMAXCONN 64
#define BURST 200

/* ---- in a namespace with net.core.somaxconn = 64 ----------------------- */

struct backlog_case {
    int requested;
    int expected;    /* backlog in force */
    int warns_clamp; /* TCPQ_WARN_BACKLOG_CLAMPED expected */
};

static const struct backlog_case backlog_cases[] = {
    {1000, NS_SOMAXCONN, 1},    {0, NS_SOMAXCONN, 0}, {-1, NS_SOMAXCONN, 0},
    {INT_MAX, NS_SOMAXCONN, 1}, {10, 10, 0},
};

static int backlog_in_namespace(void *arg, char *why, size_t cap)
{
    const struct backlog_case *c = arg;
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd, queued = -1, backlog = -1, recv_q = -1, send_q = -1, i;
    int clients[BURST];
    int measured;

    TQ_REQUIRE(tq_write_file("/proc/sys/net/core/somaxconn", "64") == 0,
               "cannot set net.core.somaxconn in the namespace");
    memset(&opt, 0, sizeof opt);
    opt.backlog = c->requested;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(fd >= 0, "open_listener: %s", rep.message);

    /* what the report says */
    TQ_REQUIRE(rep.backlog_requested == c->requested,
               "backlog_requested %d, want %d", rep.backlog_requested,
               c->requested);
    TQ_REQUIRE(rep.backlog == c->expected, "report.backlog %d, want %d",
               rep.backlog, c->expected);
    TQ_REQUIRE(!!(rep.warnings & TCPQ_WARN_BACKLOG_CLAMPED) == c->warns_clamp,
               "clamp warning %s for backlog %d (message: %s)",
               c->warns_clamp ? "missing" : "unexpected", c->requested,
               rep.message);
    if (c->warns_clamp) {
        char fix[64];
        snprintf(fix, sizeof fix, "sysctl -w net.core.somaxconn=%d",
                 c->requested);
        TQ_REQUIRE(strstr(rep.message, fix) != NULL,
                   "message does not give the fix '%s': %s", fix, rep.message);
    }

    /* what the kernel says: TCP_INFO and ss agree with the report */
    TQ_REQUIRE(tq_tcpi_listen(fd, NULL, &backlog) == 0, "TCP_INFO failed");
    TQ_REQUIRE(backlog == rep.backlog, "TCP_INFO backlog %d, report %d",
               backlog, rep.backlog);
    TQ_REQUIRE(tq_caps.have_ss,
               "ss(8) does not run: apt-get install iproute2 (or make deps)");
    TQ_REQUIRE(tq_ss_listen(tq_port_of(fd), &recv_q, &send_q) == 0,
               "ss shows no listener on port %d", tq_port_of(fd));
    TQ_REQUIRE(send_q == rep.backlog, "ss Send-Q %d, report %d", send_q,
               rep.backlog);

    /* a burst nobody accepts fills exactly the reported capacity */
    measured = tq_burst(fd, BURST, clients);
    tq_ss_listen(tq_port_of(fd), &recv_q, &send_q);
    for (i = 0; i < BURST; i++)
        if (clients[i] >= 0)
            close(clients[i]);
    TQ_REQUIRE(measured == rep.accept_queue_capacity,
               "accept queue held %d after a burst of %d, report says %d",
               measured, BURST, rep.accept_queue_capacity);
    TQ_REQUIRE(rep.accept_queue_capacity == c->expected + 1,
               "Linux holds backlog + 1 = %d, report says %d", c->expected + 1,
               rep.accept_queue_capacity);
    TQ_REQUIRE(recv_q == measured, "ss Recv-Q %d, TCP_INFO %d", recv_q,
               measured);
    (void)queued;
    close(fd);
    return 0;
}

START_TEST(listen_clamps_to_namespace_somaxconn_and_fills_backlog_plus_one)
{
    tq_run_in_child(TQ_NS_NET, backlog_in_namespace,
                    (void *)&backlog_cases[_i]);
}
END_TEST

/* Resizing: listen again on a listening socket changes only the backlog. */
static int relisten_in_namespace(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd, backlog = -1;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.backlog = 8;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(fd >= 0, "open_listener: %s", rep.message);
    opt.backlog = 32;
    TQ_REQUIRE(tcpq_listen(fd, &opt, &rep) == 0, "relisten: %s", rep.message);
    TQ_REQUIRE(tq_tcpi_listen(fd, NULL, &backlog) == 0 && backlog == 32,
               "TCP_INFO backlog %d after resizing to 32", backlog);
    TQ_REQUIRE(rep.backlog == 32, "report.backlog %d", rep.backlog);
    close(fd);
    return 0;
}

START_TEST(listen_again_resizes_the_backlog)
{
    tq_run_in_child(TQ_NS_NET, relisten_in_namespace, NULL);
}
END_TEST

/* The SYN queue, measured: with the clients' final ACKs dropped by an
   nftables rule, K connects leave half-open requests (SYN-RECV) that ss
   counts; the kernel must store exactly report.syn_queue_capacity. */
struct syn_case {
    const char *syncookies;
    const char *max_syn_backlog;
    int backlog;
    int connects;
    int expected; /* the kernel rule by hand, for a Linux >= 6.13 */
};

static const struct syn_case syn_cases[] = {
    {"1", "2048", 16, 40, 17}, /* stored to B + 1, then cookies */
    {"1", "2048", 4, 20, 5},   /* a smaller backlog */
    {"2", "2048", 16, 20, 0},  /* cookies always, nothing stored */
    {"2", "2048", 4, 20, 0},
    {"0", "2048", 16, 40, 17}, /* dropped at B + 1 */
    {"0", "2048", 4, 20, 5},
    {"0", "40", 100, 60, 31}, /* dropped once M - Q < M/4: 40 - 10 + 1 */
};

static int count_syn_recv(int port)
{
    char filter[64];

    snprintf(filter, sizeof filter, "state syn-recv '( sport = :%d )'", port);
    return tq_ss_count(filter);
}

static int syn_queue_in_namespace(void *arg, char *why, size_t cap)
{
    const struct syn_case *c = arg;
    struct tcpq_options opt;
    struct tcpq_report rep;
    char cmd[256];
    int fd, port, i, stored = -1, last = -2;
    int clients[64];
    long long cookies_before, drops_before, cookies, drops;
    double start;

    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_syncookies",
                             c->syncookies) == 0 &&
                   tq_write_file("/proc/sys/net/ipv4/tcp_max_syn_backlog",
                                 c->max_syn_backlog) == 0,
               "cannot set tcp_syncookies / tcp_max_syn_backlog");
    memset(&opt, 0, sizeof opt);
    opt.backlog = c->backlog;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(fd >= 0, "open_listener: %s", rep.message);
    port = tq_port_of(fd);
    snprintf(cmd, sizeof cmd,
             "nft add table inet tq && nft add chain inet tq out "
             "'{ type filter hook output priority 0; }' && nft add rule inet "
             "tq out tcp dport %d 'tcp flags & (syn | ack) == ack' drop",
             port);
    TQ_REQUIRE(system(cmd) == 0, "nft rule failed: %s", cmd);

    cookies_before = tq_nstat("TcpExtSyncookiesSent");
    drops_before = tq_nstat("TcpExtListenDrops");
    TQ_REQUIRE(cookies_before >= 0 && drops_before >= 0,
               "nstat did not answer (iproute2)");
    for (i = 0; i < c->connects; i++)
        clients[i] = tq_connect_nb(port);
    /* bounded: until the count is steady for 200 ms, at most 3 s */
    start = tq_now_ms();
    while (tq_now_ms() - start < 3000) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        stored = count_syn_recv(port);
        if (stored == last)
            break;
        last = stored;
        nanosleep(&pause, NULL);
        nanosleep(&pause, NULL);
    }
    cookies = tq_nstat("TcpExtSyncookiesSent") - cookies_before;
    drops = tq_nstat("TcpExtListenDrops") - drops_before;
    for (i = 0; i < c->connects; i++)
        if (clients[i] >= 0)
            close(clients[i]);
    close(fd);
    TQ_REQUIRE(stored == rep.syn_queue_capacity,
               "syncookies=%s max_syn_backlog=%s backlog %d: the kernel "
               "stored %d half-open requests, report says %d",
               c->syncookies, c->max_syn_backlog, c->backlog, stored,
               rep.syn_queue_capacity);
    TQ_REQUIRE(stored == c->expected || tq_linux_before(6, 13),
               "stored %d, the kernel rule says %d", stored, c->expected);
    printf("  syn queue: tcp_syncookies=%s tcp_max_syn_backlog=%s backlog "
           "%d, %d SYNs: predicted %d, stored %d, cookies %lld, drops %lld\n",
           c->syncookies, c->max_syn_backlog, c->backlog, c->connects,
           rep.syn_queue_capacity, stored, cookies, drops);
    fflush(stdout);
    /* beyond the stored requests: cookies (1, 2) or dropped SYNs (0) */
    if (c->syncookies[0] == '0')
        TQ_REQUIRE(cookies == 0 && drops >= c->connects - stored,
                   "syncookies=0: %lld cookies, %lld drops for %d SYNs past "
                   "the queue",
                   cookies, drops, c->connects - stored);
    else
        TQ_REQUIRE(cookies == c->connects - stored,
                   "syncookies=%s: %lld cookies sent for %d SYNs past the "
                   "queue",
                   c->syncookies, cookies, c->connects - stored);
    if (c->syncookies[0] == '0') {
        TQ_REQUIRE(rep.warnings & TCPQ_WARN_SYNCOOKIES_OFF,
                   "no syncookies warning: %s", rep.message);
        TQ_REQUIRE(strstr(rep.message, "net.ipv4.tcp_syncookies=1") != NULL,
                   "message lacks the fix: %s", rep.message);
    }
    return 0;
}

START_TEST(syn_queue_capacity_matches_stored_requests)
{
    tq_run_in_child(TQ_NS_NET, syn_queue_in_namespace, (void *)&syn_cases[_i]);
}
END_TEST

/* ---- on this host's own namespace ---------------------------------------- */

START_TEST(default_backlog_is_runtime_somaxconn_not_compiled)
{
    struct tcpq_report rep;
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");
    int fd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    int backlog = -1;

    ck_assert_msg(fd >= 0, "%s", rep.message);
    ck_assert_int_eq(tq_tcpi_listen(fd, NULL, &backlog), 0);
    ck_assert_int_eq(backlog, (int)somaxconn);
    ck_assert_int_eq(rep.backlog, backlog);
    ck_assert_int_eq(rep.backlog_requested, 0);
    ck_assert_uint_eq(rep.warnings & TCPQ_WARN_BACKLOG_CLAMPED, 0);
    ck_assert_str_eq(rep.message, "");
    close(fd);
}
END_TEST

START_TEST(listen_on_unbound_socket_reports_address)
{
    struct tcpq_report rep;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tcpq_listen(fd, NULL, &rep), 0);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 1);
    ck_assert_int_gt(tq_port_of(fd), 0);
    ck_assert_ptr_nonnull(strstr(rep.address, "0.0.0.0:"));
    close(fd);
}
END_TEST

START_TEST(open_listener_null_host_takes_ipv4_and_ipv6)
{
    struct tcpq_report rep;
    int fd = tcpq_open_listener(NULL, "0", NULL, &rep);
    int port, client, accepted;

    ck_assert_msg(fd >= 0, "%s", rep.message);
    port = tq_port_of(fd);
    ck_assert_int_eq(tcpq_get_timeout_mode(fd, NULL, NULL), 0);
    client = tq_connect_nb(port);
    ck_assert_int_ge(client, 0);
    accepted = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_msg(accepted >= 0, "IPv4 client not accepted: %s",
                  strerror(errno));
    close(accepted);
    close(client);
    if (strncmp(rep.address, "[::]:", 5) == 0)
        ck_assert_int_eq(tq_getsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    else
        ck_assert_ptr_nonnull(strstr(rep.address, "0.0.0.0:"));
    close(fd);
}
END_TEST

START_TEST(open_listener_applies_flags)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd, client, accepted;

    memset(&opt, 0, sizeof opt);
    opt.flags = TCPQ_NODELAY | TCPQ_KEEPALIVE | TCPQ_REUSEPORT;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(fd >= 0, "%s", rep.message);
    ck_assert_int_eq(tq_getsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 1);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT), 1);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 1);
    ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    /* the kernel copies TCP_NODELAY and SO_KEEPALIVE to accepted sockets */
    client = tq_connect_nb(tq_port_of(fd));
    accepted = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(accepted, 0);
    ck_assert_int_eq(tq_getsockopt_int(accepted, IPPROTO_TCP, TCP_NODELAY), 1);
    ck_assert_int_eq(tq_getsockopt_int(accepted, SOL_SOCKET, SO_KEEPALIVE), 1);
    close(accepted);
    close(client);
    close(fd);

    opt.flags = TCPQ_NO_REUSEADDR;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(fd >= 0, "%s", rep.message);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 0);
    ck_assert_int_eq(tq_getsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY), 0);
    close(fd);
}
END_TEST

START_TEST(open_listener_v6only_refuses_ipv4)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd, client, accepted;

    memset(&opt, 0, sizeof opt);
    opt.flags = TCPQ_V6ONLY;
    fd = tcpq_open_listener(NULL, "0", &opt, &rep);
    ck_assert_msg(fd >= 0, "%s", rep.message);
    if (strncmp(rep.address, "[::]:", 5) != 0) {
        close(fd); /* no IPv6 here: nothing to refuse */
        return;
    }
    ck_assert_int_eq(tq_getsockopt_int(fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    client = tq_connect_nb(tq_port_of(fd));
    usleep(100 * 1000);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    accepted = accept(fd, NULL, NULL);
    ck_assert_int_lt(accepted, 0);
    close(client);
    close(fd);
}
END_TEST

START_TEST(open_listener_ipv6_loopback)
{
    struct tcpq_report rep;
    int fd = tcpq_open_listener("::1", "0", NULL, &rep);

    if (fd < 0) { /* a host without IPv6 */
        ck_assert_int_eq(errno, EADDRNOTAVAIL);
        return;
    }
    ck_assert_ptr_nonnull(strstr(rep.address, "[::1]:"));
    close(fd);
}
END_TEST

Suite *listen_suite(void)
{
    Suite *s = suite_create("listen");
    int cases = (int)(sizeof backlog_cases / sizeof backlog_cases[0]);
    int syn_count = (int)(sizeof syn_cases / sizeof syn_cases[0]);
    TCase *ns, *syn;
    TCase *host = tcase_create("host");

    ns = tq_tcase_if(s, "backlog_in_namespace", tq_caps.netns, cases + 1,
                     "no private network namespace can be made here");
    if (ns != NULL) {
        tcase_set_timeout(ns, 60);
        tcase_add_loop_test(
            ns, listen_clamps_to_namespace_somaxconn_and_fills_backlog_plus_one,
            0, cases);
        tcase_add_test(ns, listen_again_resizes_the_backlog);
    }
    syn = tq_tcase_if(s, "syn_queue_in_namespace",
                      tq_caps.netns && tq_caps.have_nft && tq_caps.have_ss,
                      syn_count,
                      "needs a private network namespace, nft (nftables) "
                      "and ss (iproute2): make deps");
    if (syn != NULL) {
        tcase_set_timeout(syn, 60);
        tcase_add_loop_test(syn, syn_queue_capacity_matches_stored_requests, 0,
                            syn_count);
    }

    tcase_add_test(host, default_backlog_is_runtime_somaxconn_not_compiled);
    tcase_add_test(host, listen_on_unbound_socket_reports_address);
    tcase_add_test(host, open_listener_null_host_takes_ipv4_and_ipv6);
    tcase_add_test(host, open_listener_applies_flags);
    tcase_add_test(host, open_listener_v6only_refuses_ipv4);
    tcase_add_test(host, open_listener_ipv6_loopback);
    suite_add_tcase(s, host);
    return s;
}
