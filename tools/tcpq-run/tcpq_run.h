/* What tcpq-run and its preload library share: the environment variables
   that carry the settings from one to the other, and their parsing. */
#ifndef TCPQ_RUN_H
#define TCPQ_RUN_H

#include <tcpq.h>

/* The settings, as tcpq-run passes them to the program (and, unless
   --no-inherit, to the programs it runs): each belongs to tcpq-run, the
   library proper reads none of them. */
#define RUN_ENV_BACKLOG "TCPQ_RUN_BACKLOG"           /* max, keep or N */
#define RUN_ENV_RCVBUF "TCPQ_RUN_RCVBUF"             /* bytes */
#define RUN_ENV_SNDBUF "TCPQ_RUN_SNDBUF"             /* bytes */
#define RUN_ENV_KEEPALIVE "TCPQ_RUN_KEEPALIVE"       /* IDLE:INTVL:CNT */
#define RUN_ENV_USER_TIMEOUT "TCPQ_RUN_USER_TIMEOUT" /* ms */
#define RUN_ENV_DEFER_ACCEPT "TCPQ_RUN_DEFER_ACCEPT" /* s */
#define RUN_ENV_FASTOPEN "TCPQ_RUN_FASTOPEN"         /* queue length */
#define RUN_ENV_NODELAY "TCPQ_RUN_NODELAY"           /* 1 */
#define RUN_ENV_LOG "TCPQ_RUN_LOG"                   /* stderr, off or a file */
#define RUN_ENV_NO_INHERIT "TCPQ_RUN_NO_INHERIT"     /* 1 */
#define RUN_ENV_PRELOAD "TCPQ_RUN_PRELOAD" /* the library's path (tests) */

/* The settings read back from the environment. */
struct run_settings {
    struct tcpq_options opt; /* backlog 0: the maximum */
    int keep_backlog;        /* --backlog keep: the program's own */
    int log_fd;              /* -1: off */
    int no_inherit;
};

/* A decimal number 1..INT_MAX with an optional k/m/g suffix when `sizes`
   (cli_parse_number); -1 when text is not one. */
int run_parse_number(const char *text, int sizes);

/* Fills *s from the environment (a malformed value: that setting left
   out, and said on *bad); the log is left to the caller. Returns 0. */
int run_read_settings(struct run_settings *s, const char **bad);

#endif
