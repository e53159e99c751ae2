/* The per-socket TCP options of struct tcpq_options (keepalive, user
   timeout, unsent low-water mark, congestion control, and on listeners
   deferred accept and Fast Open): checked before the socket is touched,
   set, and read back from the kernel into the report. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpq_internal.h"

/* The option names this system has; -1 where it has none (the option is
   then refused with EOPNOTSUPP before anything is changed). */
#if defined(TCP_KEEPIDLE)
#define OPT_KEEPIDLE TCP_KEEPIDLE
#elif defined(TCP_KEEPALIVE) /* macOS: the idle time */
#define OPT_KEEPIDLE TCP_KEEPALIVE
#else
#define OPT_KEEPIDLE (-1)
#endif
#ifdef TCP_KEEPINTVL
#define OPT_KEEPINTVL TCP_KEEPINTVL
#else
#define OPT_KEEPINTVL (-1)
#endif
#ifdef TCP_KEEPCNT
#define OPT_KEEPCNT TCP_KEEPCNT
#else
#define OPT_KEEPCNT (-1)
#endif
#ifdef TCP_USER_TIMEOUT
#define OPT_USER_TIMEOUT TCP_USER_TIMEOUT
#else
#define OPT_USER_TIMEOUT (-1)
#endif
#ifdef TCP_NOTSENT_LOWAT
#define OPT_NOTSENT_LOWAT TCP_NOTSENT_LOWAT
#else
#define OPT_NOTSENT_LOWAT (-1)
#endif
#ifdef TCP_FASTOPEN
#define OPT_FASTOPEN TCP_FASTOPEN
#else
#define OPT_FASTOPEN (-1)
#endif

/* One int option of struct tcpq_options that is one setsockopt at the
   TCP level, read back into the report field at report_offset. */
struct int_option {
    const char *field; /* its name in struct tcpq_options */
    const char *label; /* the socket option, for messages */
    size_t opt_offset, report_offset;
    int name;          /* -1: not on this system */
    int listener_only; /* set on listeners (before listen), not clients */
};

#define INT_OPTION(f, label, name, listener)                                   \
    {                                                                          \
#f, label, offsetof(struct tcpq_options, f),                           \
            offsetof(struct tcpq_report, f), name, listener                    \
    }

static const struct int_option int_options[] = {
    INT_OPTION(keepalive_idle_s, "TCP_KEEPIDLE", OPT_KEEPIDLE, 0),
    INT_OPTION(keepalive_intvl_s, "TCP_KEEPINTVL", OPT_KEEPINTVL, 0),
    INT_OPTION(keepalive_cnt, "TCP_KEEPCNT", OPT_KEEPCNT, 0),
    INT_OPTION(user_timeout_ms, "TCP_USER_TIMEOUT", OPT_USER_TIMEOUT, 0),
    INT_OPTION(notsent_lowat, "TCP_NOTSENT_LOWAT", OPT_NOTSENT_LOWAT, 0),
    INT_OPTION(fastopen_qlen, "TCP_FASTOPEN", OPT_FASTOPEN, 1),
};
#define INT_OPTIONS (sizeof int_options / sizeof int_options[0])

static int option_value(const struct tcpq_options *opt,
                        const struct int_option *o)
{
    return *(const int *)(const void *)((const char *)opt + o->opt_offset);
}

static void report_value(struct tcpq_report *r, const struct int_option *o,
                         int value)
{
    if (r != NULL)
        *(int *)(void *)((char *)r + o->report_offset) = value;
}

/* The most the kernel takes for an option, 0 where it sets none. */
static int option_max(const struct int_option *o)
{
    if (o->opt_offset == offsetof(struct tcpq_options, keepalive_idle_s))
        return tcpq__os.keepalive_idle_max;
    if (o->opt_offset == offsetof(struct tcpq_options, keepalive_intvl_s))
        return tcpq__os.keepalive_intvl_max;
    if (o->opt_offset == offsetof(struct tcpq_options, keepalive_cnt))
        return tcpq__os.keepalive_cnt_max;
    return 0;
}

static int wants_keepalive(const struct tcpq_options *opt)
{
    return (opt->flags & TCPQ_KEEPALIVE) || opt->keepalive_idle_s > 0 ||
           opt->keepalive_intvl_s > 0 || opt->keepalive_cnt > 0;
}

/* A congestion control name: letters, digits, '_' and '-', shorter than
   the kernel's 16 bytes (TCP_CA_NAME_MAX). */
