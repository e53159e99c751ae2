/* macOS / XNU: limits by sysctl and the single queue of bsd/kern
   uipc_socket2.c sonewconn_internal(). Untested here. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define OS_HAS_QUEUE_RULES
#define OS_HAS_BIND_DEVICE
#include "os_bsd_common.h"
#include "os_generic.h"

const struct tcpq__os_traits tcpq__os = {
    .name = "darwin",
    .queue_model = TCPQ_QUEUE_SINGLE,
    .somaxconn = "kern.ipc.somaxconn",
    .rmem_max = "kern.ipc.maxsockbuf",
    .wmem_max = "kern.ipc.maxsockbuf",
    .sysctl_set = "sysctl -w",
    .force_rcvbuf = "SO_RCVBUF (forced)",
    .force_sndbuf = "SO_SNDBUF (forced)",
    .bind_device = 1,
    .buffer_scale = 1,
};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread)
{
    if (want & (TCPQ__LIM_BACKLOG | TCPQ__LIM_LISTEN))
        limits_somaxconn(out, "kern.ipc.somaxconn", NULL, unread);
    if (want & TCPQ__LIM_BUFFERS)
        out->rmem_max = out->wmem_max =
            sysctl_int("kern.ipc.maxsockbuf", unread);
}

int tcpq__os_accept_queue_capacity(int backlog)
{
    /* incomplete + complete together are refused at >= qlimit */
    return backlog < 0 ? -1 : backlog;
}

int tcpq__os_syn_queue_capacity(int backlog, const struct tcpq_limits *lim)
{
    (void)lim;
    return backlog < 0 ? -1 : backlog; /* the same, shared queue */
}

int tcpq__os_bind_device(int fd, int family, const char *name)
{
    unsigned index = if_nametoindex(name);

    if (index == 0)
        return -1; /* ENXIO: no such interface */
    /* netinet/in.h: IP_BOUND_IF, IPV6_BOUND_IF take the interface index */
    return family == AF_INET6
               ? setsockopt(fd, IPPROTO_IPV6, IPV6_BOUND_IF, &index,
                            sizeof index)
               : setsockopt(fd, IPPROTO_IP, IP_BOUND_IF, &index, sizeof index);
}
