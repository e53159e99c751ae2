/*
 * libtcpq - TCP listen queues, buffers and timeout modes as the kernel
 * really applies them.
 *
 * SPDX-License-Identifier: MIT
 *
 * This is the only public header. Every function that can fail returns -1
 * and sets errno; on success errno is left as it was on entry. The
 * functions that set a socket up (tcpq_listen, tcpq_set_buffers,
 * tcpq_open_listener, tcpq_connect) also take an optional, caller-owned
 * struct tcpq_report (NULL allowed): on failure its `message` names the
 * step and the reason, e.g. "bind 127.0.0.1:80: Permission denied"; on
 * success it carries the figures the kernel really applied and the
 * warnings, each with the exact fix (tcpq_warning_fix gives the fix as
 * data).
 *
 * Sections: version; reports and warnings; errors; options and modes;
 * limits; listeners; buffers and modes; clients; I/O; queue telemetry.
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
#define TCPQ_VERSION_MINOR 2
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

/* What marks an exported function; define it before including this
   header to override (e.g. empty, or a dllimport). */
#ifndef TCPQ_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define TCPQ_API __attribute__((visibility("default")))
#else
#define TCPQ_API
#endif
#endif

/* On the functions that return a descriptor: ignoring it leaks it. */
#if defined(__GNUC__) && __GNUC__ >= 4
#define TCPQ_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define TCPQ_WARN_UNUSED
#endif

/* Binary compatibility. The caller allocates struct tcpq_options,
   tcpq_report and tcpq_limits, and 0.2 appended fields to them. So that a
   program built against an older header keeps working, unrecompiled, with
   a newer libtcpq.so.0, each function that takes one of them is a macro
   here that passes the sizes this header has (sizeof) to a *_sized entry
   point. The library reads only that much of the options (the fields a
   smaller struct lacks are zero: their defaults) and writes only that
   much of the report or limits. A larger struct, from a newer header, is
   accepted when every byte past what this library knows is zero, and
   refused with E2BIG when one is set, so that a field the caller set is
   never silently ignored. A program built against 0.1 calls the plain
   names, which take the 0.1 sizes. Taking a function's address gives that
   plain entry: take the *_sized one to keep the sizes. */
#define TCPQ_SIZEOF(type) ((size_t)sizeof(struct type))

/* "MAJOR.MINOR.PATCH" of the library actually linked; equals
   TCPQ_VERSION_STRING of the header it was built with. Never fails. */
TCPQ_API const char *tcpq_version(void);

/* ------------------------------------------------------------------ */
/* Reports and warnings                                                */

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
    char address[64];  /* bound or connected address, "127.0.0.1:40123",
                          "[::1]:40123", "[fe80::1%eth0]:40123" */
    char message[256]; /* failure: step and reason. success: each warning
                          with its fix, joined by "; " (cut at 255 bytes) */

    /* 0.2: the options below, read back from the kernel with getsockopt
       when this call set them (-1: not measured by this call) */
    int keepalive_idle_s, keepalive_intvl_s, keepalive_cnt; /* 0: keepalive
                                                               off */
    int user_timeout_ms;
    int defer_accept_s; /* as the kernel holds it: rounded up to its
                           retransmission schedule */
    int fastopen_qlen;
    int notsent_lowat;
    char congestion[16]; /* granted; "": not measured */
    int attempts;        /* connect: addresses tried (started) */
    int backlog_before;  /* listen: the backlog in force before this call
                            (read from the kernel), -1 when the socket was
                            not listening */
};

/* The warning bits of report.warnings. */
/* asked for more than the OS allows */
#define TCPQ_WARN_BACKLOG_CLAMPED (1u << 0)
/* the kernel granted a smaller receive / send buffer */
#define TCPQ_WARN_RCVBUF_CLAMPED (1u << 1)
#define TCPQ_WARN_SNDBUF_CLAMPED (1u << 2)
/* a fixed buffer disables the kernel's autotuning */
#define TCPQ_WARN_AUTOTUNING_OFF (1u << 3)
/* a runtime limit could not be read: compile-time guess used, or a
   capacity unknown (the message names the limit and why) */
