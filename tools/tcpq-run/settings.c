/* tcpq-run's settings in the environment: parsed the same way by the
   command, which writes them, and by the preload library, which reads
   them. No allocation: the preload reads them before main. */
#include "tcpq_run.h"

#include "../common/cli_number.h"

#include <stdlib.h>
#include <string.h>

int run_parse_number(const char *text, int sizes)
{
    const char *why;
    int value;

    if (text == NULL || cli_parse_number(text, sizes, &value, &why) < 0 ||
        value < 1)
        return -1;
    return value;
}

/* One int setting: its value, 0 when absent; -1 on *bad when malformed. */
static int int_setting(const char *name, int sizes, const char **bad)
{
    const char *text = getenv(name);
    int value;

    if (text == NULL)
        return 0;
    value = run_parse_number(text, sizes);
    if (value < 0) {
        *bad = name;
        return 0;
    }
    return value;
}

int run_read_settings(struct run_settings *s, const char **bad)
{
    const char *backlog = getenv(RUN_ENV_BACKLOG);
    const char *keepalive = getenv(RUN_ENV_KEEPALIVE);
    const char *flag, *why;
    char reason[64];
    int parts[3];

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
    if (keepalive != NULL) {
        if (cli_parse_keepalive(keepalive, parts, reason, sizeof reason,
                                &why) == 0) {
            s->opt.keepalive_idle_s = parts[0];
            s->opt.keepalive_intvl_s = parts[1];
            s->opt.keepalive_cnt = parts[2];
        } else {
            *bad = RUN_ENV_KEEPALIVE;
        }
    }
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
