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
    const char *key;    /* the JSON member, and the text's label */
    const char *label;  /* the text's label where it is not the key */
    const char *word;   /* LIMIT_WORD */
    const int *triple;  /* LIMIT_TRIPLE */
    const char *means;  /* what the value means, after it in the text */
    const char *source; /* where it was read; NULL: not said */
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
    char value[96];
    size_t used;

    if (row->kind == LIMIT_FLAG)
        return;
    switch (row->kind) {
    case LIMIT_WORD:
        snprintf(value, sizeof value, "%s", row->word);
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
