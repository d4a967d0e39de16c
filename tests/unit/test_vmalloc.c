// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_vmalloc.c - the vmalloc path and the os layer under it: blocks with
 * their own mappings found through the hash table (which grows past its
 * static boot size and keeps every chain unbroken through deletions),
 * usable sizes, realloc that keeps contents and grows with headroom,
 * alignment by over-mapping, page-path blocks that realloc moves here
 * without a copy, lazy areas (freed blocks kept for reuse,
 * grown, split, merged, trimmed; few kept until large allocations are
 * frequent), and ks__vmalloc_check() after each step.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "os.h"
#include "vmalloc.h"
#include "kmalloc.h"
#include "buddy.h"
#include "arena.h"
#include "options.h"
#include <stdlib.h>
#include "init.h"

static void t_alloc_free(void)
{
	ks_boot();
	char *p = ks__vmalloc_alloc(5 << 20, 0, false);
	REQUIRE(p != NULL);
	CHECK_PTR_ALIGNED(p, ks__os_page_size);
	CHECK(ks__vmalloc_usable(p) >= (5u << 20));
	for (size_t i = 0; i < (5u << 20); i += 4096)
		CHECK_EQ(p[i], 0);                 /* fresh mappings read as zero */
	memset(p, 7, 5 << 20);
	CHECK_EQ(ks__vmalloc_count(), 1);
	CHECK_EQ(ks__vmalloc_check(), 0);
	CHECK(ks__vmalloc_free(p));
	CHECK(!ks__vmalloc_free(p));               /* gone: not ours any more */
	CHECK_EQ(ks__vmalloc_count(), 0);
	CHECK_EQ(ks__vmalloc_mapped(), 0);
	CHECK_EQ(ks__vmalloc_check(), 0);
}

static void t_table_growth(void)
{
	enum { N = 3000 };                         /* past the 1024-slot boot table */
	static void *p[N];
	ks_boot();
	for (int i = 0; i < N; i++) {
		p[i] = ks__vmalloc_alloc(4096 * (1 + i % 3), 0, false);
		REQUIRE(p[i] != NULL);
		*(int *)p[i] = i;
	}
	CHECK_EQ(ks__vmalloc_count(), N);
	CHECK_EQ(ks__vmalloc_check(), 0);
	for (int i = 0; i < N; i += 2)             /* deletions inside chains */
		CHECK(ks__vmalloc_free(p[i]));
	CHECK_EQ(ks__vmalloc_check(), 0);
	for (int i = 1; i < N; i += 2) {
		CHECK_EQ(ks__vmalloc_usable(p[i]), 4096u * (1 + i % 3));
		CHECK_EQ(*(int *)p[i], i);
		CHECK(ks__vmalloc_free(p[i]));
	}
	CHECK_EQ(ks__vmalloc_count(), 0);
	CHECK_EQ(ks__vmalloc_check(), 0);
}

static void t_realloc(void)
{
	ks_boot();
	size_t size = 8u << 20;
	unsigned char *p = ks__vmalloc_alloc(size, 0, false);
	REQUIRE(p != NULL);
	for (size_t i = 0; i < size; i += 512)
		p[i] = (unsigned char)(i >> 9);
	/* +4 KiB steps: headroom means most steps need no mremap at all */
	unsigned char *first = NULL;
	size_t moves = 0;
	for (int step = 0; step < 200; step++) {
		unsigned char *q = ks__vmalloc_realloc(p, size + 4096);
		REQUIRE(q != NULL);
		moves += q != p && first != NULL;
		first = q;
		p = q;
		size += 4096;
		CHECK(ks__vmalloc_usable(p) >= size);
	}
	for (size_t i = 0; i < (8u << 20); i += 512)
		if (p[i] != (unsigned char)(i >> 9)) {
			CHECK_EQ(p[i], (unsigned char)(i >> 9));
			break;
		}
	CHECK(ks__vmalloc_usable(p) < size + (size / 4) + (1u << 20));
	/* shrinking by more than half gives the tail back */
	p = ks__vmalloc_realloc(p, 1u << 20);
	REQUIRE(p != NULL);
	CHECK(ks__vmalloc_usable(p) < (2u << 20));
	CHECK_EQ(p[512], 1);
	CHECK_EQ(ks__vmalloc_check(), 0);
	CHECK(ks__vmalloc_free(p));
	harness_note("%zu moves in 200 steps", moves);
	CHECK_LE(moves, 10);              /* the headroom absorbs most steps */
}

