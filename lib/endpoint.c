/* Endpoints from names: resolve host and port, then tcpq_open_listener
   (socket, configure, bind, listen steps) and tcpq_connect (each address
   in turn: socket, configure, connect, wait), and tcpq_connect_finish. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpq_internal.h"

/* ---- resolve ------------------------------------------------------------ */

/* A port is digits only, 0..65535 (returns 1: numeric), or a service
   name that starts with a letter (returns 0). getaddrinfo itself would
   take " 99999" or "+70000" and bind the low 16 bits. */
static int check_port(const char *port, struct tcpq_report *r)
{
    const char *p;
    long value = 0;

    if (port == NULL)
        return tcpq__fail(r, EINVAL, "port NULL");
    if ((*port >= 'a' && *port <= 'z') || (*port >= 'A' && *port <= 'Z'))
        return 0;
    for (p = port; *p >= '0' && *p <= '9'; p++) {
        value = value * 10 + (*p - '0');
        if (value > 65535)
            return tcpq__fail(r, EINVAL, "port %.16s out of range 0..65535",
                              port);
    }
    if (p == port || *p != '\0')
        return tcpq__fail(
            r, EINVAL, "port \"%.16s\" is neither 0..65535 nor a name", port);
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

/* Checks port and options, then resolves: 0 with *list, or -1 with errno
   and the message. `passive` for a listener (host NULL: all interfaces). */
static int resolve(const char *host, const char *port, int passive,
                   const struct tcpq_options *opt, struct addrinfo **list,
                   struct tcpq_report *r)
{
    struct addrinfo hints;
    int gai, numeric = check_port(port, r);

    if (numeric < 0 ||
        tcpq__check_options(opt,
                            TCPQ__CHECK_ALL | (passive ? TCPQ__CHECK_LISTENER
                                                       : TCPQ__CHECK_CLIENT),
                            r) < 0)
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
            snprintf(
                r->message, sizeof r->message,
                "getaddrinfo %.90s port %.16s: %s", host ? host : "(any)", port,
                gai == EAI_SYSTEM ? tcpq__error_text(err, text, sizeof text)
                                  : gai_strerror(gai));
        errno = err;
        return -1;
    }
    return 0;
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
    int fd = tcpq__open_socket(ai->ai_family);

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
    if (resolve(host, port, 1, opt, &list, report) < 0)
        return -1;
    tcpq__read_listen_limits(&limits); /* before a socket takes a descriptor */
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

    if (tcpq__report_begin(&out, report, report_size, &r) < 0)
        return -1;
    if (tcpq__options_in(opt, opt_size, &options, r) < 0)
        return tcpq__report_end(&out, -1);
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

/* The outcome of a connect that poll() found writable: 0 when the kernel
   has a peer (getpeername), else -1 with the pending error (SO_ERROR,
   read and cleared) or ENOTCONN when none is left: a failure already
   reported, or a socket that never connected. */
static int connect_outcome(int fd)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int err = 0;

    if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
        return 0; /* the kernel has a peer: connected */
    if (errno != ENOTCONN)
        return -1;
    len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -1;
    /* no pending error: it failed earlier (already reported), or the
       socket never connected */
    errno = err != 0 ? err : ENOTCONN;
    return -1;
}

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
    char where[TCPQ__ADDRESS_TEXT];
    struct tcpq__facts facts;
    int fd = tcpq__open_socket(ai->ai_family);
    int fl, failed;

    tcpq__format_address(ai->ai_addr, where, sizeof where);
    if (fd < 0)
        return tcpq__fail(r, errno, "socket %s", where);
    if (r != NULL) { /* a failed earlier address leaves nothing behind */
        r->message[0] = '\0';
        r->warnings = 0;
    }
    tcpq__fresh_facts(&facts, ai->ai_family);
    fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        tcpq__fail(r, errno, "fcntl O_NONBLOCK");
        return tcpq__close_failed(fd);
    }
    facts.pristine = 0; /* O_NONBLOCK for the handshake: the mode is set */
    if (tcpq__configure(fd, &facts, opt, r) < 0)
        return tcpq__close_failed(fd);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            tcpq__fail(r, errno, "connect %s", where);
            return tcpq__close_failed(fd);
        }
        if (opt->mode == TCPQ_NONBLOCKING) {
            /* the caller learns the outcome with connect_finish, unless
               it is known already and another address remains */
            failed = more ? failed_at_once(fd) : 0;
        } else {
            int ready = tcpq__wait(fd, POLLOUT, deadline);
            if (ready <= 0)
                failed = ready == 0 ? ETIMEDOUT : errno;
            else
                failed = connect_outcome(fd) < 0 ? errno : 0;
        }
        if (failed != 0) {
            tcpq__fail(r, failed, "connect %s", where);
            /* a socket still connecting is dropped: nothing half-open */
            return tcpq__close_failed(fd);
        }
    }
    if (tcpq__apply_mode(fd, &facts, opt, r) < 0)
        return tcpq__close_failed(fd);
    if (r != NULL)
        tcpq__format_address(ai->ai_addr, r->address, sizeof r->address);
    return fd;
}

static int connect_name(const char *host, const char *port,
                        const struct tcpq_options *opt,
                        struct tcpq_report *report)
{
    struct addrinfo *list = NULL, *ai;
    long long deadline = -1;
    int saved = errno;
    int fd = -1;

    if (host == NULL)
        return tcpq__fail(report, EINVAL, "host NULL");
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
        static const struct tcpq__warn_context context = {0, -1, {NULL, 0},
                                                          0, -1, 0};
        tcpq__compose_warnings(report, &context);
    }
    errno = saved;
    return fd;
}

int tcpq_connect_sized(const char *host, const char *port,
                       const struct tcpq_options *opt, size_t opt_size,
                       struct tcpq_report *report, size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_options options;
    struct tcpq_report *r;

    if (tcpq__report_begin(&out, report, report_size, &r) < 0)
        return -1;
    if (tcpq__options_in(opt, opt_size, &options, r) < 0)
        return tcpq__report_end(&out, -1);
    return tcpq__report_end(&out, connect_name(host, port, &options, r));
}

int(tcpq_connect)(const char *host, const char *port,
                  const struct tcpq_options *opt, struct tcpq_report *report)
{
    return tcpq_connect_sized(host, port, opt, TCPQ__OPTIONS_SIZE_0_1, report,
                              TCPQ__REPORT_SIZE_0_1);
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
    if (connect_outcome(fd) < 0)
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
