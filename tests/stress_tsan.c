/* A ThreadSanitizer workload: 8 threads call every public function at
   once, each on its own loopback listener and connection, and check every
   result. Its own main, no Check: `make check-tsan` builds it with
   -fsanitize=thread and runs it with halt_on_error=1, so a data race in
   the library ends the run with status 66.
   Usage: stress_tsan [iterations per thread] (default 200). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tcpq.h"

#define THREADS 8
#define DEFAULT_ITERATIONS 200
#define MAX_ITERATIONS 100000
#define TIME_BUDGET_MS 120000.0 /* every thread stops here, done or not */
#define IO_TIMEOUT_MS 5000      /* bounds each accept, send and recv */
#define MAX_PAYLOAD 4096

struct worker {
    int id;
    int iterations; /* asked for */
    int done;       /* completed */
    long calls;     /* library calls made */
    pthread_t thread;
};

static double start_ms;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Any unexpected result ends the whole run: one message, status 1. */
static void die(const struct worker *w, int iteration, const char *what,
                const char *detail, int err)
{
    fprintf(stderr, "stress: thread %d iteration %d: %s%s%s (errno %d: %s)\n",
            w->id, iteration, what, detail != NULL ? ": " : "",
            detail != NULL ? detail : "", err, strerror(err));
    exit(1);
}

#define CHECK(cond, what, detail)                                              \
    do {                                                                       \
        if (!(cond))                                                           \
            die(w, i, what, detail, errno);                                    \
    } while (0)

/* Every warning bit a report carries has a name. */
static int warnings_named(unsigned warnings, long *calls)
{
    unsigned bit;

    for (bit = 1; bit != 0 && bit <= warnings; bit <<= 1) {
        if (!(warnings & bit))
            continue;
        ++*calls;
        if (tcpq_warning_name(bit) == NULL)
            return 0;
    }
    return 1;
}

/* Receives exactly len bytes, bounded by count and by the socket's
   timeout; 0 or -1. */
static int recv_exactly(int fd, char *buf, size_t len, long *calls)
{
    size_t got = 0;
    int rounds;

    for (rounds = 0; rounds < 10000 && got < len; rounds++) {
        ssize_t n = tcpq_recv(fd, buf + got, len - got);
        ++*calls;
        if (n <= 0) {
            if (n == 0)
                errno = ECONNRESET;
            return -1;
        }
        got += (size_t)n;
    }
    return got == len ? 0 : -1;
}