static int valid_congestion(const char *name)
{
    size_t i, len = strlen(name);

    if (len == 0 || len >= sizeof(((struct tcpq_report *)0)->congestion))
        return 0;
    for (i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int tcpq__check_sockopts(const struct tcpq_options *opt, int listener,
                         struct tcpq_report *r)
{
    size_t i;

    for (i = 0; i < INT_OPTIONS; i++) {
        const struct int_option *o = &int_options[i];
        int value = option_value(opt, o), max = option_max(o);
        if (value < 0)
            return tcpq__fail(r, EINVAL, "options: %s %d is negative", o->field,
                              value);
        if (value == 0)
            continue;
        if (max > 0 && value > max)
            return tcpq__fail(r, EINVAL,
                              "options: %s %d is above the kernel's %d",
                              o->field, value, max);
        if (o->listener_only && !listener)
            return tcpq__fail(r, EINVAL,
                              "options: %s is for listeners, not clients",
                              o->field);
        if (o->name < 0 ||
            (o->opt_offset == offsetof(struct tcpq_options, fastopen_qlen) &&
             !tcpq__os.fastopen_qlen))
            return tcpq__fail(r, EOPNOTSUPP, "options: %s (%s) on %s", o->field,
                              o->label, tcpq__os.name);
    }
    if (opt->defer_accept_s < 0)
        return tcpq__fail(r, EINVAL, "options: defer_accept_s %d is negative",
                          opt->defer_accept_s);
    if (opt->defer_accept_s > 0 && !listener)
        return tcpq__fail(r, EINVAL,
                          "options: defer_accept_s is for listeners, not "
                          "clients");
    if (opt->defer_accept_s > 0 && !tcpq__os.defer_accept)
        return tcpq__fail(r, EOPNOTSUPP, "options: defer_accept_s on %s",
                          tcpq__os.name);
    if (opt->congestion != NULL && !valid_congestion(opt->congestion))
        return tcpq__fail(r, EINVAL,
                          "options: congestion \"%.32s\" is not a congestion "
                          "control name (1 to 15 letters, digits, _ or -)",
                          opt->congestion);
#ifndef TCP_CONGESTION
    if (opt->congestion != NULL)
        return tcpq__fail(r, EOPNOTSUPP, "options: congestion on %s",
                          tcpq__os.name);
#endif
    if (listener && (opt->source != NULL || opt->device != NULL ||
                     opt->fallback_delay_ms != 0))
        return tcpq__fail(r, EINVAL,
                          "options: %s is for clients, not listeners",
                          opt->source != NULL   ? "source"
                          : opt->device != NULL ? "device"
                                                : "fallback_delay_ms");
    if (opt->device != NULL &&
        (opt->device[0] == '\0' ||
         strlen(opt->device) >= sizeof(((struct tcpq_report *)0)->congestion)))
        return tcpq__fail(r, EINVAL,
                          "options: device \"%.32s\" is not an interface name "
                          "(1 to 15 characters)",
                          opt->device);
    if (opt->device != NULL && !tcpq__os.bind_device)
        return tcpq__fail(r, EOPNOTSUPP, "options: device on %s",
                          tcpq__os.name);
    if (opt->source != NULL && opt->source[0] == '\0')
        return tcpq__fail(r, EINVAL,
                          "options: source \"\" is not a numeric IPv4 or "
                          "IPv6 address");
    if ((opt->flags & TCPQ_FREEBIND) && !tcpq__os.freebind)
        return tcpq__fail(r, EOPNOTSUPP, "options: TCPQ_FREEBIND on %s",
                          tcpq__os.name);
    return 0;
}

static int set_int(int fd, int level, int name, int value, const char *label,
                   struct tcpq_report *r)
{
    if (setsockopt(fd, level, name, &value, sizeof value) < 0)
        return tcpq__fail(r, errno, "setsockopt %s %d", label, value);
    return 0;
}

static int get_int(int fd, int name, const char *label, int *value,
                   struct tcpq_report *r)
{
    socklen_t len = sizeof *value;

    if (getsockopt(fd, IPPROTO_TCP, name, value, &len) < 0)
        return tcpq__fail(r, errno, "getsockopt %s", label);
    return 0;
}

#ifdef TCP_CONGESTION
static int set_congestion(int fd, const char *name, struct tcpq_report *r)
{
    char allowed[160], text[96];
    socklen_t len;

    if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
                   (socklen_t)strlen(name)) < 0) {
        int err = errno;
        if (tcpq__os.congestion_allowed == NULL ||
            tcpq__os_congestion_allowed(allowed, sizeof allowed) < 0)
            return tcpq__fail(r, err, "setsockopt TCP_CONGESTION %s", name);
        /* ENOENT: no such algorithm; EPERM: not allowed without
           CAP_NET_ADMIN. Either way: what may be asked for. */
        if (r != NULL)
            snprintf(r->message, sizeof r->message,
                     "setsockopt TCP_CONGESTION %s: %s; %s is \"%s\"", name,
                     tcpq__error_text(err, text, sizeof text),
                     tcpq__os.congestion_allowed, allowed);
        errno = err;
        return -1;
    }
    if (r != NULL) {
        len = (socklen_t)sizeof r->congestion;
        if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, r->congestion, &len) <
            0)
            return tcpq__fail(r, errno, "getsockopt TCP_CONGESTION");
        r->congestion[sizeof r->congestion - 1] = '\0';
    }
    return 0;
}
#endif

