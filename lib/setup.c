/* The setup steps a socket goes through, each checked before anything
   changes: validate, buffers, flags, mode, listen. tcpq_set_buffers,
   tcpq_set_timeout_mode, tcpq_get_timeout_mode and tcpq_listen are each
   one straight list of these steps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "tcpq_internal.h"

/* ---- validate: before anything about the socket changes ---------------- */

int tcpq__check_options(const struct tcpq_options *opt, unsigned what,
                        struct tcpq_report *r)
{
    if ((what & TCPQ__CHECK_BUFFERS) && opt->rcvbuf < 0)
        return tcpq__fail(r, EINVAL, "options: rcvbuf %d is negative",
                          opt->rcvbuf);
    if ((what & TCPQ__CHECK_BUFFERS) && opt->sndbuf < 0)
        return tcpq__fail(r, EINVAL, "options: sndbuf %d is negative",
                          opt->sndbuf);
    if ((what & TCPQ__CHECK_MODE) && ((int)opt->mode < (int)TCPQ_BLOCKING ||
                                      (int)opt->mode > (int)TCPQ_MODE_KEEP))
        return tcpq__fail(r, EINVAL, "options: unknown mode %d",
                          (int)opt->mode);
    if ((what & TCPQ__CHECK_MODE) && opt->mode == TCPQ_TIMEOUT &&
        opt->timeout_ms <= 0)
        return tcpq__fail(r, EINVAL,
                          "options: timeout_ms %d must be > 0 in TCPQ_TIMEOUT",
                          opt->timeout_ms);
    if ((what & TCPQ__CHECK_FLAGS) && (opt->flags & ~TCPQ_FLAGS_ALL))
        return tcpq__fail(r, EINVAL, "options: unknown flag bits 0x%x",
                          opt->flags & ~TCPQ_FLAGS_ALL);
    if ((what & (TCPQ__CHECK_LISTENER | TCPQ__CHECK_CLIENT)) &&
        tcpq__check_sockopts(opt, (what & TCPQ__CHECK_LISTENER) != 0, r) < 0)
        return -1;
    return 0;
}

int tcpq__check_socket(int fd, struct tcpq__facts *f, struct tcpq_report *r)
{
    struct tcpq__not_tcp why;

    if (tcpq__tcp_facts(fd, f, &why) < 0) {
        if (why.what != NULL)
            return tcpq__fail(r, errno, "fd %d is not a TCP socket (%s %d)", fd,
                              why.what, why.value);
        return tcpq__fail(r, errno, "fd %d", fd);
    }
    tcpq__tcp_state(fd, f);
    return 0;
}

/* ---- buffers ------------------------------------------------------------ */

static int apply_buffer(int fd, int receive, int requested, unsigned flags,
                        struct tcpq_report *r)
{
    const char *label = receive ? "SO_RCVBUF" : "SO_SNDBUF";
    const char *forced =
        receive ? tcpq__os.force_rcvbuf : tcpq__os.force_sndbuf;
    const char *cap = receive ? tcpq__os.rmem_max : tcpq__os.wmem_max;
    int name = receive ? SO_RCVBUF : SO_SNDBUF;
    int kernel = 0;
    socklen_t len = sizeof kernel;
    int granted;

    if (requested > 0 && (flags & TCPQ_FORCE_BUFFERS)) {
        if (tcpq__os_force_buffer(fd, receive, requested) < 0) {
            if (errno == EPERM)
                return tcpq__fail(r, errno,
                                  "setsockopt %s %d (needs CAP_NET_ADMIN in "
                                  "the initial user namespace; without "
                                  "TCPQ_FORCE_BUFFERS it is capped by %s)",
                                  forced, requested, cap);
            return tcpq__fail(r, errno, "setsockopt %s %d", forced, requested);
        }
    } else if (requested > 0 && setsockopt(fd, SOL_SOCKET, name, &requested,
                                           sizeof requested) < 0) {
        return tcpq__fail(r, errno, "setsockopt %s %d", label, requested);
    }
    if (r == NULL) /* no one to tell what was granted: not read back */
        return 0;
    if (getsockopt(fd, SOL_SOCKET, name, &kernel, &len) < 0)
        return tcpq__fail(r, errno, "getsockopt %s", label);
    granted = kernel / tcpq__os.buffer_scale;
    if (receive) {
        r->rcvbuf_requested = requested;
        r->rcvbuf = granted;
        r->rcvbuf_kernel = kernel;
    } else {
        r->sndbuf_requested = requested;
        r->sndbuf = granted;
        r->sndbuf_kernel = kernel;
    }
    if (requested > 0 && granted < requested)
        tcpq__warn(r, receive ? TCPQ_WARN_RCVBUF_CLAMPED
                              : TCPQ_WARN_SNDBUF_CLAMPED);
    return 0;
}