/* One iteration: the whole life of a listener and one connection. */
static void iterate(struct worker *w, int i, const struct tcpq_limits *host)
{
    static const unsigned flag_sets[] = {0,
                                         TCPQ_NODELAY,
                                         TCPQ_KEEPALIVE,
                                         TCPQ_NODELAY | TCPQ_KEEPALIVE,
                                         TCPQ_NO_REUSEADDR,
                                         TCPQ_REUSEPORT};
    static const int buffers[] = {0, 4096, 16384, 65536, 262144};
    struct tcpq_options opt, copt;
    struct tcpq_report rep;
    struct tcpq_limits lim;
    struct tcpq_queue_stats qs;
    enum tcpq_mode mode;
    char port[16], out[MAX_PAYLOAD], in[MAX_PAYLOAD];
    long long overflows, drops;
    int lfd, cfd, sfd, ms, resized, expected, k, seed = w->id * 1000 + i;
    size_t len, sent;

    /* limits: the same host figures from every thread */
    w->calls++;
    CHECK(tcpq_get_limits(&lim) == 0, "tcpq_get_limits", NULL);
    CHECK(lim.os != NULL && strcmp(lim.os, host->os) == 0 &&
              lim.somaxconn == host->somaxconn,
          "tcpq_get_limits", "figures differ between calls");

    /* a listener with the options varied */
    memset(&opt, 0, sizeof opt);
    opt.backlog = i % 5 == 0 ? 0 : 1 + seed % 300;
    opt.rcvbuf = buffers[seed % 5];
    opt.sndbuf = buffers[(seed / 5) % 5];
    opt.flags = flag_sets[seed % 6];
    opt.mode = TCPQ_TIMEOUT;
    opt.timeout_ms = IO_TIMEOUT_MS;
    w->calls++;
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    CHECK(lfd >= 0, "tcpq_open_listener", rep.message);
    CHECK(strncmp(rep.address, "127.0.0.1:", 10) == 0, "tcpq_open_listener",
          rep.address);
    snprintf(port, sizeof port, "%.15s", rep.address + 10);
    CHECK(warnings_named(rep.warnings, &w->calls), "tcpq_warning_name",
          rep.message);

    /* resized in place */
    resized = 1 + (seed * 7) % 500;
    opt.backlog = resized;
    w->calls++;
    CHECK(tcpq_listen(lfd, &opt, &rep) == 0, "tcpq_listen (resize)",
          rep.message);
    expected = host->somaxconn_runtime == 1 && resized > host->somaxconn
                   ? host->somaxconn
                   : resized;
    if (rep.backlog != expected) {
        char detail[96];
        snprintf(detail, sizeof detail, "backlog %d in force, want %d",
                 rep.backlog, expected);
        die(w, i, "tcpq_listen (resize)", detail, 0);
    }
    CHECK(warnings_named(rep.warnings, &w->calls), "tcpq_warning_name",
          rep.message);

    /* buffers, queue and counters */
    opt.rcvbuf = buffers[(seed + 1) % 5];
    w->calls++;
    CHECK(tcpq_set_buffers(lfd, &opt, &rep) == 0 && rep.rcvbuf_kernel > 0,
          "tcpq_set_buffers", rep.message);
    w->calls++;
    CHECK(tcpq_queue_stats(lfd, &qs) == 0 && qs.accept_queue_len == 0 &&
              qs.accept_queue_limit == expected,
          "tcpq_queue_stats", "fresh listener");
    w->calls++;
    CHECK(tcpq_listen_counters(&overflows, &drops) == 0, "tcpq_listen_counters",
          NULL);

    /* modes, there and back */
    opt.mode = TCPQ_NONBLOCKING;
    w->calls += 2;
    CHECK(tcpq_set_timeout_mode(lfd, &opt) == 0 &&
              tcpq_get_timeout_mode(lfd, &mode, &ms) == 0 &&
              mode == TCPQ_NONBLOCKING && ms == 0,
          "tcpq_set/get_timeout_mode", "TCPQ_NONBLOCKING");
    opt.mode = TCPQ_TIMEOUT;
    w->calls += 2;
    CHECK(tcpq_set_timeout_mode(lfd, &opt) == 0 &&
              tcpq_get_timeout_mode(lfd, &mode, &ms) == 0 &&
              mode == TCPQ_TIMEOUT && ms >= IO_TIMEOUT_MS,
          "tcpq_set/get_timeout_mode", "TCPQ_TIMEOUT");

    /* a round trip on its own listener */
    copt = opt;
    copt.backlog = 0;
    copt.rcvbuf = buffers[(seed + 2) % 5];
    copt.flags &= TCPQ_NODELAY | TCPQ_KEEPALIVE;
    w->calls++;
    cfd = tcpq_connect("127.0.0.1", port, &copt, &rep);
    CHECK(cfd >= 0, "tcpq_connect", rep.message);
    CHECK(warnings_named(rep.warnings, &w->calls), "tcpq_warning_name",
          rep.message);
    w->calls++;
    sfd = tcpq_accept(lfd, NULL, NULL);
    CHECK(sfd >= 0, "tcpq_accept", NULL);

    len = 1 + (size_t)(seed * 31) % MAX_PAYLOAD;
    for (k = 0; k < (int)len; k++)
        out[k] = (char)(seed + k);
    w->calls++;
    CHECK(tcpq_send_all(cfd, out, len) == (ssize_t)len, "tcpq_send_all", NULL);
    CHECK(recv_exactly(sfd, in, len, &w->calls) == 0, "tcpq_recv (server)",
          NULL);
    CHECK(memcmp(in, out, len) == 0, "tcpq_recv (server)", "data differ");
    w->calls++;
    CHECK(tcpq_send_all_ex(sfd, in, len, &sent) == 0 && sent == len,
          "tcpq_send_all_ex", NULL);
    CHECK(recv_exactly(cfd, in, len, &w->calls) == 0, "tcpq_recv (client)",
          NULL);
    CHECK(memcmp(in, out, len) == 0, "tcpq_recv (client)", "data differ");

    /* error classes */
    w->calls += 3;
    CHECK(tcpq_errclass(ETIMEDOUT) == TCPQ_ERR_TIMEOUT &&
              tcpq_errclass(ECONNRESET) == TCPQ_ERR_RESET &&
              tcpq_errclass(0) == TCPQ_ERR_NONE,
          "tcpq_errclass", NULL);

    CHECK(close(sfd) == 0 && close(cfd) == 0 && close(lfd) == 0, "close", NULL);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct tcpq_limits host;
    int i;

    if (tcpq_get_limits(&host) < 0) {
        perror("stress: tcpq_get_limits");
        exit(1);
    }
    w->calls++;
    for (i = 0; i < w->iterations; i++) {
        if (now_ms() - start_ms > TIME_BUDGET_MS) {
            fprintf(stderr,
                    "stress: thread %d: time budget %.0f s reached after %d "
                    "iterations\n",
                    w->id, TIME_BUDGET_MS / 1e3, i);
            break;
        }
        iterate(w, i, &host);
        w->done = i + 1;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    struct worker workers[THREADS];
    long calls = 0;
    int iterations = DEFAULT_ITERATIONS, fewest, t;

    if (argc > 1) {
        char *end;
        long n = strtol(argv[1], &end, 10);
        if (*end != '\0' || n < 1 || n > MAX_ITERATIONS) {
            fprintf(stderr, "usage: %s [iterations 1..%d]\n", argv[0],
                    MAX_ITERATIONS);
            return 2;
        }
        iterations = (int)n;
    }
    start_ms = now_ms();
    for (t = 0; t < THREADS; t++) {
        memset(&workers[t], 0, sizeof workers[t]);
        workers[t].id = t;
        workers[t].iterations = iterations;
        if (pthread_create(&workers[t].thread, NULL, run, &workers[t]) != 0) {
            fprintf(stderr, "stress: pthread_create failed\n");
            return 1;
        }
    }
    fewest = iterations;
    for (t = 0; t < THREADS; t++) {
        pthread_join(workers[t].thread, NULL);
        calls += workers[t].calls;
        if (workers[t].done < fewest)
            fewest = workers[t].done;
    }
    printf("stress: %d threads x %d iterations: %ld calls, 0 failures\n",
           THREADS, fewest, calls);
    return 0;
}
