// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_buddy.c - the zoned buddy allocator and the page API against a
 * model: a randomized run of allocations and frees of every order, with
 * ks__buddy_check() after every step, a shadow map that catches a page
 * handed out twice, and at the end every page accounted for and every
 * block coalesced back to the layout a fresh section has.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "arena.h"
#include "buddy.h"
#include "page_alloc.h"
#include "init.h"
#include "os.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

struct block { struct ks_page *pg; unsigned order; };

static size_t snapshot(size_t nr_free[KS_NR_ORDERS])
{
	struct ks_zone *z = &ks__zones[KS_ZONE_NORMAL];
	ks_lock(&z->lock);
	for (unsigned o = 0; o < KS_NR_ORDERS; o++)
		nr_free[o] = z->nr_free[o];
	/* blocks a section has not put on the lists yet are max-order ones */
	nr_free[KS_MAX_ORDER] += z->deferred_pages >> KS_MAX_ORDER;
	size_t free_pages = z->free_pages;
	ks_unlock(&z->lock);
	return free_pages;
}

/* One byte per page of the first sections: 1 while handed out. */
/* The shadow byte of PG: a row of KS_SECTION_PAGES bytes per section,
 * the sections numbered as they are first met (wherever the kernel, or
 * valgrind, put them). */
enum { SHADOW_SECTIONS = 16 };
static uintptr_t shadow_bases[SHADOW_SECTIONS];

static unsigned char *shadow_of(struct ks_page *pg, unsigned char *shadow)
{
	uintptr_t base = ks_section_base(pg);
	unsigned i = 0;

	while (i < SHADOW_SECTIONS && shadow_bases[i] && shadow_bases[i] != base)
		i++;
	REQUIRE(i < SHADOW_SECTIONS);
	shadow_bases[i] = base;
	return shadow + (size_t)i * KS_SECTION_PAGES + ks_page_pfn(pg);
}

static void t_random_model(void)
{
	enum { NBLOCKS = 600, STEPS = 6000 };
	static struct block live[NBLOCKS];
	size_t nlive = 0, before[KS_NR_ORDERS], after[KS_NR_ORDERS];
	unsigned seed = 12345;
	const size_t span = SHADOW_SECTIONS * KS_SECTION_PAGES;
	unsigned char *shadow = calloc(span, 1);

	ks_boot();
	/* warm: make sure one section exists so the snapshot is meaningful */
	struct ks_page *first = ks__pages_alloc(0, 0);
	REQUIRE(first != NULL);
	ks__pages_free(first, 0);
	size_t free0 = snapshot(before);
	REQUIRE(ks__buddy_check() == 0);

	for (int step = 0; step < STEPS; step++) {
		seed = seed * 1103515245u + 12345u;
		bool do_alloc = nlive == 0 || (nlive < NBLOCKS && (seed >> 16) % 3 != 0);
		if (do_alloc) {
			unsigned order = (seed >> 8) % (KS_MAX_ORDER + 1);
			if (order > 6 && (seed >> 20) % 4)
				order -= 5;         /* mostly small blocks */
			struct ks_page *pg = ks__pages_alloc(0, order);
			REQUIRE(pg != NULL);
			CHECK_EQ(ks_page_pfn(pg) & ((1ul << order) - 1), 0);
			CHECK_PTR_ALIGNED(ks_page_address(pg), KS_PAGE_SIZE << order);
			for (size_t i = 0; i < (1ul << order); i++) {
				unsigned char *s = shadow_of(pg + i, shadow);
				CHECK_EQ(*s, 0);       /* never handed out twice */
				*s = 1;
			}
			pg->kind = KS_PG_PAGES;
			live[nlive].pg = pg;
			live[nlive].order = order;
			nlive++;
		} else {
			size_t k = (seed >> 12) % nlive;
			struct block b = live[k];
			live[k] = live[--nlive];
			for (size_t i = 0; i < (1ul << b.order); i++)
				*shadow_of(b.pg + i, shadow) = 0;
			ks__pages_free(b.pg, b.order);
		}
		if (step % 50 == 0)
			CHECK_EQ(ks__buddy_check(), 0);
	}
	while (nlive) {
		struct block b = live[--nlive];
		ks__pages_free(b.pg, b.order);
	}
	CHECK_EQ(ks__buddy_check(), 0);
	/* new sections may have been added: compare per-section layout */
	size_t free1 = snapshot(after);
	struct ks_zone *z = &ks__zones[KS_ZONE_NORMAL];
	CHECK_EQ(free1, z->managed_pages);          /* every page is back */
	size_t nsec = z->managed_pages / (KS_SECTION_PAGES - KS_SECTION_RESERVED);
	size_t nsec0 = free0 / (KS_SECTION_PAGES - KS_SECTION_RESERVED);
	for (unsigned o = 0; o < KS_NR_ORDERS; o++)  /* fully coalesced */
		CHECK_EQ(after[o] * nsec0, before[o] * nsec);
	free(shadow);
}