/* Both buffers, applied and reported. */
static int apply_buffers(int fd, const struct tcpq__facts *f,
                         const struct tcpq_options *opt, struct tcpq_report *r)
{
    if (apply_buffer(fd, 1, opt->rcvbuf, opt->flags, r) < 0 ||
        apply_buffer(fd, 0, opt->sndbuf, opt->flags, r) < 0)
        return -1;
    if (opt->rcvbuf > 0 || opt->sndbuf > 0) {
        tcpq__warn(r, TCPQ_WARN_AUTOTUNING_OFF);
        if (f->connected)
            tcpq__warn(r, TCPQ_WARN_TOO_LATE);
    }
    return 0;
}

static int set_buffers(int fd, const struct tcpq_options *opt,
                       struct tcpq_report *report)
{
    static const struct tcpq__warn_context context = {0, -1, {NULL, 0},
                                                      0, -1, 0};
    struct tcpq__facts facts;
    int saved = errno;

    if (tcpq__check_socket(fd, &facts, report) < 0 ||
        tcpq__check_options(opt, TCPQ__CHECK_BUFFERS | TCPQ__CHECK_FLAGS,
                            report) < 0 ||
        apply_buffers(fd, &facts, opt, report) < 0)
        return -1;
    tcpq__compose_warnings(report, &context);
    errno = saved;
    return 0;
}

int tcpq_set_buffers_sized(int fd, const struct tcpq_options *opt,
                           size_t opt_size, struct tcpq_report *report,
                           size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_options options;
    struct tcpq_report *r;

    if (tcpq__call_begin(&out, report, report_size, &r, opt, opt_size,
                         &options) < 0)
        return -1;
    return tcpq__report_end(&out, set_buffers(fd, &options, r));
}

int(tcpq_set_buffers)(int fd, const struct tcpq_options *opt,
                      struct tcpq_report *report)
{
    return tcpq_set_buffers_sized(fd, opt, TCPQ__OPTIONS_SIZE_0_1, report,
                                  TCPQ__REPORT_SIZE_0_1);
}

/* ---- flags -------------------------------------------------------------- */

static int set_int_option(int fd, int level, int name, int value,
                          const char *label, struct tcpq_report *r)
{
    if (setsockopt(fd, level, name, &value, sizeof value) < 0)
        return tcpq__fail(r, errno, "setsockopt %s", label);
    return 0;
}

int tcpq__bind_flags(int fd, int family, int dual_stack, unsigned flags,
                     struct tcpq_report *r)
{
    if (!(flags & TCPQ_NO_REUSEADDR) &&
        set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", r) < 0)
        return -1;
    if (flags & TCPQ_REUSEPORT) {
#if defined(SO_REUSEPORT_LB) /* FreeBSD: balanced across the sockets */
        if (set_int_option(fd, SOL_SOCKET, SO_REUSEPORT_LB, 1,
                           "SO_REUSEPORT_LB", r) < 0)
            return -1;
#elif defined(SO_REUSEPORT)
        if (set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", r) <
            0)
            return -1;
#else
        return tcpq__fail(r, EOPNOTSUPP, "setsockopt SO_REUSEPORT");
#endif
    }
    if (family == AF_INET6 && ((flags & TCPQ_V6ONLY) || dual_stack) &&
        set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                       (flags & TCPQ_V6ONLY) ? 1 : 0, "IPV6_V6ONLY", r) < 0)
        return -1;
#if defined(IP_FREEBIND) && defined(IPV6_FREEBIND)
    /* bind an address this host does not have (yet) */
    if ((flags & TCPQ_FREEBIND) &&
        (family == AF_INET6 ? set_int_option(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1,
                                             "IPV6_FREEBIND", r)
                            : set_int_option(fd, IPPROTO_IP, IP_FREEBIND, 1,
                                             "IP_FREEBIND", r)) < 0)
        return -1;
#endif
    return 0;
}

int tcpq__configure(int fd, const struct tcpq__facts *f,
                    const struct tcpq_options *opt, struct tcpq_report *r)
{
    if (apply_buffers(fd, f, opt, r) < 0)
        return -1;
    return tcpq__apply_sockopts(fd, opt, r);
}

/* ---- modes -------------------------------------------------------------- */

