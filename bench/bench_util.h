/* Helpers the bench programs share: clock, statistics, options, files,
   CPU pinning. Compiled into each bench program (see the Makefile). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>

/* CLOCK_MONOTONIC in nanoseconds. */
long long now_ns(void);

/* The median of n values (n >= 1); the values are left as they are. */
double median(const double *values, int n);

/* The quartiles of n values (n >= 1), interpolated between the sorted
   values; the values are left as they are. */
struct spread {
    double p25, median, p75;
};
struct spread spread_of(const double *values, int n);

/* ---- rows -----------------------------------------------------------------
   Every program prints CSV rows on stdout:
     section,variant,figure,unit,reference,ratio,spread,target,verdict
   ratio is the median of the per-round ratios to the reference, spread
   their interquartile range "p25-p75" (no comma: one field).

   The verdict rule. A timed figure is measured in R interleaved rounds, and
   each round gives one value (a ratio to the reference, measured side by
   side in that round). Against a target ">=b" (likewise "<=b", "==b"):
     pass          the whole interquartile range meets it (p25 >= b)
     FAIL          the whole interquartile range misses it (p75 < b)
     within-noise  the range straddles b: on this machine, in this run, a
                   round cannot tell whether the target holds, and the
                   median alone would flip from run to run
   The verdict is about the rounds a reader would see, not about the median
   alone: a median 0.01 above its bound, with rounds spread 0.10 either
   side, says nothing, and is reported as within-noise. */

/* A row without a reference or a target. */
void row_plain(const char *section, const char *variant, double figure,
               const char *unit);

/* A row judged on n per-round values: figure (in unit), the median of
   values as the ratio to `reference` (NULL: the row has no ratio column,
   the values are the figure's own), their spread and, where target is
   not NULL, the verdict. */
void row_verdict(const char *section, const char *variant, double figure,
                 const char *unit, const char *reference, const double *values,
                 int n, const char *target);

/* One command-line option of a bench program: -letter N, a whole number
   in min..max stored in *value; or, where value is NULL, a flag that sets
   *flag to 1. */
struct bench_option {
    char letter;
    const char *arg; /* the argument's name in the usage text */
    long min, max;
    long *value;
    int *flag;
    const char *help;
};

/* getopt over argv: -o DIR (into *dir; dir NULL: accepted and unused, the
   rows go to stdout), -h, and the program's own n options. 0, or -1 after
   saying what is wrong, with the usage, on stderr. */
int parse_options(const char *prog, int argc, char **argv, const char **dir,
                  const struct bench_option *options, int n);

/* mkdir -p: 0, or -1 with errno. */
int make_dir(const char *dir);

/* The first two CPUs this process may run on, in *a and *b; both -1 when
   there is only one (nothing to separate). */
void first_two_cpus(int *a, int *b);

/* Pins the calling thread to one CPU, so that the two sides of a bench
   never share a core or migrate; cpu < 0: left alone. A failure is said
   on stderr (prefixed with prog) and otherwise ignored. */
void pin_to_cpu(const char *prog, int cpu);

/* The full path of `program` in a directory of PATH, into out: 1 when
   found, 0 when not. */
int find_on_path(const char *program, char *out, size_t size);

#endif
