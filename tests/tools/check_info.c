/* tcpq-info, the installed tool, run as a user runs it: --watch against ss(8)
   on a listener another process owns, --check's exit status and fix, the
   option defaults against /proc/sys, the what-if options against what the
   kernel holds on a socket of the test's own, and --json checked line by
   line by a strict JSON parser. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "../check_tcpq.h"

/* Relative to the repository root, where `make check` runs. */
#define INFO_PROGRAM "tools/tcpq-info/tcpq-info"
#define RUN_TIMEOUT_MS 20000
#define LISTENER_BACKLOG 8
#define LISTENER_CONNECTS 3

/* ---- running the program ------------------------------------------------- */

struct run_result {
    int status; /* exit status; -1: killed by a signal or timed out */
    int truncated;
    char out[32768];
    char err[4096];
};

/* Appends what fd has to buf; returns 0 at EOF, 1 while open. */
static int drain(int fd, char *buf, size_t cap, size_t *used, int *truncated)
{
    char scratch[4096];
    ssize_t n = read(fd, scratch, sizeof scratch);

    if (n < 0)
        return errno == EINTR || errno == EAGAIN ? 1 : 0;
    if (n == 0)
        return 0;
    if (*used + (size_t)n >= cap) {
        *truncated = 1;
        n = (ssize_t)(cap - 1 - *used);
    }
    memcpy(buf + *used, scratch, (size_t)n);
    *used += (size_t)n;
    buf[*used] = '\0';
    return 1;
}

/* Runs program (found on PATH unless it names a directory) with args
   (NULL-terminated, at most 14), stdin from input_fd (-1: /dev/null);
   collects stdout and stderr; at most RUN_TIMEOUT_MS. Returns 0, or -1
   with the reason in why when it could not be started; a program not
   found exits 127. No ck_assert, so that a child in a namespace can use
   it too. */
