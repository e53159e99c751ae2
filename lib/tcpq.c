/* The portable core: argument checks, reports, buffers, modes, listen and
   open_listener. What differs per kernel comes from lib/os_<family>.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tcpq_internal.h"

/* ---- reports ---------------------------------------------------------- */

/* An address as text for messages: the longest IPv6 with a scope and a
   port fits (report.address, 64 bytes, holds every one the kernel gives) */
#define ADDRESS_TEXT 96

static void report_reset(struct tcpq_report *r)
{
    if (r == NULL)
        return;
    memset(r, 0, sizeof *r);
    r->backlog_requested = r->backlog = -1;
    r->accept_queue_capacity = r->syn_queue_capacity = -1;
    r->rcvbuf_requested = r->rcvbuf = r->rcvbuf_kernel = -1;
    r->sndbuf_requested = r->sndbuf = r->sndbuf_kernel = -1;
}

/* strerror(), but safe in threads: the XSI or the GNU strerror_r. */
static const char *error_text(int err, char *buf, size_t cap)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, cap);
#else
    if (strerror_r(err, buf, cap) != 0)
        snprintf(buf, cap, "error %d", err);
    return buf;
#endif
}

/* Failure: "step: strerror(err)". Sets errno to err and returns -1. */
static int fail(struct tcpq_report *r, int err, const char *fmt, ...)
{
    if (r != NULL) {
        va_list ap;
        int n;
        va_start(ap, fmt);
        n = vsnprintf(r->message, sizeof r->message, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof r->message) {
            char text[128];
            snprintf(r->message + n, sizeof r->message - (size_t)n, ": %s",
                     error_text(err, text, sizeof text));
        }
    }
    errno = err;
    return -1;
}

/* Appends one warning's text to the message, "; " between two. */
static void append(struct tcpq_report *r, const char *fmt, ...)
{
    size_t used = strlen(r->message);
    va_list ap;
    int n;

    if (used > 0) {
        if (used + 3 > sizeof r->message)
            return;
        memcpy(r->message + used, "; ", 3);
        used += 2;
    }
    va_start(ap, fmt);
    n = vsnprintf(r->message + used, sizeof r->message - used, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n >= sizeof r->message - used) /* cut: say so */
        memcpy(r->message + sizeof r->message - 4, "...", 4);
}

/* What compose_warnings needs beyond the report's own figures. */
struct warn_context {
    int backlog_read_back;      /* the kernel told the backlog back */
    int syncookies;             /* as read, -1 unknown */
    struct tcpq__unread unread; /* what could not be read, and why */
};

/* The figure a sysctl should be raised to so that `requested` is granted:
   the request itself, or the kernel's hard cap where it is lower. */
static int raise_to(int requested)
{
    const int hard = tcpq__os.buffer_hard_cap;

    return hard > 0 && requested > hard ? hard : requested;
}

int tcpq_warning_fix(const struct tcpq_report *report, unsigned warning,
                     char *buf, size_t len)
{
    const char *sysctl = NULL;
    int value = 0;

    if (report == NULL || tcpq_warning_name(warning) == NULL) {
        errno = EINVAL;
        return -1;
    }
    switch (warning) {
    case TCPQ_WARN_BACKLOG_CLAMPED:
        sysctl = tcpq__os.somaxconn;
        value = report->backlog_requested;
        break;
    case TCPQ_WARN_SYNCOOKIES_OFF:
        sysctl = tcpq__os.syncookies;
        value = 1;
        break;
    case TCPQ_WARN_RCVBUF_CLAMPED:
    case TCPQ_WARN_SNDBUF_CLAMPED: {
        int receive = warning == TCPQ_WARN_RCVBUF_CLAMPED;
        int granted = receive ? report->rcvbuf : report->sndbuf;
        /* at the hard cap (also where FORCE passed the sysctl) none helps */
        if (tcpq__os.buffer_hard_cap > 0 && granted >= tcpq__os.buffer_hard_cap)
            break;
        sysctl = receive ? tcpq__os.rmem_max : tcpq__os.wmem_max;
        value = raise_to(receive ? report->rcvbuf_requested
                                 : report->sndbuf_requested);
        break;
    }
    default: /* no command lifts the others */
        break;
    }
    if (sysctl == NULL || tcpq__os.sysctl_set == NULL || value <= 0)
        return snprintf(buf, len, "%s", "");
    return snprintf(buf, len, "%s %s=%d", tcpq__os.sysctl_set, sysctl, value);
}

