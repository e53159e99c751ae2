/* Connect attempts raced as Happy Eyeballs (RFC 8305): the addresses of a
   name in getaddrinfo's order with the families interleaved, the next
   attempt started after the fallback delay or at once when one fails,
   the first to connect kept and every other closed. A dial never waits:
   tcpq_connect waits for it in poll(), an event loop through
   tcpq_dial_pollfds. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpq_internal.h"

/* RFC 8305 section 5: the recommended Connection Attempt Delay */
#define DEFAULT_FALLBACK_MS 250

/* The addresses in getaddrinfo's order (RFC 6724), the families
   interleaved from the first one's (RFC 8305 section 4); with a source,
   only its family. Returns how many. */
static int order_attempts(struct tcpq_dial *d, int family)
{
    const struct addrinfo *ai;
    int first = -1, n = 0, i;
    int taken_first = 0, taken_other = 0, total_first = 0, total_other = 0;

    for (ai = d->list; ai != NULL; ai = ai->ai_next) {
        if (family != AF_UNSPEC && ai->ai_family != family)
            continue;
        if (first < 0)
            first = ai->ai_family;
        if (ai->ai_family == first)
            total_first++;
        else
            total_other++;
    }
    for (i = 0; i < total_first + total_other; i++) {
        /* alternate while both families have addresses left */
        int want_first = (i % 2 == 0 && taken_first < total_first) ||
                         taken_other >= total_other;
        int skip = want_first ? taken_first : taken_other;
        for (ai = d->list; ai != NULL; ai = ai->ai_next) {
            if ((family != AF_UNSPEC && ai->ai_family != family) ||
                (ai->ai_family == first) != want_first)
                continue;
            if (skip-- == 0)
                break;
        }
        d->attempts[n].ai = ai;
        d->attempts[n].fd = -1;
        d->attempts[n].err = 0;
        n++;
        if (want_first)
            taken_first++;
        else
            taken_other++;
    }
    return n;
}

/* Closes every attempt still in flight. */
static void close_inflight(struct tcpq_dial *d, int keep_fd, int err)
{
    int i;

    for (i = 0; i < d->started; i++) {
        struct tcpq__attempt *a = &d->attempts[i];
        if (a->fd >= 0 && a->fd != keep_fd) {
            close(a->fd); /* a SYN-SENT socket dropped: nothing half-open */
            if (a->err == 0)
                a->err = err;
        }
        a->fd = -1;
    }
    d->inflight = 0;
}

/* On failure: each address tried with its error, "+N more" past the
   message's room; errno is the last failure's. */
static int fail_all(struct tcpq_dial *d, int err, struct tcpq_report *r)
{
    char text[96], where[TCPQ__ADDRESS_TEXT];
    size_t used = 0, cap;
    int i, listed = 0;

    d->over = 1;
    close_inflight(d, -1, err);
    if (r == NULL) {
        errno = err;
        return -1;
    }
    r->attempts = d->started;
    cap = sizeof r->message;
    r->message[0] = '\0';
    for (i = 0; i < d->started; i++) {
        const struct tcpq__attempt *a = &d->attempts[i];
        char one[sizeof r->message];
        int n;
        tcpq__format_address(a->ai->ai_addr, where, sizeof where);
        n = snprintf(one, sizeof one, "%s%s: %s", i == 0 ? "connect " : "; ",
                     where, tcpq__error_text(a->err, text, sizeof text));
        /* room for this one and a "; +NN more" after it */
        if (n < 0 || used + (size_t)n + 12 >= cap)
            break;
        memcpy(r->message + used, one, (size_t)n + 1);
        used += (size_t)n;
        listed++;
    }
    if (listed < d->started)
        snprintf(r->message + used, cap - used, "%s+%d more",
                 listed > 0 ? "; " : "connect ", d->started - listed);
    errno = err;
    return -1;
}

/* Socket, options, source, device, non-blocking connect() for attempt i:
   1 in flight, 0 failed at once (a->err set; the next address may do
   better), 2 connected at once; -1: the setup itself failed (an option,
   the source, the device), which no other address changes, with the
   report's message saying why. */
