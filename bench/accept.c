/* Accept throughput: tcpq_accept vs accept4 in an epoll loop, loopback. */
/*
 * A round is one run: a fresh listener, a client thread connecting as fast
 * as it can, and a server loop that takes the connections in BLOCKS
 * blocks, accept4 and tcpq_accept in turns (the first block, with the
 * client's start, counts for neither). Each function's rate in the round
 * is its connections over the time of its blocks, so both see the same
 * client, the same load and the same moment (separate runs of each, as
 * this bench made before, differed by 5% and at times by 20% from one run
 * to the next, whatever was accepting). The ratio of a round is the median,
 * over its pairs of neighbouring blocks, of tcpq_accept's rate over
 * accept4's: a block slowed by another process (a preempted client) spoils
 * one pair, not the round. The row gives the median and the spread of
 * ROUNDS rounds' ratios.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <tcpq.h>

#include "bench_util.h"

#define DEFAULT_CONNECTS 20000
#define MAX_CONNECTS 1000000
#define ROUNDS 16
#define BLOCKS 40 /* turns a round; 500 connections each by default */
#define CLIENT_LIMIT_NS 2000000000LL /* a client stops after 2 s */
#define SERVER_LIMIT_NS 4000000000LL /* a run is abandoned after 4 s */
#define CONNECT_TIMEOUT_MS 1000      /* SO_SNDTIMEO bounds each connect */
#define EPOLL_WAIT_MS 50
#define TARGET ">=0.95"

enum variant { VARIANT_ACCEPT4 = 0, VARIANT_TCPQ = 1 };

struct client {
    int port;
    int cpu; /* to pin to; -1: not pinned */
    int connects_wanted;
    pthread_mutex_t lock;
    int done;      /* under lock: the client has stopped */
    int connected; /* under lock once done: connects that succeeded */
    int failed;    /* connects that failed */
    int first_error;
};

/* Blocking connect + close, as fast as it goes, until connects_wanted or
   CLIENT_LIMIT_NS. The client would close first and keep the TIME-WAIT:
   a run of 20000 connects fills the ephemeral range (EADDRNOTAVAIL where
   tcp_tw_reuse is off) and, run after run, net.ipv4.tcp_max_tw_buckets,
   past which the kernel stops keeping TIME-WAIT and the rate jumps (seen:
   17k -> 31k conn/s mid-bench). So the client resets instead
   (SO_LINGER {1, 0}): no TIME-WAIT on either side, every run alike. The
   server still accepts each reset connection. */
static void *client_main(void *arg)
{
    struct client *cl = arg;
    struct sockaddr_in to;
    struct timeval tv;
    struct linger reset = {1, 0};
    long long deadline = now_ns() + CLIENT_LIMIT_NS;
    int connected = 0, failed = 0, first_error = 0, i, fd;

    pin_to_cpu("accept", cl->cpu);

    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)cl->port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    tv.tv_sec = CONNECT_TIMEOUT_MS / 1000;
    tv.tv_usec = (CONNECT_TIMEOUT_MS % 1000) * 1000;
    for (i = 0; i < cl->connects_wanted && now_ns() < deadline; i++) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            first_error = first_error ? first_error : errno;
            failed++;
            break;
        }
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        if (connect(fd, (struct sockaddr *)&to, sizeof to) == 0) {
            connected++;
        } else {
            first_error = first_error ? first_error : errno;
            failed++;
        }
        close(fd);
        if (first_error == EADDRNOTAVAIL)
            break;
    }
    pthread_mutex_lock(&cl->lock);
    cl->done = 1;
    cl->connected = connected;
    cl->failed = failed;
    cl->first_error = first_error;
    pthread_mutex_unlock(&cl->lock);
    return NULL;
}

/* One round: a fresh non-blocking listener, the client thread, and an
   epoll loop that accepts until EAGAIN on each readiness and closes at
   once, with accept4 and tcpq_accept in turns of `block` connections,
   `first` first. rate[variant]: its connections per second over its
   blocks; *ratio: the median over pairs of neighbouring blocks of
   tcpq_accept's rate over accept4's. 0, or -1 when there was no pair. */
