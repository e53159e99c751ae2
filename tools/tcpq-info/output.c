/* Output helpers: failures, numbers, byte sizes, addresses and JSON strings. */
#include "tcpq_info.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void print_failure(const struct tcpq_report *report, const char *format, ...)
{
    const int saved_errno = errno;
    char what[128];
    va_list args;

    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    fprintf(stderr, PROGRAM_NAME ": %s: %s\n", what,
            report->message[0] != '\0' ? report->message
                                       : strerror(saved_errno));
}

const char *format_int(char *out, size_t size, int value)
{
    if (value < 0) {
        snprintf(out, size, "n/a");
    } else {
        snprintf(out, size, "%d", value);
    }
    return out;
}

/* "n/a" for -1, else bytes, with the exact KiB/MiB figure when whole. */
const char *format_bytes(char *out, size_t size, int bytes)
{
    if (bytes < 0) {
        snprintf(out, size, "n/a");
    } else if (bytes >= MIB && bytes % MIB == 0) {
        snprintf(out, size, "%d (%d MiB)", bytes, bytes / MIB);
    } else if (bytes >= KIB && bytes % KIB == 0) {
        snprintf(out, size, "%d (%d KiB)", bytes, bytes / KIB);
    } else {
        snprintf(out, size, "%d", bytes);
    }
    return out;
}

/* "min def max", or "n/a" when none of the three is known. */
const char *format_triple(char *out, size_t size, const int triple[3])
{
    char parts[3][16];
    int i;

    if (triple[0] < 0 && triple[1] < 0 && triple[2] < 0) {
        snprintf(out, size, "n/a");
        return out;
    }
    for (i = 0; i < 3; i++) {
        format_int(parts[i], sizeof parts[i], triple[i]);
    }
    snprintf(out, size, "%s %s %s", parts[0], parts[1], parts[2]);
    return out;
}

/* getnameinfo's numeric host and port, or -1 after writing
   "(FAILURE_LABEL: reason)" in out (size bytes). */
static int numeric_host(const struct sockaddr *address, socklen_t length,
                        char host[64], char port[16], char *out, size_t size,
                        const char *failure_label)
{
    int status = getnameinfo(address, length, host, 64, port, 16,
                             NI_NUMERICHOST | NI_NUMERICSERV);

    if (status != 0) {
        snprintf(out, size, "(%s: %s)", failure_label, gai_strerror(status));
        return -1;
    }
    return 0;
}

void format_address(const struct sockaddr *address, socklen_t length, char *out,
                    size_t size, const char *failure_label)
{
    char host[64]; /* an IPv6 address with a scope fits */
    char port[16];

    if (numeric_host(address, length, host, port, out, size, failure_label) !=
        0)
        return;
    if (address->sa_family == AF_INET6) {
        snprintf(out, size, "[%s]:%s", host, port);
    } else {
        snprintf(out, size, "%s:%s", host, port);
    }
}

void format_host(const struct sockaddr *address, socklen_t length, char *out,
                 size_t size, const char *failure_label)
{
    char host[64];
    char port[16];

    if (numeric_host(address, length, host, port, out, size, failure_label) ==
        0)
        snprintf(out, size, "%s", host);
}

const char *warning_label(char *out, size_t size, unsigned bit)
{
    const char *name = tcpq_warning_name(bit);

    if (name != NULL)
        snprintf(out, size, "%s", name);
    else
        snprintf(out, size, "unknown warning bit 0x%x", bit);
    return out;
}

/* A UTF-8 lead byte and its continuation bytes (no overlong or surrogate
   checks: enough for JSON and Prometheus text parsers to accept). */
size_t utf8_length(const unsigned char *text)
{
    size_t extra = 0;
    size_t i;

    if (text[0] < 0x80)
        return text[0] != 0;
    if (text[0] >= 0xc2 && text[0] <= 0xdf)
        extra = 1;
    else if (text[0] >= 0xe0 && text[0] <= 0xef)
        extra = 2;
    else if (text[0] >= 0xf0 && text[0] <= 0xf4)
        extra = 3;
    else
        return 0;
    for (i = 1; i <= extra; i++) {
        if ((text[i] & 0xc0) != 0x80)
            return 0;
    }
    return extra + 1;
}

/* '"', '\\' and control characters escaped, well-formed UTF-8 kept, any
   other byte written as U+FFFD, so that the output is valid JSON whatever
   the text holds. */
void print_json_string(FILE *stream, const char *text)
{
    const unsigned char *cursor = (const unsigned char *)text;

    putc('"', stream);
    while (*cursor != '\0') {
        unsigned char byte = *cursor;
        size_t length;

        if (byte == '"' || byte == '\\') {
            putc('\\', stream);
            putc(byte, stream);
        } else if (byte == '\n') {
            fputs("\\n", stream);
        } else if (byte == '\t') {
            fputs("\\t", stream);
        } else if (byte == '\r') {
            fputs("\\r", stream);
        } else if (byte < 0x20 || byte == 0x7f) {
            fprintf(stream, "\\u%04x", (unsigned)byte);
        } else if (byte < 0x80) {
            putc(byte, stream);
        } else if ((length = utf8_length(cursor)) == 0) {
            fputs("\\ufffd", stream);
        } else {
            fwrite(cursor, 1, length, stream);
            cursor += length - 1;
        }
        cursor++;
    }
    putc('"', stream);
}