/* Spans against the same kind of model: exact large blocks of 1 to 1024
 * pages, which shrink and grow in place, beside power-of-two slab-type
 * blocks, with purges between; ks__buddy_check() (spans merged, marked
 * and counted) as it goes, a shadow map against a page handed out twice,
 * and at the end every page back and no span left but those below a
 * section's first max-order boundary, which make no whole block. */
static void t_span_model(void)
{
	enum { NBLOCKS = 400, STEPS = 5000 };
	static struct { struct ks_page *pg; size_t nr; bool exact; } live[NBLOCKS];
	size_t nlive = 0, most_spans = 0, grown = 0, shrunk = 0;
	unsigned seed = 777;
	unsigned char *shadow = calloc(SHADOW_SECTIONS * KS_SECTION_PAGES, 1);
	struct ks_zone *z = &ks__zones[KS_ZONE_NORMAL];

	ks_boot();
	for (int step = 0; step < STEPS; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 8;
		if (nlive == 0 || (nlive < NBLOCKS && r % 3 != 0)) {
			bool exact = r % 4 != 0;
			size_t nr = exact ? 1 + (r >> 4) % ((r >> 14) % 8 ? 200 : 1024)
					  : 1ul << ((r >> 4) % 6);
			struct ks_page *pg = exact ?
				ks__pages_alloc_exact(0, nr, 0, KS_PG_LARGE) :
				ks__pages_alloc(0, ks_log2_floor(nr));
			REQUIRE(pg != NULL);
			for (size_t i = 0; i < nr; i++) {
				unsigned char *sh = shadow_of(pg + i, shadow);
				CHECK_EQ(*sh, 0);
				*sh = 1;
			}
			if (!exact)
				pg->kind = KS_PG_PAGES;
			live[nlive].pg = pg;
			live[nlive].nr = nr;
			live[nlive++].exact = exact;
		} else {
			size_t k = (r >> 4) % nlive;
			struct ks_page *pg = live[k].pg;
			size_t nr = live[k].nr, want = 1 + (r >> 12) % (nr + 64);
			if (live[k].exact && r % 5 == 0 && want < nr) {
				for (size_t i = want; i < nr; i++)
					*shadow_of(pg + i, shadow) = 0;
				ks__pages_shrink_exact(pg, want);
				live[k].nr = want;
				shrunk++;
			} else if (live[k].exact && r % 5 == 1 && want > nr) {
				if (ks__pages_grow_exact(pg, want)) {
					for (size_t i = nr; i < want; i++) {
						unsigned char *sh = shadow_of(pg + i, shadow);
						CHECK_EQ(*sh, 0);
						*sh = 1;
					}
					live[k].nr = want;
					grown++;
				}
			} else {
				for (size_t i = 0; i < nr; i++)
					*shadow_of(pg + i, shadow) = 0;
				if (live[k].exact)
					ks__pages_free_exact(pg, nr);
				else
					ks__pages_free(pg, ks_log2_floor(nr));
				live[k] = live[--nlive];
			}
		}
		if (step % 700 == 0)
			ks__buddy_purge(UINT64_MAX, 0, false);
		if (z->nr_spans > most_spans)
			most_spans = z->nr_spans;
		if (step % 25 == 0)
			CHECK_EQ(ks__buddy_check(), 0);
	}
	while (nlive--) {
		if (live[nlive].exact)
			ks__pages_free_exact(live[nlive].pg, live[nlive].nr);
		else
			ks__pages_free(live[nlive].pg, ks_log2_floor(live[nlive].nr));
	}
	CHECK_EQ(ks__buddy_check(), 0);
	CHECK_EQ(z->free_pages, z->managed_pages);
	size_t nsec = z->managed_pages / (KS_SECTION_PAGES - KS_SECTION_RESERVED);
	CHECK_LE(z->nr_spans, nsec);
	CHECK(most_spans >= 20 && grown >= 20 && shrunk >= 20);   /* it did exercise them */
	fprintf(stderr, "span_model: up to %zu spans, %zu grown, %zu shrunk\n",
		most_spans, grown, shrunk);
	CHECK_LE(z->span_pages, nsec * ((1ul << KS_MAX_ORDER) - KS_SECTION_RESERVED));
	free(shadow);
}

