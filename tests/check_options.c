/* The 0.2 options, measured from the kernel: keepalive finds a silent peer
   at idle + intvl x cnt, the user timeout aborts unacknowledged data, a
   deferred connection stays out of the accept queue, Fast Open accepts a
   SYN's data, a reset close leaves no TIME-WAIT, and what a listener is
   given reaches every accepted socket. Silence is made with nftables in a
   private network namespace. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static int tcp_opt(int fd, int name)
{
    return tq_getsockopt_int(fd, IPPROTO_TCP, name);
}

/* An accepted socket of lfd, waited for at most 2 s; -1 on failure. */
static int accept_within(int lfd)
{
    struct pollfd pfd;

    pfd.fd = lfd;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 2000) != 1)
        return -1;
    return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* nft in this namespace: an inet table "tq" with an input chain that
   drops the connection's packets, and an output chain that counts them. */
static int silence_port(int port)
{
    return tq_shell("nft add table inet tq && nft add chain inet tq in "
                    "'{ type filter hook input priority 0; }' && nft add "
                    "chain inet tq out '{ type filter hook output priority "
                    "0; }' && nft add rule inet tq in tcp sport %d drop && "
                    "nft add rule inet tq in tcp dport %d drop && nft add "
                    "rule inet tq out tcp sport %d counter && nft add rule "
                    "inet tq out tcp dport %d counter",
                    port, port, port, port);
}

/* The packets the output chain counted, from the listener's port (rule
   index 0) or to it (1); -1 on failure. */
static long counted(int which)
{
    FILE *p = popen("nft list chain inet tq out 2>/dev/null", "r");
    char line[256];
    long packets[2] = {-1, -1};
    int rule = 0;

    if (p == NULL)
        return -1;
    while (fgets(line, sizeof line, p) != NULL) {
        const char *c = strstr(line, "counter packets ");
        if (c != NULL && rule < 2)
            packets[rule++] = strtol(c + 16, NULL, 10);
    }
    pclose(p);
    return packets[which];
}

/* ---- keepalive ------------------------------------------------------------
 */

struct waiter {
    int fd;
    pthread_t thread;
    ssize_t n;
    int err;
    double elapsed_ms;
};

static void *recv_until_dead(void *arg)
{
    struct waiter *w = arg;
    char byte;
    double start = tq_now_ms();

    w->n = tcpq_recv(w->fd, &byte, 1);
    w->err = errno;
    w->elapsed_ms = tq_now_ms() - start;
    return NULL;
}

