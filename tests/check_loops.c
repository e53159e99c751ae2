/* The event-loop examples run as users run them, each in a network namespace
   of its own: under systemd-socket-activate, and under ab with libtcpq's
   backlog and with the loop library's default. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_tcpq.h"

/* Relative to the repository root, where `make check` runs. */
#define SHIM_PROGRAM "tests/nonblock-exec"
#define HTTP_ANSWER                                                            \
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

/* ab: this many requests, with twice the default backlog in flight. Each
   accept is followed by ACCEPT_DELAY_US of sleep in both runs: without it
   no default backlog overflowed here (2 cores, Linux 6.18), since each
   loop accepts as fast as ab connects. With it a full burst lands in the
   queue at once, so the default's overflows, and libtcpq's (4096 in a new
   namespace) holds all of it, whatever the machine's speed. */
#define AB_REQUESTS 2000
#define ACCEPT_DELAY_US 1000
#define AB_TIMEOUT_S 10     /* ab -s: the longest wait for one socket */
#define SLOW_CONNECT_MS 900 /* above: a SYN was retransmitted (1 s) */
#define ACTIVATION_PORT 8080
#define ACTIVATION_BACKLOG 1000

struct loop_example {
    const char *name;
    const char *loop_default; /* what --loop-default does */
    int default_backlog;
};

static const struct loop_example loop_examples[] = {
    {"epoll-server", "listen(fd, 128)", 128},
    {"libuv-server", "uv_listen 511", 511},
    {"libevent-server", "evconnlistener -1", 128},
};

/* ---- a server process ---------------------------------------------------- */

struct server {
    pid_t pid;
    int out; /* its stdout and stderr */
    size_t used;
    char text[8192];
};

/* Starts argv in a child of this one, killed if this one dies, its stdout
   and stderr into s->text; 0 or -1. */
