/* macOS / XNU: limits by sysctl and the single queue of bsd/kern
   uipc_socket2.c sonewconn_internal(). Untested here. */
#include <errno.h>
#include <sys/socket.h>

#define OS_HAS_QUEUE_RULES
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
