/* Every malformed argument the public API can receive, in one table: each
   row fails with its errno (and, where the function has a report, a
   message), leaves the socket as it was (backlog, buffers, mode and
   flags, read back from the kernel) and the count of open descriptors
   unchanged. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mount.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_tcpq.h"

enum target {
    T_NONE,
    T_CLOSED,
    T_PIPE,
    T_UDP,
    T_UNIX,
    T_TCP,
    T_CONNECTED,
    T_CONNECTING,
    T_LISTENER /* listening, backlog 5 */
};
enum call {
    C_LISTEN,
    C_BUFFERS,
    C_MODE,
    C_GET_MODE,
    C_OPEN,
    C_CONNECT,
    C_CONNECT_FINISH,
    C_ACCEPT,
    C_ACCEPT_NO_ADDRLEN,
    C_RECV,
    C_RECV_NULL,
    C_SEND_ALL,
    C_SEND_ALL_NULL,
    C_SEND_ALL_EX,
    C_QUEUE_STATS,
    C_QUEUE_STATS_NULL,
    C_GET_LIMITS_NULL
};

/* the calls that take a report, so that a message is expected */
static int has_report(enum call c)
{
    return c == C_LISTEN || c == C_BUFFERS || c == C_OPEN || c == C_CONNECT;
}

static char long_text[1001]; /* 1000 characters: longer than any field */

struct bad_case {
    const char *name;
    enum call call;
    enum target target;
    struct tcpq_options opt;
    const char *host, *port; /* C_OPEN */
    int err;
    const char *message; /* a part the message must hold */
};

#define OPT(b, r, s, m, t, f)                                                  \
    {                                                                          \
        .backlog = (b), .rcvbuf = (r), .sndbuf = (s),                          \
        .mode = (enum tcpq_mode)(m), .timeout_ms = (t), .flags = (f)           \
    }
#define GOOD OPT(50, 65536, 0, TCPQ_BLOCKING, 0, 0)
#define FLAGGED OPT(50, 65536, 65536, TCPQ_TIMEOUT, 500, TCPQ_NODELAY)

