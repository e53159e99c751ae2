/* echo-server: threaded TCP echo server on a libtcpq listener, one thread per
 * connection.
 *
 * With --timeout-ms N the listener itself is opened in TCPQ_TIMEOUT mode and
 * every accepted socket inherits that mode from it (tcpq_accept guarantees
 * this on every OS), so no per-connection call is needed: tcpq_recv and
 * tcpq_send_all then fail with ETIMEDOUT after N ms. The only side effect,
 * tcpq_accept returning ETIMEDOUT when no client came within N ms, is
 * harmless: the accept loop just waits again. */
#include <tcpq.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROGRAM_NAME "echo-server"

#include "example_util.h"

#define ECHO_BUFFER_SIZE 16384
#define PEER_NAME_SIZE 96
#define ACCEPT_RETRY_DELAY_MS 100

/* One accepted connection, owned by its thread; on the open list while the
   descriptor is open so that the main thread can wake it at shutdown. */
struct connection {
    int fd;
    char peer[PEER_NAME_SIZE];
    struct connection *previous;
    struct connection *next;
};

/* Set by the SIGINT/SIGTERM handler, read by the main thread only. */
static volatile sig_atomic_t stop_signal = 0;

/* The listening descriptor while it is open, -1 otherwise: the handler
   shuts it down to end the accept loop. Only ever an int's value, so the
   (int) where it is read back loses nothing where sig_atomic_t is wider
   (long on FreeBSD amd64). */
static volatile sig_atomic_t listener_fd = -1;

/* --timeout-ms, for the log lines (0: none); set before any thread starts. */
static int connection_timeout_ms = 0;

/* SIGINT and SIGTERM; blocked in every connection thread so that the
   handler always runs on the main thread, which also owns listener_fd: it
   can never shut down a descriptor the main thread has just closed. */
static sigset_t stop_signals;

/* The open list, with the flag saying the server is shutting down; both
   guarded by connections_lock. connections_closed is signalled each time a
   connection leaves the list. */
static pthread_mutex_t connections_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t connections_closed = PTHREAD_COND_INITIALIZER;
static struct connection *open_connections = NULL;
static int server_stopping = 0;

/* tcpq_accept retries EINTR (PEP 475), so the signal alone does not end
   its wait: shutdown() (async-signal-safe) takes the listener out of the
   listening state, which on Linux wakes a blocked accept and makes it, and
   every later accept, fail with EINVAL. errno is kept for the code that
   the signal interrupted. */
static void on_stop_signal(int signal_number)
{
    int saved_errno = errno;

    stop_signal = signal_number;
    if (listener_fd >= 0) {
        shutdown((int)listener_fd, SHUT_RDWR);
    }
    errno = saved_errno;
}

static void print_usage(FILE *stream)
{
    fprintf(
        stream,
        "Usage: " PROGRAM_NAME " [--backlog N] [--rcvbuf N] [--sndbuf N]\n"
        "                   [--timeout-ms N] [--nodelay] [HOST] PORT\n"
        "       " PROGRAM_NAME " --help\n"
        "\n"
        "Echoes back everything each client sends, one thread per\n"
        "connection. HOST defaults to all interfaces; PORT 0 lets the\n"
        "kernel pick one (the address is printed at start). Stops cleanly\n"
        "on SIGINT or SIGTERM.\n"
        "\n"
        "Options:\n"
        "  --backlog N     listen backlog wanted (0 or absent: the OS "
        "maximum)\n"
        "  --rcvbuf N      receive buffer in bytes (absent: left to the "
        "kernel)\n"
        "  --sndbuf N      send buffer in bytes (absent: left to the kernel)\n"
        "  --timeout-ms N  close a connection that stays silent N ms\n"
        "  --nodelay       set TCP_NODELAY on every connection\n"
        "  --help          print this help and exit\n"
        "\n"
        "Sizes are decimal, optionally followed by k, m or g (powers of "
        "1024).\n"
        "\n"
        "Examples:\n"
        "  " PROGRAM_NAME " 127.0.0.1 0\n"
        "  " PROGRAM_NAME " --backlog 1024 --timeout-ms 30000 7000\n");
}

/* Unlike the other examples, this one has always said just "not a number"
   for a value that starts with neither a digit nor '-'. */