static int start_attempt(struct tcpq_dial *d, struct tcpq__attempt *a,
                         struct tcpq_report *r)
{
    char where[TCPQ__ADDRESS_TEXT];
    struct tcpq__facts facts;
    int fd = tcpq__open_socket(a->ai->ai_family, 1); /* for the race */

    if (fd < 0) { /* e.g. EAFNOSUPPORT: no IPv6 here */
        a->err = errno;
        return 0;
    }
    tcpq__fresh_facts(&facts, a->ai->ai_family);
    if (tcpq__configure(fd, &facts, &d->opt, r) < 0)
        return tcpq__close_failed(fd);
    if (d->opt.device != NULL &&
        tcpq__os_bind_device(fd, a->ai->ai_family, d->opt.device) < 0) {
        tcpq__fail(r, errno, "device %s", d->opt.device);
        return tcpq__close_failed(fd);
    }
    if (d->source_len > 0 &&
        bind(fd, (struct sockaddr *)&d->source, d->source_len) < 0) {
        tcpq__format_address((struct sockaddr *)&d->source, where,
                             sizeof where);
        tcpq__fail(r, errno, "bind source %s", where);
        return tcpq__close_failed(fd);
    }
    if (connect(fd, a->ai->ai_addr, a->ai->ai_addrlen) == 0) {
        a->fd = fd;
        return 2;
    }
    if (errno != EINPROGRESS) {
        a->err = errno;
        close(fd);
        return 0;
    }
    a->fd = fd;
    d->inflight++;
    return 1;
}

/* The winner: every other attempt closed, the caller's mode applied. */
static int win(struct tcpq_dial *d, struct tcpq__attempt *a,
               struct tcpq_report *r)
{
    static const struct tcpq__warn_context context = {0, -1, {NULL, 0},
                                                      0, -1, 0};
    struct tcpq__facts facts;
    int fd = a->fd;

    d->over = 1;
    close_inflight(d, fd, ECANCELED);
    tcpq__fresh_facts(&facts, a->ai->ai_family);
    facts.pristine = 0; /* O_NONBLOCK for the race */
    if (d->opt.mode == TCPQ_MODE_KEEP) {
        /* a socket made here: as made, blocking */
        struct tcpq_options blocking = d->opt;
        blocking.mode = TCPQ_BLOCKING;
        if (tcpq__apply_mode(fd, &facts, &blocking, r) < 0)
            return tcpq__close_failed(fd);
    } else if (tcpq__apply_mode(fd, &facts, &d->opt, r) < 0) {
        return tcpq__close_failed(fd);
    }
    if (r != NULL) {
        tcpq__format_address(a->ai->ai_addr, r->address, sizeof r->address);
        r->attempts = d->started;
        r->message[0] = '\0';
        tcpq__compose_warnings(r, &context);
    }
    return fd;
}

/* Starts attempts until one is in flight (or connects, or none is left):
   the fd of a connect that succeeded at once, else -1 (d->over when the
   setup failed: the dial has ended). */
static int start_next(struct tcpq_dial *d, struct tcpq_report *r)
{
    while (d->started < d->count) {
        struct tcpq__attempt *a = &d->attempts[d->started++];
        int state = start_attempt(d, a, r);
        if (state < 0) {
            int err = errno;
            d->over = 1;
            close_inflight(d, -1, ECANCELED);
            if (r != NULL)
                r->attempts = d->started;
            errno = err;
            return -1;
        }
        if (state == 2)
            return win(d, a, r);
        if (state == 1) {
            d->next_due = d->delay_ns < 0 ? -1 : tcpq__now_ns() + d->delay_ns;
            return -1;
        }
        /* failed at once: the next one now (RFC 8305 section 5) */
    }
    d->next_due = -1;
    return -1;
}

int tcpq__dial_begin(struct tcpq_dial *d, struct addrinfo *list,
                     const struct tcpq_options *opt, long long deadline,
                     struct tcpq_report *r)
{
    struct addrinfo *ai;
    int count = 0, family = AF_UNSPEC;

