/* FreeBSD: limits by sysctl, the backlog read back with SO_LISTENQLIMIT,
   and sys/kern/uipc_socket.c's accept-queue rule (3B/2). Untested here. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#define OS_HAS_BACKLOG_READBACK
#define OS_HAS_QUEUE_RULES
#define OS_HAS_ACCEPT_QUEUE
#define OS_HAS_DEFER_ACCEPT
#include "os_bsd_common.h"
#include "os_generic.h"

const struct tcpq__os_traits tcpq__os = {
    .name = "freebsd",
    .queue_model = TCPQ_QUEUE_SPLIT,
    .somaxconn = "kern.ipc.soacceptqueue",
    .rmem_max = "kern.ipc.maxsockbuf",
    .wmem_max = "kern.ipc.maxsockbuf",
    .syncookies = "net.inet.tcp.syncookies",
    .sysctl_set = "sysctl",
    .force_rcvbuf = "SO_RCVBUF (forced)",
    .force_sndbuf = "SO_SNDBUF (forced)",
    .buffer_scale = 1,
    .defer_accept = 1,
    .defer_accept_label = "SO_ACCEPTFILTER dataready",
    .defer_accept_module = "kldload accf_data",
};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread)
{
    if (want & (TCPQ__LIM_BACKLOG | TCPQ__LIM_LISTEN)) {
        limits_somaxconn(out, "kern.ipc.soacceptqueue", "kern.ipc.somaxconn",
                         unread);
        out->max_syn_backlog =
            sysctl_int("net.inet.tcp.syncache.cachelimit", unread);
        out->syncookies = sysctl_int("net.inet.tcp.syncookies", unread);
    }
    if (want & TCPQ__LIM_BUFFERS) {
        /* kern.ipc.maxsockbuf is a u_long */
        u_long max = 0;
        size_t len = sizeof max;
        if (sysctlbyname("kern.ipc.maxsockbuf", &max, &len, NULL, 0) == 0 &&
            len == sizeof max && max <= 0x7fffffffUL)
            out->rmem_max = out->wmem_max = (int)max;
    }
}

int tcpq__os_backlog_in_force(int fd)
{
    int limit = -1;
    socklen_t len = sizeof limit;

    if (getsockopt(fd, SOL_SOCKET, SO_LISTENQLIMIT, &limit, &len) < 0)
        return -1;
    return limit;
}

int tcpq__os_accept_queue(int fd, int *len, int *limit)
{
    socklen_t size = sizeof *len;

    *len = *limit = -1;
    if (getsockopt(fd, SOL_SOCKET, SO_LISTENQLEN, len, &size) < 0)
        return -1;
    size = sizeof *limit;
    if (getsockopt(fd, SOL_SOCKET, SO_LISTENQLIMIT, limit, &size) < 0)
        return -1;
    return 0;
}

int tcpq__os_accept_queue_capacity(int backlog)
{
    /* sonewconn(): overflow when qlen > 3 * qlimit / 2 */
    if (backlog < 0 || backlog > 0x7fffffff / 3)
        return -1;
    return 3 * backlog / 2 + 1;
}

int tcpq__os_syn_queue_capacity(int backlog, const struct tcpq_limits *lim)
{
    (void)backlog;
    /* half-open connections live in the host-wide syncache */
    return lim->max_syn_backlog;
}

int tcpq__os_defer_accept(int fd, int seconds, int *held)
{
    struct accept_filter_arg filter;

    /* accf_data(9): a connection is handed to accept() once data has
       arrived; there is no timeout to hold. ENOENT: not loaded. */
    (void)seconds;
    *held = -1;
    memset(&filter, 0, sizeof filter);
    strcpy(filter.af_name, "dataready");
    return setsockopt(fd, SOL_SOCKET, SO_ACCEPTFILTER, &filter, sizeof filter);
}
