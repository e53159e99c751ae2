/* Endpoints from names: resolve host and port, then tcpq_open_listener
   (socket, configure, bind, listen steps) and tcpq_connect (each address
   in turn: socket, configure, connect, wait), and tcpq_connect_finish. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpq_internal.h"

/* Checks the port and the options, then resolves with the deadline. */
static int resolve(const char *host, const char *port, int passive,
                   const struct tcpq_options *opt, long long deadline,
                   struct addrinfo **list, struct tcpq_report *r)
{
    int numeric = tcpq__check_port(port, r);

    if (numeric < 0 ||
        tcpq__check_options(opt,
                            TCPQ__CHECK_ALL | (passive ? TCPQ__CHECK_LISTENER
                                                       : TCPQ__CHECK_CLIENT),
                            r) < 0)
        return -1;
    return tcpq__resolve(host, port, numeric, passive, deadline, list, r);
}

/* ---- open_listener ------------------------------------------------------ */

/* One candidate address: socket, configure, bind-time flags, bind, then
   the listen steps. */
static int listen_on(const struct addrinfo *ai, int dual_stack,
                     const struct tcpq_options *opt,
                     const struct tcpq__listen_limits *limits,
                     struct tcpq_report *r)
{
    char where[TCPQ__ADDRESS_TEXT];
    struct tcpq__facts facts;
    int fd = tcpq__open_socket(ai->ai_family, 0);

    if (r != NULL) { /* a failed earlier candidate leaves nothing behind */
        r->message[0] = '\0';
        r->warnings = 0;
    }
    tcpq__format_address(ai->ai_addr, where, sizeof where);
    if (fd < 0)
        return tcpq__fail(r, errno, "socket %s", where);
    tcpq__fresh_facts(&facts, ai->ai_family);
    if (tcpq__configure(fd, &facts, opt, r) < 0 ||
        tcpq__bind_flags(fd, ai->ai_family, dual_stack, opt->flags, r) < 0)
        return tcpq__close_failed(fd);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        tcpq__fail(r, errno, "bind %s", where);
        return tcpq__close_failed(fd);
    }
    /* the address bound; port 0 is chosen by the kernel, so the listen
       steps ask getsockname then */
    memcpy(&facts.local, ai->ai_addr, ai->ai_addrlen);
    facts.bound = ai->ai_family == AF_INET
                      ? ((struct sockaddr_in *)ai->ai_addr)->sin_port != 0
                      : ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port != 0;
    if (tcpq__listen_steps(fd, &facts, opt, limits, 0, r) < 0)
        return tcpq__close_failed(fd);
    return fd;
}

static int open_listener(const char *host, const char *port,
                         const struct tcpq_options *opt,
                         struct tcpq_report *report)
{
    struct addrinfo *list = NULL, *ai;
    struct tcpq__listen_limits limits;
    int saved = errno;
    int fd = -1, pass;

    if (report != NULL)
        report->backlog_requested = opt->backlog;
    if (resolve(host, port, 1, opt, -1, &list, report) < 0)
        return -1;
    /* before a socket takes a descriptor */
    tcpq__read_listen_limits(&limits, report != NULL);
    /* All interfaces: an IPv6 socket that also takes IPv4 first, so one
       descriptor serves both; the IPv4 wildcard where IPv6 is missing. */
    for (pass = host == NULL ? 0 : 1; pass < 2 && fd < 0; pass++) {
        for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
            if (host == NULL && (pass == 0) != (ai->ai_family == AF_INET6))
                continue;
            fd = listen_on(ai, host == NULL, opt, &limits, report);
        }
        if (pass == 0 && fd < 0 && errno != EAFNOSUPPORT &&
            errno != EADDRNOTAVAIL)
            break; /* IPv6 exists but failed: no silent IPv4-only listener */
    }
    freeaddrinfo(list);
    if (fd < 0) {
        if (errno == 0)
            errno = EADDRNOTAVAIL;
        return -1;
    }
    errno = saved;
    return fd;
}

int tcpq_open_listener_sized(const char *host, const char *port,
                             const struct tcpq_options *opt, size_t opt_size,
                             struct tcpq_report *report, size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_options options;
    struct tcpq_report *r;

    if (tcpq__call_begin(&out, report, report_size, &r, opt, opt_size,
                         &options) < 0)
        return -1;
    return tcpq__report_end(&out, open_listener(host, port, &options, r));
}

int(tcpq_open_listener)(const char *host, const char *port,
                        const struct tcpq_options *opt,
                        struct tcpq_report *report)
{
    return tcpq_open_listener_sized(host, port, opt, TCPQ__OPTIONS_SIZE_0_1,
                                    report, TCPQ__REPORT_SIZE_0_1);
}

/* ---- connect ------------------------------------------------------------ */

/* One numeric address, blocking, nothing to bind: socket() and connect(),
   and the read-backs a report asks for; no resolver, no poll(). */