static void t_split_and_merge(void)
{
	ks_boot();
	struct ks_page *a = ks__pages_alloc(0, 0);
	REQUIRE(a != NULL);
	size_t pfn = ks_page_pfn(a);
	struct ks_page *buddy = a - pfn + (pfn ^ 1);
	/* a's buddy is free (the split left it) or in use by someone else */
	if (buddy->kind == KS_PG_BUDDY) {
		CHECK_EQ(buddy->order, 0);
		ks__pages_free(a, 0);
		CHECK(buddy->kind != KS_PG_BUDDY || buddy->order != 0);  /* merged */
	} else {
		ks__pages_free(a, 0);
	}
	CHECK_EQ(ks__buddy_check(), 0);
}

static void t_exact(void)
{
	ks_boot();
	ks__pages_free(ks__pages_alloc(0, 0), 0);      /* a section exists */
	size_t free0 = ks__zones[KS_ZONE_NORMAL].free_pages;
	struct ks_page *pg = ks__pages_alloc_exact(0, 5, 0, KS_PG_PAGES);
	REQUIRE(pg != NULL);
	CHECK_EQ(ks__zones[KS_ZONE_NORMAL].free_pages + 5, free0);   /* 5, not 8 */
	CHECK_EQ(pg->nr_pages, 5);
	/* tails are not written, but none of them reads as a head or a
	 * slab page that free() would take */
	for (int i = 1; i < 5; i++) {
		CHECK(pg[i].kind == KS_PG_NONE || pg[i].kind == KS_PG_TAIL);
		CHECK_EQ(pg[i].cc_off, 0);
	}
	ks__pages_shrink_exact(pg, 3);
	CHECK_EQ(ks__zones[KS_ZONE_NORMAL].free_pages + 3, free0);
	if (ks__pages_grow_exact(pg, 7))
		CHECK_EQ(ks__zones[KS_ZONE_NORMAL].free_pages + 7, free0);
	ks__pages_free_exact(pg, pg->nr_pages);
	CHECK_EQ(ks__zones[KS_ZONE_NORMAL].free_pages, free0);
	CHECK_EQ(ks__buddy_check(), 0);
}

/* Spans: the free pages of LARGE pageblocks are kept as whole runs.  A
 * range freed becomes one span, merged with the spans on either side; an
 * exact block with no alignment is cut from the start of a span (the
 * newest of its length first); a span that covers an aligned max-order
 * block gives it back to the buddy lists; a purge leaves spans merged. */
