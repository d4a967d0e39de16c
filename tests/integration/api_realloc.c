// SPDX-License-Identifier: BSD-2-Clause
/*
 * api_realloc.c - realloc keeps the contents across every size-class
 * boundary and into the large paths and back: every size 1..4096, then
 * 4 KiB..64 KiB in 4 KiB steps +- 1, then 1, 4, 16, 64 MiB, then all the
 * way back down; the pattern is checked after every step.  Public API and
 * libc only; glibc semantics.
 */
#include <malloc.h>
#include <stdlib.h>

#include "kslab.h"
#include "../harness/harness.h"

static size_t *steps;
static size_t nsteps;

static void add_step(size_t n)
{
	static size_t cap;

	if (nsteps == cap) {
		cap = cap ? 2 * cap : 8192;
		steps = realloc(steps, cap * sizeof(*steps));
		if (!steps)
			HARD_ERROR("out of memory for the step table");
	}
	steps[nsteps++] = n;
}

static void build_steps(void)
{
	nsteps = 0;
	for (size_t n = 1; n <= 4096; n++)
		add_step(n);
	for (size_t n = 8192; n <= 65536; n += 4096) {
		add_step(n - 1);
		add_step(n);
		add_step(n + 1);
	}
	add_step((size_t)1 << 20);
	add_step((size_t)4 << 20);
	add_step((size_t)16 << 20);
	add_step((size_t)64 << 20);
}

static inline unsigned char pat(size_t i, unsigned seed)
{
	return (unsigned char)(((i >> 12) * 29u) ^ (i * 151u) ^ seed);
}

/* The first index in [0, n) where P differs from the pattern, or n. */
static size_t verify(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pat(i, seed))
			return i;
	return n;
}

static void fill(unsigned char *p, size_t from, size_t to, unsigned seed)
{
	for (size_t i = from; i < to; i++)
		p[i] = pat(i, seed);
}

/* Walk one block up the step table and back down, checking at each step.
 * FIRST allocates the starting block of steps[0] bytes. */
static void walk(const char *how, unsigned char *p, unsigned seed)
{
	size_t cur = steps[0];
	size_t bad;

	fill(p, 0, cur, seed);
	for (size_t k = 1; k < nsteps; k++) {
		size_t n = steps[k];
		unsigned char *q = realloc(p, n);

		REQUIRE(q != NULL);
		p = q;
		bad = verify(p, cur, seed);
		if (!CHECK_MSG(bad == cur, "%s: realloc %zu -> %zu lost byte %zu",
		               how, cur, n, bad))
			break;
		fill(p, cur, n, seed);
		cur = n;
	}
	for (size_t k = nsteps - 1; k-- > 0;) {
		size_t n = steps[k];
		unsigned char *q = realloc(p, n);

		REQUIRE(q != NULL);
		p = q;
		bad = verify(p, n, seed);
		if (!CHECK_MSG(bad == n, "%s: realloc %zu -> %zu lost byte %zu",
		               how, cur, n, bad))
			break;
		cur = n;
	}
	free(p);
}

static void t_grow_shrink(void)
{
	build_steps();
	walk("from malloc", malloc(steps[0]), 1);
	CHECK_KSLAB_CONSISTENT("grow_shrink");
}

static void t_grow_shrink_from_null(void)
{
	/* the same walk starting from realloc(NULL, 1) */
	build_steps();
	walk("from realloc(NULL)", realloc(NULL, steps[0]), 2);
	CHECK_KSLAB_CONSISTENT("grow_shrink_from_null");
}

static void t_grow_shrink_aligned(void)
{
	/* a block from memalign keeps its contents through realloc too */
	build_steps();
	walk("from memalign(4096)", memalign(4096, steps[0]), 3);
	CHECK_KSLAB_CONSISTENT("grow_shrink_aligned");
}

/* Two blocks growing in turn, so neither can always grow in place. */
static void t_interleaved(void)
{
	unsigned char *a = malloc(1), *b = malloc(1);
	size_t cur = 1;

	REQUIRE(a && b);
	build_steps();
	fill(a, 0, 1, 4);
	fill(b, 0, 1, 5);
	for (size_t k = 1; k < nsteps; k++) {
		size_t n = steps[k];

		a = realloc(a, n);
		REQUIRE(a != NULL);
		b = realloc(b, n);
		REQUIRE(b != NULL);
		CHECK_EQ(verify(a, cur, 4), cur);
		CHECK_EQ(verify(b, cur, 5), cur);
		fill(a, cur, n, 4);
		fill(b, cur, n, 5);
		cur = n;
	}
	free(a);
	free(b);
	CHECK_KSLAB_CONSISTENT("interleaved");
}

/* realloc within the usable size keeps everything up to it */
static void t_usable_tail(void)
{
	for (size_t n = 1; n <= 70000; n = n * 5 / 4 + 1) {
		unsigned char *p = malloc(n);

		REQUIRE(p != NULL);
		size_t us = malloc_usable_size(p);
		CHECK_GE(us, n);
		fill(p, 0, us, 6);
		p = realloc(p, us);
		REQUIRE(p != NULL);
		CHECK_EQ(verify(p, us, 6), us);
		p = realloc(p, us + 1);
		REQUIRE(p != NULL);
		CHECK_EQ(verify(p, us, 6), us);
		free(p);
	}
	CHECK_KSLAB_CONSISTENT("usable_tail");
}

/* Vector code grows from empty: a block of malloc(0), calloc(0, n),
 * calloc(n, 0), realloc(NULL, 0) or memalign(64, 0) is a block like any
 * other, which realloc grows and free takes back (under every
 * KSLAB_OPTIONS debug mode too, where its usable size is 0). */
static void t_from_zero(void)
{
	void *start[5] = {
		malloc(0), calloc(0, 8), calloc(8, 0), realloc(NULL, 0), memalign(64, 0),
	};
	static const size_t sizes[] = { 1, 24, 100, 4000, 40000, 300000, 5u << 20 };

	for (unsigned i = 0; i < 5; i++) {
		unsigned char *p = start[i];
		size_t have = 0;
		if (!CHECK_MSG(p != NULL, "block %u of size 0 is NULL", i))
			return;
		CHECK_MSG(malloc_usable_size(p) < 64 || i == 4, "block %u", i);
		for (unsigned k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			p = realloc(p, sizes[k]);
			if (!CHECK_MSG(p != NULL, "realloc to %zu", sizes[k]))
				return;
			CHECK_EQ(verify(p, have, i), have);
			for (size_t j = have; j < sizes[k]; j++)
				p[j] = pat(j, i);
			have = sizes[k];
			CHECK(malloc_usable_size(p) >= have);
		}
		free(p);
	}
	void *q = malloc(0);
	free(q);                               /* and freed as it is */
	q = calloc(0, 0);
	q = realloc(q, 0);                     /* glibc: frees it, returns NULL */
	CHECK(q == NULL);
}

static const struct harness_case cases[] = {
	{ "from_zero", t_from_zero },
	{ "grow_shrink", t_grow_shrink },
	{ "grow_shrink_from_null", t_grow_shrink_from_null },
	{ "grow_shrink_aligned", t_grow_shrink_aligned },
	{ "interleaved", t_interleaved },
	{ "usable_tail", t_usable_tail },
};

int main(int argc, char **argv)
{
#ifdef KS_TEST_PRELOAD
	harness_require_preloaded();
#endif
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
