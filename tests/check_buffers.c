/* tcpq_set_buffers: caller's units vs the kernel's doubled figure, the
   rmem_max clamp, inheritance by accepted sockets, autotuning, FORCE. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"

static int tcp_socket(void)
{
    return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

START_TEST(rcvbuf_64k_reports_caller_units_and_kernel_figure)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd = tcp_socket();

    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = 65536;
    opt.sndbuf = 65536;
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    ck_assert_int_eq(rep.rcvbuf_requested, 65536);
    ck_assert_int_eq(rep.rcvbuf, 65536);
    ck_assert_int_eq(rep.rcvbuf_kernel,
                     tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF));
    ck_assert_int_eq(rep.rcvbuf_kernel, 131072); /* Linux doubles */
    ck_assert_int_eq(rep.sndbuf, 65536);
    ck_assert_int_eq(rep.sndbuf_kernel,
                     tq_getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF));
    ck_assert_uint_eq(rep.warnings, TCPQ_WARN_AUTOTUNING_OFF);
    ck_assert_ptr_nonnull(strstr(rep.message, "autotuning"));
    close(fd);
}
END_TEST

START_TEST(rcvbuf_above_rmem_max_is_clamped_and_names_sysctl)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    long rmem_max = tq_read_long("/proc/sys/net/core/rmem_max");
    long wmem_max = tq_read_long("/proc/sys/net/core/wmem_max");
    int fd = tcp_socket();
    char fix[80];

    ck_assert_int_gt(rmem_max, 0);
    ck_assert_int_lt(rmem_max, 0x20000000);
    ck_assert_int_gt(wmem_max, 0);
    ck_assert_int_lt(wmem_max, 0x20000000);
    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = (int)rmem_max * 2;
    opt.sndbuf = (int)wmem_max * 2;
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    /* measured: the kernel stores 2 * rmem_max */
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF),
                     2 * (int)rmem_max);
    ck_assert_int_eq(rep.rcvbuf, (int)rmem_max);
    ck_assert_int_eq(rep.sndbuf, (int)wmem_max);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_RCVBUF_CLAMPED, 0);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_SNDBUF_CLAMPED, 0);
    snprintf(fix, sizeof fix, "sysctl -w net.core.rmem_max=%d", opt.rcvbuf);
    ck_assert_msg(strstr(rep.message, fix) != NULL, "no '%s' in: %s", fix,
                  rep.message);
    close(fd);
}
END_TEST

/* Without FORCE, above the hard cap: the sysctl raises rmem_max only as
   far as the kernel can go, and the message says where that ends. */
START_TEST(rcvbuf_above_the_hard_cap_advises_only_what_helps)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    long rmem_max = tq_read_long("/proc/sys/net/core/rmem_max");
    int fd = tcp_socket();
    char fix[80];

    ck_assert_int_gt(rmem_max, 0);
    ck_assert_int_lt(rmem_max, INT_MAX / 2);
    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = INT_MAX;
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF),
                     2 * (int)rmem_max);
    snprintf(fix, sizeof fix, "sysctl -w net.core.rmem_max=%d", INT_MAX / 2);
    ck_assert_msg(strstr(rep.message, fix) != NULL, "no '%s' in: %s", fix,
                  rep.message);
    ck_assert_msg(strstr(rep.message, "hard limit") != NULL,
                  "the hard limit is not named: %s", rep.message);
    close(fd);
}
END_TEST

START_TEST(zero_leaves_buffers_untouched)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd = tcp_socket();
    int before_rcv = tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF);
    int before_snd = tq_getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF);

    memset(&opt, 0, sizeof opt);
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF), before_rcv);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF), before_snd);
    ck_assert_int_eq(rep.rcvbuf_requested, 0);
    ck_assert_int_eq(rep.rcvbuf_kernel, before_rcv);
    ck_assert_uint_eq(rep.warnings, 0);
    ck_assert_str_eq(rep.message, "");
    ck_assert_int_eq(tcpq_set_buffers(fd, NULL, NULL), 0);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF), before_rcv);
    close(fd);
}
END_TEST

START_TEST(accepted_socket_inherits_listener_buffers)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    long rmem_max = tq_read_long("/proc/sys/net/core/rmem_max");
    long wmem_max = tq_read_long("/proc/sys/net/core/wmem_max");
    int lfd, client, accepted;

    /* two sizes under this host's caps, unlike the defaults */
    ck_assert_int_gt(rmem_max, 20000);
    ck_assert_int_gt(wmem_max, 20000);
    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = (int)(rmem_max < 200000 ? rmem_max / 2 : 200000);
    opt.sndbuf = (int)(wmem_max < 300000 ? wmem_max / 2 : 300000);
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    client = tq_connect_nb(tq_port_of(lfd));
    accepted = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(accepted, 0);
    ck_assert_int_eq(tq_getsockopt_int(accepted, SOL_SOCKET, SO_RCVBUF),
                     rep.rcvbuf_kernel);
    ck_assert_int_eq(tq_getsockopt_int(accepted, SOL_SOCKET, SO_SNDBUF),
                     rep.sndbuf_kernel);
    ck_assert_int_eq(rep.rcvbuf, opt.rcvbuf);
    ck_assert_int_eq(rep.sndbuf, opt.sndbuf);
    close(accepted);
    close(client);
    close(lfd);
}
END_TEST

