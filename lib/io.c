/* I/O on a descriptor in its mode (tcpq_recv, tcpq_send_all, tcpq_accept)
   with Python's timeout semantics.
   Data ready is one system call and no clock read: recv and send try
   first without waiting (MSG_DONTWAIT). Only when they would wait is the
   mode read (fcntl: non-blocking fails there, two system calls), the
   clock read and the wait left to the kernel (SO_RCVTIMEO, SO_SNDTIMEO),
   or to poll() with the time left after a signal (PEP 475). */
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

#if defined(__linux__)
#include <sys/epoll.h>
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* older macOS SDKs: SO_NOSIGPIPE alone */
#endif
/* macOS: SO_NOSIGPIPE on the socket before each send, whether or not the
   SDK also defines MSG_NOSIGNAL (newer ones do, for POSIX 2008), so that
   no SDK leaves the process to SIGPIPE */
#if defined(SO_NOSIGPIPE) && (MSG_NOSIGNAL == 0 || defined(__APPLE__))
#define TCPQ__SET_NOSIGPIPE 1
#endif

/* ---- recv --------------------------------------------------------------- */

/* The first recv() would have waited (err: EAGAIN). Non-blocking: that is
   the answer. Otherwise the kernel waits, bounded by SO_RCVTIMEO (EAGAIN
   then means the timeout passed); after a signal, poll() with the time
   left, then recv() without waiting. Restores `saved` on success. */
static ssize_t recv_wait(int fd, void *buf, size_t len, int err, int saved)
{
    long long start, deadline;
    ssize_t n;
    int nonblocking;

    if (err != EAGAIN && err != EWOULDBLOCK) {
        errno = err;
        return -1;
    }
    nonblocking = tcpq__is_nonblocking(fd);
    if (nonblocking != 0) {
        if (nonblocking > 0)
            errno = err;
        return -1;
    }
    start = tcpq__now_ns();
    n = recv(fd, buf, len, 0);
    if (n >= 0)
        goto done;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        errno = ETIMEDOUT; /* SO_RCVTIMEO expired */
        return -1;
    }
    if (errno != EINTR || tcpq__deadline(fd, SO_RCVTIMEO, start, &deadline) < 0)
        return -1;
    for (;;) {
        int ready = tcpq__wait(fd, POLLIN, deadline);
        if (ready < 0)
            return -1;
        if (ready == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        n = recv(fd, buf, len, MSG_DONTWAIT);
        if (n >= 0)
            goto done;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        /* readiness was taken by another reader: wait again */
    }
done:
    errno = saved;
    return n;
}

ssize_t tcpq_recv(int fd, void *buf, size_t len)
{
    int saved = errno;
    ssize_t n;

    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (buf == NULL && len > 0) {
        errno = EINVAL;
        return -1;
    }
    if (len == 0)
        return 0; /* as CPython's recv(0): nothing to wait for */
    n = recv(fd, buf, len, MSG_DONTWAIT);
    if (n >= 0)
        return n;
    return recv_wait(fd, buf, len, errno, saved);
}

/* ---- send_all ----------------------------------------------------------- */

static ssize_t send_nosignal(int fd, const char *buf, size_t len, int flags)
{
#ifdef TCPQ__SET_NOSIGPIPE
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) < 0)
        return -1;
#endif
    return send(fd, buf, len, flags | MSG_NOSIGNAL);
}

/* The rest of a send that would have waited: 0 or an errno, *sent
   advanced. Non-blocking: what fits, then EAGAIN. Blocking: the kernel
   waits (a signal ends a send early; it goes on). Timeout: one deadline
   for the whole call, poll() before each send. */
