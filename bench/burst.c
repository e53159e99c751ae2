/* Burst absorption: N loopback connects at once, per listen backlog policy. */
/*
 * A round is one burst against each policy's listener and one against a
 * real Python 3 server, in an order that rotates each round. The figures
 * are medians over ROUNDS rounds; the ratio of libtcpq's time to complete
 * its burst to Python's (backlog 128) is taken within each round, and the
 * row gives its median and spread. The CDF data (DIR/burst-<name>.dat)
 * holds the completed connects of every round. CSV rows on stdout
 * (section,variant,figure,unit,reference,ratio,spread,target,verdict; see
 * bench_util.h for the verdict rule), the rest on stderr.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <tcpq.h>

#include "bench_util.h"

#define DEFAULT_CONNECTS 2000
#define ROUNDS 5
#define MAX_CONNECTS 20000
#define GIVE_UP_NS 10000000000LL /* a burst is abandoned after 10 s */
#define WORK_NS 20000LL          /* busy work per accepted connection */
#define RETRANSMIT_NS                                                          \
    900000000LL /* over this: a dropped SYN, resent at 1 s                     \
                 */
#define SERVER_BOUND_NS 20000000000LL /* server thread lives at most 20 s */
#define ACCEPT_TIMEOUT_MS 200
#define PYTHON_START_MS 10000

struct policy {
    const char *name;
    int backlog; /* 0: the runtime maximum */
};

static const struct policy policies[] = {
    {"libtcpq-default", 0},
    {"python-128", 128},
    {"node-redis-nginx-511", 511},
    {"java-50", 50},
};
#define POLICY_COUNT (sizeof policies / sizeof policies[0])
#define RUN_COUNT (POLICY_COUNT + 1) /* + the real Python server */

/* One burst's outcome. */
struct run {
    const char *name;
    int completed; /* connects that succeeded */
    int failed;    /* refused, reset or still pending at the give-up */
    double max_s;  /* time to full completion (the give-up if any failed) */
    double p50_ms; /* percentiles over all N; a failure counts as 10 s */
    double p99_ms;
    int over_retransmit; /* > 0.9 s, failures included */
};

struct server {
    int listen_fd;
    int cpu; /* to pin to; -1: not pinned */
    pthread_mutex_t lock;
    int stop;     /* under lock */
    int accepted; /* written by the server thread, read after join */
    int error;    /* errno of an unexpected accept failure, 0 if none */
};

static void busy_work(void)
{
    long long end = now_ns() + WORK_NS;
    while (now_ns() < end)
        ;
}

static int server_stopping(struct server *srv)
{
    int stop;
    pthread_mutex_lock(&srv->lock);
    stop = srv->stop;
    pthread_mutex_unlock(&srv->lock);
    return stop;
}

/* Accepts, works ~20 us, closes; until told to stop (the listener is shut
   down to wake it), or SERVER_BOUND_NS. The listener is in TCPQ_TIMEOUT
   mode so that no accept waits longer than ACCEPT_TIMEOUT_MS. */
static void *server_main(void *arg)
{
    struct server *srv = arg;
    long long deadline = now_ns() + SERVER_BOUND_NS;
    int fd;

    pin_to_cpu("burst", srv->cpu);
    while (now_ns() < deadline) {
        fd = tcpq_accept(srv->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (server_stopping(srv))
                break;
            if (errno == ETIMEDOUT || errno == ECONNABORTED || errno == EINTR)
                continue;
            srv->error = errno;
            break;
        }
        busy_work();
        close(fd);
        srv->accepted++;
    }
    return NULL;
}

static int compare_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values. */
static long long percentile(const long long *sorted, int count, double p)
{
    int rank = (int)ceil(p * count);
    if (rank < 1)
        rank = 1;
    return sorted[rank - 1];
}

/* Fires `count` non-blocking connects to 127.0.0.1:port at once and waits
   for each with epoll (EPOLLOUT, then SO_ERROR), at most GIVE_UP_NS from
   the first connect. latency_ns[i] is -1 for a failed connect. */
