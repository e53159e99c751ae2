/* The command line: the options, what goes with what, and exit statuses. */
#include "tcpq_info.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The options that make a request, for the usage errors. */
#define REQUEST_OPTIONS                                                        \
    "--backlog, --rcvbuf, --sndbuf, --keepalive, --user-timeout, "             \
    "--defer-accept, --fastopen, --notsent-lowat, --congestion"

/* Flushes stdout; on failure says so. Returns the status to exit with. */
static int finish_output(int status)
{
    if (fflush(stdout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": writing output: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    return status;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"backlog", required_argument, NULL, 'b'},
        {"rcvbuf", required_argument, NULL, 'r'},
        {"sndbuf", required_argument, NULL, 's'},
        {"keepalive", required_argument, NULL, 'k'},
        {"user-timeout", required_argument, NULL, 'u'},
        {"defer-accept", required_argument, NULL, 'd'},
        {"fastopen", required_argument, NULL, 'f'},
        {"notsent-lowat", required_argument, NULL, 'l'},
        {"congestion", required_argument, NULL, 'g'},
        {"check", no_argument, NULL, 'c'},
        {"watch", required_argument, NULL, 'w'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"openmetrics", no_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tcpq_options options;
    struct tcpq_limits limits;
    struct watch_settings watch;
    int custom_request = 0;
    int check = 0;
    int watching = 0;
    int watch_tuned = 0; /* --interval or --count given */
    int json = 0;
    int openmetrics = 0;
    int clamped = 0;
    int option;
    int status;

    memset(&options, 0, sizeof options);
    memset(&watch, 0, sizeof watch);
    watch.interval_ms = WATCH_DEFAULT_INTERVAL_MS;
    while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (option) {
        case 'b':
            options.backlog = parse_option_value("--backlog", optarg, 1);
            custom_request = 1;
            break;
        case 'r':
            options.rcvbuf = parse_option_value("--rcvbuf", optarg, 1);
            custom_request = 1;
            break;
        case 's':
            options.sndbuf = parse_option_value("--sndbuf", optarg, 1);
            custom_request = 1;
            break;
        case 'k':
            parse_keepalive_option(optarg, &options);
            custom_request = 1;
            break;
        case 'u':
            options.user_timeout_ms =
                parse_positive_option("--user-timeout", optarg);
            custom_request = 1;
            break;
        case 'd':
            options.defer_accept_s =
                parse_positive_option("--defer-accept", optarg);
            custom_request = 1;
            break;
        case 'f':
            options.fastopen_qlen = parse_positive_option("--fastopen", optarg);
            custom_request = 1;
            break;
        case 'l':
            options.notsent_lowat =
                parse_positive_value("--notsent-lowat", optarg, 1);
            custom_request = 1;
            break;
        case 'g':
            options.congestion = parse_congestion_option(optarg);
            custom_request = 1;
            break;
        case 'c':
            check = 1;
            break;
        case 'w':
            watch.port = parse_port_option("--watch", optarg);
            watching = 1;
            break;
        case 'i':
            watch.interval_ms = parse_positive_option("--interval", optarg);
            watch_tuned = 1;
            break;
        case 'n':
            watch.count = parse_positive_option("--count", optarg);
            watch_tuned = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'o':
            openmetrics = 1;
            break;
        case 'h':
            print_usage(stdout);
            return EXIT_SUCCESS;
        default:
            /* getopt_long has already said what was wrong. */
            print_help_hint();
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        char message[128];

        snprintf(message, sizeof message, "unexpected argument '%s'",
                 argv[optind]);
        usage_error(message);
    }
    if (watching && (custom_request || check)) {
        usage_error("--watch does not go with a request (" REQUEST_OPTIONS
                    ") or --check");
    }
    if (openmetrics && json) {
        usage_error("--openmetrics and --json do not go together");
    }
    if (openmetrics && (custom_request || check)) {
        usage_error("--openmetrics does not go with a request (" REQUEST_OPTIONS
                    ") or --check");
    }
    if (watch_tuned && !watching) {
        usage_error("--interval and --count go with --watch PORT");
    }
    if (check && !custom_request) {
        usage_error("--check needs a request: one of " REQUEST_OPTIONS);
    }

    if (watching) {
        watch.json = json;
        watch.openmetrics = openmetrics;
        status = watch_port(&watch);
        return status == EXIT_SUCCESS ? finish_output(status) : status;
    }
    if (openmetrics) {
        status = show_openmetrics();
        return status == EXIT_SUCCESS ? finish_output(status) : status;
    }

    if (tcpq_get_limits(&limits) != 0) {
        fprintf(stderr, PROGRAM_NAME ": reading the host's limits: %s\n",
                strerror(errno));
        return EXIT_FAILURE;
    }
    print_limits(&limits, json);
    if (custom_request) {
        status = show_custom_request(&options, check, json, &clamped);
    } else {
        status = show_typical_requests(json);
    }
    if (status != 0)
        return finish_output(EXIT_FAILURE);
    return finish_output(check && clamped ? EXIT_CLAMPED : EXIT_SUCCESS);
}