static int run_command(const char *program, const char *const args[],
                       int input_fd, struct run_result *r, char *why,
                       size_t cap)
{
    char *argv[16];
    int out_pipe[2], err_pipe[2];
    struct pollfd fds[2];
    size_t used[2] = {0, 0};
    double deadline;
    int i, status = 0, open_count = 2;
    pid_t pid;

    memset(r, 0, sizeof *r);
    r->status = -1;
    argv[0] = (char *)program;
    for (i = 0; args[i] != NULL && i < 14; i++)
        argv[i + 1] = (char *)args[i];
    argv[i + 1] = NULL;
    if (pipe2(out_pipe, O_CLOEXEC) != 0)
        goto failed;
    if (pipe2(err_pipe, O_CLOEXEC) != 0) {
        close(out_pipe[0]);
        close(out_pipe[1]);
        goto failed;
    }
    pid = fork();
    if (pid < 0) {
        for (i = 0; i < 2; i++) {
            close(out_pipe[i]);
            close(err_pipe[i]);
        }
        goto failed;
    }
    if (pid == 0) {
        int in_fd = input_fd >= 0 ? input_fd : open("/dev/null", O_RDONLY);
        if (in_fd >= 0)
            dup2(in_fd, 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        execvp(program, argv);
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    fds[0].fd = out_pipe[0];
    fds[1].fd = err_pipe[0];
    fds[0].events = fds[1].events = POLLIN;
    deadline = tq_now_ms() + RUN_TIMEOUT_MS;
    while (open_count > 0 && tq_now_ms() < deadline) {
        if (poll(fds, 2, (int)(deadline - tq_now_ms()) + 1) < 0 &&
            errno != EINTR)
            break;
        for (i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            if (!drain(fds[i].fd, i == 0 ? r->out : r->err,
                       i == 0 ? sizeof r->out : sizeof r->err, &used[i],
                       &r->truncated)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_count--;
            }
        }
    }
    for (i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    if (open_count > 0)
        kill(pid, SIGKILL); /* timed out */
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (open_count == 0 && WIFEXITED(status))
        r->status = WEXITSTATUS(status);
    return 0;
failed:
    snprintf(why, cap, "starting %s: %s", program, strerror(errno));
    return -1;
}

/* Runs INFO_PROGRAM with args, stdin from /dev/null, as run_command. */
static int run_program(const char *const args[], struct run_result *r,
                       char *why, size_t cap)
{
    if (access(INFO_PROGRAM, X_OK) != 0) {
        snprintf(why, cap, INFO_PROGRAM " is not built: run make tools");
        return -1;
    }
    return run_command(INFO_PROGRAM, args, -1, r, why, cap);
}

/* run_program in a test: failing the test when it cannot start. */
static void run_info(const char *const args[], struct run_result *r)
{
    char why[256];

    ck_assert_msg(run_program(args, r, why, sizeof why) == 0, "%s", why);
}

/* ---- a listener owned by another process ------------------------------- */

struct listener_child {
    pid_t pid;
    int control_fd; /* closing it tells the child to go */
    int port;
    int queued; /* accept-queue length the child measured (TCP_INFO) */
};

/* In the child: a listener on 127.0.0.1 with LISTENER_CONNECTS completed
   connections never accepted; reports "PORT QUEUED" and waits (at most
   30 s) until its control pipe closes or it is killed. */
static void listener_child_body(int report_fd, int control_fd)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    struct pollfd control;
    int clients[LISTENER_CONNECTS];
    char line[64];
    int fd, queued;

    memset(&opt, 0, sizeof opt);
    opt.backlog = LISTENER_BACKLOG;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    if (fd < 0)
        _exit(1);
    queued = tq_burst(fd, LISTENER_CONNECTS, clients);
    snprintf(line, sizeof line, "%d %d\n", tq_port_of(fd), queued);
    if (write(report_fd, line, strlen(line)) < 0)
        _exit(1);
    close(report_fd);
    control.fd = control_fd;
    control.events = POLLIN;
    poll(&control, 1, 30000);
    _exit(0);
}

static void start_listener_child(struct listener_child *lc)
{
    int report[2], control[2];
    struct pollfd ready;
    char line[64] = "";
    ssize_t n = -1;

    ck_assert_int_eq(pipe2(report, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(control, O_CLOEXEC), 0);
    lc->pid = fork();
    ck_assert_int_ge(lc->pid, 0);
    if (lc->pid == 0) {
        close(report[0]);
        close(control[1]);
        listener_child_body(report[1], control[0]);
    }
    close(report[1]);
    close(control[0]);
    lc->control_fd = control[1];
    ready.fd = report[0];
    ready.events = POLLIN;
    if (poll(&ready, 1, 10000) == 1)
        n = read(report[0], line, sizeof line - 1);
    close(report[0]);
    if (n > 0)
        line[n] = '\0';
    ck_assert_msg(n > 0 && sscanf(line, "%d %d", &lc->port, &lc->queued) == 2,
                  "the listener child did not start");
    ck_assert_msg(lc->queued == LISTENER_CONNECTS,
                  "the child's accept queue holds %d, want %d", lc->queued,
                  LISTENER_CONNECTS);
}

static void stop_listener_child(struct listener_child *lc)
{
    close(lc->control_fd);
    kill(lc->pid, SIGKILL);
    while (waitpid(lc->pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* ---- a strict JSON parser (RFC 8259), used only to validate ------------ */

struct json_cursor {
    const char *p;
    int depth;
};

static int json_value(struct json_cursor *c);

static void json_space(struct json_cursor *c)
{
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
        c->p++;
}

static int json_string(struct json_cursor *c)
{
    int i;

    if (*c->p != '"')
        return 0;
    c->p++;
    while (*c->p != '"') {
        if ((unsigned char)*c->p < 0x20) /* also the end of the text */
            return 0;
        if (*c->p++ != '\\')
            continue;
        if (*c->p == 'u') {
            for (i = 1; i <= 4; i++)
                if (strchr("0123456789abcdefABCDEF", c->p[i]) == NULL ||
                    c->p[i] == '\0')
                    return 0;
            c->p += 5;
        } else if (*c->p != '\0' && strchr("\"\\/bfnrt", *c->p) != NULL) {
            c->p++;
        } else {
            return 0;
        }
    }
    c->p++;
    return 1;
}

static int json_digits(struct json_cursor *c)
{
    const char *start = c->p;

    while (*c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > start;
}

static int json_number(struct json_cursor *c)
{
    if (*c->p == '-')
        c->p++;
    if (*c->p == '0')
        c->p++; /* no leading zeros */
    else if (!json_digits(c))
        return 0;
    if (*c->p == '.') {
        c->p++;
        if (!json_digits(c))
            return 0;
    }
    if (*c->p == 'e' || *c->p == 'E') {
        c->p++;
        if (*c->p == '+' || *c->p == '-')
            c->p++;
        if (!json_digits(c))
            return 0;
    }
    return 1;
}

/* '{' members '}' or '[' elements ']'; close is '}' or ']'. */
static int json_container(struct json_cursor *c, char close)
{
    if (++c->depth > 64)
        return 0;
    c->p++;
    json_space(c);
    if (*c->p != close) {
        for (;;) {
            if (close == '}') {
                if (!json_string(c))
                    return 0;
                json_space(c);
                if (*c->p != ':')
                    return 0;
                c->p++;
            }
            if (!json_value(c))
                return 0;
            json_space(c);
            if (*c->p != ',')
                break;
            c->p++;
        }
    }
    if (*c->p != close)
        return 0;
    c->p++;
    c->depth--;
    return 1;
}

static int json_value(struct json_cursor *c)
{
    static const char *const literals[] = {"true", "false", "null"};
    size_t i;

    json_space(c);
    if (*c->p == '{')
        return json_container(c, '}');
    if (*c->p == '[')
        return json_container(c, ']');
    if (*c->p == '"')
        return json_string(c);
    if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
        return json_number(c);
    for (i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        size_t n = strlen(literals[i]);
        if (strncmp(c->p, literals[i], n) == 0) {
            c->p += n;
            return 1;
        }
    }
    return 0;
}

/* 1 when line is exactly one JSON object (and blanks around it). */
static int json_object_line(const char *line)
{
    struct json_cursor c;

    c.p = line;
    c.depth = 0;
    json_space(&c);
    if (*c.p != '{' || !json_value(&c))
        return 0;
    json_space(&c);
    return *c.p == '\0';
}

/* A top-level number field of a flat object: "key":NUMBER. */
static int json_number_field(const char *line, const char *key,
                             long long *value)
{
    char pattern[64];
    const char *at;
    char *end;

    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    at = strstr(line, pattern);
    if (at == NULL)
        return -1;
    *value = strtoll(at + strlen(pattern), &end, 10);
    return end == at + strlen(pattern) ? -1 : 0;
}

/* The second witness: python3's own parser, where python3 runs. */
static int python_accepts(const char *line)
{
    FILE *p = popen("python3 -m json.tool >/dev/null 2>&1", "w");

    if (p == NULL)
        return 0;
    fputs(line, p);
    return pclose(p) == 0;
}

static int have_python3(void)
{
    return system("command -v python3 >/dev/null 2>&1") == 0;
}

/* Splits text into lines in place; returns how many (at most max). */
static int split_lines(char *text, char *lines[], int max)
{
    int count = 0;
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);

    while (line != NULL && count < max) {
        lines[count++] = line;
        line = strtok_r(NULL, "\n", &save);
    }
    return count;
}

/* 1 when some line of text is exactly `wanted` after its leading blanks. */
static int has_line(const char *text, const char *wanted)
{
    const size_t length = strlen(wanted);
    const char *line = text;

    while (*line != '\0') {
        const char *start = line + strspn(line, " \t");
        const char *end = strchr(line, '\n');

        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - start) == length &&
            strncmp(start, wanted, length) == 0)
            return 1;
        line = *end == '\n' ? end + 1 : end;
    }
    return 0;
}

/* 1 when some line of text is `label`, blanks, then `value`: the whole
   rest of the line, or (prefix set) its start, up to a blank. */
static int has_row(const char *text, const char *label, const char *value,
                   int prefix)
{
    const size_t label_length = strlen(label);
    const size_t value_length = strlen(value);
    const char *line = text;

    while (*line != '\0') {
        const char *start = line + strspn(line, " \t");
        const char *end = strchr(line, '\n');
        const char *rest;

        if (end == NULL)
            end = line + strlen(line);
        rest = start + label_length;
        if (rest < end && strncmp(start, label, label_length) == 0 &&
            *rest == ' ') {
            rest += strspn(rest, " ");
            if ((size_t)(end - rest) >= value_length &&
                strncmp(rest, value, value_length) == 0 &&
                (rest + value_length == end ||
                 (prefix && rest[value_length] == ' ')))
                return 1;
        }
        line = *end == '\n' ? end + 1 : end;
    }
    return 0;
}

/* The first line of text, read as a file is: without its newline. */
static int read_line(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    int ok = f != NULL && fgets(out, (int)size, f) != NULL;

    if (f != NULL)
        fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = '\0';
    return ok ? 0 : -1;
}

/* /proc/net/netstat TcpExt ListenOverflows, read here, not by libtcpq. */
static long long netstat_listen_overflows(void)
{
    static char names[8192], values[8192];
    FILE *f = fopen("/proc/net/netstat", "r");
    char *name_save = NULL, *value_save = NULL, *name, *value;
    long long result = -1;

    if (f == NULL)
        return -1;
    while (fgets(names, sizeof names, f) != NULL &&
           fgets(values, sizeof values, f) != NULL) {
        if (strncmp(names, "TcpExt:", 7) != 0)
            continue;
        name = strtok_r(names, " \n", &name_save);
        value = strtok_r(values, " \n", &value_save);
        while (name != NULL && value != NULL) {
            if (strcmp(name, "ListenOverflows") == 0)
                result = strtoll(value, NULL, 10);
            name = strtok_r(NULL, " \n", &name_save);
            value = strtok_r(NULL, " \n", &value_save);
        }
    }
    fclose(f);
    return result;
}

/* ---- --watch --------------------------------------------------------------
 */

START_TEST(watch_shows_the_queue_ss_shows_for_a_listener_of_another_process)
{
    struct listener_child lc;
    struct run_result r;
    char port[16], address[32], bar[64], overflows[32];
    const char *args[] = {"--watch", port, "--count", "1", NULL};
    int recv_q = -1, send_q = -1, ss_status, len = -1, limit = -1, i;
    int hashes = 0;
    const char *line;

    start_listener_child(&lc);
    snprintf(port, sizeof port, "%d", lc.port);
    run_info(args, &r);
    ss_status = tq_ss_listen(lc.port, &recv_q, &send_q);
    stop_listener_child(&lc);

    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_int_eq(ss_status, 0);
    snprintf(address, sizeof address, "127.0.0.1:%d ", lc.port);
    line = strstr(r.out, address);
    ck_assert_msg(line != NULL, "no line for %s in:\n%s", address, r.out);
    ck_assert_msg(sscanf(line + strlen(address), " %d/%d %63s %31s", &len,
                         &limit, bar, overflows) == 4,
                  "unreadable line: %s", line);
    /* measured independently: ss reads the same kernel socket */
    ck_assert_int_eq(len, recv_q);
    ck_assert_int_eq(limit, send_q);
    ck_assert_int_eq(recv_q, LISTENER_CONNECTS);
    ck_assert_int_eq(send_q, LISTENER_BACKLOG);
    /* a 20-wide bar, as full as the queue (rounded up) */
    ck_assert_int_eq((int)strlen(bar), 22);
    for (i = 0; bar[i] != '\0'; i++)
        hashes += bar[i] == '#';
    ck_assert_int_eq(hashes, (recv_q * 20 + send_q - 1) / send_q);
    ck_assert_str_eq(overflows, "+0"); /* the first sample is the baseline */
}
END_TEST

START_TEST(watch_json_gives_the_queue_ss_shows_and_the_host_counters)
{
    struct listener_child lc;
    struct run_result r;
    char port[16], address[64], *lines[16];
    const char *args[] = {"--json", "--watch", port, "--count", "1", NULL};
    long long queue_len = -1, queue_limit = -1, delta = -1, overflows = -1;
    long long listen_port = -1;
    long long before, after;
    int recv_q = -1, send_q = -1, ss_status, count, i, found = -1;

    start_listener_child(&lc);
    snprintf(port, sizeof port, "%d", lc.port);
    before = netstat_listen_overflows();
    run_info(args, &r);
    after = netstat_listen_overflows();
    ss_status = tq_ss_listen(lc.port, &recv_q, &send_q);
    stop_listener_child(&lc);

    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_int_eq(ss_status, 0);
    snprintf(address, sizeof address, "\"address\":\"127.0.0.1:%d\"", lc.port);
    count = split_lines(r.out, lines, 16);
    for (i = 0; i < count; i++) {
        ck_assert_msg(json_object_line(lines[i]), "not JSON: %s", lines[i]);
        if (strstr(lines[i], address) != NULL)
            found = i;
    }
    ck_assert_msg(found >= 0, "no object for %s in:\n%s", address, r.out);
    ck_assert_ptr_nonnull(strstr(lines[found], "\"type\":\"watch\""));
    ck_assert_int_eq(json_number_field(lines[found], "queue_len", &queue_len),
                     0);
    ck_assert_int_eq(
        json_number_field(lines[found], "queue_limit", &queue_limit), 0);
    ck_assert_int_eq(json_number_field(lines[found], "port", &listen_port), 0);
    ck_assert_int_eq(
        json_number_field(lines[found], "listen_overflows_delta", &delta), 0);
    ck_assert_int_eq(
        json_number_field(lines[found], "listen_overflows", &overflows), 0);
    ck_assert_int_eq(queue_len, recv_q);
    ck_assert_int_eq(queue_limit, send_q);
    ck_assert_int_eq(listen_port, lc.port);
    ck_assert_int_eq(delta, 0);
    ck_assert_msg(before >= 0 && before <= overflows && overflows <= after,
                  "ListenOverflows %lld, /proc/net/netstat said %lld then "
                  "%lld",
                  overflows, before, after);
}
END_TEST

START_TEST(watch_without_listener_exits_1_and_says_why_on_stderr)
{
    struct run_result r;
    char port[16];
    const char *args[] = {"--watch", port, "--count", "1", NULL};
    const char *json_args[] = {"--json", "--watch", port, "--count", "1", NULL};
    /* a port held bound but not listening, so nobody listens on it */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;

    ck_assert_int_ge(fd, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    snprintf(port, sizeof port, "%d", tq_port_of(fd));

    run_info(args, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, port) != NULL &&
                      strstr(r.err, "no TCP listener") != NULL,
                  "stderr does not say why: '%s'", r.err);
    run_info(json_args, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, ""); /* nothing but JSON on stdout */
    ck_assert_ptr_nonnull(strstr(r.err, "no TCP listener"));
    close(fd);
}
END_TEST

/* ---- --check ---------------------------------------------------------- */

START_TEST(check_exits_3_and_prints_the_fix_when_the_backlog_is_clamped)
{
    struct run_result r;
    const char *args[] = {"--backlog", "100000", "--check", NULL};
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");

    ck_assert_int_gt(somaxconn, 0);
    run_info(args, &r);
    if (somaxconn >= 100000) {
        /* this host allows the backlog: nothing to clamp, nothing to fix */
        ck_assert_int_eq(r.status, 0);
        return;
    }
    ck_assert_msg(r.status == 3, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "sysctl -w net.core.somaxconn=100000"));
    /* and --check gives it a line of its own, ready to copy */
    ck_assert_msg(has_line(r.out, "sysctl -w net.core.somaxconn=100000"),
                  "no line that is just the fix in:\n%s", r.out);
}
END_TEST

/* Above the kernel's hard buffer cap the fix raises rmem_max only to that
   cap: a larger figure would lift nothing. */
START_TEST(check_never_advises_past_the_hard_buffer_cap)
{
    struct run_result r;
    const char *args[] = {"--rcvbuf", "2147483647", "--check", NULL};
    long rmem_max = tq_read_long("/proc/sys/net/core/rmem_max");

    run_info(args, &r);
    ck_assert_msg(r.status == 3, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "rmem_max=2147483647") == NULL,
                  "advice past the hard cap:\n%s", r.out);
    if (rmem_max < 1073741823)
        ck_assert_msg(has_line(r.out, "sysctl -w net.core.rmem_max=1073741823"),
                      "no fix up to the hard cap in:\n%s", r.out);
    ck_assert_msg(strstr(r.out, "hard limit") != NULL,
                  "the hard limit is not named:\n%s", r.out);
}
END_TEST

/* Three clamps overflow the report's 256-byte message, which is then cut:
   each clamp still gets its fix, from the report's figures. */
START_TEST(check_gives_every_fix_when_the_message_is_cut)
{
    struct run_result r;
    const char *args[] = {"--backlog", "100000",     "--rcvbuf", "2147483647",
                          "--sndbuf",  "2147483647", "--check",  NULL};
    const char *json_args[] = {"--json",     "--backlog",  "100000",
                               "--rcvbuf",   "2147483647", "--sndbuf",
                               "2147483647", "--check",    NULL};
    const struct {
        const char *sysctl;
        long below; /* the fix is given while the limit is below this */
        const char *fix;
    } limits[] = {
        {"/proc/sys/net/core/somaxconn", 100000,
         "sysctl -w net.core.somaxconn=100000"},
        {"/proc/sys/net/core/rmem_max", 1073741823,
         "sysctl -w net.core.rmem_max=1073741823"},
        {"/proc/sys/net/core/wmem_max", 1073741823,
         "sysctl -w net.core.wmem_max=1073741823"},
    };
    char fix_member[96];
    size_t i;

    run_info(args, &r);
    ck_assert_msg(r.status == 3, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "...\n") != NULL,
                  "the message was not cut, so this proves nothing:\n%s",
                  r.out);
    for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (tq_read_long(limits[i].sysctl) >= limits[i].below)
            continue;
        ck_assert_msg(has_line(r.out, limits[i].fix), "no line '%s' in:\n%s",
                      limits[i].fix, r.out);
    }
    run_info(json_args, &r);
    ck_assert_msg(r.status == 3, "exit status %d, stderr: %s", r.status, r.err);
    for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        if (tq_read_long(limits[i].sysctl) >= limits[i].below)
            continue;
        snprintf(fix_member, sizeof fix_member, "\"fix\":\"%s\"",
                 limits[i].fix);
        ck_assert_msg(strstr(r.out, fix_member) != NULL, "no %s in:\n%s",
                      fix_member, r.out);
    }
}
END_TEST