static void t_spans(void)
{
	struct ks_zone *z = &ks__zones[KS_ZONE_NORMAL];
	ks_boot();
	struct ks_page *pg = ks__pages_alloc(KS__GFP_LARGE, 4);   /* grows the zone */
	REQUIRE(pg != NULL);
	size_t free0 = z->free_pages;
	ks__buddy_free_range(pg + 2, 4, false);     /* pages 2..5 */
	ks__buddy_free_range(pg + 8, 4, false);     /* pages 8..11 */
	CHECK_EQ(pg[2].kind, KS_PG_SPAN);
	CHECK_EQ(pg[2].span_len, 4);
	CHECK_EQ(pg[8].kind, KS_PG_SPAN);
	CHECK_EQ(ks__buddy_check(), 0);
	ks__buddy_free_range(pg + 6, 2, false);     /* fills the gap: one span */
	CHECK_EQ(z->free_pages, free0 + 10);
	CHECK_EQ(pg[2].kind, KS_PG_SPAN);
	CHECK_EQ(pg[2].span_len, 10);
	CHECK(pg[6].kind != KS_PG_SPAN && pg[8].kind != KS_PG_SPAN);
	CHECK_EQ(ks__buddy_check(), 0);
	/* the newest span of 10 pages: this one, cut whole */
	struct ks_page *run = ks__buddy_alloc(z, 4, KS_MT_LARGE, 10, true, 4);
	CHECK(run == pg + 2);
	CHECK_EQ(z->free_pages, free0);
	CHECK_EQ(ks__buddy_check(), 0);
	/* a block grows in place into the span after it, from its start */
	ks__buddy_free_range(pg + 5, 7, false);     /* run is pages 2..4 now */
	CHECK(ks__buddy_claim_range(pg + 5, 3));
	CHECK_EQ(pg[8].kind, KS_PG_SPAN);
	CHECK_EQ(pg[8].span_len, 4);
	CHECK(!ks__buddy_claim_range(pg + 8, 5));   /* page 12 is in use */
	CHECK_EQ(pg[8].span_len, 4);
	CHECK_EQ(ks__buddy_check(), 0);
	ks__buddy_free_range(pg, 2, false);
	ks__buddy_free_range(pg + 2, 6, false);
	ks__buddy_free_range(pg + 12, 4, false);
	CHECK_EQ(ks__buddy_check(), 0);
	/* aligned requests never come from a span */
	struct ks_page *al = ks__buddy_alloc(z, 4, KS_MT_LARGE, 9, false, 4);
	REQUIRE(al != NULL);
	CHECK_EQ(ks_page_pfn(al) & 15, 0);
	ks__buddy_free_range(al, 9, false);
	CHECK_EQ(ks__buddy_check(), 0);
	/* two halves of a max-order block freed: a buddy block again */
	struct ks_page *big = ks__pages_alloc(KS__GFP_LARGE, KS_MAX_ORDER);
	REQUIRE(big != NULL);
	const size_t half = 1ul << (KS_MAX_ORDER - 1);
	ks__buddy_free_range(big, half, false);
	CHECK_EQ(big->kind, KS_PG_SPAN);
	ks__buddy_free_range(big + half, half, false);
	CHECK_EQ(big->kind, KS_PG_BUDDY);
	CHECK_EQ(big->order, KS_MAX_ORDER);
	CHECK_EQ(ks__buddy_check(), 0);
	/* a purge keeps spans whole, and marks them purged and clean */
	struct ks_page *a = ks__pages_alloc_exact(0 | KS__GFP_LARGE, 40, 0, KS_PG_LARGE);
	REQUIRE(a != NULL);
	struct ks_page *b = ks__pages_alloc_exact(0 | KS__GFP_LARGE, 40, 0, KS_PG_LARGE);
	REQUIRE(b != NULL);
	ks__pages_free_exact(a, 40);
	ks__buddy_purge(UINT64_MAX, 0, false);
	CHECK_EQ(ks__buddy_check(), 0);
	CHECK_EQ(z->dirty_pages, 0);
	struct ks_page *c = ks__pages_alloc_exact(KS_GFP_ZERO | KS__GFP_LARGE, 40, 0,
						  KS_PG_LARGE);
	REQUIRE(c != NULL);
	const unsigned char *bytes = ks_page_address(c);
	size_t nonzero = 0;
	for (size_t i = 0; i < 40 * KS_PAGE_SIZE; i++)
		nonzero += bytes[i] != 0;
	CHECK_EQ(nonzero, 0);
	ks__pages_free_exact(c, 40);
	ks__pages_free_exact(b, 40);
	CHECK_EQ(ks__buddy_check(), 0);
}

