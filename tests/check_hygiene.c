/* Process hygiene: every descriptor the library creates is closed across
   exec (proven by exec'ing a child that lists what it inherited), every
   failing call leaves the count of open descriptors as it was, and no
   sending path raises SIGPIPE at its default disposition. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_tcpq.h"

#define MAX_FD 1024 /* descriptors above this are not tracked */

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ---- close-on-exec, proven by exec ------------------------------------- */

/* Execs `ls -ln /proc/self/fd` with its output on a pipe, and marks in
   inherited[] each descriptor the new program was given. The listing's
   own directory descriptor (the link to /proc/<pid>/fd) is left out: it
   takes the lowest free number, which may be one of ours. Returns how
   many were marked, or -1. */
static int exec_and_list_fds(unsigned char inherited[MAX_FD])
{
    static char *const argv[] = {"ls", "-ln", "/proc/self/fd", NULL};
    static char *const envp[] = {"LC_ALL=C", NULL};
    char out[16384], *line, *next;
    size_t used = 0;
    int pipefd[2], status = 0, count = 0, rounds;
    pid_t pid;

    memset(inherited, 0, MAX_FD);
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return -1;
    }
    if (pid == 0) {
        /* dup2 clears close-on-exec on stdout only */
        if (dup2(pipefd[1], STDOUT_FILENO) < 0)
            _exit(126);
        execve("/bin/ls", argv, envp);
        _exit(127);
    }
    close(pipefd[1]);
    for (rounds = 0; rounds < 1000 && used + 1 < sizeof out; rounds++) {
        ssize_t n = read(pipefd[0], out + used, sizeof out - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    out[used] = '\0';
    close(pipefd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    /* "lrwx------ 1 0 0 64 Nov 27 10:03 5 -> socket:[1234]" */
    for (line = out; line != NULL && *line != '\0'; line = next) {
        char *arrow, *start, *end;
        long fd;

        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        arrow = strstr(line, " -> ");
        if (arrow == NULL)
            continue; /* "total 0" */
        for (start = arrow; start > line && start[-1] != ' '; start--)
            ;
        fd = strtol(start, &end, 10);
        if (end != arrow || fd < 0 || fd >= MAX_FD)
            return -1;
        if (strncmp(arrow + 4, "/proc/", 6) == 0 &&
            strcmp(arrow + strlen(arrow) - 3, "/fd") == 0)
            continue; /* ls's own opendir() */
        inherited[fd] = 1;
        count++;
    }
    return count;
}

struct made_fd {
    const char *by;
    int fd;
};

static void add_fd(struct made_fd *made, int *n, const char *by, int fd)
{
    ck_assert_msg(fd >= 0 && fd < MAX_FD, "%s: fd %d (%s)", by, fd,
                  strerror(errno));
    made[*n].by = by;
    made[*n].fd = fd;
    ++*n;
}

/* Listeners, clients and accepted sockets in every mode: none reaches an
   exec'd program. A descriptor opened without O_CLOEXEC does, which shows
   the listing sees inheritance at all. */
START_TEST(library_descriptors_do_not_survive_exec)
{
    static const enum tcpq_mode modes[] = {TCPQ_BLOCKING, TCPQ_TIMEOUT,
                                           TCPQ_NONBLOCKING};
    unsigned char before[MAX_FD], after[MAX_FD];
    struct made_fd made[16];
    struct tcpq_report rep;
    char port[16];
    int n = 0, m, i, control, base_count, after_count, v6;

    base_count = exec_and_list_fds(before);
    ck_assert_msg(base_count >= 3, "baseline listing failed (%d)", base_count);
    for (m = 0; m < 3; m++) {
        struct tcpq_options opt = tq_mode_options(modes[m], 2000);
        int lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
        int cfd, sfd = -1;

        add_fd(made, &n, "tcpq_open_listener", lfd);
        snprintf(port, sizeof port, "%d", tq_port_of(lfd));
        cfd = tcpq_connect("127.0.0.1", port, &opt, &rep);
        add_fd(made, &n, "tcpq_connect", cfd);
        ck_assert_int_eq(tcpq_connect_finish(cfd, 2000), 0);
        for (i = 0; i < 200 && sfd < 0; i++) { /* bounded: 2 s */
            sfd = tcpq_accept(lfd, NULL, NULL);
            if (sfd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                sleep_ms(10);
            else
                break;
        }
        add_fd(made, &n, "tcpq_accept", sfd);
    }
    v6 = tcpq_open_listener("::1", "0", NULL, &rep);
    if (v6 >= 0)
        add_fd(made, &n, "tcpq_open_listener ::1", v6);
    control = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: inherited */
    ck_assert_int_ge(control, 0);

    after_count = exec_and_list_fds(after);
    ck_assert_msg(after_count >= 3, "listing failed (%d)", after_count);
    ck_assert_msg(control < MAX_FD && after[control],
                  "the control fd %d (no O_CLOEXEC) is missing from the "
                  "exec'd child: the listing does not work",
                  control);
    for (i = 0; i < n; i++)
        ck_assert_msg(!after[made[i].fd],
                      "fd %d from %s is open in the exec'd child", made[i].fd,
                      made[i].by);
    /* and nothing else leaked: only the control fd was added */
    after[control] = 0;
    for (i = 0; i < MAX_FD; i++)
        ck_assert_msg(after[i] == before[i], "fd %d: %s the baseline", i,
                      after[i] ? "inherited, unlike" : "missing from");
    close(control);
    for (i = 0; i < n; i++)
        close(made[i].fd);
}
END_TEST

/* ---- every failing call leaves the descriptor count alone -------------- */

struct fixture {
    int fd[3]; /* closed at the end when >= 0 */
    char port[16];
};

/* a listener; its port in f->port */
static void make_listener(struct fixture *f, const struct tcpq_options *opt)
{
    f->fd[0] = tcpq_open_listener("127.0.0.1", "0", opt, NULL);
    ck_assert_int_ge(f->fd[0], 0);
    snprintf(f->port, sizeof f->port, "%d", tq_port_of(f->fd[0]));
}

static void prep_listener(struct fixture *f)
{
    make_listener(f, NULL);
}

static void prep_listener_nonblocking(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);
    make_listener(f, &opt);
}

static void prep_listener_timeout(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 200);
    make_listener(f, &opt);
}

/* a port that was free a moment ago and has no listener */
static void prep_closed_port(struct fixture *f)
{
    struct sockaddr_in sin;
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    ck_assert_int_ge(probe, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(probe, (struct sockaddr *)&sin, sizeof sin), 0);
    snprintf(f->port, sizeof f->port, "%d", tq_port_of(probe));
    close(probe);
}

/* A listener with backlog 0 whose one queue slot is taken drops SYNs: a
   peer that never answers, on this machine. */
static void prep_blackhole(struct fixture *f)
{
    int queued = 0, i;

    make_listener(f, NULL);
    ck_assert_int_eq(listen(f->fd[0], 0), 0);
    f->fd[1] = tq_connect_nb(tq_port_of(f->fd[0]));
    ck_assert_int_ge(f->fd[1], 0);
    for (i = 0; i < 100 && queued < 1; i++) { /* bounded: 0.5 s */
        sleep_ms(5);
        tq_tcpi_listen(f->fd[0], &queued, NULL);
    }
    ck_assert_int_eq(queued, 1);
}

/* a connect in progress to the blackhole, in fd[2] */
static void prep_connecting(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_NONBLOCKING, 0);

    prep_blackhole(f);
    f->fd[2] = tcpq_connect("127.0.0.1", f->port, &opt, NULL);
    ck_assert_int_ge(f->fd[2], 0);
}

