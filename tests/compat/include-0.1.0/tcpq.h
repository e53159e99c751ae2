/*
 * libtcpq - TCP listen queues, buffers and timeout modes as the kernel
 * really applies them.
 *
 * SPDX-License-Identifier: MIT
 *
 * This is the only public header. Every function returns -1 and sets errno
 * on failure; every function that can fail takes an optional, caller-owned
 * struct tcpq_report (NULL allowed) whose `message` then names the step and
 * the reason, e.g. "bind 127.0.0.1:80: Permission denied". On success the
 * report carries the figures the kernel really applied and the warnings,
 * each with the exact fix. On success errno is left as it was on entry.
 */
#ifndef TCPQ_H
#define TCPQ_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Version: defined here once; the Makefile reads it from these lines. */

#define TCPQ_VERSION_MAJOR 0
#define TCPQ_VERSION_MINOR 1
#define TCPQ_VERSION_PATCH 0

#define TCPQ_STRINGIFY_(x) #x
#define TCPQ_STRINGIFY(x) TCPQ_STRINGIFY_(x)
#define TCPQ_VERSION_STRING                                                    \
    TCPQ_STRINGIFY(TCPQ_VERSION_MAJOR)                                         \
    "." TCPQ_STRINGIFY(TCPQ_VERSION_MINOR) "." TCPQ_STRINGIFY(                 \
        TCPQ_VERSION_PATCH)
/* 0xMMmmpp, for #if TCPQ_VERSION_HEX >= 0x000100 */
#define TCPQ_VERSION_HEX                                                       \
    ((TCPQ_VERSION_MAJOR << 16) | (TCPQ_VERSION_MINOR << 8) |                  \
     TCPQ_VERSION_PATCH)

#if defined(__GNUC__) && __GNUC__ >= 4
#define TCPQ_API __attribute__((visibility("default")))
#else
#define TCPQ_API
#endif

/* ------------------------------------------------------------------ */
/* Types                                                               */

/* The three modes of Python's socket.settimeout(None | t > 0 | 0.0). */
enum tcpq_mode {
    TCPQ_BLOCKING = 0, /* wait as long as it takes (default) */
    TCPQ_TIMEOUT,      /* wait at most timeout_ms; then fail with ETIMEDOUT
                          (plain recv/send/accept on the fd: EAGAIN) */
    TCPQ_NONBLOCKING   /* never wait: EAGAIN/EWOULDBLOCK (EINPROGRESS for
                          connect) */
};

/* Flags: zero is the default in every bit. A clear bit never turns an
   option off; it leaves the kernel's default alone. */
#define TCPQ_NO_REUSEADDR (1u << 0) /* do not set SO_REUSEADDR on listeners */
#define TCPQ_REUSEPORT                                                         \
    (1u << 1) /* SO_REUSEPORT (SO_REUSEPORT_LB on                              \
                 FreeBSD); before bind only */
#define TCPQ_V6ONLY                                                            \
    (1u << 2) /* IPv6 listener takes no IPv4; before                           \
                 bind only */
#define TCPQ_NODELAY                                                           \
    (1u << 3)                    /* TCP_NODELAY (inherited by accepted         \
                                    sockets on Linux and the BSDs) */
#define TCPQ_KEEPALIVE (1u << 4) /* SO_KEEPALIVE */
#define TCPQ_FORCE_BUFFERS                                                     \
    (1u << 5)                  /* Linux: SO_RCVBUFFORCE/SO_SNDBUFFORCE,        \
                                  to pass net.core.rmem_max/wmem_max;          \
                                  needs CAP_NET_ADMIN in the initial           \
                                  user namespace (EPERM otherwise).            \
                                  Elsewhere: EOPNOTSUPP. */
#define TCPQ_FLAGS_ALL (0x3fu) /* every defined bit */

