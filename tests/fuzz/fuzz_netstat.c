/* libFuzzer target: the /proc/net/netstat counter parser on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "tcpq_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"ListenOverflows", "ListenDrops",
                                        "SyncookiesSent"};
    long long out[3];
    int found =
        tcpq__parse_netstat((const char *)data, size, "TcpExt", names, 3, out);
    int i, known = 0;

    for (i = 0; i < 3; i++) {
        if (out[i] < -1)
            __builtin_trap(); /* a counter is -1 or a count */
        known += out[i] >= 0;
    }
    if (found != known)
        __builtin_trap();
    return 0;
}
