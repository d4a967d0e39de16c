// SPDX-License-Identifier: BSD-2-Clause
/*
 * hostile.c - what other people's programs do to an allocator, on
 * purpose or not; each must end in NULL with the errno glibc gives, or in
 * a good block, never in a crash, a hang or a broken block.
 *
 *   alignments   every alignment from 0 to 2^40 (powers of two, their
 *                neighbours, and odd ones) in memalign, aligned_alloc and
 *                posix_memalign, at sizes from 0 to a megabyte
 *   random_million  a million allocations and frees of random sizes with
 *                random alignments from two threads, a fifth of the
 *                blocks freed by the other thread, every block checked
 *   address_limit  under RLIMIT_AS, allocation until NULL (ENOMEM) at
 *                three sizes, then everything freed and the same again:
 *                what failed must succeed once memory is back
 *   fork_8       eight threads that allocate and create and destroy
 *                caches each fork children that allocate, check and
 *                (under kslab) ks_check before they exit
 */
#include <malloc.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stress.h"

extern __typeof__(ks_check) ks_check __attribute__((weak));
extern __typeof__(ks_cache_create) ks_cache_create __attribute__((weak));
extern __typeof__(ks_cache_destroy) ks_cache_destroy __attribute__((weak));
extern __typeof__(ks_cache_alloc) ks_cache_alloc __attribute__((weak));
extern __typeof__(ks_cache_free) ks_cache_free __attribute__((weak));

static size_t opaque(size_t v)
{
	__asm__ volatile("" : "+r"(v));
	return v;
}

/* ---- alignments ------------------------------------------------------- */

static void one_alignment(size_t align, size_t size)
{
	size_t want = align <= 1 ? 1 : align;
	void *p;
	int rc;

	if (want & (want - 1))             /* glibc rounds up to a power of two */
		want = want > ((size_t)1 << 62) ? 0 : (size_t)1 << (64 - __builtin_clzl(want));
	for (int fn = 0; fn < 3; fn++) {
		errno = 0;
		if (fn == 0) {
			p = memalign(opaque(align), opaque(size));
		} else if (fn == 1) {
			p = aligned_alloc(opaque(align), opaque(size));
		} else {
			p = NULL;
			rc = posix_memalign(&p, opaque(align), opaque(size));
			bool bad = align == 0 || (align & (align - 1)) || align % sizeof(void *);
			if (bad) {
				CHECK_MSG(rc == EINVAL, "posix_memalign(%zu, %zu) = %d, want EINVAL",
				          align, size, rc);
				continue;
			}
			if (rc) {
				CHECK_MSG(rc == ENOMEM, "posix_memalign(%zu, %zu) = %d", align, size, rc);
				continue;
			}
		}
		if (!p) {
			CHECK_MSG(errno == ENOMEM || errno == EINVAL,
			          "align %zu size %zu fn %d: NULL with errno %d", align, size, fn, errno);
			continue;
		}
		CHECK_MSG(want && ((uintptr_t)p & (want - 1)) == 0,
		          "fn %d: %p is not aligned to %zu (asked %zu)", fn, p, want, align);
		CHECK(malloc_usable_size(p) >= size);
		if (size) {
			memset(p, 0x5a, size);
			CHECK(((unsigned char *)p)[size - 1] == 0x5a);
		}
		free(p);
	}
}

static void t_alignments(void)
{
	static const size_t sizes[] = { 0, 1, 24, 100, 4096, 5000, 70000, 1 << 20 };

	for (unsigned lg = 0; lg <= 40; lg++) {
		size_t a = (size_t)1 << lg;
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			/* the big ones only at small sizes: they are the address space */
			if (lg > 30 && sizes[s] > 100)
				continue;
			one_alignment(a, sizes[s]);
			one_alignment(a + 1, sizes[s]);
			if (a > 2)
				one_alignment(a - 1, sizes[s]);
		}
	}
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		one_alignment(0, sizes[s]);
		one_alignment(24, sizes[s]);
		one_alignment(48, sizes[s]);
		one_alignment(SIZE_MAX, sizes[s]);
		one_alignment(SIZE_MAX / 2 + 1, sizes[s]);
	}
}

/* ---- a million random operations --------------------------------------- */

enum { RM_SLOTS = 512, RM_OPS = 500000 };

static void *volatile rm_pass[64];     /* blocks for the other thread */

static void *rm_alloc(uint64_t *rng, size_t *size)
{
	uint64_t r = rng_below(rng, 100);
	size_t align = (size_t)1 << rng_below(rng, 13);
	void *p = NULL;

	*size = r < 70 ? rng_below(rng, 300) : r < 95 ? rng_below(rng, 20000) :
	        rng_below(rng, 1 << 20);
	switch (rng_below(rng, 5)) {
	case 0: p = memalign(align, *size); break;
	case 1: p = aligned_alloc(align, *size); break;
	case 2:
		if (posix_memalign(&p, align < 8 ? 8 : align, *size))
			p = NULL;
		break;
	case 3: p = calloc(1, *size); break;
	default: p = malloc(*size);
	}
	if (p)
		pattern_fill(p, *size);
	return p;
}

