// SPDX-License-Identifier: BSD-2-Clause
/*
 * api_jemalloc.c - jemalloc's entry points as kslab serves them: mallocx,
 * rallocx, xallocx, sallocx, dallocx, sdallocx and nallocx with their
 * flags; blocks of either family freed by the other; mallctl's names,
 * errors and MIBs; malloc_stats_print through a callback.  The
 * prototypes are jemalloc's (no jemalloc header is needed).
 */
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include "kslab.h"
#include "../harness/harness.h"

void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
size_t xallocx(void *ptr, size_t size, size_t extra, int flags);
size_t sallocx(const void *ptr, int flags);
void dallocx(void *ptr, int flags);
void sdallocx(void *ptr, size_t size, int flags);
size_t nallocx(size_t size, int flags);
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
int mallctlnametomib(const char *name, size_t *mibp, size_t *miblenp);
int mallctlbymib(const size_t *mib, size_t miblen, void *oldp, size_t *oldlenp,
		 void *newp, size_t newlen);
void malloc_stats_print(void (*write_cb)(void *, const char *), void *cbopaque,
			const char *opts);

#define MALLOCX_LG_ALIGN(la) ((int)(la))
#define MALLOCX_ZERO ((int)0x40)
#define MALLOCX_TCACHE_NONE ((int)((-1 + 2) << 8))
#define MALLOCX_ARENA(a) ((int)(((unsigned)(a) + 1) << 20))

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Sizes and alignments: the block is aligned, nallocx said its usable size
 * beforehand, sallocx says it after, and MALLOCX_ZERO zeroed all of it. */
static void t_mallocx(void)
{
	static const size_t sizes[] = { 0, 1, 24, 100, 1000, 4096, 5000, 40000,
					300000, 5u << 20 };
	for (unsigned lg = 0; lg <= 16; lg += 2) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			int flags = MALLOCX_LG_ALIGN(lg) | (i % 2 ? MALLOCX_ZERO : 0) |
				    (i % 3 ? MALLOCX_TCACHE_NONE : MALLOCX_ARENA(0));
			size_t want = nallocx(sizes[i], flags);
			unsigned char *p = mallocx(sizes[i], flags);
			if (!CHECK_MSG(p != NULL, "mallocx(%zu, lg %u)", sizes[i], lg))
				continue;
			CHECK_PTR_ALIGNED(p, (size_t)1 << lg);
			CHECK_EQ(sallocx(p, 0), want);
			CHECK_EQ(malloc_usable_size(p), want);
			CHECK_GE(want, sizes[i]);
			if (flags & MALLOCX_ZERO)
				CHECK_MSG(all_zero(p, want), "MALLOCX_ZERO block of %zu not zero",
					  sizes[i]);
			memset(p, 0xab, want);
			if (i % 2)
				dallocx(p, flags);
			else
				sdallocx(p, sizes[i], flags);
		}
	}
}

static void t_rallocx(void)
{
	unsigned char *p = mallocx(10, 0);
	size_t have;

	REQUIRE(p != NULL);
	memset(p, 7, 10);
	for (size_t n = 20; n < (8u << 20); n = n * 3) {
		have = sallocx(p, 0);
		p = rallocx(p, n, MALLOCX_ZERO | MALLOCX_LG_ALIGN(6));
		REQUIRE(p != NULL);
		CHECK_PTR_ALIGNED(p, 64);
		CHECK_EQ(p[0], 7);
		CHECK_EQ(p[9], 7);
		CHECK_MSG(all_zero(p + have, sallocx(p, 0) - have), "grown to %zu: not zeroed", n);
	}
	p = rallocx(p, 5, 0);                    /* and back down */
	REQUIRE(p != NULL);
	CHECK_EQ(p[4], 7);
	CHECK_EQ(xallocx(p, 1u << 20, 0, 0), sallocx(p, 0));   /* in place: never grows */
	dallocx(p, 0);
}

/* One program, two families: every block freed by the other family. */
static void t_cross(void)
{
	for (size_t n = 1; n < 100000; n = n * 5 + 3) {
		void *a = malloc(n), *b = mallocx(n, MALLOCX_LG_ALIGN(5));
		REQUIRE(a && b);
		memset(a, 1, n);
		memset(b, 2, n);
		dallocx(a, 0);
		free(b);
		a = calloc(1, n);
		b = mallocx(n, 0);
		REQUIRE(a && b);
		sdallocx(a, n, 0);
		free(b);
	}
	CHECK_KSLAB_CONSISTENT("mixed families");
}

