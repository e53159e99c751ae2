/* The low layer: the clock, waiting for readiness, timeouts and a socket's
   facts read from the kernel, making and closing descriptors. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tcpq_internal.h"

/* CLOCK_MONOTONIC, from the vDSO (no system call). Not
   CLOCK_MONOTONIC_COARSE, though cheaper: it was seen lagging by more than
   its resolution (4.6 ms at HZ=250 in a VM), which would let an
   EINTR-shortened timeout fire early. */
long long tcpq__now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int tcpq__wait(int fd, short events, long long deadline_ns)
{
    for (;;) {
        struct pollfd pfd;
        int timeout = -1;
        int n;

        if (deadline_ns >= 0) {
            long long left = deadline_ns - tcpq__now_ns();
            left = left <= 0 ? 0 : (left + 999999) / 1000000; /* ms, up */
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        n = poll(&pfd, 1, timeout); /* at least once, even when past due */
        if (n > 0)
            return 1; /* ready, or an error the next call will report */
        if (n < 0 && errno != EINTR)
            return -1;
        /* timed out or interrupted: the clock decides, never early */
        if (deadline_ns >= 0 && tcpq__now_ns() >= deadline_ns)
            return 0;
    }
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

int tcpq__deadline(int fd, int name, long long started, long long *out)
{
    int ms;

    if (tcpq__timeout_ms(fd, name, &ms) < 0)
        return -1;
    *out = ms == 0 ? -1 : started + (long long)ms * 1000000LL;
    return 0;
}

int tcpq__is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : (fl & O_NONBLOCK) != 0;
}

int tcpq__close_failed(int fd)
{
    int err = errno;

    close(fd);
    errno = err;
    return -1;
}

int tcpq__open_socket(int family, int nonblocking)
{
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    return socket(
        family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0),
        IPPROTO_TCP);
#else /* macOS: the flags afterwards */
    int fd = socket(family, SOCK_STREAM, IPPROTO_TCP), fl = 0;

    if (fd >= 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
                    (nonblocking && ((fl = fcntl(fd, F_GETFL)) < 0 ||
                                     fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))))
        return tcpq__close_failed(fd);
    return fd;
#endif
}

/* The state where the kernel does not tell it in one question: listening
   from SO_ACCEPTCONN, connected from getpeername (a connect still in
   progress reads as idle here). */
static int state_by_two_questions(int fd)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int listening = 0;
    socklen_t size = sizeof listening;

    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 &&
        listening)
        return TCPQ__LISTENING;
    if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0)
        return TCPQ__CONNECTED;
    return TCPQ__IDLE;
}

int tcpq__tcp_facts(int fd, struct tcpq__facts *f, struct tcpq__not_tcp *why)
{
    int type = 0;
    socklen_t len = sizeof type;

    memset(f, 0, sizeof *f);
    why->what = NULL;
    why->value = 0;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
        return -1; /* EBADF, ENOTSOCK */
    if (type != SOCK_STREAM) {
        why->what = "type";
        why->value = type;
        errno = EOPNOTSUPP;
        return -1;
    }
    /* getsockname() into a zeroed address: POSIX leaves it unspecified for
       an unbound socket, so it reads as family 0, port 0, never junk */
    len = sizeof f->local;
    if (getsockname(fd, (struct sockaddr *)&f->local, &len) < 0)
        return -1;
    f->family = f->local.ss_family;
    if (f->family != AF_INET && f->family != AF_INET6) {
        why->what = "family";
        why->value = f->family;
        errno = EOPNOTSUPP;
        return -1;
    }
#ifdef SO_PROTOCOL
    {
        int protocol = 0;
        len = sizeof protocol;
        if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 &&
            protocol != IPPROTO_TCP) {
            why->what = "protocol";
            why->value = protocol;
            errno = EOPNOTSUPP;
            return -1;
        }
    }
#endif
    f->bound = f->family == AF_INET
                   ? ((struct sockaddr_in *)&f->local)->sin_port != 0
                   : ((struct sockaddr_in6 *)&f->local)->sin6_port != 0;
    return 0;
}

void tcpq__tcp_state(int fd, struct tcpq__facts *f)
{
    int state = tcpq__os_tcp_state(fd);

    if (state < 0)
        state = state_by_two_questions(fd);
    f->listening = state == TCPQ__LISTENING;
    f->connected = state == TCPQ__CONNECTED;
}

void tcpq__fresh_facts(struct tcpq__facts *f, int family)
{
    memset(f, 0, sizeof *f);
    f->family = family;
    f->pristine = 1;
}

int tcpq__connect_outcome(int fd)
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