static int keepalive_finds_silent_peer(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct waiter server, client;
    char port[16];
    int lfd, port_n;
    long probes_out, probes_in;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.keepalive_idle_s = 2;
    opt.keepalive_intvl_s = 1;
    opt.keepalive_cnt = 3;
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    TQ_REQUIRE(rep.keepalive_idle_s == 2 && rep.keepalive_intvl_s == 1 &&
                   rep.keepalive_cnt == 3,
               "listener report: %d/%d/%d", rep.keepalive_idle_s,
               rep.keepalive_intvl_s, rep.keepalive_cnt);
    port_n = tq_port_of(lfd);
    snprintf(port, sizeof port, "%d", port_n);
    client.fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    TQ_REQUIRE(client.fd >= 0, "connect: %s", rep.message);
    TQ_REQUIRE(rep.keepalive_idle_s == 2 && rep.keepalive_cnt == 3,
               "client report: %d/%d/%d", rep.keepalive_idle_s,
               rep.keepalive_intvl_s, rep.keepalive_cnt);
    server.fd = accept_within(lfd);
    TQ_REQUIRE(server.fd >= 0, "accept: %s", strerror(errno));
    /* the accepted socket has the listener's settings from the kernel */
    TQ_REQUIRE(tq_getsockopt_int(server.fd, SOL_SOCKET, SO_KEEPALIVE) == 1 &&
                   tcp_opt(server.fd, TCP_KEEPIDLE) == 2 &&
                   tcp_opt(server.fd, TCP_KEEPINTVL) == 1 &&
                   tcp_opt(server.fd, TCP_KEEPCNT) == 3,
               "accepted socket: keepalive %d, %d/%d/%d",
               tq_getsockopt_int(server.fd, SOL_SOCKET, SO_KEEPALIVE),
               tcp_opt(server.fd, TCP_KEEPIDLE),
               tcp_opt(server.fd, TCP_KEEPINTVL),
               tcp_opt(server.fd, TCP_KEEPCNT));
    TQ_REQUIRE(silence_port(port_n) == 0, "nft rules failed");
    TQ_REQUIRE(
        pthread_create(&server.thread, NULL, recv_until_dead, &server) == 0 &&
            pthread_create(&client.thread, NULL, recv_until_dead, &client) == 0,
        "pthread_create");
    pthread_join(server.thread, NULL);
    pthread_join(client.thread, NULL);
    probes_out = counted(0);
    probes_in = counted(1);
    printf("  keepalive 2 + 1 x 3 s: accepted socket ETIMEDOUT after %.0f "
           "ms, client after %.0f ms; probes sent %ld and %ld (nft)\n",
           server.elapsed_ms, client.elapsed_ms, probes_out, probes_in);
    fflush(stdout);
    TQ_REQUIRE(server.n == -1 && server.err == ETIMEDOUT,
               "accepted socket: recv %zd, %s", server.n, strerror(server.err));
    TQ_REQUIRE(client.n == -1 && client.err == ETIMEDOUT,
               "client: recv %zd, %s", client.n, strerror(client.err));
    TQ_REQUIRE(server.elapsed_ms >= 4500 && server.elapsed_ms < 8000 &&
                   client.elapsed_ms >= 4500 && client.elapsed_ms < 8000,
               "dead after %.0f / %.0f ms, want about 5000", server.elapsed_ms,
               client.elapsed_ms);
    TQ_REQUIRE(probes_out >= 3 && probes_in >= 3,
               "nft counted %ld and %ld probes, want 3 each", probes_out,
               probes_in);
    close(server.fd);
    close(client.fd);
    close(lfd);
    return 0;
}

START_TEST(keepalive_finds_a_silent_peer_at_idle_plus_intvl_times_cnt)
{
    tq_run_in_child(TQ_NS_NET, keepalive_finds_silent_peer, NULL);
}
END_TEST

/* ---- user timeout ----------------------------------------------------------
 */

static int user_timeout_aborts(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct waiter client;
    char port[16];
    int lfd, server, port_n;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.user_timeout_ms = 1500;
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    TQ_REQUIRE(rep.user_timeout_ms == 1500, "listener report %d",
               rep.user_timeout_ms);
    port_n = tq_port_of(lfd);
    snprintf(port, sizeof port, "%d", port_n);
    opt.user_timeout_ms = 1000;
    client.fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    TQ_REQUIRE(client.fd >= 0, "connect: %s", rep.message);
    TQ_REQUIRE(rep.user_timeout_ms == 1000 &&
                   tcp_opt(client.fd, TCP_USER_TIMEOUT) == 1000,
               "client: report %d, kernel %d", rep.user_timeout_ms,
               tcp_opt(client.fd, TCP_USER_TIMEOUT));
    server = accept_within(lfd);
    TQ_REQUIRE(server >= 0, "accept: %s", strerror(errno));
    TQ_REQUIRE(tcp_opt(server, TCP_USER_TIMEOUT) == 1500,
               "accepted socket: TCP_USER_TIMEOUT %d, the listener's 1500",
               tcp_opt(server, TCP_USER_TIMEOUT));
    TQ_REQUIRE(silence_port(port_n) == 0, "nft rules failed");
    /* data that will never be acknowledged */
    TQ_REQUIRE(send(client.fd, "x", 1, MSG_NOSIGNAL) == 1, "send");
    recv_until_dead(&client);
    printf("  user timeout 1000 ms: unacknowledged data aborted after %.0f "
           "ms (%s)\n",
           client.elapsed_ms, strerror(client.err));
    fflush(stdout);
    TQ_REQUIRE(client.n == -1 && client.err == ETIMEDOUT, "recv %zd, %s",
               client.n, strerror(client.err));
    TQ_REQUIRE(client.elapsed_ms >= 1000 && client.elapsed_ms < 3000,
               "aborted after %.0f ms", client.elapsed_ms);
    close(client.fd);
    close(server);
    close(lfd);
    return 0;
}

