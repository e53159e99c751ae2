/* nonblock-exec: sets O_NONBLOCK on descriptor 3, as a supervisor or
   systemd's NonBlocking= does, then executes the program named. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int flags;

    if (argc < 2) {
        fprintf(stderr, "usage: nonblock-exec PROGRAM [ARGUMENT...]\n");
        return 2;
    }
    flags = fcntl(3, F_GETFL);
    if (flags < 0 || fcntl(3, F_SETFL, flags | O_NONBLOCK) != 0) {
        perror("nonblock-exec: fcntl on descriptor 3");
        return 1;
    }
    execv(argv[1], argv + 1);
    perror("nonblock-exec: execv");
    return 127;
}