static int server_option_value(const char *option_name, const char *text,
                               int allow_suffix)
{
    if (*text != '-' && (*text < '0' || *text > '9')) {
        invalid_value_error(option_name, text, "not a number");
    }
    return parse_option_value(option_name, text, allow_suffix);
}

/* strerror may share one buffer between threads, and strerror_r has two
   incompatible forms (XSI and GNU), so calls are serialised and the text is
   copied out. */
static pthread_mutex_t strerror_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *describe_error(int error, char *out, size_t size)
{
    pthread_mutex_lock(&strerror_lock);
    snprintf(out, size, "%s", strerror(error));
    pthread_mutex_unlock(&strerror_lock);
    return out;
}

/* One line of log, flushed at once so that it shows up through a pipe.
   stdio locks the stream, so lines from different threads do not mix. */
static void log_line(FILE *stream, const char *format, ...)
{
    va_list arguments;

    va_start(arguments, format);
    vfprintf(stream, format, arguments);
    va_end(arguments);
    fflush(stream);
}

/* Takes the connection off the open list, closes it and frees it. */
static void forget_connection(struct connection *connection)
{
    pthread_mutex_lock(&connections_lock);
    if (connection->previous != NULL) {
        connection->previous->next = connection->next;
    } else {
        open_connections = connection->next;
    }
    if (connection->next != NULL) {
        connection->next->previous = connection->previous;
    }
    /* Closed under the lock so that the main thread never shuts down a
       descriptor number that has been closed and reused. */
    close(connection->fd);
    free(connection);
    pthread_cond_signal(&connections_closed);
    pthread_mutex_unlock(&connections_lock);
}

static int is_server_stopping(void)
{
    int stopping;

    pthread_mutex_lock(&connections_lock);
    stopping = server_stopping;
    pthread_mutex_unlock(&connections_lock);
    return stopping;
}

/* Thread body: echo until end of stream, an error or the timeout. The
   socket is in the listener's mode: with --timeout-ms, tcpq_recv fails with
   ETIMEDOUT once the peer has been silent that long, and tcpq_send_all when
   the peer does not read the echo within it; either closes the connection.
   Neither returns EINTR (and the stop signals are blocked here anyway). */
static void *serve_connection(void *argument)
{
    struct connection *connection = argument;
    char buffer[ECHO_BUFFER_SIZE];
    char reason[128];

    for (;;) {
        ssize_t received = tcpq_recv(connection->fd, buffer, sizeof buffer);
        int error;

        if (received == 0) {
            snprintf(reason, sizeof reason, "%s",
                     is_server_stopping() ? "server stopping"
                                          : "end of stream");
            break;
        }
        if (received < 0) {
            error = errno;
            if (tcpq_errclass(error) == TCPQ_ERR_TIMEOUT) {
                snprintf(reason, sizeof reason, "idle for %d ms: timed out",
                         connection_timeout_ms);
            } else {
                describe_error(error, reason, sizeof reason);
            }
            break;
        }
        if (tcpq_send_all(connection->fd, buffer, (size_t)received) < 0) {
            char description[96];

            error = errno;
            if (tcpq_errclass(error) == TCPQ_ERR_TIMEOUT) {
                snprintf(reason, sizeof reason,
                         "send: peer not reading within %d ms: timed out",
                         connection_timeout_ms);
            } else {
                snprintf(
                    reason, sizeof reason, "send: %s",
                    describe_error(error, description, sizeof description));
            }
            break;
        }
    }
    log_line(stdout, PROGRAM_NAME ": %s closed (%s)\n", connection->peer,
             reason);
    forget_connection(connection);
    return NULL;
}

/* Puts the connection on the open list and starts its detached thread.
   On failure the descriptor is closed and the server carries on. */
