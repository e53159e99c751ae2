/* Fallbacks for what a platform file does not provide: each is compiled
   unless the file defines the matching OS_HAS_* macro before including
   this header. Included by exactly one os_<family>.c per build. */
#ifndef TCPQ_OS_GENERIC_H
#define TCPQ_OS_GENERIC_H

#include <errno.h>

#include "tcpq_internal.h"

#ifndef OS_HAS_BACKLOG_READBACK
int tcpq__os_backlog_in_force(int fd)
{
    (void)fd;
    return -1; /* the kernel does not tell */
}
#endif

#ifndef OS_HAS_TCP_STATE
int tcpq__os_tcp_state(int fd)
{
    (void)fd;
    return -1; /* SO_ACCEPTCONN and getpeername() are all there is */
}
#endif

#ifndef OS_HAS_ACCEPT_QUEUE
int tcpq__os_accept_queue(int fd, int *len, int *limit)
{
    (void)fd;
    *len = *limit = -1;
    errno = EOPNOTSUPP;
    return -1;
}
#endif

#ifndef OS_HAS_LISTEN_COUNTERS
void tcpq__os_listen_counters(long long *overflows, long long *drops)
{
    *overflows = *drops = -1;
}
#endif

#ifndef OS_HAS_QUEUE_RULES
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
#endif

#ifndef OS_HAS_FORCE_BUFFERS
int tcpq__os_force_buffer(int fd, int receive, int bytes)
{
    (void)fd;
    (void)receive;
    (void)bytes;
    errno = EOPNOTSUPP;
    return -1;
}
#endif

#ifndef OS_HAS_DEFER_ACCEPT
int tcpq__os_defer_accept(int fd, int seconds, int *held)
{
    (void)fd;
    (void)seconds;
    *held = -1;
    errno = EOPNOTSUPP;
    return -1;
}
#endif

#ifndef OS_HAS_FASTOPEN_SYSCTL
int tcpq__os_fastopen_sysctl(void)
{
    return -1;
}
#endif

#ifndef OS_HAS_CONGESTION_ALLOWED
int tcpq__os_congestion_allowed(char *buf, size_t cap)
{
    (void)buf;
    (void)cap;
    return -1;
}
#endif

#ifndef OS_HAS_BIND_DEVICE
int tcpq__os_bind_device(int fd, int family, const char *name)
{
    (void)fd;
    (void)family;
    (void)name;
    errno = EOPNOTSUPP;
    return -1;
}
#endif

#endif
