/* libtcpq-preload.so: the listen() that tcpq-run puts in front of a
   program's, applying libtcpq's policy to the program's own socket and
   logging one line per listener. It must never break the program: any
   failure falls back to the program's listen() with its own arguments,
   and errno is what the program would have seen. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* RTLD_NEXT */
#endif
#include "tcpq_run.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Exported: the one symbol the version script lets out. */
__attribute__((visibility("default"))) int listen(int fd, int backlog);

static int (*real_listen)(int, int);
static struct run_settings settings;

/* POSIX's way to take a function from dlsym without a cast between
   object and function pointers. */
static void find_real_listen(void)
{
    void *found = dlsym(RTLD_NEXT, "listen");

    memcpy(&real_listen, &found, sizeof real_listen);
}
static int active; /* the settings were read: the policy applies */

/* Set while libtcpq itself calls listen(): that one is the real one. */
static __thread int inside __attribute__((tls_model("initial-exec")));

/* LD_PRELOAD without this library, for --no-inherit: rewritten in place
   (the string only shrinks). */
static void drop_from_preload(void)
{
    Dl_info self;
    char *list = getenv("LD_PRELOAD"), *p;
    size_t n;

    if (list == NULL || dladdr(&settings, &self) == 0 || self.dli_fname == NULL)
        return;
    n = strlen(self.dli_fname);
    p = strstr(list, self.dli_fname);
    if (p == NULL || (p[n] != '\0' && p[n] != ':' && p[n] != ' '))
        return;
    memmove(p, p + n + (p[n] != '\0'), strlen(p + n + (p[n] != '\0')) + 1);
    if (list[0] == '\0')
        unsetenv("LD_PRELOAD");
}

/* Before main: one thread, the environment as tcpq-run left it. */
__attribute__((constructor)) static void read_settings(void)
{
    const char *log = getenv(RUN_ENV_LOG), *bad;

    find_real_listen();
    run_read_settings(&settings, &bad);
    if (log != NULL && strcmp(log, "off") == 0)
        settings.log_fd = -1;
    else if (log != NULL && strcmp(log, "stderr") != 0)
        settings.log_fd =
            open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (bad != NULL && settings.log_fd >= 0)
        dprintf(settings.log_fd, "tcpq-run[%ld]: %s is malformed: ignored\n",
                (long)getpid(), bad);
    if (settings.no_inherit) {
        /* this process keeps its settings; the programs it runs do not */
        static const char *const names[] = {
            RUN_ENV_BACKLOG,    RUN_ENV_RCVBUF,       RUN_ENV_SNDBUF,
            RUN_ENV_KEEPALIVE,  RUN_ENV_USER_TIMEOUT, RUN_ENV_DEFER_ACCEPT,
            RUN_ENV_FASTOPEN,   RUN_ENV_NODELAY,      RUN_ENV_LOG,
            RUN_ENV_NO_INHERIT, RUN_ENV_PRELOAD};
        size_t i;
        for (i = 0; i < sizeof names / sizeof names[0]; i++)
            unsetenv(names[i]);
        drop_from_preload();
    }
    active = real_listen != NULL;
}

/* One line, one write(): lines of several threads never interleave. */
static void log_line(const char *text)
{
    char line[512];
    int n;

    if (settings.log_fd < 0)
        return;
    n = snprintf(line, sizeof line, "tcpq-run[%ld]: %s\n", (long)getpid(),
                 text);
    if (n > 0)
        (void)!write(settings.log_fd, line,
                     (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

int listen(int fd, int backlog)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    char text[448], reason[96];
    int saved = errno, rc, err;

    if (real_listen == NULL) { /* a call before the constructor ran */
        find_real_listen();
        if (real_listen == NULL) {
            errno = ENOSYS;
            return -1;
        }
    }
    if (inside || !active)
        return real_listen(fd, backlog);
    opt = settings.opt;
    if (settings.keep_backlog)
        opt.backlog = backlog > 0 ? backlog : 1; /* 0 would mean "max" */
    inside = 1;
    rc = tcpq_listen(fd, &opt, &rep);
    err = errno;
    inside = 0;
    if (rc == 0) {
        size_t used = (size_t)snprintf(
            text, sizeof text,
            "fd %d %s: backlog %d -> %d (accept queue %d, SYN queue %d)", fd,
            rep.address, backlog, rep.backlog, rep.accept_queue_capacity,
            rep.syn_queue_capacity);
        if (used < sizeof text && rep.rcvbuf_requested > 0)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     ", rcvbuf %d", rep.rcvbuf);
        if (used < sizeof text && rep.sndbuf_requested > 0)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     ", sndbuf %d", rep.sndbuf);
        if (used < sizeof text && rep.keepalive_idle_s >= 0)
            used += (size_t)snprintf(
                text + used, sizeof text - used, ", keepalive %d:%d:%d",
                rep.keepalive_idle_s, rep.keepalive_intvl_s, rep.keepalive_cnt);
        if (used < sizeof text && rep.user_timeout_ms >= 0)
            used +=
                (size_t)snprintf(text + used, sizeof text - used,
                                 ", user timeout %d ms", rep.user_timeout_ms);
        if (used < sizeof text && rep.defer_accept_s >= 0)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     ", defer accept %d s", rep.defer_accept_s);
        if (used < sizeof text && rep.fastopen_qlen >= 0)
            used += (size_t)snprintf(text + used, sizeof text - used,
                                     ", fast open %d", rep.fastopen_qlen);
        if (used < sizeof text && rep.message[0] != '\0')
            snprintf(text + used, sizeof text - used, "; %s", rep.message);
        log_line(text);
        errno = saved;
        return 0;
    }
    /* not a TCP socket (AF_UNIX, ...): not ours to touch, and not news */
    if (err == ENOTSOCK || err == EOPNOTSUPP || err == EBADF)
        return real_listen(fd, backlog);
    /* the policy failed: the program's own call, its errno */
    errno = saved;
    rc = real_listen(fd, backlog);
    err = errno;
    snprintf(text, sizeof text,
             "fd %d: %s; the program's own listen(fd, %d) instead: %s", fd,
             rep.message, backlog,
             rc == 0 ? "ok" : strerror_r(err, reason, sizeof reason));
    log_line(text);
    errno = rc == 0 ? saved : err;
    return rc;
}
