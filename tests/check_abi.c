/* The binary interface of tcpq.h, pinned: the size and offset of every
   field of every public struct, and the value of every enumerator and
   TCPQ_* flag and warning bit, against the table below (taken from x86-64
   Linux; 0.1.0's rows, then those 0.2.0 appended).

   Policy. A program built against libtcpq.so.N keeps working with every
   later libtcpq.so.N, so within one major version (the soname) structs
   only grow at their end: fields are appended, never removed, reordered,
   resized or retyped, and no existing constant changes its value (the
   masks TCPQ_FLAGS_ALL grows as bits are added). The structs the caller
   allocates reach the library with their size (the *_sized entry points
   behind the header's macros; tests/compat.sh runs a 0.1.0 program
   against this library), so appending is safe. Any other change is a
   break, and a break bumps TCPQ_VERSION_MAJOR, hence the soname. This test
   fails on any change of layout or value until this table is edited on
   purpose, in the same commit, together with the major version where the
   change is a break (an appended field only needs its row added and the
   struct's size updated). ABI_MAJOR below ties the table to the soname:
   bumping the major fails here until the table is reviewed.

   Offsets that depend on the pointer size (struct tcpq_limits starts with
   a pointer) are computed from sizeof(void *), so ILP32 hosts check the
   same layout rule rather than x86-64's numbers. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"

#define ABI_MAJOR 0 /* the soname's major these rows describe */

#define PTR ((size_t)sizeof(void *))

struct abi_field {
    const char *name;
    size_t offset, size; /* measured */
    size_t want_offset, want_size;
};

#define FIELD(s, f, off, sz)                                                   \
    {                                                                          \
#s "." #f, offsetof(struct s, f), sizeof(((struct s *)0)->f), (off),   \
            (sz)                                                               \
    }
#define SIZE(s, sz)                                                            \
    {                                                                          \
        "sizeof(struct " #s ")", 0, sizeof(struct s), 0, (sz)                  \
    }

/* struct tcpq_limits: everything after `os` sits PTR - 8 away from its
   x86-64 offset */
#define LIM(off) (PTR + (size_t)(off)-8u)

