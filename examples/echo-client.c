/* echo-client: send lines to an echo server and check that each comes back
 * unchanged. */
#include <tcpq.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROGRAM_NAME "echo-client"

#include "example_util.h"

/* What a line exchange came to. */
enum exchange_result {
    LINE_IDENTICAL,
    LINE_DIFFERENT,
    EXCHANGE_FAILED /* the connection is no longer usable */
};

/* One allocation reused for every line, in two halves of `capacity` bytes:
   the line plus its newline going out, and the echo coming back. */
struct line_buffers {
    char *storage;
    char *outgoing;
    char *echo;
    size_t capacity;
};

static void print_usage(FILE *stream)
{
    fprintf(
        stream,
        "Usage: " PROGRAM_NAME " [--timeout-ms N] HOST PORT [LINE...]\n"
        "       " PROGRAM_NAME " --help\n"
        "\n"
        "Connects to an echo server, sends each LINE followed by a newline\n"
        "(or, with no LINE, each line of standard input), reads the echo\n"
        "of each line back and prints it. Exits 0 when every line came back\n"
        "identical, 1 otherwise.\n"
        "\n"
        "Options:\n"
        "  --timeout-ms N  give up when connecting, sending a line or any\n"
        "                  wait for echo data takes longer than N ms\n"
        "                  (default: wait)\n"
        "  --help          print this help and exit\n"
        "\n"
        "Examples:\n"
        "  " PROGRAM_NAME " 127.0.0.1 7000 hello world\n"
        "  printf 'one\\ntwo\\n' | " PROGRAM_NAME
        " --timeout-ms 2000 ::1 7000\n");
}

/* Connects with tcpq_connect, which tries each address of host:port in
   turn. In TCPQ_TIMEOUT mode timeout_ms bounds the whole connect, and the
   socket stays in that mode, so tcpq_send_all and tcpq_recv are bounded
   too. Returns the socket, or -1 after printing why (the report's
   message names the step, the address and the reason). */
static int connect_to_server(const char *host, const char *port,
                             const struct tcpq_options *options)
{
    struct tcpq_report report;
    int socket_fd;
    int error;

    socket_fd = tcpq_connect(host, port, options, &report);
    if (socket_fd >= 0) {
        return socket_fd;
    }
    error = errno;
    if (report.message[0] == '\0') {
        snprintf(report.message, sizeof report.message,
                 "connect %s port %s: %s", host, port, strerror(error));
    }
    if (options->mode == TCPQ_TIMEOUT &&
        tcpq_errclass(error) == TCPQ_ERR_TIMEOUT) {
        fprintf(stderr, PROGRAM_NAME ": %s (no answer within %d ms)\n",
                report.message, options->timeout_ms);
    } else {
        fprintf(stderr, PROGRAM_NAME ": %s\n", report.message);
    }
    return -1;
}

/* Makes room for a message (line and newline) of message_length bytes in
   each half. */
static int reserve_line_buffers(struct line_buffers *buffers,
                                size_t message_length)
{
    char *storage;

    if (message_length <= buffers->capacity) {
        return 0;
    }
    if (message_length > (size_t)-1 / 2) {
        errno = ENOMEM;
        return -1;
    }
    storage = realloc(buffers->storage, 2 * message_length);
    if (storage == NULL) {
        return -1;
    }
    buffers->storage = storage;
    buffers->outgoing = storage;
    buffers->echo = storage + message_length;
    buffers->capacity = message_length;
    return 0;
}

static void print_io_failure(const char *step, int error, int line_number,
                             int timeout_ms)
{
    if (tcpq_errclass(error) == TCPQ_ERR_TIMEOUT && timeout_ms > 0) {
        fprintf(stderr, PROGRAM_NAME ": line %d: %s: timed out after %d ms\n",
                line_number, step, timeout_ms);
    } else {
        fprintf(stderr, PROGRAM_NAME ": line %d: %s: %s\n", line_number, step,
                strerror(error));
    }
}

/* Sends one line and its newline, reads back as many bytes, prints them
   and compares them with what was sent. */
static enum exchange_result exchange_line(int socket_fd, const char *line,
                                          size_t line_length, int line_number,
                                          int timeout_ms,
                                          struct line_buffers *buffers)
{
    size_t message_length = line_length + 1;
    size_t done = 0;