static int send_rest(int fd, const char *p, size_t len, size_t *sent)
{
    long long deadline = -1;
    int nonblocking = tcpq__is_nonblocking(fd);

    if (nonblocking < 0)
        return errno;
    if (!nonblocking &&
        tcpq__deadline(fd, SO_SNDTIMEO, tcpq__now_ns(), &deadline) < 0)
        return errno;
    while (*sent < len) {
        ssize_t n;
        if (!nonblocking && deadline >= 0) {
            int ready = tcpq__wait(fd, POLLOUT, deadline);
            if (ready <= 0)
                return ready == 0 ? ETIMEDOUT : errno;
        }
        n = send_nosignal(fd, p + *sent, len - *sent,
                          nonblocking || deadline >= 0 ? MSG_DONTWAIT : 0);
        if (n >= 0) {
            *sent += (size_t)n;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (nonblocking)
                return errno;
            /* timeout mode: the space poll() saw was taken; wait again */
        } else if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

int tcpq_send_all_ex(int fd, const void *buf, size_t len, size_t *sent_out)
{
    const char *p = buf;
    size_t sent = 0;
    ssize_t n;
    int saved = errno, err = 0;

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
    n = send_nosignal(fd, p, len, MSG_DONTWAIT);
    if (n >= 0)
        sent = (size_t)n;
    else if (errno != EAGAIN && errno != EWOULDBLOCK)
        err = errno;
    if (err == 0 && sent < len)
        err = send_rest(fd, p, len, &sent);
    if (sent_out != NULL)
        *sent_out = sent;
    errno = err != 0 ? err : saved;
    return err != 0 ? -1 : 0;
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
        return tcpq__close_failed(fd);
#endif
    if (fd >= 0 && !tcpq__os.accepted_keeps_timeouts) {
        /* the listener's timeouts, copied where accept() does not */
        struct timeval tv;
        socklen_t len = sizeof tv;
        if (getsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0)
            return tcpq__close_failed(fd);
    }
    return fd;
}

/* Waits until a connection may be taken, at most until deadline_ns: 1, 0
   (timed out) or -1. On Linux the wait is exclusive (EPOLLEXCLUSIVE): one
   new connection wakes one waiter, as a thread sleeping in accept() is
   woken alone, so a thread in this wait is not woken for a connection
   that a sleeping acceptor then takes. `ep` is the epoll instance, or -1
   for poll(). */
static int wait_acceptable(int lfd, int ep, long long deadline_ns)
{
#if defined(EPOLLEXCLUSIVE)
    if (ep >= 0) {
        for (;;) {
            struct epoll_event ev;
            long long left = deadline_ns - tcpq__now_ns();
            int n;
            left = left <= 0 ? 0 : (left + 999999) / 1000000;
            n = epoll_wait(ep, &ev, 1, left > INT_MAX ? INT_MAX : (int)left);
            if (n > 0)
                return 1;
            if (n < 0 && errno != EINTR)
                return -1;
            if (tcpq__now_ns() >= deadline_ns)
                return 0;
        }
    }
#else
    (void)ep;
#endif
    return tcpq__wait(lfd, POLLIN, deadline_ns);
}

/* After a signal interrupted a timed accept (TCPQ_TIMEOUT): wait with the
   time left, and accept only while a connection is queued, so that a
   connection taken by another thread in between does not leave this one
   in a blocking accept() for a fresh SO_RCVTIMEO past its deadline. */
static int accept_until(int lfd, struct sockaddr *addr, socklen_t *addrlen,
                        long long deadline)
{
    int ep = -1, fd = -1;

#if defined(EPOLLEXCLUSIVE)
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep >= 0) {
        struct epoll_event ev;
        memset(&ev, 0, sizeof ev);
        ev.events = EPOLLIN | EPOLLEXCLUSIVE;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
            close(ep);
            ep = -1; /* poll() then, without the exclusive wake-up */
        }
    }
#endif
    for (;;) {
        int ready = wait_acceptable(lfd, ep, deadline);
        int queued, limit;
        if (ready <= 0) {
            if (ready == 0)
                errno = ETIMEDOUT;
            break;
        }
        /* taken meanwhile (the kernel tells where it can): wait again */
        if (tcpq__os_accept_queue(lfd, &queued, &limit) == 0 && queued == 0)
            continue;
        fd = accept_once(lfd, addr, addrlen, 0);
        if (fd >= 0)
            break;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            /* SO_RCVTIMEO ran out in accept(): the connection was taken */
            if (tcpq__now_ns() >= deadline) {
                errno = ETIMEDOUT;
                break;
            }
        } else if (errno != EINTR) {
            break;
        }
    }
    if (ep >= 0) {
        int err = errno;
        close(ep);
        errno = err;
    }
    return fd;
}

int tcpq_accept(int lfd, struct sockaddr *addr, socklen_t *addrlen)
{
    long long start, deadline = -1;
    int nonblocking, fd, saved = errno;

    if (lfd < 0) {
        errno = EBADF;
        return -1;
    }
    if (addr != NULL && addrlen == NULL) {
        errno = EINVAL;
        return -1;
    }
    nonblocking = tcpq__is_nonblocking(lfd);
    if (nonblocking < 0)
        return -1;
    start = tcpq__now_ns();
    if (!tcpq__os.accept_honours_rcvtimeo && !nonblocking) {
        /* accept() ignores SO_RCVTIMEO here: the wait is ours from the
           start */
        if (tcpq__deadline(lfd, SO_RCVTIMEO, start, &deadline) < 0)
            return -1;
        if (deadline >= 0) {
            fd = accept_until(lfd, addr, addrlen, deadline);
            goto done;
        }
    }
    for (;;) {
        fd = accept_once(lfd, addr, addrlen, nonblocking);
        if (fd >= 0 || errno != EINTR)
            break;
        /* EINTR (a wait, so not non-blocking): blocking mode simply tries
           again; timeout mode goes on with the time left */
        if (tcpq__deadline(lfd, SO_RCVTIMEO, start, &deadline) < 0)
            return -1;
        if (deadline >= 0) {
            fd = accept_until(lfd, addr, addrlen, deadline);
            goto done;
        }
    }
    if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !nonblocking)
        errno = ETIMEDOUT; /* SO_RCVTIMEO expired */
done:
    if (fd >= 0)
        errno = saved;
    return fd;
}
