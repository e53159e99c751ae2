/* OpenBSD: kern.somaxconn and kern.sominconn by sysctl(2). Half-open
   connections live in the syn cache; the accept-queue bound is not
   stated here. Untested here. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/sysctl.h>

#include "os_generic.h"

const struct tcpq__os_names tcpq__os = {"kern.somaxconn", NULL, NULL, NULL, 1,
                                        "sysctl"};

void tcpq__os_limits(struct tcpq_limits *out, unsigned want)
{
    tcpq__limits_unknown(out, "openbsd", TCPQ_QUEUE_SPLIT);
    if (want & (TCPQ__LIM_BACKLOG | TCPQ__LIM_LISTEN)) {
        int mib[2] = {CTL_KERN, KERN_SOMAXCONN};
        int value = -1;
        size_t len = sizeof value;
        out->somaxconn_runtime =
            sysctl(mib, 2, &value, &len, NULL, 0) == 0 && value >= 0;
        out->somaxconn = out->somaxconn_runtime ? value : SOMAXCONN;
    }
}
