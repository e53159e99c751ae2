/* tcpq-run's settings in the environment: parsed the same way by the
   command, which writes them, and by the preload library, which reads
   them. No allocation: the preload reads them before main. */
#include "tcpq_run.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

long run_parse_number(const char *text, long max, int sizes)
{
    long value = 0, scale = 1;
    const char *p;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    for (p = text; *p >= '0' && *p <= '9'; p++) {
        value = value * 10 + (*p - '0');
        if (value > max)
            return -1;
    }
    if (sizes && p[0] != '\0' && p[1] == '\0') {
        switch (*p) {
        case 'k':
        case 'K':
            scale = 1024;
            break;
        case 'm':
        case 'M':
            scale = 1024L * 1024;
            break;
        case 'g':
        case 'G':
            scale = 1024L * 1024 * 1024;
            break;
        default:
            return -1;
        }
        p++;
    }
    if (*p != '\0' || value < 1 || value > max / scale)
        return -1;
    return value * scale;
}

int run_parse_keepalive(const char *text, int *idle, int *intvl, int *cnt)
{
    char part[3][16];
    const char *p = text;
    long value[3];
    int i;

    for (i = 0; i < 3; i++) {
        const char *end = i < 2 ? strchr(p, ':') : p + strlen(p);
        size_t len;
        if (end == NULL)
            return -1;
        len = (size_t)(end - p);
        if (len == 0 || len >= sizeof part[i])
            return -1;
        memcpy(part[i], p, len);
        part[i][len] = '\0';
        value[i] = run_parse_number(part[i], INT_MAX, 0);
        if (value[i] < 0)
            return -1;
        p = end + 1;
    }
    *idle = (int)value[0];
    *intvl = (int)value[1];
    *cnt = (int)value[2];
    return 0;
}

/* One int setting: its value, 0 when absent; -1 on *bad when malformed. */
static int int_setting(const char *name, int sizes, const char **bad)
{
    const char *text = getenv(name);
    long value;

    if (text == NULL)
        return 0;
    value = run_parse_number(text, INT_MAX, sizes);
    if (value < 0) {
        *bad = name;
        return 0;
    }
    return (int)value;
}

int run_read_settings(struct run_settings *s, const char **bad)
{
    const char *backlog = getenv(RUN_ENV_BACKLOG);
    const char *keepalive = getenv(RUN_ENV_KEEPALIVE);
    const char *flag;

    memset(s, 0, sizeof *s);
    *bad = NULL;
    s->log_fd = 2;
    if (backlog == NULL || strcmp(backlog, "max") == 0)
        s->opt.backlog = 0; /* the policy: the OS maximum */
    else if (strcmp(backlog, "keep") == 0)
        s->keep_backlog = 1;
    else
        s->opt.backlog = int_setting(RUN_ENV_BACKLOG, 0, bad);
    s->opt.rcvbuf = int_setting(RUN_ENV_RCVBUF, 1, bad);
    s->opt.sndbuf = int_setting(RUN_ENV_SNDBUF, 1, bad);
    if (keepalive != NULL &&
        run_parse_keepalive(keepalive, &s->opt.keepalive_idle_s,
                            &s->opt.keepalive_intvl_s,
                            &s->opt.keepalive_cnt) < 0)
        *bad = RUN_ENV_KEEPALIVE;
    s->opt.user_timeout_ms = int_setting(RUN_ENV_USER_TIMEOUT, 0, bad);
    s->opt.defer_accept_s = int_setting(RUN_ENV_DEFER_ACCEPT, 0, bad);
    s->opt.fastopen_qlen = int_setting(RUN_ENV_FASTOPEN, 0, bad);
    flag = getenv(RUN_ENV_NODELAY);
    if (flag != NULL && strcmp(flag, "1") == 0)
        s->opt.flags |= TCPQ_NODELAY;
    flag = getenv(RUN_ENV_NO_INHERIT);
    s->no_inherit = flag != NULL && strcmp(flag, "1") == 0;
    /* the program's own socket: its mode, its SO_REUSEADDR, untouched */
    s->opt.mode = TCPQ_MODE_KEEP;
    s->opt.flags |= TCPQ_NO_REUSEADDR;
    return 0;
}
