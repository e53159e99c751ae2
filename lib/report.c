/* The report layer: what a call tells its caller. Failure messages,
   warnings with their fixes (tcpq_warning_fix), addresses as text,
   warning names, error classes and the version. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpq_internal.h"

/* ---- failures --------------------------------------------------------- */

void tcpq__report_reset(struct tcpq_report *r)
{
    if (r == NULL)
        return;
    memset(r, 0, sizeof *r);
    r->backlog_requested = r->backlog = -1;
    r->accept_queue_capacity = r->syn_queue_capacity = -1;
    r->rcvbuf_requested = r->rcvbuf = r->rcvbuf_kernel = -1;
    r->sndbuf_requested = r->sndbuf = r->sndbuf_kernel = -1;
    r->keepalive_idle_s = r->keepalive_intvl_s = r->keepalive_cnt = -1;
    r->user_timeout_ms = r->defer_accept_s = r->fastopen_qlen = -1;
    r->notsent_lowat = r->attempts = r->backlog_before = -1;
}

/* strerror(), but safe in threads: the XSI or the GNU strerror_r. */
const char *tcpq__error_text(int err, char *buf, size_t cap)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, cap);
#else
    if (strerror_r(err, buf, cap) != 0)
        snprintf(buf, cap, "error %d", err);
    return buf;
#endif
}

int tcpq__fail(struct tcpq_report *r, int err, const char *fmt, ...)
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
                     tcpq__error_text(err, text, sizeof text));
        }
    }
    errno = err;
    return -1;
}

/* ---- the binary boundary ------------------------------------------------ */

int tcpq__options_in(const struct tcpq_options *opt, size_t size,
                     struct tcpq_options *full, struct tcpq_report *r)
{
    const unsigned char *bytes = (const unsigned char *)opt;
    size_t i;

    memset(full, 0, sizeof *full);
    if (opt == NULL)
        return 0; /* all defaults */
    if (size < TCPQ__OPTIONS_SIZE_0_1)
        return tcpq__fail(r, EINVAL,
                          "options: size %zu, smaller than any libtcpq's (%zu)",
                          size, (size_t)TCPQ__OPTIONS_SIZE_0_1);
    for (i = sizeof *full; i < size; i++)
        if (bytes[i] != 0)
            return tcpq__fail(r, E2BIG,
                              "options: byte %zu of %zu is set, a field this "
                              "libtcpq %s does not know (it knows %zu bytes); "
                              "link a newer libtcpq",
                              i, size, TCPQ_VERSION_STRING, sizeof *full);
    memcpy(full, opt, size < sizeof *full ? size : sizeof *full);
    return 0;
}

int tcpq__report_begin(struct tcpq__report_out *o, struct tcpq_report *user,
                       size_t size, struct tcpq_report **fill)
{
    o->user = user;
    o->size = size;
    *fill = NULL;
    if (user == NULL)
        return 0;
    if (size < TCPQ__REPORT_SIZE_0_1) {
        o->user = NULL; /* too small to hold even a message */
        errno = EINVAL;
        return -1;
    }
    tcpq__report_reset(&o->full);
    *fill = &o->full;
    return 0;
}

int tcpq__report_end(struct tcpq__report_out *o, int rc)
{
    if (o->user != NULL) {
        size_t n = o->size < sizeof o->full ? o->size : sizeof o->full;
        memcpy(o->user, &o->full, n);
        if (o->size > n) /* fields newer than this library: zero */
            memset((char *)o->user + n, 0, o->size - n);
    }
    return rc;
}

int tcpq__call_begin(struct tcpq__report_out *o, struct tcpq_report *user,
                     size_t report_size, struct tcpq_report **fill,
                     const struct tcpq_options *opt, size_t opt_size,
                     struct tcpq_options *full)
{
    if (tcpq__report_begin(o, user, report_size, fill) < 0)
        return -1;
    if (tcpq__options_in(opt, opt_size, full, *fill) < 0)
        return tcpq__report_end(o, -1);
    return 0;
}

/* ---- warnings ----------------------------------------------------------- */

void tcpq__warn(struct tcpq_report *r, unsigned bit)
{
    if (r != NULL)
        r->warnings |= bit;
}

/* Appends one warning's text to the message, "; " between two. */
static void append(struct tcpq_report *r, const char *fmt, ...)
    TCPQ__PRINTF(2, 3);
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

/* The figure a sysctl should be raised to so that `requested` is granted:
   the request itself, or the kernel's hard cap where it is lower. */
static int raise_to(int requested)
{
    const int hard = tcpq__os.buffer_hard_cap;

    return hard > 0 && requested > hard ? hard : requested;
}

