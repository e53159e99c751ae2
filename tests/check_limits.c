/* tcpq_get_limits against the kernel's own files, the strict parsers, the
   fallback when /proc/sys is hidden, and the version. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"
#include "tcpq_internal.h"

static void read_triple(const char *path, int out[3])
{
    FILE *f = fopen(path, "r");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%d %d %d", &out[0], &out[1], &out[2]), 3);
    fclose(f);
}

START_TEST(limits_match_proc_sys_of_this_namespace)
{
    struct tcpq_limits lim;
    int rmem[3], wmem[3], i;

    ck_assert_int_eq(tcpq_get_limits(&lim), 0);
    ck_assert_str_eq(lim.os, "linux");
    ck_assert_int_eq(lim.queue_model, TCPQ_QUEUE_SPLIT);
    ck_assert_int_eq(lim.somaxconn_runtime, 1);
    ck_assert_int_eq(lim.somaxconn,
                     tq_read_long("/proc/sys/net/core/somaxconn"));
    ck_assert_int_eq(lim.max_syn_backlog,
                     tq_read_long("/proc/sys/net/ipv4/tcp_max_syn_backlog"));
    ck_assert_int_eq(lim.syncookies,
                     tq_read_long("/proc/sys/net/ipv4/tcp_syncookies"));
    ck_assert_int_eq(lim.abort_on_overflow,
                     tq_read_long("/proc/sys/net/ipv4/tcp_abort_on_overflow"));
    ck_assert_int_eq(lim.rmem_default,
                     tq_read_long("/proc/sys/net/core/rmem_default"));
    ck_assert_int_eq(lim.rmem_max, tq_read_long("/proc/sys/net/core/rmem_max"));
    ck_assert_int_eq(lim.wmem_default,
                     tq_read_long("/proc/sys/net/core/wmem_default"));
    ck_assert_int_eq(lim.wmem_max, tq_read_long("/proc/sys/net/core/wmem_max"));
    read_triple("/proc/sys/net/ipv4/tcp_rmem", rmem);
    read_triple("/proc/sys/net/ipv4/tcp_wmem", wmem);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(lim.tcp_rmem[i], rmem[i]);
        ck_assert_int_eq(lim.tcp_wmem[i], wmem[i]);
    }
}
END_TEST

START_TEST(limits_null_is_einval_and_success_keeps_errno)
{
    struct tcpq_limits lim;

    errno = 0;
    ck_assert_int_eq(tcpq_get_limits(NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 12345;
    ck_assert_int_eq(tcpq_get_limits(&lim), 0);
    ck_assert_int_eq(errno, 12345);
}
END_TEST

START_TEST(version_matches_header)
{
    char expected[32];

    snprintf(expected, sizeof expected, "%d.%d.%d", TCPQ_VERSION_MAJOR,
             TCPQ_VERSION_MINOR, TCPQ_VERSION_PATCH);
    ck_assert_str_eq(tcpq_version(), expected);
    ck_assert_str_eq(tcpq_version(), TCPQ_VERSION_STRING);
    ck_assert_int_eq(TCPQ_VERSION_HEX, (TCPQ_VERSION_MAJOR << 16) |
                                           (TCPQ_VERSION_MINOR << 8) |
                                           TCPQ_VERSION_PATCH);
}
END_TEST

START_TEST(warning_names_cover_every_bit)
{
    unsigned bit;
    int named = 0;

    for (bit = 1; bit != 0; bit <<= 1) {
        const char *name = tcpq_warning_name(bit);
        if (name != NULL) {
            ck_assert_int_eq(strncmp(name, "TCPQ_WARN_", 10), 0);
            named++;
        }
    }
    ck_assert_int_eq(named, 10);
    ck_assert_str_eq(tcpq_warning_name(TCPQ_WARN_BACKLOG_CLAMPED),
                     "TCPQ_WARN_BACKLOG_CLAMPED");
    ck_assert_ptr_null(tcpq_warning_name(0));
    ck_assert_ptr_null(
        tcpq_warning_name(TCPQ_WARN_TOO_LATE | TCPQ_WARN_AUTOTUNING_OFF));
}
END_TEST

/* ---- the parsers: table-driven ------------------------------------------ */

static const struct {
    const char *text;
    int ok;
    int value;
    int err;
} int_cases[] = {
    {"4096\n", 1, 4096, 0},
    {"0", 1, 0, 0},
    {"-1\n", 1, -1, 0},
    {"2147483647\n", 1, INT_MAX, 0},
    {"-2147483648", 1, INT_MIN, 0},
    {"2147483648\n", 0, 0, ERANGE},
    {"99999999999999999999", 0, 0, ERANGE},
    {"", 0, 0, EINVAL},
    {"\n", 0, 0, EINVAL},
    {"-", 0, 0, EINVAL},
    {"12abc\n", 0, 0, EINVAL},
    {" 12\n", 0, 0, EINVAL},
    {"12 13\n", 0, 0, EINVAL},
    {"+5", 0, 0, EINVAL},
    {"1\n\n", 1, 1, 0},
};

