/* The limits table: one table of rows, printed as text or as JSON. */
#include "tcpq_info.h"

#include <stdio.h>
#include <string.h>

/* How a row's figure is written. */
enum limit_kind {
    LIMIT_WORD,   /* a word: JSON string */
    LIMIT_FLAG,   /* JSON true/false; no text row: a source says it */
    LIMIT_COUNT,  /* a number, "n/a" in the text when -1 */
    LIMIT_BYTES,  /* a size: the text adds the KiB or MiB */
    LIMIT_TRIPLE, /* min, default, max: a JSON array */
};

struct limit_row {
    const char *heading; /* the text: a heading line before this row */
    const char *key;     /* the JSON member, and the text's label */
    const char *label;   /* the text's label where it is not the key */
    const char *word;    /* LIMIT_WORD */
    const int *triple;   /* LIMIT_TRIPLE */
    const char *means;   /* what the value means, after it in the text */
    const char *source;  /* where it was read; NULL: not said */
    enum limit_kind kind;
    int value; /* LIMIT_FLAG, LIMIT_COUNT, LIMIT_BYTES */
};

/* What a value means, for the text; the list ends with a NULL text. */
struct meaning {
    int value;
    const char *text;
};

static const struct meaning syncookies_meanings[] = {
    {0, "off"}, {1, "when the SYN queue overflows"}, {2, "always"}, {0, NULL}};
static const struct meaning abort_on_overflow_meanings[] = {
    {0, "drop the final ACK"}, {1, "answer with RST"}, {0, NULL}};

static const char *meaning_of(const struct meaning *meanings, int value)
{
    for (; meanings->text != NULL; meanings++) {
        if (meanings->value == value)
            return meanings->text;
    }
    return NULL;
}

/* What a figure means, said only where it was read. */
static const char *when_known(int value, const char *means)
{
    return value >= 0 ? means : NULL;
}

/* The bits of Linux's tcp_fastopen, each with what it turns on. */
static const struct meaning fastopen_bits[] = {
    {0x1, "client 0x1"},
    {0x2, "server 0x2"},
    {0x4, "client without cookie 0x4"},
    {0x200, "server without cookie 0x200"},
    {0x400, "server on every listener 0x400"},
    {0, NULL}};

/* Which Fast Open bits are set, in out (size bytes): "client 0x1, server
   0x2", "off", and any bit not known here as "other 0x...". NULL where
   the figure was not read or is not Linux's. */
static const char *fastopen_means(const struct tcpq_limits *limits, char *out,
                                  size_t size)
{
    const struct meaning *bit;
    unsigned rest;
    size_t used = 0;

    if (limits->fastopen < 0 || strcmp(limits->os, "linux") != 0)
        return NULL;
    if (limits->fastopen == 0)
        return "off";
    rest = (unsigned)limits->fastopen;
    out[0] = '\0';
    for (bit = fastopen_bits; bit->text != NULL; bit++) {
        if (!(rest & (unsigned)bit->value) || used >= size)
            continue;
        rest &= ~(unsigned)bit->value;
        used += (size_t)snprintf(out + used, size - used, "%s%s",
                                 used > 0 ? ", " : "", bit->text);
    }
    if (rest != 0 && used < size)
        snprintf(out + used, size - used, "%sother 0x%x", used > 0 ? ", " : "",
                 rest);
    return out;
}

/* tcp_notsent_lowat: the kernel's default, 4294967295 (no limit), is past
   what an int holds, so libtcpq cannot read it and gives -1. */
static const char *notsent_lowat_means(const struct tcpq_limits *limits)
{
    if (limits->notsent_lowat >= 0 || strcmp(limits->os, "linux") != 0)
        return NULL;
    return "unreadable, or past INT_MAX, as is the default 4294967295: no "
           "limit";
}

/* The queue model as a word (JSON) and what it means (text). */
struct queue_model_text {
    enum tcpq_queue_model model;
    const char *word;
    const char *means;
};

