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

/* ---- names whose first address is dead ------------------------------------
 */

enum how { BY_CONNECT, BY_DIAL }; /* tcpq_connect, or the tcpq_dial_* loop */

struct dead_first_case {
    const char *what;
    const char *name, *hosts; /* the name, and the /etc/hosts that has it */
    const char *dead;         /* nft drops SYNs to these ("all": the port) */
    const char *live;         /* the listener's address; NULL: none */
    enum tcpq_mode mode;
    int timeout_ms, fallback_delay_ms;
    enum how how;
    double min_ms, max_ms; /* the call's time, when it connects or fails */
    int python;            /* print CPython's create_connection beside it */
};

#define TWO "127.0.0.1 twoaddr\n127.0.0.2 twoaddr\n"
#define DUAL "::1 dual\n127.0.0.1 dual\n"
#define ALL "127.0.0.1 alldead\n::1 alldead\n127.0.0.3 alldead\n"
#define REFUSED "127.0.0.3 refused\n127.0.0.2 refused\n"

static const struct dead_first_case dead_first_cases[] = {
    /* strictly one at a time: the next once the kernel gives up (3 s) */
    {"sequential, blocking", "twoaddr", TWO, "127.0.0.1", "127.0.0.2",
     TCPQ_BLOCKING, 0, -1, BY_CONNECT, 2500, 6000, 1},
    {"sequential, timeout 10 s", "twoaddr", TWO, "127.0.0.1", "127.0.0.2",
     TCPQ_TIMEOUT, 10000, -1, BY_CONNECT, 2500, 6000, 0},
    {"sequential, timeout 1.5 s", "twoaddr", TWO, "127.0.0.1", NULL,
     TCPQ_TIMEOUT, 1500, -1, BY_CONNECT, 1500, 2200, 0},
    /* Happy Eyeballs: the next after the delay (250 ms) */
    {"happy eyeballs, blocking", "twoaddr", TWO, "127.0.0.1", "127.0.0.2",
     TCPQ_BLOCKING, 0, 0, BY_CONNECT, 250, 700, 1},
    {"happy eyeballs, timeout 10 s", "twoaddr", TWO, "127.0.0.1", "127.0.0.2",
     TCPQ_TIMEOUT, 10000, 0, BY_CONNECT, 250, 700, 0},
    {"happy eyeballs, 100 ms delay", "twoaddr", TWO, "127.0.0.1", "127.0.0.2",
     TCPQ_BLOCKING, 0, 100, BY_CONNECT, 100, 500, 0},
    {"happy eyeballs, IPv6 dead, IPv4 alive", "dual", DUAL, "::1", "127.0.0.1",
     TCPQ_BLOCKING, 0, 0, BY_CONNECT, 250, 700, 1},
    {"happy eyeballs, non-blocking (tcpq_dial)", "twoaddr", TWO, "127.0.0.1",
     "127.0.0.2", TCPQ_NONBLOCKING, 0, 0, BY_DIAL, 250, 700, 0},
    {"every address dead, timeout 1 s", "alldead", ALL, "all", NULL,
     TCPQ_TIMEOUT, 1000, 0, BY_CONNECT, 1000, 1400, 0},
    /* a refusal is known at once: no waiting for the delay */
    {"refused first", "refused", REFUSED, NULL, "127.0.0.2", TCPQ_BLOCKING, 0,
     0, BY_CONNECT, 0, 150, 0},
};

/* CPython's socket.create_connection on the same name: its time in ms,
   -1 when it failed, and what it printed. */
static double python_connects(const char *name, int port, char *line,
                              size_t cap)
{
    char cmd[512];
    FILE *p;
    double ms = -1;

    snprintf(cmd, sizeof cmd,
             "python3 -c 'import socket, time; t = time.monotonic(); "
             "s = socket.create_connection((\"%s\", %d), timeout=10); "
             "print(\"%%.0f ms to %%s\" %% ((time.monotonic() - t) * 1000, "
             "s.getpeername()[0]))' 2>&1",
             name, port);
    line[0] = '\0';
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    if (fgets(line, (int)cap, p) == NULL)
        snprintf(line, cap, "(no output)\n");
    if (pclose(p) == 0)
        ms = strtod(line, NULL);
    line[strcspn(line, "\n")] = '\0';
    return ms;
}