struct tcpq_options {
    int backlog; /* <= 0: the OS maximum, read at run time;
                    > 0: wanted, clamped to the OS maximum */
    int rcvbuf;  /* 0: leave to the kernel (autotuning kept); > 0: bytes
                    wanted, in the caller's units (NOT the doubled Linux
                    figure); < 0: EINVAL */
    int sndbuf;  /* likewise */
    enum tcpq_mode mode;
    int timeout_ms; /* TCPQ_TIMEOUT only; must be > 0 */
    unsigned flags; /* TCPQ_* above; an unknown bit is EINVAL */
};

enum tcpq_queue_model {
    TCPQ_QUEUE_UNKNOWN = 0,
    TCPQ_QUEUE_SPLIT, /* SYN queue + accept queue; backlog sizes the accept
                         queue (Linux >= 2.2, FreeBSD with its syncache) */
    TCPQ_QUEUE_SINGLE /* one queue holds half-open and complete connections;
                         backlog bounds both (XNU/macOS, historic BSD) */
};

/* What this host allows, read at run time; -1 = this OS has no such
   figure, or it could not be read. */
struct tcpq_limits {
    const char *os; /* "linux", "freebsd", "darwin", "openbsd", "netbsd",
                       "posix" (a static string) */
    enum tcpq_queue_model queue_model;
    int somaxconn;              /* cap on any backlog (per network namespace on
                                   Linux) */
    int somaxconn_runtime;      /* 1: read from the running kernel; 0: the
                                   compile-time SOMAXCONN fallback */
    int max_syn_backlog;        /* Linux tcp_max_syn_backlog; FreeBSD syncache
                                   cachelimit */
    int syncookies;             /* 0 off, 1 on overflow, 2 always */
    int abort_on_overflow;      /* Linux tcp_abort_on_overflow */
    int rmem_default, rmem_max; /* SO_RCVBUF default and cap, as the
                                   sysctl states them */
    int wmem_default, wmem_max; /* SO_SNDBUF default and cap */
    int tcp_rmem[3], tcp_wmem[3]; /* autotuning min, default, max */
};

#define TCPQ_WARN_BACKLOG_CLAMPED                                              \
    (1u << 0) /* asked for more than the OS                                    \
                 allows */
#define TCPQ_WARN_RCVBUF_CLAMPED (1u << 1)
#define TCPQ_WARN_SNDBUF_CLAMPED (1u << 2)
#define TCPQ_WARN_AUTOTUNING_OFF                                               \
    (1u << 3) /* a fixed buffer disables the                                   \
                 kernel's autotuning */
#define TCPQ_WARN_LIMITS_COMPILED                                              \
    (1u << 4) /* runtime limits unreadable:                                    \
                 compile-time guess used */
#define TCPQ_WARN_TOO_LATE                                                     \
    (1u << 5) /* buffers set after the                                         \
                 handshake: window scale                                       \
                 already fixed */
#define TCPQ_WARN_SYNCOOKIES_OFF                                               \
    (1u << 6) /* SYN queue overflow will drop                                  \
                 SYNs */

/* -1 = not known on this OS */
struct tcpq_queue_stats {
    int accept_queue_len;       /* completed connections waiting for
                                   accept() now */
    int accept_queue_limit;     /* the backlog in force */
    long long listen_overflows; /* host (netns) counter: SYNs/ACKs dropped,
                                   accept queue full */
    long long listen_drops;     /* host (netns) counter: all listener
                                   drops */
};

enum tcpq_errclass {
    TCPQ_ERR_NONE = 0,
    TCPQ_ERR_WOULDBLOCK,
    TCPQ_ERR_TIMEOUT,
    TCPQ_ERR_INTERRUPTED,
    TCPQ_ERR_REFUSED,
    TCPQ_ERR_RESET,
    TCPQ_ERR_ABORTED,
    TCPQ_ERR_BROKEN_PIPE,
    TCPQ_ERR_ADDR_IN_USE,
    TCPQ_ERR_OTHER
};

/* Filled by every call that takes it. The call first sets every int field
   to -1 ("not measured by this call"), warnings to 0 and both strings to
   "", then fills what it measured. */