START_TEST(user_timeout_aborts_unacknowledged_data)
{
    tq_run_in_child(TQ_NS_NET, user_timeout_aborts, NULL);
}
END_TEST

/* ---- deferred accept ----------------------------------------------------- */

START_TEST(deferred_accept_keeps_a_silent_connection_out_of_the_queue)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 500);
    struct tcpq_report rep;
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int lfd, silent, talker, fd, queued = -1, limit = -1;

    opt.defer_accept_s = 5;
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    /* held as the kernel rounds it, and said so */
    ck_assert_int_eq(rep.defer_accept_s, tcp_opt(lfd, TCP_DEFER_ACCEPT));
    ck_assert_int_eq(rep.defer_accept_s, 7);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_ROUNDED, 0);
    ck_assert_msg(strstr(rep.message, "defer_accept_s 5 held as 7") != NULL,
                  "message: %s", rep.message);

    silent = tq_connect_nb(tq_port_of(lfd));
    tq_sleep_ms(300);
    ck_assert_int_eq(tq_ss_listen(tq_port_of(lfd), &queued, &limit), 0);
    ck_assert_msg(queued == 0, "a silent connection is queued (ss Recv-Q %d)",
                  queued);
    fd = tcpq_accept(lfd, NULL, NULL);
    ck_assert_msg(fd == -1 && errno == ETIMEDOUT,
                  "accept of a silent connection: fd %d errno %d", fd, errno);

    talker = tq_connect_nb(tq_port_of(lfd));
    tq_sleep_ms(50);
    ck_assert_int_eq(send(talker, "x", 1, MSG_NOSIGNAL), 1);
    fd = tcpq_accept(lfd, (struct sockaddr *)&peer, &len);
    ck_assert_msg(fd >= 0, "accept after data: %s", strerror(errno));
    ck_assert_int_eq(ntohs(peer.sin_port), tq_port_of(talker));
    close(fd);
    close(talker);
    close(silent);
    close(lfd);
}
END_TEST

/* ---- Fast Open
 * --------------------------------------------------------------- */

/* A Fast Open client: data in the SYN once it holds a cookie. */
static int fastopen_send(int port, const char *data)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (sendto(fd, data, strlen(data), MSG_FASTOPEN, (struct sockaddr *)&sin,
               sizeof sin) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int fastopen_in_namespace(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    long long before, after;
    char buf[16], fix[64];
    int lfd, round, port;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.fastopen_qlen = 16;
    /* the server bit off: warned, with the fix */
    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_fastopen", "1") == 0,
               "cannot set tcp_fastopen");
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    close(lfd);
    TQ_REQUIRE(rep.warnings & TCPQ_WARN_FASTOPEN_OFF, "no warning: %s",
               rep.message);
    tcpq_warning_fix(&rep, TCPQ_WARN_FASTOPEN_OFF, fix, sizeof fix);
    TQ_REQUIRE(strcmp(fix, "sysctl -w net.ipv4.tcp_fastopen=3") == 0 &&
                   strstr(rep.message, fix) != NULL,
               "fix \"%s\", message %s", fix, rep.message);

    /* on: the queue as asked, and data in the SYN accepted */
    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_fastopen", "3") == 0,
               "cannot set tcp_fastopen");
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    TQ_REQUIRE(rep.fastopen_qlen == 16 && tcp_opt(lfd, TCP_FASTOPEN) == 16,
               "fastopen_qlen: report %d, kernel %d", rep.fastopen_qlen,
               tcp_opt(lfd, TCP_FASTOPEN));
    TQ_REQUIRE(!(rep.warnings & TCPQ_WARN_FASTOPEN_OFF), "warned: %s",
               rep.message);
    port = tq_port_of(lfd);
    before = tq_nstat("TcpExtTCPFastOpenPassive");
    for (round = 0; round < 2; round++) { /* the first fetches a cookie */
        int c = fastopen_send(port, "hello"), s;
        TQ_REQUIRE(c >= 0, "sendto MSG_FASTOPEN: %s", strerror(errno));
        s = accept_within(lfd);
        TQ_REQUIRE(s >= 0, "accept: %s", strerror(errno));
        TQ_REQUIRE(recv(s, buf, sizeof buf, 0) == 5, "the server got no data");
        close(s);
        close(c);
    }
    after = tq_nstat("TcpExtTCPFastOpenPassive");
    printf("  fast open: TcpExtTCPFastOpenPassive %lld -> %lld\n", before,
           after);
    fflush(stdout);
    TQ_REQUIRE(before >= 0 && after > before,
               "no connection accepted with SYN data (nstat %lld -> %lld)",
               before, after);
    close(lfd);
    return 0;
}

