/* Waits interrupted by signals: every call that can wait succeeds with
   errno left as it was, and a pool of acceptors sharing one TIMEOUT
   listener never waits past its deadline when a signal sends one of them
   through the retry path. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_tcpq.h"

#define SENTINEL_ERRNO 4242 /* no errno has this value */

/* ---- something the peer does a little later, in a thread --------------- */

enum later_action {
    LATER_SEND_BYTE, /* one byte on fd */
    LATER_CONNECT,   /* a non-blocking connect to 127.0.0.1:port */
    LATER_DRAIN,     /* read fd to end of file */
    LATER_UNBLOCK    /* accept and close the connection filling a blackhole */
};

struct later {
    enum later_action action;
    int fd, port;
    long delay_ms;
    int client; /* LATER_CONNECT: the socket, closed by the test */
    pthread_t thread;
};

static void *run_later(void *arg)
{
    struct later *l = arg;
    char buf[65536];

    tq_sleep_ms(l->delay_ms);
    switch (l->action) {
    case LATER_SEND_BYTE:
        send(l->fd, "x", 1, MSG_NOSIGNAL);
        break;
    case LATER_CONNECT:
        l->client = tq_connect_nb(l->port);
        break;
    case LATER_DRAIN:
        while (recv(l->fd, buf, sizeof buf, 0) > 0)
            ;
        break;
    case LATER_UNBLOCK: {
        int fd = accept(l->fd, NULL, NULL);
        if (fd >= 0)
            close(fd);
        break;
    }
    }
    return NULL;
}

static void later_start(struct later *l, enum later_action action, int fd,
                        long delay_ms)
{
    l->action = action;
    l->fd = fd;
    l->port = action == LATER_CONNECT ? tq_port_of(fd) : 0;
    l->delay_ms = delay_ms;
    l->client = -1;
    ck_assert_int_eq(pthread_create(&l->thread, NULL, run_later, l), 0);
}

/* ---- errno after an interrupted wait that ends in success ---------------- */

enum waiting_call {
    RECV_BLOCKING,
    RECV_TIMEOUT,
    ACCEPT_BLOCKING,
    ACCEPT_TIMEOUT,
    SEND_ALL_BLOCKING,
    SEND_ALL_TIMEOUT,
    SEND_ALL_EX_TIMEOUT,
    CONNECT_TIMEOUT,
    CONNECT_FINISH,
    WAITING_CALLS
};

static const char *const waiting_call_name[WAITING_CALLS] = {
    "tcpq_recv (blocking)",       "tcpq_recv (timeout)",
    "tcpq_accept (blocking)",     "tcpq_accept (timeout)",
    "tcpq_send_all (blocking)",   "tcpq_send_all (timeout)",
    "tcpq_send_all_ex (timeout)", "tcpq_connect (timeout)",
    "tcpq_connect_finish"};

#define SEND_BYTES (16u << 20) /* far more than the socket buffers hold */