    memset(d, 0, sizeof *d);
    d->won = -1;
    d->list = list;
    d->opt = *opt;
    d->deadline = deadline;
    d->delay_ns =
        opt->fallback_delay_ms < 0
            ? -1
            : (long long)(opt->fallback_delay_ms > 0 ? opt->fallback_delay_ms
                                                     : DEFAULT_FALLBACK_MS) *
                  1000000LL;
    if (opt->source != NULL &&
        tcpq__numeric_address(opt->source, &d->source, &d->source_len, r) < 0)
        return -1;
    if (d->source_len > 0)
        family = d->source.ss_family;
    for (ai = list; ai != NULL; ai = ai->ai_next)
        count++;
    d->attempts = calloc((size_t)count + 1, sizeof *d->attempts);
    if (d->attempts == NULL)
        return tcpq__fail(r, ENOMEM, "connect: %d addresses", count);
    d->count = order_attempts(d, family);
    if (d->count == 0)
        return tcpq__fail(r, EADDRNOTAVAIL,
                          "connect: no %s address to go with source %s",
                          family == AF_INET6 ? "IPv6" : "IPv4", opt->source);
    return 0;
}

int tcpq__dial_first(struct tcpq_dial *d, struct tcpq_report *r)
{
    int fd = start_next(d, r);

    if (fd >= 0 || d->over)
        return fd;        /* won at once, or the setup failed */
    if (d->inflight == 0) /* every address failed at once */
        return fail_all(d, d->attempts[d->count - 1].err, r);
    errno = EINPROGRESS;
    return -1;
}

int tcpq__dial_step(struct tcpq_dial *d, struct tcpq_report *r)
{
    long long now;
    int i, last_err = 0;

    if (d->over) {
        errno = EINVAL;
        return -1;
    }
    /* what finished */
    for (i = 0; i < d->started; i++) {
        struct tcpq__attempt *a = &d->attempts[i];
        struct pollfd pfd;
        if (a->fd < 0)
            continue;
        pfd.fd = a->fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        if (poll(&pfd, 1, 0) != 1)
            continue;
        if (tcpq__connect_outcome(a->fd) == 0)
            return win(d, a, r);
        a->err = errno;
        close(a->fd);
        a->fd = -1;
        d->inflight--;
        last_err = a->err;
        d->next_due = 0; /* one failed: the next one now */
    }
    now = tcpq__now_ns();
    if (d->deadline >= 0 && now >= d->deadline)
        return fail_all(d, ETIMEDOUT, r);
    if (d->started < d->count &&
        (d->inflight == 0 || (d->next_due >= 0 && now >= d->next_due))) {
        int fd = start_next(d, r);
        if (fd >= 0 || d->over)
            return fd; /* won at once, or the setup failed */
    }
    if (d->inflight == 0) {
        for (i = d->started - 1; i >= 0 && last_err == 0; i--)
            last_err = d->attempts[i].err;
        return fail_all(d, last_err != 0 ? last_err : ECONNREFUSED, r);
    }
    errno = EINPROGRESS;
    return -1;
}

int tcpq__dial_pollfds(const struct tcpq_dial *d, struct pollfd *fds, int max,
                       int *timeout_ms)
{
    long long due = -1, now;
    int i, n = 0;

    for (i = 0; i < d->started && n < max; i++) {
        if (d->attempts[i].fd < 0)
            continue;
        fds[n].fd = d->attempts[i].fd;
        fds[n].events = POLLOUT;
        fds[n].revents = 0;
        n++;
    }
    if (d->started < d->count && d->next_due >= 0)
        due = d->next_due;
    if (d->deadline >= 0 && (due < 0 || d->deadline < due))
        due = d->deadline;
    if (timeout_ms != NULL) {
        now = tcpq__now_ns();
        if (due < 0)
            *timeout_ms = -1;
        else if (due <= now)
            *timeout_ms = 0;
        else {
            long long ms = (due - now + 999999) / 1000000;
            *timeout_ms = ms > INT_MAX ? INT_MAX : (int)ms;
        }
    }
    return n;
}

void tcpq__dial_end(struct tcpq_dial *d)
{
    close_inflight(d, -1, ECANCELED);
    free(d->attempts);
    d->attempts = NULL;
    if (d->list != NULL)
        freeaddrinfo(d->list);
    d->list = NULL;
}
