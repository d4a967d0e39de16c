// SPDX-License-Identifier: BSD-2-Clause
/*
 * false-sharing - Hoard's two false-sharing benchmarks, cache-scratch and
 * cache-thrash (Berger et al., "Hoard: A Scalable Memory Allocator for
 * Multithreaded Applications", ASPLOS 2000), as run by mimalloc-bench, in
 * one program: the workers' loop is the same, only what they start from
 * differs.
 *
 *   -m thrash   active false sharing: each worker repeatedly mallocs a
 *               small object, writes every byte of it R times, reads it
 *               back and frees it.  An allocator that carves objects for
 *               different threads out of the same cache line (one shared
 *               free list, or objects handed out round-robin from one slab)
 *               makes the workers' writes bounce that line between cores.
 *   -m scratch  passive false sharing: the main thread first allocates one
 *               small object per worker, back to back, so they likely share
 *               a cache line, and hands one to each worker, which frees it
 *               before its loop.  An allocator that gives a worker back the
 *               object it just freed - memory the main thread carved next
 *               to the other workers' objects - makes the writes bounce.
 *
 * usage: false-sharing -m scratch|thrash [-t threads] [-i iterations]
 *                      [-s object size] [-r repetitions]
 */
#include "wl.h"

struct worker {
	char *given;            /* scratch: the object to free first */
	int index;
	uint64_t iterations, reps;
	size_t size;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	if (w->given) {
		wl_check_tag(w->given, w->size, (uint64_t)w->index, "false-sharing given");
		free(w->given);
	}
	for (uint64_t i = 0; i < w->iterations; i++) {
		volatile char *p = malloc(w->size);
		if (!p)
			wl_fail("malloc(%zu) returned NULL", w->size);
		for (size_t j = 0; j < w->size; j++)
			p[j] = 0;
		for (uint64_t r = 0; r < w->reps; r++)
			for (size_t j = 0; j < w->size; j++)
				p[j]++;
		for (size_t j = 0; j < w->size; j++)
			if ((unsigned char)p[j] != (unsigned char)w->reps)
				wl_fail("false-sharing: byte %zu of %p is %d after %llu increments",
					j, (void *)p, p[j], (unsigned long long)w->reps);
		free((void *)p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 2, opt, scratch = -1;
	uint64_t iterations = 1000, reps = 20000;
	size_t size = 8;
	const char *usage = "false-sharing -m scratch|thrash [-t threads] [-i iterations] "
			    "[-s size] [-r repetitions]";
	while ((opt = getopt(argc, argv, "m:t:i:s:r:")) != -1) {
		switch (opt) {
		case 'm':
			if (strcmp(optarg, "scratch") && strcmp(optarg, "thrash"))
				wl_usage(usage);
			scratch = strcmp(optarg, "scratch") == 0;
			break;
		case 't': threads = (int)wl_num(optarg); break;
		case 'i': iterations = wl_num(optarg); break;
		case 's': size = wl_num(optarg); break;
		case 'r': reps = wl_num(optarg); break;
		default: wl_usage(usage);
		}
	}
	if (scratch < 0 || threads < 1 || size < 1)
		wl_usage(usage);
	pthread_t *t = wl_xcalloc((size_t)threads, sizeof *t);
	struct worker *w = wl_xcalloc((size_t)threads, sizeof *w);
	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ NULL, i, iterations, reps, size };
		if (scratch) {
			w[i].given = wl_xmalloc(size);
			wl_tag(w[i].given, size, (uint64_t)i);
		}
	}
	double t0 = wl_now();
	wl_start_threads(t, threads, work, w, sizeof *w);
	wl_join_threads(t, threads);
	double dt = wl_now() - t0;
	free(t);
	free(w);
	printf("false-sharing %s: %d threads x %llu iterations x %llu writes of %zu B: %.3f s\n",
	       scratch ? "scratch" : "thrash", threads, (unsigned long long)iterations,
	       (unsigned long long)reps, size, dt);
	return 0;
}