static void prep_pipe(struct fixture *f)
{
    ck_assert_int_eq(pipe2(f->fd, O_CLOEXEC), 0);
}

static void prep_tcp(struct fixture *f)
{
    f->fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(f->fd[0], 0);
}

static void prep_udp(struct fixture *f)
{
    f->fd[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(f->fd[0], 0);
}

/* fd[0] client, fd[1] server, both TCPQ_TIMEOUT 200 ms */
static void prep_pair_timeout(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 200);

    ck_assert_int_eq(tq_connected_pair(&f->fd[0], &f->fd[1], NULL), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(f->fd[0], &opt), 0);
    ck_assert_int_eq(tcpq_set_timeout_mode(f->fd[1], &opt), 0);
}

/* the failing calls: each returns the call's result as an int */
static const struct tcpq_options bad_rcvbuf = {.rcvbuf = -1};

static int open_bad_port(struct fixture *f)
{
    (void)f;
    return tcpq_open_listener("127.0.0.1", "99999", NULL, NULL);
}

static int open_port_in_use(struct fixture *f)
{
    return tcpq_open_listener("127.0.0.1", f->port, NULL, NULL);
}

static int open_bad_option(struct fixture *f)
{
    (void)f;
    return tcpq_open_listener("127.0.0.1", "0", &bad_rcvbuf, NULL);
}

