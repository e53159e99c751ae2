/* Any other POSIX system (NetBSD among them): the compile-time SOMAXCONN,
   marked as a guess. Untested here. */
#include <errno.h>
#include <sys/socket.h>

#include "tcpq_internal.h"

const struct tcpq__os_names tcpq__os = {"SOMAXCONN (compile-time)",
                                        "the socket buffer cap",
                                        "the socket buffer cap", NULL, 1};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want)
{
#ifdef __NetBSD__
    tcpq__limits_unknown(out, "netbsd", TCPQ_QUEUE_UNKNOWN);
#else
    tcpq__limits_unknown(out, "posix", TCPQ_QUEUE_UNKNOWN);
#endif
    out->somaxconn = SOMAXCONN;
    out->somaxconn_runtime = 0;
    (void)want;
}

int tcpq__os_backlog_in_force(int fd)
{
    (void)fd;
    return -1;
}

int tcpq__os_accept_queue_capacity(int backlog)
{
    (void)backlog;
    return -1;
}

int tcpq__os_syn_queue_capacity(int backlog, const struct tcpq_limits *lim)
{
    (void)backlog;
    (void)lim;
    return -1;
}

int tcpq__os_force_buffer(int fd, int receive, int bytes)
{
    (void)fd;
    (void)receive;
    (void)bytes;
    errno = EOPNOTSUPP;
    return -1;
}

const char *tcpq__os_force_name(int receive)
{
    return receive ? "SO_RCVBUF (forced)" : "SO_SNDBUF (forced)";
}