START_TEST(check_exits_0_when_nothing_is_clamped)
{
    struct run_result r;
    const char *args[] = {"--backlog", "100", "--check", NULL};
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");

    run_info(args, &r);
    ck_assert_msg(r.status == (somaxconn >= 100 ? 0 : 3),
                  "exit status %d (somaxconn %ld), stderr: %s", r.status,
                  somaxconn, r.err);
    if (somaxconn >= 100)
        ck_assert_ptr_null(strstr(r.out, "sysctl -w"));
}
END_TEST

/* ---- the defaults of the per-socket options ----------------------------- */

/* The option defaults the limits show, each a file of /proc/sys/net/ipv4. */
static const char *const option_sysctls[] = {
    "tcp_keepalive_time", "tcp_keepalive_intvl", "tcp_keepalive_probes",
    "tcp_fastopen",       "tcp_notsent_lowat",
};

/* The limits as text and JSON show what /proc/sys holds for each option
   default, where they say they read it; a figure past an int (the
   default tcp_notsent_lowat, 4294967295) as n/a and -1. Returns 0, or 1
   with why. */
static int limits_match_proc_sys(char *why, size_t cap)
{
    static struct run_result text, json;
    const char *const text_args[] = {NULL};
    const char *const json_args[] = {"--json", NULL};
    char path[96], member[160], expected[32], congestion[32];
    long long shown;
    size_t i;

    if (run_program(text_args, &text, why, cap) != 0)
        return 1;
    if (run_program(json_args, &json, why, cap) != 0)
        return 1;
    TQ_REQUIRE(text.status == 0 && json.status == 0,
               "exit status %d and %d, stderr: %s%s", text.status, json.status,
               text.err, json.err);
    for (i = 0; i < sizeof option_sysctls / sizeof option_sysctls[0]; i++) {
        long long value;

        snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s", option_sysctls[i]);
        TQ_REQUIRE(read_line(path, expected, sizeof expected) == 0 &&
                       sscanf(expected, "%lld", &value) == 1,
                   "cannot read %s", path);
        if (value > INT_MAX)
            value = -1;
        TQ_REQUIRE(json_number_field(json.out, option_sysctls[i], &shown) ==
                           0 &&
                       shown == value,
                   "%s: JSON shows %lld, %s holds %lld", option_sysctls[i],
                   shown, path, value);
        snprintf(member, sizeof member, "\"%s\":\"%s\"", option_sysctls[i],
                 path);
        TQ_REQUIRE(strstr(json.out, member) != NULL, "no source %s in:\n%s",
                   member, json.out);
        if (value < 0)
            snprintf(expected, sizeof expected, "n/a");
        else
            snprintf(expected, sizeof expected, "%lld", value);
        TQ_REQUIRE(has_row(text.out, option_sysctls[i], expected, 1),
                   "no row '%s %s' in:\n%s", option_sysctls[i], expected,
                   text.out);
        TQ_REQUIRE(strstr(text.out, path) != NULL, "no source %s in:\n%s", path,
                   text.out);
    }
    TQ_REQUIRE(read_line("/proc/sys/net/ipv4/tcp_congestion_control",
                         congestion, sizeof congestion) == 0,
               "cannot read tcp_congestion_control");
    snprintf(member, sizeof member, "\"tcp_congestion_control\":\"%s\"",
             congestion);
    TQ_REQUIRE(strstr(json.out, member) != NULL, "no %s in:\n%s", member,
               json.out);
    TQ_REQUIRE(has_row(text.out, "tcp_congestion_control", congestion, 1),
               "no row 'tcp_congestion_control %s' in:\n%s", congestion,
               text.out);
    return 0;
}

