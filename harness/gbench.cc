// gbench.cc: build/rnnbench_gbench, the variants timed by Google Benchmark
// (1.7.1 API), for people who read its console and JSON output. The
// numbers of record come from `rnnbench sweep` (rb_time_pass); this is a
// thin second opinion with Google Benchmark's own iteration control.
//
// Registered: every runnable variant x cell x pass (infer, fwdbwd) on two
// shapes, T=50 N=64 I=H=512 (GEMM-bound) and T=100 N=1 I=H=256 (latency-
// bound), on 1 thread and on all cores (serial variants: 1 thread); naive,
// about 50x slower, only at T=25 N=16 I=H=64. A variant this build or CPU
// cannot run is registered once as "<variant>/unavailable" and reports the
// reason through SkipWithError: listed, never dropped silently.
//
// Networks (EQUATIONS.md "Networks"), named net/<cell>_L<layers>_<mode>
// [_varlen]/<pass>/<variant>, on the same shapes: an lstm of 2 bi_concat
// layers, a gru of 3 l2r layers, and one lstm layer whose lengths are
// uniform in [1, T] (from seed 1), whose GFLOP/s count real steps only.
// They add "tokens/s" (real steps of all sequences per second). A variant
// that lacks a network feature is listed with its reason, as above.
//
// Plans are created and parameters packed before the timed loop; one
// iteration is one pass. "GFLOP/s" is the benchdnn GEMM count of the pass
// (EQUATIONS.md, 1x forward for infer, 3x for fwdbwd) per second;
// "GFLOP/s_deepbench" is DeepBench's recurrent-only count.
//
//   build/rnnbench_gbench --benchmark_filter='lstm/infer/avx512'
//   build/rnnbench_gbench --benchmark_filter='^net/'
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdio>
#include <string>
#include <vector>

extern "C" {
#include "../kernels/rnn.h"
#include "../variants/variant.h"
#include "affinity.h"
#include "lengths.h"
#include "run.h"
#include "sysinfo.h"
#include "tensors.h"
}

