/* Linux: limits from /proc/sys (the caller's network namespace), the
   backlog read back through TCP_INFO, and the queue rules of
   net/ipv4/tcp_input.c tcp_conn_request(). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "tcpq_internal.h"

const struct tcpq__os_traits tcpq__os = {
    .name = "linux",
    .queue_model = TCPQ_QUEUE_SPLIT,
    .somaxconn = "net.core.somaxconn",
    .rmem_max = "net.core.rmem_max",
    .wmem_max = "net.core.wmem_max",
    .syncookies = "net.ipv4.tcp_syncookies",
    .sysctl_set = "sysctl -w",
    .force_rcvbuf = "SO_RCVBUFFORCE",
    .force_sndbuf = "SO_SNDBUFFORCE",
    .bind_device = 1,
    .buffer_scale = 2, /* the kernel doubles, getsockopt shows it */
    /* __sock_set_rcvbuf(): capped at INT_MAX / 2 before the doubling,
       FORCE or not */
    .buffer_hard_cap = 0x7fffffff / 2,
    .accept_honours_rcvtimeo = 1, /* inet_csk_accept() */
    .accepted_keeps_timeouts = 1, /* sk_clone_lock() */
    /* include/net/tcp.h MAX_TCP_KEEPIDLE, _KEEPINTVL, _KEEPCNT */
    .keepalive_idle_max = 32767,
    .keepalive_intvl_max = 32767,
    .keepalive_cnt_max = 127,
    .fastopen_qlen = 1,
    .fastopen_sysctl = "net.ipv4.tcp_fastopen",
    .defer_accept = 1,
    .defer_accept_label = "TCP_DEFER_ACCEPT",
    .freebind = 1,
    .congestion_allowed = "net.ipv4.tcp_allowed_congestion_control",
};

/* Reads /proc/sys/<name with '.' as '/'> into out[0..count-1]; on failure
   they stay -1 and, if it is the first failure, *unread names it. */
static int read_sysctl(const char *name, int *out, int count,
                       struct tcpq__unread *unread)
{
    char path[96], buf[128];
    long n;
    size_t i;
    int rc;

    snprintf(path, sizeof path, "/proc/sys/%s", name);
    for (i = sizeof "/proc/sys/" - 1; path[i] != '\0'; i++)
        if (path[i] == '.')
            path[i] = '/';
    n = tcpq__read_small_file(path, buf, sizeof buf);
    if (n < 0)
        rc = -1;
    else if (count == 3)
        rc = tcpq__parse_int3(buf, (size_t)n, out);
    else
        rc = tcpq__parse_int(buf, (size_t)n, out);
    if (rc < 0) {
        int i3;
        if (unread != NULL && unread->name == NULL) {
            unread->name = name;
            unread->err = errno;
        }
        for (i3 = 0; i3 < count; i3++)
            out[i3] = -1;
    }
    return rc;
}

void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread)
{

    if (want & TCPQ__LIM_BACKLOG) {
        if (read_sysctl("net.core.somaxconn", &out->somaxconn, 1, unread) ==
                0 &&
            out->somaxconn >= 0) {
            out->somaxconn_runtime = 1;
        } else {
            out->somaxconn = SOMAXCONN;
            out->somaxconn_runtime = 0;
        }
        read_sysctl("net.ipv4.tcp_max_syn_backlog", &out->max_syn_backlog, 1,
                    unread);
        read_sysctl("net.ipv4.tcp_syncookies", &out->syncookies, 1, unread);
        read_sysctl("net.ipv4.tcp_abort_on_overflow", &out->abort_on_overflow,
                    1, unread);
    }
    if ((want & TCPQ__LIM_LISTEN_REPORT) && !(want & TCPQ__LIM_BACKLOG)) {
        /* the backlog is read back with TCP_INFO: no somaxconn needed;
           the SYN queue's figures only for a report */
        read_sysctl("net.ipv4.tcp_syncookies", &out->syncookies, 1, unread);
        if (out->syncookies == 0) /* M matters only without cookies */
            read_sysctl("net.ipv4.tcp_max_syn_backlog", &out->max_syn_backlog,
                        1, unread);
    }
    if (want & TCPQ__LIM_OPTIONS) {
        char cc[64];
        long n;
        read_sysctl("net.ipv4.tcp_keepalive_time", &out->keepalive_time_s, 1,
                    unread);
        read_sysctl("net.ipv4.tcp_keepalive_intvl", &out->keepalive_intvl_s, 1,
                    unread);
        read_sysctl("net.ipv4.tcp_keepalive_probes", &out->keepalive_probes, 1,
                    unread);
        read_sysctl("net.ipv4.tcp_fastopen", &out->fastopen, 1, unread);
        read_sysctl("net.ipv4.tcp_notsent_lowat", &out->notsent_lowat, 1,
                    unread);
        n = tcpq__read_small_file("/proc/sys/net/ipv4/tcp_congestion_control",
                                  cc, sizeof cc);
        while (n > 0 && (cc[n - 1] == '\n' || cc[n - 1] == ' '))
            cc[--n] = '\0';
        if (n > 0 && (size_t)n < sizeof out->congestion)
            memcpy(out->congestion, cc, (size_t)n + 1);
    }
    if (want & TCPQ__LIM_BUFFERS) {
        read_sysctl("net.core.rmem_default", &out->rmem_default, 1, unread);
        read_sysctl("net.core.rmem_max", &out->rmem_max, 1, unread);
        read_sysctl("net.core.wmem_default", &out->wmem_default, 1, unread);
        read_sysctl("net.core.wmem_max", &out->wmem_max, 1, unread);
        read_sysctl("net.ipv4.tcp_rmem", out->tcp_rmem, 3, unread);
        read_sysctl("net.ipv4.tcp_wmem", out->tcp_wmem, 3, unread);
    }
}

