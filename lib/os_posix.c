/* Any other POSIX system (NetBSD among them): the compile-time SOMAXCONN,
   marked as a guess. Untested here. */
#include <errno.h>
#include <sys/socket.h>

#include "os_generic.h"

const struct tcpq__os_traits tcpq__os = {
#ifdef __NetBSD__
    .name = "netbsd",
#else
    .name = "posix",
#endif
    .queue_model = TCPQ_QUEUE_UNKNOWN,
    .force_rcvbuf = "SO_RCVBUF (forced)",
    .force_sndbuf = "SO_SNDBUF (forced)",
    .buffer_scale = 1,
};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread)
{
    out->somaxconn = SOMAXCONN;
    out->somaxconn_runtime = 0;
    if (unread != NULL)
        unread->name = NULL; /* nothing to read on this system */
    (void)want;
}