static const struct queue_model_text queue_models[] = {
    {TCPQ_QUEUE_UNKNOWN, "unknown", NULL},
    {TCPQ_QUEUE_SPLIT, "split", "SYN queue + accept queue"},
    {TCPQ_QUEUE_SINGLE, "single", "half-open and complete share one queue"},
};

static const struct queue_model_text *
queue_model_text(enum tcpq_queue_model model)
{
    size_t i;

    for (i = 1; i < sizeof queue_models / sizeof queue_models[0]; i++) {
        if (queue_models[i].model == model)
            return &queue_models[i];
    }
    return &queue_models[0];
}

/* The Linux file a figure is read from (see tcpq_get_limits in tcpq.h);
   elsewhere the source is not said. */
static const char *linux_source(const struct tcpq_limits *limits,
                                const char *path)
{
    return strcmp(limits->os, "linux") == 0 ? path : NULL;
}

/* Where somaxconn came from, said on every OS: a compile-time guess must
   never pass for a figure read from the kernel. */
static const char *somaxconn_source(const struct tcpq_limits *limits)
{
    if (!limits->somaxconn_runtime)
        return "compiled-in guess (SOMAXCONN), not read at run time";
    if (strcmp(limits->os, "linux") == 0)
        return "/proc/sys/net/core/somaxconn";
    return "read at run time";
}

/* ---- text ---------------------------------------------------------------- */

static void print_row_text(const struct limit_row *row)
{
    const char *label;
    char value[192];
    size_t used;

    if (row->heading != NULL)
        printf("\n%s\n", row->heading);
    if (row->kind == LIMIT_FLAG)
        return;
    switch (row->kind) {
    case LIMIT_WORD: /* "": not known */
        snprintf(value, sizeof value, "%s",
                 row->word[0] != '\0' ? row->word : "n/a");
        break;
    case LIMIT_BYTES:
        format_bytes(value, sizeof value, row->value);
        break;
    case LIMIT_TRIPLE:
        format_triple(value, sizeof value, row->triple);
        break;
    case LIMIT_COUNT:
    default:
        format_int(value, sizeof value, row->value);
        break;
    }
    used = strlen(value);
    if (row->means != NULL)
        snprintf(value + used, sizeof value - used, " (%s)", row->means);
    label = row->label != NULL ? row->label : row->key;
    if (row->source != NULL)
        printf("  %-24s %-36s %s\n", label, value, row->source);
    else
        printf("  %-24s %s\n", label, value);
}

/* ---- JSON ---------------------------------------------------------------- */

static void print_row_json(const struct limit_row *row)
{
    printf(",\"%s\":", row->key);
    switch (row->kind) {
    case LIMIT_WORD:
        print_json_string(stdout, row->word);
        break;
    case LIMIT_FLAG:
        printf("%s", row->value ? "true" : "false");
        break;
    case LIMIT_TRIPLE:
        printf("[%d,%d,%d]", row->triple[0], row->triple[1], row->triple[2]);
        break;
    case LIMIT_COUNT:
    case LIMIT_BYTES:
    default:
        printf("%d", row->value);
        break;
    }
}

/* "sources": where each figure was read, as the text says it. */
static void print_sources_json(const struct limit_row *rows, size_t count)
{
    const char *separator = "";
    size_t i;

    printf(",\"sources\":{");
    for (i = 0; i < count; i++) {
        if (rows[i].source == NULL)
            continue;
        printf("%s\"%s\":", separator, rows[i].key);
        print_json_string(stdout, rows[i].source);
        separator = ",";
    }
    printf("}");
}

