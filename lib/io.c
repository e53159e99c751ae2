/* I/O on a descriptor in its mode (tcpq_accept, tcpq_recv, tcpq_send_all,
   tcpq_connect_finish) with Python's timeout semantics, and tcpq_errclass.
   The fast path is one system call: the kernel's O_NONBLOCK, SO_RCVTIMEO
   and SO_SNDTIMEO do the waiting; fcntl(), getsockopt() and poll() are
   paid for only on the timeout, would-block and EINTR paths. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tcpq_internal.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on the socket instead */
#endif

/* The start of every operation: CLOCK_MONOTONIC, from the vDSO (no
   system call). Not CLOCK_MONOTONIC_COARSE, though cheaper: it was seen
   lagging by more than its resolution here (4.6 ms at HZ=250 in a VM),
   which would let an EINTR-shortened timeout fire early. */
long long tcpq__now_ns(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC is read from the vDSO on Linux: no system call */
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

/* The deadline of an operation that started at `started` under the
   descriptor's timeout `name` (SO_RCVTIMEO/SO_SNDTIMEO): -1 when there
   is none (blocking mode). */
static int deadline_of(int fd, int name, long long started, long long *out)
{
    int ms;

    if (tcpq__timeout_ms(fd, name, &ms) < 0)
        return -1;
    *out = ms == 0 ? -1 : started + (long long)ms * 1000000LL;
    return 0;
}

static int is_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : (fl & O_NONBLOCK) != 0;
}

/* ---- recv --------------------------------------------------------------- */

/* After the first recv() failed with err: EAGAIN is a timeout unless the
   descriptor is non-blocking; EINTR is retried with the remaining time. */
static ssize_t recv_slow(int fd, void *buf, size_t len, long long start,
                         int err)
{
    long long deadline;
    int nonblocking;

    if (err != EINTR && err != EAGAIN && err != EWOULDBLOCK) {
        errno = err;
        return -1;
    }
    nonblocking = is_nonblocking(fd);
    if (nonblocking < 0)
        return -1;
    if (err != EINTR) {
        errno = nonblocking ? err : ETIMEDOUT;
        return -1;
    }
    if (nonblocking) {
        deadline = 0; /* never wait */
    } else if (deadline_of(fd, SO_RCVTIMEO, start, &deadline) < 0) {
        return -1;
    }
    for (;;) {
        ssize_t n;
        if (deadline != 0) {
            int ready = tcpq__wait(fd, POLLIN, deadline);
            if (ready < 0)
                return -1;
            if (ready == 0) {
                errno = ETIMEDOUT;
                return -1;
            }
        }
        n = recv(fd, buf, len, MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if ((errno != EAGAIN && errno != EWOULDBLOCK) || deadline == 0)
            return -1;
        /* readiness was stolen by another reader: wait again */
    }
}

ssize_t tcpq_recv(int fd, void *buf, size_t len)
{
    long long start;
    ssize_t n;

    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (buf == NULL && len > 0) {
        errno = EINVAL;
        return -1;
    }
    start = tcpq__now_ns();
    n = recv(fd, buf, len, 0);
    if (n >= 0)
        return n;
    return recv_slow(fd, buf, len, start, errno);
}

/* ---- send_all ----------------------------------------------------------- */

static ssize_t send_nosignal(int fd, const char *buf, size_t len, int flags)
{
#if MSG_NOSIGNAL == 0 && defined(SO_NOSIGPIPE)
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) < 0)
        return -1;
#endif
    return send(fd, buf, len, flags | MSG_NOSIGNAL);
}