int tcpq__apply_sockopts(int fd, const struct tcpq_options *opt,
                         struct tcpq_report *r)
{
    size_t i;

    if ((opt->flags & TCPQ_NODELAY) &&
        set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY", r) < 0)
        return -1;
    if (wants_keepalive(opt) &&
        set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", r) < 0)
        return -1;
    for (i = 0; i < INT_OPTIONS; i++) {
        const struct int_option *o = &int_options[i];
        int value = option_value(opt, o), held;
        if (value == 0 || o->listener_only)
            continue;
        if (set_int(fd, IPPROTO_TCP, o->name, value, o->label, r) < 0)
            return -1;
        if (r == NULL) /* no one to tell: not read back */
            continue;
        if (get_int(fd, o->name, o->label, &held, r) < 0)
            return -1;
        report_value(r, o, held);
    }
    /* keepalive asked for: the figures it runs with that were not set
       above (the kernel's defaults) */
    for (i = 0; i < 3 && r != NULL && wants_keepalive(opt); i++) {
        const struct int_option *o = &int_options[i];
        int held;
        if (option_value(opt, o) > 0)
            continue; /* read back above */
        if (o->name >= 0 && get_int(fd, o->name, o->label, &held, r) < 0)
            return -1;
        report_value(r, o, o->name >= 0 ? held : -1);
    }
#ifdef TCP_CONGESTION
    if (opt->congestion != NULL && set_congestion(fd, opt->congestion, r) < 0)
        return -1;
#endif
    return 0;
}

int tcpq__apply_listener_sockopts(int fd, const struct tcpq_options *opt,
                                  int *fastopen_sysctl, struct tcpq_report *r)
{
    const struct int_option *o = &int_options[INT_OPTIONS - 1];
    int held;

    *fastopen_sysctl = -1;
    if (opt->fastopen_qlen <= 0)
        return 0;
    if (set_int(fd, IPPROTO_TCP, o->name, opt->fastopen_qlen, o->label, r) < 0)
        return -1;
    if (r == NULL) /* the read-back and the sysctl only serve the report */
        return 0;
    if (get_int(fd, o->name, o->label, &held, r) < 0)
        return -1;
    report_value(r, o, held);
    *fastopen_sysctl = tcpq__os_fastopen_sysctl();
    if (*fastopen_sysctl >= 0 && !(*fastopen_sysctl & 0x2))
        tcpq__warn(r, TCPQ_WARN_FASTOPEN_OFF);
    return 0;
}

int tcpq__apply_defer_accept(int fd, const struct tcpq_options *opt,
                             struct tcpq_report *r)
{
    int held = -1;

    if (opt->defer_accept_s <= 0)
        return 0;
    if (tcpq__os_defer_accept(fd, opt->defer_accept_s, &held) < 0) {
        if (errno == ENOENT && tcpq__os.defer_accept_module != NULL)
            return tcpq__fail(r, ENOENT, "setsockopt %s (load it with: %s)",
                              tcpq__os.defer_accept_label,
                              tcpq__os.defer_accept_module);
        return tcpq__fail(r, errno, "setsockopt %s %d",
                          tcpq__os.defer_accept_label, opt->defer_accept_s);
    }
    if (r != NULL)
        r->defer_accept_s = held;
    if (held >= 0 && held != opt->defer_accept_s)
        tcpq__warn(r, TCPQ_WARN_ROUNDED);
    return 0;
}
