/* Linux: limits from /proc/sys (the caller's network namespace), the
   backlog read back through TCP_INFO, and the queue rules of
   net/ipv4/tcp_input.c tcp_conn_request(). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

#include "tcpq_internal.h"

const struct tcpq__os_names tcpq__os = {"net.core.somaxconn",
                                        "net.core.rmem_max",
                                        "net.core.wmem_max",
                                        "net.ipv4.tcp_syncookies",
                                        2,
                                        "sysctl -w"};

static int read_int(const char *path, int *out)
{
    char buf[64];
    long n = tcpq__read_small_file(path, buf, sizeof buf);

    if (n < 0)
        return -1;
    return tcpq__parse_int(buf, (size_t)n, out);
}

static void read_int3(const char *path, int out[3])
{
    char buf[128];
    long n = tcpq__read_small_file(path, buf, sizeof buf);

    if (n < 0 || tcpq__parse_int3(buf, (size_t)n, out) < 0)
        out[0] = out[1] = out[2] = -1;
}

/* A figure that is absent or unreadable stays -1. */
static void read_or_unknown(const char *path, int *out)
{
    if (read_int(path, out) < 0)
        *out = -1;
}

void tcpq__os_limits(struct tcpq_limits *out, unsigned want)
{
    tcpq__limits_unknown(out, "linux", TCPQ_QUEUE_SPLIT);

    if (want & TCPQ__LIM_BACKLOG) {
        if (read_int("/proc/sys/net/core/somaxconn", &out->somaxconn) == 0 &&
            out->somaxconn >= 0) {
            out->somaxconn_runtime = 1;
        } else {
            out->somaxconn = SOMAXCONN;
            out->somaxconn_runtime = 0;
        }
        read_or_unknown("/proc/sys/net/ipv4/tcp_max_syn_backlog",
                        &out->max_syn_backlog);
        read_or_unknown("/proc/sys/net/ipv4/tcp_syncookies", &out->syncookies);
        read_or_unknown("/proc/sys/net/ipv4/tcp_abort_on_overflow",
                        &out->abort_on_overflow);
    }
    if ((want & TCPQ__LIM_LISTEN) && !(want & TCPQ__LIM_BACKLOG)) {
        /* the backlog is read back with TCP_INFO: no somaxconn needed */
        read_or_unknown("/proc/sys/net/ipv4/tcp_syncookies", &out->syncookies);
        if (out->syncookies == 0) /* M matters only without cookies */
            read_or_unknown("/proc/sys/net/ipv4/tcp_max_syn_backlog",
                            &out->max_syn_backlog);
    }
    if (want & TCPQ__LIM_BUFFERS) {
        read_or_unknown("/proc/sys/net/core/rmem_default", &out->rmem_default);
        read_or_unknown("/proc/sys/net/core/rmem_max", &out->rmem_max);
        read_or_unknown("/proc/sys/net/core/wmem_default", &out->wmem_default);
        read_or_unknown("/proc/sys/net/core/wmem_max", &out->wmem_max);
        read_int3("/proc/sys/net/ipv4/tcp_rmem", out->tcp_rmem);
        read_int3("/proc/sys/net/ipv4/tcp_wmem", out->tcp_wmem);
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
    long n =
        buf == NULL ? -1 : tcpq__read_small_file("/proc/net/netstat", buf, cap);

    if (n > 0)
        tcpq__parse_netstat(buf, (size_t)n, "TcpExt", names, 2, values);
    free(buf);
    *overflows = values[0];
    *drops = values[1];
}

int tcpq__os_is_idle(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 || len < 1)
        return -1;
    return info.tcpi_state == TCP_CLOSE || info.tcpi_state == TCP_LISTEN;
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

const char *tcpq__os_force_name(int receive)
{
    return receive ? "SO_RCVBUFFORCE" : "SO_SNDBUFFORCE";
}
