/* Strict parsing of the numbers a command line gives: shared by tcpq-info,
   tcpq-run (and its preload library, so: no allocation, no exit) and the
   examples. Header-only, static inline: each program is built from its
   own sources without a library of helpers. */
#ifndef TCPQ_CLI_NUMBER_H
#define TCPQ_CLI_NUMBER_H

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* A non-negative decimal number, with an optional k/m/g suffix (powers of
   1024) when allow_suffix is set, up to INT_MAX. Returns 0 and sets *out,
   or returns -1 and sets *why. Done by hand because strtol accepts leading
   blanks and signs. */
static inline int cli_parse_number(const char *text, int allow_suffix, int *out,
                                   const char **why)
{
    const char *not_a_number =
        allow_suffix ? "not a number (digits, optionally followed by k, m or g)"
                     : "not a number (digits only)";
    const char *cursor = text;
    long long value = 0;
    long long multiplier = 1;

    if (*cursor == '-') {
        *why = "must not be negative";
        return -1;
    }
    if (*cursor < '0' || *cursor > '9') {
        *why = not_a_number;
        return -1;
    }
    while (*cursor >= '0' && *cursor <= '9') {
        value = value * 10 + (*cursor - '0');
        if (value > INT_MAX) {
            *why = "too large (the most is 2147483647)";
            return -1;
        }
        cursor++;
    }
    if (allow_suffix) {
        switch (*cursor) {
        case 'k':
        case 'K':
            multiplier = 1024;
            cursor++;
            break;
        case 'm':
        case 'M':
            multiplier = 1024LL * 1024;
            cursor++;
            break;
        case 'g':
        case 'G':
            multiplier = 1024LL * 1024 * 1024;
            cursor++;
            break;
        default:
            break;
        }
    }
    if (*cursor != '\0') {
        *why = not_a_number;
        return -1;
    }
    if (value > INT_MAX / multiplier) {
        *why = "too large (the most is 2147483647)";
        return -1;
    }
    *out = (int)(value * multiplier);
    return 0;
}

/* IDLE:INTVL:CNT, three numbers of at least 1, into out[0..2]. Returns 0,
   or -1 with *why: what is wrong, written to reason (reason_size >= 1)
   when it is one part ("INTVL must be at least 1"). */
static inline int cli_parse_keepalive(const char *text, int out[3],
                                      char *reason, size_t reason_size,
                                      const char **why)
{
    static const char *const part_names[] = {"IDLE", "INTVL", "CNT"};
    char copy[64];
    char *cursor = copy;
    int i;

    if (strlen(text) >= sizeof copy) {
        *why = "too long";
        return -1;
    }
    memcpy(copy, text, strlen(text) + 1);
    for (i = 0; i < 3; i++) {
        char *colon = strchr(cursor, ':');
        const char *part_why = "must be at least 1";
        int value = 0;

        if ((colon == NULL) != (i == 2)) {
            *why = "not IDLE:INTVL:CNT (three numbers joined by ':')";
            return -1;
        }
        if (colon != NULL)
            *colon = '\0';
        if (cli_parse_number(cursor, 0, &value, &part_why) != 0 || value == 0) {
            snprintf(reason, reason_size, "%s %s", part_names[i], part_why);
            *why = reason;
            return -1;
        }
        out[i] = value;
        if (colon != NULL)
            cursor = colon + 1;
    }
    return 0;
}

#endif /* TCPQ_CLI_NUMBER_H */