/* The one table: every row both outputs give, in their order. */
void print_limits(const struct tcpq_limits *limits, int json)
{
    const struct queue_model_text *model =
        queue_model_text(limits->queue_model);
    char fastopen[192];
    const struct limit_row rows[] = {
        {.key = "os", .kind = LIMIT_WORD, .word = limits->os},
        {.key = "queue_model",
         .label = "queue model",
         .kind = LIMIT_WORD,
         .word = model->word,
         .means = model->means},
        {.key = "somaxconn_runtime",
         .kind = LIMIT_FLAG,
         .value = limits->somaxconn_runtime},
        {.key = "somaxconn",
         .kind = LIMIT_COUNT,
         .value = limits->somaxconn,
         .source = somaxconn_source(limits)},
        {.key = "tcp_max_syn_backlog",
         .kind = LIMIT_COUNT,
         .value = limits->max_syn_backlog,
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_max_syn_backlog")},
        {.key = "syncookies",
         .kind = LIMIT_COUNT,
         .value = limits->syncookies,
         .means = meaning_of(syncookies_meanings, limits->syncookies),
         .source = linux_source(limits, "/proc/sys/net/ipv4/tcp_syncookies")},
        {.key = "tcp_abort_on_overflow",
         .kind = LIMIT_COUNT,
         .value = limits->abort_on_overflow,
         .means =
             meaning_of(abort_on_overflow_meanings, limits->abort_on_overflow),
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_abort_on_overflow")},
        {.key = "rmem_default",
         .kind = LIMIT_BYTES,
         .value = limits->rmem_default,
         .source = linux_source(limits, "/proc/sys/net/core/rmem_default")},
        {.key = "rmem_max",
         .kind = LIMIT_BYTES,
         .value = limits->rmem_max,
         .source = linux_source(limits, "/proc/sys/net/core/rmem_max")},
        {.key = "wmem_default",
         .kind = LIMIT_BYTES,
         .value = limits->wmem_default,
         .source = linux_source(limits, "/proc/sys/net/core/wmem_default")},
        {.key = "wmem_max",
         .kind = LIMIT_BYTES,
         .value = limits->wmem_max,
         .source = linux_source(limits, "/proc/sys/net/core/wmem_max")},
        {.key = "tcp_rmem",
         .label = "tcp_rmem (min def max)",
         .kind = LIMIT_TRIPLE,
         .triple = limits->tcp_rmem,
         .source = linux_source(limits, "/proc/sys/net/ipv4/tcp_rmem")},
        {.key = "tcp_wmem",
         .label = "tcp_wmem (min def max)",
         .kind = LIMIT_TRIPLE,
         .triple = limits->tcp_wmem,
         .source = linux_source(limits, "/proc/sys/net/ipv4/tcp_wmem")},
        {.heading = "Defaults of the per-socket options",
         .key = "tcp_keepalive_time",
         .kind = LIMIT_COUNT,
         .value = limits->keepalive_time_s,
         .means = when_known(limits->keepalive_time_s,
                             "s idle before the first probe"),
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_keepalive_time")},
        {.key = "tcp_keepalive_intvl",
         .kind = LIMIT_COUNT,
         .value = limits->keepalive_intvl_s,
         .means = when_known(limits->keepalive_intvl_s, "s between probes"),
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_keepalive_intvl")},
        {.key = "tcp_keepalive_probes",
         .kind = LIMIT_COUNT,
         .value = limits->keepalive_probes,
         .means = when_known(limits->keepalive_probes,
                             "unanswered probes before failing"),
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_keepalive_probes")},
        {.key = "tcp_fastopen",
         .kind = LIMIT_COUNT,
         .value = limits->fastopen,
         .means = fastopen_means(limits, fastopen, sizeof fastopen),
         .source = linux_source(limits, "/proc/sys/net/ipv4/tcp_fastopen")},
        {.key = "tcp_notsent_lowat",
         .kind = LIMIT_BYTES,
         .value = limits->notsent_lowat,
         .means = notsent_lowat_means(limits),
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_notsent_lowat")},
        {.key = "tcp_congestion_control",
         .kind = LIMIT_WORD,
         .word = limits->congestion,
         .source =
             linux_source(limits, "/proc/sys/net/ipv4/tcp_congestion_control")},
    };
    const size_t count = sizeof rows / sizeof rows[0];
    size_t i;

    if (json) {
        printf("{\"type\":\"limits\",\"libtcpq\":");
        print_json_string(stdout, tcpq_version());
        for (i = 0; i < count; i++)
            print_row_json(&rows[i]);
        print_sources_json(rows, count);
        printf("}\n");
        return;
    }
    printf("Limits of this host (libtcpq %s)\n", tcpq_version());
    for (i = 0; i < count; i++)
        print_row_text(&rows[i]);
}