static int run_round(enum variant first, int connects, int block,
                     int client_cpu, double rate[2], double *ratio)
{
    double block_ns[BLOCKS + 1], pair[BLOCKS / 2 + 1];
    int blocks = 0, pairs = 0, b;
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct epoll_event ev;
    struct client cl;
    pthread_t thread;
    const char *colon;
    long long start, mark = 0, deadline, ns[2] = {0, 0};
    int listen_fd, epfd, accepted = 0, done = 0, connected = 0, n, fd;
    int counted[2] = {0, 0}, rc = -1;
    enum variant which = first;

    memset(&opt, 0, sizeof opt);
    opt.mode = TCPQ_NONBLOCKING; /* backlog 0: the runtime maximum */
    listen_fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    colon = listen_fd < 0 ? NULL : strrchr(rep.address, ':');
    if (colon == NULL) {
        fprintf(stderr, "accept: %s\n", rep.message);
        return -1;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    ev.events = EPOLLIN; /* level-triggered */
    ev.data.fd = listen_fd;
    if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev) < 0) {
        perror("accept: epoll");
        goto out;
    }
    memset(&cl, 0, sizeof cl);
    cl.port = atoi(colon + 1);
    cl.connects_wanted = connects;
    cl.cpu = client_cpu;
    pthread_mutex_init(&cl.lock, NULL);
    start = now_ns();
    deadline = start + SERVER_LIMIT_NS;
    if (pthread_create(&thread, NULL, client_main, &cl) != 0) {
        fprintf(stderr, "accept: pthread_create failed\n");
        pthread_mutex_destroy(&cl.lock);
        goto out;
    }
    while (now_ns() < deadline && !(done && accepted >= connected)) {
        n = epoll_wait(epfd, &ev, 1, EPOLL_WAIT_MS);
        if (n < 0 && errno != EINTR) {
            perror("accept: epoll_wait");
            break;
        }
        while (n > 0 && now_ns() < deadline) {
            if (which == VARIANT_TCPQ)
                fd = tcpq_accept(listen_fd, NULL, NULL);
            else
                fd = accept4(listen_fd, NULL, NULL,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK &&
                    errno != ECONNABORTED && errno != EINTR)
                    perror("accept: accept");
                if (errno != ECONNABORTED && errno != EINTR)
                    break;
                continue;
            }
            close(fd);
            if (++accepted % block == 0) {
                /* a block ends: its time goes to its variant (the first
                   block, with the client's start, to none), and the
                   variants take turns */
                long long t = now_ns();
                if (accepted > block) {
                    ns[which] += t - mark;
                    counted[which] += block;
                    if (blocks < BLOCKS + 1)
                        block_ns[blocks++] = (double)(t - mark);
                }
                mark = t;
                which = which == VARIANT_TCPQ ? VARIANT_ACCEPT4 : VARIANT_TCPQ;
            }
        }
        pthread_mutex_lock(&cl.lock);
        done = cl.done;
        connected = cl.connected;
        pthread_mutex_unlock(&cl.lock);
    }
    pthread_join(thread, NULL);
    pthread_mutex_destroy(&cl.lock);
    if (cl.failed > 0)
        fprintf(stderr, "accept: %d connects failed (first: %s)%s\n", cl.failed,
                strerror(cl.first_error),
                cl.first_error == EADDRNOTAVAIL
                    ? "; ephemeral ports exhausted: reset the client "
                      "sockets (SO_LINGER {1, 0})"
                    : "");
    if (accepted < cl.connected)
        fprintf(stderr, "accept: accepted %d of %d within the bound\n",
                accepted, cl.connected);
    /* the counted blocks alternate, from the one after `first`'s */
    for (b = 0; b + 1 < blocks; b += 2)
        pair[pairs++] = first == VARIANT_TCPQ ? block_ns[b] / block_ns[b + 1]
                                              : block_ns[b + 1] / block_ns[b];
    if (pairs > 0) {
        rate[0] = (double)counted[0] / ((double)ns[0] / 1e9);
        rate[1] = (double)counted[1] / ((double)ns[1] / 1e9);
        *ratio = median(pair, pairs);
        rc = 0;
    }
out:
    if (epfd >= 0)
        close(epfd);
    close(listen_fd);
    return rc;
}

int main(int argc, char **argv)
{
    double rates[2][ROUNDS], ratios[ROUNDS];
    char path[4096];
    const char *dir = "bench/results";
    FILE *f;
    long connects = DEFAULT_CONNECTS;
    const struct bench_option options[] = {
        {'n', "CONNECTS", 3 * BLOCKS, MAX_CONNECTS, &connects, NULL,
         "connects per round (default 20000)"},
    };
    int round, v, server_cpu, client_cpu, block;

    if (parse_options("accept", argc, argv, &dir, options,
                      sizeof options / sizeof options[0]) < 0)
        return 1;
    block = connects / BLOCKS > 0 ? (int)(connects / BLOCKS) : 1;
    if (make_dir(dir) < 0) {
        fprintf(stderr, "accept: mkdir %s: %s\n", dir, strerror(errno));
        return 1;
    }
    fprintf(stderr,
            "accept: %d rounds of %ld connects or %.0f s, accept4 and "
            "tcpq_accept in turns of %d\n",
            ROUNDS, connects, (double)CLIENT_LIMIT_NS / 1e9, block);
    /* the rate is bimodal (about 33k vs 45k conn/s here) with the threads
       left to wander, so each side keeps its own core in every run */
    first_two_cpus(&server_cpu, &client_cpu);
    pin_to_cpu("accept", server_cpu);
    for (round = 0; round < ROUNDS; round++) {
        double rate[2];
        /* A B A B ..., B A B A ...: neither always first */
        if (run_round((enum variant)(round % 2), (int)connects, block,
                      client_cpu, rate, &ratios[round]) < 0) {
            fprintf(stderr, "accept: round %d: too few connections\n",
                    round + 1);
            return 1;
        }
        for (v = 0; v < 2; v++)
            rates[v][round] = rate[v];
        fprintf(stderr,
                "accept: round %d: accept4 %.0f conn/s, tcpq_accept %.0f "
                "conn/s, ratio %.3f\n",
                round + 1, rates[VARIANT_ACCEPT4][round],
                rates[VARIANT_TCPQ][round], ratios[round]);
    }
    snprintf(path, sizeof path, "%s/accept.dat", dir);
    f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f, "# round accept4_conn_per_s tcpq_accept_conn_per_s\n");
        for (round = 0; round < ROUNDS; round++)
            fprintf(f, "%d %.0f %.0f\n", round + 1,
                    rates[VARIANT_ACCEPT4][round], rates[VARIANT_TCPQ][round]);
        fclose(f);
    } else {
        fprintf(stderr, "accept: %s: %s\n", path, strerror(errno));
    }
    row_plain("accept", "accept4", median(rates[VARIANT_ACCEPT4], ROUNDS),
              "conn/s");
    row_verdict("accept", "tcpq_accept", median(rates[VARIANT_TCPQ], ROUNDS),
                "conn/s", "accept4", ratios, ROUNDS, TARGET);
    return 0;
}