START_TEST(parse_int_is_strict)
{
    int value = 777;
    const char *text = int_cases[_i].text;
    int rc;

    errno = 0;
    rc = tcpq__parse_int(text, strlen(text), &value);
    if (int_cases[_i].ok) {
        ck_assert_msg(rc == 0, "'%s' refused", text);
        ck_assert_int_eq(value, int_cases[_i].value);
    } else {
        ck_assert_msg(rc == -1, "'%s' accepted as %d", text, value);
        ck_assert_int_eq(errno, int_cases[_i].err);
        ck_assert_int_eq(value, 777);
    }
}
END_TEST

START_TEST(parse_never_reads_past_length)
{
    int value = 0, triple[3];

    /* "40" of "4096": the length, not the NUL, ends the field */
    ck_assert_int_eq(tcpq__parse_int("4096", 2, &value), 0);
    ck_assert_int_eq(value, 40);
    ck_assert_int_eq(tcpq__parse_int("4096", 0, &value), -1);
    ck_assert_int_eq(tcpq__parse_int3("1 2 3 4", 5, triple), 0);
    ck_assert_int_eq(triple[2], 3);
}
END_TEST

static const struct {
    const char *text;
    int ok;
} triple_cases[] = {
    {"4096\t131072\t6291456\n", 1},
    {"4096 16384 4194304", 1},
    {"1 2", 0},
    {"1 2 3 4", 0},
    {"1,2,3", 0},
    {"1  2\t 3\n", 1},
    {"1 2 x", 0},
    {"", 0},
};

START_TEST(parse_int3_is_strict)
{
    int out[3] = {7, 7, 7};
    const char *text = triple_cases[_i].text;
    int rc = tcpq__parse_int3(text, strlen(text), out);

    ck_assert_msg((rc == 0) == triple_cases[_i].ok, "'%s': rc %d", text, rc);
    if (!triple_cases[_i].ok)
        ck_assert(out[0] == 7 && out[1] == 7 && out[2] == 7);
}
END_TEST

/* ---- /proc/sys hidden: the compile-time fallback, for real -------------- */

static int hidden_proc_sys(void *arg, char *why, size_t cap)
{
    struct tcpq_limits lim;
    struct tcpq_report rep;
    int fd, backlog = -1;

    (void)arg;
    /* a namespace cap unlike the compile-time SOMAXCONN, then hide it */
    TQ_REQUIRE(tq_write_file("/proc/sys/net/core/somaxconn", "100") == 0,
               "cannot set somaxconn");
    TQ_REQUIRE(mount("tmpfs", "/proc/sys", "tmpfs", 0, NULL) == 0,
               "mount tmpfs on /proc/sys: %s", strerror(errno));
    TQ_REQUIRE(access("/proc/sys/net/core/somaxconn", F_OK) < 0,
               "/proc/sys still readable");

    TQ_REQUIRE(tcpq_get_limits(&lim) == 0, "get_limits failed");
    TQ_REQUIRE(lim.somaxconn_runtime == 0, "somaxconn_runtime %d",
               lim.somaxconn_runtime);
    TQ_REQUIRE(lim.somaxconn == SOMAXCONN, "somaxconn %d, want SOMAXCONN %d",
               lim.somaxconn, SOMAXCONN);
    TQ_REQUIRE(lim.syncookies == -1 && lim.rmem_max == -1 &&
                   lim.tcp_rmem[2] == -1,
               "unreadable figures are not -1");

    fd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    TQ_REQUIRE(fd >= 0, "listen without /proc/sys: %s", rep.message);
    TQ_REQUIRE(rep.warnings & TCPQ_WARN_LIMITS_COMPILED,
               "no LIMITS_COMPILED warning: %s", rep.message);
    /* the message names what could not be read, and why */
    TQ_REQUIRE(strstr(rep.message, "net.ipv4.tcp_syncookies unreadable") !=
                       NULL &&
                   strstr(rep.message, strerror(ENOENT)) != NULL,
               "message: %s", rep.message);
    /* the kernel's clamp (100), read back, not the compile-time guess */
    TQ_REQUIRE(tq_tcpi_listen(fd, NULL, &backlog) == 0 && backlog == 100,
               "TCP_INFO backlog %d, want the namespace's 100", backlog);
    TQ_REQUIRE(rep.backlog == 100, "report.backlog %d, want 100", rep.backlog);
    TQ_REQUIRE(rep.accept_queue_capacity == 101, "accept capacity %d",
               rep.accept_queue_capacity);
    close(fd);
    return 0;
}

