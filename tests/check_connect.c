/* tcpq_connect and tcpq_connect_finish: every address of a name tried in
   every mode, outcomes confirmed by the kernel (getpeername, the listener's
   accept queue, send), and addresses with an IPv6 scope printed whole.
   Names resolve from a private /etc/hosts in a mount + network namespace;
   nftables drops the packets of a dead address. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"

/* The peer's numeric address and port, "127.0.0.2:41000" or "[::1]:80";
   as the kernel tells it with getpeername. */
static int peer_of(int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN];

    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        snprintf(buf, cap, "%s:%d", host, ntohs(sin->sin_port));
    } else {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        snprintf(buf, cap, "[%s]:%d", host, ntohs(sin6->sin6_port));
    }
    return 0;
}

/* A port that was free a moment ago on 127.0.0.1 and has no listener. */
static int closed_port(void)
{
    struct sockaddr_in sin;
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int port;

    ck_assert_int_ge(probe, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(probe, (struct sockaddr *)&sin, sizeof sin), 0);
    port = tq_port_of(probe);
    close(probe);
    return port;
}

/* ---- the first address times out: the next one is still tried ---------- */

struct fallback_case {
    enum tcpq_mode mode;
    int timeout_ms;
    int connects; /* 1: reaches 127.0.0.2; 0: the deadline ends it first */
};

static const struct fallback_case fallback_cases[] = {
    {TCPQ_BLOCKING, 0, 1},
    {TCPQ_TIMEOUT, 10000, 1},
    {TCPQ_TIMEOUT, 1500, 0},
};

/* CPython's socket.create_connection on the same name, for the record. */
static void python_side_by_side(int port, double ours_ms)
{
    char cmd[512];
    FILE *p;
    char line[128] = "";

    snprintf(cmd, sizeof cmd,
             "python3 -c 'import socket, time; t = time.monotonic(); "
             "s = socket.create_connection((\"twoaddr\", %d), timeout=10); "
             "print(\"%%.0f ms to %%s\" %% ((time.monotonic() - t) * 1000, "
             "s.getpeername()[0]))' 2>&1",
             port);
    p = popen(cmd, "r");
    if (p == NULL)
        return;
    if (fgets(line, sizeof line, p) == NULL)
        snprintf(line, sizeof line, "(no output)\n");
    pclose(p);
    printf("  connect fallback, first address dead (tcp_syn_retries=1): "
           "libtcpq blocking %.0f ms to 127.0.0.2; CPython create_connection "
           "%s",
           ours_ms, line);
    fflush(stdout);
}

static int falls_back_in_namespace(void *arg, char *why, size_t cap)
{
    const struct fallback_case *c = arg;
    struct tcpq_options opt = tq_mode_options(c->mode, c->timeout_ms);
    struct tcpq_report rep;
    char port[16], want[64], peer[64];
    int lfd, fd, err, fds;
    double start, elapsed;

    if (tq_private_hosts("127.0.0.1 twoaddr\n127.0.0.2 twoaddr\n", why, cap) <
        0)
        return 1;
    /* the kernel gives a dead address up after 1 + 2 s */
    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_syn_retries", "1") == 0,
               "cannot set tcp_syn_retries");
    lfd = tcpq_open_listener("127.0.0.2", "0", NULL, &rep);
    TQ_REQUIRE(lfd >= 0, "listener on 127.0.0.2: %s", rep.message);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    TQ_REQUIRE(tq_shell("nft add table ip tq && nft add chain ip tq out "
                        "'{ type filter hook output priority 0; }' && nft add "
                        "rule ip tq out ip daddr 127.0.0.1 tcp dport %s drop",
                        port) == 0,
               "nft rule failed");
    fds = tq_open_fds();
    start = tq_now_ms();
    fd = tcpq_connect("twoaddr", port, &opt, &rep);
    err = errno;
    elapsed = tq_now_ms() - start;
    if (!c->connects) {
        TQ_REQUIRE(fd == -1 && err == ETIMEDOUT,
                   "timeout %d ms: fd %d errno %d (%s)", c->timeout_ms, fd, err,
                   strerror(err));
        TQ_REQUIRE(elapsed >= c->timeout_ms && elapsed < c->timeout_ms + 700,
                   "a %d ms timeout took %.0f ms", c->timeout_ms, elapsed);
        snprintf(want, sizeof want, "connect 127.0.0.1:%s", port);
        TQ_REQUIRE(strstr(rep.message, want) != NULL, "message: %s",
                   rep.message);
        TQ_REQUIRE(tq_open_fds() == fds, "descriptor count changed");
        close(lfd);
        return 0;
    }
    TQ_REQUIRE(fd >= 0,
               "mode %d: 127.0.0.2 never tried; failed after %.0f ms with "
               "errno %d: %s",
               (int)c->mode, elapsed, err, rep.message);
    snprintf(want, sizeof want, "127.0.0.2:%s", port);
    TQ_REQUIRE(peer_of(fd, peer, sizeof peer) == 0 && strcmp(peer, want) == 0,
               "the kernel says the peer is %s", peer);
    TQ_REQUIRE(strcmp(rep.address, want) == 0, "report.address %s",
               rep.address);
    /* the first address was given up by the kernel, not by a deadline */
    TQ_REQUIRE(elapsed >= 2500 && elapsed < 6000,
               "connected after %.0f ms; the kernel gives up on 127.0.0.1 "
               "after about 3000 ms",
               elapsed);
    TQ_REQUIRE(tq_open_fds() == fds + 1, "descriptor count: %d, want %d",
               tq_open_fds(), fds + 1);
    if (c->mode == TCPQ_BLOCKING)
        python_side_by_side(tq_port_of(lfd), elapsed);
    close(fd);
    close(lfd);
    return 0;
}