static int connect_refused(struct fixture *f)
{
    return tcpq_connect("127.0.0.1", f->port, NULL, NULL);
}

static int connect_timeout(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 200);
    return tcpq_connect("127.0.0.1", f->port, &opt, NULL);
}

static int connect_bad_port(struct fixture *f)
{
    (void)f;
    return tcpq_connect("127.0.0.1", "99999", NULL, NULL);
}

static int connect_host_null(struct fixture *f)
{
    (void)f;
    return tcpq_connect(NULL, "80", NULL, NULL);
}

static int connect_bad_option(struct fixture *f)
{
    return tcpq_connect("127.0.0.1", f->port, &bad_rcvbuf, NULL);
}

static int connect_finish_in_progress(struct fixture *f)
{
    return tcpq_connect_finish(f->fd[2], 0);
}

static int accept_fd0(struct fixture *f)
{
    return tcpq_accept(f->fd[0], NULL, NULL);
}

static int listen_fd0(struct fixture *f)
{
    return tcpq_listen(f->fd[0], NULL, NULL);
}

static int listen_bad_option(struct fixture *f)
{
    return tcpq_listen(f->fd[0], &bad_rcvbuf, NULL);
}

static int buffers_negative(struct fixture *f)
{
    return tcpq_set_buffers(f->fd[0], &bad_rcvbuf, NULL);
}

static int buffers_fd0(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_BLOCKING, 0);
    opt.rcvbuf = 4096;
    return tcpq_set_buffers(f->fd[0], &opt, NULL);
}

static int mode_fd0(struct fixture *f)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, 100);
    return tcpq_set_timeout_mode(f->fd[0], &opt);
}

static int get_mode_fd0(struct fixture *f)
{
    enum tcpq_mode mode;
    int ms;
    return tcpq_get_timeout_mode(f->fd[0], &mode, &ms);
}

static int queue_stats_fd0(struct fixture *f)
{
    struct tcpq_queue_stats qs;
    return tcpq_queue_stats(f->fd[0], &qs);
}

static int recv_fd0(struct fixture *f)
{
    char buf[16];
    return (int)tcpq_recv(f->fd[0], buf, sizeof buf);
}

static int send_all_fd1(struct fixture *f)
{
    return (int)tcpq_send_all(f->fd[1], "x", 1);
}

static int send_all_ex_fd1(struct fixture *f)
{
    size_t sent;
    return tcpq_send_all_ex(f->fd[1], "x", 1, &sent);
}

static int limits_null(struct fixture *f)
{
    (void)f;
    return tcpq_get_limits(NULL);
}

