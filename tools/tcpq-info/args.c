/* Option values: strict parsing; a malformed value is a usage error. */
#include "tcpq_info.h"

#include "../common/cli_number.h"

#include <stdio.h>
#include <stdlib.h>

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

/* The value of an option, or a usage error naming the option. */
int parse_option_value(const char *option_name, const char *text,
                       int allow_suffix)
{
    const char *why = "";
    int value = 0;

    if (cli_parse_number(text, allow_suffix, &value, &why) != 0) {
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
    char reason[128];
    const char *why;
    int parts[3];

    if (cli_parse_keepalive(text, parts, reason, sizeof reason, &why) < 0)
        invalid_value_error("--keepalive", text, why);
    options->keepalive_idle_s = parts[0];
    options->keepalive_intvl_s = parts[1];
    options->keepalive_cnt = parts[2];
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
