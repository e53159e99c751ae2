/* Strict parsers for the kernel's text (procfs figures), on a buffer and a
   length so that they never depend on a NUL and can be fuzzed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "tcpq_internal.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_space(char c)
{
    return is_blank(c) || c == '\n' || c == '\r';
}

/* Parses one int at buf[*pos], advancing *pos past it. */
static int parse_one(const char *buf, size_t len, size_t *pos, int *out)
{
    size_t i = *pos;
    int negative = 0;
    long long value = 0;
    size_t digits = 0;

    if (i < len && buf[i] == '-') {
        negative = 1;
        i++;
    }
    while (i < len && buf[i] >= '0' && buf[i] <= '9') {
        value = value * 10 + (buf[i] - '0');
        if (value > (long long)INT_MAX + 1) {
            errno = ERANGE;
            return -1;
        }
        digits++;
        i++;
    }
    if (digits == 0) {
        errno = EINVAL;
        return -1;
    }
    if (negative)
        value = -value;
    if (value > INT_MAX || value < INT_MIN) {
        errno = ERANGE;
        return -1;
    }
    *out = (int)value;
    *pos = i;
    return 0;
}

/* Accepts only trailing white space from pos to the end. */
static int only_space_left(const char *buf, size_t len, size_t pos)
{
    for (; pos < len; pos++) {
        if (!is_space(buf[pos])) {
            errno = EINVAL;
            return -1;
        }
    }
    return 0;
}

int tcpq__parse_int(const char *buf, size_t len, int *out)
{
    size_t pos = 0;
    int value;

    if (buf == NULL || out == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (parse_one(buf, len, &pos, &value) < 0 ||
        only_space_left(buf, len, pos) < 0)
        return -1;
    *out = value;
    return 0;
}

int tcpq__parse_int3(const char *buf, size_t len, int out[3])
{
    size_t pos = 0;
    int values[3];
    int i;

    if (buf == NULL || out == NULL) {
        errno = EINVAL;
        return -1;
    }
    for (i = 0; i < 3; i++) {
        if (i > 0) {
            size_t start = pos;
            while (pos < len && is_blank(buf[pos]))
                pos++;
            if (pos == start) {
                errno = EINVAL;
                return -1;
            }
        }
        if (parse_one(buf, len, &pos, &values[i]) < 0)
            return -1;
    }
    if (only_space_left(buf, len, pos) < 0)
        return -1;
    for (i = 0; i < 3; i++)
        out[i] = values[i];
    return 0;
}

long tcpq__read_small_file(const char *path, char *buf, size_t cap)
{
    size_t used = 0;
    int fd;
    int saved;

    if (cap == 0) {
        errno = EINVAL;
        return -1;
    }
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    while (used < cap - 1) {
        ssize_t n = read(fd, buf + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used == cap - 1) {
        char extra;
        ssize_t n;
        do
            n = read(fd, &extra, 1);
        while (n < 0 && errno == EINTR);
        if (n != 0) { /* more than the caller expects: not a figure */
            close(fd);
            errno = EFBIG;
            return -1;
        }
    }
    buf[used] = '\0';
    close(fd);
    return (long)used;
}
