/* Counts what one tcpq_recv / tcpq_send_all costs when data is ready: run
   under strace by bench/syscalls.sh, 1000 calls of each between markers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tcpq.h>

#define CALLS 1000

int main(int argc, char **argv)
{
    struct tcpq_options opt;
    struct tcpq_report rep;
    char port[16], buf[64];
    const char *colon;
    int listener, client, server, i;

    if (argc != 2 || argv[1][0] < '0' || argv[1][0] > '2' || argv[1][1]) {
        fprintf(stderr,
                "usage: syscalls 0|1|2 (blocking|timeout|nonblocking)\n");
        return 2;
    }
    memset(&opt, 0, sizeof opt);
    opt.mode = (enum tcpq_mode)(argv[1][0] - '0');
    opt.timeout_ms = 5000;
    listener = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    colon = listener < 0 ? NULL : strrchr(rep.address, ':');
    if (colon == NULL) {
        fprintf(stderr, "syscalls: %s\n", rep.message);
        return 1;
    }
    snprintf(port, sizeof port, "%s", colon + 1);
    client = tcpq_connect("127.0.0.1", port, &opt, &rep);
    server = client < 0 ? -1 : tcpq_accept(listener, NULL, NULL);
    if (server < 0 || tcpq_set_timeout_mode(server, &opt) < 0) {
        fprintf(stderr, "syscalls: %s\n", rep.message);
        return 1;
    }
    memset(buf, 'x', sizeof buf);
    if (write(STDERR_FILENO, "MARK start\n", 11) != 11)
        return 1;
    for (i = 0; i < CALLS; i++)
        if (tcpq_send_all(client, buf, 1) != 1)
            return 1;
    for (i = 0; i < CALLS; i++) /* the data is already queued: ready */
        if (tcpq_recv(server, buf, 1) != 1)
            return 1;
    if (write(STDERR_FILENO, "MARK end\n", 9) != 9)
        return 1;
    close(server);
    close(client);
    close(listener);
    return 0;
}