static int connect_fast(const struct sockaddr_storage *to, socklen_t len,
                        const struct tcpq_options *opt, struct tcpq_report *r)
{
    static const struct tcpq__warn_context context = {0, -1, {NULL, 0},
                                                      0, -1, 0};
    struct tcpq__facts facts;
    char where[TCPQ__ADDRESS_TEXT];
    int fd = tcpq__open_socket(to->ss_family, 0);

    tcpq__format_address((const struct sockaddr *)to, where, sizeof where);
    if (fd < 0)
        return tcpq__fail(r, errno, "socket %s", where);
    tcpq__fresh_facts(&facts, to->ss_family);
    if (tcpq__configure(fd, &facts, opt, r) < 0)
        return tcpq__close_failed(fd);
    if (connect(fd, (const struct sockaddr *)to, len) < 0) {
        /* a signal: the handshake goes on; wait for its outcome */
        if (errno != EINTR || tcpq__wait(fd, POLLOUT, -1) < 0 ||
            tcpq__connect_outcome(fd) < 0) {
            tcpq__fail(r, errno, "connect %s", where);
            return tcpq__close_failed(fd);
        }
    }
    if (r != NULL) {
        tcpq__format_address((const struct sockaddr *)to, r->address,
                             sizeof r->address);
        r->attempts = 1;
        tcpq__compose_warnings(r, &context);
    }
    return fd;
}

/* Resolves (within the deadline) and checks: a dial ready to start. */
static int dial_prepare(struct tcpq_dial *d, const char *host, const char *port,
                        const struct tcpq_options *opt, struct tcpq_report *r)
{
    struct addrinfo *list = NULL;
    long long deadline = -1;

    memset(d, 0, sizeof *d);
    d->over = 1;
    d->won = -1;
    if (host == NULL)
        return tcpq__fail(r, EINVAL, "host NULL");
    if (opt->mode == TCPQ_TIMEOUT && opt->timeout_ms > 0)
        deadline = tcpq__now_ns() + (long long)opt->timeout_ms * 1000000LL;
    if (resolve(host, port, 0, opt, deadline, &list, r) < 0)
        return -1;
    if (tcpq__dial_begin(d, list, opt, deadline, r) < 0) {
        int err = errno;
        tcpq__dial_end(d);
        errno = err;
        return -1;
    }
    return 0;
}

static int connect_name(const char *host, const char *port,
                        const struct tcpq_options *opt,
                        struct tcpq_report *report)
{
    struct sockaddr_storage to;
    struct tcpq_dial dial;
    socklen_t len;
    int saved = errno, fd, numeric;

    numeric = host == NULL ? -1 : tcpq__check_port(port, report);
    if (numeric > 0 &&
        (opt->mode == TCPQ_BLOCKING || opt->mode == TCPQ_MODE_KEEP) &&
        opt->source == NULL && opt->device == NULL &&
        tcpq__numeric_endpoint(host, (int)strtol(port, NULL, 10), &to, &len)) {
        if (tcpq__check_options(opt, TCPQ__CHECK_ALL | TCPQ__CHECK_CLIENT,
                                report) < 0)
            return -1;
        fd = connect_fast(&to, len, opt, report);
        if (fd >= 0)
            errno = saved;
        return fd;
    }
    if (dial_prepare(&dial, host, port, opt, report) < 0)
        return -1;
    fd = tcpq__dial_first(&dial, report);
    /* non-blocking: one look at what failed at once (a refusal from this
       host arrives before connect() returns), the next address then */
    if (fd < 0 && errno == EINPROGRESS && opt->mode == TCPQ_NONBLOCKING &&
        dial.started < dial.count)
        fd = tcpq__dial_step(&dial, report);
    if (fd < 0 && errno == EINPROGRESS && opt->mode == TCPQ_NONBLOCKING) {
        /* the caller learns the outcome with tcpq_connect_finish: the
           attempt in flight is theirs */
        struct pollfd one;
        tcpq__dial_pollfds(&dial, &one, 1, NULL);
        dial.attempts[dial.started - 1].fd = -1;
        fd = one.fd;
        if (report != NULL)
            tcpq__format_address(dial.attempts[dial.started - 1].ai->ai_addr,
                                 report->address, sizeof report->address);
        if (report != NULL)
            report->attempts = dial.started;
    }
    while (fd < 0 && errno == EINPROGRESS) {
        struct pollfd fds[16];
        int timeout, n = tcpq__dial_pollfds(&dial, fds, 16, &timeout);
        if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) {
            tcpq__fail(report, errno, "poll");
            break;
        }
        fd = tcpq__dial_step(&dial, report);
    }
    {
        int err = errno;
        tcpq__dial_end(&dial);
        errno = fd >= 0 ? saved : err;
    }
    return fd;
}

