/* Strict parsers for the kernel's text (procfs figures), on a buffer and a
   length so that they never depend on a NUL and can be fuzzed. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
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

/* The line at buf[pos], up to (not including) its newline or len. */
static size_t line_end(const char *buf, size_t len, size_t pos)
{
    while (pos < len && buf[pos] != '\n')
        pos++;
    return pos;
}

/* Does the line [start, end) begin with "<prefix>:"? Then the position
   after the colon, else 0. */
static size_t after_prefix(const char *buf, size_t start, size_t end,
                           const char *prefix)
{
    size_t i = 0;

    while (prefix[i] != '\0') {
        if (start + i >= end || buf[start + i] != prefix[i])
            return 0;
        i++;
    }
    if (start + i >= end || buf[start + i] != ':')
        return 0;
    return start + i + 1;
}

/* The next space-separated field in [*pos, end): its start and length;
   0 when there is none. */
static size_t next_field(const char *buf, size_t end, size_t *pos,
                         size_t *field)
{
    size_t i = *pos;

    while (i < end && buf[i] == ' ')
        i++;
    *field = i;
    while (i < end && buf[i] != ' ')
        i++;
    *pos = i;
    return i - *field;
}

static int parse_counter(const char *buf, size_t len, long long *out)
{
    long long value = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return -1;
        if (value > (0x7fffffffffffffffLL - (buf[i] - '0')) / 10)
            return -1;
        value = value * 10 + (buf[i] - '0');
    }
    *out = value;
    return 0;
}

static size_t count_fields(const char *buf, size_t pos, size_t end)
{
    size_t field, n = 0;

    while (next_field(buf, end, &pos, &field) > 0)
        n++;
    return n;
}

int tcpq__parse_netstat(const char *buf, size_t len, const char *prefix,
                        const char *const names[], size_t count,
                        long long out[])
{
    size_t head = 0, head_end, head_fields, vals, vals_end, vals_fields, i;
    int found = 0;

    for (i = 0; i < count; i++)
        out[i] = -1;
    if (buf == NULL || prefix == NULL)
        return 0;
    /* the header line: the first that starts with "<prefix>:" */
    for (;;) {
        head_end = line_end(buf, len, head);
        head_fields = after_prefix(buf, head, head_end, prefix);
        if (head_fields != 0)
            break;
        if (head_end >= len)
            return 0;
        head = head_end + 1;
    }
    /* the value line: the very next one, with as many fields */
    if (head_end >= len)
        return 0;
    vals = head_end + 1;
    vals_end = line_end(buf, len, vals);
    vals_fields = after_prefix(buf, vals, vals_end, prefix);
    if (vals_fields == 0 || count_fields(buf, head_fields, head_end) !=
                                count_fields(buf, vals_fields, vals_end))
        return 0;
    for (i = 0; i < count; i++) {
        size_t hpos = head_fields, vpos = vals_fields;
        size_t name_len = strlen(names[i]);
        size_t hfield, vfield, hlen;

        while ((hlen = next_field(buf, head_end, &hpos, &hfield)) > 0) {
            next_field(buf, vals_end, &vpos, &vfield);
            if (hlen == name_len && memcmp(buf + hfield, names[i], hlen) == 0) {
                if (parse_counter(buf + vfield, vpos - vfield, &out[i]) == 0)
                    found++;
                else
                    out[i] = -1;
                break;
            }
        }
    }
    return found;
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
