/* Interfaces between the library's files, by layer, lowest first. A file
   calls only the layers listed before its own (make lint checks it on the
   objects), never one after:
     parse.c      strict parsers of kernel text; reading a small file
     os_<family>  what differs per kernel (one file per build)
     sock.c       clock, waits, a socket's facts, descriptors
     report.c     reports: messages, warnings and their fixes, addresses
     limits.c     the host's limits and a listener's queue
     sockopts.c   the per-socket TCP options: check, set, read back
     setup.c      the steps: validate, buffers, flags, mode, listen
     resolve.c    names to addresses, within a deadline
     dial.c       connect attempts raced (Happy Eyeballs)
     endpoint.c   open_listener, connect, dial    } the top: none
     io.c         recv, send_all, accept          } calls another
     activation.c systemd's listening sockets     }
   Never installed. */
#ifndef TCPQ_INTERNAL_H
#define TCPQ_INTERNAL_H

#include <stddef.h>
#include <sys/socket.h>

#include "tcpq.h"

#if defined(__GNUC__)
#define TCPQ__PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TCPQ__PRINTF(fmt, args)
#endif

/* ---- parse.c: strict parsers of kernel text, buffer + length ---------- */

/* One decimal int, optional leading '-', optional trailing white space
   (the newline procfs writes). Anything else, an empty field or a value
   outside int: -1 with errno EINVAL or ERANGE. */
int tcpq__parse_int(const char *buf, size_t len, int *out);

/* Exactly three such ints separated by blanks or tabs (tcp_rmem). */
int tcpq__parse_int3(const char *buf, size_t len, int out[3]);

/* Counters from /proc/net/netstat text: the first line that starts with
   "<prefix>:" names the fields, the next line with the same prefix holds
   their values. out[i] is the value of names[i], or -1 when the name is
   absent, the two lines differ in field count, or the value is not a
   decimal that fits a long long. Never reads past buf + len. Returns how
   many names were found. */
int tcpq__parse_netstat(const char *buf, size_t len, const char *prefix,
                        const char *const names[], size_t count,
                        long long out[]);

/* Reads a small text file (at most cap - 1 bytes) into buf, NUL-terminated.
   Returns the length or -1 with errno. Close-on-exec, EINTR-safe. */
long tcpq__read_small_file(const char *path, char *buf, size_t cap);

/* ---- os_<family>.c: what differs per kernel --------------------------- */

/* What differs per kernel, as data, so that the branches on it elsewhere
   are plain ifs that every build compiles. The sysctl names are those
   that lift each cap (NULL where no sysctl does: the message then names
   no fix). */
struct tcpq__os_traits {
    const char *name;                  /* tcpq_limits.os: "linux", ... */
    enum tcpq_queue_model queue_model; /* tcpq_limits.queue_model */
    const char *somaxconn;             /* "net.core.somaxconn" */
    const char *rmem_max;              /* "net.core.rmem_max" */
    const char *wmem_max;              /* "net.core.wmem_max" */
    const char *syncookies;            /* "net.ipv4.tcp_syncookies" */
    const char *sysctl_set;            /* the command that sets one */
    const char *force_rcvbuf;          /* option names for messages */
    const char *force_sndbuf;
    int buffer_scale;            /* getsockopt figure / caller's units */
    int buffer_hard_cap;         /* the most a buffer can be, in the
                                    caller's units, whatever the sysctls
                                    say (Linux INT_MAX / 2); 0: none known */
    int accept_honours_rcvtimeo; /* accept() ends at SO_RCVTIMEO */
    int accepted_keeps_timeouts; /* an accepted socket has the listener's
                                    SO_RCVTIMEO / SO_SNDTIMEO */
    /* the most TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT take (Linux
       include/net/tcp.h: 32767 s, 32767 s, 127); 0: not known */
    int keepalive_idle_max, keepalive_intvl_max, keepalive_cnt_max;
    int fastopen_qlen;               /* TCP_FASTOPEN takes a queue length */
    const char *fastopen_sysctl;     /* "net.ipv4.tcp_fastopen" */
    int defer_accept;                /* tcpq__os_defer_accept works */
    const char *defer_accept_label;  /* "TCP_DEFER_ACCEPT" */
    const char *defer_accept_module; /* the command that loads it, where
                                        it is a module: "kldload accf_data" */
    int freebind;                    /* IP_FREEBIND / IPV6_FREEBIND */
    int bind_device;                 /* tcpq__os_bind_device works */
    const char *congestion_allowed;  /* the sysctl listing what may be set */
};
extern const struct tcpq__os_traits tcpq__os;

