/* Listener setup cost: tcpq_open_listener against the hand-written calls. */
/*
 * Time: tcpq_open_listener("127.0.0.1", "0", NULL, &rep) + close, against
 * socket(SOCK_CLOEXEC) / setsockopt(SO_REUSEADDR) / bind(127.0.0.1:0) /
 * listen(fd, 4096) / close; interleaved (the order alternates), median of
 * each. A round is PAIRS setups of each kind, the rounds 25 ms apart; its
 * ratio is the median tcpq_open_listener time over the median hand-written
 * one, and the row gives the median and spread of ROUNDS rounds' ratios.
 * System calls: where
 * strace is on PATH, this program runs itself under `strace -f -c` doing 100
 * setups of one kind, and once doing none (both after one warm-up setup), so
 * the difference / 100 is what one setup costs; and under `strace -f -e
 * trace=openat,write` doing one tcpq_open_listener between markers, to count
 * the opens of each /proc file. CSV rows on stdout
 * (section,variant,figure,unit,reference,ratio,spread,target,verdict; see
 * bench_util.h for the verdict rule), the rest on stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tcpq.h>

#include "bench_util.h"

#define ROUNDS 40
#define PAIRS 50                /* setups of each kind a round */
#define RUNS (ROUNDS * PAIRS)   /* timed setups of each kind */
#define ROUND_PAUSE_NS 25000000 /* 25 ms between rounds: 1 s in all */
#define WARMUP 100              /* untimed, before */
#define TIME_LIMIT_NS 20000000000LL
#define STRACE_SETUPS 100 /* per strace -c run */
#define STRACE_LIMIT_NS 30000000000LL
#define MAX_SYSCALLS 128  /* distinct names in one strace table */
#define MAX_PROC_FILES 64 /* distinct /proc paths in one trace */

enum kind { HAND, TCPQ };

static const char *const kind_name[2] = {"hand-written", "tcpq_open_listener"};

struct syscall_table {
    int n;
    char name[MAX_SYSCALLS][32];
    long calls[MAX_SYSCALLS];
    long total;
};

/* The sequence a careful programmer writes by hand. */
static int hand_written_listener(void)
{
    struct sockaddr_in addr;
    int fd, on = 1;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
        listen(fd, 4096) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* One listener of the kind, opened and closed; 0 or -1. */
static int setup_once(enum kind k)
{
    struct tcpq_report rep;
    int fd;

    if (k == HAND) {
        fd = hand_written_listener();
        if (fd < 0)
            fprintf(stderr, "setup: hand-written: %s\n", strerror(errno));
    } else {
        fd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
        if (fd < 0)
            fprintf(stderr, "setup: tcpq_open_listener: %s\n", rep.message);
    }
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* The mode run under strace: one warm-up setup, the marker "MARK start"
   on stdout, `count` setups, "MARK end". */
static int child_main(const char *kind, const char *count_text)
{
    char *end = NULL;
    long count = strtol(count_text, &end, 10), i;
    enum kind k = strcmp(kind, "tcpq") == 0 ? TCPQ : HAND;

    if (*end != '\0' || count < 0 || count > 10000 ||
        (k == HAND && strcmp(kind, "hand") != 0))
        return 2;
    if (setup_once(k) < 0 || write(STDOUT_FILENO, "MARK start\n", 11) != 11)
        return 1;
    for (i = 0; i < count; i++)
        if (setup_once(k) < 0)
            return 1;
    return write(STDOUT_FILENO, "MARK end\n", 9) == 9 ? 0 : 1;
}

/* ---- timing ---------------------------------------------------------------
 */

/* Median microseconds per setup of each kind, and the ratio of each
   round (ROUNDS of them, or as many as the time limit left, in *rounds);
   -1 when setup failed. */
static int time_setups(double us[2], double ratio[ROUNDS], int *rounds)
{
    static double ns[2][RUNS];
    long long start = now_ns();
    int i, j, runs = 0;

    for (i = 0; i < WARMUP; i++)
        if (setup_once(HAND) < 0 || setup_once(TCPQ) < 0)
            return -1;
    for (i = 0; i < RUNS && now_ns() - start < TIME_LIMIT_NS; i++) {
        if (i > 0 && i % PAIRS == 0) {
            /* a pause between rounds: the 2000 setups take 50 ms, so
               without it one moment's state of the machine would be
               every round's */
            struct timespec pause = {0, ROUND_PAUSE_NS};
            nanosleep(&pause, NULL);
        }
        for (j = 0; j < 2; j++) {
            enum kind k = (enum kind)((i + j) % 2); /* alternate the order */
            long long t0 = now_ns();
            if (setup_once(k) < 0)
                return -1;
            ns[k][i] = (double)(now_ns() - t0);
        }
        runs++;
    }
    if (runs < RUNS)
        fprintf(stderr, "setup: time limit: %d runs of each\n", runs);
    for (*rounds = 0; (*rounds + 1) * PAIRS <= runs; (*rounds)++) {
        int first = *rounds * PAIRS;
        ratio[*rounds] =
            median(ns[TCPQ] + first, PAIRS) / median(ns[HAND] + first, PAIRS);
    }
    if (*rounds == 0)
        return -1;
    us[HAND] = median(ns[HAND], runs) / 1e3;
    us[TCPQ] = median(ns[TCPQ], runs) / 1e3;
    fprintf(stderr,
            "setup: median of %d interleaved runs each: %.2f us "
            "hand-written, %.2f us tcpq_open_listener\n",
            runs, us[HAND], us[TCPQ]);
    return 0;
}

/* ---- strace ---------------------------------------------------------------
 */

/* Runs strace with `options` on this program's child mode, the trace in
   `trace_file`; bounded in time. 0 when strace and the child succeeded. */
static int run_strace(const char *strace, const char *self, const char *opt1,
                      const char *opt2, const char *trace_file,
                      const char *kind, const char *count)
{
    long long start = now_ns();
    pid_t pid, done;
    int status = 0;

    fflush(NULL);
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* the child's markers go nowhere; strace records them */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull < 0 || dup2(devnull, STDOUT_FILENO) < 0)
            _exit(127);
        execl(strace, "strace", "-f", opt1, opt2, "-o", trace_file, self,
              "--child", kind, count, (char *)NULL);
        _exit(127);
    }
    for (;;) {
        struct timespec tick = {0, 10000000}; /* 10 ms */
        done = waitpid(pid, &status, WNOHANG);
        if (done == pid || (done < 0 && errno != EINTR))
            break;
        if (now_ns() - start > STRACE_LIMIT_NS) {
            fprintf(stderr, "setup: strace took over 30 s: stopped\n");
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&tick, NULL);
    }
    if (done != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "setup: strace %s %s %s failed (status %d)\n", opt1,
                kind, count, status);
        return -1;
    }
    return 0;
}