/* One clamp, with its fix where one helps: "rcvbuf 100 clamped to 50 by
   net.core.rmem_max; raise it with: sysctl -w net.core.rmem_max=100". */
static void append_clamp(struct tcpq_report *r, unsigned warning,
                         const char *what, int requested, int granted,
                         const char *cap)
{
    const int hard = tcpq__os.buffer_hard_cap;
    int buffer = warning != TCPQ_WARN_BACKLOG_CLAMPED;
    char fix[128];

    tcpq_warning_fix(r, warning, fix, sizeof fix);
    if (buffer && hard > 0 && granted >= hard)
        append(r,
               "%s %d clamped to %d, the kernel's hard limit (INT_MAX/2 "
               "bytes), which no setting lifts",
               what, requested, granted);
    else if (fix[0] == '\0')
        append(r, "%s %d clamped to %d by the kernel", what, requested,
               granted);
    else if (buffer && hard > 0 && requested > hard)
        append(r,
               "%s %d clamped to %d by %s (the kernel's hard limit is %d); "
               "raise it with: %s",
               what, requested, granted, cap, hard, fix);
    else
        append(r, "%s %d clamped to %d by %s; raise it with: %s", what,
               requested, granted, cap, fix);
}

/* On success: each warning the report carries, with its fix, most
   important first, from the figures the report holds. */
static void compose_warnings(struct tcpq_report *r,
                             const struct warn_context *c)
{
    char text[160], reason[96];

    if (r == NULL)
        return;
    r->message[0] = '\0';
    if (r->warnings & TCPQ_WARN_BACKLOG_CLAMPED)
        append_clamp(r, TCPQ_WARN_BACKLOG_CLAMPED, "backlog",
                     r->backlog_requested, r->backlog, tcpq__os.somaxconn);
    if (r->warnings & TCPQ_WARN_LIMITS_COMPILED) {
        /* the figure and the real cause: a hidden /proc/sys (ENOENT) is
           not a process out of descriptors (EMFILE) */
        if (c->unread.name != NULL)
            snprintf(text, sizeof text, "%s unreadable (%s)", c->unread.name,
                     error_text(c->unread.err, reason, sizeof reason));
        else
            snprintf(text, sizeof text, "no runtime limits on this system");
        if (c->backlog_read_back)
            append(r,
                   "%s: SYN-queue capacity unknown; the backlog was read back "
                   "from the kernel",
                   text);
        else
            append(r, "%s: compile-time SOMAXCONN %d assumed", text, SOMAXCONN);
    }
    if ((r->warnings & TCPQ_WARN_SYNCOOKIES_OFF) && tcpq__os.syncookies) {
        tcpq_warning_fix(r, TCPQ_WARN_SYNCOOKIES_OFF, text, sizeof text);
        append(r, "%s=%d: SYNs past the SYN queue (%d) are dropped; %s",
               tcpq__os.syncookies, c->syncookies, r->syn_queue_capacity, text);
    }
    if (r->warnings & TCPQ_WARN_RCVBUF_CLAMPED)
        append_clamp(r, TCPQ_WARN_RCVBUF_CLAMPED, "rcvbuf", r->rcvbuf_requested,
                     r->rcvbuf, tcpq__os.rmem_max);
    if (r->warnings & TCPQ_WARN_SNDBUF_CLAMPED)
        append_clamp(r, TCPQ_WARN_SNDBUF_CLAMPED, "sndbuf", r->sndbuf_requested,
                     r->sndbuf, tcpq__os.wmem_max);
    if (r->warnings & TCPQ_WARN_TOO_LATE)
        append(r, "buffers set after the handshake (window scale fixed): set "
                  "them before connect() or on the listener");
    if (r->warnings & TCPQ_WARN_AUTOTUNING_OFF)
        append(r, "fixed buffers disable autotuning");
}

static void warn(struct tcpq_report *r, unsigned bit)
{
    if (r != NULL)
        r->warnings |= bit;
}

void tcpq__format_address(const struct sockaddr *sa, char *buf, size_t cap)
{
    char host[NI_MAXHOST]; /* an IPv6 address, '%' and its interface */
    char port[8];
    int v6 = sa->sa_family == AF_INET6;
    int n;

    if (cap == 0)
        return;
    if ((sa->sa_family != AF_INET && !v6) ||
        getnameinfo(
            sa, v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
            host, sizeof host, port, sizeof port,
            NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, cap, "?");
        return;
    }
    n = snprintf(buf, cap, v6 ? "[%s]:%s" : "%s:%s", host, port);
    if (n > 0 && (size_t)n >= cap && cap > 12) {
        /* too long: cut the host visibly, keep the port */
        size_t tail = strlen(port) + (v6 ? 2 : 1); /* "]:" PORT */
        size_t keep = cap - 1 - 3 - tail;
        snprintf(buf + keep, cap - keep, "...%s%s", v6 ? "]:" : ":", port);
    }
}

