/* Connect cost: tcpq_connect against socket() + connect(), and Happy
   Eyeballs against CPython's socket.create_connection. */
/*
 * Loopback: a listener on 127.0.0.1 whose accept thread (on the other CPU)
 * closes what it accepts. A round is PAIRS connects of each of three
 * kinds, interleaved in an order that rotates: raw (socket(SOCK_CLOEXEC) +
 * connect + close), tcpq_connect("127.0.0.1", port, NULL, NULL) + close,
 * and the same with a report. A round's ratio is the median time of a
 * kind over the median raw time of that round; the rows give the median
 * and spread of ROUNDS rounds' ratios (verdicts: bench_util.h).
 *
 * Happy Eyeballs: in a private user, mount and network namespace (this
 * program run again under `unshare -rmn`), /etc/hosts gives the name
 * "twoaddr" 127.0.0.1 then 127.0.0.2, nft drops the SYNs to 127.0.0.1 and
 * a listener waits on 127.0.0.2; tcp_syn_retries is 1, so the kernel gives
 * the first address up after about 3 s. Each of HE_ROUNDS rounds times one
 * tcpq_connect (blocking, the default 250 ms fallback delay) and one
 * CPython create_connection on the name; the row is libtcpq's time over
 * CPython's. Without unshare, nft or python3 the row says so (SKIP on
 * stderr) and is left out.
 *
 * CSV rows on stdout (section,variant,figure,unit,reference,ratio,spread,
 * target,verdict), the rest on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tcpq.h>

#include "bench_util.h"

#define ROUNDS 40
#define PAIRS 200               /* connects of each kind a round */
#define ROUND_PAUSE_NS 25000000 /* 25 ms between rounds */
#define WARMUP 200
#define TIME_LIMIT_NS 30000000000LL
#define HE_ROUNDS 5
#define HE_LIMIT_S 90 /* the namespace child, in all */

enum kind { RAW, TCPQ_NULL, TCPQ_REPORT, KINDS };

static const char *const kind_name[KINDS] = {
    "socket+connect", "tcpq_connect-null-report", "tcpq_connect-report"};

struct acceptor {
    int fd, cpu;
};

static void *accept_main(void *arg)
{
    struct acceptor *a = arg;

    pin_to_cpu("connect", a->cpu);
    for (;;) {
        int c = accept(a->fd, NULL, NULL);
        if (c >= 0)
            close(c);
        else if (errno != EINTR && errno != ECONNABORTED)
            break; /* the listener was shut down */
    }
    return NULL;
}