static const struct error_case {
    const char *name;
    void (*prepare)(struct fixture *f); /* NULL: nothing to prepare */
    int (*call)(struct fixture *f);
    int err, other_err; /* errno wanted (other_err: also allowed) */
} error_cases[] = {
    {"open_listener bad port", NULL, open_bad_port, EINVAL, 0},
    {"open_listener address in use", prep_listener, open_port_in_use,
     EADDRINUSE, 0},
    {"open_listener bad option", NULL, open_bad_option, EINVAL, 0},
    {"connect refused", prep_closed_port, connect_refused, ECONNREFUSED, 0},
    {"connect timeout", prep_blackhole, connect_timeout, ETIMEDOUT, 0},
    {"connect bad port", NULL, connect_bad_port, EINVAL, 0},
    {"connect host NULL", NULL, connect_host_null, EINVAL, 0},
    {"connect bad option", prep_listener, connect_bad_option, EINVAL, 0},
    {"connect_finish in progress", prep_connecting, connect_finish_in_progress,
     EINPROGRESS, 0},
    {"accept not listening", prep_tcp, accept_fd0, EINVAL, 0},
    {"accept pipe", prep_pipe, accept_fd0, ENOTSOCK, 0},
    {"accept nonblocking, queue empty", prep_listener_nonblocking, accept_fd0,
     EAGAIN, EWOULDBLOCK},
    {"accept timeout", prep_listener_timeout, accept_fd0, ETIMEDOUT, 0},
    {"listen UDP socket", prep_udp, listen_fd0, EOPNOTSUPP, 0},
    {"listen pipe", prep_pipe, listen_fd0, ENOTSOCK, 0},
    {"listen connected socket", prep_pair_timeout, listen_fd0, EISCONN, EINVAL},
    {"listen bad option", prep_tcp, listen_bad_option, EINVAL, 0},
    {"set_buffers negative", prep_tcp, buffers_negative, EINVAL, 0},
    {"set_buffers pipe", prep_pipe, buffers_fd0, ENOTSOCK, 0},
    {"set_timeout_mode pipe", prep_pipe, mode_fd0, ENOTSOCK, 0},
    {"get_timeout_mode UDP socket", prep_udp, get_mode_fd0, EOPNOTSUPP, 0},
    {"queue_stats pipe", prep_pipe, queue_stats_fd0, ENOTSOCK, 0},
    {"queue_stats not listening", prep_tcp, queue_stats_fd0, EINVAL, 0},
    {"recv pipe", prep_pipe, recv_fd0, ENOTSOCK, 0},
    {"recv timeout", prep_pair_timeout, recv_fd0, ETIMEDOUT, 0},
    {"send_all pipe", prep_pipe, send_all_fd1, ENOTSOCK, 0},
    {"send_all_ex pipe", prep_pipe, send_all_ex_fd1, ENOTSOCK, 0},
    {"get_limits NULL", NULL, limits_null, EINVAL, 0},
};

START_TEST(failing_call_leaves_descriptor_count_unchanged)
{
    const struct error_case *c = &error_cases[_i];
    struct fixture f = {{-1, -1, -1}, "0"};
    int before, after, rc, err, k;

    if (c->prepare != NULL)
        c->prepare(&f);
    before = tq_open_fds();
    errno = 0;
    rc = c->call(&f);
    err = errno;
    after = tq_open_fds();
    for (k = 0; k < 3; k++)
        if (f.fd[k] >= 0)
            close(f.fd[k]);
    ck_assert_msg(rc == -1, "%s: returned %d, want -1", c->name, rc);
    ck_assert_msg(err == c->err || (c->other_err != 0 && err == c->other_err),
                  "%s: errno %d (%s), want %d (%s)", c->name, err,
                  strerror(err), c->err, strerror(c->err));
    ck_assert_msg(after == before, "%s: %d descriptors open before, %d after",
                  c->name, before, after);
}
END_TEST

/* Past the argument checks, after the socket is made: SO_RCVBUFFORCE
   without CAP_NET_ADMIN in the initial user namespace fails with EPERM,
   and the socket made for it is closed. */
static int force_buffers_refused_in_user_namespace(void *arg, char *why,
                                                   size_t cap)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_BLOCKING, 0);
    int lfd, before, rc;
    char port[16];

    (void)arg;
    lfd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    TQ_REQUIRE(lfd >= 0, "listener: %s", strerror(errno));
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    opt.rcvbuf = 1 << 20;
    opt.flags = TCPQ_FORCE_BUFFERS;
    before = tq_open_fds();
    rc = tcpq_open_listener("127.0.0.1", "0", &opt, NULL);
    TQ_REQUIRE(rc == -1 && errno == EPERM,
               "open_listener with TCPQ_FORCE_BUFFERS: %d, errno %d (%s)", rc,
               errno, strerror(errno));
    TQ_REQUIRE(tq_open_fds() == before,
               "open_listener: %d fds before, %d after", before, tq_open_fds());
    rc = tcpq_connect("127.0.0.1", port, &opt, NULL);
    TQ_REQUIRE(rc == -1 && errno == EPERM,
               "connect with TCPQ_FORCE_BUFFERS: %d, errno %d (%s)", rc, errno,
               strerror(errno));
    TQ_REQUIRE(tq_open_fds() == before, "connect: %d fds before, %d after",
               before, tq_open_fds());
    close(lfd);
    return 0;
}

