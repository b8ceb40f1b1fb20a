/*
 * stats.c: median, its order-statistic confidence interval and the
 * spread flag (stats.h).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* P(B <= j), B ~ Binomial(n, 1/2), summed in doubles: exact enough for
 * any n a sweep uses (the terms are C(n,i) / 2^n, built by ratio). */
static double binom_half_cdf(int n, int j)
{
    double term = ldexp(1.0, -n), sum = 0; /* C(n, 0) / 2^n */
    for (int i = 0; i <= j && i <= n; i++) {
        sum += term;
        term *= (double)(n - i) / (i + 1);
    }
    return sum;
}

int rb_stats_median_ci_k(int n, double level, double *coverage)
{
    int k = 1;
    /* coverage of [x(k), x(n+1-k)] = 1 - 2 P(B <= k-1); grows as k falls */
    while (k + 1 <= (n + 1) / 2 && 1 - 2 * binom_half_cdf(n, k) >= level) k++;
    if (coverage) *coverage = n >= 2 ? 1 - 2 * binom_half_cdf(n, k - 1) : 0;
    return k;
}

void rb_stats_of(double *x, int n, rb_stats *out)
{
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    const double mean = sum / n;
    for (int i = 0; i < n; i++) sq += (x[i] - mean) * (x[i] - mean);
    out->n = n;
    out->min = x[0];
    out->max = x[n - 1];
    out->median = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
    out->stddev = n > 1 ? sqrt(sq / (n - 1)) : 0;
    out->k = rb_stats_median_ci_k(n, RB_STATS_LEVEL, &out->level);
    out->lo = x[out->k - 1];
    out->hi = x[n - out->k];
    out->spread_pct = out->median > 0 ? 100.0 * (out->hi - out->lo) / out->median : 0;
    out->noisy = out->spread_pct > RB_STATS_NOISY_PCT;
}