/* When no buddy block of the order is left anywhere, a slab-type
 * allocation takes an aligned block out of a span (span_steal). */
static void t_span_steal(void)
{
	enum { HOLD = 4096 };
	static struct ks_page *held[HOLD];
	const unsigned order = KS_PAGEBLOCK_ORDER;
	const size_t top = 1ul << KS_MAX_ORDER;
	size_t n = 0;
	ks_boot();
	/* a page, then the 1023 pages to be the span, then a page in use
	 * (taken here if it is free) or the section's end */
	struct ks_page *blk = ks__pages_alloc_exact(0, top, 0, KS_PG_LARGE);
	REQUIRE(blk != NULL);
	bool guard = ks_page_pfn(blk) + top < KS_SECTION_PAGES &&
		     ks__buddy_claim_range(blk + top, 1);
	struct ks_page *pg;
	while (n < HOLD && (pg = ks__pages_alloc(KS_GFP_NOWAIT, order)) != NULL)
		held[n++] = pg;                 /* every block of the order */
	REQUIRE(n < HOLD);
	/* 1023 free pages between used ones: no whole max-order block, but
	 * an aligned block of the order somewhere inside */
	ks__buddy_free_range(blk + 1, top - 1, false);
	CHECK_EQ(blk[1].kind, KS_PG_SPAN);
	CHECK_EQ(ks__buddy_check(), 0);
	struct ks_page *stolen = ks__pages_alloc(KS_GFP_NOWAIT, order);
	REQUIRE(stolen != NULL);
	CHECK(stolen > blk && stolen + (1ul << order) <= blk + top);
	CHECK_EQ(ks_page_pfn(stolen) & ((1ul << order) - 1), 0);
	CHECK_EQ(ks__buddy_check(), 0);
	ks__pages_free(stolen, order);
	while (n)
		ks__pages_free(held[--n], order);
	ks__buddy_free_range(blk, 1, false);
	if (guard)
		ks__buddy_free_range(blk + top, 1, false);
	CHECK_EQ(ks__buddy_check(), 0);
}

static void t_dma32(void)
{
	ks_boot();
	struct ks_page *pg = ks__pages_alloc(KS_GFP_DMA32, 2);
	REQUIRE(pg != NULL);
	CHECK((uintptr_t)ks_page_address(pg) + (KS_PAGE_SIZE << 2) <= (1ull << 32));
	CHECK_EQ(ks_page_section(pg)->zone, KS_ZONE_DMA32);
	/* NORMAL allocations stay out of DMA32 while NORMAL can grow */
	struct ks_page *n = ks__pages_alloc(0, 2);
	REQUIRE(n != NULL);
	CHECK_EQ(ks_page_section(n)->zone, KS_ZONE_NORMAL);
	ks__pages_free(pg, 2);
	ks__pages_free(n, 2);
	CHECK_EQ(ks__buddy_check(), 0);
}

static void t_zeroed_and_purge(void)
{
	ks_boot();
	struct ks_page *pg = ks__pages_alloc(0, 3);
	REQUIRE(pg != NULL);
	memset(ks_page_address(pg), 0xab, KS_PAGE_SIZE << 3);
	ks__pages_free(pg, 3);
	struct ks_page *z = ks__pages_alloc(KS_GFP_ZERO, 3);
	REQUIRE(z != NULL);
	unsigned char *p = ks_page_address(z);
	size_t nonzero = 0;
	for (size_t i = 0; i < (KS_PAGE_SIZE << 3); i++)
		nonzero += p[i] != 0;
	CHECK_EQ(nonzero, 0);
	memset(p, 0xcd, KS_PAGE_SIZE << 3);
	ks__pages_free(z, 3);
	CHECK(ks__buddy_purge(UINT64_MAX, 0, false) > 0);
	CHECK_EQ(ks__buddy_check(), 0);
}

