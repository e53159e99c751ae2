/* Helpers the bench programs share: clock, statistics, options, files,
   CPU pinning. Compiled into each bench program (see the Makefile). */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>

/* CLOCK_MONOTONIC in nanoseconds. */
long long now_ns(void);

/* The median of n values (n >= 1); the values are left as they are. */
double median(const double *values, int n);

/* The 10th, 50th and 90th percentiles of n values (n >= 1), interpolated
   between the sorted values; the values are left as they are. */
struct spread {
    double p10, median, p90;
};
struct spread spread_of(const double *values, int n);

/* ---- rows -----------------------------------------------------------------
   Every program prints CSV rows on stdout:
     section,variant,figure,unit,reference,ratio,spread,target,verdict
   ratio is the median of the per-round ratios to the reference, spread
   the range of their middle 80%, "p10-p90" (no comma: one field).

   The verdict rule. A timed figure is measured in R interleaved rounds, and
   each round gives one value (a ratio to the reference, measured side by
   side in that round). Against a target ">=b" (likewise "<=b", "==b"):
     pass          nine rounds in ten meet it, with a margin:
                   p10 >= b * (1 + RESOLUTION)
     FAIL          nine rounds in ten miss it, with a margin:
                   p90 < b * (1 - RESOLUTION)
     within-noise  anything between: the rounds straddle the target, or lie
                   within RESOLUTION of it; on this machine, in this run,
                   the bench cannot tell whether the target holds
   The verdict is about the rounds a reader sees, not about the median
   alone: a median 0.01 above its bound, with rounds spread 0.10 either
   side, says nothing. Nine in ten rather than three in four (the
   interquartile range): timeout-vs-poll's rounds spread from 1.0 to 2.8
   with their lower quartile at its 1.5 target, so three in four flipped
   between pass and within-noise from one idle run to the next, while the
   rows whose rounds sit clear of their target (accept: 0.96 and up
   against 0.95) keep their verdict. And the margin is about what one run
   cannot see: runs of an unchanged tree a few minutes apart moved a row's
   median by about 2% when its rounds spread far less within each run
   (setup's ratio 1.98 in one run, 2.02 in the next, each run's rounds
   within 0.01), from the state of the machine rather than from anything
   the rounds sample. (Over hours, or with other work on the machine, the
   same ratio wandered from 1.97 to 2.25: no margin absorbs that, and the
   verdicts of such runs are not comparable.) A count judged on its own
   (a row without a reference: connects over 0.9 s, opens of a file) is
   exact and has no margin. */
#define RESOLUTION 0.02

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