START_TEST(fast_open_accepts_syn_data_and_warns_when_the_server_bit_is_off)
{
    tq_run_in_child(TQ_NS_NET, fastopen_in_namespace, NULL);
}
END_TEST

/* ---- close with a reset ----------------------------------------------------
 */

/* TIME-WAIT sockets of the connection between ports a and b (ss). */
static int time_wait_count(int a, int b)
{
    char filter[160];

    snprintf(filter, sizeof filter,
             "state time-wait '( ( sport = :%d and dport = :%d ) or ( sport "
             "= :%d and dport = :%d ) )'",
             a, b, b, a);
    return tq_ss_count(filter);
}

START_TEST(close_reset_sends_rst_and_leaves_no_time_wait)
{
    int client, server, lfd, port, server_port;
    char byte;

    /* the control: an orderly close leaves TIME-WAIT, as ss shows */
    ck_assert_int_eq(tq_connected_pair(&client, &server, &lfd), 0);
    port = tq_port_of(client);
    server_port = tq_port_of(lfd);
    close(client);
    tq_sleep_ms(50);
    close(server);
    tq_sleep_ms(50);
    ck_assert_int_eq(time_wait_count(port, server_port), 1);
    close(lfd);

    ck_assert_int_eq(tq_connected_pair(&client, &server, &lfd), 0);
    port = tq_port_of(client);
    server_port = tq_port_of(lfd);
    ck_assert_int_eq(tcpq_close_reset(client), 0);
    ck_assert_int_eq(recv(server, &byte, 1, 0), -1);
    ck_assert_int_eq(errno, ECONNRESET);
    close(server);
    tq_sleep_ms(50);
    ck_assert_int_eq(time_wait_count(port, server_port), 0);
    close(lfd);
    /* not a TCP socket: refused, left open */
    {
        int fds[2];
        ck_assert_int_eq(pipe(fds), 0);
        ck_assert_int_eq(tcpq_close_reset(fds[0]), -1);
        ck_assert_int_eq(errno, ENOTSOCK);
        ck_assert_int_ne(fcntl(fds[0], F_GETFD), -1);
        close(fds[0]);
        close(fds[1]);
    }
    ck_assert_int_eq(tcpq_close_reset(-1), -1);
    ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* ---- congestion, unsent low-water mark ----------------------------------- */

START_TEST(congestion_is_granted_or_refused_with_the_allowed_list)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    char allowed[256] = "", name[16] = "";
    socklen_t len = sizeof name;
    FILE *f;
    int lfd, fds;

    memset(&opt, 0, sizeof opt);
    opt.congestion = "reno"; /* always built in, always allowed */
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    ck_assert_str_eq(rep.congestion, "reno");
    ck_assert_int_eq(getsockopt(lfd, IPPROTO_TCP, TCP_CONGESTION, name, &len),
                     0);
    ck_assert_str_eq(name, "reno");
    close(lfd);

    f = fopen("/proc/sys/net/ipv4/tcp_allowed_congestion_control", "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(allowed, sizeof allowed, f));
    fclose(f);
    allowed[strcspn(allowed, "\n")] = '\0';
    opt.congestion = "nosuchcc";
    fds = tq_open_fds();
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_int_eq(lfd, -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_msg(strstr(rep.message,
                         "net.ipv4.tcp_allowed_congestion_control") != NULL &&
                      strstr(rep.message, allowed) != NULL,
                  "message lacks the allowed list \"%s\": %s", allowed,
                  rep.message);
    ck_assert_int_eq(tq_open_fds(), fds);
}
END_TEST

START_TEST(notsent_lowat_is_read_back_and_inherited)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int lfd, client, server;
    char port[16];

    memset(&opt, 0, sizeof opt);
    opt.notsent_lowat = 16384;
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    ck_assert_int_eq(rep.notsent_lowat, 16384);
    ck_assert_int_eq(tcp_opt(lfd, TCP_NOTSENT_LOWAT), 16384);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    client = tcpq_connect("127.0.0.1", port, NULL, NULL);
    ck_assert_int_ge(client, 0);
    server = accept_within(lfd);
    ck_assert_int_ge(server, 0);
    ck_assert_int_eq(tcp_opt(server, TCP_NOTSENT_LOWAT), 16384);
    close(server);
    close(client);
    close(lfd);
}
END_TEST

/* ---- bind-time flags -------------------------------------------------------
 */

static int freebind_in_namespace(void *arg, char *why, size_t cap)
{
    static const char *const hosts[] = {"10.99.0.1", "fd00::1"};
    struct tcpq_options opt;
    struct tcpq_report rep;
    size_t i;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    for (i = 0; i < 2; i++) {
        int fd = tcpq_open_listener(hosts[i], "0", &opt, &rep);
        TQ_REQUIRE(fd == -1 && errno == EADDRNOTAVAIL,
                   "%s without TCPQ_FREEBIND: fd %d errno %d", hosts[i], fd,
                   errno);
        opt.flags = TCPQ_FREEBIND;
        fd = tcpq_open_listener(hosts[i], "0", &opt, &rep);
        TQ_REQUIRE(fd >= 0, "%s with TCPQ_FREEBIND: %s", hosts[i], rep.message);
        TQ_REQUIRE(tq_shell("ss -Hltn | grep -qF '%s'", hosts[i]) == 0,
                   "ss shows no listener on %s", hosts[i]);
        close(fd);
        opt.flags = 0;
    }
    return 0;
}

START_TEST(freebind_binds_an_address_not_configured)
{
    tq_run_in_child(TQ_NS_NET, freebind_in_namespace, NULL);
}
END_TEST

START_TEST(bind_time_flag_on_a_bound_socket_is_warned_not_applied)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    memset(&opt, 0, sizeof opt);
    opt.flags = TCPQ_REUSEPORT;
    ck_assert_int_eq(tcpq_listen(fd, &opt, &rep), 0);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_FLAG_IGNORED, 0);
    ck_assert_msg(strstr(rep.message, "TCPQ_REUSEPORT") != NULL, "message: %s",
                  rep.message);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    close(fd);
}
END_TEST