static int fire_burst(int port, int count, long long *latency_ns)
{
    struct sockaddr_in to;
    struct epoll_event events[256];
    long long *start_ns = NULL, burst_start, remaining_ns;
    int *fds = NULL, epfd = -1, pending = 0, i, n, rc = -1;

    start_ns = calloc((size_t)count, sizeof *start_ns);
    fds = calloc((size_t)count, sizeof *fds);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (start_ns == NULL || fds == NULL || epfd < 0) {
        perror("burst: epoll/calloc");
        goto out;
    }
    for (i = 0; i < count; i++)
        fds[i] = -1;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* sockets first, so that the connects themselves go out back to back */
    for (i = 0; i < count; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fds[i] < 0) {
            perror("burst: socket");
            goto out;
        }
    }
    burst_start = now_ns();
    for (i = 0; i < count; i++) {
        struct epoll_event ev;
        start_ns[i] = now_ns();
        latency_ns[i] = -1;
        if (connect(fds[i], (struct sockaddr *)&to, sizeof to) == 0) {
            latency_ns[i] = now_ns() - start_ns[i];
            continue;
        }
        if (errno != EINPROGRESS)
            continue; /* failed at once */
        ev.events = EPOLLOUT | EPOLLONESHOT;
        ev.data.u64 = (uint64_t)i;
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
            perror("burst: epoll_ctl");
            goto out;
        }
        pending++;
    }
    while (pending > 0) {
        remaining_ns = burst_start + GIVE_UP_NS - now_ns();
        if (remaining_ns <= 0)
            break; /* the rest count as failed */
        n = epoll_wait(epfd, events, 256, (int)(remaining_ns / 1000000LL) + 1);
        if (n < 0 && errno != EINTR) {
            perror("burst: epoll_wait");
            goto out;
        }
        for (i = 0; i < n; i++) {
            int k = (int)events[i].data.u64, err = 0;
            socklen_t len = sizeof err;
            long long done = now_ns();
            if (getsockopt(fds[k], SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
                err == 0)
                latency_ns[k] = done - start_ns[k];
            pending--;
        }
    }
    rc = 0;
out:
    if (fds != NULL)
        for (i = 0; i < count; i++)
            if (fds[i] >= 0)
                close(fds[i]);
    if (epfd >= 0)
        close(epfd);
    free(fds);
    free(start_ns);
    return rc;
}

/* Sorts the latencies (the completed connects first) and fills the
   figures of *out. */
static void summarize(long long *latency_ns, int count, struct run *out)
{
    int i;

    out->completed = out->failed = out->over_retransmit = 0;
    for (i = 0; i < count; i++) {
        if (latency_ns[i] < 0) {
            latency_ns[i] = GIVE_UP_NS; /* a failure counts as the bound */
            out->failed++;
        } else {
            out->completed++;
        }
        if (latency_ns[i] > RETRANSMIT_NS)
            out->over_retransmit++;
    }
    qsort(latency_ns, (size_t)count, sizeof *latency_ns, compare_ll);
    out->max_s = (double)latency_ns[count - 1] / 1e9;
    out->p50_ms = (double)percentile(latency_ns, count, 0.50) / 1e6;
    out->p99_ms = (double)percentile(latency_ns, count, 0.99) / 1e6;
}

/* Writes DIR/burst-<name>.dat: the n completed connects' latencies, ms,
   ascending. */
static void write_cdf(const char *dir, const char *name, long long *ns, int n)
{
    char path[PATH_MAX];
    FILE *f;
    int i;

    qsort(ns, (size_t)n, sizeof *ns, compare_ll);
    snprintf(path, sizeof path, "%s/burst-%s.dat", dir, name);
    f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "burst: %s: %s\n", path, strerror(errno));
        return;
    }
    for (i = 0; i < n; i++)
        fprintf(f, "%.4f\n", (double)ns[i] / 1e6);
    if (fclose(f) != 0)
        fprintf(stderr, "burst: %s: %s\n", path, strerror(errno));
}