START_TEST(success_after_interrupted_wait_leaves_errno_alone)
{
    enum waiting_call call = (enum waiting_call)_i;
    int timeout = call == RECV_TIMEOUT || call == ACCEPT_TIMEOUT ||
                  call == SEND_ALL_TIMEOUT || call == SEND_ALL_EX_TIMEOUT ||
                  call == CONNECT_TIMEOUT;
    struct tcpq_options opt =
        tq_mode_options(timeout ? TCPQ_TIMEOUT : TCPQ_BLOCKING, 5000);
    static char payload[SEND_BYTES];
    struct tq_storm storm;
    struct later later;
    struct tcpq_report rep;
    char port[16], byte;
    int client = -1, server = -1, lfd = -1, filler = -1, fd = -1;
    int caught, err;
    long long result = -1;
    size_t sent = 0;

    switch (call) {
    case RECV_BLOCKING:
    case RECV_TIMEOUT:
        ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
        ck_assert_int_eq(tcpq_set_timeout_mode(server, &opt), 0);
        later_start(&later, LATER_SEND_BYTE, client, 200);
        break;
    case ACCEPT_BLOCKING:
    case ACCEPT_TIMEOUT:
        lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
        ck_assert_msg(lfd >= 0, "%s", rep.message);
        later_start(&later, LATER_CONNECT, lfd, 200);
        break;
    case SEND_ALL_BLOCKING:
    case SEND_ALL_TIMEOUT:
    case SEND_ALL_EX_TIMEOUT:
        ck_assert_int_eq(tq_connected_pair(&client, &server, NULL), 0);
        ck_assert_int_eq(tcpq_set_timeout_mode(client, &opt), 0);
        later_start(&later, LATER_DRAIN, server, 200);
        break;
    case CONNECT_TIMEOUT:
    case CONNECT_FINISH:
        /* the first SYN is dropped; the retransmit at 1 s gets through */
        lfd = tq_blackhole(&filler);
        snprintf(port, sizeof port, "%d", tq_port_of(lfd));
        later_start(&later, LATER_UNBLOCK, lfd, 300);
        break;
    case WAITING_CALLS:
        break;
    }

    tq_storm_start(&storm);
    errno = SENTINEL_ERRNO;
    switch (call) {
    case RECV_BLOCKING:
    case RECV_TIMEOUT:
        result = tcpq_recv(server, &byte, 1);
        break;
    case ACCEPT_BLOCKING:
    case ACCEPT_TIMEOUT:
        result = fd = tcpq_accept(lfd, NULL, NULL);
        break;
    case SEND_ALL_BLOCKING:
    case SEND_ALL_TIMEOUT:
        result = tcpq_send_all(client, payload, sizeof payload);
        break;
    case SEND_ALL_EX_TIMEOUT:
        result = tcpq_send_all_ex(client, payload, sizeof payload, &sent);
        if (result == 0)
            result = (long long)sent;
        break;
    case CONNECT_TIMEOUT:
        result = fd = tcpq_connect("127.0.0.1", port, &opt, NULL);
        break;
    case CONNECT_FINISH: {
        struct tcpq_options nb = tq_mode_options(TCPQ_NONBLOCKING, 0);
        int connecting = tcpq_connect("127.0.0.1", port, &nb, NULL);
        ck_assert_int_ge(connecting, 0);
        errno = SENTINEL_ERRNO;
        result = tcpq_connect_finish(connecting, 5000) == 0 ? connecting : -1;
        fd = connecting;
        break;
    }
    case WAITING_CALLS:
        break;
    }
    err = errno;
    caught = tq_storm_stop(&storm);
    if (call == SEND_ALL_BLOCKING || call == SEND_ALL_TIMEOUT ||
        call == SEND_ALL_EX_TIMEOUT)
        shutdown(client, SHUT_WR); /* lets the drain finish */
    pthread_join(later.thread, NULL);

    ck_assert_msg(result >= 0, "%s failed: %s", waiting_call_name[call],
                  strerror(err));
    if (call == SEND_ALL_BLOCKING || call == SEND_ALL_TIMEOUT ||
        call == SEND_ALL_EX_TIMEOUT)
        ck_assert_int_eq(result, SEND_BYTES);
    ck_assert_msg(caught >= 20, "%s: only %d signals arrived during the wait",
                  waiting_call_name[call], caught);
    ck_assert_msg(err == SENTINEL_ERRNO,
                  "%s succeeded after %d signals but changed errno to %d (%s)",
                  waiting_call_name[call], caught, err, strerror(err));
    if (fd >= 0)
        close(fd);
    if (later.client >= 0)
        close(later.client);
    if (client >= 0)
        close(client);
    if (server >= 0)
        close(server);
    if (filler >= 0)
        close(filler);
    if (lfd >= 0)
        close(lfd);
}
END_TEST