/* The window scale is fixed at the handshake: a small buffer set before
   connect() gives a smaller scale than the same buffer set after, which
   is what TCPQ_WARN_TOO_LATE warns about. */
START_TEST(buffers_after_handshake_warn_too_late)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct tcp_info early_info, late_info;
    socklen_t len = sizeof early_info;
    int lfd, early, late, a1, a2;

    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = 4096;
    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    ck_assert_int_ge(lfd, 0);

    early = tcp_socket();
    ck_assert_int_eq(tcpq_set_buffers(early, &opt, &rep), 0);
    ck_assert_uint_eq(rep.warnings & TCPQ_WARN_TOO_LATE, 0);
    {
        struct sockaddr_in sin;
        socklen_t sl = sizeof sin;
        getsockname(lfd, (struct sockaddr *)&sin, &sl);
        ck_assert_int_eq(connect(early, (struct sockaddr *)&sin, sl), 0);
        late = tcp_socket();
        ck_assert_int_eq(connect(late, (struct sockaddr *)&sin, sl), 0);
    }
    a1 = accept(lfd, NULL, NULL);
    a2 = accept(lfd, NULL, NULL);
    ck_assert_int_eq(tcpq_set_buffers(late, &opt, &rep), 0);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_TOO_LATE, 0);
    ck_assert_ptr_nonnull(strstr(rep.message, "before connect()"));

    ck_assert_int_eq(
        getsockopt(early, IPPROTO_TCP, TCP_INFO, &early_info, &len), 0);
    len = sizeof late_info;
    ck_assert_int_eq(getsockopt(late, IPPROTO_TCP, TCP_INFO, &late_info, &len),
                     0);
    ck_assert_msg(early_info.tcpi_rcv_wscale < late_info.tcpi_rcv_wscale,
                  "rcv_wscale early %u, late %u", early_info.tcpi_rcv_wscale,
                  late_info.tcpi_rcv_wscale);
    close(a1);
    close(a2);
    close(early);
    close(late);
    close(lfd);
}
END_TEST

/* Autotuning, measured: stream data through a pair and see whether the
   receiver's SO_RCVBUF grows. */
struct stream_arg {
    int fd;
    size_t bytes;
};

static void *send_stream(void *p)
{
    struct stream_arg *a = p;
    static char chunk[65536];
    size_t sent = 0;

    while (sent < a->bytes) {
        ssize_t n = send(a->fd, chunk, sizeof chunk, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    shutdown(a->fd, SHUT_WR);
    return NULL;
}

static int rcvbuf_after_stream(int rcvbuf)
{
    struct tcpq_options opt;
    struct stream_arg arg;
    pthread_t thread;
    int client, server;
    char buf[65536];

    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = rcvbuf;
    ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
    /* the setting is measured after the fact; TOO_LATE does not matter */
    ck_assert_int_eq(tcpq_set_buffers(server, &opt, NULL), 0);
    arg.fd = client;
    arg.bytes = 64u << 20;
    ck_assert_int_eq(pthread_create(&thread, NULL, send_stream, &arg), 0);
    while (recv(server, buf, sizeof buf, 0) > 0)
        ;
    pthread_join(thread, NULL);
    rcvbuf = tq_getsockopt_int(server, SOL_SOCKET, SO_RCVBUF);
    close(client);
    close(server);
    return rcvbuf;
}

START_TEST(zero_keeps_autotuning_fixed_size_stops_it)
{
    long tcp_rmem_default = -1;
    int autotuned, fixed;
    FILE *f = fopen("/proc/sys/net/ipv4/tcp_rmem", "r");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%*d %ld", &tcp_rmem_default), 1);
    fclose(f);
    autotuned = rcvbuf_after_stream(0);
    fixed = rcvbuf_after_stream(65536);
    ck_assert_msg(autotuned > tcp_rmem_default,
                  "rcvbuf 0: SO_RCVBUF %d did not grow past %ld", autotuned,
                  tcp_rmem_default);
    ck_assert_int_eq(fixed, 131072);
}
END_TEST

/* FORCE passes rmem_max with CAP_NET_ADMIN in the initial namespace... */
START_TEST(force_buffers_passes_rmem_max_when_privileged)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    long rmem_max = tq_read_long("/proc/sys/net/core/rmem_max");
    int fd = tcp_socket();

    ck_assert_int_gt(rmem_max, 0);
    ck_assert_int_lt(rmem_max, 0x10000000); /* 4 * rmem_max fits an int */
    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = (int)rmem_max * 2;
    opt.flags = TCPQ_FORCE_BUFFERS;
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF),
                     4 * (int)rmem_max);
    ck_assert_int_eq(rep.rcvbuf, opt.rcvbuf);
    ck_assert_uint_eq(rep.warnings & TCPQ_WARN_RCVBUF_CLAMPED, 0);
    close(fd);
}
END_TEST