#define TCPQ_WARN_LIMITS_COMPILED (1u << 4)
/* buffers set after the handshake: the window scale is already fixed */
#define TCPQ_WARN_TOO_LATE (1u << 5)
/* SYN queue overflow will drop SYNs */
#define TCPQ_WARN_SYNCOOKIES_OFF (1u << 6)
/* a bind-time flag (TCPQ_REUSEPORT, TCPQ_V6ONLY, TCPQ_FREEBIND) asked for
   a socket that is already bound: not applied */
#define TCPQ_WARN_FLAG_IGNORED (1u << 7)
/* the kernel holds another value than asked (TCP_DEFER_ACCEPT rounds to
   its retransmission schedule); the report has the value held */
#define TCPQ_WARN_ROUNDED (1u << 8)
/* a Fast Open queue was set but net.ipv4.tcp_fastopen lacks the server
   bit (0x2): no SYN's data will be accepted */
#define TCPQ_WARN_FASTOPEN_OFF (1u << 9)

/* The macro name of one warning bit, e.g. "TCPQ_WARN_BACKLOG_CLAMPED";
   NULL for zero, several bits or an unknown bit. Never fails otherwise. */
TCPQ_API const char *tcpq_warning_name(unsigned warning);

/* The command that lifts the cause of one warning the report carries,
   formatted into buf as snprintf(3) does (NUL-terminated, cut to len; buf
   may be NULL when len is 0): e.g. "sysctl -w net.core.somaxconn=10000"
   for TCPQ_WARN_BACKLOG_CLAMPED, from the report's own figures; "" where
   no command helps (a buffer at the kernel's hard limit, autotuning, a
   handshake already made, limits that cannot be read). Returns the length
   of the full command, as snprintf does, or -1 with EINVAL (report NULL,
   warning zero, several bits or unknown). The same text follows "raise it
   with: " in the report's message. */
TCPQ_API int tcpq_warning_fix(const struct tcpq_report *report,
                              unsigned warning, char *buf, size_t len);
TCPQ_API int tcpq_warning_fix_sized(const struct tcpq_report *report,
                                    size_t report_size, unsigned warning,
                                    char *buf, size_t len);
#define tcpq_warning_fix(report, warning, buf, len)                            \
    tcpq_warning_fix_sized((report), TCPQ_SIZEOF(tcpq_report), (warning),      \
                           (buf), (len))

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* The class of an errno value, as Python's exceptions (PEP 3151). */
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

/* EAGAIN, EWOULDBLOCK, EALREADY, EINPROGRESS -> WOULDBLOCK; ETIMEDOUT ->
   TIMEOUT; EINTR -> INTERRUPTED; ECONNREFUSED -> REFUSED; ECONNRESET ->
   RESET; ECONNABORTED -> ABORTED; EPIPE, ESHUTDOWN -> BROKEN_PIPE;
   EADDRINUSE -> ADDR_IN_USE; 0 -> NONE; anything else -> OTHER. Never
   fails. */
TCPQ_API enum tcpq_errclass tcpq_errclass(int err);

/* ------------------------------------------------------------------ */
/* Options and modes                                                   */

/* The three modes of Python's socket.settimeout(None | t > 0 | 0.0). */
enum tcpq_mode {
    TCPQ_BLOCKING = 0, /* wait as long as it takes (default) */
    TCPQ_TIMEOUT,      /* wait at most timeout_ms; then fail with ETIMEDOUT
                          (plain recv/send/accept on the fd: EAGAIN) */
    TCPQ_NONBLOCKING,  /* never wait: EAGAIN/EWOULDBLOCK (EINPROGRESS for
                          connect) */
    TCPQ_MODE_KEEP = 3 /* 0.2: leave O_NONBLOCK and the timeouts as the
                          descriptor has them (an inherited listener, a
                          program's own socket); a socket libtcpq makes
                          is blocking */
};

/* Flags: zero is the default in every bit. A clear bit never turns an
   option off; it leaves the kernel's default alone. */