static void note_run(const struct run *r, long long overflows)
{
    fprintf(stderr,
            "burst: %-22s completed %d, failed %d, max %.3f s, p50 %.2f ms, "
            "p99 %.1f ms, over 0.9 s %d, ListenOverflows +%lld\n",
            r->name, r->completed, r->failed, r->max_s, r->p50_ms, r->p99_ms,
            r->over_retransmit, overflows);
}

/* One backlog policy: a fresh listener on 127.0.0.1:0, the server thread,
   the burst. Returns 0, or -1 when the bench could not run. */
static int run_policy(const struct policy *pol, int count, int somaxconn,
                      int server_cpu, long long *latency_ns, struct run *out)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct server srv;
    pthread_t thread;
    const char *colon;
    long long overflows_before = -1, overflows_after = -1;
    int rc;

    memset(&opt, 0, sizeof opt);
    opt.backlog = pol->backlog;
    opt.mode = TCPQ_TIMEOUT;
    opt.timeout_ms = ACCEPT_TIMEOUT_MS;
    memset(&srv, 0, sizeof srv);
    srv.cpu = server_cpu;
    srv.listen_fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    colon = srv.listen_fd < 0 ? NULL : strrchr(rep.address, ':');
    if (colon == NULL) {
        fprintf(stderr, "burst: %s: %s\n", pol->name, rep.message);
        return -1;
    }
    fprintf(stderr, "burst: %-22s backlog %d (asked %d), accept queue %d%s%s\n",
            pol->name, rep.backlog, pol->backlog, rep.accept_queue_capacity,
            rep.message[0] ? "; " : "", rep.message);
    if (pol->backlog == 0 && rep.backlog == somaxconn && count > somaxconn)
        fprintf(stderr,
                "burst: somaxconn is the bottleneck (%d < %d connects): "
                "sysctl -w net.core.somaxconn=%d\n",
                somaxconn, count, count);
    pthread_mutex_init(&srv.lock, NULL);
    if (pthread_create(&thread, NULL, server_main, &srv) != 0) {
        fprintf(stderr, "burst: pthread_create failed\n");
        close(srv.listen_fd);
        return -1;
    }
    tcpq_listen_counters(&overflows_before, NULL);
    rc = fire_burst(atoi(colon + 1), count, latency_ns);
    tcpq_listen_counters(&overflows_after, NULL);
    pthread_mutex_lock(&srv.lock);
    srv.stop = 1;
    pthread_mutex_unlock(&srv.lock);
    shutdown(srv.listen_fd, SHUT_RDWR); /* wakes the accept */
    pthread_join(thread, NULL);
    pthread_mutex_destroy(&srv.lock);
    close(srv.listen_fd);
    if (srv.error != 0)
        fprintf(stderr, "burst: %s: server accept: %s\n", pol->name,
                strerror(srv.error));
    if (rc < 0)
        return -1;
    out->name = pol->name;
    summarize(latency_ns, count, out);
    note_run(out, overflows_after - overflows_before);
    return 0;
}

/* A real CPython server: listen() with its own default backlog
   (min(SOMAXCONN, 128)), accept + close; SIGALRM ends it after 30 s if
   we do not. */
static const char python_server[] = "import signal, socket, sys\n"
                                    "signal.alarm(30)\n"
                                    "s = socket.socket()\n"
                                    "s.bind(('127.0.0.1', 0))\n"
                                    "s.listen()\n"
                                    "print(s.getsockname()[1], flush=True)\n"
                                    "while True:\n"
                                    "    c, _ = s.accept()\n"
                                    "    c.close()\n";

/* Starts python3 and reads the port it prints, within PYTHON_START_MS.
   Returns the port, or -1 (the child is reaped). */