/* Above the kernel's hard cap (INT_MAX / 2, before the doubling) no sysctl
   helps, FORCE or not: the report says so and names no sysctl. */
START_TEST(force_above_the_hard_cap_names_no_sysctl)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd = tcp_socket();

    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = INT_MAX;
    opt.sndbuf = INT_MAX;
    opt.flags = TCPQ_FORCE_BUFFERS;
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    /* measured: the kernel stores 2 * (INT_MAX / 2) */
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF),
                     2 * (INT_MAX / 2));
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_SNDBUF),
                     2 * (INT_MAX / 2));
    ck_assert_int_eq(rep.rcvbuf, INT_MAX / 2);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_RCVBUF_CLAMPED, 0);
    ck_assert_uint_ne(rep.warnings & TCPQ_WARN_SNDBUF_CLAMPED, 0);
    ck_assert_msg(strstr(rep.message, "sysctl") == NULL,
                  "a sysctl that cannot lift the cap: %s", rep.message);
    ck_assert_msg(strstr(rep.message, "hard limit") != NULL,
                  "the hard limit is not named: %s", rep.message);
    close(fd);
}
END_TEST

/* ... and fails with EPERM and a clear message without it. */
static int force_unprivileged(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd = tcp_socket();
    int before = tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF);
    int fds = tq_open_fds();

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = 1 << 20;
    opt.flags = TCPQ_FORCE_BUFFERS;
    TQ_REQUIRE(tcpq_set_buffers(fd, &opt, &rep) == -1 && errno == EPERM,
               "want EPERM, got errno %d", errno);
    TQ_REQUIRE(strstr(rep.message, "SO_RCVBUFFORCE") != NULL &&
                   strstr(rep.message, "CAP_NET_ADMIN") != NULL,
               "message: %s", rep.message);
    TQ_REQUIRE(tq_getsockopt_int(fd, SOL_SOCKET, SO_RCVBUF) == before,
               "buffer changed although the call failed");
    TQ_REQUIRE(tq_open_fds() == fds, "descriptor count changed");
    close(fd);
    return 0;
}

START_TEST(force_buffers_without_cap_net_admin_is_eperm)
{
    tq_run_in_child(TQ_NS_USER | TQ_NS_NET, force_unprivileged, NULL);
}
END_TEST

static int can_force_buffers(void)
{
    int fd = tcp_socket();
    int bytes = 65536;
    int ok = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes);

    close(fd);
    return ok == 0;
}

Suite *buffers_suite(void)
{
    Suite *s = suite_create("buffers");
    TCase *tc = tcase_create("sizes");
    TCase *tuning = tcase_create("autotuning");
    TCase *priv, *unpriv;

    tcase_add_test(tc, rcvbuf_64k_reports_caller_units_and_kernel_figure);
    tcase_add_test(tc, rcvbuf_above_rmem_max_is_clamped_and_names_sysctl);
    tcase_add_test(tc, rcvbuf_above_the_hard_cap_advises_only_what_helps);
    tcase_add_test(tc, zero_leaves_buffers_untouched);
    tcase_add_test(tc, accepted_socket_inherits_listener_buffers);
    tcase_add_test(tc, buffers_after_handshake_warn_too_late);
    suite_add_tcase(s, tc);

    tcase_set_timeout(tuning, 60);
    tcase_add_test(tuning, zero_keeps_autotuning_fixed_size_stops_it);
    suite_add_tcase(s, tuning);

    priv = tq_tcase_if(s, "force_privileged", can_force_buffers(), 2,
                       "SO_RCVBUFFORCE refused: no CAP_NET_ADMIN in the "
                       "initial user namespace");
    if (priv != NULL)
        tcase_add_test(priv, force_buffers_passes_rmem_max_when_privileged);
    if (priv != NULL)
        tcase_add_test(priv, force_above_the_hard_cap_names_no_sysctl);
    unpriv =
        tq_tcase_if(s, "force_unprivileged", tq_caps.userns && tq_caps.netns, 1,
                    "no user + network namespace can be made here");
    if (unpriv != NULL)
        tcase_add_test(unpriv, force_buffers_without_cap_net_admin_is_eperm);
    return s;
}
