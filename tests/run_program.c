/* A program that knows nothing of libtcpq, for tests/check_run.c to run
   under tcpq-run: it makes listeners the plain way and prints what the
   kernel then holds, one "key=value" line per listener.
     nonblock-rcvbuf   O_NONBLOCK and SO_RCVBUF 65536 set before listen(7)
     in-use            two sockets on one port: the second listen() fails
     fork              the listener made in a forked child
     exec              the listener made in a program this one execs
     unix              an AF_UNIX listener (not TCP: left alone) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int tcp_socket(int port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((unsigned short)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
        perror("run_program: socket/bind");
        exit(2);
    }
    return fd;
}

/* What the kernel holds for a listener, as one line. */
static void show(const char *what, int fd)
{
    struct tcp_info info;
    struct sockaddr_in sin;
    socklen_t len = sizeof info, slen = sizeof sin;
    int rcvbuf = 0;
    socklen_t rlen = sizeof rcvbuf;
    const char *preload = getenv("LD_PRELOAD");

    memset(&info, 0, sizeof info);
    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &rlen);
    getsockname(fd, (struct sockaddr *)&sin, &slen);
    printf("%s pid=%ld port=%d backlog=%u nonblock=%d cloexec=%d rcvbuf=%d "
           "preload=%s\n",
           what, (long)getpid(), ntohs(sin.sin_port), info.tcpi_sacked,
           (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
           (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0, rcvbuf,
           preload != NULL && strstr(preload, "tcpq") ? "yes" : "no");
    fflush(stdout);
}

static int plain_listener(const char *what)
{
    int fd = tcp_socket(0);

    if (listen(fd, 5) < 0) {
        perror("run_program: listen");
        return 1;
    }
    show(what, fd);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";

    if (strcmp(mode, "nonblock-rcvbuf") == 0) {
        int fd = tcp_socket(0), size = 65536, rc;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        errno = 4242;
        rc = listen(fd, 7);
        printf("listen=%d errno_kept=%d\n", rc, errno == 4242);
        show("nonblock-rcvbuf", fd);
        return 0;
    }
    if (strcmp(mode, "in-use") == 0) {
        int a = tcp_socket(0), b, port;
        struct sockaddr_in sin;
        socklen_t len = sizeof sin;
        getsockname(a, (struct sockaddr *)&sin, &len);
        port = ntohs(sin.sin_port);
        b = tcp_socket(port); /* SO_REUSEADDR: both bound, none listening */
        if (listen(a, 5) < 0)
            return 2;
        {
            int rc = listen(b, 5), err = errno;
            printf("second listen=%d errno=%d\n", rc, err);
        }
        return 0;
    }
    if (strcmp(mode, "fork") == 0) {
        pid_t child = fork();
        int status = 0;
        if (child == 0)
            _exit(plain_listener("fork-child"));
        waitpid(child, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    }
    if (strcmp(mode, "exec") == 0) {
        execl("/proc/self/exe", argv[0], "plain", (char *)NULL);
        perror("run_program: exec");
        return 1;
    }
    if (strcmp(mode, "plain") == 0)
        return plain_listener("plain");
    if (strcmp(mode, "unix") == 0) {
        struct sockaddr_un sun;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        /* abstract: nothing in the file system */
        snprintf(sun.sun_path + 1, sizeof sun.sun_path - 1, "tcpq-run-%ld",
                 (long)getpid());
        if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0)
            return 2;
        printf("unix listen=%d\n", listen(fd, 3));
        return 0;
    }
    fprintf(stderr, "usage: run_program MODE\n");
    return 2;
}