START_TEST(limits_show_the_option_defaults_proc_sys_holds)
{
    char why[512] = "";

    ck_assert_msg(limits_match_proc_sys(why, sizeof why) == 0, "%s", why);
}
END_TEST

/* Other figures, set in a network namespace of its own, so that no
   constant can pass for the host's: the rows follow the kernel. */
static int limits_follow_the_namespace(void *arg, char *why, size_t cap)
{
    static const struct {
        const char *sysctl, *value;
    } settings[] = {
        {"tcp_keepalive_time", "1234"},  {"tcp_keepalive_intvl", "56"},
        {"tcp_keepalive_probes", "7"},   {"tcp_fastopen", "515"}, /* 0x203 */
        {"tcp_notsent_lowat", "131072"}, {"tcp_congestion_control", "reno"},
    };
    static struct run_result text;
    const char *const no_args[] = {NULL};
    char path[96];
    size_t i;

    (void)arg;
    for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        snprintf(path, sizeof path, "/proc/sys/net/ipv4/%s",
                 settings[i].sysctl);
        TQ_REQUIRE(tq_write_file(path, settings[i].value) == 0, "cannot set %s",
                   path);
    }
    if (limits_match_proc_sys(why, cap) != 0)
        return 1;
    if (run_program(no_args, &text, why, cap) != 0)
        return 1;
    /* and what the figures mean */
    TQ_REQUIRE(has_row(text.out, "tcp_fastopen",
                       "515 (client 0x1, server 0x2, server without cookie "
                       "0x200)",
                       1),
               "tcp_fastopen's bits not named:\n%s", text.out);
    TQ_REQUIRE(has_row(text.out, "tcp_notsent_lowat", "131072 (128 KiB)", 1),
               "tcp_notsent_lowat not in bytes:\n%s", text.out);
    TQ_REQUIRE(has_row(text.out, "tcp_keepalive_time",
                       "1234 (s idle before the first probe)", 1),
               "tcp_keepalive_time's meaning not said:\n%s", text.out);
    return 0;
}

START_TEST(limits_follow_the_option_sysctls_of_a_namespace)
{
    tq_run_in_child(TQ_NS_NET, limits_follow_the_namespace, NULL);
}
END_TEST

/* ---- what-if options ------------------------------------------------------
 */

/* What the kernel holds when a listener on loopback is given this TCP
   option: the independent witness of what the tool shows. -1 on failure. */
static int kernel_holds(int name, int value)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin;
    int held = -1;

    if (fd < 0)
        return -1;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
        listen(fd, 8) == 0 &&
        setsockopt(fd, IPPROTO_TCP, name, &value, sizeof value) == 0)
        held = tq_getsockopt_int(fd, IPPROTO_TCP, name);
    close(fd);
    return held;
}

/* The "request" object of a --json run's output, a line of its own and
   valid JSON, copied out; NULL when there is none. */
static const char *request_object(const char *out)
{
    static char line[8192];
    const char *at = strstr(out, "{\"type\":\"request\"");
    size_t length;

    if (at == NULL)
        return NULL;
    length = strcspn(at, "\n");
    if (length >= sizeof line)
        return NULL;
    memcpy(line, at, length);
    line[length] = '\0';
    return json_object_line(line) ? line : NULL;
}

START_TEST(keepalive_30_5_4_is_read_back_as_the_kernel_holds_it)
{
    struct run_result r;
    const char *args[] = {"--keepalive", "30:5:4", NULL};
    const char *json_args[] = {"--json", "--keepalive", "30:5:4", NULL};
    const struct {
        const char *label, *member;
        int name, value;
        const char *unit;
    } parts[] = {
        {"keepalive idle", "keepalive_idle_s", TCP_KEEPIDLE, 30, " s"},
        {"keepalive interval", "keepalive_intvl_s", TCP_KEEPINTVL, 5, " s"},
        {"keepalive probes", "keepalive_cnt", TCP_KEEPCNT, 4, ""},
    };
    const char *request;
    char row[64];
    long long shown;
    size_t i;

    run_info(args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        int held = kernel_holds(parts[i].name, parts[i].value);

        ck_assert_int_eq(held, parts[i].value);
        snprintf(row, sizeof row, "requested %d%s, held %d%s", parts[i].value,
                 parts[i].unit, held, parts[i].unit);
        ck_assert_msg(has_row(r.out, parts[i].label, row, 0),
                      "no row '%s %s' in:\n%s", parts[i].label, row, r.out);
    }
    ck_assert_msg(has_row(r.out, "warnings", "none", 0), "warnings in:\n%s",
                  r.out);
    run_info(json_args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    request = request_object(r.out);
    ck_assert_msg(request != NULL, "no request object in:\n%s", r.out);
    for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        ck_assert_int_eq(json_number_field(request, parts[i].member, &shown),
                         0);
        ck_assert_int_eq(shown, parts[i].value);
    }
    /* what was not asked for is not measured */
    ck_assert_int_eq(json_number_field(request, "user_timeout_ms", &shown), 0);
    ck_assert_int_eq(shown, -1);
    ck_assert_ptr_nonnull(strstr(request, "\"congestion\":\"\""));
}
END_TEST