static void t_aligned(void)
{
	ks_boot();
	for (size_t align = 8192; align <= (64u << 20); align <<= 2) {
		void *p = ks__vmalloc_alloc(3 << 20, align, false);
		REQUIRE(p != NULL);
		CHECK_PTR_ALIGNED(p, align);
		CHECK(ks__vmalloc_free(p));
	}
	CHECK_EQ(ks__vmalloc_check(), 0);
}

static void t_os(void)
{
	ks_boot();
	CHECK(ks__os_page_size >= 4096 && ks_is_pow2(ks__os_page_size));
	char *p = ks__os_map(1 << 20, 1 << 20, false);
	REQUIRE(p != NULL);
	CHECK_PTR_ALIGNED(p, 1 << 20);
	memset(p, 9, 1 << 20);
	/* a purge rounds inward to whole OS pages and reads back as zero */
	CHECK_EQ(ks__os_purge(p + 1, 3 * ks__os_page_size, false), 2 * ks__os_page_size);
	CHECK_EQ(p[ks__os_page_size], 0);
	CHECK_EQ(p[0], 9);
	char *low = ks__os_map(1 << 20, 1 << 20, true);
	if (low) {
		CHECK((uintptr_t)low + (1 << 20) <= (1ull << 32));
		ks__os_unmap(low, 1 << 20);
	}
	CHECK(ks__os_rss() > 0);
	ks__os_unmap(p, 1 << 20);
}

/* Lazy areas: a freed block is kept, mapped, and the next allocation of
 * its size gets it back (zeroed when asked); a larger one grows it with
 * mremap; a much smaller one splits it; malloc_trim's pass unmaps them. */
static void t_lazy(void)
{
	ks_boot();
	ks__vmalloc_trim();
	/* cold: a program that has made few large allocations keeps 8 MiB */
	char *cold = ks__vmalloc_alloc(9 << 20, 0, false);
	REQUIRE(cold != NULL);
	CHECK(ks__vmalloc_free(cold));
	CHECK_EQ(ks__vmalloc_lazy(), 0);
	for (int i = 0; i < 8; i++)                  /* warm: demand rises */
		CHECK(ks__vmalloc_free(ks__vmalloc_alloc(4096, 0, false)));
	ks__vmalloc_trim();
	char *p = ks__vmalloc_alloc(6 << 20, 0, false);
	REQUIRE(p != NULL);
	memset(p, 0x77, 6 << 20);
	CHECK(ks__vmalloc_free(p));
	CHECK_EQ(ks__vmalloc_lazy(), 6u << 20);
	CHECK_EQ(ks__vmalloc_check(), 0);
	char *q = ks__vmalloc_alloc(6 << 20, 0, true);   /* same size, zeroed */
	CHECK(q == p);
	CHECK_EQ(ks__vmalloc_lazy(), 0);
	for (size_t i = 0; i < (6u << 20); i += 4096)
		if (q[i]) {
			CHECK_EQ(q[i], 0);
			break;
		}
	memset(q, 0x33, 6 << 20);
	CHECK(ks__vmalloc_free(q));
	/* larger: the area grows (mremap keeps its pages) */
	char *r = ks__vmalloc_alloc(9 << 20, 0, false);
	REQUIRE(r != NULL);
	CHECK_EQ(r[0], 0x33);                       /* not cleared: not asked */
	CHECK_EQ(r[(9 << 20) - 1], 0);              /* the new part is fresh */
	CHECK_EQ(ks__vmalloc_lazy(), 0);
	CHECK(ks__vmalloc_free(r));
	/* much smaller: split, the tail stays lazy */
	char *s = ks__vmalloc_alloc(2 << 20, 0, false);
	CHECK(s == r);
	CHECK_EQ(ks__vmalloc_lazy(), 7u << 20);
	CHECK_EQ(ks__vmalloc_check(), 0);
	CHECK(ks__vmalloc_free(s));                 /* merged with its tail */
	CHECK_EQ(ks__vmalloc_lazy(), 9u << 20);
	CHECK_EQ(ks__vmalloc_check(), 0);
	CHECK_EQ(ks__vmalloc_trim(), 9u << 20);
	CHECK_EQ(ks__vmalloc_lazy(), 0);
	/* 32 MiB and more is never kept */
	char *big = ks__vmalloc_alloc(32 << 20, 0, false);
	REQUIRE(big != NULL);
	CHECK(ks__vmalloc_free(big));
	CHECK_EQ(ks__vmalloc_lazy(), 0);
	CHECK_EQ(ks__vmalloc_check(), 0);
}

