/*
 * cache-thrash - active false sharing, after Hoard's cache-thrash benchmark
 * (Berger et al., "Hoard: A Scalable Memory Allocator for Multithreaded
 * Applications", ASPLOS 2000), as run by mimalloc-bench.
 *
 * Each worker repeatedly mallocs a small object, writes every byte of it R
 * times, reads it back and frees it.  An allocator that carves objects for
 * different threads out of the same cache line (one shared free list, or
 * objects handed out round-robin from one slab) makes the workers' writes
 * bounce that line between cores; one that keeps each thread's objects
 * apart does not.
 *
 * usage: cache-thrash [-t threads] [-i iterations] [-s object size]
 *                     [-r repetitions]
 */
#include "wl.h"

struct worker {
	uint64_t iterations, reps;
	size_t size;
};

static void *work(void *arg)
{
	struct worker *w = arg;
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
				wl_fail("cache-thrash: byte %zu of %p is %d after %llu increments",
					j, (void *)p, p[j], (unsigned long long)w->reps);
		free((void *)p);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 2, opt;
	uint64_t iterations = 1000, reps = 20000;
	size_t size = 8;
	while ((opt = getopt(argc, argv, "t:i:s:r:")) != -1) {
		switch (opt) {
		case 't': threads = (int)wl_num(optarg); break;
		case 'i': iterations = wl_num(optarg); break;
		case 's': size = wl_num(optarg); break;
		case 'r': reps = wl_num(optarg); break;
		default:
			wl_usage("cache-thrash [-t threads] [-i iterations] [-s size] [-r repetitions]");
		}
	}
	if (threads < 1 || size < 1)
		wl_usage("cache-thrash: need threads >= 1 and size >= 1");
	pthread_t *t = wl_xcalloc((size_t)threads, sizeof *t);
	struct worker *w = wl_xcalloc((size_t)threads, sizeof *w);
	for (int i = 0; i < threads; i++)
		w[i] = (struct worker){ iterations, reps, size };
	double t0 = wl_now();
	wl_start_threads(t, threads, work, w, sizeof *w);
	wl_join_threads(t, threads);
	double dt = wl_now() - t0;
	free(t);
	free(w);
	printf("cache-thrash: %d threads x %llu iterations x %llu writes of %zu B: %.3f s\n",
	       threads, (unsigned long long)iterations, (unsigned long long)reps, size, dt);
	return 0;
}
