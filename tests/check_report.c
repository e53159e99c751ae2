/* tcpq_warning_fix: the command for each warning, from the report's own
   figures; where a namespace lets the test run it, the command is applied
   and the kernel shows that it lifted the cause. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"

/* "sysctl -w net.core.somaxconn=1000" -> writes 1000 to
   /proc/sys/net/core/somaxconn: the fix, run without sysctl(8). */
static int apply_fix(const char *fix)
{
    char path[128], value[32];
    const char *name, *eq;
    size_t i, n;

    if (strncmp(fix, "sysctl -w ", 10) != 0)
        return -1;
    name = fix + 10;
    eq = strchr(name, '=');
    if (eq == NULL || (size_t)(eq - name) > 80)
        return -1;
    n = (size_t)snprintf(path, sizeof path, "/proc/sys/%.*s", (int)(eq - name),
                         name);
    for (i = sizeof "/proc/sys/" - 1; i < n; i++)
        if (path[i] == '.')
            path[i] = '/';
    snprintf(value, sizeof value, "%s", eq + 1);
    return tq_write_file(path, value);
}

/* Backlog and SYN cookies in a namespace: the fix names the sysctl and
   the figure, and once it is applied a new listener gets what was asked
   for and no warning. */
static int fixes_lift_the_cause(void *arg, char *why, size_t cap)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    char fix[128];
    int fd, n, backlog = -1;

    (void)arg;
    TQ_REQUIRE(tq_write_file("/proc/sys/net/core/somaxconn", "64") == 0 &&
                   tq_write_file("/proc/sys/net/ipv4/tcp_syncookies", "0") == 0,
               "cannot set somaxconn / tcp_syncookies");
    memset(&opt, 0, sizeof opt);
    opt.backlog = 1000;
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(fd >= 0, "listener: %s", rep.message);
    close(fd);
    TQ_REQUIRE(rep.warnings & TCPQ_WARN_BACKLOG_CLAMPED, "no clamp: %s",
               rep.message);
    n = tcpq_warning_fix(&rep, TCPQ_WARN_BACKLOG_CLAMPED, fix, sizeof fix);
    TQ_REQUIRE(n == (int)strlen(fix) &&
                   strcmp(fix, "sysctl -w net.core.somaxconn=1000") == 0,
               "backlog fix \"%s\" (%d)", fix, n);
    TQ_REQUIRE(strstr(rep.message, fix) != NULL, "message lacks the fix: %s",
               rep.message);
    TQ_REQUIRE(apply_fix(fix) == 0, "could not apply %s", fix);

    TQ_REQUIRE(rep.warnings & TCPQ_WARN_SYNCOOKIES_OFF,
               "no syncookies warning");
    n = tcpq_warning_fix(&rep, TCPQ_WARN_SYNCOOKIES_OFF, fix, sizeof fix);
    TQ_REQUIRE(strcmp(fix, "sysctl -w net.ipv4.tcp_syncookies=1") == 0,
               "syncookies fix \"%s\"", fix);
    TQ_REQUIRE(strstr(rep.message, fix) != NULL, "message lacks the fix: %s",
               rep.message);
    TQ_REQUIRE(apply_fix(fix) == 0, "could not apply %s", fix);

    /* applied: the same request is granted whole, without a warning */
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    TQ_REQUIRE(fd >= 0, "listener: %s", rep.message);
    TQ_REQUIRE(tq_tcpi_listen(fd, NULL, &backlog) == 0 && backlog == 1000,
               "after the fix TCP_INFO says backlog %d", backlog);
    close(fd);
    TQ_REQUIRE((rep.warnings &
                (TCPQ_WARN_BACKLOG_CLAMPED | TCPQ_WARN_SYNCOOKIES_OFF)) == 0,
               "still warned: %s", rep.message);
    return 0;
}

START_TEST(backlog_and_syncookie_fixes_lift_the_cause)
{
    tq_run_in_child(TQ_NS_NET, fixes_lift_the_cause, NULL);
}
END_TEST