static const struct bad_case bad_cases[] = {
    {"listen fd -1", C_LISTEN, T_NONE, GOOD, 0, 0, EBADF, "fd -1"},
    {"buffers fd -1", C_BUFFERS, T_NONE, GOOD, 0, 0, EBADF, "fd -1"},
    {"mode fd -1", C_MODE, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"get mode fd -1", C_GET_MODE, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"listen closed fd", C_LISTEN, T_CLOSED, GOOD, 0, 0, EBADF, "fd"},
    {"listen pipe", C_LISTEN, T_PIPE, GOOD, 0, 0, ENOTSOCK, "fd"},
    {"buffers pipe", C_BUFFERS, T_PIPE, GOOD, 0, 0, ENOTSOCK, "fd"},
    {"mode pipe", C_MODE, T_PIPE, GOOD, 0, 0, ENOTSOCK, NULL},
    {"listen udp", C_LISTEN, T_UDP, GOOD, 0, 0, EOPNOTSUPP, "not a TCP socket"},
    {"buffers udp", C_BUFFERS, T_UDP, GOOD, 0, 0, EOPNOTSUPP,
     "not a TCP socket"},
    {"listen unix stream", C_LISTEN, T_UNIX, GOOD, 0, 0, EOPNOTSUPP,
     "not a TCP socket"},
    {"negative rcvbuf", C_BUFFERS, T_TCP, OPT(0, -1, 0, 0, 0, 0), 0, 0, EINVAL,
     "rcvbuf -1"},
    {"negative sndbuf", C_LISTEN, T_TCP, OPT(0, 65536, -5, 0, 0, 0), 0, 0,
     EINVAL, "sndbuf -5"},
    {"unknown mode", C_LISTEN, T_TCP, OPT(0, 65536, 0, 7, 0, 0), 0, 0, EINVAL,
     "unknown mode 7"},
    {"unknown mode to set_mode", C_MODE, T_TCP, OPT(0, 0, 0, -1, 0, 0), 0, 0,
     EINVAL, NULL},
    {"unknown flag bits", C_LISTEN, T_TCP, OPT(0, 65536, 0, 0, 0, 1u << 20), 0,
     0, EINVAL, "unknown flag bits"},
    {"timeout 0 in TIMEOUT", C_LISTEN, T_TCP,
     OPT(0, 65536, 0, TCPQ_TIMEOUT, 0, 0), 0, 0, EINVAL, "timeout_ms 0"},
    {"timeout -5 in TIMEOUT", C_MODE, T_TCP, OPT(0, 0, 0, TCPQ_TIMEOUT, -5, 0),
     0, 0, EINVAL, NULL},
    {"listen on connected socket", C_LISTEN, T_CONNECTED, FLAGGED, 0, 0,
     EISCONN, "connected"},
    {"listen on connecting socket", C_LISTEN, T_CONNECTING, FLAGGED, 0, 0,
     EISCONN, "connecting"},
    {"port \" 99999\"", C_OPEN, T_NONE, GOOD, "127.0.0.1", " 99999", EINVAL,
     "port"},
    {"port \"+70000\"", C_OPEN, T_NONE, GOOD, "127.0.0.1", "+70000", EINVAL,
     "port"},
    {"port \"\"", C_OPEN, T_NONE, GOOD, "127.0.0.1", "", EINVAL, "port"},
    {"port \"80x\"", C_OPEN, T_NONE, GOOD, "127.0.0.1", "80x", EINVAL, "port"},
    {"NULL port", C_OPEN, T_NONE, GOOD, "127.0.0.1", NULL, EINVAL, "port NULL"},
    {"NULL host and port", C_OPEN, T_NONE, GOOD, NULL, NULL, EINVAL,
     "port NULL"},
    {"port 99999", C_OPEN, T_NONE, GOOD, "127.0.0.1", "99999", EINVAL,
     "port 99999"},
    {"unknown service name", C_OPEN, T_NONE, GOOD, "127.0.0.1",
     "no-such-service-tcpq", EINVAL, "getaddrinfo"},
    {"bad option to open_listener", C_OPEN, T_NONE, OPT(0, -1, 0, 0, 0, 0),
     "127.0.0.1", "0", EINVAL, "rcvbuf -1"},
    {"1000-digit port", C_OPEN, T_NONE, GOOD, "127.0.0.1", long_text, EINVAL,
     "port"},
    /* on a listener: its backlog must survive a refused call */
    {"listener: unknown flag", C_LISTEN, T_LISTENER,
     OPT(100, 0, 0, 0, 0, 1u << 9), 0, 0, EINVAL, "unknown flag bits"},
    {"listener: negative sndbuf", C_BUFFERS, T_LISTENER,
     OPT(0, 65536, -1, 0, 0, 0), 0, 0, EINVAL, "sndbuf -1"},
    {"listener: timeout 0", C_LISTEN, T_LISTENER,
     OPT(100, 65536, 0, TCPQ_TIMEOUT, 0, 0), 0, 0, EINVAL, "timeout_ms 0"},
    {"listener: unknown mode", C_MODE, T_LISTENER, OPT(0, 0, 0, 4, 0, 0), 0, 0,
     EINVAL, NULL},
    {"get mode pipe", C_GET_MODE, T_PIPE, GOOD, 0, 0, ENOTSOCK, NULL},
    {"get mode udp", C_GET_MODE, T_UDP, GOOD, 0, 0, EOPNOTSUPP, NULL},
    /* connect */
    {"connect host NULL", C_CONNECT, T_NONE, GOOD, NULL, "80", EINVAL,
     "host NULL"},
    {"connect port NULL", C_CONNECT, T_NONE, GOOD, "127.0.0.1", NULL, EINVAL,
     "port NULL"},
    {"connect port 99999", C_CONNECT, T_NONE, GOOD, "127.0.0.1", "99999",
     EINVAL, "port 99999"},
    {"connect negative rcvbuf", C_CONNECT, T_NONE, OPT(0, -1, 0, 0, 0, 0),
     "127.0.0.1", "9", EINVAL, "rcvbuf -1"},
    {"connect unknown mode", C_CONNECT, T_NONE, OPT(0, 0, 0, 9, 0, 0),
     "127.0.0.1", "9", EINVAL, "unknown mode 9"},
    {"connect timeout 0", C_CONNECT, T_NONE, OPT(0, 0, 0, TCPQ_TIMEOUT, 0, 0),
     "127.0.0.1", "9", EINVAL, "timeout_ms 0"},
    {"connect unknown flag", C_CONNECT, T_NONE, OPT(0, 0, 0, 0, 0, 1u << 31),
     "127.0.0.1", "9", EINVAL, "unknown flag bits"},
    {"connect_finish fd -1", C_CONNECT_FINISH, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"connect_finish timeout -5", C_CONNECT_FINISH, T_TCP, GOOD, 0, 0, EINVAL,
     NULL},
    /* accept */
    {"accept fd -1", C_ACCEPT, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"accept pipe", C_ACCEPT, T_PIPE, GOOD, 0, 0, ENOTSOCK, NULL},
    {"accept not listening", C_ACCEPT, T_TCP, GOOD, 0, 0, EINVAL, NULL},
    {"accept addr without addrlen", C_ACCEPT_NO_ADDRLEN, T_LISTENER, GOOD, 0, 0,
     EINVAL, NULL},
    /* recv and send_all */
    {"recv fd -1", C_RECV, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"recv pipe", C_RECV, T_PIPE, GOOD, 0, 0, ENOTSOCK, NULL},
    {"recv NULL buffer", C_RECV_NULL, T_CONNECTED, GOOD, 0, 0, EINVAL, NULL},
    {"send_all fd -1", C_SEND_ALL, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"send_all pipe", C_SEND_ALL, T_PIPE, GOOD, 0, 0, ENOTSOCK, NULL},
    {"send_all NULL buffer", C_SEND_ALL_NULL, T_CONNECTED, GOOD, 0, 0, EINVAL,
     NULL},
    {"send_all_ex closed fd", C_SEND_ALL_EX, T_CLOSED, GOOD, 0, 0, EBADF, NULL},
    /* queue telemetry and limits */
    {"queue_stats fd -1", C_QUEUE_STATS, T_NONE, GOOD, 0, 0, EBADF, NULL},
    {"queue_stats pipe", C_QUEUE_STATS, T_PIPE, GOOD, 0, 0, ENOTSOCK, NULL},
    {"queue_stats udp", C_QUEUE_STATS, T_UDP, GOOD, 0, 0, EOPNOTSUPP, NULL},
    {"queue_stats not listening", C_QUEUE_STATS, T_TCP, GOOD, 0, 0, EINVAL,
     NULL},
    {"queue_stats out NULL", C_QUEUE_STATS_NULL, T_LISTENER, GOOD, 0, 0, EINVAL,
     NULL},
    {"get_limits NULL", C_GET_LIMITS_NULL, T_NONE, GOOD, 0, 0, EINVAL, NULL},
};

