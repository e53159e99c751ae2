/* A program as it was written and built against libtcpq 0.1.0: compiled
   with the 0.1.0 header (tests/compat/include-0.1.0/tcpq.h) and run,
   unrecompiled, against a later libtcpq.so.0 by tests/compat.sh. Each
   struct it hands the library is allocated at its 0.1.0 size. By default
   a guard region of GUARD_BYTE follows it: a write past the struct is
   found by check_guard, and a read past its options meets 0xa5a5a5a5,
   which no option accepts. With --exact nothing follows it, so that
   valgrind and ASan report any read or write past it. Exit 0: every call
   behaved as 0.1.0 documents and nothing was written past a struct; else
   it says why. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tcpq.h>

#define GUARD 64
#define GUARD_BYTE 0xa5

static int failures;
static size_t guard = GUARD; /* 0 with --exact */

#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "old_program: " __VA_ARGS__);                      \
            fputc('\n', stderr);                                               \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* A struct of `size` bytes followed by `guard` bytes of GUARD_BYTE. */
static void *guarded(size_t size)
{
    unsigned char *p = malloc(size + guard);

    if (p == NULL) {
        perror("malloc");
        exit(2);
    }
    memset(p, 0, size);
    memset(p + size, GUARD_BYTE, guard);
    return p;
}

static void check_guard(const void *p, size_t size, const char *what)
{
    const unsigned char *g = (const unsigned char *)p + size;
    size_t i;

    for (i = 0; i < guard; i++)
        if (g[i] != GUARD_BYTE) {
            EXPECT(0, "%s: byte %zu past the 0.1.0 struct (%zu bytes) was "
                      "written",
                   what, i, size);
            return;
        }
}

static int tcp_info_backlog(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;

    memset(&info, 0, sizeof info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        return -1;
    return (int)info.tcpi_sacked;
}

int main(int argc, char **argv)
{
    struct tcpq_report *rep;
    struct tcpq_limits *lim;
    struct tcpq_options *opt;
    char port[16];
    const char *colon;
    int lfd, cfd, afd, fd;

    if (argc == 2 && strcmp(argv[1], "--exact") == 0)
        guard = 0;
    else if (argc != 1) {
        fprintf(stderr, "usage: old_program [--exact]\n");
        return 2;
    }
    rep = guarded(sizeof *rep);
    lim = guarded(sizeof *lim);
    opt = guarded(sizeof *opt);

    printf("old_program: built with libtcpq %s's header (report %zu bytes, "
           "options %zu, limits %zu), running with libtcpq %s\n",
           TCPQ_VERSION_STRING, sizeof *rep, sizeof *opt, sizeof *lim,
           tcpq_version());

    /* limits */
    EXPECT(tcpq_get_limits(lim) == 0, "tcpq_get_limits: %s", strerror(errno));
    EXPECT(lim->somaxconn > 0, "somaxconn %d", lim->somaxconn);
    check_guard(lim, sizeof *lim, "tcpq_get_limits");

    /* a listener with the 0.1.0 options, the backlog read back */
    opt->backlog = 100;
    opt->rcvbuf = 65536;
    opt->mode = TCPQ_TIMEOUT;
    opt->timeout_ms = 2000;
    opt->flags = TCPQ_NODELAY | TCPQ_KEEPALIVE;
    lfd = tcpq_open_listener("127.0.0.1", "0", opt, rep);
    EXPECT(lfd >= 0, "tcpq_open_listener: %s", rep->message);
    check_guard(rep, sizeof *rep, "tcpq_open_listener");
    if (lfd < 0)
        return 1;
    EXPECT(rep->backlog == 100 && tcp_info_backlog(lfd) == 100,
           "backlog: report %d, TCP_INFO %d", rep->backlog,
           tcp_info_backlog(lfd));
    EXPECT(rep->rcvbuf_requested == 65536, "rcvbuf_requested %d",
           rep->rcvbuf_requested);
    colon = strrchr(rep->address, ':');
    EXPECT(colon != NULL, "address \"%s\"", rep->address);
    snprintf(port, sizeof port, "%s", colon != NULL ? colon + 1 : "0");

    /* again on the listener: resized, and an unknown flag refused */
    opt->backlog = 50;
    EXPECT(tcpq_listen(lfd, opt, rep) == 0, "tcpq_listen: %s", rep->message);
    check_guard(rep, sizeof *rep, "tcpq_listen");
    EXPECT(tcp_info_backlog(lfd) == 50, "relisten: TCP_INFO %d",
           tcp_info_backlog(lfd));
    opt->flags = 1u << 30;
    EXPECT(tcpq_listen(lfd, opt, rep) == -1 && errno == EINVAL,
           "unknown flag: errno %d", errno);
    EXPECT(strstr(rep->message, "unknown flag") != NULL, "message \"%s\"",
           rep->message);
    check_guard(rep, sizeof *rep, "tcpq_listen (failing)");
    opt->flags = 0;

    /* buffers, and the mode */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    opt->rcvbuf = 1 << 30;
    EXPECT(tcpq_set_buffers(fd, opt, rep) == 0, "tcpq_set_buffers: %s",
           rep->message);
    EXPECT(rep->warnings & TCPQ_WARN_RCVBUF_CLAMPED, "no clamp warning");
    check_guard(rep, sizeof *rep, "tcpq_set_buffers");
    opt->mode = TCPQ_NONBLOCKING;
    EXPECT(tcpq_set_timeout_mode(fd, opt) == 0, "tcpq_set_timeout_mode: %s",
           strerror(errno));
    check_guard(opt, sizeof *opt, "options (read only)");
    close(fd);

    /* a client, and the connection accepted */
    opt->rcvbuf = 0;
    opt->mode = TCPQ_TIMEOUT;
    cfd = tcpq_connect("127.0.0.1", port, opt, rep);
    EXPECT(cfd >= 0, "tcpq_connect: %s", rep->message);
    check_guard(rep, sizeof *rep, "tcpq_connect");
    afd = tcpq_accept(lfd, NULL, NULL);
    EXPECT(afd >= 0, "tcpq_accept: %s", strerror(errno));
    EXPECT(tcpq_send_all(cfd, "ping", 4) == 4, "send_all");
    {
        char buf[8];
        EXPECT(tcpq_recv(afd, buf, sizeof buf) == 4, "recv");
    }
    close(afd);
    close(cfd);
    close(lfd);

    /* failure text lands in the old report, bounded */
    EXPECT(tcpq_open_listener("127.0.0.1", "99999", NULL, rep) == -1 &&
               errno == EINVAL,
           "bad port: errno %d", errno);
    check_guard(rep, sizeof *rep, "tcpq_open_listener (failing)");

    free(rep);
    free(lim);
    free(opt);
    if (failures == 0)
        printf("old_program: every call as 0.1.0 documents; %s\n",
               guard > 0 ? "nothing written past a struct (guard bytes)"
                         : "structs at their exact 0.1.0 size");
    return failures == 0 ? 0 : 1;
}
