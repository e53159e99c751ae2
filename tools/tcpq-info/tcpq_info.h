/* tcpq-info's private header: what its files share, never installed. */
#ifndef TCPQ_INFO_H
#define TCPQ_INFO_H

#include <tcpq.h>

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#define PROGRAM_NAME "tcpq-info"

/* Exit statuses beyond EXIT_SUCCESS and EXIT_FAILURE. */
#define EXIT_USAGE 2 /* the command line is wrong */
/* --check: the OS would clamp or refuse part of the request */
#define EXIT_CLAMPED 3

/* --watch's --interval when none is given. */
#define WATCH_DEFAULT_INTERVAL_MS 1000

#define KIB 1024
#define MIB (1024 * 1024)

/* Every listener this program opens is on loopback, on a port the kernel
   picks, so nothing outside this host is ever touched. */
#define LOOPBACK_HOST "127.0.0.1"
#define EPHEMERAL_PORT "0"

/* ---- usage.c: --help ---------------------------------------------------- */

void print_usage(FILE *stream);

/* ---- args.c: option values; a malformed one is a usage error ------------- */

/* "Try 'tcpq-info --help'...", the hint after every usage error. */
void print_help_hint(void);

/* "tcpq-info: WHAT" and the hint on stderr, then exit with EXIT_USAGE. */
void usage_error(const char *what);

/* A non-negative decimal number, with an optional k/m/g suffix (powers of
   1024) when allow_suffix is set; anything else, a usage error naming the
   option. */
int parse_option_value(const char *option_name, const char *text,
                       int allow_suffix);

/* Like parse_option_value, and at least 1. */
int parse_positive_value(const char *option_name, const char *text,
                         int allow_suffix);

/* A count or a time: parse_positive_value without a suffix. */
int parse_positive_option(const char *option_name, const char *text);

/* --keepalive IDLE:INTVL:CNT: three plain numbers joined by ':', each at
   least 1, into the options' keepalive_idle_s, keepalive_intvl_s and
   keepalive_cnt. */
void parse_keepalive_option(const char *text, struct tcpq_options *options);

/* --congestion NAME: 1 to 15 letters, digits, '_' or '-', as the kernel's
   names are; returns text. Whether this kernel has it is the library's
   to say. */
const char *parse_congestion_option(const char *text);

/* A TCP port as a number, 1 to 65535 (never a service name). */
int parse_port_option(const char *option_name, const char *text);

/* ---- limits.c: the limits table ------------------------------------------ */

/* This host's limits as a table (json 0) or one "limits" object (json 1). */
void print_limits(const struct tcpq_limits *limits, int json);

/* ---- findings.c: fixes, clamps, and a report as JSON --------------------- */

/* The command that lifts the cause of one warning the report carries,
   from tcpq_warning_fix, in fix (size bytes; "" where none does). Returns
   0, or -1 after printing a failure. */
int warning_fix(const struct tcpq_report *report, unsigned warning, char *fix,
                size_t size);

/* One warning the report carries: its name and the command that lifts
   its cause ("" where none does). */
struct warning {
    char name[48];
    char fix[160];
};

/* one per bit of report.warnings */
#define MAX_WARNINGS 32

/* Every warning the report carries, lowest bit first, with its fix, in
   warnings[]. Returns how many, or -1 after printing a failure. */
int collect_warnings(const struct tcpq_report *report,
                     struct warning warnings[MAX_WARNINGS]);

/* One part of the request the OS clamped or refused, from the report's
   own figures ("backlog 100000 clamped to 4096"; a Fast Open queue with
   the host's server bit off), and the command that lifts it ("" where
   none is known). These are what --check counts. */
struct clamp {
    char what[128];
    char fix[160];
};

/* backlog, rcvbuf, sndbuf and Fast Open */
#define MAX_CLAMPS 4

/* Every clamp the report carries, with its fix, in clamps[]. Returns how
   many, or -1 after printing a failure. */
int collect_clamps(const struct tcpq_report *report,
                   struct clamp clamps[MAX_CLAMPS]);

/* A report as one object of this type on one line: every field, the
   warnings by name, each with its fix, and each clamp with its fix.
   Returns 0, or -1 after printing a failure. */
int print_report_json(const char *type, const struct tcpq_report *report);

/* ---- request.c: what typical requests become ----------------------------- */

/* The typical requests, each on a real socket. Returns 0, or -1 after
   printing a failure. */