    if (message_length == 0 ||
        reserve_line_buffers(buffers, message_length) != 0) {
        fprintf(stderr, PROGRAM_NAME ": line %d: out of memory\n", line_number);
        return EXCHANGE_FAILED;
    }
    memcpy(buffers->outgoing, line, line_length);
    buffers->outgoing[line_length] = '\n';

    /* One deadline for the whole line; never SIGPIPE, never EINTR. */
    if (tcpq_send_all(socket_fd, buffers->outgoing, message_length) < 0) {
        print_io_failure("send", errno, line_number, timeout_ms);
        return EXCHANGE_FAILED;
    }

    /* Each tcpq_recv waits at most the timeout for more of the echo. */
    while (done < message_length) {
        ssize_t received =
            tcpq_recv(socket_fd, buffers->echo + done, message_length - done);
        if (received == 0) {
            fprintf(stderr,
                    PROGRAM_NAME ": line %d: server closed the connection "
                                 "after %lu of %lu bytes of the echo\n",
                    line_number, (unsigned long)done,
                    (unsigned long)message_length);
            return EXCHANGE_FAILED;
        }
        if (received < 0) {
            print_io_failure("waiting for the echo", errno, line_number,
                             timeout_ms);
            return EXCHANGE_FAILED;
        }
        done += (size_t)received;
    }

    fwrite(buffers->echo, 1, message_length, stdout);
    if (memcmp(buffers->echo, buffers->outgoing, message_length) != 0) {
        fprintf(stderr, PROGRAM_NAME ": line %d came back different\n",
                line_number);
        return LINE_DIFFERENT;
    }
    return LINE_IDENTICAL;
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"timeout-ms", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tcpq_options options;
    struct line_buffers buffers = {NULL, NULL, NULL, 0};
    enum exchange_result result = LINE_IDENTICAL;
    const char *host;
    const char *port;
    int lines_different = 0;
    int line_number = 0;
    int socket_fd;
    int option;

    /* TCPQ_BLOCKING unless --timeout-ms is given. */
    memset(&options, 0, sizeof options);
    options.mode = TCPQ_BLOCKING;
    while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (option) {
        case 't':
            options.mode = TCPQ_TIMEOUT;
            options.timeout_ms =
                check_timeout_ms(parse_option_value("--timeout-ms", optarg, 0));
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
    if (argc - optind < 2) {
        usage_error(argc - optind == 0 ? "missing HOST and PORT"
                                       : "missing PORT");
    }
    host = argv[optind];
    port = argv[optind + 1];

    socket_fd = connect_to_server(host, port, &options);
    if (socket_fd < 0) {
        return EXIT_FAILURE;
    }

    if (optind + 2 < argc) {
        int argument;

        for (argument = optind + 2; argument < argc; argument++) {
            line_number++;
            result =
                exchange_line(socket_fd, argv[argument], strlen(argv[argument]),
                              line_number, options.timeout_ms, &buffers);
            if (result == EXCHANGE_FAILED) {
                break;
            }
            if (result == LINE_DIFFERENT) {
                lines_different++;
            }
        }
    } else {
        char *line = NULL;
        size_t line_capacity = 0;
        ssize_t line_length;

        while ((line_length = getline(&line, &line_capacity, stdin)) >= 0) {
            size_t length = (size_t)line_length;

            if (length > 0 && line[length - 1] == '\n') {
                length--;
            }
            line_number++;
            result = exchange_line(socket_fd, line, length, line_number,
                                   options.timeout_ms, &buffers);
            if (result == EXCHANGE_FAILED) {
                break;
            }
            if (result == LINE_DIFFERENT) {
                lines_different++;
            }
        }
        if (result != EXCHANGE_FAILED && ferror(stdin)) {
            fprintf(stderr, PROGRAM_NAME ": reading standard input: %s\n",
                    strerror(errno));
            result = EXCHANGE_FAILED;
        }
        free(line);
    }

    close(socket_fd);
    free(buffers.storage);
    if (fflush(stdout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": writing output: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    if (result == EXCHANGE_FAILED || lines_different > 0) {
        if (lines_different > 0) {
            fprintf(stderr,
                    PROGRAM_NAME ": %d of %d lines came back different\n",
                    lines_different, line_number);
        }
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