/* getsockname() into a zeroed ss: POSIX leaves ss unspecified for an
   unbound socket, so it reads as family 0, port 0, never junk. */
static int local_address(int fd, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof *ss;

    memset(ss, 0, sizeof *ss);
    return getsockname(fd, (struct sockaddr *)ss, &len);
}

/* The port of an IPv4/IPv6 address; 0 for any other family. */
static int port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_port;
    if (ss->ss_family == AF_INET6)
        return ((const struct sockaddr_in6 *)ss)->sin6_port;
    return 0;
}

static void report_local_address(int fd, struct tcpq_report *r)
{
    struct sockaddr_storage ss;

    if (r != NULL && local_address(fd, &ss) == 0)
        tcpq__format_address((struct sockaddr *)&ss, r->address,
                             sizeof r->address);
}

void tcpq__limits_unknown(struct tcpq_limits *out, const char *os,
                          enum tcpq_queue_model model)
{
    int *ints[] = {
        &out->somaxconn,   &out->somaxconn_runtime, &out->max_syn_backlog,
        &out->syncookies,  &out->abort_on_overflow, &out->rmem_default,
        &out->rmem_max,    &out->wmem_default,      &out->wmem_max,
        &out->tcp_rmem[0], &out->tcp_rmem[1],       &out->tcp_rmem[2],
        &out->tcp_wmem[0], &out->tcp_wmem[1],       &out->tcp_wmem[2]};
    size_t i;

    memset(out, 0, sizeof *out);
    out->os = os;
    out->queue_model = model;
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
        *ints[i] = -1;
}

/* ---- argument checks: before anything about the socket changes ------- */

static const struct tcpq_options default_options = {0, 0, 0, TCPQ_BLOCKING,
                                                    0, 0};

static int check_options(const struct tcpq_options *opt, struct tcpq_report *r)
{
    if (opt->rcvbuf < 0)
        return fail(r, EINVAL, "options: rcvbuf %d is negative", opt->rcvbuf);
    if (opt->sndbuf < 0)
        return fail(r, EINVAL, "options: sndbuf %d is negative", opt->sndbuf);
    if ((int)opt->mode < (int)TCPQ_BLOCKING ||
        (int)opt->mode > (int)TCPQ_NONBLOCKING)
        return fail(r, EINVAL, "options: unknown mode %d", (int)opt->mode);
    if (opt->mode == TCPQ_TIMEOUT && opt->timeout_ms <= 0)
        return fail(r, EINVAL,
                    "options: timeout_ms %d must be > 0 in TCPQ_TIMEOUT",
                    opt->timeout_ms);
    if (opt->flags & ~TCPQ_FLAGS_ALL)
        return fail(r, EINVAL, "options: unknown flag bits 0x%x",
                    opt->flags & ~TCPQ_FLAGS_ALL);
    return 0;
}

/* fd must be an open TCP socket (IPv4 or IPv6, SOCK_STREAM). */
static int check_tcp_socket(int fd, struct tcpq_report *r)
{
    struct sockaddr_storage ss;
    int type = 0;
    socklen_t type_len = sizeof type;

    if (fd < 0)
        return fail(r, EBADF, "fd %d", fd);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) < 0)
        return fail(r, errno, "fd %d", fd);
    if (type != SOCK_STREAM)
        return fail(r, EOPNOTSUPP, "fd %d is not a TCP socket (type %d)", fd,
                    type);
    if (local_address(fd, &ss) < 0)
        return fail(r, errno, "getsockname fd %d", fd);
    if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
        return fail(r, EOPNOTSUPP, "fd %d is not a TCP socket (family %d)", fd,
                    (int)ss.ss_family);
#ifdef SO_PROTOCOL
    {
        int protocol = 0;
        socklen_t protocol_len = sizeof protocol;
        if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &protocol_len) ==
                0 &&
            protocol != IPPROTO_TCP)
            return fail(r, EOPNOTSUPP,
                        "fd %d is not a TCP socket (protocol %d)", fd,
                        protocol);
    }
#endif
    return 0;
}