/* Which figures a caller needs, so that listen() does not read the
   buffer sysctls and set_buffers() does not read the queue ones. */
#define TCPQ__LIM_BACKLOG 1u /* somaxconn, syncookies, max_syn_backlog */
#define TCPQ__LIM_BUFFERS 2u /* rmem_*, wmem_*, tcp_rmem, tcp_wmem */
/* what tcpq_listen needs to clamp: where the kernel tells the backlog
   back (Linux), nothing; elsewhere as BACKLOG */
#define TCPQ__LIM_LISTEN 4u
#define TCPQ__LIM_OPTIONS 8u /* the per-socket options' defaults */
/* with LISTEN, what its report adds where LISTEN reads nothing (Linux):
   the SYN-queue figures (syncookies, and max_syn_backlog without them) */
#define TCPQ__LIM_LISTEN_REPORT 16u
#define TCPQ__LIM_ALL 0xffu

/* The first figure a read of the limits could not get: its sysctl name
   and the errno of the failed read (ENOENT when /proc/sys is hidden,
   EMFILE when the process is out of descriptors, ...); name NULL when
   every figure asked for was read. */
struct tcpq__unread {
    const char *name;
    int err;
};

/* Fills the figures in `want` into out, whose ints the caller has set to
   -1; for TCPQ__LIM_BACKLOG also somaxconn/somaxconn_runtime (the
   compile-time SOMAXCONN with 0 when unreadable). What it could not read
   is named in *unread (NULL allowed). Never fails. */
void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread);

/* The backlog in force on a listening fd as the kernel tells it, or -1
   where it does not (Linux: TCP_INFO tcpi_sacked). */
int tcpq__os_backlog_in_force(int fd);

/* A TCP socket's state in one question where the kernel answers it
   (Linux TCP_INFO): TCPQ__IDLE (closed, never connected), TCPQ__LISTENING,
   TCPQ__CONNECTED (connected or connecting); -1 where it does not tell. */
#define TCPQ__IDLE 0
#define TCPQ__LISTENING 1
#define TCPQ__CONNECTED 2
int tcpq__os_tcp_state(int fd);

/* A listener's accept queue now: *len waiting, *limit the backlog; 0, or
   -1 with errno (EINVAL: not listening; EOPNOTSUPP: the OS does not
   tell). */
int tcpq__os_accept_queue(int fd, int *len, int *limit);

/* The calling thread's network namespace's ListenOverflows / ListenDrops,
   -1 unknown. */
void tcpq__os_listen_counters(long long *overflows, long long *drops);

/* Completed connections a listener with backlog B holds un-accepted. */
int tcpq__os_accept_queue_capacity(int backlog);

/* Half-open connections stored for a listener with backlog B under the
   limits in force; -1 where not bounded or not known. */
int tcpq__os_syn_queue_capacity(int backlog, const struct tcpq_limits *lim);

/* Sets SO_RCVBUF/SO_SNDBUF past the cap (Linux SO_*BUFFORCE). Where the OS
   has no such option: -1 with EOPNOTSUPP. `receive` picks the direction. */
int tcpq__os_force_buffer(int fd, int receive, int bytes);

/* Defers accepting a connection until data arrives (Linux
   TCP_DEFER_ACCEPT, FreeBSD the dataready accept filter), *held the
   seconds the kernel holds (-1 where it holds none). 0, or -1 with errno
   (EOPNOTSUPP where the OS has no such thing; ENOENT: a module is not
   loaded). */
int tcpq__os_defer_accept(int fd, int seconds, int *held);

/* The Fast Open sysctl (Linux net.ipv4.tcp_fastopen), -1 unreadable. */
int tcpq__os_fastopen_sysctl(void);

/* The congestion controls a process may set, as the sysctl lists them;
   0, or -1 where unreadable. */
int tcpq__os_congestion_allowed(char *buf, size_t cap);

/* Sends fd's packets through the named interface only (Linux
   SO_BINDTODEVICE, macOS IP_BOUND_IF / IPV6_BOUND_IF): 0, or -1 with
   errno (EOPNOTSUPP where the OS has no such option). */
int tcpq__os_bind_device(int fd, int family, const char *name);

/* ---- sock.c: the low layer ---------------------------------------------- */

/* CLOCK_MONOTONIC in ns (the vDSO on Linux: no system call). */
long long tcpq__now_ns(void);

/* poll() for events until deadline_ns (-1: none): 1 ready, 0 timed out,
   -1 error. EINTR is retried with the remaining time; never early. */
int tcpq__wait(int fd, short events, long long deadline_ns);