/* ---- a pool of acceptors, one of them interrupted -------------------------
 */

#define ACCEPTORS 4
#define ACCEPT_ROUNDS 8
#define ACCEPT_TIMEOUT_MS 500

struct acceptor {
    int lfd;
    pthread_t thread;
    int fd, err;
    double elapsed_ms;
};

static void *accept_one(void *arg)
{
    struct acceptor *a = arg;
    double start = tq_now_ms();

    a->fd = tcpq_accept(a->lfd, NULL, NULL);
    a->err = errno;
    a->elapsed_ms = tq_now_ms() - start;
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
}

/* Four threads wait in tcpq_accept on one TIMEOUT listener; one is
   interrupted by a signal (no SA_RESTART) and goes through the retry path;
   then one client connects. One thread gets it; every other must fail with
   ETIMEDOUT at its deadline, not wait a second SO_RCVTIMEO after losing
   the race for the connection. */
START_TEST(acceptors_that_lose_the_race_time_out_at_the_deadline)
{
    struct tcpq_options opt = tq_mode_options(TCPQ_TIMEOUT, ACCEPT_TIMEOUT_MS);
    struct acceptor pool[ACCEPTORS];
    struct sigaction sa, previous;
    struct tcpq_report rep;
    int lfd, round, i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = 0; /* no SA_RESTART */
    sigemptyset(&sa.sa_mask);
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, &previous), 0);
    lfd = tcpq_open_listener("127.0.0.1", "0", &opt, &rep);
    ck_assert_msg(lfd >= 0, "%s", rep.message);
    for (round = 0; round < ACCEPT_ROUNDS; round++) {
        int winners = 0, client;

        for (i = 0; i < ACCEPTORS; i++) {
            pool[i].lfd = lfd;
            ck_assert_int_eq(
                pthread_create(&pool[i].thread, NULL, accept_one, &pool[i]), 0);
        }
        tq_sleep_ms(100);
        pthread_kill(pool[round % ACCEPTORS].thread, SIGUSR1);
        tq_sleep_ms(150);
        client = tq_connect_nb(tq_port_of(lfd));
        ck_assert_int_ge(client, 0);
        for (i = 0; i < ACCEPTORS; i++)
            pthread_join(pool[i].thread, NULL);
        for (i = 0; i < ACCEPTORS; i++) {
            if (pool[i].fd >= 0) {
                winners++;
                close(pool[i].fd);
                continue;
            }
            ck_assert_msg(
                pool[i].err == ETIMEDOUT,
                "round %d, thread %d%s: errno %d (%s) after %.0f ms", round, i,
                i == round % ACCEPTORS ? " (interrupted)" : "", pool[i].err,
                strerror(pool[i].err), pool[i].elapsed_ms);
            ck_assert_msg(pool[i].elapsed_ms >= ACCEPT_TIMEOUT_MS,
                          "round %d, thread %d: timed out early, %.0f ms",
                          round, i, pool[i].elapsed_ms);
            ck_assert_msg(pool[i].elapsed_ms < ACCEPT_TIMEOUT_MS + 150,
                          "round %d, thread %d%s: a %d ms timeout took %.0f ms",
                          round, i,
                          i == round % ACCEPTORS ? " (interrupted)" : "",
                          ACCEPT_TIMEOUT_MS, pool[i].elapsed_ms);
        }
        ck_assert_int_eq(winners, 1);
        close(client);
    }
    close(lfd);
    sigaction(SIGUSR1, &previous, NULL);
}
END_TEST

Suite *signals_suite(void)
{
    Suite *s = suite_create("signals");
    TCase *tc = tcase_create("interrupted_waits");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, success_after_interrupted_wait_leaves_errno_alone,
                        0, WAITING_CALLS);
    tcase_add_test(tc, acceptors_that_lose_the_race_time_out_at_the_deadline);
    suite_add_tcase(s, tc);
    return s;
}