/* ---- bad input: refused before the socket is touched ----------------------
 */

struct bad_option {
    const char *name;
    int listener; /* 1: tcpq_listen on a listener; 0: tcpq_connect */
    struct tcpq_options opt;
    int err;
    const char *message;
};

static const struct bad_option bad_options[] = {
    {"negative keepalive_idle_s",
     1,
     {.keepalive_idle_s = -1},
     EINVAL,
     "keepalive_idle_s -1 is negative"},
    {"keepalive_idle_s above 32767",
     1,
     {.keepalive_idle_s = 32768},
     EINVAL,
     "above the kernel's 32767"},
    {"keepalive_intvl_s above 32767",
     1,
     {.keepalive_intvl_s = 40000},
     EINVAL,
     "keepalive_intvl_s 40000"},
    {"keepalive_cnt above 127",
     1,
     {.keepalive_cnt = 128},
     EINVAL,
     "above the kernel's 127"},
    {"negative user_timeout_ms",
     1,
     {.user_timeout_ms = -5},
     EINVAL,
     "user_timeout_ms -5"},
    {"negative defer_accept_s",
     1,
     {.defer_accept_s = -1},
     EINVAL,
     "defer_accept_s -1"},
    {"negative fastopen_qlen",
     1,
     {.fastopen_qlen = -1},
     EINVAL,
     "fastopen_qlen -1"},
    {"negative notsent_lowat",
     1,
     {.notsent_lowat = INT_MIN},
     EINVAL,
     "notsent_lowat"},
    {"empty congestion", 1, {.congestion = ""}, EINVAL, "congestion \"\""},
    {"congestion with a slash",
     1,
     {.congestion = "../x"},
     EINVAL,
     "not a congestion control name"},
    {"congestion of 16 characters",
     1,
     {.congestion = "abcdefghijklmnop"},
     EINVAL,
     "not a congestion control name"},
    {"defer_accept_s on a client",
     0,
     {.defer_accept_s = 5},
     EINVAL,
     "for listeners"},
    {"fastopen_qlen on a client",
     0,
     {.fastopen_qlen = 5},
     EINVAL,
     "for listeners"},
};

