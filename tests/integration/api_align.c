// SPDX-License-Identifier: BSD-2-Clause
/*
 * api_align.c - alignment of every memalign-family result: memalign,
 * posix_memalign, aligned_alloc (alignments 1 B .. 1 MiB, powers of two)
 * and valloc, for several sizes each; every block writable in full, blocks
 * held together never overlap.  Public API and libc only; glibc semantics.
 */
#include <malloc.h>
#include <stdlib.h>

#include "kslab.h"
#include "../harness/harness.h"

enum { MAX_ALIGN = 1 << 20, HOLD = 6 };

enum family { F_MEMALIGN, F_POSIX, F_ALIGNED_ALLOC };
static const char *const fname[] = { "memalign", "posix_memalign",
                                     "aligned_alloc" };

static void *alloc_aligned(enum family f, size_t align, size_t size)
{
	void *p = NULL;
	int r;

	switch (f) {
	case F_MEMALIGN:
		return memalign(align, size);
	case F_POSIX:
		r = posix_memalign(&p, align, size);
		if (r) {
			errno = r;
			return NULL;
		}
		return p;
	case F_ALIGNED_ALLOC:
		return aligned_alloc(align, size);
	}
	return NULL;
}

/* Sizes tried for each alignment A. */
static size_t size_for(size_t align, int k)
{
	switch (k) {
	case 0: return 1;
	case 1: return 24;
	case 2: return align > 1 ? align - 1 : 3;
	case 3: return align;
	case 4: return align + 1;
	case 5: return 3 * align;
	case 6: return 5000;
	case 7: return 100000;
	default: return 0;
	}
}
#define NSIZE_KINDS 8

static void check_family(enum family f)
{
	size_t min_align = f == F_POSIX ? sizeof(void *) : 1;

	for (size_t a = min_align; a <= MAX_ALIGN; a <<= 1) {
		for (int k = 0; k < NSIZE_KINDS; k++) {
			size_t n = size_for(a, k);
			unsigned char *p[HOLD];
			size_t us[HOLD];

			for (int h = 0; h < HOLD; h++) {
				p[h] = alloc_aligned(f, a, n);
				if (!CHECK_MSG(p[h] != NULL, "%s(%zu, %zu) failed: %s",
				               fname[f], a, n, strerror(errno))) {
					us[h] = 0;
					continue;
				}
				CHECK_MSG((uintptr_t)p[h] % a == 0,
				          "%s(%zu, %zu) = %p: misaligned", fname[f],
				          a, n, (void *)p[h]);
				us[h] = malloc_usable_size(p[h]);
				CHECK_MSG(us[h] >= n, "%s(%zu, %zu): usable size %zu",
				          fname[f], a, n, us[h]);
				memset(p[h], 0x10 + h, n);
			}
			for (int h = 0; h < HOLD; h++) {
				if (!p[h])
					continue;
				/* first and last byte of every block intact */
				CHECK_EQ(p[h][0], 0x10 + h);
				if (n)
					CHECK_EQ(p[h][n - 1], 0x10 + h);
				for (int g = 0; g < HOLD; g++) {
					if (g == h || !p[g])
						continue;
					CHECK_MSG(p[h] + n <= p[g] || p[g] + n <= p[h],
					          "%s(%zu, %zu): %p and %p overlap",
					          fname[f], a, n, (void *)p[h],
					          (void *)p[g]);
				}
			}
			/* free in an order different from allocation */
			for (int h = HOLD - 1; h >= 0; h -= 2)
				free(p[h]);
			for (int h = HOLD - 2; h >= 0; h -= 2)
				free(p[h]);
		}
	}
	CHECK_KSLAB_CONSISTENT(fname[f]);
}

static void t_memalign(void) { check_family(F_MEMALIGN); }
static void t_posix_memalign(void) { check_family(F_POSIX); }
static void t_aligned_alloc(void) { check_family(F_ALIGNED_ALLOC); }

/* Aligned and plain blocks interleaved, so aligned requests are carved from
 * the same caches and pages that plain ones use. */
static void t_mixed(void)
{
	enum { N = 4000 };
	static void *ptrs[N];
	static size_t al[N];

	for (size_t i = 0; i < N; i++) {
		size_t a = (size_t)1 << (i % 13);        /* 1 .. 4096 */
		size_t n = (i * 37) % 700 + 1;

		if (i % 3 == 0) {
			ptrs[i] = malloc(n);
			al[i] = 1;
		} else {
			ptrs[i] = memalign(a, n);
			al[i] = a;
		}
		REQUIRE(ptrs[i] != NULL);
		CHECK_PTR_ALIGNED(ptrs[i], al[i]);
		memset(ptrs[i], (int)(i & 0xff), n);
	}
	for (size_t i = 0; i < N; i++) {
		size_t n = (i * 37) % 700 + 1;
		unsigned char *c = ptrs[i];

		CHECK_EQ(c[0], i & 0xff);
		CHECK_EQ(c[n - 1], i & 0xff);
		free(ptrs[i]);
	}
	CHECK_KSLAB_CONSISTENT("mixed");
}

static void t_valloc(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	for (int k = 0; k < NSIZE_KINDS; k++) {
		size_t n = size_for(pg, k);
		void *p[HOLD];

		for (int h = 0; h < HOLD; h++) {
			p[h] = valloc(n);
			REQUIRE(p[h] != NULL);
			CHECK_PTR_ALIGNED(p[h], pg);
			memset(p[h], 1, n);
		}
		for (int h = 0; h < HOLD; h++)
			free(p[h]);
	}
	CHECK_KSLAB_CONSISTENT("valloc");
}

static const struct harness_case cases[] = {
	{ "memalign", t_memalign },
	{ "posix_memalign", t_posix_memalign },
	{ "aligned_alloc", t_aligned_alloc },
	{ "mixed", t_mixed },
	{ "valloc", t_valloc },
};

int main(int argc, char **argv)
{
#ifdef KS_TEST_PRELOAD
	harness_require_preloaded();
#endif
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