static void start_connection(int fd, const struct sockaddr *peer_address,
                             socklen_t peer_length)
{
    struct connection *connection;
    pthread_attr_t attributes;
    sigset_t previous_mask;
    pthread_t thread;
    char description[96];
    int error;

    connection = malloc(sizeof *connection);
    if (connection == NULL) {
        fprintf(stderr, PROGRAM_NAME ": out of memory, connection dropped\n");
        close(fd);
        return;
    }
    connection->fd = fd;
    format_address(peer_address, peer_length, connection->peer,
                   sizeof connection->peer, "unknown peer");
    connection->previous = NULL;

    pthread_mutex_lock(&connections_lock);
    connection->next = open_connections;
    if (open_connections != NULL) {
        open_connections->previous = connection;
    }
    open_connections = connection;
    pthread_mutex_unlock(&connections_lock);

    log_line(stdout, PROGRAM_NAME ": %s connected\n", connection->peer);

    error = pthread_attr_init(&attributes);
    if (error == 0) {
        error =
            pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        if (error == 0) {
            /* The new thread inherits the mask: it starts, and stays, with
               the stop signals blocked. One arriving meanwhile stays
               pending for this thread until the mask is restored. */
            error = pthread_sigmask(SIG_BLOCK, &stop_signals, &previous_mask);
        }
        if (error == 0) {
            error = pthread_create(&thread, &attributes, serve_connection,
                                   connection);
            pthread_sigmask(SIG_SETMASK, &previous_mask, NULL);
        }
        pthread_attr_destroy(&attributes);
    }
    if (error != 0) {
        log_line(stderr, PROGRAM_NAME ": %s dropped: cannot start thread: %s\n",
                 connection->peer,
                 describe_error(error, description, sizeof description));
        forget_connection(connection);
    }
}

/* Wakes every connection thread (shutdown makes a blocked recv return 0 and
   a blocked send fail) and waits until all of them are gone. */
static void close_all_connections(void)
{
    struct connection *connection;

    pthread_mutex_lock(&connections_lock);
    server_stopping = 1;
    for (connection = open_connections; connection != NULL;
         connection = connection->next) {
        shutdown(connection->fd, SHUT_RDWR);
    }
    while (open_connections != NULL) {
        pthread_cond_wait(&connections_closed, &connections_lock);
    }
    pthread_mutex_unlock(&connections_lock);
}

static void sleep_ms(long milliseconds)
{
    struct timespec delay;

    delay.tv_sec = milliseconds / 1000;
    delay.tv_nsec = (milliseconds % 1000) * 1000000L;
    nanosleep(&delay, NULL);
}

/* Accepts connections until a stop signal arrives. The handler sets the
   flag and then shuts the listener down, so a blocked tcpq_accept fails at
   once (EINVAL), and so does one entered just after the flag was checked:
   no wake-up is lost and no polling interval is needed. A failure with the
   flag set is the stop, not an error. Returns 0, or -1 on a fatal error. */
static int accept_loop(int listen_fd)
{
    char description[96];

    while (!stop_signal) {
        struct sockaddr_storage peer_address;
        socklen_t peer_length = sizeof peer_address;
        int connection_fd;
        int error;

        memset(&peer_address, 0, sizeof peer_address);
        connection_fd = tcpq_accept(listen_fd, (struct sockaddr *)&peer_address,
                                    &peer_length);
        if (connection_fd >= 0) {
            start_connection(connection_fd, (struct sockaddr *)&peer_address,
                             peer_length);
            continue;
        }
        error = errno;
        if (stop_signal) {
            break;
        }
        switch (error) {
        case ETIMEDOUT:    /* no client within the listener's timeout */
        case ECONNABORTED: /* the peer gave up while queued */
        case EPROTO:
            continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            /* Out of resources: the connection stays queued; pause
               instead of spinning. */
            fprintf(stderr, PROGRAM_NAME ": accept: %s (retrying)\n",
                    describe_error(error, description, sizeof description));
            sleep_ms(ACCEPT_RETRY_DELAY_MS);
            continue;
        default:
            fprintf(stderr, PROGRAM_NAME ": accept: %s\n",
                    describe_error(error, description, sizeof description));
            return -1;
        }
    }
    return 0;
}

static void print_buffer_report(const char *label, int requested, int granted,
                                int kernel)
{
    char requested_text[32];
    char granted_text[32];
    char kernel_text[32];

    if (requested == 0) { /* the kernel sizes it; autotuning may grow it */
        printf("  %-22s left to the kernel, getsockopt %s\n", label,
               format_int(kernel_text, sizeof kernel_text, kernel));
        return;
    }
    format_int(requested_text, sizeof requested_text, requested);
    printf("  %-22s requested %s, granted %s, getsockopt %s\n", label,
           requested_text,
           format_int(granted_text, sizeof granted_text, granted),
           format_int(kernel_text, sizeof kernel_text, kernel));
}