static int check_call(int fd, const struct tcpq_options *opt,
                      struct tcpq_report *r)
{
    if (check_tcp_socket(fd, r) < 0)
        return -1;
    return check_options(opt, r);
}

static int is_connected(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    return getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
}

static int set_int_option(int fd, int level, int name, int value,
                          const char *label, struct tcpq_report *r)
{
    if (setsockopt(fd, level, name, &value, sizeof value) < 0)
        return fail(r, errno, "setsockopt %s", label);
    return 0;
}

/* ---- version and limits ----------------------------------------------- */

const char *tcpq_version(void)
{
    return TCPQ_VERSION_STRING;
}

const char *tcpq_warning_name(unsigned warning)
{
    switch (warning) {
    case TCPQ_WARN_BACKLOG_CLAMPED:
        return "TCPQ_WARN_BACKLOG_CLAMPED";
    case TCPQ_WARN_RCVBUF_CLAMPED:
        return "TCPQ_WARN_RCVBUF_CLAMPED";
    case TCPQ_WARN_SNDBUF_CLAMPED:
        return "TCPQ_WARN_SNDBUF_CLAMPED";
    case TCPQ_WARN_AUTOTUNING_OFF:
        return "TCPQ_WARN_AUTOTUNING_OFF";
    case TCPQ_WARN_LIMITS_COMPILED:
        return "TCPQ_WARN_LIMITS_COMPILED";
    case TCPQ_WARN_TOO_LATE:
        return "TCPQ_WARN_TOO_LATE";
    case TCPQ_WARN_SYNCOOKIES_OFF:
        return "TCPQ_WARN_SYNCOOKIES_OFF";
    default:
        return NULL;
    }
}

int tcpq_get_limits(struct tcpq_limits *out)
{
    int saved = errno;

    if (out == NULL) {
        errno = EINVAL;
        return -1;
    }
    tcpq__os_limits(out, TCPQ__LIM_ALL, NULL);
    errno = saved;
    return 0;
}

/* ---- queue telemetry ---------------------------------------------------- */

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
    int saved = errno;
    int len, limit;

    if (out == NULL) {
        errno = EINVAL;
        return -1;
    }
    out->accept_queue_len = out->accept_queue_limit = -1;
    out->listen_overflows = out->listen_drops = -1;
    if (check_tcp_socket(listen_fd, NULL) < 0)
        return -1;
    if (tcpq__os_accept_queue(listen_fd, &len, &limit) < 0) {
        if (errno != EOPNOTSUPP)
            return -1;
        /* the OS does not tell the queue; still refuse a non-listener */
        if (getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &len,
                       &(socklen_t){sizeof len}) == 0 &&
            len == 0) {
            errno = EINVAL;
            return -1;
        }
    } else {
        out->accept_queue_len = len;
        out->accept_queue_limit = limit;
    }
    tcpq__os_listen_counters(&out->listen_overflows, &out->listen_drops);
    errno = saved;
    return 0;
}

/* ---- buffers ------------------------------------------------------------ */

static int apply_buffer(int fd, int receive, int requested, unsigned flags,
                        struct tcpq_report *r)
{
    const char *label = receive ? "SO_RCVBUF" : "SO_SNDBUF";
    const char *cap = receive ? tcpq__os.rmem_max : tcpq__os.wmem_max;
    int name = receive ? SO_RCVBUF : SO_SNDBUF;
    int kernel = 0;
    socklen_t len = sizeof kernel;
    int granted;

    if (requested > 0) {
        if (flags & TCPQ_FORCE_BUFFERS) {
            if (tcpq__os_force_buffer(fd, receive, requested) < 0) {
                int err = errno;
                if (err == EPERM)
                    return fail(r, err,
                                "setsockopt %s %d (needs CAP_NET_ADMIN in "
                                "the initial user namespace; without "
                                "TCPQ_FORCE_BUFFERS it is capped by %s)",
                                tcpq__os_force_name(receive), requested, cap);
                return fail(r, err, "setsockopt %s %d",
                            tcpq__os_force_name(receive), requested);
            }
        } else if (setsockopt(fd, SOL_SOCKET, name, &requested,
                              sizeof requested) < 0) {
            return fail(r, errno, "setsockopt %s %d", label, requested);
        }
    }
    if (getsockopt(fd, SOL_SOCKET, name, &kernel, &len) < 0)
        return fail(r, errno, "getsockopt %s", label);
    granted = kernel / tcpq__os.buffer_scale;
    if (r != NULL) {
        if (receive) {
            r->rcvbuf_requested = requested;
            r->rcvbuf = granted;
            r->rcvbuf_kernel = kernel;
        } else {
            r->sndbuf_requested = requested;
            r->sndbuf = granted;
            r->sndbuf_kernel = kernel;
        }
    }
    if (requested > 0 && granted < requested)
        warn(r, receive ? TCPQ_WARN_RCVBUF_CLAMPED : TCPQ_WARN_SNDBUF_CLAMPED);
    return 0;
}

