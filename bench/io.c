/* What timeout mode costs per call: loopback throughput and thread CPU. */
/*
 * The measured side of a loopback TCP connection moves data in 4 KiB
 * calls while a peer thread keeps it busy (256 KiB sends, or 256 KiB
 * recvs). Four variants of the measured side:
 *   raw       plain blocking recv() / send(MSG_NOSIGNAL): the floor
 *   blocking  tcpq_recv / tcpq_send_all, TCPQ_BLOCKING
 *   timeout   tcpq_recv / tcpq_send_all, TCPQ_TIMEOUT 5 s (SO_RCVTIMEO /
 *             SO_SNDTIMEO: the kernel waits)
 *   poll      CPython's algorithm: O_NONBLOCK, poll() with the time left
 *             before every recv / send
 * Each variant streams S bytes (-s) in R rounds (-r). A round is one chunk
 * of each variant, back to back on the same connection (the mode is
 * switched between chunks, in an order balanced over every four rounds:
 * round_order), so the chunks of a round share the connection's state and
 * the machine's load; eight rounds share a connection.
 * Figures are medians over the rounds; ratios are medians of the ratios
 * within each round, with the range of their middle 80% as the spread. On
 * a 2-core VM the quartiles of one round's ratio of two identical variants
 * already lie 4-9% either side of 1 (noise the 0.95 / 1.05 targets sit
 * inside), and that does not narrow with longer chunks, so the default is
 * many rounds (256 of 32 MiB), which pins down where the spread lies.
 * CPU is the measured thread's user+sys time per call (thread clock;
 * getrusage(RUSAGE_THREAD) agrees on each connection's total, see
 * thread_cpu_ns). The two threads are pinned to two CPUs (-P: not pinned).
 * CSV rows on stdout
 * (section,variant,figure,unit,reference,ratio,spread,target,verdict; see
 * bench_util.h for the verdict rule), the rest on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RUSAGE_THREAD, accept4 */
#endif
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <tcpq.h>

#include "bench_util.h"

#define CALL_BYTES 4096            /* the measured side's call size */
#define PEER_BYTES (256 * 1024)    /* the peer's call size */
#define TIMEOUT_MS 5000            /* timeout and poll variants */
#define CONNECTION_ROUNDS 8        /* rounds on one connection */
#define DEFAULT_STREAM_MIB 8192    /* per variant and direction */
#define DEFAULT_ROUNDS 256         /* 8 GiB: 32 MiB chunks */
#define MAX_ROUNDS 1024            /* bounds -r */
#define MAX_STREAM_MIB (64 * 1024) /* bounds -s */
#define PEER_TIMEOUT_S 10          /* the peer never blocks longer */
#define PINGPONG_ROUNDS 9
#define PINGPONG_TRIPS 1000 /* per variant and round */

enum variant { RAW, BLOCKING, TIMEOUT, POLL, VARIANTS };
enum direction { RECV, SEND };

static const char *const variant_name[VARIANTS] = {"raw", "tcpq-blocking",
                                                   "tcpq-timeout", "poll"};

/* The order of the variants in a round, by round % VARIANTS: a balanced
   Latin square, so that each variant is first once and follows each other
   variant once in every four rounds. A chunk inherits the queues the one
   before left (up to tcp_rmem's maximum, tens of MiB, unread after a slow
   variant); a plain rotation would make raw always follow poll. */
static const enum variant round_order[VARIANTS][VARIANTS] = {
    {RAW, BLOCKING, POLL, TIMEOUT},
    {BLOCKING, TIMEOUT, RAW, POLL},
    {TIMEOUT, POLL, BLOCKING, RAW},
    {POLL, RAW, TIMEOUT, BLOCKING},
};

struct figures {
    double gib_s;       /* bytes / wall time of the chunk */
    double cpu_ns_call; /* measured thread's user+sys / calls */
};