int tcpq__apply_mode(int fd, const struct tcpq__facts *f,
                     const struct tcpq_options *opt, struct tcpq_report *r)
{
    struct timeval tv = {0, 0};
    int fl, want_fl;

    if (opt->mode == TCPQ_MODE_KEEP)
        return 0; /* as the descriptor has it */
    if (f->pristine && opt->mode == TCPQ_BLOCKING)
        return 0; /* a socket just made is blocking, without timeouts */
    fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return tcpq__fail(r, errno, "fcntl F_GETFL");
    want_fl =
        opt->mode == TCPQ_NONBLOCKING ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    if (opt->mode == TCPQ_TIMEOUT) {
        tv.tv_sec = opt->timeout_ms / 1000;
        tv.tv_usec = (suseconds_t)(opt->timeout_ms % 1000) * 1000;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return tcpq__fail(r, errno, "setsockopt SO_RCVTIMEO");
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
        return tcpq__fail(r, errno, "setsockopt SO_SNDTIMEO");
    if (want_fl != fl && fcntl(fd, F_SETFL, want_fl) < 0)
        return tcpq__fail(r, errno, "fcntl F_SETFL");
    return 0;
}

int tcpq_set_timeout_mode_sized(int fd, const struct tcpq_options *opt,
                                size_t opt_size)
{
    struct tcpq_options options;
    struct tcpq__facts facts;
    struct tcpq__not_tcp why;
    int saved = errno;

    if (tcpq__options_in(opt, opt_size, &options, NULL) < 0 ||
        tcpq__tcp_facts(fd, &facts, &why) < 0 ||
        tcpq__check_options(&options, TCPQ__CHECK_MODE, NULL) < 0 ||
        tcpq__apply_mode(fd, &facts, &options, NULL) < 0)
        return -1;
    errno = saved;
    return 0;
}

int(tcpq_set_timeout_mode)(int fd, const struct tcpq_options *opt)
{
    return tcpq_set_timeout_mode_sized(fd, opt, TCPQ__OPTIONS_SIZE_0_1);
}

int tcpq_get_timeout_mode(int fd, enum tcpq_mode *mode, int *timeout_ms)
{
    struct tcpq__facts facts;
    struct tcpq__not_tcp why;
    int saved = errno;
    int nonblocking, rcv_ms, snd_ms;
    enum tcpq_mode m = TCPQ_BLOCKING;
    int ms = 0;

    if (tcpq__tcp_facts(fd, &facts, &why) < 0)
        return -1;
    nonblocking = tcpq__is_nonblocking(fd);
    if (nonblocking < 0 || tcpq__timeout_ms(fd, SO_RCVTIMEO, &rcv_ms) < 0 ||
        tcpq__timeout_ms(fd, SO_SNDTIMEO, &snd_ms) < 0)
        return -1;
    if (nonblocking) {
        m = TCPQ_NONBLOCKING;
    } else if (rcv_ms > 0 || snd_ms > 0) {
        m = TCPQ_TIMEOUT;
        ms = rcv_ms > snd_ms ? rcv_ms : snd_ms;
    }
    if (mode != NULL)
        *mode = m;
    if (timeout_ms != NULL)
        *timeout_ms = ms;
    errno = saved;
    return 0;
}

/* ---- listen ------------------------------------------------------------- */

void tcpq__read_listen_limits(struct tcpq__listen_limits *l, int for_report)
{
    tcpq__read_limits(
        &l->lim, TCPQ__LIM_LISTEN | (for_report ? TCPQ__LIM_LISTEN_REPORT : 0u),
        &l->unread);
}

int tcpq__listen_steps(int fd, const struct tcpq__facts *f,
                       const struct tcpq_options *opt,
                       const struct tcpq__listen_limits *limits,
                       unsigned flags_ignored, struct tcpq_report *r)
{
    const struct tcpq_limits *lim = &limits->lim;
    struct tcpq__warn_context context;
    struct sockaddr_storage local;
    socklen_t len = sizeof local;
    int wanted, in_force, read_back;

    if (lim->somaxconn_runtime == 1)
        wanted = opt->backlog <= 0 || opt->backlog > lim->somaxconn
                     ? lim->somaxconn
                     : opt->backlog;
    else /* cap not read: the kernel clamps, and we read back what it did */
        wanted = opt->backlog <= 0 ? INT_MAX : opt->backlog;
    if (tcpq__apply_mode(fd, f, opt, r) < 0 ||
        tcpq__apply_listener_sockopts(fd, opt, &context.fastopen_sysctl, r) < 0)
        return -1;
    if (listen(fd, wanted) < 0)
        return tcpq__fail(r, errno, "listen fd %d backlog %d", fd, wanted);
    if (tcpq__apply_defer_accept(fd, opt, r) < 0)
        return -1;

    if (r == NULL) /* no one to tell: nothing read back */
        return 0;
    read_back = tcpq__os_backlog_in_force(fd);
    in_force = read_back;
    if (in_force < 0) { /* the kernel does not tell: our clamp, or a guess */
        int cap = lim->somaxconn >= 0 ? lim->somaxconn : SOMAXCONN;
        in_force = wanted < cap ? wanted : cap;
    }
    r->backlog_requested = opt->backlog;
    r->backlog = in_force;
    r->accept_queue_capacity = tcpq__os_accept_queue_capacity(in_force);
    r->syn_queue_capacity = tcpq__os_syn_queue_capacity(in_force, lim);
    /* an unbound socket got its port from listen() itself */
    memset(&local, 0, sizeof local);
    if (f->bound)
        local = f->local;
    else if (getsockname(fd, (struct sockaddr *)&local, &len) < 0)
        local.ss_family = AF_UNSPEC;
    if (local.ss_family != AF_UNSPEC)
        tcpq__format_address((struct sockaddr *)&local, r->address,
                             sizeof r->address);
    if (opt->backlog > 0 && in_force < opt->backlog)
        tcpq__warn(r, TCPQ_WARN_BACKLOG_CLAMPED);
    /* the cap unreadable, or (where it is read back) the SYN-queue rules */
    if (lim->somaxconn_runtime == 0 ||
        (tcpq__os.syncookies != NULL && lim->syncookies < 0))
        tcpq__warn(r, TCPQ_WARN_LIMITS_COMPILED);
    if (lim->syncookies == 0 && tcpq__os.syncookies != NULL)
        tcpq__warn(r, TCPQ_WARN_SYNCOOKIES_OFF);
    if (flags_ignored != 0)
        tcpq__warn(r, TCPQ_WARN_FLAG_IGNORED);
    context.backlog_read_back = read_back >= 0;
    context.syncookies = lim->syncookies;
    context.unread = limits->unread;
    context.defer_accept_s = opt->defer_accept_s;
    context.flags_ignored = flags_ignored;
    tcpq__compose_warnings(r, &context);
    return 0;
}

/* What can only be set before bind: asked for a bound socket, ignored. */
#define BIND_TIME_FLAGS (TCPQ_REUSEPORT | TCPQ_V6ONLY | TCPQ_FREEBIND)

static int listen_on_fd(int fd, const struct tcpq_options *opt,
                        struct tcpq_report *report)
{
    struct tcpq__listen_limits limits;
    struct tcpq__facts facts;
    int saved = errno;

    if (report != NULL)
        report->backlog_requested = opt->backlog;
    if (tcpq__check_socket(fd, &facts, report) < 0 ||
        tcpq__check_options(opt, TCPQ__CHECK_ALL | TCPQ__CHECK_LISTENER,
                            report) < 0)
        return -1;
    if (facts.connected)
        return tcpq__fail(report, EISCONN,
                          "listen fd %d: the socket is connected or connecting",
                          fd);
    tcpq__read_listen_limits(&limits, report != NULL);
    if (report != NULL && facts.listening)
        report->backlog_before = tcpq__os_backlog_in_force(fd);
    if (tcpq__configure(fd, &facts, opt, report) < 0)
        return -1;
    /* bind-time options only while unbound */
    if (!facts.bound &&
        tcpq__bind_flags(fd, facts.family, 0, opt->flags, report) < 0)
        return -1;
    if (tcpq__listen_steps(fd, &facts, opt, &limits,
                           facts.bound ? opt->flags & BIND_TIME_FLAGS : 0,
                           report) < 0)
        return -1;
    errno = saved;
    return 0;
}

int tcpq_listen_sized(int fd, const struct tcpq_options *opt, size_t opt_size,
                      struct tcpq_report *report, size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_options options;
    struct tcpq_report *r;

    if (tcpq__call_begin(&out, report, report_size, &r, opt, opt_size,
                         &options) < 0)
        return -1;
    return tcpq__report_end(&out, listen_on_fd(fd, &options, r));
}

int(tcpq_listen)(int fd, const struct tcpq_options *opt,
                 struct tcpq_report *report)
{
    return tcpq_listen_sized(fd, opt, TCPQ__OPTIONS_SIZE_0_1, report,
                             TCPQ__REPORT_SIZE_0_1);
}