START_TEST(hidden_proc_sys_falls_back_and_still_listens)
{
    tq_run_in_child(TQ_NS_NET | TQ_NS_MOUNT, hidden_proc_sys, NULL);
}
END_TEST

/* Out of descriptors: procfs cannot be opened. The one free descriptor
   must go to the listener only after the limits were read, and with none
   left the message must give the real cause (EMFILE), not claim the
   limits are hidden. */
static int out_of_descriptors(void *arg, char *why, size_t cap)
{
    struct tcpq_report rep;
    struct rlimit rl;
    int filler[64], fillers = 0, spare, fd, backlog = -1;
    long syncookies = tq_read_long("/proc/sys/net/ipv4/tcp_syncookies");

    (void)arg;
    /* the soft limit only: valgrind refuses a change to the hard one */
    TQ_REQUIRE(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit: %s",
               strerror(errno));
    rl.rlim_cur = (rlim_t)(tq_open_fds() + 40);
    TQ_REQUIRE(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit: %s",
               strerror(errno));
    spare = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    TQ_REQUIRE(spare >= 0, "socket: %s", strerror(errno));
    while (fillers < 64 &&
           (filler[fillers] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        fillers++;
    TQ_REQUIRE(fillers > 0 && fillers < 64 && errno == EMFILE,
               "could not run out of descriptors");
    close(filler[--fillers]); /* exactly one free */

    fd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    TQ_REQUIRE(fd >= 0, "open_listener with one free descriptor: %s",
               rep.message);
    TQ_REQUIRE(!(rep.warnings & TCPQ_WARN_LIMITS_COMPILED),
               "one free descriptor: limits reported unreadable: %s",
               rep.message);
    TQ_REQUIRE(tq_tcpi_listen(fd, NULL, &backlog) == 0 &&
                   rep.backlog == backlog,
               "report.backlog %d, TCP_INFO %d", rep.backlog, backlog);
    if (syncookies == 1 && !tq_linux_before(6, 13))
        TQ_REQUIRE(rep.syn_queue_capacity == backlog + 1,
                   "syn_queue_capacity %d, want %d", rep.syn_queue_capacity,
                   backlog + 1);

    /* none free now: listen() itself needs no descriptor */
    TQ_REQUIRE(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE,
               "a descriptor is still free");
    TQ_REQUIRE(tcpq_listen(spare, NULL, &rep) == 0, "listen: %s", rep.message);
    TQ_REQUIRE(rep.warnings & TCPQ_WARN_LIMITS_COMPILED,
               "no descriptor: no LIMITS_COMPILED warning: %s", rep.message);
    TQ_REQUIRE(strstr(rep.message, strerror(EMFILE)) != NULL &&
                   strstr(rep.message, "net.ipv4.tcp_syncookies") != NULL,
               "the message hides the cause (EMFILE): %s", rep.message);
    TQ_REQUIRE(rep.syn_queue_capacity == -1, "syn_queue_capacity %d",
               rep.syn_queue_capacity);
    close(fd);
    close(spare);
    while (fillers > 0)
        close(filler[--fillers]);
    return 0;
}

START_TEST(running_out_of_descriptors_is_named_not_called_hidden_limits)
{
    tq_run_in_child(0, out_of_descriptors, NULL);
}
END_TEST

Suite *limits_suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("runtime");
    TCase *parse = tcase_create("parsers");
    TCase *hidden;

    tcase_add_test(tc, limits_match_proc_sys_of_this_namespace);
    tcase_add_test(tc, limits_null_is_einval_and_success_keeps_errno);
    tcase_add_test(tc, version_matches_header);
    tcase_add_test(tc, warning_names_cover_every_bit);
    tcase_add_test(
        tc, running_out_of_descriptors_is_named_not_called_hidden_limits);
    suite_add_tcase(s, tc);

    tcase_add_loop_test(parse, parse_int_is_strict, 0,
                        (int)(sizeof int_cases / sizeof int_cases[0]));
    tcase_add_loop_test(parse, parse_int3_is_strict, 0,
                        (int)(sizeof triple_cases / sizeof triple_cases[0]));
    tcase_add_test(parse, parse_never_reads_past_length);
    suite_add_tcase(s, parse);

    hidden = tq_tcase_if(s, "hidden_proc_sys", tq_caps.mountns, 1,
                         "no private mount + network namespace can be made "
                         "here");
    if (hidden != NULL)
        tcase_add_test(hidden, hidden_proc_sys_falls_back_and_still_listens);
    return s;
}