/* The dial loop an event loop would run, here with poll(). */
static int dial_until_done(const char *name, const char *port,
                           const struct tcpq_options *opt,
                           struct tcpq_report *rep)
{
    struct tcpq_dial *dial;
    int fd, rounds;

    if (tcpq_dial_start(name, port, opt, &dial, rep) < 0)
        return -1;
    for (rounds = 0; rounds < 1000; rounds++) {
        struct pollfd fds[8];
        int timeout, n = tcpq_dial_pollfds(dial, fds, 8, &timeout);
        if (n < 0)
            break;
        poll(fds, (nfds_t)n, timeout);
        fd = tcpq_dial_step(dial, rep);
        if (fd >= 0 || errno != EINPROGRESS) {
            int err = errno;
            tcpq_dial_free(dial);
            errno = err;
            return fd;
        }
    }
    tcpq_dial_free(dial);
    errno = EIO;
    return -1;
}

static int syn_sent_to(int port)
{
    char filter[64];

    snprintf(filter, sizeof filter, "state syn-sent '( dport = :%d )'", port);
    return tq_ss_count(filter);
}

static int dead_first_in_namespace(void *arg, char *why, size_t cap)
{
    const struct dead_first_case *c = arg;
    struct tcpq_options opt = tq_mode_options(c->mode, c->timeout_ms);
    struct tcpq_report rep;
    char port[16], want[64], peer[64], line[128], *dead, *next;
    int lfd, fd, err, fds, port_n;
    double start, elapsed, python_ms;

    if (tq_private_hosts(c->hosts, why, cap) < 0)
        return 1;
    /* the kernel gives a dead address up after 1 + 2 s */
    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_syn_retries", "1") == 0,
               "cannot set tcp_syn_retries");
    /* a port of its own: a listener if the case has a live address */
    lfd = tcpq_open_listener(c->live != NULL ? c->live : "127.0.0.9", "0", NULL,
                             &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    port_n = tq_port_of(lfd);
    snprintf(port, sizeof port, "%d", port_n);
    TQ_REQUIRE(tq_shell("nft add table inet tq && nft add chain inet tq out "
                        "'{ type filter hook output priority 0; }'") == 0,
               "nft table");
    if (c->dead != NULL && strcmp(c->dead, "all") == 0) {
        TQ_REQUIRE(
            tq_shell("nft add rule inet tq out tcp dport %s drop", port) == 0,
            "nft rule");
    } else if (c->dead != NULL) {
        TQ_REQUIRE(tq_shell("nft add rule inet tq out %s daddr %s tcp dport "
                            "%s drop",
                            strchr(c->dead, ':') ? "ip6" : "ip", c->dead,
                            port) == 0,
                   "nft rule");
    }
    if (c->live == NULL)
        close(lfd);
    opt.fallback_delay_ms = c->fallback_delay_ms;
    fds = tq_open_fds();
    start = tq_now_ms();
    fd = c->how == BY_DIAL ? dial_until_done(c->name, port, &opt, &rep)
                           : tcpq_connect(c->name, port, &opt, &rep);
    err = errno;
    elapsed = tq_now_ms() - start;
    printf("  %s: %s after %.0f ms (%d attempts)%s%s\n", c->what,
           fd >= 0 ? rep.address : strerror(err), elapsed, rep.attempts,
           fd >= 0 ? "" : ": ", fd >= 0 ? "" : rep.message);
    fflush(stdout);
    TQ_REQUIRE(elapsed >= c->min_ms && elapsed < c->max_ms,
               "%s: %.0f ms, want %.0f..%.0f", c->what, elapsed, c->min_ms,
               c->max_ms);
    if (c->live == NULL) {
        TQ_REQUIRE(fd == -1 && err == ETIMEDOUT, "%s: fd %d errno %d", c->what,
                   fd, err);
        /* every address tried is named, with its error */
        if (strcmp(c->dead, "all") == 0) {
            TQ_REQUIRE(rep.attempts == 3, "%d attempts, want 3", rep.attempts);
            char hosts[128];
            snprintf(hosts, sizeof hosts, "%s", c->hosts);
            for (dead = strtok_r(hosts, "\n", &next); dead != NULL;
                 dead = strtok_r(NULL, "\n", &next)) {
                *strchr(dead, ' ') = '\0';
                TQ_REQUIRE(strstr(rep.message, dead) != NULL,
                           "message lacks %s: %s", dead, rep.message);
            }
        } else {
            TQ_REQUIRE(strstr(rep.message, c->dead) != NULL,
                       "message lacks %s: %s", c->dead, rep.message);
        }
        if (tq_open_fds() != fds)
            tq_shell("ls -l /proc/%ld/fd /proc/%ld/task >&2", (long)getpid(),
                     (long)getpid());
        TQ_REQUIRE(tq_open_fds() == fds, "descriptor count changed");
        TQ_REQUIRE(syn_sent_to(port_n) == 0, "a SYN-SENT socket was left");
        return 0;
    }
    TQ_REQUIRE(fd >= 0, "%s: failed with errno %d: %s", c->what, err,
               rep.message);
    snprintf(want, sizeof want, "%s:%s", c->live, port);
    TQ_REQUIRE(peer_of(fd, peer, sizeof peer) == 0 && strcmp(peer, want) == 0,
               "%s: the kernel says the peer is %s, want %s", c->what, peer,
               want);
    TQ_REQUIRE(strcmp(rep.address, want) == 0, "report.address %s",
               rep.address);
    TQ_REQUIRE(tq_open_fds() == fds + 1, "%s: descriptor count %d, want %d",
               c->what, tq_open_fds(), fds + 1);
    /* the losers are closed: nothing half-open left here */
    TQ_REQUIRE(syn_sent_to(port_n) == 0, "%s: a SYN-SENT socket was left",
               c->what);
    if (c->python) {
        python_ms = python_connects(c->name, port_n, line, sizeof line);
        printf("  %s, side by side: libtcpq %.0f ms, CPython "
               "create_connection %s\n",
               c->what, elapsed, line);
        fflush(stdout);
        /* with the first address dead, Happy Eyeballs wins */
        if (c->fallback_delay_ms >= 0)
            TQ_REQUIRE(python_ms < 0 || elapsed < python_ms,
                       "libtcpq %.0f ms, CPython %.0f ms", elapsed, python_ms);
    }
    close(fd);
    close(lfd);
    return 0;
}