/* do not set SO_REUSEADDR on listeners */
#define TCPQ_NO_REUSEADDR (1u << 0)
/* SO_REUSEPORT (SO_REUSEPORT_LB on FreeBSD); before bind only */
#define TCPQ_REUSEPORT (1u << 1)
/* an IPv6 listener takes no IPv4; before bind only */
#define TCPQ_V6ONLY (1u << 2)
/* TCP_NODELAY (inherited by accepted sockets on Linux and the BSDs) */
#define TCPQ_NODELAY (1u << 3)
/* SO_KEEPALIVE */
#define TCPQ_KEEPALIVE (1u << 4)
/* Linux: SO_RCVBUFFORCE/SO_SNDBUFFORCE, to pass net.core.rmem_max /
   wmem_max; needs CAP_NET_ADMIN in the initial user namespace (EPERM
   otherwise). Elsewhere: EOPNOTSUPP. */
#define TCPQ_FORCE_BUFFERS (1u << 5)
/* Linux: IP_FREEBIND / IPV6_FREEBIND, to bind an address not (yet)
   configured on this host; before bind only. Elsewhere: EOPNOTSUPP. */
#define TCPQ_FREEBIND (1u << 6)
/* every defined bit */
#define TCPQ_FLAGS_ALL (0x7fu)

/* The policy for one socket. A zero-initialised struct (or a NULL
   pointer) means: the OS's maximum backlog, buffers left to the kernel
   (autotuning kept), blocking mode, SO_REUSEADDR on listeners. */
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

    /* 0.2. Zero leaves the kernel's default; a negative value is EINVAL.
       Each is read back into the report. Set on a listener, the kernel
       copies them to every accepted socket (Linux). */
    int keepalive_idle_s;   /* > 0: idle seconds before the first probe */
    int keepalive_intvl_s;  /* > 0: seconds between probes */
    int keepalive_cnt;      /* > 0: unanswered probes before the connection
                               fails; any keepalive_* > 0 implies
                               SO_KEEPALIVE. Linux: at most 32767 s, 32767
                               s and 127 probes */
    int user_timeout_ms;    /* > 0: TCP_USER_TIMEOUT, how long sent data may
                               stay unacknowledged (Linux; EOPNOTSUPP
                               elsewhere) */
    int defer_accept_s;     /* > 0, listeners: a connection enters the
                               accept queue only once data arrives (Linux
                               TCP_DEFER_ACCEPT, FreeBSD accf_data;
                               EOPNOTSUPP elsewhere) */
    int fastopen_qlen;      /* > 0, listeners: TCP Fast Open, with this many
                               requests pending at most (Linux) */
    int notsent_lowat;      /* > 0: TCP_NOTSENT_LOWAT, bytes unsent before
                               the socket stops being writable */
    const char *congestion; /* NULL: the kernel's default; else a
                               TCP_CONGESTION name, e.g. "bbr" */

    /* 0.2, clients (tcpq_connect, tcpq_dial_*): */
    int fallback_delay_ms; /* Happy Eyeballs (RFC 8305): the next address
                              is tried after this long, or at once when
                              the one before fails; 0: 250 ms; < 0: one
                              address at a time */
    const char *source;    /* numeric local address to bind before
                              connect(); only addresses of its family are
                              tried. NULL: the kernel chooses */
    const char *device;    /* interface to send through (Linux
                              SO_BINDTODEVICE, macOS IP_BOUND_IF;
                              EOPNOTSUPP elsewhere). NULL: routing
                              decides */
};

/* ------------------------------------------------------------------ */
/* Limits                                                              */

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

    /* 0.2: the defaults of the per-socket options */
    int keepalive_time_s;  /* tcp_keepalive_time: idle before a probe */
    int keepalive_intvl_s; /* tcp_keepalive_intvl */
    int keepalive_probes;  /* tcp_keepalive_probes */
    int fastopen;          /* tcp_fastopen bits: 0x1 client, 0x2 server */
    int notsent_lowat;     /* tcp_notsent_lowat */
    char congestion[16];   /* tcp_congestion_control; "" unknown */
};

/* Fills *out with this host's limits, read at run time (Linux: the
   caller's network namespace, from /proc/sys; BSDs: sysctl). A figure the
   OS does not have, or that cannot be read, is -1; when the backlog cap
   itself cannot be read, somaxconn is the compile-time SOMAXCONN and
   somaxconn_runtime is 0. Nothing is cached: every call reads anew.
   Errors: EINVAL (out is NULL). */
