// SPDX-License-Identifier: BSD-2-Clause
// ksb.cc - the C++ side of ksb.h: each C call forwards to Google Benchmark.
//
// A ksb_state * is a benchmark::State *, a ksb_bench * a
// benchmark::internal::Benchmark *, cast at the boundary; nothing is
// allocated here beyond what Google Benchmark allocates itself.  The C
// function to run is captured in the lambda given to RegisterBenchmark.
#include "ksb.h"

#include <benchmark/benchmark.h>

namespace {
inline benchmark::State *S(ksb_state *st) { return reinterpret_cast<benchmark::State *>(st); }
inline const benchmark::State *S(const ksb_state *st)
{
	return reinterpret_cast<const benchmark::State *>(st);
}
inline benchmark::internal::Benchmark *B(ksb_bench *b)
{
	return reinterpret_cast<benchmark::internal::Benchmark *>(b);
}
inline ksb_bench *H(benchmark::internal::Benchmark *b) { return reinterpret_cast<ksb_bench *>(b); }
}  // namespace

extern "C" {

ksb_bench *ksb_register(const char *name, ksb_fn fn)
{
	return H(benchmark::RegisterBenchmark(name, [fn](benchmark::State &st) {
		fn(reinterpret_cast<ksb_state *>(&st));
	}));
}

ksb_bench *ksb_arg(ksb_bench *b, int64_t x) { return H(B(b)->Arg(x)); }
ksb_bench *ksb_args2(ksb_bench *b, int64_t x, int64_t y) { return H(B(b)->Args({x, y})); }
ksb_bench *ksb_range(ksb_bench *b, int64_t lo, int64_t hi) { return H(B(b)->Range(lo, hi)); }
ksb_bench *ksb_dense_range(ksb_bench *b, int64_t lo, int64_t hi, int step)
{
	return H(B(b)->DenseRange(lo, hi, step));
}
ksb_bench *ksb_range_multiplier(ksb_bench *b, int mult) { return H(B(b)->RangeMultiplier(mult)); }
ksb_bench *ksb_arg_name(ksb_bench *b, const char *name) { return H(B(b)->ArgName(name)); }
ksb_bench *ksb_threads(ksb_bench *b, int n) { return H(B(b)->Threads(n)); }
ksb_bench *ksb_use_real_time(ksb_bench *b) { return H(B(b)->UseRealTime()); }
ksb_bench *ksb_min_time(ksb_bench *b, double seconds) { return H(B(b)->MinTime(seconds)); }
ksb_bench *ksb_iterations_fixed(ksb_bench *b, int64_t n)
{
	return H(B(b)->Iterations(static_cast<benchmark::IterationCount>(n)));
}

bool ksb_keep_running(ksb_state *st) { return S(st)->KeepRunning(); }
bool ksb_keep_running_batch(ksb_state *st, int64_t n)
{
	return S(st)->KeepRunningBatch(static_cast<benchmark::IterationCount>(n));
}
int64_t ksb_state_range(const ksb_state *st, int i)
{
	return S(st)->range(static_cast<std::size_t>(i));
}
int64_t ksb_iterations(const ksb_state *st) { return static_cast<int64_t>(S(st)->iterations()); }
int ksb_thread_index(const ksb_state *st) { return S(st)->thread_index(); }
int ksb_thread_count(const ksb_state *st) { return S(st)->threads(); }
void ksb_pause_timing(ksb_state *st) { S(st)->PauseTiming(); }
void ksb_resume_timing(ksb_state *st) { S(st)->ResumeTiming(); }
void ksb_skip_with_error(ksb_state *st, const char *msg) { S(st)->SkipWithError(msg); }
void ksb_set_label(ksb_state *st, const char *label) { S(st)->SetLabel(label); }

void ksb_counter(ksb_state *st, const char *name, double value, int flags)
{
	int f = benchmark::Counter::kDefaults;
	if (flags & KSB_COUNTER_RATE)
		f |= benchmark::Counter::kIsRate;
	if (flags & KSB_COUNTER_AVG_THREADS)
		f |= benchmark::Counter::kAvgThreads;
	if (flags & KSB_COUNTER_PER_ITERATION)
		f |= benchmark::Counter::kAvgIterations;
	S(st)->counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
}

void ksb_set_items_processed(ksb_state *st, int64_t n) { S(st)->SetItemsProcessed(n); }
void ksb_set_bytes_processed(ksb_state *st, int64_t n) { S(st)->SetBytesProcessed(n); }

int ksb_main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 2;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}

}  // extern "C"