/* A kernel timeout (SO_RCVTIMEO/SO_SNDTIMEO) in whole ms, rounded up. */
int tcpq__timeout_ms(int fd, int name, int *out);

/* The deadline of an operation that started at `started` under the
   descriptor's timeout `name`: -1 when there is none (blocking mode). */
int tcpq__deadline(int fd, int name, long long started, long long *out);

/* 1 when fd has O_NONBLOCK, 0 when not, -1 with errno. */
int tcpq__is_nonblocking(int fd);

/* Closes fd keeping errno; returns -1, for `return tcpq__close_failed(fd)`
   on a failure path. */
int tcpq__close_failed(int fd);

/* A close-on-exec TCP socket of the family, non-blocking when asked (in
   the one socket() call where the system allows), or -1 with errno. */
int tcpq__open_socket(int family, int nonblocking);

/* What one look at a TCP socket tells: every later step uses these and
   does not ask the kernel again. */
struct tcpq__facts {
    struct sockaddr_storage local; /* getsockname(); zeroed when unbound */
    int family;                    /* AF_INET or AF_INET6 */
    int bound;                     /* has a local port */
    int listening;
    int connected; /* connected or connecting */
    int pristine;  /* just made here: blocking, no timeouts */
};

/* Why tcpq__tcp_facts refused a descriptor, for messages. */
struct tcpq__not_tcp {
    const char *what; /* "type", "family", "protocol"; NULL: a system
                         call failed (errno tells) */
    int value;
};

/* Fills *f for fd but its state, or -1 with errno: EBADF, ENOTSOCK,
   EOPNOTSUPP (not a TCP socket; *why says what it is). */
int tcpq__tcp_facts(int fd, struct tcpq__facts *f, struct tcpq__not_tcp *why);

/* Adds the state (listening, connected) to *f: one question on Linux. */
void tcpq__tcp_state(int fd, struct tcpq__facts *f);

/* The facts of a socket just made by tcpq__open_socket for `ai`'s family,
   unbound: nothing to ask the kernel. */
void tcpq__fresh_facts(struct tcpq__facts *f, int family);

/* The outcome of a connect that poll() found writable: 0 when the kernel
   has a peer (getpeername), else -1 with the pending error (SO_ERROR,
   read and cleared) or ENOTCONN when none is left: a failure already
   reported, or a socket that never connected. */
int tcpq__connect_outcome(int fd);

/* ---- report.c: what a call tells its caller ---------------------------- */

/* Every int -1 ("not measured by this call"), warnings 0, strings "". */
void tcpq__report_reset(struct tcpq_report *r);

/* strerror(), thread-safe. */
const char *tcpq__error_text(int err, char *buf, size_t cap);

/* Failure: the message "step: strerror(err)" when r is not NULL; sets
   errno to err and returns -1. */
int tcpq__fail(struct tcpq_report *r, int err, const char *fmt, ...)
    TCPQ__PRINTF(3, 4);

/* Sets a warning bit (r may be NULL). */
void tcpq__warn(struct tcpq_report *r, unsigned bit);

/* What the warnings' text needs beyond the report's own figures. */
struct tcpq__warn_context {
    int backlog_read_back;      /* the kernel told the backlog back */
    int syncookies;             /* as read, -1 unknown */
    struct tcpq__unread unread; /* a limit that could not be read */
    int defer_accept_s;         /* as asked (TCPQ_WARN_ROUNDED) */
    int fastopen_sysctl;        /* as read (TCPQ_WARN_FASTOPEN_OFF) */
    unsigned flags_ignored;     /* TCPQ_WARN_FLAG_IGNORED: which */
};

/* On success: each warning the report carries, with its fix, joined by
   "; " into the message, most important first. */
void tcpq__compose_warnings(struct tcpq_report *r,
                            const struct tcpq__warn_context *c);

/* An address with its port: "127.0.0.1:80", "[::1]:80", "[fe80::1%eth0]:80"
   (the scope by interface name, or number). One longer than cap is cut
   visibly ("...") before its port; "?" only for another family. */
void tcpq__format_address(const struct sockaddr *sa, char *buf, size_t cap);

/* An address as text for messages: the longest scoped IPv6 address with
   its port fits (report.address, 64 bytes, holds every one the kernel
   gives). */
#define TCPQ__ADDRESS_TEXT 96

/* The binary boundary. The sizes of the 0.1 structs: where the first
   field appended in 0.2 starts. */