START_TEST(bad_option_fails_before_the_socket_is_touched)
{
    const struct bad_option *c = &bad_options[_i];
    struct tcpq_options opt = c->opt;
    struct tcpq_report rep;
    int lfd, fds, backlog = -1, rc;
    char port[16];

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(listen(lfd, 5), 0);
    fds = tq_open_fds();
    if (c->listener) {
        opt.backlog = 100;
        rc = tcpq_listen(lfd, &opt, &rep);
    } else {
        snprintf(port, sizeof port, "%d", tq_port_of(lfd));
        rc = tcpq_connect("127.0.0.1", port, &opt, &rep);
    }
    ck_assert_msg(rc == -1 && errno == c->err, "%s: rc %d errno %d", c->name,
                  rc, errno);
    ck_assert_msg(strstr(rep.message, c->message) != NULL,
                  "%s: message \"%s\" lacks \"%s\"", c->name, rep.message,
                  c->message);
    ck_assert_int_eq(tq_open_fds(), fds);
    /* the listener as it was: backlog 5, no keepalive, no timeout */
    ck_assert_int_eq(tq_tcpi_listen(lfd, NULL, &backlog), 0);
    ck_assert_int_eq(backlog, 5);
    ck_assert_int_eq(tq_getsockopt_int(lfd, SOL_SOCKET, SO_KEEPALIVE), 0);
    ck_assert_int_eq(tcp_opt(lfd, TCP_USER_TIMEOUT), 0);
    ck_assert_int_eq(tcp_opt(lfd, TCP_DEFER_ACCEPT), 0);
    close(lfd);
}
END_TEST

Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    TCase *ns, *nft;

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc,
                   deferred_accept_keeps_a_silent_connection_out_of_the_queue);
    tcase_add_test(tc, close_reset_sends_rst_and_leaves_no_time_wait);
    tcase_add_test(tc, congestion_is_granted_or_refused_with_the_allowed_list);
    tcase_add_test(tc, notsent_lowat_is_read_back_and_inherited);
    tcase_add_test(tc, bind_time_flag_on_a_bound_socket_is_warned_not_applied);
    tcase_add_loop_test(tc, bad_option_fails_before_the_socket_is_touched, 0,
                        (int)(sizeof bad_options / sizeof bad_options[0]));
    suite_add_tcase(s, tc);

    ns =
        tq_tcase_if(s, "options_in_namespace", tq_caps.netns && tq_caps.have_ss,
                    2, "needs a private network namespace and ss");
    if (ns != NULL) {
        tcase_set_timeout(ns, 30);
        tcase_add_test(ns, freebind_binds_an_address_not_configured);
        tcase_add_test(
            ns,
            fast_open_accepts_syn_data_and_warns_when_the_server_bit_is_off);
    }
    nft = tq_tcase_if(s, "silent_peer", tq_caps.netns && tq_caps.have_nft, 2,
                      "needs a private network namespace and nft");
    if (nft != NULL) {
        tcase_set_timeout(nft, 30);
        tcase_add_test(
            nft, keepalive_finds_a_silent_peer_at_idle_plus_intvl_times_cnt);
        tcase_add_test(nft, user_timeout_aborts_unacknowledged_data);
    }
    return s;
}