TCPQ_API int tcpq_get_limits(struct tcpq_limits *out);
TCPQ_API int tcpq_get_limits_sized(struct tcpq_limits *out, size_t out_size);
#define tcpq_get_limits(out)                                                   \
    tcpq_get_limits_sized((out), TCPQ_SIZEOF(tcpq_limits))

/* ------------------------------------------------------------------ */
/* Listeners                                                           */

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
   option), EISCONN (connected or connecting), and those of setsockopt,
   fcntl and listen. Invalid input is refused before the socket is
   changed. */
TCPQ_API int tcpq_listen(int fd, const struct tcpq_options *opt,
                         struct tcpq_report *report);
TCPQ_API int tcpq_listen_sized(int fd, const struct tcpq_options *opt,
                               size_t opt_size, struct tcpq_report *report,
                               size_t report_size);
#define tcpq_listen(fd, opt, report)                                           \
    tcpq_listen_sized((fd), (opt), TCPQ_SIZEOF(tcpq_options), (report),        \
                      TCPQ_SIZEOF(tcpq_report))

/* Resolves host and port, creates a close-on-exec socket, applies opt,
   binds and listens as tcpq_listen does. host NULL: all interfaces,
   dual-stack ("::" with IPV6_V6ONLY off unless TCPQ_V6ONLY) where IPv6
   exists, else 0.0.0.0. port: a number 0..65535 ("0": ephemeral) or a
   service name. Each resolved address is tried in turn; report->address
   is the bound address. The limits are read before the socket is made.
   Returns the listening fd.
   Errors: EINVAL (port NULL or out of range, invalid option),
   EADDRNOTAVAIL (host does not resolve), EAGAIN (resolver temporarily
   failed), EADDRINUSE, EACCES, and those of socket, setsockopt, bind and
   listen. Nothing is left open on failure. */
TCPQ_API TCPQ_WARN_UNUSED int tcpq_open_listener(const char *host,
                                                 const char *port,
                                                 const struct tcpq_options *opt,
                                                 struct tcpq_report *report);
TCPQ_API TCPQ_WARN_UNUSED int
tcpq_open_listener_sized(const char *host, const char *port,
                         const struct tcpq_options *opt, size_t opt_size,
                         struct tcpq_report *report, size_t report_size);
#define tcpq_open_listener(host, port, opt, report)                            \
    tcpq_open_listener_sized((host), (port), (opt), TCPQ_SIZEOF(tcpq_options), \
                             (report), TCPQ_SIZEOF(tcpq_report))

/* systemd's socket activation (sd_listen_fds(3)), without libsystemd:
   read LISTEN_PID (it must be this process), LISTEN_FDS (how many, from
   descriptor 3) and LISTEN_FDNAMES (colon-separated names) when called,
   never implicitly. Each passed descriptor is made close-on-exec; the TCP
   listening ones (IPv4/IPv6, SOCK_STREAM, listening) are stored in fds
   (room for max), anything else skipped. With
   TCPQ_LISTEN_FDS_UNSET the three variables are removed afterwards, as
   sd_listen_fds(1) does (not thread-safe: unsetenv). Returns how many
   were stored: 0 when the variables are absent or name another process.
   Errors: EINVAL (fds NULL with max > 0, max < 0, an unknown flag, or a
   malformed LISTEN_FDS). */
#define TCPQ_LISTEN_FDS_UNSET (1u << 0)
TCPQ_API int tcpq_listen_fds(int *fds, int max, unsigned flags);

/* tcpq_listen_fds with each stored descriptor's name (from LISTEN_FDNAMES,
   "" when none; systemd's FileDescriptorName= or systemd-socket-activate
   --fdname) in names[i] (NULL allowed), and the report's message listing
   what was skipped and why ("fd 5 \"dns\": not a TCP socket") and what
   did not fit in max. */
#define TCPQ_FDNAME_MAX 256
TCPQ_API int tcpq_listen_fds_named_sized(int *fds,
                                         char (*names)[TCPQ_FDNAME_MAX],
                                         int max, unsigned flags,
                                         struct tcpq_report *report,
                                         size_t report_size);
