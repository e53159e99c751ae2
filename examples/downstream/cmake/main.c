/* A downstream consumer of the INSTALLED libtcpq: prints the library's
   version and opens a listener on 127.0.0.1 (ephemeral port). */
#include <stdio.h>
#include <unistd.h>

#include <tcpq.h>

int main(void)
{
    struct tcpq_report rep;
    int fd;

    printf("tcpq_version: %s\n", tcpq_version());
    fd = tcpq_open_listener("127.0.0.1", "0", NULL, &rep);
    if (fd < 0) {
        fprintf(stderr, "tcpq_open_listener: %s\n", rep.message);
        return 1;
    }
    printf("listening on %s, backlog %d\n", rep.address, rep.backlog);
    close(fd);
    return 0;
}