/* Applies and reports both buffers; the arguments are already checked. */
static int apply_buffers(int fd, const struct tcpq_options *opt,
                         struct tcpq_report *r)
{
    if (apply_buffer(fd, 1, opt->rcvbuf, opt->flags, r) < 0 ||
        apply_buffer(fd, 0, opt->sndbuf, opt->flags, r) < 0)
        return -1;
    if (opt->rcvbuf > 0 || opt->sndbuf > 0) {
        warn(r, TCPQ_WARN_AUTOTUNING_OFF);
        if (is_connected(fd))
            warn(r, TCPQ_WARN_TOO_LATE);
    }
    return 0;
}

int tcpq_set_buffers(int fd, const struct tcpq_options *opt,
                     struct tcpq_report *report)
{
    int saved = errno;

    report_reset(report);
    if (opt == NULL)
        opt = &default_options;
    if (check_call(fd, opt, report) < 0 || apply_buffers(fd, opt, report) < 0)
        return -1;
    if (report != NULL) {
        const struct warn_context c = {0, -1, {NULL, 0}};
        compose_warnings(report, &c);
    }
    errno = saved;
    return 0;
}

/* ---- modes -------------------------------------------------------------- */

static int apply_mode(int fd, const struct tcpq_options *opt,
                      struct tcpq_report *r)
{
    struct timeval tv = {0, 0};
    int fl = fcntl(fd, F_GETFL);
    int want_fl;