int tcpq_connect_sized(const char *host, const char *port,
                       const struct tcpq_options *opt, size_t opt_size,
                       struct tcpq_report *report, size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_options options;
    struct tcpq_report *r;

    if (tcpq__call_begin(&out, report, report_size, &r, opt, opt_size,
                         &options) < 0)
        return -1;
    return tcpq__report_end(&out, connect_name(host, port, &options, r));
}

int(tcpq_connect)(const char *host, const char *port,
                  const struct tcpq_options *opt, struct tcpq_report *report)
{
    return tcpq_connect_sized(host, port, opt, TCPQ__OPTIONS_SIZE_0_1, report,
                              TCPQ__REPORT_SIZE_0_1);
}

/* ---- dial: the race for an event loop ------------------------------------ */

int tcpq_dial_start_sized(const char *host, const char *port,
                          const struct tcpq_options *opt, size_t opt_size,
                          struct tcpq_dial **dial, struct tcpq_report *report,
                          size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_options options;
    struct tcpq_report *r;
    struct tcpq_dial *d;
    int saved = errno, fd;

    if (tcpq__report_begin(&out, report, report_size, &r) < 0)
        return -1;
    if (dial == NULL)
        return tcpq__report_end(&out, tcpq__fail(r, EINVAL, "dial NULL"));
    *dial = NULL;
    if (tcpq__options_in(opt, opt_size, &options, r) < 0)
        return tcpq__report_end(&out, -1);
    d = malloc(sizeof *d);
    if (d == NULL)
        return tcpq__report_end(&out, tcpq__fail(r, ENOMEM, "dial"));
    if (dial_prepare(d, host, port, &options, r) < 0) {
        int err = errno;
        free(d);
        errno = err;
        return tcpq__report_end(&out, -1);
    }
    fd = tcpq__dial_first(d, r);
    if (fd < 0 && errno != EINPROGRESS) { /* every address failed at once */
        int err = errno;
        tcpq__dial_end(d);
        free(d);
        errno = err;
        return tcpq__report_end(&out, -1);
    }
    if (fd >= 0) { /* connected at once: the next step hands it over */
        d->won = fd;
    }
    *dial = d;
    errno = saved;
    return tcpq__report_end(&out, 0);
}

int tcpq_dial_pollfds(const struct tcpq_dial *dial, struct pollfd *fds, int max,
                      int *timeout_ms)
{
    if (dial == NULL || (fds == NULL && max > 0) || max < 0 ||
        (dial->over && dial->won < 0)) {
        errno = EINVAL;
        return -1;
    }
    if (dial->won >= 0) { /* nothing to wait for: step now */
        if (timeout_ms != NULL)
            *timeout_ms = 0;
        return 0;
    }
    return tcpq__dial_pollfds(dial, fds, max, timeout_ms);
}

int tcpq_dial_step_sized(struct tcpq_dial *dial, struct tcpq_report *report,
                         size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_report *r;
    int saved = errno, fd;

    if (tcpq__report_begin(&out, report, report_size, &r) < 0)
        return -1;
    if (dial == NULL)
        return tcpq__report_end(&out, tcpq__fail(r, EINVAL, "dial NULL"));
    if (dial->won >= 0) {
        fd = dial->won;
        dial->won = -1;
        dial->over = 1;
        if (r != NULL)
            r->attempts = dial->started;
    } else {
        fd = tcpq__dial_step(dial, r);
    }
    if (fd >= 0)
        errno = saved;
    return tcpq__report_end(&out, fd);
}

void tcpq_dial_free(struct tcpq_dial *dial)
{
    int saved = errno;

    if (dial == NULL)
        return;
    if (dial->won >= 0) /* connected but never handed over */
        close(dial->won);
    tcpq__dial_end(dial);
    free(dial);
    errno = saved;
}

int tcpq_connect_finish(int fd, int timeout_ms)
{
    long long deadline;
    int ready, saved = errno;

    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (timeout_ms < -1) {
        errno = EINVAL;
        return -1;
    }
    deadline = timeout_ms < 0
                   ? -1
                   : tcpq__now_ns() + (long long)timeout_ms * 1000000LL;
    ready = tcpq__wait(fd, POLLOUT, deadline);
    if (ready < 0)
        return -1;
    if (ready == 0) {
        errno = EINPROGRESS;
        return -1;
    }
    if (tcpq__connect_outcome(fd) < 0)
        return -1;
    errno = saved;
    return 0;
}

int tcpq_close_reset(int fd)
{
    struct tcpq__facts facts;
    struct tcpq__not_tcp why;
    struct linger linger;
    int saved = errno;

    if (tcpq__tcp_facts(fd, &facts, &why) < 0)
        return -1; /* not a TCP socket: left alone */
    linger.l_onoff = 1;
    linger.l_linger = 0; /* close() sends RST; no TIME_WAIT */
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) < 0 ||
        close(fd) < 0)
        return -1;
    errno = saved;
    return 0;
}