namespace {

struct Shape {
    int T, N, I, H;
};

// A network configuration: layers, direction mode, lengths (a --lengths
// spec of rb_lengths_make: "full" or "random").
struct Net {
    rb_cell cell;
    int layers;
    rb_dir dir;
    const char *lengths;
};

const Net one_layer{RB_LSTM, 1, RB_DIR_L2R, "full"}; // cell set per benchmark

void bench_pass(benchmark::State &state, const rb_variant *v, rb_cell cell, rb_pass pass, const Net &net)
{
    rb_shape s{}; // one layer, l2r, full length unless net says otherwise
    s.cell = cell;
    s.T = (int)state.range(0);
    s.N = (int)state.range(1);
    s.I = (int)state.range(2);
    s.H = (int)state.range(3);
    s.layers = net.layers;
    s.dir = net.dir;
    std::vector<int> lengths((size_t)s.N);
    char err[512];
    const int drawn = rb_lengths_make(net.lengths, s.T, s.N, 1, lengths.data(), err, sizeof err);
    if (drawn < 0) {
        state.SkipWithError(err);
        return;
    }
    if (drawn) s.lengths = lengths.data();
    rb_problem p{}; // grid 0 x 0: from the cost model
    p.s = s;
    p.threads = (int)state.range(4);
    if (const char *why = rb_variant_why_not(v, &p)) {
        state.SkipWithError(why);
        return;
    }
    const size_t ws_bytes = v->ops->workspace_bytes(&p);
    if (rb_check_fits(rb_tset_bytes(&s, ws_bytes), err, sizeof err) != 0) {
        state.SkipWithError(err);
        return;
    }
    rb_tset ts;
    if (rb_tset_alloc(&ts, &s, err, sizeof err) != 0) {
        state.SkipWithError(err);
        return;
    }
    rb_tset_init(&ts, 1);
    omp_set_num_threads(p.threads);
    void *plan = v->ops->plan_create(&p, err, sizeof err);
    void *ws = plan ? rb_alloc(ws_bytes) : nullptr;
    if (!plan || !ws) {
        state.SkipWithError(plan ? "out of memory for the workspace" : err);
        if (plan) v->ops->plan_destroy(plan);
        rb_tset_free(&ts);
        return;
    }
    v->ops->set_params(plan, &ts.t); // untimed, as in rb_time_pass

    for (auto _ : state) {
        if (pass == RB_PASS_INFER) {
            v->ops->forward(plan, &ts.t, nullptr);
        } else {
            v->ops->forward(plan, &ts.t, ws);
            v->ops->backward(plan, &ts.t, ws);
        }
        benchmark::ClobberMemory();
    }

    state.counters["GFLOP/s"] =
        benchmark::Counter(rb_pass_flops(&s, pass) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    const double deepbench = rb_pass_flops(&s, pass) / rb_flops_forward(&s) * rb_flops_deepbench(&s);
    state.counters["GFLOP/s_deepbench"] =
        benchmark::Counter(deepbench * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    if (rb_shape_is_net(&s) || s.lengths)
        state.counters["tokens/s"] =
            benchmark::Counter((double)rb_tokens(&s), benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(std::string(v->isa) + "," + v->parallel);

    rb_free(ws);
    v->ops->plan_destroy(plan);
    rb_tset_free(&ts);
}

void unavailable(benchmark::State &state, const char *why)
{
    state.SkipWithError(why);
}

// Cores a team may use: physical cores, fewer if a taskset or cpuset says
// so (the rule of `rnnbench sweep`).
int usable_cores(const rb_sysinfo &si)
{
    int cores = si.cores > 0 ? si.cores : (si.usable_cpus > 0 ? si.usable_cpus : 1);
    if (si.usable_cpus > 0 && si.usable_cpus < cores) cores = si.usable_cpus;
    return cores;
}

std::string fmt(double x)
{
    char b[64];
    std::snprintf(b, sizeof b, "%.1f", x);
    return b;
}

void add_context(const rb_sysinfo &si, int cores)
{
    char binding[2048];
    rb_affinity_describe(binding, sizeof binding, cores);
    benchmark::AddCustomContext("rnnbench_cpu", si.cpu_model);
    benchmark::AddCustomContext("rnnbench_isa_best", rb_isa_name(si.best_isa));
    benchmark::AddCustomContext("rnnbench_isa_flags", si.isa_flags);
    benchmark::AddCustomContext("rnnbench_topology",
                                std::to_string(si.packages) + " packages, " + std::to_string(si.numa_nodes) +
                                    " NUMA nodes, " + std::to_string(si.cores) + " cores, " +
                                    std::to_string(si.pus) + " PUs (" + (si.topo_hwloc ? "hwloc" : "sysconf") + ")");
    benchmark::AddCustomContext("rnnbench_peak_gflops_core", fmt(si.peak_gflops_core));
    benchmark::AddCustomContext("rnnbench_peak_gflops_all", fmt(si.peak_gflops_all));
    benchmark::AddCustomContext("rnnbench_bandwidth_gbs", fmt(si.bandwidth_gbs));
    benchmark::AddCustomContext("rnnbench_binding", binding);
    benchmark::AddCustomContext("rnnbench_compiler", std::string(si.compiler) + " " + si.cflags);
    benchmark::AddCustomContext("rnnbench_flop_count",
                                "GFLOP/s: benchdnn GEMM count 2*G*H*(I+H)*N*T x pass (infer 1, fwdbwd 3); "
                                "GFLOP/s_deepbench: 2*G*H*H*N*T x pass; networks: summed over layers and "
                                "directions, N*T replaced by the real steps (tokens)");
}

// The passes, and the shapes and thread counts a variant is timed at: the
// naive variant on one small shape, every other on the large ones, at one
// thread and (a parallel variant) at every core.
const rb_pass passes[] = {RB_PASS_INFER, RB_PASS_FWDBWD};

void add_shapes(benchmark::internal::Benchmark *b, const rb_variant *v, int cores)
{
    static const Shape big[] = {{50, 64, 512, 512}, {100, 1, 256, 256}};
    static const Shape small[] = {{25, 16, 64, 64}};
    const bool naive = std::string(v->name) == "naive";
    std::vector<int> threads = {1};
    if (rb_variant_is_parallel(v) && cores > 1) threads.push_back(cores);
    b->ArgNames({"T", "N", "I", "H", "threads"})->UseRealTime()->Unit(benchmark::kMillisecond);
    for (const Shape &sh : naive ? std::vector<Shape>(small, small + 1) : std::vector<Shape>(big, big + 2))
        for (int t : threads) b->Args({sh.T, sh.N, sh.I, sh.H, t});
}

void register_all(int cores)
{
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        if (const char *why = rb_variant_why_not_any(v)) {
            benchmark::RegisterBenchmark((std::string(v->name) + "/unavailable").c_str(), unavailable, why);
            continue;
        }
        for (int c = 0; c < RB_NCELLS; c++) {
            for (rb_pass pass : passes) {
                const std::string name = std::string(rb_cell_name((rb_cell)c)) + "/" + rb_pass_name(pass) +
                                         "/" + v->name;
                const rb_cell cell = (rb_cell)c;
                rb_problem one{};
                one.s.cell = cell;
                one.s.T = one.s.N = one.s.I = one.s.H = one.threads = 1;
                if (const char *why = rb_variant_why_not(v, &one)) { // listed, never run
                    benchmark::RegisterBenchmark((name + "/unavailable").c_str(), unavailable, why);
                    continue;
                }
                add_shapes(benchmark::RegisterBenchmark(name.c_str(),
                                                        [v, cell, pass](benchmark::State &st) {
                                                            bench_pass(st, v, cell, pass, one_layer);
                                                        }),
                           v, cores);
            }
        }
    }
}

// The network configurations, on the shapes and thread counts of the
// single layers.
void register_nets(int cores)
{
    static const Net nets[] = {
        {RB_LSTM, 2, RB_DIR_BI_CONCAT, "full"},
        {RB_GRU, 3, RB_DIR_L2R, "full"},
        {RB_LSTM, 1, RB_DIR_L2R, "random"},
    };
    for (int i = 0; i < rb_variant_count(); i++) {
        const rb_variant *v = rb_variant_at(i);
        if (rb_variant_why_not_any(v)) continue; // listed once by register_all
        for (const Net &net : nets) {
            const bool varlen = std::string(net.lengths) != "full";
            const std::string label = std::string("net/") + rb_cell_name(net.cell) + "_L" +
                                      std::to_string(net.layers) + "_" + rb_dir_name(net.dir) +
                                      (varlen ? "_varlen" : "");
            // A small problem with the network's features, to ask the
            // variant before registering: lengths 1 and 2 vary.
            static const int probe_lengths[2] = {1, 2};
            rb_problem probe{};
            probe.s.cell = net.cell;
            probe.s.T = probe.s.N = 2;
            probe.s.I = probe.s.H = probe.threads = 1;
            probe.s.layers = net.layers;
            probe.s.dir = net.dir;
            probe.s.lengths = varlen ? probe_lengths : nullptr;
            for (rb_pass pass : passes) {
                const std::string name = label + "/" + rb_pass_name(pass) + "/" + v->name;
                if (const char *why = rb_variant_why_not(v, &probe)) { // listed, never run
                    benchmark::RegisterBenchmark((name + "/unavailable").c_str(), unavailable, why);
                    continue;
                }
                add_shapes(benchmark::RegisterBenchmark(
                               name.c_str(),
                               [v, pass, net](benchmark::State &st) { bench_pass(st, v, net.cell, pass, net); }),
                           v, cores);
            }
        }
    }
}

} // namespace

int main(int argc, char **argv)
{
    // Bind threads as rnnbench does (OMP_PLACES=cores OMP_PROC_BIND=close
    // unless the user chose): re-executes once, before any OpenMP call.
    rb_affinity_init(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    static rb_sysinfo si;
    rb_sysinfo_collect(&si, RB_SYSINFO_MEASURE_FULL); // ~1 s: the peaks in the context
    const int cores = usable_cores(si);
    add_context(si, cores);
    register_all(cores);
    register_nets(cores);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
