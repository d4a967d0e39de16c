// SPDX-License-Identifier: BSD-2-Clause
/*
 * soak.c - random malloc / calloc / realloc / memalign / posix_memalign /
 * free against a shadow table that remembers every live block's size,
 * alignment and pattern seed; every block is checked before it is
 * reallocated or freed, and the whole table at the end.  Single-threaded,
 * then 4 threads each with its own table plus a shared exchange slot array
 * (so some blocks are freed by another thread), then the same with a fifth
 * thread calling malloc_trim(0) all the while.  Bounded by operation
 * counts (a few seconds), never by time.
 */
#include <malloc.h>
#include <stdlib.h>

#include "stress.h"

enum { SLOTS = 4096, XSLOTS = 256 };

struct block {
	unsigned char *p;
	size_t size;
	size_t align;
	uint32_t seed;
};

static inline unsigned char bpat(uint32_t seed, size_t i)
{
	return (unsigned char)((seed >> (i % 4 * 8)) + i * 17 + (i >> 9));
}

static void bfill(struct block *b, size_t from)
{
	for (size_t i = from; i < b->size; i++)
		b->p[i] = bpat(b->seed, i);
}

/* Offset of the first bad byte among the first N, or N. */
static size_t bcheck(const struct block *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b->p[i] != bpat(b->seed, i))
			return i;
	return n;
}

static size_t soak_size(uint64_t *rng)
{
	uint64_t r = rng_below(rng, 10000);

	if (r < 3)
		return ((size_t)1 << 20) + rng_below(rng, 3u << 20); /* 1-4 MiB */
	if (r < 200)
		return 1 + rng_below(rng, 262144);
	if (r < 2000)
		return 1 + rng_below(rng, 8192);
	if (r < 2100)
		return 0;
	return 1 + rng_below(rng, 400);
}

static pthread_mutex_t xlock = PTHREAD_MUTEX_INITIALIZER;
static struct block xslot[XSLOTS];
static int bad_total;

static void bad(const struct block *b, size_t off, const char *what)
{
	if (__atomic_fetch_add(&bad_total, 1, __ATOMIC_RELAXED) < 20)
		fprintf(stderr, "CORRUPTION %s: block %p size %zu align %zu: "
		        "byte %zu\n", what, (void *)b->p, b->size, b->align, off);
}

static bool new_block(struct block *b, uint64_t *rng)
{
	uint64_t kind = rng_below(rng, 10);

	b->size = soak_size(rng);
	b->align = 0;
	b->seed = (uint32_t)rng_next(rng);
	if (kind < 6) {
		b->p = malloc(b->size);
	} else if (kind < 7) {
		b->p = calloc(1, b->size);
		for (size_t i = 0; b->p && i < b->size; i++)
			if (b->p[i]) {
				bad(b, i, "calloc not zeroed");
				break;
			}
	} else if (kind < 9) {
		b->align = (size_t)1 << rng_below(rng, 14);      /* .. 8 KiB */
		b->p = memalign(b->align, b->size);
	} else {
		void *p = NULL;

		b->align = sizeof(void *) << rng_below(rng, 10);
		if (posix_memalign(&p, b->align, b->size) != 0)
			p = NULL;
		b->p = p;
	}
	if (!b->p) {
		fprintf(stderr, "allocation of %zu (align %zu) failed\n",
		        b->size, b->align);
		return false;
	}
	if (b->align && (uintptr_t)b->p % b->align)
		bad(b, 0, "misaligned");
	if (malloc_usable_size(b->p) < b->size)
		bad(b, malloc_usable_size(b->p), "usable size too small");
	bfill(b, 0);
	return true;
}

static void drop_block(struct block *b)
{
	size_t off = bcheck(b, b->size);

	if (off != b->size)
		bad(b, off, "before free");
	free(b->p);
	b->p = NULL;
}

static bool realloc_block(struct block *b, uint64_t *rng)
{
	size_t n = soak_size(rng), old = b->size;
	size_t off = bcheck(b, old);

	if (off != old)
		bad(b, off, "before realloc");
	if (n == 0)
		n = 1;        /* realloc(p, 0) frees: tested elsewhere */
	unsigned char *q = realloc(b->p, n);
	if (!q) {
		fprintf(stderr, "realloc(%zu -> %zu) failed\n", old, n);
		return false;
	}
	b->p = q;
	b->size = n;
	b->align = 0;
	off = bcheck(b, old < n ? old : n);
	if (off != (old < n ? old : n))
		bad(b, off, "after realloc");
	bfill(b, old < n ? old : n);
	return true;
}