static int server_start(struct server *s, char *const argv[])
{
    int pipe_fds[2];

    memset(s, 0, sizeof *s);
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return -1;
    s->pid = fork();
    if (s->pid < 0) {
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pipe_fds[1], 1);
        dup2(pipe_fds[1], 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(pipe_fds[1]);
    s->out = pipe_fds[0];
    return 0;
}

/* Reads what the server prints until a line holding `what` has come, at
   most timeout_ms; that line, or NULL. */
static const char *server_line(struct server *s, const char *what,
                               int timeout_ms)
{
    double deadline = tq_now_ms() + timeout_ms;

    for (;;) {
        const char *found = strstr(s->text, what);
        struct pollfd p = {s->out, POLLIN, 0};
        ssize_t n;

        if (found != NULL && strchr(found, '\n') != NULL) {
            while (found > s->text && found[-1] != '\n')
                found--;
            return found;
        }
        if (tq_now_ms() >= deadline || s->used + 1 >= sizeof s->text ||
            poll(&p, 1, (int)(deadline - tq_now_ms()) + 1) < 0)
            return NULL;
        n = read(s->out, s->text + s->used, sizeof s->text - 1 - s->used);
        if (n <= 0 && (n == 0 || errno != EINTR))
            return NULL;
        if (n > 0)
            s->used += (size_t)n;
    }
}

static int wait_exit(pid_t pid, int *status, int timeout_ms)
{
    double deadline = tq_now_ms() + timeout_ms;
    pid_t done;

    while ((done = waitpid(pid, status, WNOHANG)) == 0 &&
           tq_now_ms() < deadline)
        tq_sleep_ms(10);
    return done == pid ? 0 : -1;
}

/* Gives the server grace_ms to exit by itself (*by_itself says whether it
   did), then SIGTERM and 5 s, then SIGKILL; reads what it printed last.
   Its exit status, or -1 when a signal ended it. */
static int server_end(struct server *s, int grace_ms, int *by_itself)
{
    int status = 0, exited = wait_exit(s->pid, &status, grace_ms) == 0;

    if (by_itself != NULL)
        *by_itself = exited;
    if (!exited) {
        kill(s->pid, SIGTERM);
        if (wait_exit(s->pid, &status, 5000) != 0) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, &status, 0);
        }
    }
    server_line(s, "stopped after", 1000);
    close(s->out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- ab ----------------------------------------------------------------- */

struct ab_run {
    const char *policy; /* "libtcpq" or the loop's default */
    int backlog;        /* the server's start line */
    int send_q;         /* ss's Send-Q while it served */
    int complete, failed, connect_max_ms;
    double per_second;
    long long overflows_nstat, overflows_tcpq; /* during the run */
    int exit_status, responses;                /* on SIGTERM */
    char output[256];                          /* the server's start line */
};

/* ab -n AB_REQUESTS -c concurrency at the port; its summary into *run. */
static int run_ab(int port, int concurrency, struct ab_run *run)
{
    char command[256], line[256];
    int min, mean, median, max, got = 0;
    double sd;
    FILE *p;

    snprintf(command, sizeof command,
             "timeout -k 5 %d ab -r -q -s %d -n %d -c %d "
             "http://127.0.0.1:%d/ 2>&1",
             4 * AB_TIMEOUT_S, AB_TIMEOUT_S, AB_REQUESTS, concurrency, port);
    p = popen(command, "r");
    if (p == NULL)
        return -1;
    run->complete = run->failed = run->connect_max_ms = -1;
    while (fgets(line, sizeof line, p) != NULL) {
        got += sscanf(line, "Complete requests: %d", &run->complete) == 1;
        got += sscanf(line, "Failed requests: %d", &run->failed) == 1;
        got += sscanf(line, "Requests per second: %lf", &run->per_second) == 1;
        if (sscanf(line, "Connect: %d %d %lf %d %d", &min, &mean, &sd, &median,
                   &max) == 5) {
            run->connect_max_ms = max;
            got++;
        }
    }
    return pclose(p) == 0 && got == 4 ? 0 : -1;
}

/* Starts the example (--loop-default when `loop_default`), runs ab at it
   and stops it; the figures in *run. */
static int serve_ab(const struct loop_example *e, int loop_default,
                    int concurrency, struct ab_run *run, char *why, size_t cap)
{
    char program[64], delay[16], address[64];
    char *argv[] = {program, "--port", "0", "--accept-delay-us",
                    delay,   NULL,     NULL};
    const char *stop;
    long long nstat_before, tcpq_before, tcpq_after;
    struct server s;
    const char *line, *colon;
    int recv_q;

    memset(run, 0, sizeof *run);
    run->policy = loop_default ? e->loop_default : "libtcpq";
    snprintf(program, sizeof program, "examples/%s", e->name);
    snprintf(delay, sizeof delay, "%d", ACCEPT_DELAY_US);
    if (loop_default)
        argv[5] = "--loop-default";
    TQ_REQUIRE(server_start(&s, argv) == 0, "starting %s: %s", program,
               strerror(errno));
    line = server_line(&s, "listening on", 5000);
    if (line == NULL || sscanf(line, "%*s listening on %63s backlog %d",
                               address, &run->backlog) != 2) {
        server_end(&s, 0, NULL);
        TQ_REQUIRE(0, "%s printed no start line: \"%s\"", program, s.text);
    }
    snprintf(run->output, sizeof run->output, "%.*s", (int)strcspn(line, "\n"),
             line);
    colon = strrchr(address, ':');
    nstat_before = tq_nstat("TcpExtListenOverflows");
    tcpq_listen_counters(&tcpq_before, NULL);
    if (colon == NULL ||
        tq_ss_listen(atoi(colon + 1), &recv_q, &run->send_q) != 0 ||
        run_ab(atoi(colon + 1), concurrency, run) != 0) {
        server_end(&s, 0, NULL);
        TQ_REQUIRE(0, "ab or ss at %s did not answer", address);
    }
    run->overflows_nstat = tq_nstat("TcpExtListenOverflows") - nstat_before;
    tcpq_listen_counters(&tcpq_after, NULL);
    run->overflows_tcpq = tcpq_after - tcpq_before;
    /* SIGTERM: ab may open a few connections more than -n and leave them
       unused, so --requests could stop the server before ab is done */
    run->exit_status = server_end(&s, 0, NULL);
    stop = strstr(s.text, "stopped after ");
    if (stop == NULL || sscanf(stop, "stopped after %d", &run->responses) != 1)
        run->responses = -1;
    return 0;
}

/* The lines a child prints go straight to the descriptor: its copy of
   stdout's buffer may still hold the parent's text (CK_FORK=no). */
static void print_run(const struct ab_run *run)
{
    dprintf(STDOUT_FILENO,
            "  %-17s backlog %4d: Complete requests %d, Failed requests %d, "
            "Requests per second %.2f, Connect max %d ms, ListenOverflows "
            "+%lld\n",
            run->policy, run->backlog, run->complete, run->failed,
            run->per_second, run->connect_max_ms, run->overflows_nstat);
}

/* ab needs a descriptor per connection in flight, and so does the server */
static int raise_nofile(rlim_t wanted)
{
    struct rlimit limit;

    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    if (limit.rlim_max < wanted)
        limit.rlim_max = wanted; /* root may raise it */
    limit.rlim_cur = wanted;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    return getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur >= wanted
               ? 0
               : -1;
}

static int ab_in_namespace(void *arg, char *why, size_t cap)
{
    const struct loop_example *e = arg;
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");
    int concurrency = 2 * e->default_backlog;
    struct ab_run policy, plain;

    TQ_REQUIRE(somaxconn > concurrency,
               "the namespace's somaxconn (%ld) must hold the burst (%d)",
               somaxconn, concurrency);
    TQ_REQUIRE(raise_nofile((rlim_t)(2 * concurrency + 64)) == 0,
               "RLIMIT_NOFILE cannot be raised to %d", 2 * concurrency + 64);
    if (serve_ab(e, 0, concurrency, &policy, why, cap) != 0 ||
        serve_ab(e, 1, concurrency, &plain, why, cap) != 0)
        return 1;
    dprintf(STDOUT_FILENO,
            "loops: %s, ab -n %d -c %d, accept delay %d us in both runs "
            "(without it no default overflowed here):\n",
            e->name, AB_REQUESTS, concurrency, ACCEPT_DELAY_US);
    print_run(&policy);
    print_run(&plain);

    TQ_REQUIRE(policy.backlog == somaxconn && policy.send_q == somaxconn,
               "libtcpq: backlog %d, ss Send-Q %d, not the namespace's "
               "maximum %ld (%s)",
               policy.backlog, policy.send_q, somaxconn, policy.output);
    TQ_REQUIRE(policy.complete == AB_REQUESTS && policy.failed == 0,
               "libtcpq: %d complete, %d failed", policy.complete,
               policy.failed);
    TQ_REQUIRE(policy.connect_max_ms < SLOW_CONNECT_MS,
               "libtcpq: a connect took %d ms: a SYN was dropped",
               policy.connect_max_ms);
    TQ_REQUIRE(policy.overflows_nstat == 0 && policy.overflows_tcpq == 0,
               "libtcpq: ListenOverflows +%lld (nstat), +%lld "
               "(tcpq_listen_counters)",
               policy.overflows_nstat, policy.overflows_tcpq);
    TQ_REQUIRE(policy.exit_status == 0 && policy.responses >= AB_REQUESTS,
               "libtcpq: after SIGTERM, exit status %d, %d responses",
               policy.exit_status, policy.responses);

    TQ_REQUIRE(plain.backlog == e->default_backlog &&
                   plain.send_q == e->default_backlog,
               "%s: backlog %d, ss Send-Q %d, not %d (%s)", plain.policy,
               plain.backlog, plain.send_q, e->default_backlog, plain.output);
    TQ_REQUIRE(plain.failed > 0 || plain.connect_max_ms >= 1000,
               "%s: no failure and no connect of 1 s or more: the queue "
               "never overflowed",
               plain.policy);
    TQ_REQUIRE(plain.overflows_nstat > 0 &&
                   plain.overflows_tcpq == plain.overflows_nstat,
               "%s: ListenOverflows +%lld (nstat), +%lld "
               "(tcpq_listen_counters)",
               plain.policy, plain.overflows_nstat, plain.overflows_tcpq);
    TQ_REQUIRE(plain.exit_status == 0 &&
                   plain.responses >= plain.complete - plain.failed,
               "%s: after SIGTERM, exit status %d, %d responses", plain.policy,
               plain.exit_status, plain.responses);
    return 0;
}

START_TEST(loop_example_under_ab_overflows_only_with_the_loop_default)
{
    tq_run_in_child(TQ_NS_NET, ab_in_namespace, (void *)&loop_examples[_i]);
}
END_TEST

/* ---- systemd socket activation ------------------------------------------- */

/* What the first connection's exchange came to. */
struct activation {
    int send_q_before, send_q_after; /* ss, before and after the example */
    int backlog_before, backlog;     /* as the example printed them */
    char name[TCPQ_FDNAME_MAX];
    char nonblocking[16];
    char answer[256];
    int exit_status, stopped_by_itself; /* --requests 1 */
    char output[512];
};

/* Connects (which starts the example), reads its start line and ss's
   Send-Q, then sends one request and reads the answer to its end. */
static int first_connection(struct server *s, struct activation *a, char *why,
                            size_t cap)
{
    static const char request[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    struct tcpq_options opt;
    struct tcpq_report rep;
    char port[16];
    const char *line;
    size_t got = 0;
    ssize_t n = 0;
    int fd, recv_q;

    memset(&opt, 0, sizeof opt);
    opt.mode = TCPQ_TIMEOUT;
    opt.timeout_ms = 10000;
    snprintf(port, sizeof port, "%d", ACTIVATION_PORT);
    fd = tcpq_connect("127.0.0.1", port, &opt, &rep);
    TQ_REQUIRE(fd >= 0, "connect: %s", rep.message);
    line = server_line(s, "listening on", 10000);
    TQ_REQUIRE(line != NULL &&
                   sscanf(strstr(line, "listening on"),
                          "listening on %*s backlog %d -> %d (fd %*d "
                          "\"%255[^\"]\", O_NONBLOCK %15[a-z])",
                          &a->backlog_before, &a->backlog, a->name,
                          a->nonblocking) == 4,
               "no start line from the activated example: \"%s\"", s->text);
    snprintf(a->output, sizeof a->output, "%.*s", (int)strcspn(line, "\n"),
             line);
    TQ_REQUIRE(tq_ss_listen(ACTIVATION_PORT, &recv_q, &a->send_q_after) == 0,
               "ss shows no listener once the example runs");
    TQ_REQUIRE(tcpq_send_all(fd, request, sizeof request - 1) >= 0, "send: %s",
               strerror(errno));
    while (got + 1 < sizeof a->answer &&
           (n = tcpq_recv(fd, a->answer + got, sizeof a->answer - 1 - got)) > 0)
        got += (size_t)n;
    a->answer[got] = '\0';
    close(fd);
    TQ_REQUIRE(n == 0, "reading the answer: %s",
               n < 0 ? strerror(errno) : "longer than expected");
    return 0;
}

static int activation_in_namespace(void *arg, char *why, size_t cap)
{
    const struct loop_example *e = arg;
    char listen_at[32], program[64], backlog[16];
    char *argv[] = {"systemd-socket-activate",
                    "-l",
                    listen_at,
                    "--fdname=web",
                    "--",
                    SHIM_PROGRAM,
                    program,
                    "--listen-fds",
                    "--backlog",
                    backlog,
                    "--requests",
                    "1",
                    NULL};
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");
    struct activation a;
    struct server s;
    int i, recv_q, rc;

    memset(&a, 0, sizeof a);
    a.send_q_before = -1;
    snprintf(listen_at, sizeof listen_at, "127.0.0.1:%d", ACTIVATION_PORT);
    snprintf(program, sizeof program, "examples/%s", e->name);
    snprintf(backlog, sizeof backlog, "%d", ACTIVATION_BACKLOG);
    TQ_REQUIRE(server_start(&s, argv) == 0, "starting %s: %s", argv[0],
               strerror(errno));
    /* it listens at once, and starts the program on the first connection */
    for (i = 0; i < 500 &&
                tq_ss_listen(ACTIVATION_PORT, &recv_q, &a.send_q_before) != 0;
         i++)
        tq_sleep_ms(10);
    TQ_REQUIRE(a.send_q_before >= 0, "systemd-socket-activate: \"%s\"", s.text);
    rc = first_connection(&s, &a, why, cap);
    a.exit_status = server_end(&s, 5000, &a.stopped_by_itself);
    if (rc != 0)
        return rc;
    dprintf(STDOUT_FILENO,
            "loops: systemd-socket-activate -l %s --fdname=web, a shim sets "
            "O_NONBLOCK, %s --listen-fds --backlog %d: ss Send-Q %d -> %d; "
            "\"%s\"; first request answered: %s; exit %d\n",
            listen_at, e->name, ACTIVATION_BACKLOG, a.send_q_before,
            a.send_q_after, a.output,
            strcmp(a.answer, HTTP_ANSWER) == 0 ? "yes" : "no", a.exit_status);

    TQ_REQUIRE(a.send_q_before == somaxconn,
               "systemd-socket-activate's backlog: ss Send-Q %d, not the "
               "namespace's maximum %ld",
               a.send_q_before, somaxconn);
    TQ_REQUIRE(a.backlog_before == a.send_q_before,
               "backlog_before %d, ss Send-Q before %d", a.backlog_before,
               a.send_q_before);
    TQ_REQUIRE(a.backlog == ACTIVATION_BACKLOG &&
                   a.send_q_after == ACTIVATION_BACKLOG,
               "backlog after tcpq_listen: printed %d, ss Send-Q %d, not %d",
               a.backlog, a.send_q_after, ACTIVATION_BACKLOG);
    TQ_REQUIRE(strcmp(a.nonblocking, "set") == 0,
               "TCPQ_MODE_KEEP lost the O_NONBLOCK the shim set (%s)",
               a.output);
    TQ_REQUIRE(strcmp(a.name, "web") == 0, "LISTEN_FDNAMES: \"%s\", not web",
               a.name);
    TQ_REQUIRE(strcmp(a.answer, HTTP_ANSWER) == 0,
               "the activating connection got \"%s\"", a.answer);
    TQ_REQUIRE(a.stopped_by_itself && a.exit_status == 0 &&
                   strstr(s.text, "stopped after 1 response\n") != NULL,
               "--requests 1: exit status %d, output \"%s\"", a.exit_status,
               s.text);
    return 0;
}

START_TEST(loop_example_serves_a_listener_from_systemd_socket_activate)
{
    tq_run_in_child(TQ_NS_NET, activation_in_namespace,
                    (void *)&loop_examples[_i]);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

static int command_found(const char *name)
{
    return tq_shell("command -v %s >/dev/null 2>&1", name) == 0;
}

/* The TCase `kind`_name for loop_examples[i], its name written to name;
   or NULL after a SKIP line naming the first thing missing. */
static TCase *example_case(Suite *s, char *name, size_t size, const char *kind,
                           size_t i, const char *tool, const char *package,
                           int timeout_s)
{
    char program[64], why[256] = "";
    TCase *tc;

    snprintf(program, sizeof program, "examples/%s", loop_examples[i].name);
    snprintf(name, size, "%s_%s", kind, loop_examples[i].name);
    if (!tq_caps.netns)
        snprintf(why, sizeof why,
                 "no private network namespace can be made here");
    else if (!tq_caps.have_ss)
        snprintf(why, sizeof why, "ss does not run (iproute2)");
    else if (access(program, X_OK) != 0)
        snprintf(why, sizeof why, "%s is not built (make examples; make deps)",
                 program);
    else if (access(SHIM_PROGRAM, X_OK) != 0)
        snprintf(why, sizeof why,
                 SHIM_PROGRAM " is not built (make check builds it)");
    else if (!command_found(tool))
        snprintf(why, sizeof why, "no %s (apt-get install %s, or: make deps)",
                 tool, package);
    tc = tq_tcase_if(s, name, why[0] == '\0', 1, why);
    if (tc != NULL)
        tcase_set_timeout(tc, timeout_s);
    return tc;
}

Suite *loops_suite(void)
{
    /* Check keeps the names' pointers */
    static char names[2][sizeof loop_examples / sizeof loop_examples[0]][64];
    Suite *s = suite_create("loops");
    size_t i;

    for (i = 0; i < sizeof loop_examples / sizeof loop_examples[0]; i++) {
        TCase *ab = example_case(s, names[0][i], sizeof names[0][i], "ab", i,
                                 "ab", "apache2-utils", 90);
        TCase *activation =
            example_case(s, names[1][i], sizeof names[1][i], "activation", i,
                         "systemd-socket-activate", "systemd", 30);

        if (ab != NULL)
            tcase_add_loop_test(
                ab, loop_example_under_ab_overflows_only_with_the_loop_default,
                (int)i, (int)i + 1);
        if (activation != NULL)
            tcase_add_loop_test(
                activation,
                loop_example_serves_a_listener_from_systemd_socket_activate,
                (int)i, (int)i + 1);
    }
    return s;
}
