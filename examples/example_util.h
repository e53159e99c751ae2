/* Helpers shared by the examples: usage errors, option numbers, addresses. */
#ifndef EXAMPLE_UTIL_H
#define EXAMPLE_UTIL_H

/* Each example is still one translation unit: it defines PROGRAM_NAME and
   then includes this header, whose functions are all static inline so that
   a program that leaves one unused gets no warning. */
#ifndef PROGRAM_NAME
#error "define PROGRAM_NAME before including example_util.h"
#endif

#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "../tools/common/cli_number.h"

#define EXIT_USAGE 2

/* The hint that follows every usage error. */
static inline void print_help_hint(void)
{
    fprintf(stderr, "Try '" PROGRAM_NAME " --help' for more information.\n");
}

static inline void usage_error(const char *what)
{
    fprintf(stderr, PROGRAM_NAME ": %s\n", what);
    print_help_hint();
    exit(EXIT_USAGE);
}

/* "invalid OPTION value 'TEXT': WHY", then exit as usage_error does. */
static inline void invalid_value_error(const char *option_name,
                                       const char *text, const char *why)
{
    char message[256];

    snprintf(message, sizeof message, "invalid %s value '%s': %s", option_name,
             text, why);
    usage_error(message);
}

/* The value of an option, or a usage error naming the option. */
static inline int parse_option_value(const char *option_name, const char *text,
                                     int allow_suffix)
{
    const char *why = "";
    int value = 0;

    if (cli_parse_number(text, allow_suffix, &value, &why) != 0) {
        invalid_value_error(option_name, text, why);
    }
    return value;
}

/* --timeout-ms: a whole number of milliseconds, 1 to INT_MAX. */
static inline int check_timeout_ms(int timeout_ms)
{
    if (timeout_ms == 0) {
        usage_error("invalid --timeout-ms value '0': must be at least 1");
    }
    return timeout_ms;
}

/* "n/a" for a negative value (not known), else the number. */
static inline const char *format_int(char *out, size_t size, int value)
{
    if (value < 0) {
        snprintf(out, size, "n/a");
    } else {
        snprintf(out, size, "%d", value);
    }
    return out;
}

/* Numeric "host:port", or "[host]:port" for IPv6; never a name lookup.
   When getnameinfo fails, "(FAILURE_LABEL: reason)". */
static inline void format_address(const struct sockaddr *address,
                                  socklen_t length, char *out, size_t size,
                                  const char *failure_label)
{
    char host[64];
    char port[16];
    int status;

    status = getnameinfo(address, length, host, sizeof host, port, sizeof port,
                         NI_NUMERICHOST | NI_NUMERICSERV);
    if (status != 0) {
        snprintf(out, size, "(%s: %s)", failure_label, gai_strerror(status));
    } else if (address->sa_family == AF_INET6) {
        snprintf(out, size, "[%s]:%s", host, port);
    } else {
        snprintf(out, size, "%s:%s", host, port);
    }
}

#endif /* EXAMPLE_UTIL_H */
