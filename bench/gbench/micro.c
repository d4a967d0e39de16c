// SPDX-License-Identifier: BSD-2-Clause
/*
 * micro - allocator microbenchmarks in C on Google Benchmark (through the
 * ksb.h shim): the per-call cost of each entry point, per size class.
 *
 *   malloc_free/S       malloc(S) then free, S = 16 B .. 32 KiB: the fast
 *                       path, one object bouncing in the thread's cache
 *   malloc_batch/S      256 mallocs of S, then 256 frees in allocation
 *                       order: goes past a thread cache's depth
 *   calloc_free/S       calloc(1, S) then free
 *   realloc_grow/L      a block grown by 16 B steps from 16 B to L
 *   memalign_free/A     posix_memalign(A, 64) then free
 *   cross_thread_free   2 threads: thread 0 mallocs 64 B blocks and passes
 *                       them through a ring, thread 1 frees them
 *   cache_alloc_free/S  (micro-kslab only) ks_cache_alloc/ks_cache_free of
 *                       a cache of S-byte objects, beside cache_malloc_free/S,
 *                       malloc and free of the same size in the same binary
 *
 * bench/gbench/micro uses whatever malloc the process has, so it measures
 * any allocator with LD_PRELOAD; micro-kslab is linked with libkslab.
 * Pass Google Benchmark flags, e.g. --benchmark_filter=malloc_free.
 */
#include "ksb.h"

#include <stdlib.h>
#include <string.h>
#ifdef KSB_WITH_KSLAB
#include <kslab.h>
#endif

#define BATCH 256

static void bm_malloc_free(ksb_state *st)
{
	size_t n = (size_t)ksb_state_range(st, 0);
	while (ksb_keep_running_batch(st, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			void *p = malloc(n);
			ksb_do_not_optimize(p);
			free(p);
		}
	}
	ksb_set_items_processed(st, ksb_iterations(st));
}

static void bm_malloc_batch(ksb_state *st)
{
	size_t n = (size_t)ksb_state_range(st, 0);
	void *p[BATCH];
	while (ksb_keep_running_batch(st, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			p[i] = malloc(n);
			ksb_do_not_optimize(p[i]);
		}
		for (int i = 0; i < BATCH; i++)
			free(p[i]);
	}
	ksb_set_items_processed(st, ksb_iterations(st));
}

static void bm_calloc_free(ksb_state *st)
{
	size_t n = (size_t)ksb_state_range(st, 0);
	while (ksb_keep_running_batch(st, 16)) {
		for (int i = 0; i < 16; i++) {
			void *p = calloc(1, n);
			ksb_do_not_optimize(p);
			free(p);
		}
	}
	ksb_set_items_processed(st, ksb_iterations(st));
	ksb_set_bytes_processed(st, ksb_iterations(st) * (int64_t)n);
}

static void bm_realloc_grow(ksb_state *st)
{
	size_t limit = (size_t)ksb_state_range(st, 0);
	int64_t reallocs = 0;
	while (ksb_keep_running(st)) {
		char *p = malloc(16);
		for (size_t n = 32; n <= limit; n += 16) {
			char *q = realloc(p, n);
			if (!q) {
				ksb_skip_with_error(st, "realloc returned NULL");
				free(p);
				return;
			}
			p = q;
			p[n - 1] = 1;
			reallocs++;
		}
		free(p);
	}
	ksb_set_items_processed(st, reallocs);
}

static void bm_memalign_free(ksb_state *st)
{
	size_t align = (size_t)ksb_state_range(st, 0);
	while (ksb_keep_running_batch(st, 64)) {
		for (int i = 0; i < 64; i++) {
			void *p = NULL;
			if (posix_memalign(&p, align, 64) || ((uintptr_t)p & (align - 1))) {
				ksb_skip_with_error(st, "posix_memalign failed or misaligned");
				return;
			}
			ksb_do_not_optimize(p);
			free(p);
		}
	}
	ksb_set_items_processed(st, ksb_iterations(st));
}