START_TEST(failing_after_socket_made_leaves_descriptor_count_unchanged)
{
    tq_run_in_child(TQ_NS_USER, force_buffers_refused_in_user_namespace, NULL);
}
END_TEST

/* ---- SIGPIPE at its default disposition --------------------------------- */

enum mid_send {
    BEFORE,          /* the peer resets before the first send */
    PEER_RESETS,     /* the peer resets while a large send waits */
    OWN_SIDE_SHUT_WR /* shutdown(SHUT_WR) while a large send waits: the
                        slow path's own send() then meets EPIPE */
};

static const struct {
    const char *name;
    int ex; /* tcpq_send_all_ex, else tcpq_send_all */
    enum mid_send when;
    enum tcpq_mode mode;
} send_paths[] = {
    {"send_all BLOCKING", 0, BEFORE, TCPQ_BLOCKING},
    {"send_all TIMEOUT", 0, BEFORE, TCPQ_TIMEOUT},
    {"send_all NONBLOCKING", 0, BEFORE, TCPQ_NONBLOCKING},
    {"send_all_ex BLOCKING", 1, BEFORE, TCPQ_BLOCKING},
    {"send_all_ex TIMEOUT", 1, BEFORE, TCPQ_TIMEOUT},
    {"send_all_ex NONBLOCKING", 1, BEFORE, TCPQ_NONBLOCKING},
    {"send_all BLOCKING, reset mid-send", 0, PEER_RESETS, TCPQ_BLOCKING},
    {"send_all TIMEOUT, reset mid-send", 0, PEER_RESETS, TCPQ_TIMEOUT},
    {"send_all_ex BLOCKING, reset mid-send", 1, PEER_RESETS, TCPQ_BLOCKING},
    {"send_all_ex TIMEOUT, reset mid-send", 1, PEER_RESETS, TCPQ_TIMEOUT},
    {"send_all BLOCKING, SHUT_WR mid-send", 0, OWN_SIDE_SHUT_WR, TCPQ_BLOCKING},
    {"send_all_ex TIMEOUT, SHUT_WR mid-send", 1, OWN_SIDE_SHUT_WR,
     TCPQ_TIMEOUT},
};

/* Closes fd with SO_LINGER {1, 0}: the peer gets a RST, not a FIN. */
static int reset_close(int fd)
{
    struct linger lg;

    lg.l_onoff = 1;
    lg.l_linger = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
        return -1;
    return close(fd);
}

struct later {
    enum mid_send when;
    int client, server;
};

/* 200 ms on: the peer resets, or the client shuts its sending side */
static void *act_later(void *arg)
{
    struct later *l = arg;

    sleep_ms(200);
    if (l->when == PEER_RESETS)
        reset_close(l->server);
    else
        shutdown(l->client, SHUT_WR);
    return NULL;
}

static int send_once(int ex, int fd, const char *buf, size_t len)
{
    size_t sent = 0;

    if (ex)
        return tcpq_send_all_ex(fd, buf, len, &sent);
    return tcpq_send_all(fd, buf, len) < 0 ? -1 : 0;
}

/* In a child with SIGPIPE at SIG_DFL and unblocked: a client in the
   row's mode writes to a peer that reset the connection (or, in the
   SHUT_WR rows, on a connection it shut down itself) until the kernel
   answers EPIPE, the error that raises SIGPIPE without MSG_NOSIGNAL.
   Every failure must be EPIPE or ECONNRESET, and the child must live. */
