// SPDX-License-Identifier: BSD-2-Clause
/*
 * memory_back.c - memory goes back, and running out is an answer:
 *  - after a 512 MiB working set of mixed sizes (64 B .. 1 MiB) is freed
 *    and malloc_trim(0) is called, RSS from /proc/self/statm is back under
 *    its start plus 5% of what the working set added (plus 8 MiB of
 *    slack for the allocator's own metadata and the test's tables), and
 *    malloc_trim reported that it released memory;
 *  - the same without malloc_trim, after two decay periods of light work
 *    (KSLAB_OPTIONS decay_ms=200 so the test stays short);
 *  - under an address-space limit of 512 MiB (ulimit -v): allocate until
 *    NULL (errno ENOMEM, no abort), free everything, allocate again.
 */
#include "../stress/stress.h"
#include "kslab.h"
#include <malloc.h>
#include <sys/resource.h>
#include <time.h>

static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

enum { MAXBLOCKS = 400000 };
static void *blocks[MAXBLOCKS];

/* Fill about TOTAL bytes in sizes 64 B .. 1 MiB (log-uniform), touched. */
static size_t fill(size_t total, size_t *count)
{
	uint64_t rng = 42;
	size_t bytes = 0, n = 0;
	while (bytes < total && n < MAXBLOCKS) {
		unsigned shift = 6 + (unsigned)rng_below(&rng, 15);     /* 64 B..1 MiB */
		size_t size = ((size_t)1 << shift) + rng_below(&rng, (size_t)1 << shift);
		if (size > (1u << 20))
			size = 1u << 20;
		blocks[n] = malloc(size);
		REQUIRE(blocks[n] != NULL);
		memset(blocks[n], 0x3c, size);
		bytes += size;
		n++;
	}
	*count = n;
	return bytes;
}

static void free_all(size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(blocks[i]);
}

static void t_trim(void)
{
	size_t n, rss0 = rss_bytes();
	size_t bytes = fill(512u << 20, &n);
	size_t peak = rss_bytes();
	free_all(n);
	int released = malloc_trim(0);
	size_t end = rss_bytes();
	size_t bound = rss0 + (peak - rss0) / 20 + (8u << 20);
	harness_note("%zu blocks, %zu MiB; RSS start %zu MiB, peak %zu MiB, after trim %zu MiB "
		     "(bound %zu MiB)", n, bytes >> 20, rss0 >> 20, peak >> 20, end >> 20,
		     bound >> 20);
	CHECK_EQ(released, 1);
	CHECK_LE(end, bound);
	CHECK_EQ(ks_check(), 0);
}

static void t_decay(void)
{
	if (!getenv("KS_TEST_DECAY_CHILD")) {
		/* re-run this case with a short decay time */
		setenv("KS_TEST_DECAY_CHILD", "1", 1);
		setenv("KSLAB_OPTIONS", "decay_ms=200", 1);
		char self[4096];
		ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		REQUIRE(len > 0);
		self[len] = '\0';
		execl(self, self, "-n", "decay", (char *)NULL);
		HARD_ERROR("exec %s", self);
	}
	size_t n, rss0 = rss_bytes();
	fill(512u << 20, &n);
	size_t peak = rss_bytes();
	free_all(n);
	/* light work for two decay periods and a bit: a few small
	 * allocations every 10 ms, as a server between requests */
	void *keep[64] = { 0 };
	for (int tick = 0; tick < 60; tick++) {
		for (int i = 0; i < 8; i++) {
			int k = (tick * 8 + i) % 64;
			free(keep[k]);
			keep[k] = malloc(32 + (size_t)i * 40);
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	size_t end = rss_bytes();
	size_t bound = rss0 + (peak - rss0) / 20 + (8u << 20);
	harness_note("RSS start %zu MiB, peak %zu MiB, after 2+ decay periods %zu MiB "
		     "(bound %zu MiB)", rss0 >> 20, peak >> 20, end >> 20, bound >> 20);
	CHECK_LE(end, bound);
	for (int i = 0; i < 64; i++)
		free(keep[i]);
}

/* Allocate blocks of SIZE until NULL, chained through their first word;
 * returns the chain.  At most LIMIT blocks (small sizes would take too
 * long to exhaust 512 MiB one at a time: they stop at the limit). */
static void **exhaust(size_t size, size_t limit, void **chain, size_t *count, bool *hit)
{
	*hit = false;
	for (size_t i = 0; i < limit; i++) {
		errno = 0;
		void **q = malloc(size);
		if (!q) {
			CHECK_EQ(errno, ENOMEM);
			*hit = true;
			break;
		}
		memset(q, 0x11, size < 4096 ? size : 4096);
		*q = chain;
		chain = q;
		(*count)++;
	}
	return chain;
}

static void t_address_limit(void)
{
	struct rlimit rl = { 512u << 20, 512u << 20 };
	REQUIRE(setrlimit(RLIMIT_AS, &rl) == 0);
	static const size_t sizes[] = { 64u << 20, 3u << 20, 100000, 3000, 48 };
	void **chain = NULL;
	size_t n = 0;
	bool hit_any = false;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		bool hit;
		chain = exhaust(sizes[s], sizes[s] >= 4096 ? SIZE_MAX : 200000, chain, &n, &hit);
		hit_any |= hit;
	}
	harness_note("%zu blocks before ENOMEM", n);
	CHECK(hit_any);
	while (chain) {
		void **next = *chain;
		free(chain);
		chain = next;
	}
	malloc_trim(0);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		void *q = malloc(sizes[s]);
		CHECK(q != NULL);
		if (q)
			memset(q, 1, sizes[s]);
		free(q);
	}
	if (ks_check)
		CHECK_EQ(ks_check(), 0);
}

static const struct harness_case cases[] = {
	{ "trim", t_trim },
	{ "decay", t_decay },
	{ "address_limit", t_address_limit },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
