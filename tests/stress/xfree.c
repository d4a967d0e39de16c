// SPDX-License-Identifier: BSD-2-Clause
/*
 * xfree.c - 8 threads allocate blocks (1 B .. 64 KiB, some 1 MiB), fill
 * them with a pattern derived from address and size, and pass them through
 * one shared queue; whichever thread takes a block checks the pattern and
 * frees it (or reallocs it, checks the prefix and passes it on).  Most
 * frees are cross-thread.  Any corruption fails; ks_check() == 0 at the end.
 *
 * Case "keyed": the same, with every block's first four bytes set to
 * kslab's free key (fastpath.h) while it is live, as a program may write
 * by chance.  Every free of a small block then takes the double-free
 * check, which searches every thread's magazines while their owners
 * change them: it must report nothing and lose nothing.
 */
#include <stdlib.h>

#include "stress.h"

enum { NTHREADS = 8, OPS = 30000, QCAP = 2048 };

struct item {
	void *p;
	size_t size;
	int owner;
};

static struct {
	pthread_mutex_t lock;
	struct item q[QCAP];
	size_t head, len;
} queue = { .lock = PTHREAD_MUTEX_INITIALIZER };

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static bool keyed;                       /* the "keyed" case */
static const uint32_t free_key = 0xb5a7c3e1u;   /* KS_FREE_KEY */
static int corruptions;
static unsigned long cross_frees, total_frees;

static bool q_push(struct item it)
{
	bool ok;

	pthread_mutex_lock(&queue.lock);
	ok = queue.len < QCAP;
	if (ok) {
		queue.q[(queue.head + queue.len) % QCAP] = it;
		queue.len++;
	}
	pthread_mutex_unlock(&queue.lock);
	return ok;
}

static bool q_pop(struct item *it)
{
	bool ok;

	pthread_mutex_lock(&queue.lock);
	ok = queue.len > 0;
	if (ok) {
		*it = queue.q[queue.head];
		queue.head = (queue.head + 1) % QCAP;
		queue.len--;
	}
	pthread_mutex_unlock(&queue.lock);
	return ok;
}

static size_t random_size(uint64_t *rng)
{
	uint64_t r = rng_below(rng, 1000);

	if (r < 1)
		return (size_t)1 << 20;                  /* 0.1%: 1 MiB */
	if (r < 50)
		return 1 + rng_below(rng, 65536);        /* 5%: up to 64 KiB */
	if (r < 300)
		return 1 + rng_below(rng, 4096);
	return 1 + rng_below(rng, 512);
}

static void report(const struct item *it, size_t off, int me, const char *when)
{
	pthread_mutex_lock(&report_lock);
	if (corruptions++ < 20)
		fprintf(stderr, "CORRUPTION %s: block %p size %zu from thread %d, "
		        "checked by thread %d: first bad byte at offset %zu\n",
		        when, it->p, it->size, it->owner, me, off);
	pthread_mutex_unlock(&report_lock);
}

/* In the "keyed" case, put the key in IT's first four bytes. */
static void key(struct item it)
{
	if (keyed && it.size >= 8)
		memcpy(it.p, &free_key, 4);
}

/* Fill block IT, and give it the key in the "keyed" case. */
static void fill(struct item it)
{
	pattern_fill(it.p, it.size);
	key(it);
}

/* The first bad byte of IT, or its size; in the "keyed" case the key must
 * still be there, and the pattern's own first word goes back in its
 * place (so that realloc keeps the pattern). */
static size_t check(struct item it)
{
	if (keyed && it.size >= 8) {
		uint64_t w = pattern_word(it.p, it.size, 0);
		if (memcmp(it.p, &free_key, 4) != 0)
			return 0;
		memcpy(it.p, &w, 4);
	}
	return pattern_check(it.p, it.size);
}

/* Check the block, then free it or (sometimes) realloc it and pass it on. */
static void consume(struct item it, int me, uint64_t *rng)
{
	size_t off = check(it);

	if (off != it.size)
		report(&it, off, me, "before free");
	if (me >= 0 && rng_below(rng, 10) == 0) {
		size_t n = random_size(rng);
		void *q = realloc(it.p, n);

		if (!q) {
			fprintf(stderr, "realloc(%p, %zu) failed\n", it.p, n);
			abort();
		}
		/* the old pattern (of the old address) must survive in the
		 * prefix: check it against a copy made from the old values */
		size_t keep = n < it.size ? n : it.size;
		unsigned char *c = q;
		for (size_t i = 0; i < keep; i += 8) {
			uint64_t w = pattern_word(it.p, it.size, i / 8);
			size_t k = keep - i < 8 ? keep - i : 8;

			if (memcmp(c + i, &w, k) != 0) {
				report(&it, i, me, "after realloc");
				break;
			}
		}
		struct item back = { q, n, me };
		fill(back);
		if (q_push(back))
			return;
		it = back;
	}
	if (it.owner != me)
		__atomic_add_fetch(&cross_frees, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&total_frees, 1, __ATOMIC_RELAXED);
	key(it);                                 /* freed holding the key */
	free(it.p);
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t rng = 0x1234567ull * (uint64_t)(me + 1) + 99;

	for (int op = 0; op < OPS; op++) {
		struct item it = { NULL, random_size(&rng), me };

		it.p = malloc(it.size);
		if (!it.p) {
			fprintf(stderr, "malloc(%zu) failed\n", it.size);
			abort();
		}
		fill(it);
		while (!q_push(it)) {
			struct item old;

			if (q_pop(&old))
				consume(old, me, &rng);
		}
		/* take about as many as we give, in bursts */
		int take = (int)rng_below(&rng, 3);
		for (int k = 0; k < take; k++) {
			struct item old;

			if (!q_pop(&old))
				break;
			consume(old, me, &rng);
		}
	}
	return NULL;
}

static void t_xfree(void)
{
	pthread_t th[NTHREADS];
	struct item it;

	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i))
			HARD_ERROR("pthread_create");
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	while (q_pop(&it))
		consume(it, -1, NULL);
	harness_note("xfree: %lu frees, %lu of them cross-thread", total_frees,
	             cross_frees);
	CHECK_EQ(corruptions, 0);
	CHECK_GE(cross_frees, total_frees / 4);   /* the test did its job */
	CHECK_KSLAB_CONSISTENT("xfree");
}

static void t_keyed(void)
{
	keyed = true;
	t_xfree();
}

static const struct harness_case cases[] = {
	{ "xfree", t_xfree },
	{ "keyed", t_keyed },
};

int main(int argc, char **argv)
{
	stress_start(argv);
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