static const struct abi_field abi_fields[] = {
    SIZE(tcpq_options, 48 + 5 * PTR), /* 88 on LP64; 24 in 0.1.0 */
    FIELD(tcpq_options, backlog, 0, 4),
    FIELD(tcpq_options, rcvbuf, 4, 4),
    FIELD(tcpq_options, sndbuf, 8, 4),
    FIELD(tcpq_options, mode, 12, 4),
    FIELD(tcpq_options, timeout_ms, 16, 4),
    FIELD(tcpq_options, flags, 20, 4),
    /* 0.2.0 */
    FIELD(tcpq_options, keepalive_idle_s, 24, 4),
    FIELD(tcpq_options, keepalive_intvl_s, 28, 4),
    FIELD(tcpq_options, keepalive_cnt, 32, 4),
    FIELD(tcpq_options, user_timeout_ms, 36, 4),
    FIELD(tcpq_options, defer_accept_s, 40, 4),
    FIELD(tcpq_options, fastopen_qlen, 44, 4),
    FIELD(tcpq_options, notsent_lowat, 48, 4),
    /* the pointers: aligned to their size, after 48 bytes of ints */
    FIELD(tcpq_options, congestion, 48 + PTR, PTR),
    FIELD(tcpq_options, fallback_delay_ms, 48 + 2 * PTR, 4),
    FIELD(tcpq_options, source, 48 + 3 * PTR, PTR),
    FIELD(tcpq_options, device, 48 + 4 * PTR, PTR),

    SIZE(tcpq_limits, PTR + 104), /* 112 on LP64; 72 in 0.1.0 */
    FIELD(tcpq_limits, os, 0, PTR),
    FIELD(tcpq_limits, queue_model, LIM(8), 4),
    FIELD(tcpq_limits, somaxconn, LIM(12), 4),
    FIELD(tcpq_limits, somaxconn_runtime, LIM(16), 4),
    FIELD(tcpq_limits, max_syn_backlog, LIM(20), 4),
    FIELD(tcpq_limits, syncookies, LIM(24), 4),
    FIELD(tcpq_limits, abort_on_overflow, LIM(28), 4),
    FIELD(tcpq_limits, rmem_default, LIM(32), 4),
    FIELD(tcpq_limits, rmem_max, LIM(36), 4),
    FIELD(tcpq_limits, wmem_default, LIM(40), 4),
    FIELD(tcpq_limits, wmem_max, LIM(44), 4),
    FIELD(tcpq_limits, tcp_rmem, LIM(48), 12),
    FIELD(tcpq_limits, tcp_wmem, LIM(60), 12),
    /* 0.2.0 */
    FIELD(tcpq_limits, keepalive_time_s, LIM(72), 4),
    FIELD(tcpq_limits, keepalive_intvl_s, LIM(76), 4),
    FIELD(tcpq_limits, keepalive_probes, LIM(80), 4),
    FIELD(tcpq_limits, fastopen, LIM(84), 4),
    FIELD(tcpq_limits, notsent_lowat, LIM(88), 4),
    FIELD(tcpq_limits, congestion, LIM(92), 16),

    SIZE(tcpq_queue_stats, 24),
    FIELD(tcpq_queue_stats, accept_queue_len, 0, 4),
    FIELD(tcpq_queue_stats, accept_queue_limit, 4, 4),
    FIELD(tcpq_queue_stats, listen_overflows, 8, 8),
    FIELD(tcpq_queue_stats, listen_drops, 16, 8),

    SIZE(tcpq_report, 416), /* 364 in 0.1.0 */
    FIELD(tcpq_report, backlog_requested, 0, 4),
    FIELD(tcpq_report, backlog, 4, 4),
    FIELD(tcpq_report, accept_queue_capacity, 8, 4),
    FIELD(tcpq_report, syn_queue_capacity, 12, 4),
    FIELD(tcpq_report, rcvbuf_requested, 16, 4),
    FIELD(tcpq_report, rcvbuf, 20, 4),
    FIELD(tcpq_report, rcvbuf_kernel, 24, 4),
    FIELD(tcpq_report, sndbuf_requested, 28, 4),
    FIELD(tcpq_report, sndbuf, 32, 4),
    FIELD(tcpq_report, sndbuf_kernel, 36, 4),
    FIELD(tcpq_report, warnings, 40, 4),
    FIELD(tcpq_report, address, 44, 64),
    FIELD(tcpq_report, message, 108, 256),
    /* 0.2.0 */
    FIELD(tcpq_report, keepalive_idle_s, 364, 4),
    FIELD(tcpq_report, keepalive_intvl_s, 368, 4),
    FIELD(tcpq_report, keepalive_cnt, 372, 4),
    FIELD(tcpq_report, user_timeout_ms, 376, 4),
    FIELD(tcpq_report, defer_accept_s, 380, 4),
    FIELD(tcpq_report, fastopen_qlen, 384, 4),
    FIELD(tcpq_report, notsent_lowat, 388, 4),
    FIELD(tcpq_report, congestion, 392, 16),
    FIELD(tcpq_report, attempts, 408, 4),
    FIELD(tcpq_report, backlog_before, 412, 4),

    /* enums are passed and stored as int */
    {"sizeof(enum tcpq_mode)", 0, sizeof(enum tcpq_mode), 0, sizeof(int)},
    {"sizeof(enum tcpq_queue_model)", 0, sizeof(enum tcpq_queue_model), 0,
     sizeof(int)},
    {"sizeof(enum tcpq_errclass)", 0, sizeof(enum tcpq_errclass), 0,
     sizeof(int)},
};

struct abi_const {
    const char *name;
    unsigned long long value, want;
};

#define CONST(c, v)                                                            \
    {                                                                          \
#c, (unsigned long long)(c), (v)                                       \
    }