static int start_python(pid_t *child)
{
    struct pollfd pfd;
    char line[32];
    size_t used = 0;
    long long deadline = now_ns() + PYTHON_START_MS * 1000000LL;
    int pipe_fds[2], port = -1;
    pid_t pid;

    if (pipe(pipe_fds) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execlp("python3", "python3", "-c", python_server, (char *)NULL);
        _exit(127);
    }
    close(pipe_fds[1]);
    pfd.fd = pipe_fds[0];
    pfd.events = POLLIN;
    while (used < sizeof line - 1 && memchr(line, '\n', used) == NULL) {
        long long left_ms = (deadline - now_ns()) / 1000000LL;
        ssize_t got;
        if (left_ms <= 0 || poll(&pfd, 1, (int)left_ms) <= 0)
            break;
        got = read(pipe_fds[0], line + used, sizeof line - 1 - used);
        if (got <= 0)
            break;
        used += (size_t)got;
    }
    close(pipe_fds[0]);
    line[used] = '\0';
    if (memchr(line, '\n', used) != NULL)
        port = atoi(line);
    if (port <= 0 || port > 65535) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *child = pid;
    return port;
}

/* The same burst against a real Python 3 server. Returns 1 when it ran,
   0 when skipped, -1 when the burst itself could not run. */
static int run_python(int count, long long *latency_ns, struct run *out)
{
    pid_t child;
    long long overflows_before = -1, overflows_after = -1;
    char python3[PATH_MAX];
    int port, rc;

    out->name = "python3-server";
    if (!find_on_path("python3", python3, sizeof python3)) {
        fprintf(stderr, "burst: SKIP python3-server: python3 not on PATH\n");
        return 0;
    }
    port = start_python(&child);
    if (port < 0) {
        fprintf(stderr, "burst: SKIP python3-server: python3 did not start "
                        "a server\n");
        return 0;
    }
    fprintf(stderr, "burst: python3-server         listen() default backlog "
                    "(CPython: min(SOMAXCONN, 128))\n");
    tcpq_listen_counters(&overflows_before, NULL);
    rc = fire_burst(port, count, latency_ns);
    tcpq_listen_counters(&overflows_after, NULL);
    kill(child, SIGTERM);
    waitpid(child, NULL, 0);
    if (rc < 0)
        return -1;
    summarize(latency_ns, count, out);
    note_run(out, overflows_after - overflows_before);
    return 1;
}

/* Room for the burst's sockets. */
static int raise_fd_limit(int count)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)count + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return -1;
    if (rl.rlim_cur >= want)
        return 0;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
        errno = EMFILE;
        return -1;
    }
    rl.rlim_cur = want;
    return setrlimit(RLIMIT_NOFILE, &rl);
}

/* Median over the rounds of one figure of run `which`. */
static double median_of(struct run runs[][RUN_COUNT], size_t which,
                        double (*figure)(const struct run *))
{
    double values[ROUNDS];
    int r;

    for (r = 0; r < ROUNDS; r++)
        values[r] = figure(&runs[r][which]);
    return median(values, ROUNDS);
}

static double max_s(const struct run *r)
{
    return r->max_s;
}

static double p50_ms(const struct run *r)
{
    return r->p50_ms;
}

static double p99_ms(const struct run *r)
{
    return r->p99_ms;
}

static double over_retransmit(const struct run *r)
{
    return r->over_retransmit;
}

/* The rows of run `which`, its figures the medians over the rounds. The
   first run, libtcpq's default, is compared with the second, Python's
   128: the ratio of their times to complete the burst, round by round,
   and the connects that waited for a SYN retransmit, burst by burst. */
static void print_rows(struct run runs[][RUN_COUNT], size_t which)
{
    const char *name = runs[0][which].name;
    double ratio[ROUNDS], overs[ROUNDS];
    char variant[64], ref[64];
    int r;

    snprintf(variant, sizeof variant, "%s-max", name);
    if (which == 0) {
        for (r = 0; r < ROUNDS; r++) {
            ratio[r] = runs[r][1].max_s / runs[r][0].max_s;
            overs[r] = runs[r][0].over_retransmit;
        }
        snprintf(ref, sizeof ref, "%s-max", runs[0][1].name);
        row_verdict("burst", variant, median_of(runs, which, max_s), "s", ref,
                    ratio, ROUNDS, ">=10x");
    } else {
        row_plain("burst", variant, median_of(runs, which, max_s), "s");
    }
    snprintf(variant, sizeof variant, "%s-p50", name);
    row_plain("burst", variant, median_of(runs, which, p50_ms), "ms");
    snprintf(variant, sizeof variant, "%s-p99", name);
    row_plain("burst", variant, median_of(runs, which, p99_ms), "ms");
    snprintf(variant, sizeof variant, "%s-over-0.9s", name);
    if (which == 0)
        row_verdict("burst", variant, median_of(runs, which, over_retransmit),
                    "count", NULL, overs, ROUNDS, "==0");
    else
        row_plain("burst", variant, median_of(runs, which, over_retransmit),
                  "count");
}