static void t_arena(void)
{
	ks_boot();
	struct ks_page *pg = ks__pages_alloc(0, 0);
	REQUIRE(pg != NULL);
	void *addr = ks_page_address(pg);
	CHECK(ks_is_ours(addr));
	CHECK(ks_is_ours((char *)addr + 100));
	CHECK(ks_virt_to_page((char *)addr + 4000) == pg);
	CHECK(!ks_is_ours(&pg));        /* the stack */
	CHECK(!ks_is_ours(NULL));
	CHECK(!ks_is_ours((void *)~0ul));
	CHECK_EQ(ks__arena_check(), 0);
	ks__pages_free(pg, 0);
}

/* The heap window: free()'s one test says yes to every 16-byte-aligned
 * address of a section carved from it and no to everything else, and the
 * section map agrees wherever the window says yes. */
static void t_window(void)
{
	ks_boot();
	struct ks_page *pg = ks__pages_alloc(0, 2);
	REQUIRE(pg != NULL);
	char *addr = ks_page_address(pg);
	if (!ks_in_heap_window(addr)) {
		ks__pages_free(pg, 2);
		SKIP("no heap window in this process (RLIMIT_AS %zu)", ks__os_space_limit());
	}
	CHECK(ks_in_heap_window(addr + 16));
	CHECK(ks_in_heap_window(addr + 4 * KS_PAGE_SIZE - 16));
	for (unsigned off = 1; off < 16; off++)
		CHECK(!ks_in_heap_window(addr + off));
	CHECK(!ks_in_heap_window(addr + 8));
	CHECK(!ks_in_heap_window(&pg));            /* the stack */
	CHECK(!ks_in_heap_window(NULL));
	CHECK(!ks_in_heap_window((void *)16));
	CHECK(!ks_in_heap_window((void *)~0ul));
	CHECK(!ks_in_heap_window((void *)~15ul));
	void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(m != MAP_FAILED);
	CHECK(!ks_in_heap_window(m));              /* anyone else's mapping */
	munmap(m, 1 << 20);
	/* the window holds the section, aligned: the base is the section's
	 * window start, and the map knows every section it holds */
	CHECK_EQ((uintptr_t)addr & ks__window_mask & ~(uintptr_t)15, ks__window_base);
	CHECK(ks_is_ours(addr));
	ks__pages_free(pg, 2);
}

/* An address-space limit set after the window was reserved, below its
 * size: the window shrinks to its carved sections, whose addresses keep
 * the fast test; the next section comes from elsewhere, found by the map
 * only; every block still goes back.  In a child (the limit stays). */
static void window_limit_child(void *arg)
{
	enum { MAX = 64 };
	struct ks_page *blocks[MAX];
	size_t carved, before, after, n = 0, nsec;
	struct rlimit rl;
	char *first;

	(void)arg;
	blocks[n++] = ks__pages_alloc(0, 0);
	if (!blocks[0])
		_exit(10);
	first = ks_page_address(blocks[0]);
	if (!ks_in_heap_window(first))
		_exit(77);                        /* no window here */
	before = ks__arena_window(&carved);
	/* what the process maps besides the window, plus 512 MiB: below the
	 * window's size, unless something else (a sanitizer's shadow) maps
	 * terabytes, and then there is nothing to test */
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;
	if (!f || fscanf(f, "%lu", &pages) != 1)
		_exit(10);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * 4096 - before + (512ul << 20);
	if (rl.rlim_cur >= before)
		_exit(77);
	if (setrlimit(RLIMIT_AS, &rl) != 0)
		_exit(11);
	nsec = ks__arena_nr_sections();
	while (ks__arena_nr_sections() == nsec && n < MAX)   /* a section more */
		if (!(blocks[n++] = ks__pages_alloc(0, KS_MAX_ORDER)))
			_exit(12);
	after = ks__arena_window(&carved);
	if (ks__arena_nr_sections() == nsec || after >= before || after < carved)
		_exit(13);
	if (!ks_in_heap_window(first) || !ks_in_heap_window(first + 4096))
		_exit(14);                        /* carved: still fast */
	char *last = ks_page_address(blocks[n - 1]);
	if (!ks_is_ours(last) || ((uintptr_t)last - (uintptr_t)first < after &&
				  !ks_in_heap_window(last)))
		_exit(15);
	ks__pages_free(blocks[0], 0);
	for (size_t i = 1; i < n; i++)
		ks__pages_free(blocks[i], KS_MAX_ORDER);
	_exit(ks__buddy_check() == 0 && ks__arena_check() == 0 ? 0 : 16);
}

