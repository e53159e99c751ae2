/* Option values: strict parsing; a malformed value is a usage error. */
#include "tcpq_info.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The hint that follows every usage error. */
void print_help_hint(void)
{
    fprintf(stderr, "Try '" PROGRAM_NAME " --help' for more information.\n");
}

/* "PROGRAM: what", the --help hint, then exit with EXIT_USAGE. */
void usage_error(const char *what)
{
    fprintf(stderr, PROGRAM_NAME ": %s\n", what);
    print_help_hint();
    exit(EXIT_USAGE);
}

/* "invalid OPTION value 'TEXT': WHY", then exit as usage_error does. */
static void invalid_value_error(const char *option_name, const char *text,
                                const char *why)
{
    char message[256];

    snprintf(message, sizeof message, "invalid %s value '%s': %s", option_name,
             text, why);
    usage_error(message);
}

/* Parses a non-negative decimal number, with an optional k/m/g suffix
   (powers of 1024) when allow_suffix is set. Returns 0 and sets *out, or
   returns -1 and sets *why. Done by hand because strtol accepts leading
   blanks and signs. */
static int parse_number(const char *text, int allow_suffix, int *out,
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

/* The value of an option, or a usage error naming the option. */
int parse_option_value(const char *option_name, const char *text,
                       int allow_suffix)
{
    const char *why = "";
    int value = 0;

    if (parse_number(text, allow_suffix, &value, &why) != 0) {
        invalid_value_error(option_name, text, why);
    }
    return value;
}

int parse_positive_value(const char *option_name, const char *text,
                         int allow_suffix)
{
    int value = parse_option_value(option_name, text, allow_suffix);

    if (value == 0) {
        invalid_value_error(option_name, text, "must be at least 1");
    }
    return value;
}

int parse_positive_option(const char *option_name, const char *text)
{
    return parse_positive_value(option_name, text, 0);
}

/* A TCP port given as a number, 1 to 65535 (never a service name, so no
   lookup is made); anything else is a usage error naming the option. */
int parse_port_option(const char *option_name, const char *text)
{
    int port = parse_option_value(option_name, text, 0);

    if (port < 1 || port > 65535) {
        invalid_value_error(option_name, text, "not a port (1 to 65535)");
    }
    return port;
}

void parse_keepalive_option(const char *text, struct tcpq_options *options)
{
    static const char *const part_names[] = {"IDLE", "INTVL", "CNT"};
    int *const parts[] = {&options->keepalive_idle_s,
                          &options->keepalive_intvl_s, &options->keepalive_cnt};
    char copy[64];
    char *cursor = copy;
    size_t i;

    if (strlen(text) >= sizeof copy)
        invalid_value_error("--keepalive", text, "too long");
    memcpy(copy, text, strlen(text) + 1);
    for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char *colon = strchr(cursor, ':');
        const char *why = "must be at least 1";
        char reason[128];
        int value = 0;

        if ((colon == NULL) != (i == sizeof parts / sizeof parts[0] - 1))
            invalid_value_error("--keepalive", text,
                                "not IDLE:INTVL:CNT (three numbers joined "
                                "by ':')");
        if (colon != NULL)
            *colon = '\0';
        if (parse_number(cursor, 0, &value, &why) != 0 || value == 0) {
            snprintf(reason, sizeof reason, "%s %s", part_names[i], why);
            invalid_value_error("--keepalive", text, reason);
        }
        *parts[i] = value;
        if (colon != NULL)
            cursor = colon + 1;
    }
}

/* The kernel's congestion control names fit in 16 bytes with their NUL
   (TCP_CA_NAME_MAX), as in struct tcpq_report. */
#define CONGESTION_NAME_MAX 15

const char *parse_congestion_option(const char *text)
{
    const char *cursor;

    for (cursor = text; *cursor != '\0'; cursor++) {
        const char c = *cursor;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            break;
    }
    if (cursor == text || *cursor != '\0' ||
        cursor - text > CONGESTION_NAME_MAX)
        invalid_value_error("--congestion", text,
                            "not a congestion control name (1 to 15 "
                            "letters, digits, '_' or '-')");
    return text;
}