START_TEST(name_with_a_dead_first_address_connects_in_every_mode)
{
    tq_run_in_child(TQ_NS_NET | TQ_NS_MOUNT, dead_first_in_namespace,
                    (void *)&dead_first_cases[_i]);
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

/* ---- source address and device ------------------------------------------- */

START_TEST(source_address_is_the_one_the_server_sees)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    char port[16], text[32];
    int lfd, fd, server, fds;

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    memset(&opt, 0, sizeof opt);
    opt.source = "127.0.0.5";
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    ck_assert_msg(fd >= 0, "%s", rep.message);
    server = accept(lfd, (struct sockaddr *)&peer, &len);
    ck_assert_int_ge(server, 0);
    inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    ck_assert_str_eq(text, "127.0.0.5");
    close(server);
    close(fd);

    /* a source of the other family leaves no address to try */
    opt.source = "::1";
    fds = tq_open_fds();
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, EADDRNOTAVAIL);
    ck_assert_msg(
        strstr(rep.message, "no IPv6 address to go with source ::1") != NULL,
        "message: %s", rep.message);
    ck_assert_int_eq(tq_open_fds(), fds);
    close(lfd);
}
END_TEST

START_TEST(device_binds_the_socket_to_an_interface)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    char port[16], name[32] = "";
    socklen_t len = sizeof name;
    int lfd, fd, fds;

    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    memset(&opt, 0, sizeof opt);
    opt.device = "lo";
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    ck_assert_msg(fd >= 0, "%s", rep.message);
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name, &len),
                     0);
    ck_assert_str_eq(name, "lo");
    close(fd);
    opt.device = "nosuchdev0";
    fds = tq_open_fds();
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, ENODEV);
    ck_assert_msg(strstr(rep.message, "device nosuchdev0") != NULL,
                  "message: %s", rep.message);
    ck_assert_int_eq(tq_open_fds(), fds);
    close(lfd);
}
END_TEST

static const struct {
    const char *source, *device, *message;
} bad_client_options[] = {
    {"", NULL, "source \"\""},
    {"localhost", NULL, "source \"localhost\" is not a numeric"},
    {"127.0.0.1.2", NULL, "not a numeric IPv4 or IPv6 address"},
    {NULL, "", "device \"\""},
    {NULL, "abcdefghijklmnop", "1 to 15 characters"},
};

