/*
 * stats.h: what a sweep reports of one point's repetitions: the median and
 * a distribution-free confidence interval of it, the spread, and the flag
 * PolyBench raises when the spread exceeds 5% (stats.c).
 *
 * The interval is the order-statistic interval of the median: with the n
 * times sorted, x(1) <= ... <= x(n), [x(k), x(n+1-k)] covers the true
 * median with probability 1 - 2 P(B <= k-1), B ~ Binomial(n, 1/2), for any
 * continuous distribution of the times. k is the largest for which that
 * coverage is still >= 95%. Below n = 6 no k reaches 95%: the interval is
 * then [min, max] and its coverage, 1 - 2^(1-n), is reported beside it
 * (75% for n = 3, 93.75% for n = 5), never hidden.
 */
#ifndef RB_STATS_H
#define RB_STATS_H

#include <stddef.h>

#define RB_STATS_LEVEL 0.95      /* the confidence the interval aims at */
#define RB_STATS_NOISY_PCT 5.0   /* PolyBench's limit on the spread     */

typedef struct {
    int n;
    double median, min, max, stddev; /* stddev: sample (n - 1); 0 for n = 1 */
    double lo, hi;   /* the interval of the median (above)                 */
    double level;    /* its coverage, e.g. 0.961 for n = 9, 0.75 for n = 3 */
    int k;           /* lo = x(k), hi = x(n+1-k), 1-based                  */
    double spread_pct; /* 100 (hi - lo) / median                          */
    int noisy;       /* spread_pct > RB_STATS_NOISY_PCT                    */
} rb_stats;

/* Summarises x[0..n-1] (n >= 1; sorted in place). */
void rb_stats_of(double *x, int n, rb_stats *out);

/* The k and coverage of the order-statistic interval for n samples at
 * confidence `level` (k = 1, coverage 1 - 2^(1-n) when none reaches it). */
int rb_stats_median_ci_k(int n, double level, double *coverage);

#endif