static int make_target(enum target t, int *extra)
{
    int fds[2];
    int fd = -1;

    *extra = -1;
    switch (t) {
    case T_NONE:
        return -1;
    case T_CLOSED:
        fd = socket(AF_INET, SOCK_STREAM, 0);
        close(fd);
        return fd;
    case T_PIPE:
        ck_assert_int_eq(pipe(fds), 0);
        *extra = fds[1];
        return fds[0];
    case T_UDP:
        return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    case T_UNIX:
        return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    case T_TCP:
        return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    case T_CONNECTED: {
        int server, listener;
        ck_assert_int_eq(tq_connected_pair(&fd, &server, &listener), 0);
        close(listener);
        *extra = server;
        return fd;
    }
    case T_LISTENER:
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(listen(fd, 5), 0);
        return fd;
    case T_CONNECTING: {
        /* a listener whose accept queue is full leaves a connect pending */
        int listener = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
        int filler, i;
        ck_assert_int_ge(listener, 0);
        ck_assert_int_eq(listen(listener, 0), 0);
        filler = tq_connect_nb(tq_port_of(listener));
        usleep(50 * 1000);
        for (i = 0; i < 20 && fd < 0; i++) {
            fd = tq_connect_nb(tq_port_of(listener));
            usleep(20 * 1000);
        }
        *extra = listener;
        close(filler);
        return fd;
    }
    }
    return -1;
}

/* What must not change on a failed call. */
struct socket_state {
    int rcvbuf, sndbuf, fl, listening, reuseaddr, nodelay, backlog;
    struct timeval rcvtimeo, sndtimeo;
};

static struct socket_state state_of(int fd)
{
    struct socket_state st;
    socklen_t len = sizeof st.rcvtimeo;