static void t_mallctl(void)
{
	const char *version = NULL;
	size_t len = sizeof(version), page = 0, alloc0 = 0, alloc1 = 0, sz = sizeof(size_t);
	uint64_t epoch = 1;
	unsigned narenas = 0;

	CHECK_EQ(mallctl("version", &version, &len, NULL, 0), 0);
	CHECK(version && !strncmp(version, KSLAB_VERSION, strlen(KSLAB_VERSION)));
	len = sizeof(epoch);
	CHECK_EQ(mallctl("epoch", &epoch, &len, &epoch, sizeof(epoch)), 0);
	CHECK_EQ(mallctl("arenas.page", &page, &sz, NULL, 0), 0);
	CHECK_EQ(page, (size_t)sysconf(_SC_PAGESIZE));
	len = sizeof(narenas);
	CHECK_EQ(mallctl("arenas.narenas", &narenas, &len, NULL, 0), 0);
	CHECK_EQ(narenas, 1);
	CHECK_EQ(mallctl("stats.allocated", &alloc0, &sz, NULL, 0), 0);
	void *big = mallocx(3u << 20, 0);
	memset(big, 1, 3u << 20);
	CHECK_EQ(mallctl("stats.allocated", &alloc1, &sz, NULL, 0), 0);
	CHECK_GE(alloc1, alloc0 + (3u << 20));
	const char *sizes[] = { "stats.active", "stats.resident", "stats.mapped",
				"stats.metadata", "stats.retained", "arenas.quantum" };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t v = 0;
		CHECK_MSG(mallctl(sizes[i], &v, &sz, NULL, 0) == 0, "%s", sizes[i]);
	}
	dallocx(big, 0);
	/* the errors jemalloc gives */
	CHECK_EQ(mallctl("stats.arenas.0.pactive", &alloc0, &sz, NULL, 0), ENOENT);
	CHECK_EQ(mallctl("no.such.name", NULL, NULL, NULL, 0), ENOENT);
	len = 4;
	CHECK_EQ(mallctl("stats.allocated", &alloc0, &len, NULL, 0), EINVAL);
	CHECK_EQ(mallctl("arenas.page", &page, &sz, &page, sizeof(page)), EPERM);
	/* the actions */
	CHECK_EQ(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
	CHECK_EQ(mallctl("arena.4096.purge", NULL, NULL, NULL, 0), 0);
	CHECK_EQ(mallctl("arena.0.decay", NULL, NULL, NULL, 0), 0);
	/* by MIB */
	size_t mib[4], miblen = 4;
	CHECK_EQ(mallctlnametomib("stats.allocated", mib, &miblen), 0);
	CHECK_EQ(miblen, 1);
	alloc1 = 0;
	CHECK_EQ(mallctlbymib(mib, miblen, &alloc1, &sz, NULL, 0), 0);
	CHECK(alloc1 > 0);
	miblen = 4;
	CHECK_EQ(mallctlnametomib("arena.0.purge", mib, &miblen), 0);
	CHECK_EQ(miblen, 3);
	mib[1] = 4096;                           /* all arenas, as redis asks */
	CHECK_EQ(mallctlbymib(mib, miblen, NULL, NULL, NULL, 0), 0);
	miblen = 4;
	CHECK_EQ(mallctlnametomib("opt.junk", mib, &miblen), ENOENT);
	CHECK_KSLAB_CONSISTENT("mallctl");
}

static void collect(void *arg, const char *s)
{
	size_t *n = arg;
	if (strstr(s, "statistics (pid"))
		n[0]++;
	n[1] += strlen(s);
}

static void t_stats_print(void)
{
	size_t got[2] = { 0, 0 };
	malloc_stats_print(collect, got, NULL);
	CHECK_EQ(got[0], 1);
	CHECK_GE(got[1], 500);
}

static const struct harness_case cases[] = {
	{ "mallocx", t_mallocx },
	{ "rallocx", t_rallocx },
	{ "cross", t_cross },
	{ "mallctl", t_mallctl },
	{ "stats_print", t_stats_print },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
