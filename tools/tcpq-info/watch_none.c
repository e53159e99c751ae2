/* Where the OS gives no list of listeners: --watch and --openmetrics fail. */
#include "tcpq_info.h"

#include <errno.h>
#include <stdio.h>

static int unsupported(void)
{
    fprintf(stderr, PROGRAM_NAME ": --watch and --openmetrics: not "
                                 "supported on this OS (they read listeners "
                                 "through Linux sock_diag netlink)\n");
    errno = ENOSYS;
    return -1;
}

int listener_source_open(struct listener_source *source)
{
    source->fd = -1;
    source->sequence = 0;
    return unsupported();
}

int listener_source_list(struct listener_source *source, int port,
                         struct listener *list, size_t capacity, size_t *count,
                         size_t *left_out)
{
    (void)source;
    (void)port;
    (void)list;
    (void)capacity;
    *count = 0;
    *left_out = 0;
    return unsupported();
}

void listener_source_close(struct listener_source *source)
{
    source->fd = -1;
}