static const struct abi_const abi_consts[] = {
    CONST(TCPQ_VERSION_MAJOR, ABI_MAJOR),

    CONST(TCPQ_BLOCKING, 0),
    CONST(TCPQ_TIMEOUT, 1),
    CONST(TCPQ_NONBLOCKING, 2),
    CONST(TCPQ_MODE_KEEP, 3), /* 0.2.0 */
    CONST(TCPQ_LISTEN_FDS_UNSET, 1),
    CONST(TCPQ_FDNAME_MAX, 256),

    CONST(TCPQ_QUEUE_UNKNOWN, 0),
    CONST(TCPQ_QUEUE_SPLIT, 1),
    CONST(TCPQ_QUEUE_SINGLE, 2),

    CONST(TCPQ_ERR_NONE, 0),
    CONST(TCPQ_ERR_WOULDBLOCK, 1),
    CONST(TCPQ_ERR_TIMEOUT, 2),
    CONST(TCPQ_ERR_INTERRUPTED, 3),
    CONST(TCPQ_ERR_REFUSED, 4),
    CONST(TCPQ_ERR_RESET, 5),
    CONST(TCPQ_ERR_ABORTED, 6),
    CONST(TCPQ_ERR_BROKEN_PIPE, 7),
    CONST(TCPQ_ERR_ADDR_IN_USE, 8),
    CONST(TCPQ_ERR_OTHER, 9),

    CONST(TCPQ_NO_REUSEADDR, 0x01),
    CONST(TCPQ_REUSEPORT, 0x02),
    CONST(TCPQ_V6ONLY, 0x04),
    CONST(TCPQ_NODELAY, 0x08),
    CONST(TCPQ_KEEPALIVE, 0x10),
    CONST(TCPQ_FORCE_BUFFERS, 0x20),
    CONST(TCPQ_FREEBIND, 0x40),  /* 0.2.0 */
    CONST(TCPQ_FLAGS_ALL, 0x7f), /* 0x3f in 0.1.0: grows with the bits */

    CONST(TCPQ_WARN_BACKLOG_CLAMPED, 0x01),
    CONST(TCPQ_WARN_RCVBUF_CLAMPED, 0x02),
    CONST(TCPQ_WARN_SNDBUF_CLAMPED, 0x04),
    CONST(TCPQ_WARN_AUTOTUNING_OFF, 0x08),
    CONST(TCPQ_WARN_LIMITS_COMPILED, 0x10),
    CONST(TCPQ_WARN_TOO_LATE, 0x20),
    CONST(TCPQ_WARN_SYNCOOKIES_OFF, 0x40),
    CONST(TCPQ_WARN_FLAG_IGNORED, 0x80), /* 0.2.0 */
    CONST(TCPQ_WARN_ROUNDED, 0x100),
    CONST(TCPQ_WARN_FASTOPEN_OFF, 0x200),
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* every mismatch listed in one failure, not just the first */
START_TEST(struct_layout_matches_the_table)
{
    char diff[4096] = "";
    size_t used = 0, i;
    int bad = 0;

    for (i = 0; i < NELEM(abi_fields); i++) {
        const struct abi_field *f = &abi_fields[i];
        if (f->offset == f->want_offset && f->size == f->want_size)
            continue;
        bad++;
        if (used < sizeof diff) {
            int n = snprintf(diff + used, sizeof diff - used,
                             "\n  %s: offset %zu size %zu, table says "
                             "offset %zu size %zu",
                             f->name, f->offset, f->size, f->want_offset,
                             f->want_size);
            if (n > 0)
                used += (size_t)n;
        }
    }
    ck_assert_msg(bad == 0,
                  "%d ABI layout change(s); append-only within a major "
                  "version, else bump TCPQ_VERSION_MAJOR (the soname) and "
                  "update tests/check_abi.c:%s",
                  bad, diff);
}
END_TEST

START_TEST(constants_match_the_table)
{
    char diff[4096] = "";
    size_t used = 0, i;
    int bad = 0;

    for (i = 0; i < NELEM(abi_consts); i++) {
        const struct abi_const *c = &abi_consts[i];
        if (c->value == c->want)
            continue;
        bad++;
        if (used < sizeof diff) {
            int n = snprintf(diff + used, sizeof diff - used,
                             "\n  %s = %#llx, table says %#llx", c->name,
                             c->value, c->want);
            if (n > 0)
                used += (size_t)n;
        }
    }
    ck_assert_msg(bad == 0,
                  "%d ABI constant change(s); values are fixed within a "
                  "major version (the soname), update tests/check_abi.c "
                  "on purpose:%s",
                  bad, diff);
}
END_TEST

/* the flag masks cover exactly the bits defined above */
START_TEST(flag_masks_are_complete)
{
    ck_assert_uint_eq(TCPQ_FLAGS_ALL, TCPQ_NO_REUSEADDR | TCPQ_REUSEPORT |
                                          TCPQ_V6ONLY | TCPQ_NODELAY |
                                          TCPQ_KEEPALIVE | TCPQ_FORCE_BUFFERS |
                                          TCPQ_FREEBIND);
}
END_TEST

/* ---- the size-passing entry points ----------------------------------------
 */

/* Options from a newer header: zero bytes past what this library knows
   are accepted; a set one is E2BIG, before the socket is touched. */
START_TEST(larger_options_are_accepted_only_with_a_zero_tail)
{
    struct {
        struct tcpq_options known;
        int newer[4];
    } bigger;
    struct tcpq_report rep;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), backlog = -1;

    memset(&bigger, 0, sizeof bigger);
    bigger.known.backlog = 42;
    ck_assert_int_eq(
        tcpq_listen_sized(fd, &bigger.known, sizeof bigger, &rep, sizeof rep),
        0);
    ck_assert_int_eq(tq_tcpi_listen(fd, NULL, &backlog), 0);
    ck_assert_int_eq(backlog, 42);
    bigger.known.backlog = 7;
    bigger.newer[2] = 1;
    ck_assert_int_eq(
        tcpq_listen_sized(fd, &bigger.known, sizeof bigger, &rep, sizeof rep),
        -1);
    ck_assert_int_eq(errno, E2BIG);
    ck_assert_msg(strstr(rep.message, "does not know") != NULL, "message: %s",
                  rep.message);
    ck_assert_int_eq(tq_tcpi_listen(fd, NULL, &backlog), 0);
    ck_assert_int_eq(backlog, 42); /* untouched */
    ck_assert_int_eq(tcpq_listen_sized(fd, &bigger.known, 20, &rep, sizeof rep),
                     -1);
    ck_assert_int_eq(errno, EINVAL); /* smaller than 0.1's 24 bytes */
    close(fd);
}
END_TEST

