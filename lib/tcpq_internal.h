/* Internal interfaces between the portable core, the text parsers and the
   one platform file the Makefile picks (lib/os_<family>.c). Never installed. */
#ifndef TCPQ_INTERNAL_H
#define TCPQ_INTERNAL_H

#include <stddef.h>

#include "tcpq.h"

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

/* Formats an IPv4/IPv6 address with its port: "127.0.0.1:80",
   "[::1]:80", "[fe80::1%eth0]:80" (the scope by interface name, or by
   number where the interface has none). An address longer than cap is
   cut visibly ("...") before its port; "?" only for another family. */
void tcpq__format_address(const struct sockaddr *sa, char *buf, size_t cap);

/* ---- tcpq.c and io.c: shared by setup and I/O ------------------------- */

/* A kernel timeout (SO_RCVTIMEO/SO_SNDTIMEO) in whole ms, rounded up. */
int tcpq__timeout_ms(int fd, int name, int *out);

/* CLOCK_MONOTONIC in ns (the vDSO on Linux: no system call). */
long long tcpq__now_ns(void);

/* poll() for events until deadline_ns (-1: none): 1 ready, 0 timed out,
   -1 error. EINTR is retried with the remaining time; never early. */
int tcpq__wait(int fd, short events, long long deadline_ns);

/* The outcome of a connect that poll() found writable: 0 when the kernel
   has a peer (getpeername), else -1 with the pending error (SO_ERROR,
   read and cleared) or ENOTCONN when none is left: a failure already
   reported, or a socket that never connected. */
int tcpq__connect_outcome(int fd);

/* ---- os_<family>.c: what differs per kernel --------------------------- */

/* Which figures a caller needs, so that listen() does not read the
   buffer sysctls and set_buffers() does not read the queue ones. */
#define TCPQ__LIM_BACKLOG 1u /* somaxconn, syncookies, max_syn_backlog */
#define TCPQ__LIM_BUFFERS 2u /* rmem_*, wmem_*, tcp_rmem, tcp_wmem */
#define TCPQ__LIM_LISTEN                                                       \
    4u /* what tcpq_listen needs: where the kernel                             \
          tells the backlog back (Linux), only the                             \
          SYN-queue figures; elsewhere as BACKLOG */
#define TCPQ__LIM_ALL 0xffu

/* tcpq.c: every figure -1, os and queue_model set. */
void tcpq__limits_unknown(struct tcpq_limits *out, const char *os,
                          enum tcpq_queue_model model);

/* The first figure a read of the limits could not get: its sysctl name
   and the errno of the failed read (ENOENT when /proc/sys is hidden,
   EMFILE when the process is out of descriptors, ...); name NULL when
   every figure asked for was read. */
struct tcpq__unread {
    const char *name;
    int err;
};

/* Fills out (every int -1 first) with the figures in `want`; sets os,
   queue_model and, for TCPQ__LIM_BACKLOG, somaxconn/somaxconn_runtime
   (the compile-time SOMAXCONN with 0 when unreadable). Never fails; what
   it could not read is named in *unread (NULL allowed). */
void tcpq__os_limits(struct tcpq_limits *out, unsigned want,
                     struct tcpq__unread *unread);

/* The backlog in force on a listening fd as the kernel tells it, or -1
   where it does not (Linux: TCP_INFO tcpi_sacked). */
int tcpq__os_backlog_in_force(int fd);

/* 1 when fd is a TCP socket in no connection (closed or listening), 0
   when it is connecting or connected, -1 where the OS does not tell. */
int tcpq__os_is_idle(int fd);

/* A listener's accept queue now: *len waiting, *limit the backlog; 0, or
   -1 with errno (EINVAL: not listening; EOPNOTSUPP: the OS does not
   tell). */
int tcpq__os_accept_queue(int fd, int *len, int *limit);

/* The network namespace's ListenOverflows / ListenDrops, -1 unknown. */
void tcpq__os_listen_counters(long long *overflows, long long *drops);

/* Completed connections a listener with backlog B holds un-accepted. */
int tcpq__os_accept_queue_capacity(int backlog);

/* Half-open connections stored for a listener with backlog B under the
   limits in force; -1 where not bounded or not known. */
int tcpq__os_syn_queue_capacity(int backlog, const struct tcpq_limits *lim);

/* What differs per kernel, as data, so that the core's branches on it are
   plain ifs that every build compiles. The sysctl names are those that
   lift each cap (NULL where no sysctl does: the message then names no
   fix). */
struct tcpq__os_traits {
    const char *somaxconn;  /* "net.core.somaxconn" */
    const char *rmem_max;   /* "net.core.rmem_max" */
    const char *wmem_max;   /* "net.core.wmem_max" */
    const char *syncookies; /* "net.ipv4.tcp_syncookies" */
    const char *sysctl_set; /* the command that sets one: "sysctl -w" */
    int buffer_scale;       /* getsockopt figure / caller's units (Linux 2) */
    int buffer_hard_cap;    /* the most a buffer can be, in the caller's
                               units, whatever the sysctls say (Linux
                               INT_MAX / 2); 0 where none is known */
    int accept_honours_rcvtimeo; /* accept() ends at SO_RCVTIMEO (Linux) */
    int accepted_keeps_timeouts; /* an accepted socket has the listener's
                                    SO_RCVTIMEO/SO_SNDTIMEO (Linux) */
};
extern const struct tcpq__os_traits tcpq__os;

/* Sets SO_RCVBUF/SO_SNDBUF past the cap (Linux SO_*BUFFORCE). Where the OS
   has no such option: -1 with EOPNOTSUPP. `receive` picks the direction. */
int tcpq__os_force_buffer(int fd, int receive, int bytes);

/* The option name for a forced buffer, for messages. */
const char *tcpq__os_force_name(int receive);

#endif /* TCPQ_INTERNAL_H */
