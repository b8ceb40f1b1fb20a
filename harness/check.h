/*
 * check.h: does a variant compute what the oracle computes?
 *
 * One check runs a variant on one cell, shape and thread count: inference
 * forward, training forward, then backward, each time against the double
 * oracle on the same inputs, with canaries after every output (and after
 * the workspace), and with the inputs verified unchanged afterwards.
 */
#ifndef RB_CHECK_H
#define RB_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "../variants/variant.h"
#include "compare.h"
#include "tensors.h"

/* The oracle's results for one cell and shape: every tensor in double. */
typedef struct {
    rb_shape s;
    rb_tensors_f64 t;
    double *block;
} rb_oracle;

/* Runs the double reference (training forward + backward) on ts's inputs. */
int rb_oracle_run(rb_oracle *o, const rb_tset *ts, char *err, size_t errlen);
void rb_oracle_free(rb_oracle *o);

typedef struct {
    int pass;
    char err[256];           /* a failure that is not a numeric mismatch    */
    rb_cmp infer[RB_NTENSORS]; /* y hT cT of the inference forward          */
    rb_cmp train[RB_NTENSORS]; /* y hT cT of the training forward, gradients */
    int have_infer[RB_NTENSORS], have_train[RB_NTENSORS];
} rb_check_result;

/* ts holds the inputs the oracle saw; its outputs are overwritten.
 * Returns res->pass. */
int rb_check_one(const rb_variant *v, rb_tset *ts, const rb_oracle *o, int threads,
                 rb_check_result *res);
/* The same on a given thread grid (*_omp_grid: grid_b x grid_s == threads;
 * 0, 0: the variant's cost model chooses). */
int rb_check_grid(const rb_variant *v, rb_tset *ts, const rb_oracle *o, int threads, int grid_b,
                  int grid_s, rb_check_result *res);

/* Prints one "FAIL ..." line per failed comparison of res (infer_only:
 * only those of the inference forward, and errors) to f, each ending with
 * the command that reruns exactly this case:
 *   rnnbench run --variant V --cell C --T T --N N --I I --H H --threads K
 *                --pass P <inputs> --check
 * where inputs is how the case got its inputs ("--seed 7" or "--load DIR").
 * Returns the number of lines printed. */
int rb_check_report(FILE *f, const rb_variant *v, const rb_problem *p, const char *inputs,
                    const rb_check_result *res, int infer_only);

/* "" for a one-layer full-length shape, else its network for messages:
 * " L=2 dir=bi_concat lengths=7,1,4,7,3" (opt: as the options of
 * `rnnbench run`, " --layers 2 --dir bi_concat --lengths 7,1,4,7,3").
 * Returns buf. */
const char *rb_shape_net_text(const rb_shape *s, int opt, char *buf, size_t n);

/* Test hook, for proving that the checker and its paste-back line work end
 * to end: when RNNBENCH_CHECK_PERTURB names a tensor ("y", "dweight_hh"),
 * rb_check_one adds 1 to its element 0 after every pass of the variant, as
 * a wrong kernel would. Never set it outside the tests. */
#define RB_CHECK_PERTURB_ENV "RNNBENCH_CHECK_PERTURB"

#endif
