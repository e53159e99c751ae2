/* Names to addresses: the port checked strictly, getaddrinfo bounded by
   the caller's deadline where the C library can (glibc's getaddrinfo_a),
   and numeric addresses read without a resolver. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "tcpq_internal.h"

/* getaddrinfo_a is in glibc's libc itself from 2.34 (libanl before) */
#if defined(__GLIBC__) && defined(GAI_NOWAIT) &&                               \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define HAVE_GETADDRINFO_A 1
#endif

int tcpq__check_port(const char *port, struct tcpq_report *r)
{
    const char *p;
    long value = 0;

    if (port == NULL)
        return tcpq__fail(r, EINVAL, "port NULL");
    /* getaddrinfo itself would take " 99999" or "+70000" and use the low
       16 bits */
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

static int gai_failed(int gai, const char *host, const char *port,
                      struct tcpq_report *r)
{
    int err = errno_of_gai(gai);
    char text[128];

    if (r != NULL)
        snprintf(r->message, sizeof r->message,
                 "getaddrinfo %.90s port %.16s: %s", host ? host : "(any)",
                 port,
                 gai == EAI_SYSTEM ? tcpq__error_text(err, text, sizeof text)
                                   : gai_strerror(gai));
    errno = err;
    return -1;
}

#ifdef HAVE_GETADDRINFO_A
/* One lookup in glibc's resolver threads. When the caller's deadline
   passes first, the caller leaves; the lookup may still run (gai_cancel
   cannot stop a query in flight), so it owns itself: two references, the
   caller's and the completion notice's, and the last one frees it. */
struct lookup {
    struct gaicb cb;
    struct addrinfo hints;
    int refs;  /* atomically: the caller, the completion notice */
    int taken; /* the caller took cb.ar_result */
    char names[];
};

static void lookup_release(struct lookup *l)
{
    if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (!__atomic_load_n(&l->taken, __ATOMIC_ACQUIRE) &&
        l->cb.ar_result != NULL)
        freeaddrinfo(l->cb.ar_result);
    free(l);
}

static void lookup_done(union sigval value)
{
    lookup_release(value.sival_ptr);
}

static int resolve_by(const char *host, const char *port,
                      const struct addrinfo *hints, long long deadline,
                      struct addrinfo **list, struct tcpq_report *r)
{
    size_t host_len = host != NULL ? strlen(host) + 1 : 0;
    size_t port_len = strlen(port) + 1;
    struct lookup *l = calloc(1, sizeof *l + host_len + port_len);
    struct gaicb *one[1];
    struct sigevent notice;
    int gai;

    if (l == NULL)
        return tcpq__fail(r, ENOMEM, "getaddrinfo %.90s", host);
    l->hints = *hints;
    if (host != NULL)
        memcpy(l->names, host, host_len);
    memcpy(l->names + host_len, port, port_len);
    l->cb.ar_name = host != NULL ? l->names : NULL;
    l->cb.ar_service = l->names + host_len;
    l->cb.ar_request = &l->hints;
    l->refs = 2;
    memset(&notice, 0, sizeof notice);
    notice.sigev_notify = SIGEV_THREAD;
    notice.sigev_notify_function = lookup_done;
    notice.sigev_value.sival_ptr = l;
    one[0] = &l->cb;
    gai = getaddrinfo_a(GAI_NOWAIT, one, 1, &notice);
    if (gai != 0) { /* not queued: no notice will come */
        free(l);
        return gai_failed(gai, host, port, r);
    }
    for (;;) {
        long long left = deadline - tcpq__now_ns();
        struct timespec ts;
        if (left <= 0)
            break;
        ts.tv_sec = (time_t)(left / 1000000000LL);
        ts.tv_nsec = (long)(left % 1000000000LL);
        gai = gai_suspend((const struct gaicb *const *)one, 1, &ts);
        if (gai != EAI_INTR) /* done, or timed out: gai_error says */
            break;
    }
    gai = gai_error(&l->cb);
    if (gai == EAI_INPROGRESS) {
        /* the deadline: a lookup still queued is dropped (and then no
           notice comes); one already asking is left to finish alone */
        if (gai_cancel(&l->cb) == EAI_CANCELED) {
            free(l);
        } else {
            lookup_release(l);
        }
        return tcpq__fail(r, ETIMEDOUT,
                          "getaddrinfo %.90s: no answer within the timeout",
                          host);
    }
    if (gai == 0) {
        *list = l->cb.ar_result;
        __atomic_store_n(&l->taken, 1, __ATOMIC_RELEASE);
    }
    lookup_release(l);
    return gai == 0 ? 0 : gai_failed(gai, host, port, r);
}
#endif

int tcpq__resolve(const char *host, const char *port, int numeric_port,
                  int passive, long long deadline, struct addrinfo **list,
                  struct tcpq_report *r)
{
    struct addrinfo hints;
    int gai;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags =
        (passive ? AI_PASSIVE : 0) | (numeric_port ? AI_NUMERICSERV : 0);
#ifdef HAVE_GETADDRINFO_A
    /* a name may wait on the network: within the deadline; a numeric
       address is read at once, with no resolver thread */
    if (deadline >= 0 && host != NULL) {
        hints.ai_flags |= AI_NUMERICHOST;
        gai = getaddrinfo(host, port, &hints, list);
        if (gai == 0)
            return 0;
        if (gai != EAI_NONAME)
            return gai_failed(gai, host, port, r);
        hints.ai_flags &= ~AI_NUMERICHOST;
        return resolve_by(host, port, &hints, deadline, list, r);
    }
#else
    (void)deadline; /* no asynchronous resolver: getaddrinfo's own time */
#endif
    errno = 0;
    gai = getaddrinfo(host, port, &hints, list);
    return gai == 0 ? 0 : gai_failed(gai, host, port, r);
}

int tcpq__numeric_address(const char *text, struct sockaddr_storage *out,
                          socklen_t *len, struct tcpq_report *r)
{
    struct addrinfo hints, *list = NULL;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    if (getaddrinfo(text, "0", &hints, &list) != 0 || list == NULL ||
        list->ai_addrlen > sizeof *out) {
        if (list != NULL)
            freeaddrinfo(list);
        return tcpq__fail(r, EINVAL,
                          "options: source \"%.60s\" is not a numeric IPv4 "
                          "or IPv6 address",
                          text);
    }
    memset(out, 0, sizeof *out);
    memcpy(out, list->ai_addr, list->ai_addrlen);
    *len = list->ai_addrlen;
    freeaddrinfo(list);
    return 0;
}

int tcpq__numeric_endpoint(const char *host, int port,
                           struct sockaddr_storage *out, socklen_t *len)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)out;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;

    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((unsigned short)port);
        *len = sizeof *sin;
        return 1;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((unsigned short)port);
        *len = sizeof *sin6;
        return 1;
    }
    return 0; /* a name, or a scoped address: getaddrinfo's */
}
