/* Any other POSIX system (NetBSD among them): the compile-time SOMAXCONN,
   marked as a guess. Untested here. */
#include <errno.h>
#include <sys/socket.h>

#include "os_generic.h"

const struct tcpq__os_traits tcpq__os = {
    .buffer_scale = 1,
};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread)
{
#ifdef __NetBSD__
    tcpq__limits_unknown(out, "netbsd", TCPQ_QUEUE_UNKNOWN);
#else
    tcpq__limits_unknown(out, "posix", TCPQ_QUEUE_UNKNOWN);
#endif
    out->somaxconn = SOMAXCONN;
    out->somaxconn_runtime = 0;
    if (unread != NULL)
        unread->name = NULL; /* nothing to read on this system */
    (void)want;
}