int tcpq_send_all_ex(int fd, const void *buf, size_t len, size_t *sent_out)
{
    const char *p = buf;
    long long start, deadline = -1;
    size_t sent = 0;
    ssize_t n;
    int err = 0, nonblocking;

    if (sent_out != NULL)
        *sent_out = 0;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if ((buf == NULL && len > 0) || len > (size_t)SSIZE_MAX) {
        errno = EINVAL;
        return -1;
    }
    if (len == 0)
        return 0; /* nothing to send, nothing to wait for */
    start = tcpq__now_ns();
    n = send_nosignal(fd, p, len, 0);
    if (n >= 0 && (size_t)n == len) {
        if (sent_out != NULL)
            *sent_out = len;
        return 0;
    }
    /* slow path: a partial send, a timeout, EAGAIN or EINTR */
    if (n >= 0)
        sent = (size_t)n;
    else
        err = errno;
    if (err != 0 && err != EINTR && err != EAGAIN && err != EWOULDBLOCK)
        goto fail;
    nonblocking = is_nonblocking(fd);
    if (nonblocking < 0 ||
        (!nonblocking && deadline_of(fd, SO_SNDTIMEO, start, &deadline) < 0)) {
        err = errno;
        goto fail;
    }
    while (sent < len) {
        if (nonblocking) {
            if (err == EAGAIN || err == EWOULDBLOCK)
                goto fail;
        } else {
            /* the whole call is bounded by one deadline, not each chunk */
            int ready = tcpq__wait(fd, POLLOUT, deadline);
            if (ready <= 0) {
                err = ready == 0 ? ETIMEDOUT : errno;
                goto fail;
            }
        }
        n = send_nosignal(fd, p + sent, len - sent, MSG_DONTWAIT);
        if (n >= 0) {
            sent += (size_t)n;
            err = 0;
        } else if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            err = errno;
        } else {
            err = errno;
            goto fail;
        }
    }
    if (sent_out != NULL)
        *sent_out = sent;
    return 0;
fail:
    if (sent_out != NULL)
        *sent_out = sent;
    errno = err;
    return -1;
}

ssize_t tcpq_send_all(int fd, const void *buf, size_t len)
{
    size_t sent;

    if (tcpq_send_all_ex(fd, buf, len, &sent) < 0)
        return -1;
    return (ssize_t)sent;
}

/* ---- accept ------------------------------------------------------------- */

/* One accept: close-on-exec, and in the listener's mode. */
static int accept_once(int lfd, struct sockaddr *addr, socklen_t *addrlen,
                       int nonblocking)
{
    int fd;
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    fd = accept4(lfd, addr, addrlen,
                 SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0));
#else
    fd = accept(lfd, addr, addrlen);
    if (fd >= 0 && (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
                    (nonblocking &&
                     fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)))
        goto fail;
#endif
#if !defined(__linux__)
    /* Linux copies the timeouts to the accepted socket (sk_clone_lock);
       elsewhere they are copied here */
    if (fd >= 0) {
        struct timeval tv;
        socklen_t len = sizeof tv;
        if (getsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
            goto fail;
    }
#endif
    return fd;
#if !defined(__linux__) || !defined(SOCK_CLOEXEC) || !defined(SOCK_NONBLOCK)
fail : {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}
#endif
}

int tcpq_accept(int lfd, struct sockaddr *addr, socklen_t *addrlen)
{
    long long start, deadline = 0;
    int nonblocking, fd;

    if (lfd < 0) {
        errno = EBADF;
        return -1;
    }
    if (addr != NULL && addrlen == NULL) {
        errno = EINVAL;
        return -1;
    }
    nonblocking = is_nonblocking(lfd);
    if (nonblocking < 0)
        return -1;
    start = tcpq__now_ns();
#if !defined(__linux__)
    /* only Linux bounds accept() by SO_RCVTIMEO: wait here first */
    if (!nonblocking) {
        int ready;
        if (deadline_of(lfd, SO_RCVTIMEO, start, &deadline) < 0)
            return -1;
        ready = deadline < 0 ? 1 : tcpq__wait(lfd, POLLIN, deadline);
        if (ready <= 0) {
            if (ready == 0)
                errno = ETIMEDOUT;
            return -1;
        }
    }
#endif
    fd = accept_once(lfd, addr, addrlen, nonblocking);
    if (fd >= 0)
        return fd;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!nonblocking)
            errno = ETIMEDOUT; /* SO_RCVTIMEO expired */
        return -1;
    }
    if (errno != EINTR)
        return -1;
    /* EINTR: retried with the remaining time */
    if (!nonblocking && deadline_of(lfd, SO_RCVTIMEO, start, &deadline) < 0)
        return -1;
    for (;;) {
        if (!nonblocking) {
            int ready = tcpq__wait(lfd, POLLIN, deadline);
            if (ready <= 0) {
                if (ready == 0)
                    errno = ETIMEDOUT;
                return -1;
            }
        }
        fd = accept_once(lfd, addr, addrlen, nonblocking);
        if (fd >= 0 || errno != EINTR)
            return fd;
    }
}

/* ---- connect outcome ---------------------------------------------------- */

int tcpq_connect_finish(int fd, int timeout_ms)
{
    long long deadline;
    int ready, err = 0, saved = errno;
    socklen_t len = sizeof err;

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
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    errno = saved;
    return 0;
}

/* ---- error classes ------------------------------------------------------ */

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
