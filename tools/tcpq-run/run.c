/* tcpq-run: runs a program with libtcpq's listen policy applied to the
   listeners it makes, through the preload library, for programs that
   cannot be changed; refuses, saying why, where LD_PRELOAD cannot reach
   (static, Go, set-uid programs). */
#include "tcpq_run.h"

#include "../common/cli_number.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM_NAME "tcpq-run"
#define EXIT_USAGE 2
#define EXIT_CANNOT 3 /* the program is out of LD_PRELOAD's reach */

#ifndef TCPQ_RUN_PRELOAD_PATH
#define TCPQ_RUN_PRELOAD_PATH "/usr/local/lib/tcpq/libtcpq-preload.so"
#endif

/* elf.c: why LD_PRELOAD cannot reach the program at path, or NULL. */
const char *run_out_of_reach(const char *path, char *why, size_t cap);

static void usage(FILE *out)
{
    fputs("Usage: " PROGRAM_NAME " [--backlog max|keep|N] [--rcvbuf SIZE] "
          "[--sndbuf SIZE]\n"
          "                [--keepalive IDLE:INTVL:CNT] [--user-timeout MS] "
          "[--defer-accept S]\n"
          "                [--fastopen QLEN] [--nodelay] [--log "
          "stderr|FILE|off] [--no-inherit]\n"
          "                -- PROGRAM [ARGS...]\n"
          "\n"
          "Runs PROGRAM with libtcpq's listen policy on every TCP listener it "
          "makes:\n"
          "its listen() goes through libtcpq (libtcpq-preload.so, LD_PRELOAD),"
          " which\n"
          "applies the settings below to the program's own socket, leaves its "
          "mode,\n"
          "close-on-exec and SO_REUSEADDR alone, listens with the backlog "
          "clamped to\n"
          "the host's maximum, and logs one line per listener with what the "
          "kernel\n"
          "holds and each warning's fix.\n"
          "\n"
          "  --backlog max|keep|N  the backlog: the host's maximum (max, the "
          "default),\n"
          "                 the program's own (keep), or N (clamped)\n"
          "  --rcvbuf SIZE, --sndbuf SIZE  buffer sizes in bytes (k, m, g)\n"
          "  --keepalive IDLE:INTVL:CNT  keepalive: idle s, interval s, "
          "probes\n"
          "  --user-timeout MS   TCP_USER_TIMEOUT\n"
          "  --defer-accept S    TCP_DEFER_ACCEPT\n"
          "  --fastopen QLEN     TCP Fast Open queue length\n"
          "  --nodelay           TCP_NODELAY\n"
          "  --log stderr|FILE|off  where the lines go (default stderr)\n"
          "  --no-inherit        the programs PROGRAM runs get none of this\n"
          "\n"
          "Exit status: PROGRAM's; 2 usage error; 3 PROGRAM is statically "
          "linked,\n"
          "a Go program or set-uid (LD_PRELOAD cannot reach its listen); "
          "126/127\n"
          "PROGRAM cannot be run or found.\n",
          out);
}

static void usage_error(const char *what, const char *value)
{
    fprintf(stderr, PROGRAM_NAME ": %s%s%s%s\n", what,
            value != NULL ? " '" : "", value != NULL ? value : "",
            value != NULL ? "'" : "");
    fputs("Try '" PROGRAM_NAME " --help' for more information.\n", stderr);
    exit(EXIT_USAGE);
}

/* Checks one value and hands it to the program's environment. */
static void set_setting(const char *name, const char *value, int sizes,
                        const char *option)
{
    if (run_parse_number(value, sizes) < 0)
        usage_error(option, value);
    setenv(name, value, 1);
}

/* LD_PRELOAD with the library first, what the caller had after it. */
static void add_preload(const char *library)
{
    const char *old = getenv("LD_PRELOAD");
    size_t n = strlen(library) + (old != NULL ? strlen(old) + 1 : 0) + 1;
    char *list = malloc(n);

    if (list == NULL) {
        perror(PROGRAM_NAME);
        exit(EXIT_FAILURE);
    }
    snprintf(list, n, "%s%s%s", library, old != NULL ? ":" : "",
             old != NULL ? old : "");
    setenv("LD_PRELOAD", list, 1);
    free(list);
}