static void t_window_limit(void)
{
	struct harness_child ch;
	char how[64];

	ks_boot();
	REQUIRE(harness_run_child(window_limit_child, NULL, 60, &ch));
	if (WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 77)
		SKIP("no heap window in this process, or it maps terabytes besides");
	CHECK_MSG(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0,
		  "a late RLIMIT_AS: %s", harness_child_end(&ch, how, sizeof(how)));
}

static unsigned pb_type_of(struct ks_page *pg)
{
	struct ks_page *base = (struct ks_page *)ks_section_base(pg);
	return base[ks_page_pfn(pg) & ~((1ul << KS_PAGEBLOCK_ORDER) - 1)].pb_type;
}

static void t_grouping(void)
{
	ks_boot();
	struct ks_page *small[64], *large[16];
	for (int i = 0; i < 64; i++) {
		small[i] = ks__pages_alloc(0, 0);
		REQUIRE(small[i] != NULL);
		small[i]->kind = KS_PG_PAGES;
	}
	for (int i = 0; i < 16; i++) {
		large[i] = ks__pages_alloc(KS__GFP_LARGE, 4);
		REQUIRE(large[i] != NULL);
		large[i]->kind = KS_PG_PAGES;
	}
	/* slab-type and large-type pages never share a pageblock */
	for (int i = 0; i < 64; i++) {
		CHECK_EQ(pb_type_of(small[i]), KS_MT_SLAB);
		for (int j = 0; j < 16; j++)
			CHECK((ks_page_pfn(small[i]) >> KS_PAGEBLOCK_ORDER) !=
			      (ks_page_pfn(large[j]) >> KS_PAGEBLOCK_ORDER) ||
			      ks_section_base(small[i]) != ks_section_base(large[j]));
	}
	for (int j = 0; j < 16; j++)
		CHECK_EQ(pb_type_of(large[j]), KS_MT_LARGE);
	CHECK_EQ(ks__buddy_check(), 0);
	for (int i = 0; i < 64; i++)
		ks__pages_free(small[i], 0);
	for (int j = 0; j < 16; j++)
		ks__pages_free(large[j], 4);
	CHECK_EQ(ks__buddy_check(), 0);
}

/* A section's max-order blocks reach the lists one at a time, when an
 * allocation finds none; a claim of a page not on a list yet populates
 * up to it.  Their descriptors stay untouched (not resident) till then. */
static void t_deferred(void)
{
	struct ks_zone *z = &ks__zones[KS_ZONE_NORMAL];
	struct ks_page *taken[64];
	size_t ntaken = 0;
	ks_boot();
	ks__pages_free(ks__pages_alloc(0, 0), 0);      /* a section exists */
	REQUIRE(z->deferred_pages > (4ul << KS_MAX_ORDER));
	/* empty the lists of max-order blocks: the next one is populated */
	ks_lock(&z->lock);
	size_t listed = z->nr_free[KS_MAX_ORDER];
	ks_unlock(&z->lock);
	REQUIRE(listed < KS_ARRAY_SIZE(taken) - 2);
	for (size_t i = 0; i < listed; i++)
		REQUIRE((taken[ntaken++] = ks__pages_alloc(0, KS_MAX_ORDER)) != NULL);
	size_t deferred0 = z->deferred_pages;
	struct ks_page *fresh = ks__pages_alloc(0, KS_MAX_ORDER);
	REQUIRE(fresh != NULL);
	taken[ntaken++] = fresh;
	CHECK_EQ(z->deferred_pages, deferred0 - (1ul << KS_MAX_ORDER));
	struct ks_section *sec = ks_page_section(fresh);
	CHECK_EQ(ks_page_pfn(fresh), sec->next_pfn - (1ul << KS_MAX_ORDER));
	CHECK_EQ(ks__buddy_check(), 0);
	/* the descriptor page of a block three blocks on is not resident */
	struct ks_page *far = (struct ks_page *)sec->base + sec->next_pfn +
			      (3ul << KS_MAX_ORDER);
	uintptr_t dpage = (uintptr_t)far & ~(uintptr_t)(ks__os_page_size - 1);
	unsigned char vec = 0;
	if (ks_page_pfn(far) < KS_SECTION_PAGES &&
	    mincore((void *)dpage, ks__os_page_size, &vec) == 0)
		CHECK_EQ(vec & 1, 0);
	/* claim a page past next_pfn: populated up to it, then handed out */
	if (ks_page_pfn(far) < KS_SECTION_PAGES) {
		unsigned next0 = sec->next_pfn;
		CHECK(ks__buddy_claim_range(far + 5, 1));
		CHECK_EQ(sec->next_pfn, next0 + (4u << KS_MAX_ORDER));
		CHECK_EQ(ks__buddy_check(), 0);
		(far + 5)->kind = KS_PG_PAGES;
		ks__pages_free(far + 5, 0);
	}
	while (ntaken)
		ks__pages_free(taken[--ntaken], KS_MAX_ORDER);
	CHECK_EQ(ks__buddy_check(), 0);
}


