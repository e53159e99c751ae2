/* systemd's socket activation read as sd_listen_fds(3) reads it, without
   libsystemd: LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES, when the caller
   asks and never otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpq_internal.h"

/* systemd's SD_LISTEN_FDS_START: the first descriptor passed */
#define LISTEN_FDS_START 3

/* A variable holding a decimal number 0..max: its value, -1 when it is
   absent, -2 when it is malformed. */
static long env_number(const char *name, long max)
{
    const char *text = getenv(name), *p;
    long value = 0;

    if (text == NULL)
        return -1;
    for (p = text; *p >= '0' && *p <= '9'; p++) {
        value = value * 10 + (*p - '0');
        if (value > max)
            return -2;
    }
    return p == text || *p != '\0' ? -2 : value;
}

/* The i-th colon-separated name of LISTEN_FDNAMES into out ("" when none;
   cut at TCPQ_FDNAME_MAX - 1). */
static void fd_name(const char *names, long i, char *out)
{
    const char *end;

    out[0] = '\0';
    for (; names != NULL && i > 0; i--) {
        names = strchr(names, ':');
        if (names != NULL)
            names++;
    }
    if (names == NULL)
        return;
    end = strchr(names, ':');
    snprintf(out, TCPQ_FDNAME_MAX, "%.*s",
             (int)(end != NULL ? (size_t)(end - names) : strlen(names)), names);
}

/* Appends to the message, "; " between two, never past it. */
static void note(struct tcpq_report *r, const char *text)
{
    size_t used;

    if (r == NULL)
        return;
    used = strlen(r->message);
    snprintf(r->message + used, sizeof r->message - used, "%s%s",
             used > 0 ? "; " : "", text);
}

static void unset_all(void)
{
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
}

static int listen_fds(int *fds, char (*names)[TCPQ_FDNAME_MAX], int max,
                      unsigned flags, struct tcpq_report *r)
{
    const char *name_list = getenv("LISTEN_FDNAMES");
    char name[TCPQ_FDNAME_MAX], text[TCPQ_FDNAME_MAX + 64];
    long pid, count, i;
    int stored = 0, left_out = 0;

    if (max < 0 || (fds == NULL && max > 0) || (flags & ~TCPQ_LISTEN_FDS_UNSET))
        return tcpq__fail(r, EINVAL, "listen_fds: max %d, flags 0x%x", max,
                          flags);
    pid = env_number("LISTEN_PID", LONG_MAX);
    count = env_number("LISTEN_FDS", INT_MAX - LISTEN_FDS_START);
    if (pid == -1 || count == -1 || (pid >= 0 && pid != (long)getpid())) {
        /* not activated, or the variables are another process's */
        if (flags & TCPQ_LISTEN_FDS_UNSET)
            unset_all();
        return 0;
    }
    if (pid < 0 || count < 0)
        return tcpq__fail(r, EINVAL,
                          "listen_fds: LISTEN_PID or LISTEN_FDS is not a "
                          "number");
    for (i = 0; i < count; i++) {
        int fd = (int)(LISTEN_FDS_START + i);
        int fdflags = fcntl(fd, F_GETFD);
        struct tcpq__facts facts;
        struct tcpq__not_tcp why;

        fd_name(name_list, i, name);
        if (fdflags < 0) {
            snprintf(text, sizeof text, "fd %d \"%s\": not open", fd, name);
            note(r, text);
            continue;
        }
        if (!(fdflags & FD_CLOEXEC))
            fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC); /* as sd_listen_fds */
        if (tcpq__tcp_facts(fd, &facts, &why) < 0) {
            snprintf(text, sizeof text, "fd %d \"%s\": not a TCP socket", fd,
                     name);
            note(r, text);
            continue;
        }
        tcpq__tcp_state(fd, &facts);
        if (!facts.listening) {
            snprintf(text, sizeof text, "fd %d \"%s\": not listening", fd,
                     name);
            note(r, text);
            continue;
        }
        if (stored == max) {
            left_out++;
            continue;
        }
        fds[stored] = fd;
        if (names != NULL)
            memcpy(names[stored], name, sizeof name);
        stored++;
    }
    if (left_out > 0) {
        snprintf(text, sizeof text, "%d more TCP listener(s) past max %d",
                 left_out, max);
        note(r, text);
    }
    if (flags & TCPQ_LISTEN_FDS_UNSET)
        unset_all();
    return stored;
}

int tcpq_listen_fds_named_sized(int *fds, char (*names)[TCPQ_FDNAME_MAX],
                                int max, unsigned flags,
                                struct tcpq_report *report, size_t report_size)
{
    struct tcpq__report_out out;
    struct tcpq_report *r;
    int saved = errno, n;

    if (tcpq__report_begin(&out, report, report_size, &r) < 0)
        return -1;
    n = listen_fds(fds, names, max, flags, r);
    if (n >= 0)
        errno = saved;
    return tcpq__report_end(&out, n);
}

int tcpq_listen_fds(int *fds, int max, unsigned flags)
{
    return tcpq_listen_fds_named_sized(fds, NULL, max, flags, NULL, 0);
}