#define TCPQ__OPTIONS_SIZE_0_1 offsetof(struct tcpq_options, keepalive_idle_s)
#define TCPQ__REPORT_SIZE_0_1 offsetof(struct tcpq_report, keepalive_idle_s)
#define TCPQ__LIMITS_SIZE_0_1 offsetof(struct tcpq_limits, keepalive_time_s)

/* The caller's options, `size` bytes as its header had them, into *full:
   zero-extended when smaller; when larger, every byte past this library's
   struct must be zero (E2BIG otherwise); smaller than 0.1's: EINVAL. NULL:
   the defaults. Returns 0, or -1 with errno and the message in r. */
int tcpq__options_in(const struct tcpq_options *opt, size_t size,
                     struct tcpq_options *full, struct tcpq_report *r);

/* A call's report: the library fills `full`, a whole report of its own
   layout, and tcpq__report_end copies as much of it as the caller's
   struct holds (`size` bytes as its header had them; past this library's
   layout, zeros). */
struct tcpq__report_out {
    struct tcpq_report full;
    struct tcpq_report *user;
    size_t size;
};

/* The report to fill (reset), or NULL when the caller passed none; -1
   with EINVAL (nothing written) when size is smaller than 0.1's. */
int tcpq__report_begin(struct tcpq__report_out *o, struct tcpq_report *user,
                       size_t size, struct tcpq_report **fill);

/* Copies the report out, errno kept; returns rc. */
int tcpq__report_end(struct tcpq__report_out *o, int rc);

/* The start of a call that takes options and a report: tcpq__report_begin,
   then tcpq__options_in into *full. -1 when either fails, the report then
   already copied out (nothing more to do but return -1). */
int tcpq__call_begin(struct tcpq__report_out *o, struct tcpq_report *user,
                     size_t report_size, struct tcpq_report **fill,
                     const struct tcpq_options *opt, size_t opt_size,
                     struct tcpq_options *full);

/* ---- limits.c: the host's limits ---------------------------------------- */

/* The limits in `want`, every other figure -1, os and queue_model set;
   what could not be read in *unread (NULL allowed). */
void tcpq__read_limits(struct tcpq_limits *out, unsigned want,
                       struct tcpq__unread *unread);

/* ---- sockopts.c: the per-socket TCP options ----------------------------- */

/* Checks the options' TCP settings for a listener or a client: -1 with
   EINVAL (negative, above the kernel's bound, a listener's option on a
   client, a malformed congestion name) or EOPNOTSUPP (not on this OS). */
int tcpq__check_sockopts(const struct tcpq_options *opt, int listener,
                         struct tcpq_report *r);

/* TCP_NODELAY, keepalive, user timeout, unsent low-water mark and
   congestion control, each read back into the report. */
int tcpq__apply_sockopts(int fd, const struct tcpq_options *opt,
                         struct tcpq_report *r);

/* Before listen(): the Fast Open queue, read back; *fastopen_sysctl the
   sysctl's value when it was asked for (else -1), with the warning when
   it lacks the server bit. */
int tcpq__apply_listener_sockopts(int fd, const struct tcpq_options *opt,
                                  int *fastopen_sysctl, struct tcpq_report *r);

/* After listen(): deferred accept, read back (TCPQ_WARN_ROUNDED when the
   kernel holds another value). */
int tcpq__apply_defer_accept(int fd, const struct tcpq_options *opt,
                             struct tcpq_report *r);

/* ---- setup.c: the steps ------------------------------------------------- */

/* What a function checks in its options before it touches a socket. */
#define TCPQ__CHECK_BUFFERS 1u  /* rcvbuf, sndbuf >= 0 */
#define TCPQ__CHECK_MODE 2u     /* a known mode; timeout_ms > 0 in TIMEOUT */
#define TCPQ__CHECK_FLAGS 4u    /* no unknown flag bit */
#define TCPQ__CHECK_LISTENER 8u /* the TCP options, for a listener */
#define TCPQ__CHECK_CLIENT 16u  /* the TCP options, for a client */
#define TCPQ__CHECK_ALL 7u
int tcpq__check_options(const struct tcpq_options *opt, unsigned what,
                        struct tcpq_report *r);

/* fd must be an open TCP socket: its facts, or -1 with errno and the
   message. */
int tcpq__check_socket(int fd, struct tcpq__facts *f, struct tcpq_report *r);

/* The steps listeners and clients share, before bind or connect: the
   buffers (so that the window scale is negotiated with them) and the
   TCP options (tcpq__apply_sockopts). */
int tcpq__configure(int fd, const struct tcpq__facts *f,
                    const struct tcpq_options *opt, struct tcpq_report *r);

