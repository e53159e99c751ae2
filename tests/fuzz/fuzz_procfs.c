/* libFuzzer target: the procfs integer and triple parsers on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "tcpq_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int value, triple[3];

    if (tcpq__parse_int(text, size, &value) == 0 && size == 0)
        __builtin_trap(); /* an empty field is never a number */
    if (tcpq__parse_int3(text, size, triple) == 0 && size < 5)
        __builtin_trap(); /* three numbers need at least "1 2 3" */
    return 0;
}