    memset(&st, 0, sizeof st);
    getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &st.rcvtimeo, &len);
    len = sizeof st.sndtimeo;
    getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &st.sndtimeo, &len);
    st.reuseaddr = tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR);
    st.nodelay = tq_getsockopt_int(fd, IPPROTO_TCP, TCP_NODELAY);
    st.rcvbuf = tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF);
    st.sndbuf = tq_getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF);
    st.fl = fcntl(fd, F_GETFL);
    st.listening = tq_getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN);
    st.backlog = -1;
    if (st.listening == 1)
        tq_tcpi_listen(fd, NULL, &st.backlog);
    return st;
}

START_TEST(bad_input_fails_cleanly)
{
    const struct bad_case *c = &bad_cases[_i];
    struct tcpq_report rep;
    struct socket_state before, after;
    struct tcpq_queue_stats stats;
    struct sockaddr_storage peer;
    int extra, fd, rc, err, fds_before, fds_after;
    enum tcpq_mode mode;
    char buf[16] = "0123456789";
    size_t sent;
    int ms;

    memset(long_text, '7', sizeof long_text - 1);

    fd = make_target(c->target, &extra);
    if (c->target == T_NONE)
        fd = -1;
    before = state_of(fd);
    fds_before = tq_open_fds();
    memset(&rep, 0x5a, sizeof rep);
    errno = 0;
    switch (c->call) {
    case C_LISTEN:
        rc = tcpq_listen(fd, &c->opt, &rep);
        break;
    case C_BUFFERS:
        rc = tcpq_set_buffers(fd, &c->opt, &rep);
        break;
    case C_MODE:
        rc = tcpq_set_timeout_mode(fd, &c->opt);
        break;
    case C_GET_MODE:
        rc = tcpq_get_timeout_mode(fd, &mode, &ms);
        break;
    case C_OPEN:
        rc = tcpq_open_listener(c->host, c->port, &c->opt, &rep);
        break;
    case C_CONNECT:
        rc = tcpq_connect(c->host, c->port, &c->opt, &rep);
        break;
    case C_CONNECT_FINISH:
        rc = tcpq_connect_finish(fd, fd < 0 ? 0 : -5);
        break;
    case C_ACCEPT:
        rc = tcpq_accept(fd, NULL, NULL);
        break;
    case C_ACCEPT_NO_ADDRLEN:
        rc = tcpq_accept(fd, (struct sockaddr *)&peer, NULL);
        break;
    case C_RECV:
        rc = (int)tcpq_recv(fd, buf, sizeof buf);
        break;
    case C_RECV_NULL:
        rc = (int)tcpq_recv(fd, NULL, 5);
        break;
    case C_SEND_ALL:
        rc = (int)tcpq_send_all(fd, buf, sizeof buf);
        break;
    case C_SEND_ALL_NULL:
        rc = (int)tcpq_send_all(fd, NULL, 5);
        break;
    case C_SEND_ALL_EX:
        rc = tcpq_send_all_ex(fd, buf, sizeof buf, &sent);
        break;
    case C_QUEUE_STATS:
        rc = tcpq_queue_stats(fd, &stats);
        break;
    case C_QUEUE_STATS_NULL:
        rc = tcpq_queue_stats(fd, NULL);
        break;
    default:
        rc = tcpq_get_limits(NULL);
        break;
    }
    err = errno;
    fds_after = tq_open_fds();
    after = state_of(fd);

    ck_assert_msg(rc == -1, "%s: succeeded", c->name);
    ck_assert_msg(err == c->err, "%s: errno %d (%s), want %d (%s)", c->name,
                  err, strerror(err), c->err, strerror(c->err));
    ck_assert_msg(fds_after == fds_before,
                  "%s: %d descriptors before, %d after", c->name, fds_before,
                  fds_after);
    if (has_report(c->call)) {
        ck_assert_msg(strlen(rep.message) < sizeof rep.message &&
                          strlen(rep.address) < sizeof rep.address,
                      "%s: a report string overran its field", c->name);
        ck_assert_msg(memchr(rep.message, '\0', sizeof rep.message) != NULL,
                      "%s: message not terminated", c->name);
        if (strncmp(rep.message, "getaddrinfo", 11) != 0) /* gai text */
            ck_assert_msg(strstr(rep.message, strerror(c->err)) != NULL,
                          "%s: message lacks the reason: %s", c->name,
                          rep.message);
        if (c->message != NULL)
            ck_assert_msg(strstr(rep.message, c->message) != NULL,
                          "%s: message lacks '%s': %s", c->name, c->message,
                          rep.message);
        ck_assert_uint_eq(rep.warnings, 0);
    }
    ck_assert_msg(memcmp(&before, &after, sizeof before) == 0,
                  "%s: the socket changed although the call failed", c->name);
    if (fd >= 0)
        close(fd);
    if (extra >= 0)
        close(extra);
}
END_TEST

