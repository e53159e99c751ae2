/* Shared by the BSD-family platform files: sysctl readers and the limits
   skeleton. Included by exactly one os_<family>.c per build. */
#ifndef TCPQ_OS_BSD_COMMON_H
#define TCPQ_OS_BSD_COMMON_H

#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <sys/sysctl.h>

#include "tcpq_internal.h"

/* An int sysctl by name, or -1 when absent or unreadable (the first such
   failure named in *unread, NULL allowed). */
static int sysctl_int(const char *name, struct tcpq__unread *unread)
{
    int value = -1;
    size_t len = sizeof value;

    if (sysctlbyname(name, &value, &len, NULL, 0) < 0 || len != sizeof value) {
        if (unread != NULL && unread->name == NULL) {
            unread->name = name;
            unread->err = len != sizeof value ? EINVAL : errno;
        }
        return -1;
    }
    return value;
}

/* The backlog cap from the first sysctl that answers, else SOMAXCONN. */
static void limits_somaxconn(struct tcpq_limits *out, const char *name,
                             const char *fallback_name,
                             struct tcpq__unread *unread)
{
    out->somaxconn = sysctl_int(name, NULL);
    if (out->somaxconn < 0 && fallback_name != NULL)
        out->somaxconn = sysctl_int(fallback_name, NULL);
    if (out->somaxconn < 0)
        sysctl_int(name, unread); /* names the first, with its errno */
    out->somaxconn_runtime = out->somaxconn >= 0;
    if (out->somaxconn < 0)
        out->somaxconn = SOMAXCONN;
}

#endif