struct peer {
    int fd;
    enum direction dir; /* of the measured side */
    size_t bytes;       /* to send (RECV), expected (SEND) */
    long long deadline_ns;
    int cpu; /* to pin to; -1: not pinned */
    int err; /* errno of the peer's failure, 0 if none */
};

/* The calling thread's CPU time (user+sys), in ns. The thread clock, not
   getrusage(RUSAGE_THREAD): on a thread that seldom sleeps the latter
   moves in whole clock ticks (4 ms at HZ=250, 500 ns per call over a
   32 MiB chunk); both count the same time, and run_connection checks
   that their totals agree. */
static long long thread_cpu_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
        return -1;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The same from getrusage(RUSAGE_THREAD). */
static long long rusage_thread_ns(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_THREAD, &ru) < 0)
        return -1;
    return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

/* Milliseconds left until deadline_ns, rounded up, as poll() takes them;
   0 when past due. */
static int ms_left(long long deadline_ns)
{
    long long left = deadline_ns - now_ns();

    if (left <= 0)
        return 0;
    left = (left + 999999) / 1000000;
    return left > INT_MAX ? INT_MAX : (int)left;
}

/* poll() for `events` on fd with the time left until deadline_ns: 1 when
   ready, 0 when interrupted (poll again), -1 on failure or at the
   deadline (errno ETIMEDOUT). */