static int send_until_epipe(void *arg, char *why, size_t cap)
{
    static char chunk[256 * 1024];
    int row = *(const int *)arg;
    struct tcpq_options opt = tq_mode_options(send_paths[row].mode, 5000);
    struct tcpq_options lopt = tq_mode_options(TCPQ_TIMEOUT, 5000);
    struct tcpq_report rep;
    struct pollfd pfd;
    pthread_t thread;
    sigset_t pipe_only;
    char port[16], *big = NULL;
    int lfd, cfd, sfd, i, rc, err, saw_epipe = 0;

    signal(SIGPIPE, SIG_DFL);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigprocmask(SIG_UNBLOCK, &pipe_only, NULL);

    lfd = tcpq_open_listener("127.0.0.1", "0", &lopt, &rep);
    TQ_REQUIRE(lfd >= 0, "listener: %s", rep.message);
    snprintf(port, sizeof port, "%d", tq_port_of(lfd));
    cfd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    TQ_REQUIRE(cfd >= 0, "connect: %s", rep.message);
    TQ_REQUIRE(tcpq_connect_finish(cfd, 2000) == 0, "connect_finish: %s",
               strerror(errno));
    sfd = tcpq_accept(lfd, NULL, NULL);
    TQ_REQUIRE(sfd >= 0, "accept: %s", strerror(errno));

    if (send_paths[row].when != BEFORE) {
        /* the peer reads nothing: a 64 MiB send fills both buffers and
           waits, in the library's slow path, until the other thread acts */
        size_t len = 64u << 20;
        struct later later;
        later.when = send_paths[row].when;
        later.client = cfd;
        later.server = sfd;
        big = calloc(1, len);
        TQ_REQUIRE(big != NULL, "calloc");
        TQ_REQUIRE(pthread_create(&thread, NULL, act_later, &later) == 0,
                   "pthread_create");
        rc = send_once(send_paths[row].ex, cfd, big, len);
        err = errno;
        pthread_join(thread, NULL);
        free(big);
        TQ_REQUIRE(rc == -1 && (err == ECONNRESET || err == EPIPE),
                   "%s: %d, errno %d (%s)", send_paths[row].name, rc, err,
                   strerror(err));
        saw_epipe = err == EPIPE;
        if (send_paths[row].when == OWN_SIDE_SHUT_WR)
            reset_close(sfd);
    } else {
        TQ_REQUIRE(reset_close(sfd) == 0, "SO_LINGER {1, 0}: %s",
                   strerror(errno));
        pfd.fd = cfd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        TQ_REQUIRE(poll(&pfd, 1, 2000) == 1, "no reset seen in 2 s");
    }
    for (i = 0; i < 100 && !saw_epipe; i++) { /* bounded: about 1 s */
        rc = send_once(send_paths[row].ex, cfd, chunk, sizeof chunk);
        err = errno;
        if (rc == 0 || err == EAGAIN || err == EWOULDBLOCK) {
            sleep_ms(10);
            continue;
        }
        TQ_REQUIRE(err == EPIPE || err == ECONNRESET, "send %d: errno %d (%s)",
                   i, err, strerror(err));
        saw_epipe = err == EPIPE;
    }
    TQ_REQUIRE(saw_epipe, "%d sends to a reset peer, none failed with EPIPE",
               i);
    close(cfd);
    close(lfd);
    return 0;
}

START_TEST(no_sending_path_raises_sigpipe)
{
    int row = _i;
    tq_run_in_child(0, send_until_epipe, &row);
}
END_TEST

Suite *hygiene_suite(void)
{
    Suite *s = suite_create("hygiene");
    TCase *exec_tc = tcase_create("close_on_exec");
    TCase *fds = tcase_create("descriptors");
    TCase *signals = tcase_create("signals");
    TCase *userns;

    tcase_set_timeout(exec_tc, 30);
    tcase_add_test(exec_tc, library_descriptors_do_not_survive_exec);
    suite_add_tcase(s, exec_tc);

    tcase_set_timeout(fds, 30);
    tcase_add_loop_test(fds, failing_call_leaves_descriptor_count_unchanged, 0,
                        (int)(sizeof error_cases / sizeof error_cases[0]));
    suite_add_tcase(s, fds);

    userns = tq_tcase_if(s, "descriptors_without_cap_net_admin", tq_caps.userns,
                         1, "no user namespace");
    if (userns != NULL) {
        tcase_set_timeout(userns, 30);
        tcase_add_test(
            userns,
            failing_after_socket_made_leaves_descriptor_count_unchanged);
    }

    tcase_set_timeout(signals, 30);
    tcase_add_loop_test(signals, no_sending_path_raises_sigpipe, 0,
                        (int)(sizeof send_paths / sizeof send_paths[0]));
    suite_add_tcase(s, signals);
    return s;
}
