// SPDX-License-Identifier: BSD-2-Clause
/*
 * pairs - the loop bench/callgrind.sh counts instructions of: N malloc+free
 * pairs, each freed at once, so every pair after the first few hits the
 * allocator's fast path (thread cache, magazine, free list).
 *
 *   pairs fixed N     malloc(32) + free, N times
 *   pairs cycle N     malloc(s) + free with s cycling 16, 32, ..., 1024
 *   pairs empty N     the fixed loop with no allocation (its overhead)
 *   pairs empty-cycle N  the cycle loop with no allocation
 *   pairs batch N     malloc(32) 64 times, then free the 64, N / 64 times:
 *                     N pairs that go deeper than one magazine's top
 *   pairs empty-batch N  the batch loops with no allocation
 *   pairs fixed N S   malloc(S) instead of 32 (batch too)
 *
 * Before the loop it allocates one block of every size it will use and
 * keeps it, so no allocator sees its page or slab fall empty on each free
 * (mimalloc, for one, retires an empty page: a slow path that a program
 * with any other live object of that size never takes).
 *
 * Built with -fno-builtin-malloc so the compiler cannot pair up and delete
 * the calls; the pointer also escapes through an empty asm.  The script runs
 * each allocator at two values of N and divides the difference in
 * instructions by the difference in N, which cancels startup and teardown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: pairs fixed|cycle|batch|empty|empty-cycle|empty-batch N [size]\n");
		return 2;
	}
	long n = strtol(argv[2], NULL, 10);
	size_t fixed = argc > 3 ? strtoul(argv[3], NULL, 10) : 32;
	void *keep[65];
	for (size_t s = 16, k = 0; s <= 1024; s += 16, k++)
		keep[k] = malloc(s);
	keep[64] = malloc(fixed);
	for (int k = 0; k < 65; k++)
		escape(keep[k]);
	if (!strcmp(argv[1], "fixed")) {
		for (long i = 0; i < n; i++) {
			void *p = malloc(fixed);
			escape(p);
			free(p);
		}
	} else if (!strcmp(argv[1], "cycle")) {
		size_t s = 16;
		for (long i = 0; i < n; i++) {
			void *p = malloc(s);
			escape(p);
			free(p);
			s = s >= 1024 ? 16 : s + 16;
		}
	} else if (!strcmp(argv[1], "empty")) {
		for (long i = 0; i < n; i++)
			escape((void *)fixed);
	} else if (!strcmp(argv[1], "empty-cycle")) {
		size_t s = 16;
		for (long i = 0; i < n; i++) {
			escape((void *)s);
			s = s >= 1024 ? 16 : s + 16;
		}
	} else if (!strcmp(argv[1], "batch") || !strcmp(argv[1], "empty-batch")) {
		int real = !strcmp(argv[1], "batch");
		void *b[64];
		for (long i = 0; i < n / 64; i++) {
			for (int k = 0; k < 64; k++) {
				b[k] = real ? malloc(fixed) : (void *)(fixed + (size_t)k);
				escape(b[k]);
			}
			for (int k = 0; k < 64; k++) {
				if (real)
					free(b[k]);
				else
					escape(b[k]);
			}
		}
	} else {
		fprintf(stderr, "pairs: mode is fixed, cycle, batch, empty, empty-cycle or empty-batch\n");
		return 2;
	}
	for (int k = 0; k < 65; k++)
		free(keep[k]);
	return 0;
}