struct tcpq_report {
    int backlog_requested;     /* as given in the options (0 for NULL) */
    int backlog;               /* what the kernel uses, read back where the
                                  OS allows (Linux TCP_INFO) */
    int accept_queue_capacity; /* completed connections held un-accepted
                                  before new SYNs are dropped (Linux:
                                  backlog + 1) */
    int syn_queue_capacity;    /* half-open connections stored before SYNs
                                  are dropped or answered with cookies; -1
                                  where not bounded/known */
    int rcvbuf_requested, rcvbuf, rcvbuf_kernel; /* rcvbuf in the caller's
                                  units; rcvbuf_kernel exactly as
                                  getsockopt reports it */
    int sndbuf_requested, sndbuf, sndbuf_kernel;
    unsigned warnings; /* TCPQ_WARN_* */
    char address[64];  /* bound or connected address, "127.0.0.1:40123" /
                          "[::1]:40123" */
    char message[256]; /* failure: step and reason. success: each warning
                          with its fix, joined by "; " (cut at 255 bytes) */
};

/* ------------------------------------------------------------------ */
/* Functions                                                           */

/* "MAJOR.MINOR.PATCH" of the library actually linked; equals
   TCPQ_VERSION_STRING of the header it was built with. Never fails. */
TCPQ_API const char *tcpq_version(void);

/* The macro name of one warning bit, e.g. "TCPQ_WARN_BACKLOG_CLAMPED";
   NULL for zero, several bits or an unknown bit. Never fails otherwise. */
TCPQ_API const char *tcpq_warning_name(unsigned warning);

/* Fills *out with this host's limits, read at run time (Linux: the
   caller's network namespace, from /proc/sys; BSDs: sysctl). A figure the
   OS does not have, or that cannot be read, is -1; when the backlog cap
   itself cannot be read, somaxconn is the compile-time SOMAXCONN and
   somaxconn_runtime is 0. Nothing is cached: every call reads anew.
   Errors: EINVAL (out is NULL). */
TCPQ_API int tcpq_get_limits(struct tcpq_limits *out);

/* Makes fd a listener with the policy in opt (NULL: all defaults).
   fd: a TCP socket, bound or not, not connected. In this order: buffers
   (so accepted sockets inherit them and window scaling is negotiated with
   them), flags (SO_REUSEADDR, SO_REUSEPORT and IPV6_V6ONLY only while the
   socket is unbound), mode, then listen(2) with the backlog clamped to the
   runtime maximum (backlog <= 0: the maximum itself). The report gives the
   backlog read back from the kernel, the accept- and SYN-queue capacities
   this kernel gives it, and every clamp with the sysctl that lifts it.
   Calling it again on a listening socket resizes the backlog where the OS
   allows (Linux, FreeBSD).
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not a TCP socket), EINVAL (invalid
   option, connected socket), EISCONN, and those of setsockopt, fcntl and
   listen. Invalid input is refused before the socket is changed. */
TCPQ_API int tcpq_listen(int fd, const struct tcpq_options *opt,
                         struct tcpq_report *report);

/* Applies opt->rcvbuf / opt->sndbuf (0 = untouched, autotuning kept) and
   reports what the kernel really granted: report->rcvbuf in the caller's
   units (Linux's doubling undone), report->rcvbuf_kernel exactly as
   getsockopt(SO_RCVBUF) returns it; likewise for sndbuf. Both are reported
   even for a 0 request. Warnings: *_CLAMPED (with the sysctl to raise),
   AUTOTUNING_OFF (any fixed size), TOO_LATE (socket already connected).
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP, EINVAL (negative size, unknown flag
   bit), EPERM (TCPQ_FORCE_BUFFERS without CAP_NET_ADMIN), and those of
   setsockopt. */
TCPQ_API int tcpq_set_buffers(int fd, const struct tcpq_options *opt,
                              struct tcpq_report *report);