START_TEST(address_in_use_is_eaddrinuse_and_names_the_address)
{
    struct tcpq_report rep;
    char port[16], where[64];
    int first = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    int fds, second;

    ck_assert_int_ge(first, 0);
    snprintf(port, sizeof port, "%d", tq_port_of(first));
    snprintf(where, sizeof where, "bind 127.0.0.1:%s", port);
    fds = tq_open_fds();
    second = tcpq_open_listener("127.0.0.1", port, NULL, &rep);
    ck_assert_int_eq(second, -1);
    ck_assert_int_eq(errno, EADDRINUSE);
    ck_assert_msg(strstr(rep.message, where) != NULL, "message: %s",
                  rep.message);
    ck_assert_ptr_nonnull(strstr(rep.message, strerror(EADDRINUSE)));
    ck_assert_int_eq(tq_open_fds(), fds);
    close(first);
}
END_TEST

/* A name that does not resolve. In a private network and mount namespace
   with "hosts: files", so that no query leaves this machine. */
static int unresolvable(void *arg, char *why, size_t cap)
{
    struct tcpq_report rep;
    int fds, fd;

    (void)arg;
    if (tq_private_hosts("127.0.0.1 localhost\n", why, cap) < 0)
        return 1;
    fds = tq_open_fds();
    fd = tcpq_open_listener("no-such-host.invalid", "0", NULL, &rep);
    TQ_REQUIRE(fd == -1 && errno == EADDRNOTAVAIL,
               "fd %d errno %d, want EADDRNOTAVAIL", fd, errno);
    TQ_REQUIRE(strstr(rep.message, "getaddrinfo no-such-host.invalid") != NULL,
               "message: %s", rep.message);
    TQ_REQUIRE(tq_open_fds() == fds, "descriptor count changed");
    /* a 1000-character host: the message stays bounded and still says why */
    memset(long_text, 'h', sizeof long_text - 1);
    fd = tcpq_connect(long_text, "80", NULL, &rep);
    TQ_REQUIRE(fd == -1 && errno == EADDRNOTAVAIL,
               "1000-character host: fd %d errno %d", fd, errno);
    TQ_REQUIRE(strlen(rep.message) < sizeof rep.message &&
                   strstr(rep.message, "getaddrinfo hhhh") != NULL &&
                   strstr(rep.message, gai_strerror(EAI_NONAME)) != NULL,
               "message: %s", rep.message);
    TQ_REQUIRE(tq_open_fds() == fds, "descriptor count changed");
    return 0;
}

START_TEST(unresolvable_host_is_eaddrnotavail)
{
    tq_run_in_child(TQ_NS_NET | TQ_NS_MOUNT, unresolvable, NULL);
}
END_TEST

START_TEST(success_leaves_errno_alone)
{
    struct tcpq_report rep;
    int fd;

    errno = 4242;
    fd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(errno, 4242);
    ck_assert_int_eq(tcpq_listen(fd, NULL, NULL), 0);
    ck_assert_int_eq(tcpq_set_buffers(fd, NULL, NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(fd, NULL), 0);
    ck_assert_int_eq(errno, 4242);
    close(fd);
}
END_TEST

Suite *bad_input_suite(void)
{
    Suite *s = suite_create("bad_input");
    TCase *tc = tcase_create("bad_input");
    TCase *ns;

    tcase_add_loop_test(tc, bad_input_fails_cleanly, 0,
                        (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, address_in_use_is_eaddrinuse_and_names_the_address);
    tcase_add_test(tc, success_leaves_errno_alone);
    suite_add_tcase(s, tc);

    ns = tq_tcase_if(s, "resolution", tq_caps.mountns, 1,
                     "no private mount + network namespace can be made here");
    if (ns != NULL)
        tcase_add_test(ns, unresolvable_host_is_eaddrnotavail);
    return s;
}
