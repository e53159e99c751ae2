/* The host's limits and a listener's queue: tcpq_get_limits,
   tcpq_queue_stats and tcpq_listen_counters, read anew on every call. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpq_internal.h"

void tcpq__read_limits(struct tcpq_limits *out, unsigned want,
                       struct tcpq__unread *unread)
{
    int *ints[] = {
        &out->somaxconn,        &out->somaxconn_runtime, &out->max_syn_backlog,
        &out->syncookies,       &out->abort_on_overflow, &out->rmem_default,
        &out->rmem_max,         &out->wmem_default,      &out->wmem_max,
        &out->tcp_rmem[0],      &out->tcp_rmem[1],       &out->tcp_rmem[2],
        &out->tcp_wmem[0],      &out->tcp_wmem[1],       &out->tcp_wmem[2],
        &out->keepalive_time_s, &out->keepalive_intvl_s, &out->keepalive_probes,
        &out->fastopen,         &out->notsent_lowat};
    size_t i;

    memset(out, 0, sizeof *out);
    out->os = tcpq__os.name;
    out->queue_model = tcpq__os.queue_model;
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
        *ints[i] = -1;
    if (unread != NULL)
        unread->name = NULL;
    tcpq__os_limits(out, want, unread);
}

int tcpq_get_limits_sized(struct tcpq_limits *out, size_t out_size)
{
    struct tcpq_limits full;
    int saved = errno;

    if (out == NULL || out_size < TCPQ__LIMITS_SIZE_0_1) {
        errno = EINVAL;
        return -1;
    }
    tcpq__read_limits(&full, TCPQ__LIM_ALL, NULL);
    memcpy(out, &full, out_size < sizeof full ? out_size : sizeof full);
    if (out_size > sizeof full) /* fields newer than this library: zero */
        memset((char *)out + sizeof full, 0, out_size - sizeof full);
    errno = saved;
    return 0;
}

int(tcpq_get_limits)(struct tcpq_limits *out)
{
    return tcpq_get_limits_sized(out, TCPQ__LIMITS_SIZE_0_1);
}

int tcpq_listen_counters(long long *listen_overflows, long long *listen_drops)
{
    long long overflows, drops;
    int saved = errno;

    tcpq__os_listen_counters(&overflows, &drops);
    if (listen_overflows != NULL)
        *listen_overflows = overflows;
    if (listen_drops != NULL)
        *listen_drops = drops;
    errno = saved;
    return 0;
}

int tcpq_queue_stats(int listen_fd, struct tcpq_queue_stats *out)
{
    struct tcpq__facts facts;
    struct tcpq__not_tcp why;
    int saved = errno;
    int len, limit;

    if (out == NULL) {
        errno = EINVAL;
        return -1;
    }
    out->accept_queue_len = out->accept_queue_limit = -1;
    out->listen_overflows = out->listen_drops = -1;
    if (tcpq__tcp_facts(listen_fd, &facts, &why) < 0)
        return -1;
    if (tcpq__os_accept_queue(listen_fd, &len, &limit) == 0) {
        out->accept_queue_len = len;
        out->accept_queue_limit = limit;
    } else if (errno != EOPNOTSUPP) {
        return -1; /* EINVAL: not listening */
    } else {
        /* the OS does not tell the queue; still refuse a non-listener */
        tcpq__tcp_state(listen_fd, &facts);
        if (!facts.listening) {
            errno = EINVAL;
            return -1;
        }
    }
    tcpq__os_listen_counters(&out->listen_overflows, &out->listen_drops);
    errno = saved;
    return 0;
}