int tcpq_warning_fix_sized(const struct tcpq_report *report, size_t report_size,
                           unsigned warning, char *buf, size_t len)
{
    const char *sysctl = NULL;
    int value = 0;

    if (report == NULL || report_size < TCPQ__REPORT_SIZE_0_1 ||
        tcpq_warning_name(warning) == NULL) {
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
    case TCPQ_WARN_FASTOPEN_OFF: /* client and server bits */
        sysctl = tcpq__os.fastopen_sysctl;
        value = 3;
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

int(tcpq_warning_fix)(const struct tcpq_report *report, unsigned warning,
                      char *buf, size_t len)
{
    return tcpq_warning_fix_sized(report, TCPQ__REPORT_SIZE_0_1, warning, buf,
                                  len);
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

    tcpq_warning_fix_sized(r, sizeof *r, warning, fix, sizeof fix);
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
void tcpq__compose_warnings(struct tcpq_report *r,
                            const struct tcpq__warn_context *c)
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
                     tcpq__error_text(c->unread.err, reason, sizeof reason));
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
        tcpq_warning_fix_sized(r, sizeof *r, TCPQ_WARN_SYNCOOKIES_OFF, text,
                               sizeof text);
        append(r, "%s=%d: SYNs past the SYN queue (%d) are dropped; %s",
               tcpq__os.syncookies, c->syncookies, r->syn_queue_capacity, text);
    }
    if (r->warnings & TCPQ_WARN_RCVBUF_CLAMPED)
        append_clamp(r, TCPQ_WARN_RCVBUF_CLAMPED, "rcvbuf", r->rcvbuf_requested,
                     r->rcvbuf, tcpq__os.rmem_max);
    if (r->warnings & TCPQ_WARN_SNDBUF_CLAMPED)
        append_clamp(r, TCPQ_WARN_SNDBUF_CLAMPED, "sndbuf", r->sndbuf_requested,
                     r->sndbuf, tcpq__os.wmem_max);
    if (r->warnings & TCPQ_WARN_FASTOPEN_OFF) {
        tcpq_warning_fix_sized(r, sizeof *r, TCPQ_WARN_FASTOPEN_OFF, text,
                               sizeof text);
        append(r,
               "%s=%d lacks the server bit (0x2): SYN data is not accepted; "
               "raise it with: %s",
               tcpq__os.fastopen_sysctl, c->fastopen_sysctl, text);
    }
    if (r->warnings & TCPQ_WARN_ROUNDED)
        append(r,
               "defer_accept_s %d held as %d: the kernel rounds it up to its "
               "SYN-ACK retransmission schedule",
               c->defer_accept_s, r->defer_accept_s);
    if (r->warnings & TCPQ_WARN_FLAG_IGNORED)
        append(r,
               "%s%s%s ignored: the socket is already bound (set before "
               "bind)",
               (c->flags_ignored & TCPQ_REUSEPORT) ? "TCPQ_REUSEPORT " : "",
               (c->flags_ignored & TCPQ_V6ONLY) ? "TCPQ_V6ONLY " : "",
               (c->flags_ignored & TCPQ_FREEBIND) ? "TCPQ_FREEBIND " : "");
    if (r->warnings & TCPQ_WARN_TOO_LATE)
        append(r, "buffers set after the handshake (window scale fixed): set "
                  "them before connect() or on the listener");
    if (r->warnings & TCPQ_WARN_AUTOTUNING_OFF)
        append(r, "fixed buffers disable autotuning");
}

/* ---- addresses ---------------------------------------------------------- */

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

/* ---- names ----------------------------------------------------------------
 */

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
    case TCPQ_WARN_FLAG_IGNORED:
        return "TCPQ_WARN_FLAG_IGNORED";
    case TCPQ_WARN_ROUNDED:
        return "TCPQ_WARN_ROUNDED";
    case TCPQ_WARN_FASTOPEN_OFF:
        return "TCPQ_WARN_FASTOPEN_OFF";
    default:
        return NULL;
    }
}

/* PEP 3151: the class of an errno, as Python raises it. */
enum tcpq_errclass tcpq_errclass(int err)
{
    switch (err) {
    case 0:
        return TCPQ_ERR_NONE;
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EALREADY:
    case EINPROGRESS:
        return TCPQ_ERR_WOULDBLOCK;
    case ETIMEDOUT:
        return TCPQ_ERR_TIMEOUT;
    case EINTR:
        return TCPQ_ERR_INTERRUPTED;
    case ECONNREFUSED:
        return TCPQ_ERR_REFUSED;
    case ECONNRESET:
        return TCPQ_ERR_RESET;
    case ECONNABORTED:
        return TCPQ_ERR_ABORTED;
    case EPIPE:
#ifdef ESHUTDOWN
    case ESHUTDOWN:
#endif
        return TCPQ_ERR_BROKEN_PIPE;
    case EADDRINUSE:
        return TCPQ_ERR_ADDR_IN_USE;
    default:
        return TCPQ_ERR_OTHER;
    }
}