/* A single-producer single-consumer ring between the benchmark's two
 * threads; both run the same number of iterations, so it ends empty. */
#define RING 4096
static struct {
	_Alignas(64) uint64_t head;
	_Alignas(64) uint64_t tail;
	_Alignas(64) void *slot[RING];
} ring;

static void bm_cross_thread_free(ksb_state *st)
{
	if (ksb_thread_count(st) != 2) {
		ksb_skip_with_error(st, "needs exactly 2 threads");
		return;
	}
	if (ksb_thread_index(st) == 0) {
		uint64_t head = __atomic_load_n(&ring.head, __ATOMIC_RELAXED);
		while (ksb_keep_running_batch(st, 64)) {
			for (int i = 0; i < 64; i++) {
				void *p = malloc(64);
				memset(p, 0x5a, 64);
				while (head - __atomic_load_n(&ring.tail, __ATOMIC_ACQUIRE) >= RING)
					;
				ring.slot[head % RING] = p;
				__atomic_store_n(&ring.head, ++head, __ATOMIC_RELEASE);
			}
		}
	} else {
		uint64_t tail = __atomic_load_n(&ring.tail, __ATOMIC_RELAXED);
		while (ksb_keep_running_batch(st, 64)) {
			for (int i = 0; i < 64; i++) {
				while (__atomic_load_n(&ring.head, __ATOMIC_ACQUIRE) == tail)
					;
				void *p = ring.slot[tail % RING];
				__atomic_store_n(&ring.tail, ++tail, __ATOMIC_RELEASE);
				if (*(unsigned char *)p != 0x5a)
					ksb_skip_with_error(st, "block overwritten");
				free(p);
			}
		}
	}
	ksb_set_items_processed(st, ksb_iterations(st));
}

#ifdef KSB_WITH_KSLAB
static void bm_cache_alloc_free(ksb_state *st)
{
	size_t n = (size_t)ksb_state_range(st, 0);
	ks_cache_t *c = ks_cache_create("ksb-bench", n, 0, 0, NULL);
	if (!c) {
		ksb_skip_with_error(st, "ks_cache_create failed");
		return;
	}
	while (ksb_keep_running_batch(st, BATCH)) {
		for (int i = 0; i < BATCH; i++) {
			void *p = ks_cache_alloc(c, KS_GFP_KERNEL);
			ksb_do_not_optimize(p);
			ks_cache_free(c, p);
		}
	}
	ksb_set_items_processed(st, ksb_iterations(st));
	ks_cache_shrink(c);
	if (ks_cache_destroy(c))
		ksb_skip_with_error(st, "ks_cache_destroy failed");
}
#endif

static void sizes(ksb_bench *b)
{
	static const int64_t s[] = { 16, 32, 48, 64, 96, 128, 192, 256, 384, 512,
				     1024, 2048, 4096, 8192, 16384, 32768 };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		ksb_arg(b, s[i]);
}

int main(int argc, char **argv)
{
	sizes(ksb_register("malloc_free", bm_malloc_free));
	sizes(ksb_register("malloc_batch", bm_malloc_batch));
	ksb_arg(ksb_arg(ksb_arg(ksb_register("calloc_free", bm_calloc_free), 64), 1024), 16384);
	ksb_arg(ksb_arg(ksb_register("realloc_grow", bm_realloc_grow), 4096), 65536);
	ksb_bench *m = ksb_register("memalign_free", bm_memalign_free);
	ksb_arg(ksb_arg(ksb_arg(ksb_arg(m, 16), 64), 256), 4096);
	ksb_use_real_time(ksb_threads(ksb_register("cross_thread_free", bm_cross_thread_free), 2));
#ifdef KSB_WITH_KSLAB
	ksb_arg(ksb_arg(ksb_arg(ksb_register("cache_alloc_free", bm_cache_alloc_free), 32), 64), 256);
	ksb_arg(ksb_arg(ksb_arg(ksb_register("cache_malloc_free", bm_malloc_free), 32), 64), 256);
#endif
	return ksb_main(argc, argv);
}