START_TEST(bad_source_or_device_fails_before_any_socket)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fds = tq_open_fds(), fd;

    memset(&opt, 0, sizeof opt);
    opt.source = bad_client_options[_i].source;
    opt.device = bad_client_options[_i].device;
    fd = tcpq_connect("127.0.0.1", "1", &opt, &rep);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_msg(strstr(rep.message, bad_client_options[_i].message) != NULL,
                  "message: %s", rep.message);
    ck_assert_int_eq(tq_open_fds(), fds);
    /* and on a listener, where they have no place */
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- the resolver within the deadline ----------------------------------- */

/* A resolver that never answers: a nameserver address in this namespace
   whose queries nft drops. The resolver's own timeout is 2 s; the
   caller's 300 ms must end the call. */
static int silent_resolver(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 300);
    struct tcpq_report rep;
    double start, elapsed;
    int fd, fds;

    (void)arg;
    if (tq_private_resolver("nameserver 10.53.0.1\noptions timeout:2 "
                            "attempts:1\n",
                            why, cap) < 0)
        return 1;
    TQ_REQUIRE(tq_shell("ip addr add 10.53.0.1/32 dev lo && nft add table "
                        "inet tq && nft add chain inet tq in '{ type filter "
                        "hook input priority 0; }' && nft add rule inet tq "
                        "in udp dport 53 drop && nft add rule inet tq in "
                        "tcp dport 53 drop") == 0,
               "setup failed");
    fds = tq_open_fds();
    start = tq_now_ms();
    fd = tcpq_connect("unanswered.example.test", "80", &opt, &rep);
    elapsed = tq_now_ms() - start;
    printf("  a resolver that never answers, timeout 300 ms: %s after %.0f "
           "ms (%s)\n",
           fd < 0 ? strerror(errno) : "connected", elapsed, rep.message);
    fflush(stdout);
    TQ_REQUIRE(fd == -1 && errno == ETIMEDOUT, "fd %d errno %d", fd, errno);
    TQ_REQUIRE(elapsed >= 300 && elapsed < 700, "%.0f ms, want about 300",
               elapsed);
    TQ_REQUIRE(strstr(rep.message, "no answer within the timeout") != NULL,
               "message: %s", rep.message);
    TQ_REQUIRE(tq_open_fds() <= fds + 1, /* the resolver's own socket */
               "descriptors: %d, were %d", tq_open_fds(), fds);
    /* the abandoned lookup ends on its own; this process goes on */
    tq_sleep_ms(2500);
    return 0;
}

START_TEST(timeout_bounds_a_resolver_that_never_answers)
{
    tq_run_in_child(TQ_NS_NET | TQ_NS_MOUNT, silent_resolver, NULL);
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

    names = tq_tcase_if(
        s, "two_address_names", tq_caps.mountns && tq_caps.have_nft,
        (int)(sizeof dead_first_cases / sizeof dead_first_cases[0]) + 2,
        "needs a private mount + network namespace and nft");
    if (names != NULL) {
        tcase_set_timeout(names, 30);
        tcase_add_loop_test(
            names, name_with_a_dead_first_address_connects_in_every_mode, 0,
            (int)(sizeof dead_first_cases / sizeof dead_first_cases[0]));
        tcase_add_test(names,
                       nonblocking_connect_skips_an_address_refused_at_once);
    }
    tcase_add_test(tc, source_address_is_the_one_the_server_sees);
    tcase_add_test(tc, device_binds_the_socket_to_an_interface);
    tcase_add_loop_test(
        tc, bad_source_or_device_fails_before_any_socket, 0,
        (int)(sizeof bad_client_options / sizeof bad_client_options[0]));
    if (names != NULL) {
        tcase_add_test(names, timeout_bounds_a_resolver_that_never_answers);
    }
    veth = tq_tcase_if(s, "link_local", tq_caps.veth && tq_caps.have_ss, 1,
                       "needs a veth pair in a private network namespace "
                       "(ip, the veth driver) and ss");
    if (veth != NULL)
        tcase_add_test(veth,
                       scoped_ipv6_addresses_are_reported_with_their_interface);
    return s;
}