/* One connect of the kind to 127.0.0.1:port, closed; 0 or -1. */
static int connect_once(enum kind k, const struct sockaddr_in *addr,
                        const char *port)
{
    struct tcpq_report rep;
    int fd;

    if (k == RAW) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 &&
            connect(fd, (const struct sockaddr *)addr, sizeof *addr) < 0) {
            fprintf(stderr, "connect: raw: %s\n", strerror(errno));
            close(fd);
            return -1;
        }
    } else {
        fd = tcpq_connect("127.0.0.1", port, NULL,
                          k == TCPQ_REPORT ? &rep : NULL);
        if (fd < 0)
            fprintf(stderr, "connect: %s: %s\n", kind_name[k],
                    k == TCPQ_REPORT ? rep.message : strerror(errno));
    }
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int loopback_rows(int server_cpu, int client_cpu)
{
    static double ns[KINDS][ROUNDS * PAIRS];
    double ratio[KINDS][ROUNDS];
    struct acceptor a;
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    pthread_t thread;
    char port[16];
    long long start;
    int i, j, k, runs = 0, rounds, rc = -1;

    a.fd = tcpq_open_listener("127.0.0.1", "0", NULL, NULL);
    a.cpu = server_cpu;
    if (a.fd < 0 || getsockname(a.fd, (struct sockaddr *)&addr, &len) < 0) {
        fprintf(stderr, "connect: listener: %s\n", strerror(errno));
        return -1;
    }
    snprintf(port, sizeof port, "%d", ntohs(addr.sin_port));
    if (pthread_create(&thread, NULL, accept_main, &a) != 0) {
        fprintf(stderr, "connect: pthread_create failed\n");
        close(a.fd);
        return -1;
    }
    pin_to_cpu("connect", client_cpu);
    for (i = 0; i < WARMUP; i++)
        for (k = 0; k < KINDS; k++)
            if (connect_once((enum kind)k, &addr, port) < 0)
                goto out;
    start = now_ns();
    for (i = 0; i < ROUNDS * PAIRS && now_ns() - start < TIME_LIMIT_NS; i++) {
        if (i > 0 && i % PAIRS == 0) {
            struct timespec pause = {0, ROUND_PAUSE_NS};
            nanosleep(&pause, NULL);
        }
        for (j = 0; j < KINDS; j++) {
            enum kind kd = (enum kind)((i + j) % KINDS); /* rotate the order */
            long long t0 = now_ns();
            if (connect_once(kd, &addr, port) < 0)
                goto out;
            ns[kd][i] = (double)(now_ns() - t0);
        }
        runs++;
    }
    rounds = runs / PAIRS;
    if (rounds == 0)
        goto out;
    for (j = 0; j < rounds; j++)
        for (k = 0; k < KINDS; k++)
            ratio[k][j] = median(ns[k] + j * PAIRS, PAIRS) /
                          median(ns[RAW] + j * PAIRS, PAIRS);
    fprintf(stderr,
            "connect: median of %d interleaved connects each: %.1f us raw, "
            "%.1f us tcpq_connect (NULL report), %.1f us (with a report)\n",
            rounds * PAIRS, median(ns[RAW], rounds * PAIRS) / 1e3,
            median(ns[TCPQ_NULL], rounds * PAIRS) / 1e3,
            median(ns[TCPQ_REPORT], rounds * PAIRS) / 1e3);
    row_plain("connect", kind_name[RAW], median(ns[RAW], rounds * PAIRS) / 1e3,
              "us");
    row_verdict("connect", kind_name[TCPQ_NULL],
                median(ns[TCPQ_NULL], rounds * PAIRS) / 1e3, "us",
                kind_name[RAW], ratio[TCPQ_NULL], rounds, "<=1.15");
    row_verdict("connect", kind_name[TCPQ_REPORT],
                median(ns[TCPQ_REPORT], rounds * PAIRS) / 1e3, "us",
                kind_name[RAW], ratio[TCPQ_REPORT], rounds, "<=1.5");
    rc = 0;
out:
    shutdown(a.fd, SHUT_RDWR);
    pthread_join(thread, NULL);
    close(a.fd);
    return rc;
}

/* ---- Happy Eyeballs, in the namespace ----------------------------------- */

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* CPython's create_connection to twoaddr:port: its time in ms, or -1. */
static double python_ms(int port)
{
    char cmd[512], out[64] = "";
    FILE *p;
    double ms = -1;

    snprintf(cmd, sizeof cmd,
             "python3 -c 'import socket, time; t = time.monotonic(); "
             "s = socket.create_connection((\"twoaddr\", %d)); "
             "print((time.monotonic() - t) * 1000); s.close()' 2>/dev/null",
             port);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    if (fgets(out, sizeof out, p) != NULL)
        ms = strtod(out, NULL);
    if (pclose(p) != 0)
        return -1;
    return ms;
}

/* Run as root of a fresh user, mount and network namespace: sets it up,
   prints "ROUND tcpq_ms python_ms" lines. */