/* The table of `strace -c`: "% time seconds usecs/call calls [errors]
   syscall" rows, then a "total" row. */
static int parse_summary(const char *file, struct syscall_table *t)
{
    char line[512];
    FILE *f = fopen(file, "r");

    memset(t, 0, sizeof *t);
    t->total = -1;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        char *field[8], *save = NULL, *p;
        int n = 0;
        for (p = strtok_r(line, " \t\n", &save); p != NULL && n < 8;
             p = strtok_r(NULL, " \t\n", &save))
            field[n++] = p;
        if ((n != 5 && n != 6) || field[0][0] < '0' || field[0][0] > '9')
            continue; /* header, rules, anything else */
        if (strcmp(field[n - 1], "total") == 0) {
            t->total = atol(field[3]);
        } else if (t->n < MAX_SYSCALLS) {
            snprintf(t->name[t->n], sizeof t->name[t->n], "%s", field[n - 1]);
            t->calls[t->n++] = atol(field[3]);
        }
    }
    fclose(f);
    return t->total < 0 ? -1 : 0;
}

static long calls_of(const struct syscall_table *t, const char *name)
{
    int i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->name[i], name) == 0)
            return t->calls[i];
    return 0;
}

/* System calls per setup of one kind: (100 setups - none) / 100, with the
   breakdown on stderr. -1 when strace failed. */