START_TEST(user_timeout_and_notsent_lowat_are_read_back)
{
    struct run_result r;
    const char *args[] = {"--user-timeout", "1500", "--notsent-lowat", "16k",
                          NULL};
    char row[96];
    int timeout = kernel_holds(TCP_USER_TIMEOUT, 1500);
    int lowat = kernel_holds(TCP_NOTSENT_LOWAT, 16384);

    run_info(args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    snprintf(row, sizeof row, "requested 1500 ms, held %d ms", timeout);
    ck_assert_msg(has_row(r.out, "user timeout", row, 0), "no '%s' in:\n%s",
                  row, r.out);
    ck_assert_int_eq(lowat, 16384);
    ck_assert_msg(has_row(r.out, "notsent lowat",
                          "requested 16384 (16 KiB), held 16384 (16 KiB)", 0),
                  "no notsent lowat row in:\n%s", r.out);
}
END_TEST

/* 5 s is held as the kernel's next retransmission step: shown as held,
   warned, and under --check noted but not counted (no command changes
   it). */
START_TEST(defer_accept_is_shown_as_held_with_the_rounded_warning)
{
    struct run_result r;
    const char *args[] = {"--defer-accept", "5", "--check", NULL};
    const char *json_args[] = {"--json", "--defer-accept", "5", "--check",
                               NULL};
    const int held = kernel_holds(TCP_DEFER_ACCEPT, 5);
    const char *request;
    char row[64];
    long long shown;

    ck_assert_msg(held > 5, "the kernel holds 5 s as %d: nothing to round",
                  held);
    run_info(args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    snprintf(row, sizeof row, "requested 5 s, held %d s", held);
    ck_assert_msg(has_row(r.out, "defer accept", row, 0), "no '%s' in:\n%s",
                  row, r.out);
    ck_assert_msg(has_row(r.out, "warnings", "TCPQ_WARN_ROUNDED", 0),
                  "no ROUNDED warning in:\n%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "Check: nothing would be clamped"));
    snprintf(row, sizeof row, "not counted: defer accept 5 s is held as %d s",
             held);
    ck_assert_msg(strstr(r.out, row) != NULL, "no '%s' in:\n%s", row, r.out);

    run_info(json_args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    request = request_object(r.out);
    ck_assert_msg(request != NULL, "no request object in:\n%s", r.out);
    ck_assert_int_eq(json_number_field(request, "defer_accept_s", &shown), 0);
    ck_assert_int_eq(shown, held);
    ck_assert_ptr_nonnull(
        strstr(request, "\"warnings\":[\"TCPQ_WARN_ROUNDED\"]"));
    ck_assert_ptr_nonnull(
        strstr(request, "\"fixes\":{\"TCPQ_WARN_ROUNDED\":\"\"}"));
    ck_assert_ptr_nonnull(strstr(request, "\"clamped\":false,\"clamps\":[]"));
}
END_TEST

START_TEST(congestion_reno_is_granted)
{
    struct run_result r;
    const char *args[] = {"--congestion", "reno", NULL};
    const char *json_args[] = {"--json", "--congestion", "reno", NULL};
    const char *request;

    run_info(args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_msg(
        has_row(r.out, "congestion control", "requested reno, granted reno", 0),
        "no congestion row in:\n%s", r.out);
    run_info(json_args, &r);
    ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    request = request_object(r.out);
    ck_assert_msg(request != NULL, "no request object in:\n%s", r.out);
    ck_assert_ptr_nonnull(strstr(request, "\"congestion\":\"reno\""));
}
END_TEST

/* A name the kernel lacks: the library refuses it, and its message, with
   the allowed list, is what the tool says; nothing but JSON on stdout. */
START_TEST(an_unknown_congestion_exits_1_with_the_allowed_list)
{
    struct run_result r;
    const char *args[] = {"--congestion", "nosuchcc", NULL};
    const char *json_args[] = {"--json", "--congestion", "nosuchcc", "--check",
                               NULL};
    char allowed[256], quoted[272], *lines[8];

    ck_assert_int_eq(
        read_line("/proc/sys/net/ipv4/tcp_allowed_congestion_control", allowed,
                  sizeof allowed),
        0);
    snprintf(quoted, sizeof quoted, "\"%s\"", allowed);
    run_info(args, &r);
    ck_assert_msg(r.status == 1, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "nosuchcc") != NULL &&
                      strstr(r.err, quoted) != NULL,
                  "stderr does not name the allowed %s: '%s'", quoted, r.err);
    ck_assert_ptr_null(strstr(r.out, "Your request"));
    run_info(json_args, &r);
    ck_assert_msg(r.status == 1, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.err, quoted));
    ck_assert_int_eq(split_lines(r.out, lines, 8), 1); /* the limits alone */
    ck_assert(json_object_line(lines[0]));
}
END_TEST

/* Past the kernel's maximum (32767 s): the library's refusal, exit 1. */
START_TEST(a_keepalive_past_the_kernel_maximum_exits_1_with_the_reason)
{
    struct run_result r;
    const char *args[] = {"--keepalive", "40000:5:4", NULL};

    run_info(args, &r);
    ck_assert_msg(r.status == 1, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "keepalive_idle_s 40000") != NULL &&
                      strstr(r.err, "32767") != NULL,
                  "stderr does not say why: '%s'", r.err);
}
END_TEST

/* In a network namespace, each way of net.ipv4.tcp_fastopen: without the
   server bit the queue is held but refused data, which --check counts,
   with the fix on a line of its own; with it, nothing to say. */
static int fastopen_both_ways(void *arg, char *why, size_t cap)
{
    static struct run_result r;
    const char *const args[] = {"--fastopen", "16", "--check", NULL};
    const char *const json_args[] = {"--json", "--fastopen", "16", "--check",
                                     NULL};
    const char *fix = "sysctl -w net.ipv4.tcp_fastopen=3";

    (void)arg;
    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_fastopen", "1") == 0,
               "cannot set tcp_fastopen");
    if (run_program(args, &r, why, cap) != 0)
        return 1;
    TQ_REQUIRE(r.status == 3, "server bit off: exit status %d, stderr: %s",
               r.status, r.err);
    TQ_REQUIRE(has_row(r.out, "fast open queue", "requested 16, held 16", 0),
               "no fast open row in:\n%s", r.out);
    TQ_REQUIRE(has_row(r.out, "warnings",
                       "TCPQ_WARN_FASTOPEN_OFF; fix: sysctl -w "
                       "net.ipv4.tcp_fastopen=3",
                       0),
               "no warning with its fix in:\n%s", r.out);
    TQ_REQUIRE(has_line(r.out, fix), "no line '%s' in:\n%s", fix, r.out);
    if (run_program(json_args, &r, why, cap) != 0)
        return 1;
    TQ_REQUIRE(r.status == 3, "--json: exit status %d", r.status);
    TQ_REQUIRE(strstr(r.out, "\"fastopen_qlen\":16") != NULL &&
                   strstr(r.out, "\"clamped\":true") != NULL &&
                   strstr(r.out, "\"fix\":\"sysctl -w "
                                 "net.ipv4.tcp_fastopen=3\"") != NULL &&
                   strstr(r.out, "\"TCPQ_WARN_FASTOPEN_OFF\":\"sysctl -w "
                                 "net.ipv4.tcp_fastopen=3\"") != NULL,
               "the JSON lacks the refusal or its fix:\n%s", r.out);

    TQ_REQUIRE(tq_write_file("/proc/sys/net/ipv4/tcp_fastopen", "3") == 0,
               "cannot set tcp_fastopen");
    if (run_program(args, &r, why, cap) != 0)
        return 1;
    TQ_REQUIRE(r.status == 0, "server bit on: exit status %d, stderr: %s",
               r.status, r.err);
    TQ_REQUIRE(has_row(r.out, "fast open queue", "requested 16, held 16", 0) &&
                   has_row(r.out, "warnings", "none", 0) &&
                   strstr(r.out, "tcp_fastopen=3") == NULL,
               "server bit on, yet:\n%s", r.out);
    return 0;
}

START_TEST(fastopen_without_the_server_bit_is_a_finding_with_its_fix)
{
    tq_run_in_child(TQ_NS_NET, fastopen_both_ways, NULL);
}
END_TEST

/* The same on this host, as it is set. */
START_TEST(fastopen_16_on_this_host)
{
    struct run_result r;
    const char *args[] = {"--fastopen", "16", "--check", NULL};
    long fastopen = tq_read_long("/proc/sys/net/ipv4/tcp_fastopen");
    char row[64];

    ck_assert_int_ge(fastopen, 0);
    run_info(args, &r);
    snprintf(row, sizeof row, "requested 16, held %d",
             kernel_holds(TCP_FASTOPEN, 16));
    ck_assert_msg(has_row(r.out, "fast open queue", row, 0), "no '%s' in:\n%s",
                  row, r.out);
    if (fastopen & 0x2) {
        ck_assert_msg(r.status == 0, "exit status %d, stderr: %s", r.status,
                      r.err);
        ck_assert_ptr_null(strstr(r.out, "TCPQ_WARN_FASTOPEN_OFF"));
        return;
    }
    ck_assert_msg(r.status == 3, "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "TCPQ_WARN_FASTOPEN_OFF"));
    ck_assert_msg(has_line(r.out, "sysctl -w net.ipv4.tcp_fastopen=3"),
                  "no line that is just the fix in:\n%s", r.out);
}
END_TEST

/* Malformed values: a usage error (exit 2) naming the option and value,
   nothing on stdout. */
struct malformed_case {
    const char *option, *value;
};

static const struct malformed_case malformed_cases[] = {
    {"--keepalive", "30:5"},       {"--keepalive", "30:5:4:1"},
    {"--keepalive", "0:5:4"},      {"--keepalive", "30:0:4"},
    {"--keepalive", "30:5:0"},     {"--keepalive", "30::4"},
    {"--keepalive", ":5:4"},       {"--keepalive", "30:5:"},
    {"--keepalive", "30:-5:4"},    {"--keepalive", "a:b:c"},
    {"--keepalive", "30:5:4x"},    {"--keepalive", " 30:5:4"},
    {"--keepalive", "30k:5:4"},    {"--keepalive", "3000000000:5:4"},
    {"--keepalive", ""},           {"--user-timeout", "0"},
    {"--user-timeout", "-1"},      {"--user-timeout", "1.5"},
    {"--user-timeout", "10k"},     {"--user-timeout", ""},
    {"--defer-accept", "0"},       {"--defer-accept", "5s"},
    {"--defer-accept", "+5"},      {"--fastopen", "0"},
    {"--fastopen", "x"},           {"--fastopen", "16 "},
    {"--notsent-lowat", "0"},      {"--notsent-lowat", "-1"},
    {"--notsent-lowat", "1q"},     {"--notsent-lowat", "2g"},
    {"--notsent-lowat", "0k"},     {"--congestion", ""},
    {"--congestion", "has space"}, {"--congestion", "sixteen_chars_xy"},
    {"--congestion", "re/no"},     {"--congestion", "bbr\n"},
};

START_TEST(malformed_option_values_are_usage_errors)
{
    const struct malformed_case *c = &malformed_cases[_i];
    const char *args[] = {c->option, c->value, NULL};
    struct run_result r;
    char said[128];

    run_info(args, &r);
    ck_assert_msg(r.status == 2, "%s '%s': exit status %d, stderr: %s",
                  c->option, c->value, r.status, r.err);
    snprintf(said, sizeof said, "invalid %s value '%s': ", c->option, c->value);
    ck_assert_msg(strstr(r.err, said) != NULL, "%s '%s': stderr '%s'",
                  c->option, c->value, r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "Try 'tcpq-info --help'"));
    ck_assert_str_eq(r.out, "");
}
END_TEST

/* man/man1/tcpq-info.1, whole, in a static buffer. */
static const char *read_man_page(void)
{
    static char man[65536];
    FILE *f = fopen("man/man1/tcpq-info.1", "r");
    size_t n;

    ck_assert_ptr_nonnull(f);
    n = fread(man, 1, sizeof man - 1, f);
    ck_assert_msg(feof(f), "the man page is longer than the test holds");
    fclose(f);
    man[n] = '\0';
    return man;
}

/* Each request option in --help and in the man page. */
START_TEST(help_and_man_page_list_every_request_option)
{
    static const char *const options[] = {
        "--keepalive IDLE:INTVL:CNT", "--user-timeout MS",
        "--defer-accept S",           "--fastopen QLEN",
        "--notsent-lowat N",          "--congestion NAME",
    };
    static const char *const man_options[] = {
        "\\-\\-keepalive", "\\-\\-user\\-timeout",  "\\-\\-defer\\-accept",
        "\\-\\-fastopen",  "\\-\\-notsent\\-lowat", "\\-\\-congestion",
    };
    const char *args[] = {"--help", NULL};
    const char *man = read_man_page();
    struct run_result r;
    size_t i;

    run_info(args, &r);
    ck_assert_int_eq(r.status, 0);
    for (i = 0; i < sizeof options / sizeof options[0]; i++) {
        ck_assert_msg(strstr(r.out, options[i]) != NULL, "--help lacks %s",
                      options[i]);
        ck_assert_msg(strstr(man, man_options[i]) != NULL,
                      "the man page lacks %s", man_options[i]);
    }
}
END_TEST

/* ---- --json in every mode ------------------------------------------------ */

struct json_case {
    const char *name;
    const char *args[16]; /* "PORT": the listener child's port */
    int lines;            /* objects expected */
    const char *first_type;
};

static const struct json_case json_cases[] = {
    {"limits", {"--json", NULL}, 7, "limits"},
    {"request",
     {"--json", "--backlog", "100000", "--rcvbuf", "64M", NULL},
     2,
     "limits"},
    {"options",
     {"--json", "--keepalive", "30:5:4", "--user-timeout", "1500",
      "--defer-accept", "5", "--fastopen", "16", "--notsent-lowat", "16k",
      "--congestion", "reno", NULL},
     2,
     "limits"},
    {"watch",
     {"--json", "--watch", "PORT", "--count", "2", "--interval", "100", NULL},
     2,
     "watch"},
};

START_TEST(json_output_is_one_valid_object_per_line)
{
    const struct json_case *c = &json_cases[_i];
    struct listener_child lc;
    struct run_result r;
    char port[16], type[64], *lines[64];
    const char *args[16];
    int i, count, uses_port = 0, python = have_python3();

    for (i = 0; i < 16; i++) {
        args[i] = c->args[i];
        if (args[i] != NULL && strcmp(args[i], "PORT") == 0) {
            args[i] = port;
            uses_port = 1;
        }
    }
    if (uses_port) {
        start_listener_child(&lc);
        snprintf(port, sizeof port, "%d", lc.port);
    }
    run_info(args, &r);
    if (uses_port)
        stop_listener_child(&lc);

    ck_assert_msg(r.status == 0, "%s: exit status %d, stderr: %s", c->name,
                  r.status, r.err);
    ck_assert(!r.truncated);
    ck_assert_msg(r.out[0] != '\0' && r.out[strlen(r.out) - 1] == '\n',
                  "%s: output does not end a line: '%s'", c->name, r.out);
    ck_assert_msg(strstr(r.out, "\n\n") == NULL, "%s: an empty line", c->name);
    count = split_lines(r.out, lines, 64);
    ck_assert_msg(count == c->lines, "%s: %d lines, want %d", c->name, count,
                  c->lines);
    snprintf(type, sizeof type, "{\"type\":\"%s\"", c->first_type);
    ck_assert_msg(strncmp(lines[0], type, strlen(type)) == 0,
                  "%s: first object is not %s: %s", c->name, c->first_type,
                  lines[0]);
    for (i = 0; i < count; i++) {
        ck_assert_msg(json_object_line(lines[i]), "%s: line %d not JSON: %s",
                      c->name, i + 1, lines[i]);
        if (python)
            ck_assert_msg(python_accepts(lines[i]),
                          "%s: python3 rejects line %d: %s", c->name, i + 1,
                          lines[i]);
    }
}
END_TEST

/* The validator must itself refuse what is not JSON, or it proves nothing. */
struct validator_case {
    const char *text;
    int valid;
};

static const struct validator_case validator_cases[] = {
    {"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"x\\\"\\u00e9\"}}", 1},
    {"{\"n\":-1,\"f\":0.5,\"e\":1e+9,\"s\":\"\"} ", 1},
    {"{}", 1},
    {"{\"a\":1,}", 0},          /* trailing comma */
    {"{\"a\":01}", 0},          /* leading zero */
    {"{'a':1}", 0},             /* single quotes */
    {"{\"a\" 1}", 0},           /* no colon */
    {"{\"a\":\"x\ty\"}", 0},    /* raw control character */
    {"{\"a\":\"\\x\"}", 0},     /* unknown escape */
    {"{\"a\":\"\\u12g4\"}", 0}, /* bad \u */
    {"{\"a\":1} {}", 0},        /* two objects on a line */
    {"[1,2]", 0},               /* not an object */
    {"{\"a\":tru}", 0},         /* bad literal */
    {"{\"a\":\"open}", 0},      /* unterminated string */
    {"{\"a\":-}", 0},           /* bare minus */
    {"{\"a\":1.}", 0},          /* no fraction digits */
};

START_TEST(json_validator_refuses_what_is_not_json)
{
    const struct validator_case *c = &validator_cases[_i];

    ck_assert_msg(json_object_line(c->text) == c->valid, "%s judged %s",
                  c->text, c->valid ? "invalid" : "valid");
}
END_TEST

/* ---- --openmetrics -------------------------------------------------------
 */

#define BURST_BACKLOG 8
#define BURST_CONNECTS 40
#define V6_BACKLOG 5
/* An interface name with both characters a label value escapes. */
#define ODD_IFNAME "q\"b\\x"

static int have_promtool(void)
{
    return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* promtool check metrics on text: its exit status in r->status, what it
   said in r->out and r->err. Returns 0, or -1 with the reason in why. */
static int promtool_check(const char *text, struct run_result *r, char *why,
                          size_t cap)
{
    const char *const args[] = {"check", "metrics", NULL};
    FILE *input = tmpfile();
    int rc;

    if (input == NULL || fputs(text, input) < 0 || fflush(input) != 0) {
        snprintf(why, cap, "a temporary file for promtool: %s",
                 strerror(errno));
        if (input != NULL)
            fclose(input);
        return -1;
    }
    rewind(input);
    rc = run_command("promtool", args, fileno(input), r, why, cap);
    fclose(input);
    return rc;
}

/* 0 when promtool has nothing to say about text (exit 0, no output), or 1
   with what it said in why. */
static int promtool_clean(const char *text, char *why, size_t cap)
{
    static struct run_result r;

    if (promtool_check(text, &r, why, cap) != 0)
        return 1;
    TQ_REQUIRE(
        r.status == 0 && r.out[0] == '\0' && r.err[0] == '\0',
        "promtool check metrics: exit %d, said '%.1000s%.500s' of:\n%.1500s",
        r.status, r.out, r.err, text);
    return 0;
}

static void assert_promtool_clean(const char *text)
{
    char why[4096] = "";

    ck_assert_msg(promtool_clean(text, why, sizeof why) == 0, "%s", why);
}

/* The value of the sample `series` (name and labels), a line of text of
   its own. Returns 0, or -1 when there is none. */
static int sample_value(const char *text, const char *series, long long *value)
{
    const size_t length = strlen(series);
    const char *line = text;

    while (line != NULL && *line != '\0') {
        if (strncmp(line, series, length) == 0 && line[length] == ' ') {
            char *end;

            *value = strtoll(line + length + 1, &end, 10);
            return end > line + length + 1 && *end == '\n' ? 0 : -1;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return -1;
}

/* The series of a listener's gauge: name "length" or "limit", address
   as its label is written, quotes included. */
static const char *listener_series(char *out, size_t size, const char *name,
                                   const char *family, const char *address,
                                   int port)
{
    snprintf(out, size,
             "tcpq_accept_queue_%s{family=\"%s\",address=%s,port=\"%d\"}", name,
             family, address, port);
    return out;
}

/* How many lines of text start with prefix. */
static int lines_starting(const char *text, const char *prefix)
{
    const char *line = text;
    int count = 0;

    while (line != NULL && *line != '\0') {
        count += strncmp(line, prefix, strlen(prefix)) == 0;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return count;
}

/* 1 when text ends with the line "# EOF" and has no other. */
static int one_eof_at_the_end(const char *text)
{
    const size_t length = strlen(text);

    return length >= 6 && strcmp(text + length - 6, "# EOF\n") == 0 &&
           lines_starting(text, "# EOF") == 1;
}

START_TEST(openmetrics_scrape_passes_promtool_and_labels_every_listener)
{
    static struct run_result r;
    struct listener_child lc;
    struct tcpq_options opt;
    const char *args[] = {"--openmetrics", NULL};
    char series[192];
    long long value = -1;
    int recv_q = -1, send_q = -1, ss_status, v6, v6_port;

    start_listener_child(&lc);
    memset(&opt, 0, sizeof opt);
    opt.backlog = V6_BACKLOG;
    v6 = tcpq_open_listener("::1", "0", &opt, NULL);
    ck_assert_int_ge(v6, 0);
    v6_port = tq_port_of(v6);
    run_info(args, &r);
    ss_status = tq_ss_listen(lc.port, &recv_q, &send_q);
    stop_listener_child(&lc);
    close(v6);

    ck_assert_msg(r.status == 0 && r.err[0] == '\0',
                  "exit status %d, stderr: %s", r.status, r.err);
    ck_assert_msg(!r.truncated, "more output than the test holds");
    ck_assert_msg(one_eof_at_the_end(r.out),
                  "not one '# EOF' at the end:\n%.2000s", r.out);
    assert_promtool_clean(r.out);
    ck_assert_int_eq(ss_status, 0);
    /* the listener of another process, as ss shows it */
    listener_series(series, sizeof series, "length", "inet", "\"127.0.0.1\"",
                    lc.port);
    ck_assert_msg(sample_value(r.out, series, &value) == 0,
                  "no %s in:\n%.2000s", series, r.out);
    ck_assert_int_eq(value, recv_q);
    listener_series(series, sizeof series, "limit", "inet", "\"127.0.0.1\"",
                    lc.port);
    ck_assert_msg(sample_value(r.out, series, &value) == 0,
                  "no %s in:\n%.2000s", series, r.out);
    ck_assert_int_eq(value, send_q);
    ck_assert_int_eq(send_q, LISTENER_BACKLOG);
    /* an IPv6 address as a label: no brackets, no port */
    listener_series(series, sizeof series, "limit", "inet6", "\"::1\"",
                    v6_port);
    ck_assert_msg(sample_value(r.out, series, &value) == 0,
                  "no %s in:\n%.2000s", series, r.out);
    ck_assert_int_eq(value, V6_BACKLOG);
    /* the counters and limits, as the kernel holds them */
    ck_assert_msg(has_line(r.out, "# TYPE tcpq_listen_overflows_total counter"),
                  "no counter ListenOverflows in:\n%.2000s", r.out);
    ck_assert_int_eq(sample_value(r.out, "tcpq_somaxconn", &value), 0);
    ck_assert_int_eq(value, tq_read_long("/proc/sys/net/core/somaxconn"));
    ck_assert_int_eq(sample_value(r.out, "tcpq_rmem_max_bytes", &value), 0);
    ck_assert_int_eq(value, tq_read_long("/proc/sys/net/core/rmem_max"));
    ck_assert_msg(strstr(r.out, " -1\n") == NULL, "a -1 figure in:\n%.2000s",
                  r.out);
}
END_TEST

START_TEST(openmetrics_watch_gives_one_clean_scrape_per_sample)
{
    static struct run_result r;
    static char scrape[sizeof r.out];
    struct listener_child lc;
    char port[16], series[192];
    const char *args[] = {"--watch",    port,  "--count",       "2",
                          "--interval", "100", "--openmetrics", NULL};
    const char *cursor, *end;
    long long value = -1;
    int scrapes = 0;

    start_listener_child(&lc);
    snprintf(port, sizeof port, "%d", lc.port);
    run_info(args, &r);
    stop_listener_child(&lc);

    ck_assert_msg(r.status == 0 && r.err[0] == '\0',
                  "exit status %d, stderr: %s", r.status, r.err);
    listener_series(series, sizeof series, "length", "inet", "\"127.0.0.1\"",
                    lc.port);
    for (cursor = r.out; *cursor != '\0' && scrapes < 3; cursor = end) {
        end = strstr(cursor, "# EOF\n");
        ck_assert_msg(end != NULL, "a scrape without '# EOF': %.2000s", cursor);
        end += strlen("# EOF\n");
        memcpy(scrape, cursor, (size_t)(end - cursor));
        scrape[end - cursor] = '\0';
        scrapes++;
        assert_promtool_clean(scrape);
        /* the port's listener, and no other */
        ck_assert_msg(sample_value(scrape, series, &value) == 0,
                      "no %s in:\n%.2000s", series, scrape);
        ck_assert_int_eq(value, LISTENER_CONNECTS);
        ck_assert_int_eq(lines_starting(scrape, "tcpq_accept_queue_length{"),
                         1);
    }
    ck_assert_int_eq(scrapes, 2);
}
END_TEST

/* TcpExt ListenOverflows and ListenDrops by nstat, around a run of the
   program; 0 when neither moved during it (refused clients retransmit
   their SYNs, each counted), with the figures in counters[]. */
static int run_between_still_counters(const char *const args[],
                                      struct run_result *r,
                                      long long counters[2], char *why,
                                      size_t cap)
{
    static const char *const names[] = {"TcpExtListenOverflows",
                                        "TcpExtListenDrops"};
    long long before[2], after[2];
    int attempt, k;

    for (attempt = 0; attempt < 5; attempt++) {
        for (k = 0; k < 2; k++)
            before[k] = tq_nstat(names[k]);
        if (run_program(args, r, why, cap) != 0)
            return 1;
        for (k = 0; k < 2; k++)
            after[k] = tq_nstat(names[k]);
        if (before[0] == after[0] && before[1] == after[1]) {
            counters[0] = before[0];
            counters[1] = before[1];
            return before[0] >= 0 && before[1] >= 0 ? 0 : 1;
        }
    }
    snprintf(why, cap, "nstat's counters moved during every run");
    return 1;
}

/* In a namespace of its own: a listener with backlog 8 under a burst of
   40 connects nobody accepts; the scrape's queue is ss's and its
   counters nstat's. */
static int openmetrics_under_a_burst(void *arg, char *why, size_t cap)
{
    static struct run_result r;
    const char *const args[] = {"--openmetrics", NULL};
    struct tcpq_options opt;
    int clients[BURST_CONNECTS];
    char series[192];
    long long counters[2] = {-1, -1}, len = -1, limit = -1;
    long long overflows = -1, drops = -1;
    int fd, port, queued, recv_q = -1, send_q = -1, i;

    (void)arg;
    memset(&opt, 0, sizeof opt);
    opt.backlog = BURST_BACKLOG;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, NULL);
    TQ_REQUIRE(fd >= 0, "listener: %s", strerror(errno));
    port = tq_port_of(fd);
    queued = tq_burst(fd, BURST_CONNECTS, clients);
    TQ_REQUIRE(queued == BURST_BACKLOG + 1, "%d connects queued %d, want %d",
               BURST_CONNECTS, queued, BURST_BACKLOG + 1);
    if (run_between_still_counters(args, &r, counters, why, cap) != 0)
        return 1;
    TQ_REQUIRE(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    TQ_REQUIRE(tq_ss_listen(port, &recv_q, &send_q) == 0, "ss: no listener");
    TQ_REQUIRE(sample_value(r.out,
                            listener_series(series, sizeof series, "length",
                                            "inet", "\"127.0.0.1\"", port),
                            &len) == 0 &&
                   sample_value(r.out,
                                listener_series(series, sizeof series, "limit",
                                                "inet", "\"127.0.0.1\"", port),
                                &limit) == 0,
               "no queue of port %d in:\n%.2000s", port, r.out);
    TQ_REQUIRE(sample_value(r.out, "tcpq_listen_overflows_total", &overflows) ==
                       0 &&
                   sample_value(r.out, "tcpq_listen_drops_total", &drops) == 0,
               "no counters in:\n%.2000s", r.out);
    for (i = 0; i < BURST_CONNECTS; i++)
        if (clients[i] >= 0)
            close(clients[i]);
    close(fd);
    TQ_REQUIRE(len == recv_q && limit == send_q,
               "the scrape shows %lld/%lld, ss %d/%d", len, limit, recv_q,
               send_q);
    TQ_REQUIRE(recv_q == BURST_BACKLOG + 1 && send_q == BURST_BACKLOG,
               "ss shows %d/%d, want %d/%d", recv_q, send_q, BURST_BACKLOG + 1,
               BURST_BACKLOG);
    TQ_REQUIRE(overflows == counters[0] && drops == counters[1],
               "the scrape counts %lld overflows and %lld drops, nstat %lld "
               "and %lld",
               overflows, drops, counters[0], counters[1]);
    TQ_REQUIRE(overflows > 0, "no overflow counted: the burst proved nothing");
    return 0;
}

START_TEST(openmetrics_under_a_burst_shows_what_ss_and_nstat_show)
{
    tq_run_in_child(TQ_NS_NET, openmetrics_under_a_burst, NULL);
}
END_TEST

/* A link-local listener on an interface whose name holds '"' and '\':
   both escaped in its address label, which promtool reads. */
static int openmetrics_escapes_the_scope(void *arg, char *why, size_t cap)
{
    static struct run_result r;
    const char *const args[] = {"--openmetrics", NULL};
    struct sockaddr_in6 sin6;
    char series[192];
    long long limit = -1;
    int fd, port;

    (void)arg;
    TQ_REQUIRE(tq_shell("ip link add '" ODD_IFNAME "' type veth peer name p0"
                        " && ip link set '" ODD_IFNAME "' up && ip link set"
                        " p0 up && ip addr add fe80::1/64 dev '" ODD_IFNAME
                        "' nodad") == 0,
               "veth setup failed");
    memset(&sin6, 0, sizeof sin6);
    sin6.sin6_family = AF_INET6;
    sin6.sin6_scope_id = if_nametoindex(ODD_IFNAME);
    TQ_REQUIRE(inet_pton(AF_INET6, "fe80::1", &sin6.sin6_addr) == 1 &&
                   sin6.sin6_scope_id != 0,
               "no interface " ODD_IFNAME);
    fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    TQ_REQUIRE(fd >= 0 &&
                   bind(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0 &&
                   listen(fd, V6_BACKLOG) == 0,
               "listen on fe80::1%%" ODD_IFNAME ": %s", strerror(errno));
    port = tq_port_of(fd);
    if (run_program(args, &r, why, cap) != 0)
        return 1;
    close(fd);
    TQ_REQUIRE(r.status == 0, "exit status %d, stderr: %s", r.status, r.err);
    if (promtool_clean(r.out, why, cap) != 0)
        return 1;
    listener_series(series, sizeof series, "limit", "inet6",
                    "\"fe80::1%q\\\"b\\\\x\"", port);
    TQ_REQUIRE(sample_value(r.out, series, &limit) == 0 && limit == V6_BACKLOG,
               "no %s %d in:\n%.2000s", series, V6_BACKLOG, r.out);
    return 0;
}

START_TEST(openmetrics_escapes_a_link_local_scope_in_its_label)
{
    tq_run_in_child(TQ_NS_NET, openmetrics_escapes_the_scope, NULL);
}
END_TEST

/* Not with --json or a request: a usage error, nothing on stdout; and
   --help and the man page name it. */
START_TEST(openmetrics_goes_with_neither_json_nor_a_request)
{
    static const char *const wrong[][4] = {
        {"--openmetrics", "--json", NULL},
        {"--openmetrics", "--backlog", "100", NULL},
        {"--openmetrics", "--interval", "100", NULL},
    };
    const char *help[] = {"--help", NULL};
    const char *man = read_man_page();
    struct run_result r;
    size_t i;

    for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        run_info(wrong[i], &r);
        ck_assert_msg(r.status == 2, "%s %s: exit status %d", wrong[i][0],
                      wrong[i][1], r.status);
        ck_assert_str_eq(r.out, "");
    }
    run_info(help, &r);
    ck_assert_ptr_nonnull(strstr(r.out, "--openmetrics"));
    ck_assert_ptr_nonnull(strstr(man, ".B \\-\\-openmetrics"));
    ck_assert_ptr_nonnull(strstr(man, "textfile"));
}
END_TEST

Suite *info_suite(void)
{
    Suite *s = suite_create("info");
    TCase *check = tcase_create("check");
    TCase *json = tcase_create("json");
    TCase *defaults = tcase_create("defaults");
    TCase *options = tcase_create("options");
    TCase *watch, *namespaced, *metrics, *metrics_netns, *metrics_scope;
    const int promtool = have_promtool();

    watch = tq_tcase_if(s, "watch", tq_caps.have_ss, 2,
                        "ss (iproute2) is needed to measure the queue: make "
                        "deps");
    if (watch != NULL) {
        tcase_set_timeout(watch, 60);
        tcase_add_test(
            watch,
            watch_shows_the_queue_ss_shows_for_a_listener_of_another_process);
        tcase_add_test(
            watch, watch_json_gives_the_queue_ss_shows_and_the_host_counters);
    }

    metrics = tq_tcase_if(s, "openmetrics", promtool && tq_caps.have_ss, 2,
                          "promtool (Debian package prometheus) and ss are "
                          "needed: make deps");
    if (metrics != NULL) {
        tcase_set_timeout(metrics, 60);
        tcase_add_test(
            metrics,
            openmetrics_scrape_passes_promtool_and_labels_every_listener);
        tcase_add_test(metrics,
                       openmetrics_watch_gives_one_clean_scrape_per_sample);
    }
    metrics_netns =
        tq_tcase_if(s, "openmetrics_netns", tq_caps.netns && tq_caps.have_ss, 1,
                    "a network namespace of its own, ss and "
                    "nstat are needed");
    if (metrics_netns != NULL) {
        tcase_set_timeout(metrics_netns, 60);
        tcase_add_test(metrics_netns,
                       openmetrics_under_a_burst_shows_what_ss_and_nstat_show);
    }
    metrics_scope =
        tq_tcase_if(s, "openmetrics_scope", tq_caps.veth && promtool, 1,
                    "a veth pair in a network namespace of its "
                    "own (ip, the veth driver) and promtool "
                    "(Debian package prometheus) are needed");
    if (metrics_scope != NULL) {
        tcase_set_timeout(metrics_scope, 60);
        tcase_add_test(metrics_scope,
                       openmetrics_escapes_a_link_local_scope_in_its_label);
    }

    tcase_set_timeout(check, 60);
    tcase_add_test(check,
                   watch_without_listener_exits_1_and_says_why_on_stderr);
    tcase_add_test(
        check, check_exits_3_and_prints_the_fix_when_the_backlog_is_clamped);
    tcase_add_test(check, check_exits_0_when_nothing_is_clamped);
    tcase_add_test(check, check_never_advises_past_the_hard_buffer_cap);
    tcase_add_test(check, check_gives_every_fix_when_the_message_is_cut);
    tcase_add_test(check, openmetrics_goes_with_neither_json_nor_a_request);
    suite_add_tcase(s, check);

    tcase_set_timeout(defaults, 60);
    tcase_add_test(defaults, limits_show_the_option_defaults_proc_sys_holds);
    suite_add_tcase(s, defaults);
    namespaced = tq_tcase_if(s, "netns", tq_caps.netns, 2,
                             "a network namespace of its own is needed to "
                             "set the sysctls");
    if (namespaced != NULL) {
        tcase_set_timeout(namespaced, 60);
        tcase_add_test(namespaced,
                       limits_follow_the_option_sysctls_of_a_namespace);
    }

    tcase_set_timeout(options, 60);
    tcase_add_test(options,
                   keepalive_30_5_4_is_read_back_as_the_kernel_holds_it);
    tcase_add_test(options, user_timeout_and_notsent_lowat_are_read_back);
    tcase_add_test(options,
                   defer_accept_is_shown_as_held_with_the_rounded_warning);
    tcase_add_test(options, congestion_reno_is_granted);
    tcase_add_test(options,
                   an_unknown_congestion_exits_1_with_the_allowed_list);
    tcase_add_test(options,
                   a_keepalive_past_the_kernel_maximum_exits_1_with_the_reason);
    tcase_add_test(options, fastopen_16_on_this_host);
    tcase_add_loop_test(
        options, malformed_option_values_are_usage_errors, 0,
        (int)(sizeof malformed_cases / sizeof malformed_cases[0]));
    tcase_add_test(options, help_and_man_page_list_every_request_option);
    suite_add_tcase(s, options);
    if (namespaced != NULL)
        tcase_add_test(
            namespaced,
            fastopen_without_the_server_bit_is_a_finding_with_its_fix);

    tcase_set_timeout(json, 60);
    tcase_add_loop_test(json, json_output_is_one_valid_object_per_line, 0,
                        (int)(sizeof json_cases / sizeof json_cases[0]));
    tcase_add_loop_test(
        json, json_validator_refuses_what_is_not_json, 0,
        (int)(sizeof validator_cases / sizeof validator_cases[0]));
    suite_add_tcase(s, json);
    return s;
}