    if (fl < 0)
        return fail(r, errno, "fcntl F_GETFL");
    want_fl =
        opt->mode == TCPQ_NONBLOCKING ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    if (opt->mode == TCPQ_TIMEOUT) {
        tv.tv_sec = opt->timeout_ms / 1000;
        tv.tv_usec = (suseconds_t)(opt->timeout_ms % 1000) * 1000;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return fail(r, errno, "setsockopt SO_RCVTIMEO");
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
        return fail(r, errno, "setsockopt SO_SNDTIMEO");
    if (want_fl != fl && fcntl(fd, F_SETFL, want_fl) < 0)
        return fail(r, errno, "fcntl F_SETFL");
    return 0;
}

int tcpq_set_timeout_mode(int fd, const struct tcpq_options *opt)
{
    int saved = errno;

    if (opt == NULL)
        opt = &default_options;
    if (check_call(fd, opt, NULL) < 0 || apply_mode(fd, opt, NULL) < 0)
        return -1;
    errno = saved;
    return 0;
}

/* A kernel timeout in whole milliseconds, rounded up, at most INT_MAX. */
int tcpq__timeout_ms(int fd, int name, int *out)
{
    struct timeval tv;
    socklen_t len = sizeof tv;
    long long ms;

    if (getsockopt(fd, SOL_SOCKET, name, &tv, &len) < 0)
        return -1;
    ms = (long long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
    *out = ms > INT_MAX ? INT_MAX : (int)ms;
    return 0;
}

int tcpq_get_timeout_mode(int fd, enum tcpq_mode *mode, int *timeout_ms)
{
    int saved = errno;
    int fl, rcv_ms, snd_ms;
    enum tcpq_mode m = TCPQ_BLOCKING;
    int ms = 0;

    if (check_tcp_socket(fd, NULL) < 0)
        return -1;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || tcpq__timeout_ms(fd, SO_RCVTIMEO, &rcv_ms) < 0 ||
        tcpq__timeout_ms(fd, SO_SNDTIMEO, &snd_ms) < 0)
        return -1;
    if (fl & O_NONBLOCK) {
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

/* Options that only matter before bind(); the socket is unbound here. */
static int apply_bind_flags(int fd, int family, int dual_stack, unsigned flags,
                            struct tcpq_report *r)
{
    if (!(flags & TCPQ_NO_REUSEADDR) &&
        set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", r) < 0)
        return -1;
    if (flags & TCPQ_REUSEPORT) {
#if defined(SO_REUSEPORT_LB)
        if (set_int_option(fd, SOL_SOCKET, SO_REUSEPORT_LB, 1,
                           "SO_REUSEPORT_LB", r) < 0)
            return -1;
#elif defined(SO_REUSEPORT)
        if (set_int_option(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", r) <
            0)
            return -1;
#else
        return fail(r, EOPNOTSUPP, "setsockopt SO_REUSEPORT");
#endif
    }
    if (family == AF_INET6 && ((flags & TCPQ_V6ONLY) || dual_stack) &&
        set_int_option(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                       (flags & TCPQ_V6ONLY) ? 1 : 0, "IPV6_V6ONLY", r) < 0)
        return -1;
    return 0;
}

static int apply_socket_flags(int fd, unsigned flags, struct tcpq_report *r)
{
    if ((flags & TCPQ_NODELAY) &&
        set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY", r) < 0)
        return -1;
    if ((flags & TCPQ_KEEPALIVE) &&
        set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", r) < 0)
        return -1;
    return 0;
}

/* The limits a listener needs, with what could not be read. */
struct listen_limits {
    struct tcpq_limits lim;
    struct tcpq__unread unread;
};

static void read_listen_limits(struct listen_limits *l)
{
    tcpq__os_limits(&l->lim, TCPQ__LIM_LISTEN, &l->unread);
}

/* Everything after the checks; `fresh` when the caller made and bound the
   bind-time options itself (open_listener, before bind). The limits are
   read by the caller: open_listener reads them before it makes a socket,
   so that its descriptor is not the one a procfs read then lacks. */
static int listen_checked(int fd, const struct tcpq_options *opt, int fresh,
                          const struct listen_limits *limits,
                          struct tcpq_report *r)
{
    const struct tcpq_limits *lim = &limits->lim;
    struct warn_context context;
    struct sockaddr_storage ss;
    int wanted, in_force, read_back, unreadable;

    if (!fresh && (tcpq__os_is_idle(fd) == 0 || is_connected(fd)))
        return fail(r, EISCONN,
                    "listen fd %d: the socket is connected or connecting", fd);
    if (lim->somaxconn_runtime == 1)
        wanted = opt->backlog <= 0 || opt->backlog > lim->somaxconn
                     ? lim->somaxconn
                     : opt->backlog;
    else /* cap not read: the kernel clamps, and we read back what it did */
        wanted = opt->backlog <= 0 ? INT_MAX : opt->backlog;

    if (apply_buffers(fd, opt, r) < 0)
        return -1;
    /* bind-time options only while unbound: one getsockname tells both */
    if (!fresh && local_address(fd, &ss) == 0 && port_of(&ss) == 0 &&
        apply_bind_flags(fd, ss.ss_family, 0, opt->flags, r) < 0)
        return -1;
    if (apply_socket_flags(fd, opt->flags, r) < 0)
        return -1;
    /* a socket just made is blocking with no timeouts already */
    if ((!fresh || opt->mode != TCPQ_BLOCKING) && apply_mode(fd, opt, r) < 0)
        return -1;
    if (listen(fd, wanted) < 0)
        return fail(r, errno, "listen fd %d backlog %d", fd, wanted);

    read_back = tcpq__os_backlog_in_force(fd);
    in_force = read_back;
    if (in_force < 0) { /* the kernel does not tell: our clamp, or a guess */
        int cap = lim->somaxconn >= 0 ? lim->somaxconn : SOMAXCONN;
        in_force = wanted < cap ? wanted : cap;
    }
    if (r == NULL)
        return 0;
    r->backlog_requested = opt->backlog;
    r->backlog = in_force;
    r->accept_queue_capacity = tcpq__os_accept_queue_capacity(in_force);
    r->syn_queue_capacity = tcpq__os_syn_queue_capacity(in_force, lim);
    report_local_address(fd, r);
    if (opt->backlog > 0 && in_force < opt->backlog)
        warn(r, TCPQ_WARN_BACKLOG_CLAMPED);
    /* the cap unreadable, or (where it is read back) the SYN-queue rules */
    unreadable = lim->somaxconn_runtime == 0 ||
                 (tcpq__os.syncookies != NULL && lim->syncookies < 0);
    if (unreadable)
        warn(r, TCPQ_WARN_LIMITS_COMPILED);
    if (lim->syncookies == 0 && tcpq__os.syncookies != NULL)
        warn(r, TCPQ_WARN_SYNCOOKIES_OFF);
    context.backlog_read_back = read_back >= 0;
    context.syncookies = lim->syncookies;
    context.unread = limits->unread;
    compose_warnings(r, &context);
    return 0;
}

int tcpq_listen(int fd, const struct tcpq_options *opt,
                struct tcpq_report *report)
{
    struct listen_limits limits;
    int saved = errno;

    report_reset(report);
    if (opt == NULL)
        opt = &default_options;
    if (report != NULL)
        report->backlog_requested = opt->backlog;
    if (check_call(fd, opt, report) < 0)
        return -1;
    read_listen_limits(&limits);
    if (listen_checked(fd, opt, 0, &limits, report) < 0)
        return -1;
    errno = saved;
    return 0;
}

/* ---- open_listener ------------------------------------------------------ */

/* A port is digits only, 0..65535 (returns 1: numeric), or a service
   name that starts with a letter (returns 0). getaddrinfo itself would
   take " 99999" or "+70000" and bind the low 16 bits. */
static int check_port(const char *port, struct tcpq_report *r)
{
    const char *p;
    long value = 0;

    if (port == NULL)
        return fail(r, EINVAL, "port NULL");
    if ((*port >= 'a' && *port <= 'z') || (*port >= 'A' && *port <= 'Z'))
        return 0;
    for (p = port; *p >= '0' && *p <= '9'; p++) {
        value = value * 10 + (*p - '0');
        if (value > 65535)
            return fail(r, EINVAL, "port %.16s out of range 0..65535", port);
    }
    if (p == port || *p != '\0')
        return fail(r, EINVAL, "port \"%.16s\" is neither 0..65535 nor a name",
                    port);
    return 1;
}

static int errno_of_gai(int gai)
{
    switch (gai) {
    case EAI_NONAME:
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA:
#endif
#if defined(EAI_ADDRFAMILY)
    case EAI_ADDRFAMILY:
#endif
    case EAI_FAIL:
        return EADDRNOTAVAIL;
    case EAI_AGAIN:
        return EAGAIN;
    case EAI_MEMORY:
        return ENOMEM;
    case EAI_FAMILY:
        return EAFNOSUPPORT;
    case EAI_SYSTEM:
        return errno != 0 ? errno : EIO;
    default: /* EAI_SERVICE, EAI_SOCKTYPE, EAI_BADFLAGS */
        return EINVAL;
    }
}

static int open_socket(int family)
{
    int fd;
#ifdef SOCK_CLOEXEC
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
#else
    fd = socket(family, SOCK_STREAM, IPPROTO_TCP);
    if (fd >= 0 && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
#endif
    return fd;
}

/* One candidate address: socket, bind-time flags, bind, listen. */
static int listen_on(const struct addrinfo *ai, int dual_stack,
                     const struct tcpq_options *opt,
                     const struct listen_limits *limits, struct tcpq_report *r)
{
    char where[ADDRESS_TEXT];
    int fd = open_socket(ai->ai_family);
    int err = errno;

    if (r != NULL) { /* a failed earlier candidate leaves nothing behind */
        r->message[0] = '\0';
        r->warnings = 0;
    }
    tcpq__format_address(ai->ai_addr, where, sizeof where);
    if (fd < 0)
        return fail(r, err, "socket %s", where);
    if (apply_bind_flags(fd, ai->ai_family, dual_stack, opt->flags, r) < 0)
        goto fail;
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        fail(r, errno, "bind %s", where);
        goto fail;
    }
    if (listen_checked(fd, opt, 1, limits, r) < 0) /* fresh: made here */
        goto fail;
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/* Checks port and options, then resolves: 0 with *list, or -1 with errno
   and the message. `passive` for a listener (host NULL: all interfaces). */
static int resolve(const char *host, const char *port, int passive,
                   const struct tcpq_options *opt, struct addrinfo **list,
                   struct tcpq_report *r)
{
    struct addrinfo hints;
    int gai, numeric = check_port(port, r);

    if (numeric < 0 || check_options(opt, r) < 0)
        return -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags =
        (passive ? AI_PASSIVE : 0) | (numeric ? AI_NUMERICSERV : 0);
    errno = 0;
    gai = getaddrinfo(host, port, &hints, list);
    if (gai != 0) {
        int err = errno_of_gai(gai);
        char text[128];
        if (r != NULL)
            snprintf(r->message, sizeof r->message,
                     "getaddrinfo %.90s port %.16s: %s", host ? host : "(any)",
                     port,
                     gai == EAI_SYSTEM ? error_text(err, text, sizeof text)
                                       : gai_strerror(gai));
        errno = err;
        return -1;
    }
    return 0;
}

int tcpq_open_listener(const char *host, const char *port,
                       const struct tcpq_options *opt,
                       struct tcpq_report *report)
{
    struct addrinfo *list = NULL, *ai;
    struct listen_limits limits;
    int saved = errno;
    int fd = -1, pass;

    report_reset(report);
    if (opt == NULL)
        opt = &default_options;
    if (report != NULL)
        report->backlog_requested = opt->backlog;
    if (resolve(host, port, 1, opt, &list, report) < 0)
        return -1;
    read_listen_limits(&limits); /* before a socket takes a descriptor */
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

/* ---- connect --------------------------------------------------------------
 */

/* A non-blocking connect that has already failed: the error, or 0 while
   it is in progress or connected. On this host (loopback, a local
   address) a refusal is known before connect() returns. */
static int failed_at_once(int fd)
{
    struct pollfd pfd;
    int err = 0;
    socklen_t len = sizeof err;

    pfd.fd = fd;
    pfd.events = POLLOUT;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) != 1 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return 0;
    return err;
}

/* One candidate address: a non-blocking socket with buffers and flags set
   before connect(), then the wait the mode asks for. Returns the fd
   (connected, or in progress in TCPQ_NONBLOCKING) or -1, closing it.
   `more`: another address remains, so a non-blocking connect that has
   already failed is given up here rather than returned. */
static int connect_to(const struct addrinfo *ai, const struct tcpq_options *opt,
                      long long deadline, int more, struct tcpq_report *r)
{
    char where[ADDRESS_TEXT];
    int fd = open_socket(ai->ai_family);
    int err = errno;

    tcpq__format_address(ai->ai_addr, where, sizeof where);
    if (fd < 0)
        return fail(r, err, "socket %s", where);
    if (r != NULL) {
        r->message[0] = '\0';
        r->warnings = 0;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        fail(r, errno, "fcntl O_NONBLOCK");
        goto fail;
    }
    if (apply_buffers(fd, opt, r) < 0 ||
        apply_socket_flags(fd, opt->flags, r) < 0)
        goto fail;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        int ready;
        if (errno != EINPROGRESS) {
            fail(r, errno, "connect %s", where);
            goto fail;
        }
        if (opt->mode == TCPQ_NONBLOCKING) {
            /* the caller learns the outcome with connect_finish, unless
               it is known already and another address remains */
            int now = more ? failed_at_once(fd) : 0;
            if (now != 0) {
                fail(r, now, "connect %s", where);
                goto fail;
            }
            goto connected;
        }
        ready = tcpq__wait(fd, POLLOUT, deadline);
        if (ready <= 0) {
            fail(r, ready == 0 ? ETIMEDOUT : errno, "connect %s", where);
            goto fail;
        }
        if (tcpq__connect_outcome(fd) < 0) {
            fail(r, errno, "connect %s", where);
            goto fail;
        }
    }
connected:
    if (apply_mode(fd, opt, r) < 0)
        goto fail;
    if (r != NULL)
        tcpq__format_address(ai->ai_addr, r->address, sizeof r->address);
    return fd;
fail:
    err = errno;
    close(fd); /* a socket still connecting is dropped: nothing half-open */
    errno = err;
    return -1;
}

int tcpq_connect(const char *host, const char *port,
                 const struct tcpq_options *opt, struct tcpq_report *report)
{
    struct addrinfo *list = NULL, *ai;
    long long deadline = -1;
    int saved = errno;
    int fd = -1;

    report_reset(report);
    if (opt == NULL)
        opt = &default_options;
    if (host == NULL)
        return fail(report, EINVAL, "host NULL");
    if (opt->mode == TCPQ_TIMEOUT && opt->timeout_ms > 0)
        deadline = tcpq__now_ns() + (long long)opt->timeout_ms * 1000000LL;
    if (resolve(host, port, 0, opt, &list, report) < 0)
        return -1;
    /* each address in turn, all within the one deadline: an address the
       kernel gave up on (ETIMEDOUT after tcp_syn_retries) does not end
       the call, only the caller's deadline does */
    for (ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_to(ai, opt, deadline, ai->ai_next != NULL, report);
        if (fd < 0 && deadline >= 0 && tcpq__now_ns() >= deadline)
            break;
    }
    freeaddrinfo(list);
    if (fd < 0)
        return -1;
    if (report != NULL) {
        const struct warn_context c = {0, -1, {NULL, 0}};
        compose_warnings(report, &c);
    }
    errno = saved;
    return fd;
}