#define tcpq_listen_fds_named(fds, names, max, flags, report)                  \
    tcpq_listen_fds_named_sized((fds), (names), (max), (flags), (report),      \
                                TCPQ_SIZEOF(tcpq_report))

/* ------------------------------------------------------------------ */
/* Buffers and modes                                                   */

/* Applies opt->rcvbuf / opt->sndbuf (0 = untouched, autotuning kept) and
   reports what the kernel really granted: report->rcvbuf in the caller's
   units (Linux's doubling undone), report->rcvbuf_kernel exactly as
   getsockopt(SO_RCVBUF) returns it; likewise for sndbuf. Both are reported
   even for a 0 request. Warnings: *_CLAMPED (with the sysctl to raise,
   none past the kernel's hard limit), AUTOTUNING_OFF (any fixed size),
   TOO_LATE (socket already connected). Checks only the buffer sizes and
   the flags of opt.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP, EINVAL (negative size, unknown flag
   bit), EPERM (TCPQ_FORCE_BUFFERS without CAP_NET_ADMIN), and those of
   setsockopt. */
TCPQ_API int tcpq_set_buffers(int fd, const struct tcpq_options *opt,
                              struct tcpq_report *report);
TCPQ_API int tcpq_set_buffers_sized(int fd, const struct tcpq_options *opt,
                                    size_t opt_size, struct tcpq_report *report,
                                    size_t report_size);
#define tcpq_set_buffers(fd, opt, report)                                      \
    tcpq_set_buffers_sized((fd), (opt), TCPQ_SIZEOF(tcpq_options), (report),   \
                           TCPQ_SIZEOF(tcpq_report))

/* Puts the descriptor itself in opt->mode, so that plain recv/send/accept
   honour it where the OS enforces it: TCPQ_BLOCKING clears O_NONBLOCK and
   both timeouts; TCPQ_TIMEOUT clears O_NONBLOCK and sets SO_RCVTIMEO and
   SO_SNDTIMEO to timeout_ms (the kernel rounds up to whole clock ticks);
   TCPQ_NONBLOCKING sets O_NONBLOCK and clears both timeouts. Checks only
   mode and timeout_ms of opt.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP, EINVAL (unknown mode, timeout_ms
   <= 0 in TCPQ_TIMEOUT), and those of fcntl and setsockopt. */
TCPQ_API int tcpq_set_timeout_mode(int fd, const struct tcpq_options *opt);
TCPQ_API int tcpq_set_timeout_mode_sized(int fd, const struct tcpq_options *opt,
                                         size_t opt_size);
#define tcpq_set_timeout_mode(fd, opt)                                         \
    tcpq_set_timeout_mode_sized((fd), (opt), TCPQ_SIZEOF(tcpq_options))

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

/* ------------------------------------------------------------------ */
/* Clients                                                             */

/* Resolves host and port (host NULL: EINVAL) and connects with a
   close-on-exec socket whose buffers and options are set BEFORE
   connect(), so the window scale is negotiated with them. With several
   addresses it races them as Happy Eyeballs (RFC 8305) does: the families
   interleaved in getaddrinfo's order, the next attempt started after
   opt->fallback_delay_ms (0: 250 ms; < 0: only when the one before has
   failed) or at once when one fails; the first to connect wins and every
   other attempt is closed. TCPQ_BLOCKING waits until one attempt connects
   or all have failed (each as long as the kernel keeps trying);
   TCPQ_TIMEOUT bounds the whole call, every attempt included, by
   timeout_ms: on expiry it fails with ETIMEDOUT and closes every socket,
   so nothing is left half-open; TCPQ_NONBLOCKING starts the first address
   that does not fail at once and returns its descriptor with the
   handshake in progress (learn the outcome with tcpq_connect_finish; for
   the race without waiting, see tcpq_dial_start). A numeric host in
   TCPQ_BLOCKING costs a socket() and a connect(), and with a report the
   read-backs it asks for. The returned socket is in the requested mode;
   report->address is the peer, report->attempts the addresses tried, and
   on failure the message lists each with its error ("+N more" past its
   room); errno is then the last attempt's. Resolution is bounded by the
   deadline where the C library can (glibc getaddrinfo_a); see README.
   Errors: EINVAL (host or port NULL, port out of range, invalid option),
   EADDRNOTAVAIL (host does not resolve), ETIMEDOUT, ECONNREFUSED (at once
   from a closed port), ENETUNREACH, and those of socket and setsockopt. */