static void *rm_worker(void *arg)
{
	uint64_t rng = 0x1234 + (uint64_t)(uintptr_t)arg;
	void *slot[RM_SLOTS] = { 0 };
	size_t size[RM_SLOTS] = { 0 };
	unsigned long bad = 0;

	for (int op = 0; op < RM_OPS; op++) {
		int i = (int)rng_below(&rng, RM_SLOTS);
		if (!slot[i]) {
			slot[i] = rm_alloc(&rng, &size[i]);
			continue;
		}
		bad += pattern_check(slot[i], size[i]) != size[i];
		if (rng_below(&rng, 5) == 0) {          /* to the other thread */
			int k = (int)rng_below(&rng, 64);
			void *old = __atomic_exchange_n(&rm_pass[k], slot[i], __ATOMIC_ACQ_REL);
			free(old);      /* a block of either thread, checked when made */
		} else {
			free(slot[i]);
		}
		slot[i] = NULL;
	}
	for (int i = 0; i < RM_SLOTS; i++) {
		if (slot[i])
			bad += pattern_check(slot[i], size[i]) != size[i];
		free(slot[i]);
	}
	return (void *)(uintptr_t)bad;
}

static void t_random_million(void)
{
	pthread_t th[2];
	void *bad[2];

	for (int i = 0; i < 2; i++)
		REQUIRE(pthread_create(&th[i], NULL, rm_worker, (void *)(uintptr_t)i) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], &bad[i]);
	for (int k = 0; k < 64; k++)
		free(rm_pass[k]);
	CHECK_EQ((uintptr_t)bad[0] + (uintptr_t)bad[1], 0);
	CHECK_KSLAB_CONSISTENT("random million");
}

/* ---- the address-space limit ------------------------------------------- */

static int fill_until_null(void **keep, int max, size_t size)
{
	int n = 0;

	while (n < max) {
		errno = 0;
		void *p = malloc(opaque(size));
		if (!p) {
			if (errno != ENOMEM)
				return -1;
			break;
		}
		memset(p, 1, size < 8192 ? size : 8192);
		keep[n++] = p;
	}
	return n;
}

static void limit_child(void *arg)
{
	enum { MAX = 400000 };
	static void *keep[MAX];
	static const size_t sizes[] = { 1000, 50000, 3 << 20 };
	struct rlimit rl;
	int first[3];

	(void)arg;
	/* what the process has mapped now, plus 192 MiB */
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;
	if (!f || fscanf(f, "%lu", &pages) != 1)
		_exit(10);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * 4096 + (192ul << 20);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		_exit(11);
	for (int round = 0; round < 2; round++) {
		for (int s = 0; s < 3; s++) {
			int n = fill_until_null(keep, MAX, sizes[s]);
			if (n <= 0 || n == MAX)
				_exit(12 + s);        /* no NULL, or nothing at all */
			if (round == 0)
				first[s] = n;
			else if (n < first[s] / 2)
				_exit(20 + s);        /* memory did not come back */
			for (int i = 0; i < n; i++)
				free(keep[i]);
			malloc_trim(0);
		}
	}
	if (ks_check && ks_check() != 0)
		_exit(30);
	_exit(0);
}

static void t_address_limit(void)
{
	struct harness_child ch;
	char how[64];

	REQUIRE(harness_run_child(limit_child, NULL, 120, &ch));
	CHECK_MSG(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0,
	          "allocation under RLIMIT_AS: %s (%s)", harness_child_end(&ch, how, sizeof(how)),
	          ch.out);
}

/* ---- fork from eight threads ------------------------------------------- */

enum { FORKERS = 8, FORKS_EACH = 12 };

static void *forker(void *arg)
{
	uint64_t rng = 0x99 + (uint64_t)(uintptr_t)arg;
	unsigned long bad = 0;

	for (int i = 0; i < FORKS_EACH; i++) {
		size_t n = 1 + rng_below(&rng, 5000);
		void *p = malloc(n);
		ks_cache_t *c = ks_cache_create ? ks_cache_create("fork8", 32 + rng_below(&rng, 200),
		                                                  0, 0, NULL) : NULL;
		void *o = c ? ks_cache_alloc(c, 0) : NULL;
		pid_t pid;
		int status = 0;

		if (!p) {
			bad++;
			continue;
		}
		pattern_fill(p, n);
		pid = fork();
		if (pid == 0) {
			alarm(30);
			void *q = malloc(n);
			if (!q || pattern_check(p, n) != n)
				_exit(2);
			pattern_fill(q, n);
			if (pattern_check(q, n) != n)
				_exit(3);
			free(q);
			free(p);
			if (c) {
				ks_cache_free(c, o);
				if (ks_cache_destroy(c) != 0)
					_exit(4);
			}
			_exit(ks_check && ks_check() != 0 ? 5 : 0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "fork_8: child ended with status %#x\n", status);
			bad++;
		}
		bad += pattern_check(p, n) != n;
		free(p);
		if (c) {
			ks_cache_free(c, o);
			bad += ks_cache_destroy(c) != 0;
		}
	}
	return (void *)(uintptr_t)bad;
}

static void t_fork_8(void)
{
	pthread_t th[FORKERS];
	uintptr_t bad = 0;

	for (int i = 0; i < FORKERS; i++)
		REQUIRE(pthread_create(&th[i], NULL, forker, (void *)(uintptr_t)i) == 0);
	for (int i = 0; i < FORKERS; i++) {
		void *b;
		pthread_join(th[i], &b);
		bad += (uintptr_t)b;
	}
	CHECK_EQ(bad, 0);
	CHECK_KSLAB_CONSISTENT("fork from 8 threads");
}

static const struct harness_case cases[] = {
	{ "alignments", t_alignments },
	{ "random_million", t_random_million },
	{ "address_limit", t_address_limit },
	{ "fork_8", t_fork_8 },
};

int main(int argc, char **argv)
{
	stress_start(argv);
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