static int poll_ready(int fd, short events, long long deadline_ns)
{
    struct pollfd pfd;
    int ready;

    pfd.fd = fd;
    pfd.events = events;
    pfd.revents = 0;
    ready = poll(&pfd, 1, ms_left(deadline_ns));
    if (ready < 0)
        return errno == EINTR ? 0 : -1;
    if (ready == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return 1;
}

/* CPython's sock_recv in timeout mode: the descriptor is non-blocking;
   poll() with the time left before every recv(), again on EAGAIN. */
static ssize_t poll_recv(int fd, void *buf, size_t len)
{
    long long deadline = now_ns() + TIMEOUT_MS * 1000000LL;
    int tries;

    for (tries = 0; tries < 1000; tries++) {
        ssize_t n;
        int ready = poll_ready(fd, POLLIN, deadline);
        if (ready < 0)
            return -1;
        if (ready == 0)
            continue;
        n = recv(fd, buf, len, 0);
        if (n >= 0)
            return n;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
    }
    errno = ETIMEDOUT;
    return -1;
}

/* CPython's sock_sendall in timeout mode: one deadline for the call,
   poll() before every send(). */
static int poll_send_all(int fd, const char *buf, size_t len)
{
    long long deadline = now_ns() + TIMEOUT_MS * 1000000LL;
    size_t sent = 0;
    int tries;

    for (tries = 0; sent < len && tries < 1000; tries++) {
        ssize_t n;
        int ready = poll_ready(fd, POLLOUT, deadline);
        if (ready < 0)
            return -1;
        if (ready == 0)
            continue;
        n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
        if (n >= 0)
            sent += (size_t)n;
        else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
    }
    if (sent < len) {
        errno = ETIMEDOUT;
        return -1;
    }
    return 0;
}

/* Plain blocking send of all len bytes (a blocking TCP send returns short
   only on a signal). */
static int raw_send_all(int fd, const char *buf, size_t len)
{
    size_t sent = 0;
    int tries;

    for (tries = 0; sent < len && tries < 1000; tries++) {
        ssize_t n = send(fd, buf + sent, len - sent, MSG_NOSIGNAL);
        if (n >= 0)
            sent += (size_t)n;
        else if (errno != EINTR)
            return -1;
    }
    return sent == len ? 0 : -1;
}

/* The streaming peer: sends `bytes` then shuts its side (the measured side
   receives), or reads to end of stream (the measured side sends). Its
   socket has 10 s timeouts, and it stops at its deadline. */
static void *stream_peer(void *arg)
{
    static char big[PEER_BYTES]; /* one peer at a time */
    struct peer *p = arg;
    size_t done = 0;

    pin_to_cpu("io", p->cpu);
    errno = 0;
    if (p->dir == RECV) {
        memset(big, 'x', sizeof big);
        while (done < p->bytes && now_ns() < p->deadline_ns) {
            size_t len = p->bytes - done;
            if (len > sizeof big)
                len = sizeof big;
            if (raw_send_all(p->fd, big, len) < 0)
                break;
            done += len;
        }
        if (done < p->bytes)
            p->err = errno != 0 ? errno : ETIMEDOUT;
        shutdown(p->fd, SHUT_WR);
        return NULL;
    }
    while (now_ns() < p->deadline_ns) {
        ssize_t n = recv(p->fd, big, sizeof big, 0);
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break;
    }
    if (done != p->bytes)
        p->err = errno != 0 ? errno : EPIPE;
    return NULL;
}

/* A connected pair over the listener: *client (the peer's, with 10 s
   timeouts) and *server (the measured side's). */
static int connect_pair(int listener, int *client, int *server)
{
    struct sockaddr_in addr;
    struct timeval tv;
    socklen_t len = sizeof addr;

    *client = *server = -1;
    tv.tv_sec = PEER_TIMEOUT_S;
    tv.tv_usec = 0;
    if (getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
        return -1;
    *client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (*client < 0 ||
        setsockopt(*client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
        setsockopt(*client, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ||
        connect(*client, (struct sockaddr *)&addr, sizeof addr) < 0)
        goto fail;
    *server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (*server < 0)
        goto fail;
    return 0;
fail:
    if (*client >= 0)
        close(*client);
    *client = -1;
    return -1;
}

/* ---- the would-block path ------------------------------------------------
   An event loop's read ends with EAGAIN on a non-blocking socket: raw
   recv() against tcpq_recv in TCPQ_NONBLOCKING (recv, then the fcntl that
   tells EAGAIN from an expired timeout), on a connection with nothing to
   read. A round is EAGAIN_BLOCKS blocks of EAGAIN_CALLS calls of each,
   alternating; its ratio is the median tcpq block over the median raw
   one. No target: the fcntl is the price of telling the two EAGAINs
   apart without state (README, Performance); the row says what it is. */
#define EAGAIN_ROUNDS 40
#define EAGAIN_BLOCKS 20
#define EAGAIN_CALLS 50

static int eagain_rows(int listener)
{
    static double ns[2][EAGAIN_ROUNDS * EAGAIN_BLOCKS];
    double ratio[EAGAIN_ROUNDS];
    struct tcpq_options opt;
    char buf[CALL_BYTES];
    int client, server, r, b, k, c, rc = -1;

    if (connect_pair(listener, &client, &server) < 0) {
        fprintf(stderr, "io: would-block: connect: %s\n", strerror(errno));
        return -1;
    }
    memset(&opt, 0, sizeof opt);
    opt.mode = TCPQ_NONBLOCKING;
    if (tcpq_set_timeout_mode(server, &opt) < 0)
        goto out;
    for (r = 0; r < EAGAIN_ROUNDS; r++) {
        for (b = 0; b < EAGAIN_BLOCKS; b++) {
            for (k = 0; k < 2; k++) {
                int tcpq = (r + b + k) % 2; /* alternate which goes first */
                long long t0 = now_ns();
                for (c = 0; c < EAGAIN_CALLS; c++) {
                    ssize_t n = tcpq ? tcpq_recv(server, buf, sizeof buf)
                                     : recv(server, buf, sizeof buf, 0);
                    if (n >= 0 || errno != EAGAIN) {
                        fprintf(stderr, "io: would-block: %s gave %zd (%s)\n",
                                tcpq ? "tcpq_recv" : "recv", n,
                                strerror(errno));
                        goto out;
                    }
                }
                ns[tcpq][r * EAGAIN_BLOCKS + b] =
                    (double)(now_ns() - t0) / EAGAIN_CALLS;
            }
        }
        ratio[r] = median(ns[1] + r * EAGAIN_BLOCKS, EAGAIN_BLOCKS) /
                   median(ns[0] + r * EAGAIN_BLOCKS, EAGAIN_BLOCKS);
    }
    row_plain("io", "recv-eagain-raw",
              median(ns[0], EAGAIN_ROUNDS * EAGAIN_BLOCKS), "ns/call");
    row_verdict("io", "recv-eagain-tcpq-nonblocking",
                median(ns[1], EAGAIN_ROUNDS * EAGAIN_BLOCKS), "ns/call",
                "recv-eagain-raw", ratio, EAGAIN_ROUNDS, NULL);
    rc = 0;
out:
    close(client);
    close(server);
    return rc;
}

/* Puts the measured descriptor in the variant's mode. raw and blocking:
   no O_NONBLOCK, no timeouts (a new socket's state); poll: O_NONBLOCK, as
   CPython's settimeout(t) leaves it. */
static int set_variant(int fd, enum variant v)
{
    struct tcpq_options opt;

    memset(&opt, 0, sizeof opt);
    opt.mode = v == TIMEOUT ? TCPQ_TIMEOUT
               : v == POLL  ? TCPQ_NONBLOCKING
                            : TCPQ_BLOCKING;
    opt.timeout_ms = TIMEOUT_MS;
    return tcpq_set_timeout_mode(fd, &opt);
}

/* The measured loops: `bytes` in 4 KiB calls. Each returns the calls
   made, -1 on failure. */
static long long recv_loop(int fd, enum variant v, size_t bytes,
                           long long deadline_ns)
{
    char buf[CALL_BYTES];
    size_t got = 0;
    long long calls = 0;

    while (got < bytes) {
        size_t len = bytes - got < sizeof buf ? bytes - got : sizeof buf;
        ssize_t n;
        switch (v) {
        case RAW:
            n = recv(fd, buf, len, 0);
            break;
        case BLOCKING:
        case TIMEOUT:
            n = tcpq_recv(fd, buf, len);
            break;
        case POLL:
        default:
            n = poll_recv(fd, buf, len);
            break;
        }
        if (n <= 0) {
            if (n < 0 && errno == EINTR && v == RAW)
                continue;
            if (n == 0)
                errno = EPIPE; /* the peer stopped early */
            return -1;
        }
        got += (size_t)n;
        calls++;
        if ((calls & 4095) == 0 && now_ns() > deadline_ns) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return calls;
}

static long long send_loop(int fd, enum variant v, size_t bytes,
                           long long deadline_ns)
{
    static char buf[CALL_BYTES];
    size_t sent = 0;
    long long calls = 0;

    memset(buf, 'y', sizeof buf);
    while (sent < bytes) {
        size_t len = bytes - sent < sizeof buf ? bytes - sent : sizeof buf;
        int rc;
        switch (v) {
        case RAW:
            rc = raw_send_all(fd, buf, len);
            break;
        case BLOCKING:
        case TIMEOUT:
            rc = tcpq_send_all(fd, buf, len) == (ssize_t)len ? 0 : -1;
            break;
        case POLL:
        default:
            rc = poll_send_all(fd, buf, len);
            break;
        }
        if (rc < 0)
            return -1;
        sent += len;
        calls++;
        if ((calls & 4095) == 0 && now_ns() > deadline_ns) {
            errno = ETIMEDOUT;
            return -1;
        }
    }
    return calls;
}

/* One chunk of one variant on the measured descriptor. */
static int measure_chunk(int fd, enum direction dir, enum variant v,
                         size_t bytes, long long deadline_ns,
                         struct figures *out)
{
    long long t0, t1, cpu0, cpu1, calls;

    if (set_variant(fd, v) < 0)
        return -1;
    cpu0 = thread_cpu_ns();
    t0 = now_ns();
    calls = dir == RECV ? recv_loop(fd, v, bytes, deadline_ns)
                        : send_loop(fd, v, bytes, deadline_ns);
    t1 = now_ns();
    cpu1 = thread_cpu_ns();
    if (calls <= 0 || cpu0 < 0 || cpu1 < 0)
        return -1;
    out->gib_s = (double)bytes / ((double)(t1 - t0) / 1e9) / 1073741824.0;
    out->cpu_ns_call = (double)(cpu1 - cpu0) / (double)calls;
    return 0;
}

/* Rounds first..last-1 of one direction on one new connection, after a
   warm-up chunk (autotuning, page faults); res[variant][round]. */
static int run_connection(int listener, int peer_cpu, enum direction dir,
                          int first, int last, size_t chunk,
                          struct figures res[][MAX_ROUNDS])
{
    struct figures warm;
    struct peer p;
    pthread_t thread;
    long long clock0 = thread_cpu_ns(), rusage0 = rusage_thread_ns();
    size_t total = chunk * (size_t)(1 + (last - first) * VARIANTS);
    int client, server, round, k, err = 0;

    if (connect_pair(listener, &client, &server) < 0) {
        fprintf(stderr, "io: connect over loopback: %s\n", strerror(errno));
        return -1;
    }
    memset(&p, 0, sizeof p);
    p.fd = client;
    p.dir = dir;
    p.bytes = total;
    p.cpu = peer_cpu;
    /* 10 s plus 20 MiB/s: far beyond any real run, still bounded */
    p.deadline_ns = now_ns() + 10000000000LL +
                    (long long)(total / (20u << 20)) * 1000000000LL;
    err = pthread_create(&thread, NULL, stream_peer, &p);
    if (err != 0) {
        fprintf(stderr, "io: pthread_create: %s\n", strerror(err));
        close(client);
        close(server);
        return -1;
    }
    if (measure_chunk(server, dir, RAW, chunk, p.deadline_ns, &warm) < 0)
        err = errno != 0 ? errno : EIO;
    for (round = first; round < last && err == 0; round++) {
        for (k = 0; k < VARIANTS && err == 0; k++) {
            enum variant v = round_order[round % VARIANTS][k];
            struct figures *f = &res[v][round];
            if (measure_chunk(server, dir, v, chunk, p.deadline_ns, f) < 0) {
                err = errno != 0 ? errno : EIO;
                fprintf(stderr, "io: %s %s: %s\n",
                        dir == RECV ? "recv" : "send", variant_name[v],
                        strerror(err));
                break;
            }
            fprintf(stderr,
                    "io: round %2d %s %-13s %6.3f GiB/s %6.0f ns/call\n",
                    round + 1, dir == RECV ? "recv" : "send", variant_name[v],
                    f->gib_s, f->cpu_ns_call);
        }
    }
    if (err == 0)
        fprintf(stderr,
                "io: %s rounds %d-%d: thread CPU %.0f ms by the thread clock, "
                "%.0f ms by getrusage\n",
                dir == RECV ? "recv" : "send", first + 1, last,
                (double)(thread_cpu_ns() - clock0) / 1e6,
                (double)(rusage_thread_ns() - rusage0) / 1e6);
    if (err == 0 && dir == SEND)
        shutdown(server, SHUT_WR); /* the peer reads to this end */
    if (err != 0) {
        close(server); /* unread data: a reset, the peer stops at once */
        server = -1;
    }
    pthread_join(thread, NULL);
    if (server >= 0)
        close(server);
    close(client);
    if (err == 0 && p.err != 0) {
        err = p.err;
        fprintf(stderr, "io: peer: %s\n", strerror(err));
    }
    return err == 0 ? 0 : -1;
}

/* ---- ping-pong ------------------------------------------------------------
 */

static void *echo_peer(void *arg)
{
    struct peer *p = arg;
    long long i, max = 2LL * PINGPONG_ROUNDS * PINGPONG_TRIPS;
    char byte;

    pin_to_cpu("io", p->cpu);
    for (i = 0; i < max && now_ns() < p->deadline_ns; i++) {
        ssize_t n = recv(p->fd, &byte, 1, 0);
        if (n <= 0 || raw_send_all(p->fd, &byte, 1) < 0)
            break;
    }
    return NULL;
}

/* Mean 1-byte round trip, in microseconds, rtt[0] plain send/recv,
   rtt[1] tcpq_send_all/tcpq_recv in TCPQ_TIMEOUT; alternated. */
static int pingpong(int listener, int peer_cpu, double rtt[2][MAX_ROUNDS])
{
    struct peer p;
    pthread_t thread;
    int client, server, on = 1, round, k, i, err = 0;
    char byte = 'z';

    if (connect_pair(listener, &client, &server) < 0)
        return -1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    memset(&p, 0, sizeof p);
    p.fd = client;
    p.deadline_ns = now_ns() + 20000000000LL;
    p.cpu = peer_cpu;
    if (pthread_create(&thread, NULL, echo_peer, &p) != 0) {
        close(client);
        close(server);
        return -1;
    }
    for (round = 0; round < PINGPONG_ROUNDS && err == 0; round++) {
        for (k = 0; k < 2 && err == 0; k++) {
            int timeout = (k + round) % 2;
            long long t0;
            if (set_variant(server, timeout ? TIMEOUT : RAW) < 0) {
                err = 1;
                break;
            }
            t0 = now_ns();
            for (i = 0; i < PINGPONG_TRIPS && err == 0; i++) {
                if (timeout)
                    err = tcpq_send_all(server, &byte, 1) != 1 ||
                          tcpq_recv(server, &byte, 1) != 1;
                else
                    err = raw_send_all(server, &byte, 1) < 0 ||
                          recv(server, &byte, 1, 0) != 1;
            }
            rtt[timeout][round] =
                (double)(now_ns() - t0) / 1e3 / PINGPONG_TRIPS;
        }
    }
    if (err)
        fprintf(stderr, "io: ping-pong: %s\n", strerror(errno));
    shutdown(server, SHUT_RDWR);
    pthread_join(thread, NULL);
    close(client);
    close(server);
    return err ? -1 : 0;
}

/* ---- statistics and output ------------------------------------------------
 */

/* The rows of one direction from results[variant][round]. */
static void report(enum direction dir, struct figures results[][MAX_ROUNDS],
                   int rounds)
{
    const char *side = dir == RECV ? "recv" : "send";
    double gib[VARIANTS][MAX_ROUNDS], cpu[VARIANTS][MAX_ROUNDS];
    double ratio[MAX_ROUNDS];
    char name[64], ref[64], ref_cpu[64];
    int v, r;

    for (v = 0; v < VARIANTS; v++)
        for (r = 0; r < rounds; r++) {
            gib[v][r] = results[v][r].gib_s;
            cpu[v][r] = results[v][r].cpu_ns_call;
        }
    snprintf(ref, sizeof ref, "%s-raw", side);
    snprintf(ref_cpu, sizeof ref_cpu, "%s-raw-cpu", side);
    row_plain("io", ref, median(gib[RAW], rounds), "GiB/s");
    row_plain("io", ref_cpu, median(cpu[RAW], rounds), "ns/call");
    for (v = BLOCKING; v <= TIMEOUT; v++) {
        for (r = 0; r < rounds; r++)
            ratio[r] = gib[v][r] / gib[RAW][r];
        snprintf(name, sizeof name, "%s-%s", side, variant_name[v]);
        row_verdict("io", name, median(gib[v], rounds), "GiB/s", ref, ratio,
                    rounds, ">=0.95");
        for (r = 0; r < rounds; r++)
            ratio[r] = cpu[v][r] / cpu[RAW][r];
        snprintf(name, sizeof name, "%s-%s-cpu", side, variant_name[v]);
        row_verdict("io", name, median(cpu[v], rounds), "ns/call", ref_cpu,
                    ratio, rounds, "<=1.05");
    }
    snprintf(ref, sizeof ref, "%s-poll", side);
    row_plain("io", ref, median(gib[POLL], rounds), "GiB/s");
    snprintf(name, sizeof name, "%s-poll-cpu", side);
    row_plain("io", name, median(cpu[POLL], rounds), "ns/call");
    for (r = 0; r < rounds; r++)
        ratio[r] = gib[TIMEOUT][r] / gib[POLL][r];
    snprintf(name, sizeof name, "%s-tcpq-timeout-vs-poll", side);
    row_verdict("io", name, median(ratio, rounds), "x", ref, ratio, rounds,
                ">=1.5");
}

/* Every round of one direction, CONNECTION_ROUNDS on each new connection:
   a connection keeps its own pace for its life (the median ratio of one
   connection's rounds differed from the next one's by up to 0.1, and by
   0.9 for timeout-vs-poll), so many connections, not a few long ones,
   make one run's spread that of the next. */
static int run_direction(int listener, int peer_cpu, enum direction dir,
                         int rounds, size_t chunk,
                         struct figures res[][MAX_ROUNDS])
{
    int first;

    for (first = 0; first < rounds; first += CONNECTION_ROUNDS) {
        int last = first + CONNECTION_ROUNDS < rounds
                       ? first + CONNECTION_ROUNDS
                       : rounds;
        if (run_connection(listener, peer_cpu, dir, first, last, chunk, res) <
            0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static struct figures results[2][VARIANTS][MAX_ROUNDS];
    static double rtt[2][MAX_ROUNDS];
    double ratio[MAX_ROUNDS];
    struct tcpq_report rep;
    int no_pin = 0;
    long stream_mib = DEFAULT_STREAM_MIB, rounds = DEFAULT_ROUNDS;
    const struct bench_option options[] = {
        {'s', "MiB", 1, MAX_STREAM_MIB, &stream_mib, NULL,
         "bytes each variant streams (default 8192)"},
        {'r', "ROUNDS", 1, MAX_ROUNDS, &rounds, NULL,
         "rounds it is split in, chunks >= 1 MiB (default 256)"},
        {'P', NULL, 0, 0, NULL, &no_pin,
         "do not pin the two threads to two CPUs"},
    };
    long long start = now_ns();
    size_t chunk;
    int listener, round, measured_cpu = -1, peer_cpu = -1;

    if (parse_options("io", argc, argv, NULL, options,
                      sizeof options / sizeof options[0]) < 0)
        return 1;
    if (rounds > stream_mib)
        rounds = stream_mib; /* chunks of at least 1 MiB */
    chunk = ((size_t)stream_mib << 20) / (size_t)rounds;
    if (!no_pin) {
        first_two_cpus(&measured_cpu, &peer_cpu);
        pin_to_cpu("io", measured_cpu);
    }
    listener = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    if (listener < 0) {
        fprintf(stderr, "io: listener: %s\n", rep.message);
        return 1;
    }
    fprintf(stderr,
            "io: %ld MiB per variant: %ld rounds of %.1f MiB, %d a "
            "connection, 4 KiB calls, %s\n",
            stream_mib, rounds, (double)chunk / 1048576.0, CONNECTION_ROUNDS,
            rep.address);
    if (run_direction(listener, peer_cpu, RECV, (int)rounds, chunk,
                      results[RECV]) < 0 ||
        run_direction(listener, peer_cpu, SEND, (int)rounds, chunk,
                      results[SEND]) < 0 ||
        pingpong(listener, peer_cpu, rtt) < 0 || eagain_rows(listener) < 0) {
        close(listener);
        return 1;
    }
    close(listener);
    report(RECV, results[RECV], (int)rounds);
    report(SEND, results[SEND], (int)rounds);
    for (round = 0; round < PINGPONG_ROUNDS; round++)
        ratio[round] = rtt[1][round] / rtt[0][round];
    row_plain("io", "pingpong-rtt-raw", median(rtt[0], PINGPONG_ROUNDS), "us");
    row_verdict("io", "pingpong-rtt-tcpq-timeout",
                median(rtt[1], PINGPONG_ROUNDS), "us", "pingpong-rtt-raw",
                ratio, PINGPONG_ROUNDS, NULL);
    fprintf(stderr, "io: %.1f s\n", (double)(now_ns() - start) / 1e9);
    return 0;
}