TCPQ_API TCPQ_WARN_UNUSED int tcpq_connect(const char *host, const char *port,
                                           const struct tcpq_options *opt,
                                           struct tcpq_report *report);
TCPQ_API TCPQ_WARN_UNUSED int
tcpq_connect_sized(const char *host, const char *port,
                   const struct tcpq_options *opt, size_t opt_size,
                   struct tcpq_report *report, size_t report_size);
#define tcpq_connect(host, port, opt, report)                                  \
    tcpq_connect_sized((host), (port), (opt), TCPQ_SIZEOF(tcpq_options),       \
                       (report), TCPQ_SIZEOF(tcpq_report))

/* The outcome of a connect in progress: waits up to timeout_ms (0: not at
   all; -1: as long as it takes) for the socket to be writable, then asks
   the kernel. Returns 0 only when it has a peer (getpeername); -1 with
   errno EINPROGRESS when still in progress, the connection's own error
   (SO_ERROR, read and cleared: ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH,
   ...), or ENOTCONN when no error is left (a failure already reported, a
   socket that never connected). EINTR is retried. */
TCPQ_API int tcpq_connect_finish(int fd, int timeout_ms);

/* Closes fd so that the peer gets a reset (RST) and no TIME_WAIT is left
   here: SO_LINGER {1, 0}, then close(2), as libuv's uv_tcp_close_reset.
   The descriptor is closed in every case but EBADF.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not a TCP socket), and those of
   setsockopt and close. */
TCPQ_API int tcpq_close_reset(int fd);

/* A connect for an event loop: the Happy Eyeballs race of tcpq_connect,
   driven step by step, never waiting. tcpq_dial_start resolves host and
   port (the resolver may wait, as getaddrinfo does), starts the first
   attempt and returns a dial object in *dial. Then, as long as
   tcpq_dial_step fails with EINPROGRESS: tcpq_dial_pollfds gives the
   descriptors to wait for (POLLOUT) and how long until the next attempt is
   due, the caller waits for either (poll, epoll, libuv, ...) and calls
   tcpq_dial_step again. It returns the connected descriptor, in the mode
   opt asked for (the race ran non-blocking), once one attempt wins; every
   other attempt is closed. tcpq_dial_free ends a dial at any point and
   closes whatever it still holds (never the descriptor it returned).
   opt->mode and timeout_ms: the returned socket's mode; TCPQ_TIMEOUT also
   bounds the whole dial (ETIMEDOUT). The report is tcpq_connect's:
   attempts, and on failure every address with its error.
   Errors of start: those of tcpq_connect's resolution and checks, ENOMEM.
   Errors of step: EINPROGRESS (not yet), ETIMEDOUT, and the last
   attempt's error when all have failed. */
struct tcpq_dial;
TCPQ_API int tcpq_dial_start_sized(const char *host, const char *port,
                                   const struct tcpq_options *opt,
                                   size_t opt_size, struct tcpq_dial **dial,
                                   struct tcpq_report *report,
                                   size_t report_size);
#define tcpq_dial_start(host, port, opt, dial, report)                         \
    tcpq_dial_start_sized((host), (port), (opt), TCPQ_SIZEOF(tcpq_options),    \
                          (dial), (report), TCPQ_SIZEOF(tcpq_report))

/* Fills fds (room for max) with the attempts in flight, events POLLOUT;
   returns how many, and *timeout_ms the milliseconds until tcpq_dial_step
   has something to do without a descriptor becoming ready (-1: nothing
   but a descriptor). Never fails for a dial that tcpq_dial_step has not
   ended; -1 with EINVAL otherwise. */
struct pollfd;
TCPQ_API int tcpq_dial_pollfds(const struct tcpq_dial *dial, struct pollfd *fds,
                               int max, int *timeout_ms);

TCPQ_API int tcpq_dial_step_sized(struct tcpq_dial *dial,
                                  struct tcpq_report *report,
                                  size_t report_size);
#define tcpq_dial_step(dial, report)                                           \
    tcpq_dial_step_sized((dial), (report), TCPQ_SIZEOF(tcpq_report))

