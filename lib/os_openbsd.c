/* OpenBSD: kern.somaxconn and kern.sominconn by sysctl(2). Half-open
   connections live in the syn cache; the accept-queue bound is not
   stated here. Untested here. */
#include <errno.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/sysctl.h>

#include "os_generic.h"

const struct tcpq__os_traits tcpq__os = {
    .name = "openbsd",
    .queue_model = TCPQ_QUEUE_SPLIT,
    .somaxconn = "kern.somaxconn",
    .sysctl_set = "sysctl",
    .force_rcvbuf = "SO_RCVBUF (forced)",
    .force_sndbuf = "SO_SNDBUF (forced)",
    .buffer_scale = 1,
};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread)
{
    if (want & (TCPQ__LIM_BACKLOG | TCPQ__LIM_LISTEN)) {
        int mib[2] = {CTL_KERN, KERN_SOMAXCONN};
        int value = -1;
        size_t len = sizeof value;
        out->somaxconn_runtime =
            sysctl(mib, 2, &value, &len, NULL, 0) == 0 && value >= 0;
        if (!out->somaxconn_runtime && unread != NULL) {
            unread->name = "kern.somaxconn";
            unread->err = errno;
        }
        out->somaxconn = out->somaxconn_runtime ? value : SOMAXCONN;
    }
}