START_TEST(connect_tries_the_next_address_after_one_times_out)
{
    tq_run_in_child(TQ_NS_NET | TQ_NS_MOUNT, falls_back_in_namespace,
                    (void *)&fallback_cases[_i]);
}
END_TEST

/* ---- non-blocking: an address refused at once is skipped ---------------- */

static int nonblocking_skips_refused(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);
    struct tcpq_report rep;
    struct pollfd pfd;
    char port[16], want[64], peer[64];
    int lfd, fd, accepted;

    (void)arg;
    if (tq_private_hosts("::1 dual\n127.0.0.1 dual\n", why, cap) < 0)
        return 1;
    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    fd = tcpq_connect("dual", port, &opt, &rep);
    TQ_REQUIRE(fd >= 0, "connect: %s", rep.message);
    TQ_REQUIRE(tcpq_connect_finish(fd, 2000) == 0,
               "connect_finish: %s (report.address %s)", strerror(errno),
               rep.address);
    snprintf(want, sizeof want, "127.0.0.1:%s", port);
    TQ_REQUIRE(peer_of(fd, peer, sizeof peer) == 0 && strcmp(peer, want) == 0,
               "the kernel says the peer is %s", peer);
    TQ_REQUIRE(strcmp(rep.address, want) == 0, "report.address %s",
               rep.address);
    pfd.fd = lfd;
    pfd.events = POLLIN;
    TQ_REQUIRE(poll(&pfd, 1, 2000) == 1, "nothing in the accept queue");
    accepted = accept(lfd, NULL, NULL);
    TQ_REQUIRE(accepted >= 0, "accept: %s", strerror(errno));
    close(accepted);
    close(fd);
    close(lfd);
    return 0;
}

START_TEST(nonblocking_connect_skips_an_address_refused_at_once)
{
    tq_run_in_child(TQ_NS_NET | TQ_NS_MOUNT, nonblocking_skips_refused, NULL);
}
END_TEST

/* ---- connect_finish: connected means the kernel has a peer --------------- */

START_TEST(connect_finish_never_calls_a_failed_connect_connected)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int rc, err;

    ck_assert_int_ge(fd, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)closed_port());
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&sin, sizeof sin);
    ck_assert_msg(rc == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED),
                  "connect: %d, %s", rc, strerror(errno));
    if (errno == EINPROGRESS) {
        ck_assert_int_eq(tcpq_connect_finish(fd, 2000), -1);
        ck_assert_msg(errno == ECONNREFUSED, "first call: %s", strerror(errno));
    }
    /* the error was read (and cleared): still not connected */
    rc = tcpq_connect_finish(fd, 0);
    err = errno;
    ck_assert_msg(rc == -1, "a refused connect reported as connected");
    ck_assert_msg(err == ENOTCONN, "second call: %s", strerror(err));
    /* the kernel agrees: no peer, and a send fails */
    ck_assert_int_eq(
        getpeername(fd, (struct sockaddr *)&sin, &(socklen_t){sizeof sin}), -1);
    ck_assert_int_eq(errno, ENOTCONN);
    ck_assert_int_eq(send(fd, "x", 1, MSG_NOSIGNAL), -1);
    close(fd);
}
END_TEST

START_TEST(connect_finish_on_a_socket_that_never_connected_is_enotconn)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc, err;

    ck_assert_int_ge(fd, 0);
    rc = tcpq_connect_finish(fd, 0);
    err = errno;
    ck_assert_msg(rc == -1, "an unconnected socket reported as connected");
    ck_assert_msg(err == ENOTCONN, "errno %s", strerror(err));
    close(fd);
}
END_TEST

