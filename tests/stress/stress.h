/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stress.h - what the stress tests share: a per-thread random generator and
 * a block pattern derived from the block's address and size, written by the
 * allocating thread and checked by whichever thread frees the block.
 *
 * Every stress source is built twice: linked with libkslab.la (NAME) and
 * linked with glibc only, run with libkslab.so preloaded (NAME-preload,
 * compiled with -DKS_TEST_PRELOAD).  kslab's own functions are reached
 * through the harness's weak references, so the source is the same.
 */
#ifndef KSLAB_TEST_STRESS_H
#define KSLAB_TEST_STRESS_H

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "kslab.h"
#include "../harness/harness.h"

/* xorshift64*: good enough, no locks, no libc state */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

/* The pattern's 64-bit word number I of block P of SIZE bytes. */
static inline uint64_t pattern_word(const void *p, size_t size, size_t i)
{
	uint64_t seed = (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull ^
	                (uint64_t)size * 0xc2b2ae3d27d4eb4full;

	return seed + (uint64_t)i * 0xff51afd7ed558ccdull;
}

/* Fill (or check) SIZE bytes at P: whole words, then the tail bytes of one
 * more word.  check returns the byte offset of the first difference, or
 * SIZE. */
static inline void pattern_fill(void *p, size_t size)
{
	size_t nw = size / 8, i;
	unsigned char *c = p;

	for (i = 0; i < nw; i++) {
		uint64_t w = pattern_word(p, size, i);

		memcpy(c + 8 * i, &w, 8);
	}
	if (size % 8) {
		uint64_t w = pattern_word(p, size, i);

		memcpy(c + 8 * i, &w, size % 8);
	}
}

static inline size_t pattern_check(const void *p, size_t size)
{
	size_t nw = size / 8, i;
	const unsigned char *c = p;

	for (i = 0; i < nw; i++) {
		uint64_t w = pattern_word(p, size, i);

		if (memcmp(c + 8 * i, &w, 8) != 0)
			break;
	}
	if (i < nw || size % 8) {
		uint64_t w = pattern_word(p, size, i);
		const unsigned char *wb = (const unsigned char *)&w;
		size_t from = 8 * i;

		for (size_t j = from; j < size && j < from + 8; j++)
			if (c[j] != wb[j - from])
				return j;
		if (i < nw)
			return from;    /* not reached: memcmp saw a difference */
	}
	return size;
}

/* The linked half of each stress test runs with eight slab nodes, more
 * than most machines here have CPUs, so that threads of several nodes
 * free each other's objects; the preloaded half runs with the default
 * (one node per CPU).  KSLAB_OPTIONS set by the caller is left alone. */
static inline void stress_start(char **argv)
{
	/* verbose: a ks_check that fails names the layer on stderr */
#ifndef KS_TEST_PRELOAD
	harness_reexec_with_env(argv, "KSLAB_OPTIONS", "nodes=8,verbose");
#else
	harness_reexec_with_env(argv, "KSLAB_OPTIONS", "verbose");
#endif
	harness_require_preloaded();
	harness_note("stress: running on %s",
	             harness_have_kslab() ? "kslab" : "the system allocator");
}

#endif /* KSLAB_TEST_STRESS_H */