/* A batch: a hole (a free block smaller than the most asked for) is taken
 * as it is; when a larger block has to be split, up to 2^up_to pages of it
 * come out in one piece, and its pages go back one by one. */
static void t_batch(void)
{
	static struct ks_page *held[4096];
	size_t n = 0;
	ks_boot();
	ks__pages_free(ks__pages_alloc(0, 0), 0);      /* a section exists */
	size_t free0 = ks__zones[KS_ZONE_NORMAL].free_pages;
	struct ks_page *pg;
	/* take the holes until a block is split: then it comes whole */
	for (;;) {
		REQUIRE(n < KS_ARRAY_SIZE(held));
		pg = held[n++] = ks__pages_alloc_batch(0, 0, 3);
		REQUIRE(pg != NULL);
		CHECK_LE(pg->order, 3);
		CHECK_EQ(ks_page_pfn(pg) & ((1ul << pg->order) - 1), 0);
		if (pg->order == 3)
			break;
	}
	for (size_t i = 0; i < 8; i++)                  /* none of it is free */
		CHECK(pg[i].kind != KS_PG_BUDDY);
	CHECK_EQ(ks__buddy_check(), 0);
	/* a page of it freed alone is a hole: the next batch is that page */
	ks__pages_free(pg + 5, 0);
	struct ks_page *hole = ks__pages_alloc_batch(0, 0, 3);
	CHECK(hole == pg + 5);
	CHECK_EQ(hole->order, 0);
	/* the pages of a batch go back in pieces, and merge */
	ks__pages_free(pg, 0);
	ks__pages_free_run(pg + 1, 4);
	ks__pages_free(hole, 0);
	ks__pages_free_run(pg + 6, 2);
	while (n-- > 1)
		ks__pages_free(held[n - 1], held[n - 1]->order);
	CHECK_EQ(ks__buddy_check(), 0);
	CHECK_EQ(ks__zones[KS_ZONE_NORMAL].free_pages, free0);
	/* up_to no larger than order: an ordinary block */
	pg = ks__pages_alloc_batch(0, 2, 2);
	REQUIRE(pg != NULL);
	CHECK_EQ(pg->order, 2);
	ks__pages_free(pg, 2);
	CHECK_EQ(ks__buddy_check(), 0);
}

static const struct harness_case cases[] = {
	{ "deferred", t_deferred },
	{ "grouping", t_grouping },
	{ "random_model", t_random_model },
	{ "span_model", t_span_model },
	{ "split_and_merge", t_split_and_merge },
	{ "exact", t_exact },
	{ "spans", t_spans },
	{ "span_steal", t_span_steal },
	{ "batch", t_batch },
	{ "dma32", t_dma32 },
	{ "zeroed_and_purge", t_zeroed_and_purge },
	{ "arena", t_arena },
	{ "window", t_window },
	{ "window_limit", t_window_limit },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