/* ---- link-local IPv6: the scope is part of the address ------------------- */

/* The longest a kernel-given address can print: 39 characters of
   link-local address (fe80::/10 with every group written), "%", an
   interface name of IFNAMSIZ - 1 characters; "[...]:65535" fills
   report.address (64 bytes) to its last byte. */
#define LONG_IFNAME "abcdefghijklmno"
#define LONG_LL "fe80:1111:2222:3333:aaaa:bbbb:cccc:dddd"

static int scoped_addresses(void *arg, char *why, size_t cap)
{
    struct tcpq_report rep;
    char port[16], want[96], ss_line[96];
    int lfd, fd, closed;

    (void)arg;
    TQ_REQUIRE(tq_shell("ip link add " LONG_IFNAME " type veth peer name p0 &&"
                        " ip link set " LONG_IFNAME " up && ip link set p0 up"
                        " && ip addr add " LONG_LL "/64 dev " LONG_IFNAME
                        " nodad && ip addr add fe80:1111:2222:3333::2/64 dev"
                        " p0 nodad") == 0,
               "veth setup failed");
    lfd = tcpq_open_listener(LONG_LL "%" LONG_IFNAME, "0", NULL, &rep);
    TQ_REQUIRE(lfd >= 0, "listen on " LONG_LL "%%" LONG_IFNAME ": %s",
               rep.message);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    snprintf(want, sizeof want, "[" LONG_LL "%%" LONG_IFNAME "]:%s", port);
    TQ_REQUIRE(strcmp(rep.address, want) == 0, "report.address \"%s\", want %s",
               rep.address, want);
    /* ss names the same address and interface */
    snprintf(ss_line, sizeof ss_line, "[" LONG_LL "]%%" LONG_IFNAME ":%s",
             port);
    TQ_REQUIRE(tq_shell("ss -Hltn | grep -qF '%s'", ss_line) == 0,
               "ss shows no listener %s", ss_line);

    /* across the veth pair, from the other end */
    fd = tcpq_connect(LONG_LL "%p0", port, NULL, &rep);
    TQ_REQUIRE(fd >= 0, "connect: %s", rep.message);
    snprintf(want, sizeof want, "[" LONG_LL "%%p0]:%s", port);
    TQ_REQUIRE(strcmp(rep.address, want) == 0, "report.address \"%s\", want %s",
               rep.address, want);
    close(fd);

    /* a refusal names the address it was refused on */
    closed = tq_port_of(lfd);
    close(lfd);
    snprintf(port, sizeof port, "%d", closed);
    fd = tcpq_connect(LONG_LL "%" LONG_IFNAME, port, NULL, &rep);
    TQ_REQUIRE(fd == -1 && errno == ECONNREFUSED, "fd %d errno %d", fd, errno);
    snprintf(want, sizeof want, "connect [" LONG_LL "%%" LONG_IFNAME "]:%s: %s",
             port, strerror(ECONNREFUSED));
    TQ_REQUIRE(strcmp(rep.message, want) == 0, "message \"%s\", want \"%s\"",
               rep.message, want);
    return 0;
}

START_TEST(scoped_ipv6_addresses_are_reported_with_their_interface)
{
    tq_run_in_child(TQ_NS_NET, scoped_addresses, NULL);
}
END_TEST

Suite *connect_suite(void)
{
    Suite *s = suite_create("connect");
    TCase *tc = tcase_create("connect_finish");
    TCase *names, *veth;

    tcase_add_test(tc, connect_finish_never_calls_a_failed_connect_connected);
    tcase_add_test(tc,
                   connect_finish_on_a_socket_that_never_connected_is_enotconn);
    suite_add_tcase(s, tc);

    names =
        tq_tcase_if(s, "two_address_names", tq_caps.mountns && tq_caps.have_nft,
                    (int)(sizeof fallback_cases / sizeof fallback_cases[0]) + 1,
                    "needs a private mount + network namespace and nft");
    if (names != NULL) {
        tcase_set_timeout(names, 30);
        tcase_add_loop_test(
            names, connect_tries_the_next_address_after_one_times_out, 0,
            (int)(sizeof fallback_cases / sizeof fallback_cases[0]));
        tcase_add_test(names,
                       nonblocking_connect_skips_an_address_refused_at_once);
    }
    veth = tq_tcase_if(s, "link_local", tq_caps.veth && tq_caps.have_ss, 1,
                       "needs a veth pair in a private network namespace "
                       "(ip, the veth driver) and ss");
    if (veth != NULL)
        tcase_add_test(veth,
                       scoped_ipv6_addresses_are_reported_with_their_interface);
    return s;
}
