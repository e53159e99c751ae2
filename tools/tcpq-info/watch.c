/* --watch: samples the listeners of one port and prints their queues. */
#include "tcpq_info.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#define WATCH_MAX_LISTENERS 1024
#define FILL_BAR_WIDTH 20

/* Set by the SIGINT handler: a signal handler can reach nothing else. */
static volatile sig_atomic_t interrupted = 0;

static void on_interrupt(int signal_number)
{
    (void)signal_number;
    interrupted = 1;
}

static long long clock_ms(clockid_t clock)
{
    struct timespec now;

    clock_gettime(clock, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int compare_listeners(const void *left, const void *right)
{
    const struct listener *a = left;
    const struct listener *b = right;
    int order;

    if (a->family != b->family)
        return a->family == AF_INET ? -1 : 1;
    order = memcmp(a->address, b->address, sizeof a->address);
    if (order == 0)
        order = strcmp(a->host, b->host);
    if (order == 0 && a->port != b->port)
        order = a->port < b->port ? -1 : 1;
    if (order == 0 && a->inode != b->inode)
        order = a->inode < b->inode ? -1 : 1;
    return order;
}

void sort_listeners(struct listener *list, size_t count)
{
    qsort(list, count, sizeof list[0], compare_listeners);
}

/* "[##########..........]": the share of the limit in use, rounded up so
   that one waiting connection shows; Linux holds limit + 1, shown full. */
static void format_fill_bar(char *out, int queue_len, int queue_limit)
{
    long long filled;
    int i;

    if (queue_len <= 0)
        filled = 0;
    else if (queue_limit <= 0 || queue_len >= queue_limit)
        filled = FILL_BAR_WIDTH;
    else
        filled = ((long long)queue_len * FILL_BAR_WIDTH + queue_limit - 1) /
                 queue_limit;
    out[0] = '[';
    for (i = 0; i < FILL_BAR_WIDTH; i++)
        out[1 + i] = i < filled ? '#' : '.';
    out[1 + FILL_BAR_WIDTH] = ']';
    out[2 + FILL_BAR_WIDTH] = '\0';
}

/* "+3", or "n/a" when the counter is not known. */
static const char *format_delta(char *out, size_t size, long long delta)
{
    if (delta < 0)
        snprintf(out, size, "n/a");
    else
        snprintf(out, size, "+%lld", delta);
    return out;
}

static void print_watch_line(const struct watch_settings *settings, int sample,
                             long long time_ms, const struct listener *listener,
                             const long long counters[2],
                             const long long deltas[2])
{
    char bar[FILL_BAR_WIDTH + 3];
    char clock_text[32];
    char overflows[32];
    char drops[32];
    struct tm local;
    time_t seconds = (time_t)(time_ms / 1000);

    if (settings->json) {
        printf("{\"type\":\"watch\",\"sample\":%d,\"time_ms\":%lld,"
               "\"family\":\"%s\",\"address\":",
               sample, time_ms,
               listener->family == AF_INET6 ? "inet6" : "inet");
        print_json_string(stdout, listener->text);
        printf(",\"port\":%d,\"queue_len\":%d,\"queue_limit\":%d,"
               "\"listen_overflows_delta\":%lld,\"listen_drops_delta\":%lld,"
               "\"listen_overflows\":%lld,\"listen_drops\":%lld}\n",
               listener->port, listener->queue_len, listener->queue_limit,
               deltas[0], deltas[1], counters[0], counters[1]);
        return;
    }
    if (localtime_r(&seconds, &local) == NULL ||
        strftime(clock_text, sizeof clock_text, "%H:%M:%S", &local) == 0) {
        snprintf(clock_text, sizeof clock_text, "%lld", time_ms / 1000);
    }
    format_fill_bar(bar, listener->queue_len, listener->queue_limit);
    printf("%s.%03d  %-28s %6d/%-6d  %s  %9s  %9s\n", clock_text,
           (int)(time_ms % 1000), listener->text, listener->queue_len,
           listener->queue_limit, bar,
           format_delta(overflows, sizeof overflows, deltas[0]),
           format_delta(drops, sizeof drops, deltas[1]));
}

static void print_heading(const struct watch_settings *settings)
{
    printf("TCP listeners on port %d, every %d ms; overflows and "
           "drops: growth of this\nhost's ListenOverflows and "
           "ListenDrops since the previous sample (first: 0)\n",
           settings->port, settings->interval_ms);
    printf("%-12s  %-28s %6s/%-6s  %-22s  %9s  %9s\n", "time", "address",
           "queue", "limit", "fill", "overflows", "drops");
}

/* Waits until the monotonic clock reaches deadline_ms or SIGINT arrives.
   SIGINT is blocked except inside pselect, so none is lost between the
   check of `interrupted` and the wait. */
static void wait_until(long long deadline_ms, const sigset_t *wait_mask)
{
    int waits;

    /* each pass waits the whole remaining time; other signals could wake
       it early, hence the bounded retry */
    for (waits = 0; waits < 1000 && !interrupted; waits++) {
        long long remaining_ms = deadline_ms - clock_ms(CLOCK_MONOTONIC);
        struct timespec pause;

        if (remaining_ms <= 0)
            return;
        pause.tv_sec = (time_t)(remaining_ms / 1000);
        pause.tv_nsec = (long)(remaining_ms % 1000) * 1000000L;
        pselect(0, NULL, NULL, NULL, &pause, wait_mask);
    }
}

/* SIGINT sets `interrupted` and is blocked outside the waits; *wait_mask
   is the mask to wait with. Returns 0, or -1 after saying why. */
static int catch_interrupt(sigset_t *wait_mask)
{
    struct sigaction action;
    sigset_t blocked;

    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGINT);
    if (sigaction(SIGINT, &action, NULL) != 0 ||
        sigprocmask(SIG_BLOCK, &blocked, wait_mask) != 0) {
        fprintf(stderr, PROGRAM_NAME ": sigaction SIGINT: %s\n",
                strerror(errno));
        return -1;
    }
    sigdelset(wait_mask, SIGINT);
    return 0;
}

/* The host's counters now, and how much each grew since *previous (0 on
   the first sample, -1 where not known); *previous becomes now. */
static void sample_counters(int sample, long long previous[2],
                            long long counters[2], long long deltas[2])
{
    int k;

    tcpq_listen_counters(&counters[0], &counters[1]);
    for (k = 0; k < 2; k++) {
        if (counters[k] < 0 || (sample > 1 && previous[k] < 0))
            deltas[k] = -1;
        else
            deltas[k] = sample == 1 ? 0 : counters[k] - previous[k];
        previous[k] = counters[k];
    }
}

/* The lines of one sample, as text or JSON. */
static void print_sample_lines(const struct watch_settings *settings,
                               int sample, long long time_ms,
                               struct listener *list, size_t count,
                               const long long counters[2],
                               const long long deltas[2])
{
    size_t i;

    if (sample == 1 && !settings->json)
        print_heading(settings);
    if (count == 0 && settings->json) {
        printf("{\"type\":\"no_listener\",\"sample\":%d,\"time_ms\":%lld,"
               "\"port\":%d}\n",
               sample, time_ms, settings->port);
    } else if (count == 0) {
        printf("no TCP listener on port %d any more\n", settings->port);
    }
    sort_listeners(list, count);
    for (i = 0; i < count; i++)
        print_watch_line(settings, sample, time_ms, &list[i], counters, deltas);
}

/* One sample: every listener on the port, printed (with --openmetrics, as
   one scrape). Returns 0, 1 when the first sample finds none, or -1 after
   saying why. */
static int show_sample(const struct watch_settings *settings,
                       struct listener_source *source, int sample,
                       long long previous[2])
{
    static struct listener list[WATCH_MAX_LISTENERS];
    long long counters[2];
    long long deltas[2];
    long long time_ms;
    size_t count = 0;
    size_t left_out = 0;

    sample_counters(sample, previous, counters, deltas);
    time_ms = clock_ms(CLOCK_REALTIME);
    if (listener_source_list(source, settings->port, list, WATCH_MAX_LISTENERS,
                             &count, &left_out) != 0)
        return -1;
    if (count == 0 && sample == 1)
        return 1;
    if (settings->openmetrics)
        print_openmetrics(list, count);
    else
        print_sample_lines(settings, sample, time_ms, list, count, counters,
                           deltas);
    if (left_out > 0) {
        fprintf(stderr,
                PROGRAM_NAME ": %zu more listeners on port %d not shown\n",
                left_out, settings->port);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, PROGRAM_NAME ": writing output: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int watch_port(const struct watch_settings *settings)
{
    struct listener_source source;
    sigset_t wait_mask;
    long long previous[2] = {-1, -1};
    long long start_ms;
    int status = EXIT_SUCCESS;
    int sample;

    if (listener_source_open(&source) != 0)
        return EXIT_FAILURE;
    if (catch_interrupt(&wait_mask) != 0) {
        listener_source_close(&source);
        return EXIT_FAILURE;
    }
    start_ms = clock_ms(CLOCK_MONOTONIC);
    for (sample = 1; settings->count == 0 || sample <= settings->count;
         sample++) {
        int shown;

        if (sample > 1) {
            wait_until(start_ms +
                           (long long)(sample - 1) * settings->interval_ms,
                       &wait_mask);
        }
        if (interrupted)
            break;
        shown = show_sample(settings, &source, sample, previous);
        if (shown == 1) {
            fprintf(stderr,
                    PROGRAM_NAME ": no TCP listener on port %d on this host "
                                 "(IPv4 or IPv6)\n",
                    settings->port);
        }
        if (shown != 0) {
            status = EXIT_FAILURE;
            break;
        }
    }
    listener_source_close(&source);
    return status;
}