static int soak(uint64_t seed, long ops, bool exchange)
{
	static __thread struct block *tab;
	uint64_t rng = seed;

	tab = calloc(SLOTS, sizeof(*tab));
	if (!tab)
		return 1;
	for (long op = 0; op < ops; op++) {
		struct block *b = &tab[rng_below(&rng, SLOTS)];
		uint64_t r = rng_below(&rng, 100);

		if (exchange && r < 5) {
			/* swap with the shared slots: the block goes to
			 * another thread, which will check and free it */
			struct block *x = &xslot[rng_below(&rng, XSLOTS)];
			struct block tmp;

			pthread_mutex_lock(&xlock);
			tmp = *x;
			*x = *b;
			*b = tmp;
			pthread_mutex_unlock(&xlock);
			continue;
		}
		if (!b->p) {
			if (!new_block(b, &rng))
				return 1;
		} else if (r < 30) {
			if (!realloc_block(b, &rng))
				return 1;
		} else if (r < 70) {
			drop_block(b);
		} else {
			size_t off = bcheck(b, b->size);

			if (off != b->size)
				bad(b, off, "spot check");
		}
	}
	for (size_t i = 0; i < SLOTS; i++)
		if (tab[i].p)
			drop_block(&tab[i]);
	free(tab);
	return 0;
}

static void t_single(void)
{
	CHECK_EQ(soak(42, 400000, false), 0);
	CHECK_EQ(bad_total, 0);
	CHECK_KSLAB_CONSISTENT("single-threaded soak");
}

enum { NTHREADS = 4 };

static void *soak_thread(void *arg)
{
	return (void *)(intptr_t)soak(1000 + (uint64_t)(intptr_t)arg * 31,
	                              150000, true);
}

static void t_threads(void)
{
	pthread_t th[NTHREADS];
	int failed = 0;

	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, soak_thread, (void *)(intptr_t)i))
			HARD_ERROR("pthread_create");
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(th[i], &r);
		failed += (int)(intptr_t)r;
	}
	for (int i = 0; i < XSLOTS; i++)
		if (xslot[i].p)
			drop_block(&xslot[i]);
	CHECK_EQ(failed, 0);
	CHECK_EQ(bad_total, 0);
	CHECK_KSLAB_CONSISTENT("multi-threaded soak");
}

/* The threads again, with a fifth calling malloc_trim(0) without pause:
 * idle slabs give back their free pages, lazy vmalloc areas are unmapped
 * and free blocks purged while the others allocate from the same slabs
 * and areas. */
static volatile int trimming;

static void *trim_thread(void *arg)
{
	long n = 0;
	(void)arg;
	while (__atomic_load_n(&trimming, __ATOMIC_RELAXED)) {
		malloc_trim(0);
		n++;
	}
	return (void *)n;
}

static void t_threads_trim(void)
{
	pthread_t th[NTHREADS], trimmer;
	int failed = 0;
	void *r;

	__atomic_store_n(&trimming, 1, __ATOMIC_RELAXED);
	if (pthread_create(&trimmer, NULL, trim_thread, NULL))
		HARD_ERROR("pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, soak_thread, (void *)(intptr_t)(i + 7)))
			HARD_ERROR("pthread_create");
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], &r);
		failed += (int)(intptr_t)r;
	}
	__atomic_store_n(&trimming, 0, __ATOMIC_RELAXED);
	pthread_join(trimmer, &r);
	harness_note("%ld trims during the soak", (long)(intptr_t)r);
	for (int i = 0; i < XSLOTS; i++)
		if (xslot[i].p)
			drop_block(&xslot[i]);
	CHECK_GE((long)(intptr_t)r, 1);
	CHECK_EQ(failed, 0);
	CHECK_EQ(bad_total, 0);
	CHECK_KSLAB_CONSISTENT("soak with malloc_trim");
}

static const struct harness_case cases[] = {
	{ "single", t_single },
	{ "threads", t_threads },
	{ "threads_trim", t_threads_trim },
};

int main(int argc, char **argv)
{
	stress_start(argv);
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