/* Options that only take effect before bind() (SO_REUSEADDR,
   SO_REUSEPORT, IPV6_V6ONLY, IP_FREEBIND); dual_stack: clear IPV6_V6ONLY
   unless TCPQ_V6ONLY. */
int tcpq__bind_flags(int fd, int family, int dual_stack, unsigned flags,
                     struct tcpq_report *r);

/* The descriptor in opt->mode (skipped for a pristine socket that is to
   stay blocking). */
int tcpq__apply_mode(int fd, const struct tcpq__facts *f,
                     const struct tcpq_options *opt, struct tcpq_report *r);

/* The limits a listener needs (and, for_report, those its report gives),
   with what could not be read. */
struct tcpq__listen_limits {
    struct tcpq_limits lim;
    struct tcpq__unread unread;
};
void tcpq__read_listen_limits(struct tcpq__listen_limits *l, int for_report);

/* The rest of a listener after configure and bind: the mode, Fast
   Open, listen(2) with the clamped backlog, deferred accept, and the
   report. flags_ignored: bind-time flags that were not applied. */
int tcpq__listen_steps(int fd, const struct tcpq__facts *f,
                       const struct tcpq_options *opt,
                       const struct tcpq__listen_limits *limits,
                       unsigned flags_ignored, struct tcpq_report *r);

/* ---- resolve.c: names to addresses -------------------------------------- */

struct addrinfo;

/* A port is digits only, 0..65535 (1: numeric), or a service name that
   starts with a letter (0); else -1 with EINVAL and the message. */
int tcpq__check_port(const char *port, struct tcpq_report *r);

/* getaddrinfo for a listener (passive: host NULL is every interface) or a
   client, given up at deadline_ns (-1: none) where the C library has an
   asynchronous resolver (glibc >= 2.34: ETIMEDOUT). 0 with *list, or -1
   with errno (EADDRNOTAVAIL: no such name; EAGAIN: the resolver failed
   for now) and the message. */
int tcpq__resolve(const char *host, const char *port, int numeric_port,
                  int passive, long long deadline_ns, struct addrinfo **list,
                  struct tcpq_report *r);

/* A numeric address (IPv4, or IPv6 with an optional %scope), port 0:
   0, or -1 with EINVAL and the message. */
int tcpq__numeric_address(const char *text, struct sockaddr_storage *out,
                          socklen_t *len, struct tcpq_report *r);

/* host as a plain numeric IPv4 or IPv6 address with port: 1, or 0 when it
   is a name or a scoped address (for getaddrinfo). */
int tcpq__numeric_endpoint(const char *host, int port,
                           struct sockaddr_storage *out, socklen_t *len);

/* ---- dial.c: connect attempts raced ------------------------------------ */

struct pollfd;

struct tcpq__attempt {
    const struct addrinfo *ai;
    int fd;  /* in flight; -1 before it starts and once it has ended */
    int err; /* why it failed; 0 while it has not */
};

struct tcpq_dial {
    struct addrinfo *list; /* getaddrinfo's, freed by tcpq__dial_end */
    struct tcpq__attempt *attempts;
    int count, started, inflight;
    struct tcpq_options opt; /* the caller's strings stay the caller's */
    struct sockaddr_storage source;
    socklen_t source_len;
    long long deadline; /* -1: none */
    long long next_due; /* start the next attempt then; -1: on a failure */
    long long delay_ns; /* -1: one at a time */
    int over;           /* won or failed: only the end is left */
    int won;            /* tcpq_dial_*: connected at the start, not yet
                           handed over; -1 none */
};

/* Takes list (freed by tcpq__dial_end, also on failure) and the checked
   options: the attempts in order, none started. 0, or -1 with errno. */
int tcpq__dial_begin(struct tcpq_dial *d, struct addrinfo *list,
                     const struct tcpq_options *opt, long long deadline,
                     struct tcpq_report *r);

/* Starts the first attempt that does not fail at once; then, never
   waiting, takes what finished and starts what is due. Both return the
   connected fd, or -1 with EINPROGRESS (not yet) or the failure. */
int tcpq__dial_first(struct tcpq_dial *d, struct tcpq_report *r);
int tcpq__dial_step(struct tcpq_dial *d, struct tcpq_report *r);

/* The attempts in flight and the ms until a step is due (-1: none). */
int tcpq__dial_pollfds(const struct tcpq_dial *d, struct pollfd *fds, int max,
                       int *timeout_ms);

/* Closes every attempt left, frees what the dial holds. */
void tcpq__dial_end(struct tcpq_dial *d);

#endif /* TCPQ_INTERNAL_H */
