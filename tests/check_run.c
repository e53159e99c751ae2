/* tcpq-run and libtcpq-preload.so on programs nobody here wrote (CPython's
   http.server, Node) and on tests/run_program.c, a program that knows
   nothing of libtcpq: the kernel's backlog (ss, TCP_INFO) before and
   after, the program's own settings and errno kept, fork and exec, a
   static binary refused, and ab's verdict under a burst. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_tcpq.h"

#define RUN "tools/tcpq-run/tcpq-run"
#define PRELOAD "lib/libtcpq-preload.so"
#define PROGRAM "tests/run_program"

static char preload_path[512];

/* The command's output (stdout and stderr) in out; its exit status, -1
   when it did not run or was killed. */
static int capture(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int capture(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    FILE *p;
    size_t used = 0, n;
    int status;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    out[0] = '\0';
    p = popen(cmd, "r");
    if (p == NULL)
        return -1;
    while (used + 1 < cap && (n = fread(out + used, 1, cap - 1 - used, p)) > 0)
        used += n;
    out[used] = '\0';
    status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The value of "key=" in line, or -1. */
static long field(const char *text, const char *key)
{
    char pattern[64];
    const char *p;

    snprintf(pattern, sizeof pattern, " %s=", key);
    p = strstr(text, pattern);
    return p == NULL ? -1 : strtol(p + strlen(pattern), NULL, 10);
}

static void setup_paths(void)
{
    char here[400];

    if (preload_path[0] == '\0' && getcwd(here, sizeof here) != NULL)
        snprintf(preload_path, sizeof preload_path, "%s/%s", here, PRELOAD);
}

/* ---- the program's own settings, its errno, fork and exec -----------------
 */

START_TEST(program_keeps_its_mode_its_buffer_and_errno)
{
    char plain[512], wrapped[1024];
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");

    setup_paths();
    ck_assert_int_eq(
        capture(plain, sizeof plain, "%s nonblock-rcvbuf", PROGRAM), 0);
    ck_assert_int_eq(capture(wrapped, sizeof wrapped,
                             "TCPQ_RUN_PRELOAD=%s %s -- %s nonblock-rcvbuf "
                             "2>&1",
                             preload_path, RUN, PROGRAM),
                     0);
    printf("  run_program alone: %s", strstr(plain, "nonblock-rcvbuf"));
    printf("  under tcpq-run:    %s", strstr(wrapped, "nonblock-rcvbuf"));
    fflush(stdout);
    ck_assert_int_eq(field(plain, "backlog"), 7);
    ck_assert_int_eq(field(wrapped, "backlog"), somaxconn);
    /* what the program set itself, before listen, is what it has */
    ck_assert_int_eq(field(wrapped, "nonblock"), 1);
    ck_assert_int_eq(field(wrapped, "rcvbuf"), field(plain, "rcvbuf"));
    ck_assert_int_eq(field(wrapped, "cloexec"), field(plain, "cloexec"));
    ck_assert_msg(strstr(wrapped, "listen=0 errno_kept=1") != NULL,
                  "errno changed: %s", wrapped);
    /* one line for the listener, with the backlog before and after */
    ck_assert_msg(strstr(wrapped, "backlog 7 -> ") != NULL, "no log line: %s",
                  wrapped);
}
END_TEST

START_TEST(failing_listen_gives_the_programs_own_errno)
{
    char plain[256], wrapped[1024];

    setup_paths();
    ck_assert_int_eq(capture(plain, sizeof plain, "%s in-use", PROGRAM), 0);
    ck_assert_int_eq(capture(wrapped, sizeof wrapped,
                             "TCPQ_RUN_PRELOAD=%s %s --log off -- %s in-use",
                             preload_path, RUN, PROGRAM),
                     0);
    ck_assert_msg(strstr(plain, "second listen=-1 errno=98") != NULL, "%s",
                  plain);
    ck_assert_str_eq(wrapped, plain);
}
END_TEST

START_TEST(forked_and_execd_children_are_covered_unless_no_inherit)
{
    char out[1024];
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");

    setup_paths();
    ck_assert_int_eq(capture(out, sizeof out,
                             "TCPQ_RUN_PRELOAD=%s %s --log off -- %s fork",
                             preload_path, RUN, PROGRAM),
                     0);
    ck_assert_msg(field(out, "backlog") == somaxconn, "forked child: %s", out);
    ck_assert_int_eq(capture(out, sizeof out,
                             "TCPQ_RUN_PRELOAD=%s %s --log off -- %s exec",
                             preload_path, RUN, PROGRAM),
                     0);
    ck_assert_msg(field(out, "backlog") == somaxconn &&
                      strstr(out, "preload=yes") != NULL,
                  "exec'd program: %s", out);
    ck_assert_int_eq(capture(out, sizeof out,
                             "TCPQ_RUN_PRELOAD=%s %s --log off --no-inherit "
                             "-- %s exec",
                             preload_path, RUN, PROGRAM),
                     0);
    ck_assert_msg(field(out, "backlog") == 5 &&
                      strstr(out, "preload=no") != NULL,
                  "--no-inherit: %s", out);
}
END_TEST

START_TEST(unix_listener_is_left_alone)
{
    char out[512];

    setup_paths();
    ck_assert_int_eq(capture(out, sizeof out,
                             "TCPQ_RUN_PRELOAD=%s %s -- %s unix 2>&1",
                             preload_path, RUN, PROGRAM),
                     0);
    ck_assert_str_eq(out, "unix listen=0\n");
}
END_TEST

/* ---- where LD_PRELOAD cannot reach ------------------------------------------
 */

START_TEST(static_program_is_refused_with_the_alternative)
{
    char out[1024];
    int rc;

    setup_paths();
    ck_assert_int_eq(tq_shell("printf 'int main(void){return 0;}\\n' > "
                              "build/static_probe.c && musl-gcc -static "
                              "build/static_probe.c -o build/static_probe "
                              "2>/dev/null"),
                     0);
    rc = capture(out, sizeof out,
                 "TCPQ_RUN_PRELOAD=%s %s -- "
                 "build/static_probe 2>&1",
                 preload_path, RUN);
    printf("  static binary: exit %d: %s", rc, out);
    fflush(stdout);
    ck_assert_int_eq(rc, 3);
    ck_assert_msg(strstr(out, "statically linked") != NULL &&
                      strstr(out, "tcpq-info") != NULL,
                  "%s", out);
}
END_TEST

/* ---- real servers under a burst ------------------------------------------ */

/* python3 -m http.server (socketserver's backlog: 5) under ab -n 2000
   -c 200, in a private network namespace: alone ab gives up or counts
   failures; under tcpq-run every request completes and no connect waits
   for a SYN retransmit. */
static int http_server_under_ab(void *arg, char *why, size_t cap)
{
    const int wrapped = *(const int *)arg;
    char out[4096], ss_line[256];
    struct rlimit rl = {8192, 8192};
    int port = 18000 + wrapped, rc;
    long failed, connect_max, longest, complete;

    setrlimit(RLIMIT_NOFILE, &rl);
    TQ_REQUIRE(tq_shell("%s%s%s python3 -m http.server %d --bind 127.0.0.1 "
                        ">/dev/null 2>&1 & echo $! > build/http_server.pid",
                        wrapped ? "TCPQ_RUN_PRELOAD=" : "",
                        wrapped ? preload_path : "",
                        wrapped ? " " RUN " --log off --" : "", port) == 0,
               "python3 http.server did not start");
    tq_sleep_ms(1500);
    capture(ss_line, sizeof ss_line, "ss -Hltn 'sport = :%d'", port);
    rc = capture(out, sizeof out,
                 "timeout 60 ab -n 2000 -c 200 -s 5 -r "
                 "http://127.0.0.1:%d/ 2>&1",
                 port);
    tq_shell("kill $(cat build/http_server.pid) 2>/dev/null");
    complete = strstr(out, "Complete requests:") != NULL
                   ? strtol(strstr(out, "Complete requests:") + 18, NULL, 10)
                   : -1;
    failed = strstr(out, "Failed requests:") != NULL
                 ? strtol(strstr(out, "Failed requests:") + 16, NULL, 10)
                 : -1;
    connect_max = -1;
    if (strstr(out, "Connect:") != NULL) {
        long v[5];
        if (sscanf(strstr(out, "Connect:") + 8, "%ld %ld %*f %ld %ld", &v[0],
                   &v[1], &v[2], &v[3]) == 4)
            connect_max = v[3];
    }
    longest = strstr(out, "(longest request)") != NULL
                  ? strtol(strstr(out, "(longest request)") - 8, NULL, 10)
                  : -1;
    printf("  python3 -m http.server%s: ss %.60s\n    ab -n 2000 -c 200: ab "
           "exit %d, complete %ld, failed %ld, connect max %ld ms, longest "
           "request %ld ms%s\n",
           wrapped ? " under tcpq-run" : " alone", ss_line, rc, complete,
           failed, connect_max, longest,
           strstr(out, "timeout specified has expired") != NULL
               ? " (ab gave up: a request got no answer within 5 s)"
               : "");
    fflush(stdout);
    if (!wrapped) {
        TQ_REQUIRE(strstr(ss_line, " 5 ") != NULL,
                   "the program's own backlog is not 5: %s", ss_line);
        TQ_REQUIRE(rc != 0 || failed > 0 || connect_max >= 1000,
                   "backlog 5 took the burst without a loss: %s", out);
        return 0;
    }
    TQ_REQUIRE(strstr(ss_line, " 4096 ") != NULL, "ss: %s", ss_line);
    TQ_REQUIRE(rc == 0 && complete == 2000 && failed == 0, "under tcpq-run: %s",
               out);
    TQ_REQUIRE(connect_max >= 0 && connect_max < 1000,
               "a connect waited %ld ms (a SYN retransmit)", connect_max);
    return 0;
}

START_TEST(python_http_server_takes_a_burst_under_tcpq_run)
{
    setup_paths();
    tq_run_in_child(TQ_NS_NET, http_server_under_ab, (void *)&(int){_i});
}
END_TEST

/* Node listens with 511; under tcpq-run, the host's maximum. */
static int node_backlog(void *arg, char *why, size_t cap)
{
    char ss_line[256];
    int port = 18100, wrapped;

    (void)arg;
    for (wrapped = 0; wrapped < 2; wrapped++, port++) {
        TQ_REQUIRE(tq_shell("%s%s%s node -e \"require('http').createServer("
                            "(q, s) => s.end('ok')).listen(%d, '127.0.0.1')\" "
                            ">/dev/null 2>&1 & echo $! > build/node.pid",
                            wrapped ? "TCPQ_RUN_PRELOAD=" : "",
                            wrapped ? preload_path : "",
                            wrapped ? " " RUN " --log off --" : "", port) == 0,
                   "node did not start");
        tq_sleep_ms(1500);
        capture(ss_line, sizeof ss_line, "ss -Hltn 'sport = :%d'", port);
        tq_shell("kill $(cat build/node.pid) 2>/dev/null");
        printf("  node http.createServer().listen()%s: ss %s",
               wrapped ? " under tcpq-run" : " alone", ss_line);
        fflush(stdout);
        TQ_REQUIRE(strstr(ss_line, wrapped ? " 4096 " : " 511 ") != NULL,
                   "ss: %s", ss_line);
    }
    return 0;
}

START_TEST(node_listens_at_the_maximum_under_tcpq_run)
{
    setup_paths();
    tq_run_in_child(TQ_NS_NET, node_backlog, NULL);
}
END_TEST

/* ---- under valgrind -------------------------------------------------------
 */

START_TEST(preload_is_clean_under_valgrind)
{
    char out[2048];
    int rc;

    setup_paths();
    rc = capture(out, sizeof out,
                 "TCPQ_RUN_LOG=off LD_PRELOAD=%s valgrind -q "
                 "--error-exitcode=9 --leak-check=full "
                 "--errors-for-leak-kinds=definite,indirect %s "
                 "nonblock-rcvbuf 2>&1",
                 preload_path, PROGRAM);
    ck_assert_msg(rc == 0, "valgrind exit %d: %s", rc, out);
    ck_assert_msg(field(out, "backlog") > 7, "the policy did not apply: %s",
                  out);
}
END_TEST

/* ---- under AddressSanitizer ------------------------------------------------
 */

/* The preload and the program built with ASan + UBSan (clang), the
   library's sources inside the preload, as tcpq-run would load it. */
START_TEST(preload_is_clean_under_asan)
{
    char out[4096], srcs[1024];
    int rc;

    capture(srcs, sizeof srcs,
            "${MAKE:-make} -s --no-print-directory "
            "print-LIB_SRCS");
    srcs[strcspn(srcs, "\n")] = '\0';
    rc = capture(out, sizeof out,
                 "set -e; d=build/run-asan; mkdir -p $d; "
                 "f='-g -O1 -fsanitize=address,undefined "
                 "-fno-sanitize-recover=all -fno-omit-frame-pointer'; "
                 "clang $f -D_GNU_SOURCE -Iinclude -Ilib -fPIC -shared "
                 "-fvisibility=hidden "
                 "-Wl,--version-script=tools/tcpq-run/preload.map "
                 "tools/tcpq-run/preload.c tools/tcpq-run/settings.c %s "
                 "-o $d/libtcpq-preload.so -ldl; "
                 "clang $f tests/run_program.c -o $d/run_program; "
                 "TCPQ_RUN_LOG=off LD_PRELOAD=$PWD/$d/libtcpq-preload.so "
                 "$d/run_program nonblock-rcvbuf 2>&1",
                 srcs);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, out);
    ck_assert_msg(field(out, "backlog") > 7, "the policy did not apply: %s",
                  out);
}
END_TEST

static int have(const char *command)
{
    char cmd[128];

    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", command);
    return system(cmd) == 0;
}

Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    int built = access(RUN, X_OK) == 0 && access(PRELOAD, R_OK) == 0 &&
                access(PROGRAM, X_OK) == 0;
    TCase *tc =
        tq_tcase_if(s, "tcpq_run", built, 4,
                    "tcpq-run, its preload library or tests/run_program not "
                    "built here (make all tests/run_program; Linux)");
    TCase *tools;

    if (tc != NULL) {
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, program_keeps_its_mode_its_buffer_and_errno);
        tcase_add_test(tc, failing_listen_gives_the_programs_own_errno);
        tcase_add_test(tc,
                       forked_and_execd_children_are_covered_unless_no_inherit);
        tcase_add_test(tc, unix_listener_is_left_alone);
    }
    tools = tq_tcase_if(s, "static", built && have("musl-gcc"), 1,
                        "needs musl-gcc (musl-tools) for a static binary");
    if (tools != NULL)
        tcase_add_test(tools, static_program_is_refused_with_the_alternative);
    tools =
        tq_tcase_if(s, "under_ab",
                    built && tq_caps.netns && have("ab") && have("python3"), 2,
                    "needs ab (apache2-utils), python3 and a network "
                    "namespace");
    if (tools != NULL) {
        tcase_set_timeout(tools, 90);
        tcase_add_loop_test(
            tools, python_http_server_takes_a_burst_under_tcpq_run, 0, 2);
    }
    tools = tq_tcase_if(s, "node", built && tq_caps.netns && have("node"), 1,
                        "needs node (nodejs)");
    if (tools != NULL) {
        tcase_set_timeout(tools, 30);
        tcase_add_test(tools, node_listens_at_the_maximum_under_tcpq_run);
    }
    tools = tq_tcase_if(s, "valgrind", built && have("valgrind"), 1,
                        "needs valgrind");
    if (tools != NULL) {
        tcase_set_timeout(tools, 60);
        tcase_add_test(tools, preload_is_clean_under_valgrind);
    }
    tools = tq_tcase_if(s, "asan", built && have("clang"), 1,
                        "needs clang for an ASan build");
    if (tools != NULL) {
        tcase_set_timeout(tools, 120);
        tcase_add_test(tools, preload_is_clean_under_asan);
    }
    return s;
}