/* Puts the descriptor itself in opt->mode, so that plain recv/send/accept
   honour it where the OS enforces it: TCPQ_BLOCKING clears O_NONBLOCK and
   both timeouts; TCPQ_TIMEOUT clears O_NONBLOCK and sets SO_RCVTIMEO and
   SO_SNDTIMEO to timeout_ms (the kernel rounds up to whole clock ticks);
   TCPQ_NONBLOCKING sets O_NONBLOCK and clears both timeouts.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP, EINVAL (unknown mode, timeout_ms
   <= 0 in TCPQ_TIMEOUT, unknown flag bit), and those of fcntl and
   setsockopt. */
TCPQ_API int tcpq_set_timeout_mode(int fd, const struct tcpq_options *opt);

/* Reads the mode back from the kernel's state of the descriptor:
   O_NONBLOCK set -> TCPQ_NONBLOCKING, *timeout_ms = 0; else a non-zero
   SO_RCVTIMEO or SO_SNDTIMEO -> TCPQ_TIMEOUT with *timeout_ms the larger of
   the two as the kernel stores it, rounded up to whole milliseconds (so it
   is never less than what the kernel enforces, and may exceed what was set
   by up to one clock tick: 250 reads back as 252 at HZ=250); else
   TCPQ_BLOCKING, *timeout_ms = 0. Either pointer may be NULL.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP. */
TCPQ_API int tcpq_get_timeout_mode(int fd, enum tcpq_mode *mode,
                                   int *timeout_ms);

/* Resolves host and port, creates a close-on-exec socket, applies opt,
   binds and calls tcpq_listen. host NULL: all interfaces, dual-stack
   ("::" with IPV6_V6ONLY off unless TCPQ_V6ONLY) where IPv6 exists, else
   0.0.0.0. port: a number 0..65535 ("0": ephemeral) or a service name.
   Each resolved address is tried in turn; report->address is the bound
   address. Returns the listening fd.
   Errors: EINVAL (port NULL or out of range, invalid option),
   EADDRNOTAVAIL (host does not resolve), EAGAIN (resolver temporarily
   failed), EADDRINUSE, EACCES, and those of socket, setsockopt, bind and
   listen. Nothing is left open on failure. */
TCPQ_API int tcpq_open_listener(const char *host, const char *port,
                                const struct tcpq_options *opt,
                                struct tcpq_report *report);

/* The live accept queue of a listener and the host's listen counters:
   accept_queue_len (completed connections waiting for accept) and
   accept_queue_limit (the backlog in force) from the kernel (Linux
   TCP_INFO tcpi_unacked / tcpi_sacked, FreeBSD SO_LISTENQLEN /
   SO_LISTENQLIMIT; -1 elsewhere); listen_overflows and listen_drops as
   tcpq_listen_counters() gives them. One getsockopt and one read of
   /proc/net/netstat on Linux.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not a TCP socket), EINVAL (out
   NULL, or fd not listening). */
TCPQ_API int tcpq_queue_stats(int listen_fd, struct tcpq_queue_stats *out);

/* The calling thread's network namespace's counters since boot (Linux
   /proc/net/netstat TcpExt ListenOverflows and ListenDrops: SYNs and final
   ACKs dropped because an accept queue was full, and every listener drop);
   -1 each where the OS keeps no such counter or it cannot be read.
   Either pointer may be NULL. Returns 0; never fails. */
TCPQ_API int tcpq_listen_counters(long long *listen_overflows,
                                  long long *listen_drops);

/* Client side: resolves host and port (host NULL: EINVAL), and tries each
   address in turn with a close-on-exec socket whose buffers and flags are
   set BEFORE connect(), so the window scale is negotiated with them.
   TCPQ_BLOCKING waits as long as the kernel keeps trying; TCPQ_TIMEOUT
   bounds the whole call, every address included, by timeout_ms: on expiry
   it fails with ETIMEDOUT and closes the socket, so nothing is left
   half-open; TCPQ_NONBLOCKING returns the descriptor at once with the
   handshake in progress (learn the outcome with tcpq_connect_finish). The
   returned socket is in the requested mode; report->address is the peer.
   Errors: EINVAL (host or port NULL, port out of range, invalid option),
   EADDRNOTAVAIL (host does not resolve), ETIMEDOUT, ECONNREFUSED (at once
   from a closed port), ENETUNREACH, and those of socket and setsockopt. */