/* Prints what the kernel really applied, as the library reported it. */
static void print_start_report(int listen_fd, const struct tcpq_report *report)
{
    char first[32];
    char second[32];
    enum tcpq_mode mode;
    int timeout_ms;

    printf(PROGRAM_NAME ": listening on %s\n", report->address);
    if (report->backlog_requested <= 0) {
        snprintf(first, sizeof first, "the OS maximum");
    } else {
        format_int(first, sizeof first, report->backlog_requested);
    }
    printf("  backlog                requested %s, effective %s\n", first,
           format_int(second, sizeof second, report->backlog));
    printf("  accept queue capacity  %s\n",
           format_int(first, sizeof first, report->accept_queue_capacity));
    printf("  SYN queue capacity     %s\n",
           format_int(first, sizeof first, report->syn_queue_capacity));
    print_buffer_report("rcvbuf", report->rcvbuf_requested, report->rcvbuf,
                        report->rcvbuf_kernel);
    print_buffer_report("sndbuf", report->sndbuf_requested, report->sndbuf,
                        report->sndbuf_kernel);
    if (tcpq_get_timeout_mode(listen_fd, &mode, &timeout_ms) == 0) {
        if (mode == TCPQ_TIMEOUT) {
            printf(
                "  idle timeout           %d ms (as the kernel enforces it)\n",
                timeout_ms);
        } else {
            printf("  idle timeout           none\n");
        }
    }
    if (report->message[0] != '\0') {
        printf("  warning: %s\n", report->message);
    }
    fflush(stdout);
}

/* SIGINT and SIGTERM run on_stop_signal; SIGPIPE is ignored (tcpq_send_all
   never raises it anyway). */
static int install_signal_handlers(void)
{
    struct sigaction action;

    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = on_stop_signal;
    if (sigaction(SIGINT, &action, NULL) != 0 ||
        sigaction(SIGTERM, &action, NULL) != 0) {
        return -1;
    }
    action.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &action, NULL);
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"backlog", required_argument, NULL, 'b'},
        {"rcvbuf", required_argument, NULL, 'r'},
        {"sndbuf", required_argument, NULL, 's'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"nodelay", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct tcpq_options options;
    struct tcpq_report report;
    const char *host = NULL;
    const char *port;
    char description[96];
    int listen_fd;
    int option;
    int status;
    int error;

    memset(&options, 0, sizeof options);
    while ((option = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (option) {
        case 'b':
            options.backlog = server_option_value("--backlog", optarg, 1);
            break;
        case 'r':
            options.rcvbuf = server_option_value("--rcvbuf", optarg, 1);
            break;
        case 's':
            options.sndbuf = server_option_value("--sndbuf", optarg, 1);
            break;
        case 't':
            options.timeout_ms = check_timeout_ms(
                server_option_value("--timeout-ms", optarg, 0));
            options.mode = TCPQ_TIMEOUT;
            break;
        case 'n':
            options.flags |= TCPQ_NODELAY;
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
    if (argc - optind == 1) {
        port = argv[optind];
    } else if (argc - optind == 2) {
        host = argv[optind];
        port = argv[optind + 1];
    } else {
        usage_error(argc - optind == 0 ? "missing PORT" : "too many arguments");
        return EXIT_USAGE; /* not reached */
    }

    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (install_signal_handlers() != 0) {
        fprintf(stderr, PROGRAM_NAME ": sigaction: %s\n",
                describe_error(errno, description, sizeof description));
        return EXIT_FAILURE;
    }

    listen_fd = tcpq_open_listener(host, port, &options, &report);
    if (listen_fd < 0) {
        error = errno;
        fprintf(stderr, PROGRAM_NAME ": cannot listen on %s port %s: %s\n",
                host != NULL ? host : "all interfaces", port,
                report.message[0] != '\0'
                    ? report.message
                    : describe_error(error, description, sizeof description));
        return EXIT_FAILURE;
    }
    connection_timeout_ms = options.timeout_ms;
    listener_fd = (sig_atomic_t)listen_fd;
    print_start_report(listen_fd, &report);

    status = accept_loop(listen_fd);

    listener_fd = -1; /* before close: never shut down a reused number */
    close(listen_fd);
    close_all_connections();
    if (status != 0) {
        return EXIT_FAILURE;
    }
    printf(PROGRAM_NAME ": stopped\n");
    if (fflush(stdout) != 0) {
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