int main(int argc, char **argv)
{
    static struct run runs[ROUNDS][RUN_COUNT];
    long long *pooled[RUN_COUNT];
    int pooled_n[RUN_COUNT];
    struct tcpq_limits limits;
    const char *dir = "bench/results";
    long long *latency_ns;
    long n = DEFAULT_CONNECTS;
    const struct bench_option options[] = {
        {'n', "CONNECTS", 1, MAX_CONNECTS, &n, NULL,
         "connects per burst (default 2000)"},
    };
    int count, python = 1, round, rc = 0, client_cpu, server_cpu;
    size_t i, k;

    if (parse_options("burst", argc, argv, &dir, options,
                      sizeof options / sizeof options[0]) < 0)
        return 1;
    count = (int)n;
    if (make_dir(dir) < 0) {
        fprintf(stderr, "burst: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (raise_fd_limit(count) < 0) {
        fprintf(stderr, "burst: RLIMIT_NOFILE too low for %d sockets: %s\n",
                count, strerror(errno));
        return 1;
    }
    if (tcpq_get_limits(&limits) < 0) {
        perror("burst: tcpq_get_limits");
        return 1;
    }
    fprintf(stderr,
            "burst: %d rounds, %d connects per burst, net.core.somaxconn %d, "
            "tcp_syncookies %d, server work %lld us per connection\n",
            ROUNDS, count, limits.somaxconn, limits.syncookies, WORK_NS / 1000);
    /* the connects here, the server thread on a core of its own: left to
       the scheduler, the two shared one core in some bursts and not in
       others, and libtcpq's burst took 30 or 100 ms by that alone */
    first_two_cpus(&client_cpu, &server_cpu);
    pin_to_cpu("burst", client_cpu);
    latency_ns = calloc((size_t)count, sizeof *latency_ns);
    rc = latency_ns == NULL ? -1 : 0;
    for (i = 0; i < RUN_COUNT; i++) {
        pooled[i] = calloc((size_t)count * ROUNDS, sizeof *pooled[i]);
        pooled_n[i] = 0;
        if (pooled[i] == NULL)
            rc = -1;
    }
    if (rc < 0)
        perror("burst: calloc");
    for (round = 0; round < ROUNDS && rc == 0; round++) {
        for (k = 0; k < RUN_COUNT && rc == 0; k++) {
            /* rotated: no policy always first, or always after Python */
            i = (k + (size_t)round) % RUN_COUNT;
            if (i < POLICY_COUNT)
                rc = run_policy(&policies[i], count, limits.somaxconn,
                                server_cpu, latency_ns, &runs[round][i]);
            else if (python)
                python = rc = run_python(count, latency_ns, &runs[round][i]);
            if (rc < 0)
                break;
            rc = 0;
            memcpy(pooled[i] + pooled_n[i], latency_ns,
                   (size_t)runs[round][i].completed * sizeof *latency_ns);
            pooled_n[i] += runs[round][i].completed;
        }
    }
    free(latency_ns);
    for (i = 0; i < RUN_COUNT; i++) {
        if (rc == 0 && (i < POLICY_COUNT || python))
            write_cdf(dir, runs[0][i].name, pooled[i], pooled_n[i]);
        free(pooled[i]);
    }
    if (rc < 0)
        return 1;
    for (i = 0; i < RUN_COUNT; i++)
        if (i < POLICY_COUNT || python)
            print_rows(runs, i);
    if (!python)
        printf("burst,python3-server,skipped,-,-,-,-,-,-\n");
    return 0;
}