int tcpq__os_backlog_in_force(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 ||
        len <
            offsetof(struct tcp_info, tcpi_sacked) + sizeof info.tcpi_sacked ||
        info.tcpi_state != TCP_LISTEN)
        return -1;
    /* tcp_get_info(): on a listener tcpi_sacked is sk_max_ack_backlog */
    return info.tcpi_sacked > (unsigned)0x7fffffff ? -1 : (int)info.tcpi_sacked;
}

int tcpq__os_accept_queue(int fd, int *len, int *limit)
{
    struct tcp_info info;
    socklen_t size = sizeof info;

    *len = *limit = -1;
    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) < 0)
        return -1;
    if (info.tcpi_state != TCP_LISTEN) {
        errno = EINVAL;
        return -1;
    }
    /* tcp_get_info(): on a listener, unacked is the accept queue's length
       and sacked its limit */
    *len = (int)info.tcpi_unacked;
    *limit = (int)info.tcpi_sacked;
    return 0;
}

void tcpq__os_listen_counters(long long *overflows, long long *drops)
{
    static const char *const names[] = {"ListenOverflows", "ListenDrops"};
    long long values[2] = {-1, -1};
    size_t cap = 65536;
    char *buf = malloc(cap);
    long n = -1;

    /* /proc/net is the thread-group leader's network namespace; a thread
       that unshared its own sees that one only under /proc/thread-self
       (Linux >= 3.17): read it there, and /proc/net where it is absent */
    if (buf != NULL) {
        n = tcpq__read_small_file("/proc/thread-self/net/netstat", buf, cap);
        if (n < 0 && errno == ENOENT)
            n = tcpq__read_small_file("/proc/net/netstat", buf, cap);
    }

    if (n > 0)
        tcpq__parse_netstat(buf, (size_t)n, "TcpExt", names, 2, values);
    free(buf);
    *overflows = values[0];
    *drops = values[1];
}

int tcpq__os_tcp_state(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 || len < 1)
        return -1;
    if (info.tcpi_state == TCP_LISTEN)
        return TCPQ__LISTENING;
    return info.tcpi_state == TCP_CLOSE ? TCPQ__IDLE : TCPQ__CONNECTED;
}

int tcpq__os_accept_queue_capacity(int backlog)
{
    /* sk_acceptq_is_full(): full when the queue length exceeds backlog */
    return backlog < 0 || backlog == 0x7fffffff ? -1 : backlog + 1;
}

/* Kernel major.minor from uname, compared as numbers; 0 when unknown. */
static long kernel_version(void)
{
    struct utsname uts;
    char *end;
    long major, minor;

    if (uname(&uts) < 0)
        return 0;
    major = strtol(uts.release, &end, 10);
    if (*end != '.')
        return 0;
    minor = strtol(end + 1, &end, 10);
    return major * 1000 + minor;
}

int tcpq__os_syn_queue_capacity(int backlog, const struct tcpq_limits *lim)
{
    long version = kernel_version();
    long queue_full_at; /* stored requests when new ones stop being stored */
    long capacity;
    int m = lim->max_syn_backlog;

    if (backlog < 0 || lim->syncookies < 0 || version == 0)
        return -1;
    if (lim->syncookies == 2)
        return 0; /* every SYN answered with a cookie; nothing stored */
    /* inet_csk_reqsk_queue_is_full(): Q > B since 6.13, Q >= B before */
    queue_full_at = version >= 6013 ? (long)backlog + 1 : (long)backlog;
    capacity = queue_full_at;
    if (lim->syncookies == 0 && m >= 0) {
        /* stored while M - Q >= M/4: for peers without TCP metrics the
           queue stops at M - M/4 + 1 */
        long by_max = (long)m - (m >> 2) + 1;
        if (by_max < capacity)
            capacity = by_max;
    }
    return capacity > 0x7fffffff ? -1 : (int)capacity;
}

int tcpq__os_force_buffer(int fd, int receive, int bytes)
{
    return setsockopt(fd, SOL_SOCKET, receive ? SO_RCVBUFFORCE : SO_SNDBUFFORCE,
                      &bytes, sizeof bytes);
}

int tcpq__os_defer_accept(int fd, int seconds, int *held)
{
    socklen_t len = sizeof *held;

    /* stored as SYN-ACK retransmissions: read back rounded up to the
       retransmission schedule (5 s holds as 7) */
    if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds,
                   sizeof seconds) < 0 ||
        getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, held, &len) < 0)
        return -1;
    return 0;
}

int tcpq__os_fastopen_sysctl(void)
{
    int value;

    return read_sysctl("net.ipv4.tcp_fastopen", &value, 1, NULL) < 0 ? -1
                                                                     : value;
}

int tcpq__os_congestion_allowed(char *buf, size_t cap)
{
    long n = tcpq__read_small_file(
        "/proc/sys/net/ipv4/tcp_allowed_congestion_control", buf, cap);

    if (n < 0)
        return -1;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 0;
}

int tcpq__os_bind_device(int fd, int family, const char *name)
{
    (void)family;
    return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name,
                      (socklen_t)strlen(name) + 1);
}
