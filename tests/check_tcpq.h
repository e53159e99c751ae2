/* Shared by the test files: suite factories, namespace children, and small
   measurements of the kernel (TCP_INFO, getsockopt, ss, /proc/self/fd). */
#ifndef CHECK_TCPQ_H
#define CHECK_TCPQ_H

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "tcpq.h"

/* ---- suites (one per API area) ------------------------------------------ */
Suite *limits_suite(void);
Suite *listen_suite(void);
Suite *buffers_suite(void);
Suite *modes_suite(void);
Suite *bad_input_suite(void);
Suite *io_suite(void);
Suite *info_suite(void);
Suite *queue_suite(void);
Suite *hygiene_suite(void);
Suite *abi_suite(void);
Suite *connect_suite(void);
Suite *signals_suite(void);
Suite *costs_suite(void);
Suite *report_suite(void);
Suite *options_suite(void);
Suite *run_suite(void);
Suite *loops_suite(void);

/* ---- what this machine lets the tests do (probed once in main) --------- */
struct tq_caps {
    int netns;    /* a private network namespace can be made */
    int userns;   /* an unprivileged user namespace can be made */
    int mountns;  /* a private mount namespace (with netns) can be made */
    int have_ss;  /* ss(8) runs */
    int have_nft; /* nft(8) runs in a private network namespace */
    int veth;     /* ip(8) makes a veth pair in a private network namespace */
};
extern struct tq_caps tq_caps;
void tq_probe(void);

/* A TCase named `name` added to s when `ok`; otherwise NULL, after a
   visible "SKIP name (n tests): why" line, the n tests counted as skipped. */
TCase *tq_tcase_if(Suite *s, const char *name, int ok, int n, const char *why);
int tq_skipped(void);

/* ---- children in namespaces ---------------------------------------------- */
#define TQ_NS_NET 1u   /* private network namespace, lo up */
#define TQ_NS_MOUNT 2u /* plus a private mount namespace */
#define TQ_NS_USER 4u  /* force a new user namespace (drops init-ns caps) */

/* A body run in the child: returns 0 on success, else writes why. */
typedef int (*tq_child_fn)(void *arg, char *why, size_t cap);

/* Runs fn in a forked child inside the namespaces asked for; fails the
   calling test with the child's reason, or if the child dies. */
void tq_run_in_child(unsigned ns, tq_child_fn fn, void *arg);

/* In a child body: fail with a formatted reason. */
#define TQ_REQUIRE(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            snprintf(why, cap, __VA_ARGS__);                                   \
            return 1;                                                          \
        }                                                                      \
    } while (0)

/* Writes a procfs/sysctl file; 0 or -1. */
int tq_write_file(const char *path, const char *text);
/* Reads a decimal int from a file; -1 on failure. */
long tq_read_long(const char *path);

/* ---- measurements ------------------------------------------------------- */
int tq_open_fds(void); /* entries in /proc/self/fd */
int tq_tcpi_listen(int fd, int *queued, int *backlog); /* TCP_INFO */
int tq_ss_listen(int port, int *recv_q, int *send_q);  /* ss -ltn */
int tq_ss_count(const char *filter); /* lines of ss -Htn FILTER, or -1 */
struct tcpq_options tq_mode_options(enum tcpq_mode mode, int timeout_ms);
int tq_port_of(int fd);
int tq_connect_nb(int port); /* 127.0.0.1:port */
int tq_connected_pair(int *client, int *server, int *listener);
int tq_getsockopt_int(int fd, int level, int name);
double tq_now_ms(void);
int tq_linux_before(int major, int minor); /* running kernel older? */
long long tq_nstat(const char *name);      /* nstat -asz NAME, -1 on failure */

/* Sleeps ms milliseconds, resuming after signals. */
void tq_sleep_ms(long ms);

/* A listener with backlog 0 whose one queue slot is taken by *filler: it
   drops SYNs, a peer that never answers, on this machine. */
int tq_blackhole(int *filler);

/* Runs a formatted shell command: its exit status, -1 if it did not run. */
int tq_shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* In a child in a mount + network namespace: names resolve from `hosts`
   alone (a private /etc/hosts, nsswitch.conf "hosts: files"), so no query
   leaves this machine. 0, or -1 with the reason in why. */
int tq_private_hosts(const char *hosts, char *why, size_t cap);

/* The same for DNS: names resolve through the resolv.conf given
   (nsswitch.conf "hosts: dns"). 0, or -1 with the reason in why. */
int tq_private_resolver(const char *resolv_conf, char *why, size_t cap);

/* ---- a signal storm: SIGALRM (no SA_RESTART) to the calling thread every
   millisecond, so every wait in it sees EINTR; at most 10 s. ------------ */
struct tq_storm {
    pthread_t target, thread;
    volatile int stop;
    struct sigaction previous;
};
void tq_storm_start(struct tq_storm *s);
int tq_storm_stop(struct tq_storm *s); /* returns the signals caught */

/* Fires n non-blocking connects at 127.0.0.1:port and waits (bounded)
   until the listener's accept queue stops growing; returns the measured
   queue length (TCP_INFO), fds in out[] (caller closes). */
int tq_burst(int listen_fd, int n, int *out);

#endif
