/* Helpers the bench programs share; see bench_util.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#endif
#include "bench_util.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

long long now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The values, sorted, in a new array (free it); NULL when out of memory. */
static double *sorted_copy(const double *values, int n)
{
    double *sorted = malloc((size_t)n * sizeof *sorted);

    if (sorted == NULL)
        return NULL;
    memcpy(sorted, values, (size_t)n * sizeof *values);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_double);
    return sorted;
}

double median(const double *values, int n)
{
    double *sorted = sorted_copy(values, n), m;

    if (sorted == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    m = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    free(sorted);
    return m;
}

/* Parses `text`, the argument of option -opt, as a whole number in
   min..max into *out; on error says so on stderr and returns -1. */
static int parse_long(const char *prog, int opt, const char *text, long min,
                      long max, long *out)
{
    char *end = NULL;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min ||
        value > max) {
        fprintf(stderr, "%s: -%c %s: %ld..%ld\n", prog, opt, text, min, max);
        return -1;
    }
    *out = value;
    return 0;
}

static void usage(const char *prog, int dir_used,
                  const struct bench_option *options, int n)
{
    int i;

    fprintf(stderr, "usage: %s [-o DIR]", prog);
    for (i = 0; i < n; i++)
        if (options[i].value != NULL)
            fprintf(stderr, " [-%c %s]", options[i].letter, options[i].arg);
        else
            fprintf(stderr, " [-%c]", options[i].letter);
    fprintf(stderr, "\n  %-12s results directory%s\n", "-o DIR",
            dir_used ? " (default bench/results)"
                     : " (unused: rows go to stdout)");
    for (i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "-%c%s%s", options[i].letter,
                 options[i].value != NULL ? " " : "",
                 options[i].value != NULL ? options[i].arg : "");
        fprintf(stderr, "  %-12s %s\n", name, options[i].help);
    }
}

int parse_options(const char *prog, int argc, char **argv, const char **dir,
                  const struct bench_option *options, int n)
{
    char optstring[64] = "o:h";
    size_t used = strlen(optstring);
    int opt, i;

    for (i = 0; i < n && used + 3 < sizeof optstring; i++) {
        optstring[used++] = options[i].letter;
        if (options[i].value != NULL)
            optstring[used++] = ':';
        optstring[used] = '\0';
    }
    while ((opt = getopt(argc, argv, optstring)) != -1) {
        if (opt == 'o') {
            if (dir != NULL)
                *dir = optarg;
            continue;
        }
        for (i = 0; i < n && options[i].letter != opt; i++)
            ;
        if (i == n || opt == 'h') {
            usage(prog, dir != NULL, options, n);
            return -1;
        }
        if (options[i].value == NULL)
            *options[i].flag = 1;
        else if (parse_long(prog, opt, optarg, options[i].min, options[i].max,
                            options[i].value) < 0)
            return -1;
    }
    if (optind != argc) {
        usage(prog, dir != NULL, options, n);
        return -1;
    }
    return 0;
}

/* The q-quantile of n sorted values, interpolated (R's type 7). */
static double quantile_sorted(const double *sorted, int n, double q)
{
    double at = q * (n - 1);
    int lo = (int)at;

    if (lo >= n - 1)
        return sorted[n - 1];
    return sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (at - lo);
}

struct spread spread_of(const double *values, int n)
{
    double *sorted = sorted_copy(values, n);
    struct spread s;

    if (sorted == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    s.p10 = quantile_sorted(sorted, n, 0.10);
    s.median = quantile_sorted(sorted, n, 0.5);
    s.p90 = quantile_sorted(sorted, n, 0.90);
    free(sorted);
    return s;
}

/* See bench_util.h: pass, FAIL or within-noise by where the middle 80% of
   the rounds lie against the target ">=b", "<=b" or "==b" (a trailing unit,
   as in ">=10x", is ignored), with a margin of `resolution` times b. */
static const char *verdict(struct spread s, const char *target,
                           double resolution)
{
    double b = atof(target + 2), margin = resolution * (b < 0 ? -b : b);

    if (strncmp(target, ">=", 2) == 0)
        return s.p10 >= b + margin  ? "pass"
               : s.p90 < b - margin ? "FAIL"
                                    : "within-noise";
    if (strncmp(target, "<=", 2) == 0)
        return s.p90 <= b - margin  ? "pass"
               : s.p10 > b + margin ? "FAIL"
                                    : "within-noise";
    if (strncmp(target, "==", 2) == 0)
        return s.p10 >= b - margin && s.p90 <= b + margin ? "pass"
               : s.p10 > b + margin || s.p90 < b - margin ? "FAIL"
                                                          : "within-noise";
    return "-";
}

/* A ratio or a spread's end, as the table prints it: a ratio with three
   decimals below 10 and three significant digits from 10 on; a figure's
   own values (is_ratio 0) as the figure column prints them. */
static void format_value(char *out, size_t size, double v, int is_ratio)
{
    snprintf(out, size, is_ratio && v < 10 && v > -10 ? "%.3f" : "%.3g", v);
}

void row_plain(const char *section, const char *variant, double figure,
               const char *unit)
{
    printf("%s,%s,%.3g,%s,-,-,-,-,-\n", section, variant, figure, unit);
}

void row_verdict(const char *section, const char *variant, double figure,
                 const char *unit, const char *reference, const double *values,
                 int n, const char *target)
{
    struct spread s = spread_of(values, n);
    char ratio[32] = "-", spread[64] = "-", lo[32], hi[32];

    if (reference != NULL)
        format_value(ratio, sizeof ratio, s.median, 1);
    if (n > 1) {
        format_value(lo, sizeof lo, s.p10, reference != NULL);
        format_value(hi, sizeof hi, s.p90, reference != NULL);
        snprintf(spread, sizeof spread, "%s-%s", lo, hi);
    }
    printf("%s,%s,%.3g,%s,%s,%s,%s,%s,%s\n", section, variant, figure, unit,
           reference != NULL ? reference : "-", ratio, spread,
           target != NULL ? target : "-",
           target != NULL
               ? verdict(s, target, reference != NULL ? RESOLUTION : 0)
               : "-");
}

int make_dir(const char *dir)
{
    char path[PATH_MAX];
    char *p;

    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

void first_two_cpus(int *a, int *b)
{
    cpu_set_t cpus;
    int cpu;

    *a = *b = -1;
    if (sched_getaffinity(0, sizeof cpus, &cpus) < 0)
        return;
    for (cpu = 0; cpu < CPU_SETSIZE && *b < 0; cpu++)
        if (CPU_ISSET((size_t)cpu, &cpus)) {
            if (*a < 0)
                *a = cpu;
            else
                *b = cpu;
        }
    if (*b < 0)
        *a = -1;
}

void pin_to_cpu(const char *prog, int cpu)
{
    cpu_set_t set;

    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return;
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0)
        fprintf(stderr, "%s: sched_setaffinity cpu %d: %s\n", prog, cpu,
                strerror(errno));
}

int find_on_path(const char *program, char *out, size_t size)
{
    const char *path = getenv("PATH"), *p;
    size_t len;

    if (path == NULL)
        path = "/usr/bin:/bin";
    for (p = path; *p != '\0'; p += len + (p[len] == ':')) {
        len = strcspn(p, ":");
        if (len == 0 || len > INT_MAX)
            continue;
        if ((size_t)snprintf(out, size, "%.*s/%s", (int)len, p, program) <
                size &&
            access(out, X_OK) == 0)
            return 1;
    }
    return 0;
}
