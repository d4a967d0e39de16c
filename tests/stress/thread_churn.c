// SPDX-License-Identifier: BSD-2-Clause
/*
 * thread_churn.c - 2,000 short-lived threads, at most 16 alive at once.
 * Each allocates a few hundred blocks, frees some (its magazines fill up),
 * and exits with the rest still allocated; the main thread checks and frees
 * those.  A thread's cached objects must go back to the depot when it
 * exits: afterwards ks_check() == 0, kslab's count of threads with
 * magazines is back where it was, and slab_active (bytes of objects
 * allocated from slabs) is back near its starting value.
 */
#include <malloc.h>
#include <stdlib.h>

#include "stress.h"

enum { NTHREADS = 2000, ALIVE = 16, PER_THREAD = 300, KEEP_EVERY = 3 };

struct leftovers {
	void *p[PER_THREAD];
	size_t size[PER_THREAD];
	int n;
	int corrupt;
};

static struct leftovers left[NTHREADS];

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	struct leftovers *l = &left[me];
	uint64_t rng = 0x9876543ull + (uint64_t)me * 7919;
	void *mine[PER_THREAD];
	size_t sizes[PER_THREAD];

	for (int i = 0; i < PER_THREAD; i++) {
		sizes[i] = 1 + rng_below(&rng, i % 50 == 0 ? 20000 : 1024);
		mine[i] = malloc(sizes[i]);
		if (!mine[i]) {
			fprintf(stderr, "malloc(%zu) failed\n", sizes[i]);
			abort();
		}
		pattern_fill(mine[i], sizes[i]);
	}
	for (int i = 0; i < PER_THREAD; i++) {
		if (pattern_check(mine[i], sizes[i]) != sizes[i])
			l->corrupt++;
		if (i % KEEP_EVERY == 0) {
			l->p[l->n] = mine[i];
			l->size[l->n] = sizes[i];
			l->n++;
		} else {
			free(mine[i]);
		}
	}
	/* and a little churn, so the magazines hold freed objects at exit */
	for (int i = 0; i < 100; i++) {
		size_t n = 1 + rng_below(&rng, 512);
		void *p = malloc(n);

		if (!p) {
			fprintf(stderr, "malloc(%zu) failed\n", n);
			abort();
		}
		memset(p, 1, n);
		free(p);
	}
	return NULL;
}

static void t_thread_churn(void)
{
	struct ks_stats st0 = { 0 }, st1 = { 0 }, st2 = { 0 };
	int corrupt = 0;

	/* warm up the main thread so its own state is in the baseline */
	free(malloc(100));
	if (ks_stats_get)
		CHECK_EQ(ks_stats_get(&st0), 0);

	for (int base = 0; base < NTHREADS; base += ALIVE) {
		pthread_t th[ALIVE];
		int n = NTHREADS - base < ALIVE ? NTHREADS - base : ALIVE;

		for (int i = 0; i < n; i++)
			if (pthread_create(&th[i], NULL, worker,
			                   (void *)(intptr_t)(base + i)))
				HARD_ERROR("pthread_create");
		for (int i = 0; i < n; i++)
			pthread_join(th[i], NULL);
		/* free what the exited threads left */
		for (int i = base; i < base + n; i++) {
			corrupt += left[i].corrupt;
			for (int k = 0; k < left[i].n; k++) {
				if (pattern_check(left[i].p[k], left[i].size[k]) !=
				    left[i].size[k])
					corrupt++;
				free(left[i].p[k]);
			}
		}
	}
	CHECK_EQ(corrupt, 0);
	CHECK_KSLAB_CONSISTENT("thread churn");
	if (!ks_stats_get)
		return;
	CHECK_EQ(ks_stats_get(&st1), 0);
	harness_note("before: slab_active %zu threads %zu; after: slab_active "
	             "%zu threads %zu", st0.slab_active, st0.nr_threads,
	             st1.slab_active, st1.nr_threads);
	/* the exited threads' magazines are gone */
	CHECK_LE(st1.nr_threads, st0.nr_threads);
	/* every object was freed: what is still counted active is at most
	 * what the main thread and the depots may cache, bounded here by
	 * 4 MiB (the threads allocated 2000 * 400 blocks, hundreds of MiB) */
	CHECK_LE(st1.slab_active, st0.slab_active + (4u << 20));
	malloc_trim(0);
	CHECK_EQ(ks_stats_get(&st2), 0);
	harness_note("after malloc_trim(0): slab_active %zu", st2.slab_active);
	CHECK_LE(st2.slab_active, st0.slab_active + (1u << 20));
	CHECK_KSLAB_CONSISTENT("malloc_trim");
}

static const struct harness_case cases[] = {
	{ "thread_churn", t_thread_churn },
};

int main(int argc, char **argv)
{
	stress_start(argv);
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