TCPQ_API void tcpq_dial_free(struct tcpq_dial *dial);

/* ------------------------------------------------------------------ */
/* I/O in the descriptor's mode                                        */

/* accept(2) in the listener's mode, on every OS: TCPQ_TIMEOUT fails with
   ETIMEDOUT after the listener's timeout, also when another thread took
   the connection this one was woken for; TCPQ_NONBLOCKING with EAGAIN at
   once; EINTR is retried with the remaining time (PEP 475). The accepted
   socket is close-on-exec and in the listener's mode (O_NONBLOCK and the
   same timeouts). addr/addrlen as for accept(2), both may be NULL.
   Errors: EBADF, EINVAL (addr without addrlen; not listening), ETIMEDOUT,
   EAGAIN, ECONNABORTED, EMFILE, and those of accept4. */
TCPQ_API TCPQ_WARN_UNUSED int tcpq_accept(int listen_fd, struct sockaddr *addr,
                                          socklen_t *addrlen);

/* recv(2) in the descriptor's mode: returns the bytes read (0: the peer
   shut down its side). TCPQ_TIMEOUT: -1/ETIMEDOUT (not EAGAIN) once the
   timeout has passed; TCPQ_NONBLOCKING: -1/EAGAIN at once; EINTR is
   retried with the remaining time only (PEP 475). len 0 returns 0 at once
   (nothing waited for, nothing consumed: not the peer's shutdown). One
   recv() system call and no clock read when data is ready.
   Errors: EBADF, EINVAL (buf NULL with len > 0), ENOTSOCK, ETIMEDOUT,
   EAGAIN, ECONNRESET, and those of recv. */
TCPQ_API ssize_t tcpq_recv(int fd, void *buf, size_t len);

/* Sends all len bytes or fails; returns len. The timeout bounds the whole
   call, not each chunk (as Python's sendall since 3.5); TCPQ_NONBLOCKING
   sends what fits and fails with EAGAIN. len 0 returns 0 at once, without
   a system call. Never raises SIGPIPE: a closed or reset peer gives EPIPE
   or ECONNRESET. One send() system call and no clock read when it all
   fits. Errors: EBADF, EINVAL (buf NULL with len > 0, len > SSIZE_MAX),
   ETIMEDOUT, EAGAIN, EPIPE, ECONNRESET, and those of send. On failure the
   bytes already sent are not reported: use tcpq_send_all_ex for that. */
TCPQ_API ssize_t tcpq_send_all(int fd, const void *buf, size_t len);

/* tcpq_send_all that also reports *sent (NULL allowed): the bytes handed
   to the kernel, on success (len) and on failure alike. Returns 0 or -1. */
TCPQ_API int tcpq_send_all_ex(int fd, const void *buf, size_t len,
                              size_t *sent);

/* ------------------------------------------------------------------ */
/* Queue telemetry                                                     */

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

/* The live accept queue of a listener and the host's listen counters:
   accept_queue_len (completed connections waiting for accept) and
   accept_queue_limit (the backlog in force) from the kernel (Linux
   TCP_INFO tcpi_unacked / tcpi_sacked, FreeBSD SO_LISTENQLEN /
   SO_LISTENQLIMIT; -1 elsewhere); listen_overflows and listen_drops as
   tcpq_listen_counters() gives them.
   Errors: EBADF, ENOTSOCK, EOPNOTSUPP (not a TCP socket), EINVAL (out
   NULL, or fd not listening). */
TCPQ_API int tcpq_queue_stats(int listen_fd, struct tcpq_queue_stats *out);

/* The calling thread's network namespace's counters since boot (Linux
   TcpExt ListenOverflows and ListenDrops from /proc/thread-self/net/netstat,
   /proc/net/netstat before Linux 3.17: SYNs and final ACKs dropped because
   an accept queue was full, and every listener drop); -1 each where the OS
   keeps no such counter or it cannot be read. Either pointer may be NULL.
   Returns 0; never fails. */
TCPQ_API int tcpq_listen_counters(long long *listen_overflows,
                                  long long *listen_drops);

#ifdef __cplusplus
}
#endif

#endif /* TCPQ_H */