static int he_child(void)
{
    char hosts[] = "/tmp/tcpq-bench-hostsXXXXXX", port_text[16], cmd[256];
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    int fd, hfd, i, port;

    hfd = mkstemp(hosts);
    if (hfd < 0)
        return 1;
    close(hfd);
    if (write_file(hosts, "127.0.0.1 twoaddr\n127.0.0.2 twoaddr\n") < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) < 0) {
        fprintf(stderr, "connect: namespace /etc/hosts: %s\n", strerror(errno));
        unlink(hosts);
        return 1;
    }
    unlink(hosts); /* the bind mount keeps it */
    if (system("ip link set lo up") != 0 ||
        write_file("/proc/sys/net/ipv4/tcp_syn_retries", "1") < 0) {
        fprintf(stderr, "connect: namespace: lo or tcp_syn_retries\n");
        return 1;
    }
    fd = tcpq_open_listener("127.0.0.2", "0", NULL, NULL);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
        return 1;
    port = ntohs(addr.sin_port);
    snprintf(port_text, sizeof port_text, "%d", port);
    snprintf(cmd, sizeof cmd,
             "nft add table inet b && nft 'add chain inet b o { type filter "
             "hook output priority 0; }' && nft add rule inet b o ip daddr "
             "127.0.0.1 tcp dport %d tcp flags syn drop",
             port);
    if (system(cmd) != 0) {
        fprintf(stderr, "connect: SKIP happy-eyeballs: nft failed\n");
        return 2;
    }
    for (i = 0; i < HE_ROUNDS; i++) {
        long long t0 = now_ns();
        int c = tcpq_connect("twoaddr", port_text, NULL, NULL);
        double tcpq_ms = (double)(now_ns() - t0) / 1e6, py;
        if (c < 0) {
            fprintf(stderr, "connect: tcpq_connect twoaddr: %s\n",
                    strerror(errno));
            return 1;
        }
        close(c);
        py = python_ms(port);
        if (py < 0) {
            fprintf(stderr, "connect: SKIP happy-eyeballs: python3 failed\n");
            return 2;
        }
        printf("ROUND %.1f %.1f\n", tcpq_ms, py);
        fflush(stdout);
    }
    close(fd);
    return 0;
}

static int he_rows(const char *self)
{
    char line[128], cmd[1200], unshare[512], nft[512], python[512];
    double tcpq_ms[HE_ROUNDS], py_ms[HE_ROUNDS], ratio[HE_ROUNDS];
    int n = 0, status;
    FILE *p;

    if (!find_on_path("unshare", unshare, sizeof unshare) ||
        !find_on_path("nft", nft, sizeof nft) ||
        !find_on_path("python3", python, sizeof python)) {
        fprintf(stderr, "connect: SKIP happy-eyeballs: needs unshare, nft and "
                        "python3 (make deps)\n");
        return 0;
    }
    snprintf(cmd, sizeof cmd, "timeout %d %s -rmn %s --he-child", HE_LIMIT_S,
             unshare, self);
    fflush(NULL);
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (n < HE_ROUNDS && fgets(line, sizeof line, p) != NULL)
        if (sscanf(line, "ROUND %lf %lf", &tcpq_ms[n], &py_ms[n]) == 2) {
            ratio[n] = tcpq_ms[n] / py_ms[n];
            n++;
        }
    status = pclose(p);
    if (n < HE_ROUNDS) {
        fprintf(stderr,
                "connect: SKIP happy-eyeballs: %d of %d rounds (status %d; "
                "a private namespace refused?)\n",
                n, HE_ROUNDS, status);
        return 0;
    }
    fprintf(stderr,
            "connect: dead-first name, %d rounds: tcpq_connect %.0f ms, "
            "CPython create_connection %.0f ms (medians)\n",
            n, median(tcpq_ms, n), median(py_ms, n));
    row_plain("connect", "dead-first-cpython", median(py_ms, n), "ms");
    row_verdict("connect", "dead-first-tcpq-happy-eyeballs", median(tcpq_ms, n),
                "ms", "dead-first-cpython", ratio, n, "<=0.5");
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    char self[512];
    ssize_t n;
    int a, b;

    signal(SIGPIPE, SIG_IGN);
    if (argc == 2 && strcmp(argv[1], "--he-child") == 0)
        return he_child();
    if (parse_options("connect", argc, argv, &dir, NULL, 0) < 0)
        return 2;
    first_two_cpus(&a, &b);
    if (loopback_rows(a, b) < 0)
        return 1;
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "connect: SKIP happy-eyeballs: /proc/self/exe: %s\n",
                strerror(errno));
        return 0;
    }
    self[n] = '\0';
    return he_rows(self) < 0 ? 1 : 0;
}
