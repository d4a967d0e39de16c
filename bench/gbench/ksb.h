/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ksb.h - Google Benchmark for C: the small part of benchmark::State and
 * benchmark::RegisterBenchmark that C microbenchmarks need, behind an
 * extern "C" shim (ksb.cc).
 *
 *   static void bm_malloc(ksb_state *st)
 *   {
 *       size_t n = (size_t)ksb_range(st, 0);
 *       while (ksb_keep_running(st)) {
 *           void *p = malloc(n);
 *           ksb_do_not_optimize(p);
 *           free(p);
 *       }
 *       ksb_set_items_processed(st, ksb_iterations(st));
 *   }
 *   int main(int argc, char **argv)
 *   {
 *       ksb_range_multiplier(ksb_register("malloc_free", bm_malloc), 2);
 *       ...
 *       return ksb_main(argc, argv);
 *   }
 *
 * ksb_main() accepts Google Benchmark's own flags (--benchmark_filter=,
 * --benchmark_min_time=, --benchmark_format=json, ...).  A ksb_bench is
 * configured by chaining calls on the handle that ksb_register returns, as
 * the C++ API chains methods; each returns the handle.
 */
#ifndef KSLAB_BENCH_KSB_H
#define KSLAB_BENCH_KSB_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ksb_state ksb_state;    /* a benchmark::State */
typedef struct ksb_bench ksb_bench;    /* a registered benchmark::Benchmark */
typedef void (*ksb_fn)(ksb_state *st);

/* Registration and the options of one benchmark. */
ksb_bench *ksb_register(const char *name, ksb_fn fn);
ksb_bench *ksb_arg(ksb_bench *b, int64_t x);
ksb_bench *ksb_args2(ksb_bench *b, int64_t x, int64_t y);
ksb_bench *ksb_range(ksb_bench *b, int64_t lo, int64_t hi);   /* multiplier 8 */
ksb_bench *ksb_dense_range(ksb_bench *b, int64_t lo, int64_t hi, int step);
ksb_bench *ksb_range_multiplier(ksb_bench *b, int mult);       /* set before ksb_range */
ksb_bench *ksb_arg_name(ksb_bench *b, const char *name);
ksb_bench *ksb_threads(ksb_bench *b, int n);
ksb_bench *ksb_use_real_time(ksb_bench *b);
ksb_bench *ksb_min_time(ksb_bench *b, double seconds);
ksb_bench *ksb_iterations_fixed(ksb_bench *b, int64_t n);

/* The state loop: true while the benchmark should run one more iteration
 * (ksb_keep_running) or N more (ksb_keep_running_batch; the loop body then
 * does N operations, which keeps the shim's call out of the measurement). */
bool ksb_keep_running(ksb_state *st);
bool ksb_keep_running_batch(ksb_state *st, int64_t n);
int64_t ksb_state_range(const ksb_state *st, int i);   /* the i-th argument */
int64_t ksb_iterations(const ksb_state *st);
int ksb_thread_index(const ksb_state *st);
int ksb_thread_count(const ksb_state *st);
void ksb_pause_timing(ksb_state *st);
void ksb_resume_timing(ksb_state *st);
void ksb_skip_with_error(ksb_state *st, const char *msg);
void ksb_set_label(ksb_state *st, const char *label);

/* Counters.  Flags combine; a rate divides by the run's time, an average
 * by the number of threads, per-iteration by the iterations. */
enum {
	KSB_COUNTER_DEFAULT = 0,
	KSB_COUNTER_RATE = 1,
	KSB_COUNTER_AVG_THREADS = 2,
	KSB_COUNTER_PER_ITERATION = 4,
};
void ksb_counter(ksb_state *st, const char *name, double value, int flags);
void ksb_set_items_processed(ksb_state *st, int64_t n);
void ksb_set_bytes_processed(ksb_state *st, int64_t n);

/* Runs every registered benchmark; returns the exit status for main. */
int ksb_main(int argc, char **argv);

/* Keep the compiler from optimising a value or all of memory away. */
static inline void ksb_do_not_optimize(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static inline void ksb_clobber_memory(void)
{
	__asm__ volatile("" : : : "memory");
}

#ifdef __cplusplus
}
#endif
#endif /* KSLAB_BENCH_KSB_H */