static double syscalls_per_setup(const char *strace, const char *self,
                                 const char *trace_file, enum kind k)
{
    struct syscall_table with, without;
    const char *kind = k == HAND ? "hand" : "tcpq";
    char count[16], breakdown[1024];
    size_t used = 0;
    int i;

    snprintf(count, sizeof count, "%d", STRACE_SETUPS);
    if (run_strace(strace, self, "-c", "-q", trace_file, kind, count) < 0 ||
        parse_summary(trace_file, &with) < 0 ||
        run_strace(strace, self, "-c", "-q", trace_file, kind, "0") < 0 ||
        parse_summary(trace_file, &without) < 0)
        return -1;
    breakdown[0] = '\0';
    for (i = 0; i < with.n; i++) {
        long d = with.calls[i] - calls_of(&without, with.name[i]);
        if (d > 0 && used < sizeof breakdown) {
            int w =
                snprintf(breakdown + used, sizeof breakdown - used, " %s %.2f",
                         with.name[i], (double)d / STRACE_SETUPS);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    fprintf(stderr, "setup: system calls per %s:%s\n", kind_name[k], breakdown);
    return (double)(with.total - without.total) / STRACE_SETUPS;
}

/* Opens of each /proc file during one tcpq_open_listener (between the
   markers); returns the largest count, -1 when strace failed. */
static int max_procfs_opens(const char *strace, const char *self,
                            const char *trace_file)
{
    static char path[MAX_PROC_FILES][256];
    int opens[MAX_PROC_FILES], files = 0, inside = 0, max = 0, i;
    char line[1024];
    FILE *f;

    if (run_strace(strace, self, "-e", "trace=openat,write", trace_file, "tcpq",
                   "1") < 0)
        return -1;
    f = fopen(trace_file, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        char *p, *q;
        if (strstr(line, "\"MARK start") != NULL) {
            inside = 1;
            continue;
        }
        if (strstr(line, "\"MARK end") != NULL)
            inside = 0;
        p = strstr(line, "openat(");
        if (!inside || p == NULL || (p = strstr(p, "\"/proc/")) == NULL)
            continue;
        p++;
        q = strchr(p, '"');
        if (q == NULL)
            continue;
        *q = '\0';
        for (i = 0; i < files && strcmp(path[i], p) != 0; i++)
            ;
        if (i == files) {
            if (files == MAX_PROC_FILES)
                continue;
            snprintf(path[files], sizeof path[files], "%s", p);
            opens[files++] = 0;
        }
        if (++opens[i] > max)
            max = opens[i];
    }
    fclose(f);
    for (i = 0; i < files; i++)
        fprintf(stderr, "setup: one tcpq_open_listener opens %s %d time%s\n",
                path[i], opens[i], opens[i] == 1 ? "" : "s");
    if (files == 0)
        fprintf(stderr, "setup: one tcpq_open_listener opens no /proc file\n");
    return max;
}

int main(int argc, char **argv)
{
    char strace[PATH_MAX], self[PATH_MAX],
        trace_file[] = "/tmp/tcpq-setup-XXXXXX";
    double us[2], calls[2] = {-1, -1}, ratio[ROUNDS], opens;
    long long start = now_ns();
    ssize_t len;
    long stream_mib = 0;
    const struct bench_option options[] = {
        {'s', "MiB", 0, LONG_MAX, &stream_mib, NULL,
         "ignored: there is no stream to size"},
    };
    int max_opens = -1, have_strace, fd, rounds;

    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_main(argv[2], argv[3]);
    if (parse_options("setup", argc, argv, NULL, options,
                      sizeof options / sizeof options[0]) < 0)
        return 1;
    if (time_setups(us, ratio, &rounds) < 0)
        return 1;
    row_plain("setup", "hand-written", us[HAND], "us");
    row_verdict("setup", "tcpq_open_listener", us[TCPQ], "us", "hand-written",
                ratio, rounds, "<=2");
    fflush(stdout);

    have_strace = find_on_path("strace", strace, sizeof strace);
    len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        snprintf(self, sizeof self, "%s", argv[0]);
    } else {
        self[len] = '\0';
    }
    fd = have_strace ? mkstemp(trace_file) : -1;
    if (!have_strace) {
        fprintf(stderr, "setup: strace not on PATH: system calls skipped\n");
    } else if (fd < 0) {
        fprintf(stderr, "setup: mkstemp: %s\n", strerror(errno));
    } else {
        close(fd);
        calls[HAND] = syscalls_per_setup(strace, self, trace_file, HAND);
        calls[TCPQ] = syscalls_per_setup(strace, self, trace_file, TCPQ);
        max_opens = max_procfs_opens(strace, self, trace_file);
        unlink(trace_file);
    }
    if (calls[HAND] >= 0)
        row_plain("setup", "hand-written-syscalls", calls[HAND], "count");
    else
        printf("setup,hand-written-syscalls,skipped,count,-,-,-,-,-\n");
    if (calls[TCPQ] >= 0)
        row_plain("setup", "tcpq_open_listener-syscalls", calls[TCPQ], "count");
    else
        printf("setup,tcpq_open_listener-syscalls,skipped,count,-,-,-,-,-\n");
    /* a count, not a timed figure: one traced call, exact */
    opens = max_opens;
    if (max_opens >= 0)
        row_verdict("setup", "max-reads-of-one-procfs-file", opens, "count",
                    NULL, &opens, 1, "<=1");
    else
        printf("setup,max-reads-of-one-procfs-file,skipped,count,-,-,-,<=1,-"
               "\n");
    fprintf(stderr, "setup: %.1f s\n", (double)(now_ns() - start) / 1e9);
    return 0;
}