/* A report: never written past the size given; a newer caller's extra
   bytes are zeroed; one smaller than 0.1's is refused unwritten. */
START_TEST(report_is_written_only_as_far_as_its_size)
{
    struct {
        struct tcpq_report r;
        unsigned char tail[32];
    } big;
    unsigned char small[400];
    size_t i, v1 = offsetof(struct tcpq_report, keepalive_idle_s);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memset(small, 0xa5, sizeof small);
    ck_assert_int_eq(tcpq_set_buffers_sized(fd, NULL,
                                            sizeof(struct tcpq_options),
                                            (struct tcpq_report *)small, v1),
                     0);
    for (i = v1; i < sizeof small; i++)
        ck_assert_msg(small[i] == 0xa5, "byte %zu past a %zu-byte report", i,
                      v1);
    memset(&big, 0xa5, sizeof big);
    ck_assert_int_eq(tcpq_set_buffers_sized(fd, NULL,
                                            sizeof(struct tcpq_options), &big.r,
                                            sizeof big),
                     0);
    for (i = 0; i < sizeof big.tail; i++)
        ck_assert_int_eq(big.tail[i], 0);
    ck_assert_int_eq(big.r.keepalive_idle_s, -1); /* not measured */
    memset(small, 0xa5, sizeof small);
    ck_assert_int_eq(tcpq_set_buffers_sized(fd, NULL,
                                            sizeof(struct tcpq_options),
                                            (struct tcpq_report *)small, 100),
                     -1);
    ck_assert_int_eq(errno, EINVAL);
    for (i = 0; i < sizeof small; i++)
        ck_assert_int_eq(small[i], 0xa5);
    close(fd);
}
END_TEST

START_TEST(limits_are_written_only_as_far_as_their_size)
{
    unsigned char buf[256];
    size_t i, v1 = offsetof(struct tcpq_limits, keepalive_time_s);

    memset(buf, 0xa5, sizeof buf);
    ck_assert_int_eq(tcpq_get_limits_sized((struct tcpq_limits *)buf, v1), 0);
    for (i = v1; i < sizeof buf; i++)
        ck_assert_msg(buf[i] == 0xa5, "byte %zu past %zu", i, v1);
    ck_assert_int_eq(tcpq_get_limits_sized((struct tcpq_limits *)buf, 8), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* New code, a zero-initialised struct: the defaults, new fields included */
START_TEST(zero_options_mean_the_defaults)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    int fd, backlog = -1;
    long somaxconn = tq_read_long("/proc/sys/net/core/somaxconn");

    memset(&opt, 0, sizeof opt);
    fd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(tq_tcpi_listen(fd, NULL, &backlog), 0);
    ck_assert_int_eq(backlog, (int)somaxconn);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_REUSEADDR), 1);
    ck_assert_int_eq(tq_getsockopt_int(fd, SOL_SOCKET, SO_KEEPALIVE), 0);
    ck_assert_int_eq(rep.keepalive_idle_s, -1);
    ck_assert_str_eq(rep.congestion, "");
    close(fd);
}
END_TEST

Suite *abi_suite(void)
{
    Suite *s = suite_create("abi");
    TCase *tc = tcase_create("abi");

    tcase_add_test(tc, struct_layout_matches_the_table);
    tcase_add_test(tc, constants_match_the_table);
    tcase_add_test(tc, flag_masks_are_complete);
    tcase_add_test(tc, larger_options_are_accepted_only_with_a_zero_tail);
    tcase_add_test(tc, report_is_written_only_as_far_as_its_size);
    tcase_add_test(tc, limits_are_written_only_as_far_as_their_size);
    tcase_add_test(tc, zero_options_mean_the_defaults);
    suite_add_tcase(s, tc);
    return s;
}