/* PROGRAM as execvp would find it, into path; 0, or -1. */
static int find_program(const char *name, char *path, size_t cap)
{
    const char *dirs = getenv("PATH"), *p;

    if (strchr(name, '/') != NULL) {
        snprintf(path, cap, "%s", name);
        return access(path, F_OK);
    }
    for (p = dirs != NULL ? dirs : "/usr/bin:/bin"; *p != '\0';) {
        const char *end = strchr(p, ':');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        snprintf(path, cap, "%.*s/%s", (int)len, len > 0 ? p : ".", name);
        if (access(path, X_OK) == 0)
            return 0;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"backlog", required_argument, NULL, 'b'},
        {"rcvbuf", required_argument, NULL, 'r'},
        {"sndbuf", required_argument, NULL, 's'},
        {"keepalive", required_argument, NULL, 'k'},
        {"user-timeout", required_argument, NULL, 'u'},
        {"defer-accept", required_argument, NULL, 'd'},
        {"fastopen", required_argument, NULL, 'f'},
        {"nodelay", no_argument, NULL, 'n'},
        {"log", required_argument, NULL, 'l'},
        {"no-inherit", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *library = getenv(RUN_ENV_PRELOAD);
    char path[PATH_MAX], why[256];
    const char *keepalive_why;
    int c, parts[3];

    while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
        switch (c) {
        case 'b':
            if (strcmp(optarg, "max") != 0 && strcmp(optarg, "keep") != 0 &&
                run_parse_number(optarg, 0) < 0)
                usage_error("--backlog: max, keep or a number >= 1:", optarg);
            setenv(RUN_ENV_BACKLOG, optarg, 1);
            break;
        case 'r':
            set_setting(RUN_ENV_RCVBUF, optarg, 1, "--rcvbuf:");
            break;
        case 's':
            set_setting(RUN_ENV_SNDBUF, optarg, 1, "--sndbuf:");
            break;
        case 'k':
            if (cli_parse_keepalive(optarg, parts, why, sizeof why,
                                    &keepalive_why) < 0)
                usage_error("--keepalive: IDLE:INTVL:CNT, each >= 1:", optarg);
            setenv(RUN_ENV_KEEPALIVE, optarg, 1);
            break;
        case 'u':
            set_setting(RUN_ENV_USER_TIMEOUT, optarg, 0, "--user-timeout:");
            break;
        case 'd':
            set_setting(RUN_ENV_DEFER_ACCEPT, optarg, 0, "--defer-accept:");
            break;
        case 'f':
            set_setting(RUN_ENV_FASTOPEN, optarg, 0, "--fastopen:");
            break;
        case 'n':
            setenv(RUN_ENV_NODELAY, "1", 1);
            break;
        case 'l':
            if (optarg[0] == '\0')
                usage_error("--log: stderr, off or a file name", NULL);
            setenv(RUN_ENV_LOG, optarg, 1);
            break;
        case 'i':
            setenv(RUN_ENV_NO_INHERIT, "1", 1);
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        default:
            fputs("Try '" PROGRAM_NAME " --help' for more information.\n",
                  stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        usage_error("no PROGRAM to run", NULL);
    if (find_program(argv[optind], path, sizeof path) < 0) {
        fprintf(stderr, PROGRAM_NAME ": %s: not found\n", argv[optind]);
        return 127;
    }
    if (run_out_of_reach(path, why, sizeof why) != NULL) {
        fprintf(stderr,
                PROGRAM_NAME ": %s: %s, so LD_PRELOAD cannot reach its "
                             "listen(). Instead: check what this host allows "
                             "with 'tcpq-info --backlog N --check' and raise "
                             "the limits it names, and ask the program for a "
                             "larger backlog (its own option or "
                             "configuration).\n",
                path, why);
        return EXIT_CANNOT;
    }
    if (library == NULL)
        library = TCPQ_RUN_PRELOAD_PATH;
    if (access(library, R_OK) < 0) {
        fprintf(stderr, PROGRAM_NAME ": %s: %s\n", library, strerror(errno));
        return EXIT_FAILURE;
    }
    add_preload(library);
    execv(path, argv + optind);
    fprintf(stderr, PROGRAM_NAME ": %s: %s\n", path, strerror(errno));
    return errno == ENOENT ? 127 : 126;
}