TCPQ_API int tcpq_connect(const char *host, const char *port,
                          const struct tcpq_options *opt,
                          struct tcpq_report *report);

/* The outcome of a connect in progress: waits up to timeout_ms (0: not at
   all; -1: as long as it takes) for the socket to be writable, then reads
   and clears SO_ERROR. Returns 0 when connected; -1 with errno
   EINPROGRESS when still in progress, or the connection's own error
   (ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ...). EINTR is retried. */
TCPQ_API int tcpq_connect_finish(int fd, int timeout_ms);

/* accept(2) in the listener's mode, on every OS: TCPQ_TIMEOUT fails with
   ETIMEDOUT after the listener's timeout; TCPQ_NONBLOCKING with EAGAIN at
   once; EINTR is retried with the remaining time (PEP 475). The accepted
   socket is close-on-exec and in the listener's mode (O_NONBLOCK and the
   same timeouts). addr/addrlen as for accept(2), both may be NULL.
   Errors: EBADF, EINVAL (addr without addrlen; not listening), ETIMEDOUT,
   EAGAIN, ECONNABORTED, EMFILE, and those of accept4. */
TCPQ_API int tcpq_accept(int listen_fd, struct sockaddr *addr,
                         socklen_t *addrlen);

/* recv(2) in the descriptor's mode: returns the bytes read (0: the peer
   shut down its side). TCPQ_TIMEOUT: -1/ETIMEDOUT (not EAGAIN) once the
   timeout has passed; TCPQ_NONBLOCKING: -1/EAGAIN at once; EINTR is
   retried with the remaining time only (PEP 475). One recv() system call
   when data is ready. Errors: EBADF, EINVAL (buf NULL with len > 0),
   ENOTSOCK, ETIMEDOUT, EAGAIN, ECONNRESET, and those of recv. */
TCPQ_API ssize_t tcpq_recv(int fd, void *buf, size_t len);

/* Sends all len bytes or fails; returns len. The timeout bounds the whole
   call, not each chunk (as Python's sendall since 3.5); TCPQ_NONBLOCKING
   sends what fits and fails with EAGAIN. len 0 returns 0 at once, without
   a system call. Never raises SIGPIPE: a closed
   or reset peer gives EPIPE or ECONNRESET. One send() system call when it
   all fits. Errors: EBADF, EINVAL (buf NULL with len > 0, len >
   SSIZE_MAX), ETIMEDOUT, EAGAIN, EPIPE, ECONNRESET, and those of send.
   On failure the bytes already sent are not reported: use
   tcpq_send_all_ex for that. */
TCPQ_API ssize_t tcpq_send_all(int fd, const void *buf, size_t len);

/* tcpq_send_all that also reports *sent (NULL allowed): the bytes handed
   to the kernel, on success (len) and on failure alike. Returns 0 or -1. */
TCPQ_API int tcpq_send_all_ex(int fd, const void *buf, size_t len,
                              size_t *sent);

/* PEP 3151-style class of an errno value: EAGAIN, EWOULDBLOCK, EALREADY,
   EINPROGRESS -> WOULDBLOCK; ETIMEDOUT -> TIMEOUT; EINTR -> INTERRUPTED;
   ECONNREFUSED -> REFUSED; ECONNRESET -> RESET; ECONNABORTED -> ABORTED;
   EPIPE, ESHUTDOWN -> BROKEN_PIPE; EADDRINUSE -> ADDR_IN_USE; 0 -> NONE;
   anything else -> OTHER. Never fails. */
TCPQ_API enum tcpq_errclass tcpq_errclass(int err);

#ifdef __cplusplus
}
#endif

#endif /* TCPQ_H */
