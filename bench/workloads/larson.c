// SPDX-License-Identifier: BSD-2-Clause
/*
 * larson - a server simulation, after Larson and Krishnan, "Memory
 * Allocation for Long-Running Server Applications" (ISMM 1998), the
 * "larson" benchmark of Hoard, mimalloc-bench and rpmalloc.
 *
 * Each of T threads owns an array of N slots holding live blocks of random
 * sizes in [min, max].  A thread replaces K random slots (free the old block,
 * malloc a new one), then, like a server handing a connection to a new
 * worker, starts a successor thread that inherits the array and exits.  The
 * arrays are first filled by the main thread, so the first generation frees
 * blocks another thread allocated, and every later generation frees blocks of
 * a thread that has exited.  Work is a fixed count (not a time limit as in
 * the original), so wall time compares allocators.
 *
 * Every block carries a tag (wl.h) checked before it is freed.
 *
 * usage: larson [-t threads] [-n slots] [-g generations] [-k ops/generation]
 *               [-s min] [-S max] [-z seed]
 */
#include "wl.h"

struct lineage {
	void **ptr;
	size_t *size;
	uint64_t *id;
	size_t slots;
	uint64_t ops;
	unsigned gens_left;
	size_t min, max;
	wl_rng rng;
	pthread_t next;     /* successor, written before this thread exits */
	int has_next;
	uint64_t idbase;
};

static void *worker(void *arg)
{
	struct lineage *l = arg;
	for (uint64_t i = 0; i < l->ops; i++) {
		size_t k = (size_t)(wl_rand(&l->rng) % l->slots);
		wl_check_tag(l->ptr[k], l->size[k], l->id[k], "larson");
		free(l->ptr[k]);
		size_t sz = wl_range(&l->rng, l->min, l->max);
		void *p = malloc(sz);
		if (!p)
			wl_fail("malloc(%zu) returned NULL", sz);
		l->id[k] = l->idbase++;
		wl_tag(p, sz, l->id[k]);
		l->ptr[k] = p;
		l->size[k] = sz;
	}
	if (--l->gens_left > 0) {
		int e = pthread_create(&l->next, NULL, worker, l);
		if (e)
			wl_fail("pthread_create: %s", strerror(e));
		l->has_next = 1;
	} else {
		l->has_next = 0;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = 2, opt;
	size_t slots = 1000, min = 8, max = 1000;
	unsigned gens = 10;
	uint64_t ops = 200000, seed = 42;

	while ((opt = getopt(argc, argv, "t:n:g:k:s:S:z:")) != -1) {
		switch (opt) {
		case 't': threads = (int)wl_num(optarg); break;
		case 'n': slots = wl_num(optarg); break;
		case 'g': gens = (unsigned)wl_num(optarg); break;
		case 'k': ops = wl_num(optarg); break;
		case 's': min = wl_num(optarg); break;
		case 'S': max = wl_num(optarg); break;
		case 'z': seed = wl_num(optarg); break;
		default:
			wl_usage("larson [-t threads] [-n slots] [-g generations] "
				 "[-k ops/generation] [-s min] [-S max] [-z seed]");
		}
	}
	if (threads < 1 || !slots || !gens || !min || min > max)
		wl_usage("larson: need threads >= 1, slots >= 1, generations >= 1, 1 <= min <= max");

	struct lineage *ls = wl_xcalloc((size_t)threads, sizeof *ls);
	pthread_t *first = wl_xcalloc((size_t)threads, sizeof *first);
	for (int t = 0; t < threads; t++) {
		struct lineage *l = &ls[t];
		l->ptr = wl_xcalloc(slots, sizeof *l->ptr);
		l->size = wl_xcalloc(slots, sizeof *l->size);
		l->id = wl_xcalloc(slots, sizeof *l->id);
		l->slots = slots;
		l->ops = ops;
		l->gens_left = gens;
		l->min = min;
		l->max = max;
		l->idbase = (uint64_t)t << 48;
		wl_rng_seed(&l->rng, seed + (uint64_t)t);
		for (size_t k = 0; k < slots; k++) {
			size_t sz = wl_range(&l->rng, min, max);
			l->ptr[k] = wl_xmalloc(sz);
			l->size[k] = sz;
			l->id[k] = l->idbase++;
			wl_tag(l->ptr[k], sz, l->id[k]);
		}
	}

	double t0 = wl_now();
	wl_start_threads(first, threads, worker, ls, sizeof *ls);
	for (int t = 0; t < threads; t++) {
		pthread_t cur = first[t];
		for (;;) {
			pthread_join(cur, NULL);
			if (!ls[t].has_next)
				break;
			cur = ls[t].next;
		}
	}
	double dt = wl_now() - t0;

	for (int t = 0; t < threads; t++) {
		struct lineage *l = &ls[t];
		for (size_t k = 0; k < slots; k++) {
			wl_check_tag(l->ptr[k], l->size[k], l->id[k], "larson final");
			free(l->ptr[k]);
		}
		free(l->ptr);
		free(l->size);
		free(l->id);
	}
	free(ls);
	free(first);

	double total = (double)threads * gens * (double)ops;
	printf("larson: %d threads x %u generations x %llu ops, sizes %zu..%zu: %.3f s\n",
	       threads, gens, (unsigned long long)ops, min, max, dt);
	wl_metric("larson.mops", total / dt / 1e6, "Mops/s");
	return 0;
}