/* A page-path block that realloc grows past the page path moves to a
 * mapping of its own without a copy: its contents come along, and the
 * pages it leaves in its section are mapped anew, fresh and free, for the
 * next page-path block. */
static void t_adopt(void)
{
	ks_boot();
	if (ks__opt.redzone || ks__opt.thp || ks__opt.poison)
		SKIP("red zones, poison and huge pages keep page-path blocks in place "
		     "(KSLAB_OPTIONS=%s)", getenv("KSLAB_OPTIONS"));
	size_t size = (3u << 20) + 123;
	unsigned char *p = ks__kmalloc(size, 0), *q;
	REQUIRE(p != NULL);
	REQUIRE(ks_is_ours(p) && ks_virt_to_page(p)->kind == KS_PG_LARGE);
	for (size_t i = 0; i < size; i += 512)
		p[i] = (unsigned char)(i >> 9 | 1);
	size_t vm_before = ks__vmalloc_count();
	q = ks__krealloc(p, 9u << 20, 0);
	REQUIRE(q != NULL);
	CHECK(q != p && !ks_is_ours(q));
	CHECK_EQ(ks__vmalloc_count(), vm_before + 1);
	CHECK(ks__vmalloc_usable(q) >= (9u << 20));
	for (size_t i = 0; i < size; i += 512)
		if (q[i] != (unsigned char)(i >> 9 | 1))
			CHECK_MSG(0, "byte %zu lost in the move", i);
	memset(q + size, 0x5a, (9u << 20) - size);
	CHECK(ks_virt_to_page(p)->kind != KS_PG_LARGE);  /* given back */
	CHECK_EQ(p[0], 0);                /* mapped anew: reads as zero */
	CHECK_EQ(ks__buddy_check(), 0);
	CHECK_EQ(ks__vmalloc_check(), 0);
	/* the pages serve page-path blocks again */
	unsigned char *r[4];
	for (int i = 0; i < 4; i++) {
		REQUIRE((r[i] = ks__kmalloc(3u << 20, 0)) != NULL);
		memset(r[i], i + 1, 3u << 20);
	}
	for (int i = 0; i < 4; i++)
		ks__kfree(r[i]);
	ks__kfree(q);
	CHECK_EQ(ks__vmalloc_count(), vm_before);
	CHECK_EQ(ks__buddy_check(), 0);
}

static const struct harness_case cases[] = {
	{ "adopt", t_adopt },
	{ "alloc_free", t_alloc_free },
	{ "table_growth", t_table_growth },
	{ "realloc", t_realloc },
	{ "aligned", t_aligned },
	{ "os", t_os },
	{ "lazy", t_lazy },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