START_TEST(buffer_fix_stops_at_the_hard_limit)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    long rmem_max = tq_read_long("/proc/sys/net/core/rmem_max");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char fix[128], want[128];

    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(rmem_max, 0);
    ck_assert_int_lt(rmem_max, 0x20000000);
    memset(&opt, 0, sizeof opt);
    opt.rcvbuf = (int)rmem_max * 2;
    opt.sndbuf = INT_MAX;
    ck_assert_int_eq(tcpq_set_buffers(fd, &opt, &rep), 0);
    tcpq_warning_fix(&rep, TCPQ_WARN_RCVBUF_CLAMPED, fix, sizeof fix);
    snprintf(want, sizeof want, "sysctl -w net.core.rmem_max=%d", opt.rcvbuf);
    ck_assert_str_eq(fix, want);
    tcpq_warning_fix(&rep, TCPQ_WARN_SNDBUF_CLAMPED, fix, sizeof fix);
    ck_assert_str_eq(fix, "sysctl -w net.core.wmem_max=1073741823");
    close(fd);
}
END_TEST

/* The warnings no command lifts: an empty fix, a return of 0. */
START_TEST(warnings_without_a_command_give_an_empty_fix)
{
    static const unsigned none[] = {TCPQ_WARN_AUTOTUNING_OFF,
                                    TCPQ_WARN_LIMITS_COMPILED,
                                    TCPQ_WARN_TOO_LATE};
    struct tcpq_report rep;
    char fix[8] = "x";

    memset(&rep, 0, sizeof rep);
    rep.warnings = none[_i];
    ck_assert_int_eq(tcpq_warning_fix(&rep, none[_i], fix, sizeof fix), 0);
    ck_assert_str_eq(fix, "");
}
END_TEST

/* A buffer granted at the kernel's hard limit (FORCE, or a sysctl set that
   high): nothing is left to raise. */
START_TEST(buffer_at_the_hard_limit_has_no_fix)
{
    struct tcpq_report rep;
    char fix[64] = "x";

    memset(&rep, 0, sizeof rep);
    rep.rcvbuf_requested = INT_MAX;
    rep.rcvbuf = INT_MAX / 2;
    ck_assert_int_eq(
        tcpq_warning_fix(&rep, TCPQ_WARN_RCVBUF_CLAMPED, fix, sizeof fix), 0);
    ck_assert_str_eq(fix, "");
}
END_TEST

START_TEST(warning_fix_returns_as_snprintf_and_refuses_bad_input)
{
    struct tcpq_report rep;
    char small[8];
    const char *full = "sysctl -w net.core.somaxconn=70000";
    int n;

    memset(&rep, 0, sizeof rep);
    rep.backlog_requested = 70000;
    n = tcpq_warning_fix(&rep, TCPQ_WARN_BACKLOG_CLAMPED, NULL, 0);
    ck_assert_int_eq(n, (int)strlen(full));
    n = tcpq_warning_fix(&rep, TCPQ_WARN_BACKLOG_CLAMPED, small, sizeof small);
    ck_assert_int_eq(n, (int)strlen(full));
    ck_assert_str_eq(small, "sysctl "); /* cut and terminated */
    errno = 0;
    ck_assert_int_eq(
        tcpq_warning_fix(NULL, TCPQ_WARN_BACKLOG_CLAMPED, small, sizeof small),
        -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tcpq_warning_fix(&rep, 0, small, sizeof small), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(
        tcpq_warning_fix(&rep,
                         TCPQ_WARN_BACKLOG_CLAMPED | TCPQ_WARN_RCVBUF_CLAMPED,
                         small, sizeof small),
        -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tcpq_warning_fix(&rep, 1u << 30, small, sizeof small), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("warning_fix");
    TCase *ns;

    tcase_add_test(tc, buffer_fix_stops_at_the_hard_limit);
    tcase_add_loop_test(tc, warnings_without_a_command_give_an_empty_fix, 0, 3);
    tcase_add_test(tc, buffer_at_the_hard_limit_has_no_fix);
    tcase_add_test(tc, warning_fix_returns_as_snprintf_and_refuses_bad_input);
    suite_add_tcase(s, tc);
    ns = tq_tcase_if(s, "fix_applied_in_namespace", tq_caps.netns, 1,
                     "no private network namespace can be made here");
    if (ns != NULL)
        tcase_add_test(ns, backlog_and_syncookie_fixes_lift_the_cause);
    return s;
}