int show_typical_requests(int json);

/* ---- custom.c: the request given, and --check ---------------------------- */

/* Exactly the request given, on one listener on loopback; with check, each
   clamp and the command that lifts it. Returns 0, or -1 after printing the
   failure; *clamped is set when the OS clamped or refused any part of
   it. */
int show_custom_request(const struct tcpq_options *options, int check, int json,
                        int *clamped);

/* ---- watch.c: --watch, the live accept queues of one port ---------------- */

struct watch_settings {
    int port;
    int interval_ms;
    int count; /* 0: until SIGINT */
    int json;
    int openmetrics; /* each sample a scrape, as --openmetrics prints */
};

/* Samples every listener on the port until the count is reached or SIGINT.
   Returns EXIT_SUCCESS or EXIT_FAILURE (after saying why on stderr). */
int watch_port(const struct watch_settings *settings);

/* ---- watch_<os>.c: where the listeners come from, one file per OS -------- */

/* One TCP listener, as the kernel shows it. */
struct listener {
    int family;                /* AF_INET or AF_INET6 */
    unsigned char address[16]; /* network order: 4 or 16 bytes used */
    int port;
    char text[96];       /* "127.0.0.1:8080", "[::1]:8080" */
    char host[64];       /* "127.0.0.1", "::1", "fe80::1%eth0" */
    unsigned long inode; /* the socket's, as ss -e shows it */
    int queue_len;
    int queue_limit;
};

/* watch.c: in order of family (IPv4 first), address, host (its scope),
   port and inode. */
void sort_listeners(struct listener *list, size_t count);

struct listener_source {
    int fd;            /* the OS handle the listeners are read through */
    unsigned sequence; /* of the last query */
};

/* Opens the source; returns 0, or -1 after saying why on stderr (also
   where this OS cannot list listeners). */
int listener_source_open(struct listener_source *source);

/* Every TCP listener on port (0: on any port), IPv4 and IPv6, added to
   list (room for capacity) after the *count already there; *count is how
   many, *left_out how many more did not fit. Returns 0, or -1 after
   saying why on stderr. */
int listener_source_list(struct listener_source *source, int port,
                         struct listener *list, size_t capacity, size_t *count,
                         size_t *left_out);

void listener_source_close(struct listener_source *source);

/* ---- metrics.c: --openmetrics, the Prometheus text format --------------- */

/* One scrape on stdout: the listeners in list (sorted here), this network
   namespace's ListenOverflows and ListenDrops, and the host's limits,
   ending in "# EOF". */
void print_openmetrics(struct listener *list, size_t count);

/* One scrape of every TCP listener on this host (the network namespace).
   Returns EXIT_SUCCESS or EXIT_FAILURE (after saying why on stderr). */
int show_openmetrics(void);

/* ---- output.c: formatting helpers ---------------------------------------- */

/* Says why a library call failed: "tcpq-info: WHAT: REASON" on stderr, the
   reason from the report's message, which names the step, or from errno
   when the message is empty. Call it before anything can change errno. */
void print_failure(const struct tcpq_report *report, const char *format, ...);

/* Each writes into out (size bytes) and returns out. */
const char *format_int(char *out, size_t size, int value); /* "n/a" if < 0 */
const char *format_bytes(char *out, size_t size, int bytes);
const char *format_triple(char *out, size_t size, const int triple[3]);

/* Numeric "host:port", or "[host]:port" for IPv6; never a name lookup.
   When getnameinfo fails, "(FAILURE_LABEL: reason)". */
void format_address(const struct sockaddr *address, socklen_t length, char *out,
                    size_t size, const char *failure_label);

/* The numeric host alone: "127.0.0.1", "::1", "fe80::1%eth0"; failing,
   as format_address does. */
void format_host(const struct sockaddr *address, socklen_t length, char *out,
                 size_t size, const char *failure_label);

/* The macro name of one warning bit, or "unknown warning bit 0x..." in
   out (size bytes). */
const char *warning_label(char *out, size_t size, unsigned bit);

/* The length of the well-formed UTF-8 character text starts with (1 to 4),
   or 0: a byte that starts none, or the end of the text. */
size_t utf8_length(const unsigned char *text);

/* text as a JSON string, quotes included, valid whatever text holds. */
void print_json_string(FILE *stream, const char *text);

#endif /* TCPQ_INFO_H */
