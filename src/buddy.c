// SPDX-License-Identifier: BSD-2-Clause
/*
 * buddy.c - zones and the binary buddy allocator (mm/page_alloc.c's core).
 *
 * Structures.  Each zone keeps free_area[type][order][purged], lists of the free blocks
 * of 2^order pages for order 0..KS_MAX_ORDER.  A free block is known by its
 * head descriptor: kind KS_PG_BUDDY and its order; the other pages of the
 * block are KS_PG_NONE.  Blocks are naturally aligned within their section,
 * and since a section is aligned to 64 MiB, a block of 2^order pages is
 * aligned to 2^order * KS_PAGE_SIZE in the address space too: the page
 * API and the slab layer rely on that.
 *
 * Split and merge.  Allocation takes the first block of the smallest order
 * that has one, still resident if any is (splitting a resident block costs
 * nothing, faulting a purged one in costs a fault a page), and splits it,
 * putting the upper halves back on the lists below (expand() in the
 * kernel).  An exact block with no alignment to keep (a large malloc
 * block) is first looked for as a run of free blocks (see "runs" below),
 * best fit, which is what keeps a heap of mixed large sizes from needing
 * twice its live bytes.  Freeing looks at the buddy, pfn ^ (1 <<
 * order): while it is a free block of the same order, the two merge and the
 * walk goes up.  Reserved pages (the descriptor array) never read as free,
 * so no merge crosses into them.
 *
 * Grouping pages.  As the kernel groups pages by mobility, kslab groups
 * them by use: each 2 MiB pageblock is typed SLAB or LARGE, and each zone
 * keeps free lists per type and order.  Slabs take blocks from SLAB
 * pageblocks, large malloc blocks from LARGE ones; only when its own type
 * has nothing does an allocation fall back to the other type, and then it
 * takes the largest block there is (claiming whole pageblocks for its type
 * when the block is half a pageblock or more), as __rmqueue_fallback does.
 * Without this, exact-size large blocks leave small tails that slabs take,
 * and a slab with one live object fences off a region a large block needs:
 * free memory ends up in pieces too small to reuse, and RSS creeps.
 *
 * Zones.  DMA32 holds sections below 4 GiB, NORMAL the rest.  The page
 * allocator (page_alloc.c) chooses the zone and grows it; this file only
 * manages what a zone has.
 *
 * Deferred population.  A new section's max-order blocks are not put on
 * the lists at once but one at a time, when an allocation finds nothing
 * on its own type's lists (the kernel's deferred struct page init): a
 * free block is known by its head descriptor, and writing the heads and
 * pageblock types of a whole 64 MiB section would make 30-odd descriptor
 * pages resident (120 KiB) in a program that uses a few pages.  Pages
 * not yet on a list count as free (free_pages, deferred_pages), clean and
 * purged.
 *
 * Purging also hands back the descriptor pages of a free block's tail
 * pages (all but the page holding the head's descriptor): a zeroed
 * descriptor says KS_PG_NONE, which is what a free block's tail must say,
 * so the 1.6% of metadata falls back with the memory it describes.
 *
 * Clean and purged blocks.  A block's head carries KS_PF_CLEAN when every
 * byte reads as zero (fresh from mmap, or purged with MADV_DONTNEED), so
 * calloc and get_zeroed_page can skip the memset.  A merge keeps CLEAN only
 * if both halves had it.  Purging (the decay in page_alloc.c, and malloc_trim)
 * walks the free lists and madvises dirty blocks that have been free longer
 * than the decay time, oldest first by their free_stamp, keeping the
 * zone's high watermark of dirty pages warm so that a steady workload does
 * not fault pages in and out.
 *
 * Watermarks.  min, low and high are fractions of the zone's managed pages
 * (1/512, 1/256, 1/128; high at least a quarter of a max-order block): min
 * is a reserve only KS_GFP_HIGH may take; high is what the purge leaves
 * warm, small enough that a heap that shrank gives back all but 1%.
 *
 * Locking.  One lock per zone guards its lists and counters.  No other
 * lock is taken under it (madvise is a syscall, not a lock).
 */
#include "buddy.h"
#include "os.h"
#include <string.h>

struct ks_zone ks__zones[KS_NR_ZONES] = {
	[KS_ZONE_DMA32] = { .lock = KS_LOCK_INIT(KS_LR_ZONE), .grow_lock = KS_LOCK_INIT(KS_LR_GROW),
			    .name = "DMA32", .id = KS_ZONE_DMA32 },
	[KS_ZONE_NORMAL] = { .lock = KS_LOCK_INIT(KS_LR_ZONE), .grow_lock = KS_LOCK_INIT(KS_LR_GROW),
			     .name = "Normal", .id = KS_ZONE_NORMAL },
};

void ks__buddy_init(void)
{
	for (unsigned z = 0; z < KS_NR_ZONES; z++) {
		for (unsigned t = 0; t < KS_NR_MT; t++)
			for (unsigned o = 0; o < KS_NR_ORDERS; o++)
				for (unsigned p = 0; p < 2; p++)
					ks_list_init(&ks__zones[z].free_area[t][o][p]);
		ks_list_init(&ks__zones[z].sections);
	}
}

static void set_wmarks(struct ks_zone *z)
{
	size_t floor = 1ul << (KS_MAX_ORDER - 2);
	size_t min = z->managed_pages / 512;
	z->wmark[KS_WMARK_MIN] = min;
	z->wmark[KS_WMARK_LOW] = min * 2;
	z->wmark[KS_WMARK_HIGH] = min * 4 > floor ? min * 4 : floor;
}

/* The pageblock descriptor (first page of the pageblock) of PG. */
static inline struct ks_page *pageblock_of(struct ks_page *pg)
{
	struct ks_page *base = (struct ks_page *)ks_section_base(pg);
	return base + (ks_page_pfn(pg) & ~((1ul << KS_PAGEBLOCK_ORDER) - 1));
}

/* Type every pageblock a block of ORDER at PG covers. */
static void set_pageblock_type(struct ks_page *pg, unsigned order, unsigned mt)
{
	struct ks_page *pb = pageblock_of(pg);
	size_t n = order > KS_PAGEBLOCK_ORDER ? 1ul << (order - KS_PAGEBLOCK_ORDER) : 1;
	for (size_t i = 0; i < n; i++)
		pb[i << KS_PAGEBLOCK_ORDER].pb_type = (uint8_t)mt;
}

static void area_add(struct ks_zone *z, struct ks_page *pg, unsigned order,
		     uint8_t flags, uint64_t stamp)
{
	unsigned mt = pageblock_of(pg)->pb_type;

	if (order >= KS_PAGEBLOCK_ORDER)       /* whole pageblocks: one type */
		set_pageblock_type(pg, order, mt);
	pg->kind = KS_PG_BUDDY;
	pg->order = (uint8_t)order;
	pg->mt = (uint8_t)mt;
	pg->flags = flags;
	pg->free_stamp = stamp;
	pg->cache = NULL;
	pg->head_delta = 0;
	if (order && order < KS_MAX_ORDER)     /* the tail names the head */
		pg[(1ul << order) - 1].head_delta = (1u << order) - 1;
	ks_list_add(&pg->lru, &z->free_area[mt][order][(flags & KS_PF_PURGED) != 0]);
	z->nr_free[order]++;
	z->nr_free_mt[mt][order]++;
	z->free_pages += 1ul << order;
	if (!(flags & KS_PF_PURGED))
		z->dirty_pages += 1ul << order;
	ks_page_section(pg)->free_pages += 1ul << order;
}

static void area_del(struct ks_zone *z, struct ks_page *pg, unsigned order)
{
	KS_ASSERT(pg->kind == KS_PG_BUDDY && pg->order == order);
	ks_list_del(&pg->lru);
	z->nr_free[order]--;
	z->nr_free_mt[pg->mt][order]--;
	z->free_pages -= 1ul << order;
	if (!(pg->flags & KS_PF_PURGED))
		z->dirty_pages -= 1ul << order;
	ks_page_section(pg)->free_pages -= 1ul << order;
	pg->kind = KS_PG_NONE;
}

/* Put the next max-order block of SEC, typed MT, on the lists.  Caller
 * holds z->lock; SEC has one (next_pfn < KS_SECTION_PAGES). */
static struct ks_page *populate_locked(struct ks_zone *z, struct ks_section *sec,
				       unsigned mt)
{
	struct ks_page *pg = (struct ks_page *)sec->base + sec->next_pfn;
	size_t n = 1ul << KS_MAX_ORDER;

	sec->next_pfn += (unsigned)n;
	z->deferred_pages -= n;
	z->free_pages -= n;             /* area_add counts them again */
	sec->free_pages -= n;
	set_pageblock_type(pg, KS_MAX_ORDER, mt);
	area_add(z, pg, KS_MAX_ORDER, KS_PF_CLEAN | KS_PF_PURGED, 0);
	return pg;
}

/* A fresh max-order block for type MT from the first section that has
 * one, or NULL.  Caller holds z->lock. */
static struct ks_page *populate_any_locked(struct ks_zone *z, unsigned mt)
{
	struct ks_list *pos;

	if (!z->deferred_pages)
		return NULL;
	ks_list_for_each(pos, &z->sections) {
		struct ks_section *sec = ks_list_entry(pos, struct ks_section, link);
		if (sec->next_pfn < KS_SECTION_PAGES)
			return populate_locked(z, sec, mt);
	}
	return NULL;
}

/* The smallest resident free block of type MT and at least ORDER, else
 * the smallest purged one; NULL if there is none.  Splitting a larger
 * block that is still resident costs nothing, taking a purged one a page
 * fault for every page.  Caller holds z->lock. */
static struct ks_page *own_block(struct ks_zone *z, unsigned order, unsigned mt,
				 unsigned *found)
{
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned o = order; o < KS_NR_ORDERS; o++) {
			if (!ks_list_empty(&z->free_area[mt][o][p])) {
				*found = o;
				return ks_list_entry(z->free_area[mt][o][p].next,
						     struct ks_page, lru);
			}
		}
	}
	return NULL;
}

/* When type MT has no block of ORDER: a fresh block, or the other type's
 * largest (claiming its pageblocks when it is big).  Caller holds z->lock. */
static struct ks_page *fallback_block(struct ks_zone *z, unsigned order, unsigned mt,
				      unsigned *found)
{
	struct ks_page *pg;

	if ((pg = populate_any_locked(z, mt)) != NULL) {
		*found = KS_MAX_ORDER;
		return pg;
	}
	for (unsigned o = KS_MAX_ORDER + 1; o-- > order;) {
		for (unsigned t = 0; t < KS_NR_MT * 2; t++) {
			struct ks_list *l = &z->free_area[t / 2][o][t % 2];
			if (t / 2 == mt || ks_list_empty(l))
				continue;
			pg = ks_list_entry(l->next, struct ks_page, lru);
			if (o >= KS_PAGEBLOCK_ORDER - 1)
				set_pageblock_type(pg, o, mt);
			z->nr_steal++;
			*found = o;
			return pg;
		}
	}
	return NULL;
}

/* Merge PG (2^order pages, not on any list) with its free buddies and put
 * the result on its free list.  Caller holds z->lock. */
static void free_locked(struct ks_zone *z, struct ks_page *pg, unsigned order,
			uint8_t flags, uint64_t stamp)
{
	struct ks_page *base = (struct ks_page *)ks_section_base(pg);
	size_t pfn = ks_page_pfn(pg);

	KS_ASSERT(order <= KS_MAX_ORDER && !(pfn & ((1ul << order) - 1)) &&
		  pfn >= KS_SECTION_RESERVED);
	while (order < KS_MAX_ORDER) {
		struct ks_page *buddy = base + (pfn ^ (1ul << order));
		if (buddy->kind != KS_PG_BUDDY || buddy->order != order)
			break;
		flags &= buddy->flags;
		area_del(z, buddy, order);
		pfn &= ~(1ul << order);
		order++;
	}
	area_add(z, base + pfn, order, flags, stamp);
}

/* Free the pages [PG, PG + NR) of one section as the aligned blocks they
 * split into, with FLAGS (KS_PF_CLEAN, KS_PF_PURGED).  Caller holds
 * z->lock. */
static void free_range_locked(struct ks_zone *z, struct ks_page *pg, size_t nr,
			      uint8_t flags, uint64_t stamp)
{
	while (nr) {
		size_t pfn = ks_page_pfn(pg);
		unsigned order = pfn ? (unsigned)__builtin_ctzl(pfn) : KS_MAX_ORDER;
		if (order > KS_MAX_ORDER)
			order = KS_MAX_ORDER;
		while ((1ul << order) > nr)
			order--;
		KS_BUG_ON(pg->kind == KS_PG_BUDDY || pg->kind == KS_PG_RESERVED);
		pg->kind = KS_PG_NONE;
		pg->cache = NULL;
		pg->cc_off = 0;
		free_locked(z, pg, order, flags, stamp);
		pg += 1ul << order;
		nr -= 1ul << order;
	}
}

/* ---- runs: exact blocks from free pages that no single block holds ----
 *
 * An exact block of NR pages needs only NR free pages in a row, not a
 * free aligned block of the next power of two: a 2.1 MiB malloc block
 * would otherwise wait for 4 MiB of free, aligned pages while a heap of
 * mixed large sizes is full of free runs of 3 MiB made of smaller blocks,
 * and the zone would grow instead.  A run of NR free pages always holds a
 * free block of order log2(NR) - 1 or log2(NR) (free blocks are merged as
 * far as they go), so the search starts from the blocks of those two
 * orders, a few of them, and grows each one into the run of free blocks
 * of its type around it: to the right, the page after a free block is the
 * head of the next one if it is free; to the left, free_before() finds
 * the block that ends where it starts.  The shortest run that holds NR
 * pages wins (resident blocks are looked at before purged ones), and the
 * block is cut from its start. */

#define RUN_TRIES 8                /* blocks tried per list */

/* The free block that ends where page PFN of BASE's section begins, or
 * NULL.  area_add() leaves in a free block's last page the distance back
 * to its head (head_delta, unused on a free page), so one probe finds a
 * candidate, and the head's own kind and order confirm it: a stale mark
 * left by a block since taken names no free block of that size.  Blocks
 * of the top order are not marked (deferred population would touch the
 * memmap for them) and get one probe of their own. */
static struct ks_page *free_before(struct ks_page *base, size_t pfn)
{
	const size_t top = 1ul << KS_MAX_ORDER;
	struct ks_page *h;
	size_t d;

	if (!pfn)
		return NULL;
	d = base[pfn - 1].head_delta;
	if (d < pfn) {
		h = base + pfn - 1 - d;
		if (h->kind == KS_PG_BUDDY && (1ul << h->order) == d + 1)
			return h;
	}
	if (pfn >= top && !(pfn & (top - 1))) {
		h = base + pfn - top;
		if (h->kind == KS_PG_BUDDY && h->order == KS_MAX_ORDER)
			return h;
	}
	return NULL;
}

/* The descriptors the search reads of the next candidate, block PG of
 * ORDER: its own, the one before it and the one after it.  Each is a
 * cache line of its own, likely cold; loading them while the current
 * candidate is looked at overlaps the misses instead of taking them one
 * after another (the search was a tenth of mixed-heap churn's time). */
static inline void prefetch_run(const struct ks_page *pg, unsigned order)
{
	__builtin_prefetch(pg);
	if (ks_page_pfn(pg))
		__builtin_prefetch(pg - 1);
	if (ks_page_pfn(pg) + (1ul << order) < KS_SECTION_PAGES)
		__builtin_prefetch(pg + (1ul << order));
}

/* Take the first NR pages of the run of free blocks that starts at FIRST;
 * the last block's unused tail goes back.  Caller holds z->lock. */
static struct ks_page *claim_run_locked(struct ks_zone *z, struct ks_page *first,
					size_t nr)
{
	uint8_t clean = KS_PF_CLEAN;
	struct ks_page *pg = first;
	size_t got = 0;

	while (got < nr) {
		unsigned o = pg->order;
		uint8_t flags = pg->flags;
		uint64_t stamp = pg->free_stamp;
		clean &= flags;
		area_del(z, pg, o);
		if (got + (1ul << o) > nr)
			free_range_locked(z, pg + (nr - got), got + (1ul << o) - nr, flags, stamp);
		got += 1ul << o;
		pg += 1ul << o;
	}
	first->flags = clean & KS_PF_CLEAN;
	return first;
}

/* The best of a few runs of at least NR free pages of type MT (the
 * shortest, resident before purged), taken; NULL if none was found.
 * Caller holds z->lock. */
static struct ks_page *take_run_locked(struct ks_zone *z, size_t nr, unsigned mt)
{
	unsigned lo = ks_log2_floor(nr);
	struct ks_page *best = NULL;
	size_t best_len = SIZE_MAX;

	lo = lo ? lo - 1 : 0;
	for (unsigned p = 0; p < 2 && !best; p++) {
		for (unsigned o = lo; o <= lo + 1 && o < KS_NR_ORDERS; o++) {
			struct ks_list *pos;
			unsigned tries = 0;
			struct ks_list *head = &z->free_area[mt][o][p];
			ks_list_for_each(pos, head) {
				struct ks_page *pg = ks_list_entry(pos, struct ks_page, lru), *h;
				struct ks_page *base = pg - ks_page_pfn(pg);
				size_t start = ks_page_pfn(pg), end = start + (1ul << o);
				if (++tries > RUN_TRIES)
					break;
				if (pos->next != head && tries < RUN_TRIES)
					prefetch_run(ks_list_entry(pos->next, struct ks_page, lru), o);
				while (end - start < best_len &&
				       (h = free_before(base, start)) && h->mt == mt)
					start = ks_page_pfn(h);
				while (end < KS_SECTION_PAGES && base[end].kind == KS_PG_BUDDY &&
				       base[end].mt == mt && end - start < best_len)
					end += 1ul << base[end].order;
				if (end - start >= nr && end - start < best_len) {
					best = base + start;
					best_len = end - start;
					if (best_len == nr)    /* nothing fits better */
						goto found;
				}
			}
		}
	}
found:
	return best ? claim_run_locked(z, best, nr) : NULL;
}

struct ks_page *ks__buddy_alloc(struct ks_zone *z, unsigned order, unsigned mt,
				size_t keep, bool unaligned, unsigned up_to)
{
	struct ks_page *pg;
	unsigned o = 0;
	uint8_t flags;

	ks_lock(&z->lock);
	pg = NULL;
	if (unaligned && keep > 1 && (pg = take_run_locked(z, keep, mt)) != NULL) {
		ks_unlock(&z->lock);           /* an exact block, unaligned */
		pg->order = (uint8_t)order;
		pg->head_delta = 0;
		return pg;
	}
	if (!pg)
		pg = own_block(z, order, mt, &o);
	if (!pg)
		pg = fallback_block(z, order, mt, &o);
	if (!pg) {
		ks_unlock(&z->lock);
		return NULL;
	}
	flags = pg->flags;
	area_del(z, pg, o);
	if (up_to > order) {            /* a batch: less to split */
		KS_ASSERT(keep == (1ul << order));   /* never an exact block */
		order = o < up_to ? o : up_to;
		keep = 1ul << order;
	}
	while (o > order) {             /* expand(): halves go back down */
		o--;
		area_add(z, pg + (1ul << o), o, flags, pg->free_stamp);
	}
	if (keep < (1ul << order))      /* an exact block: the tail goes back */
		free_range_locked(z, pg + keep, (1ul << order) - keep, flags, pg->free_stamp);
	ks_unlock(&z->lock);
	pg->order = (uint8_t)order;
	pg->flags = flags & KS_PF_CLEAN;
	pg->head_delta = 0;
	return pg;
}

void ks__buddy_free(struct ks_page *pg, unsigned order)
{
	struct ks_zone *z = &ks__zones[ks_page_section(pg)->zone];
	uint8_t flags = pg->flags & KS_PF_CLEAN;

	KS_BUG_ON(pg->kind == KS_PG_BUDDY || pg->kind == KS_PG_RESERVED);
	ks_lock(&z->lock);
	free_locked(z, pg, order, flags, ks__clock_ms());
	ks_unlock(&z->lock);
}

void ks__buddy_add_section(struct ks_zone *z, struct ks_section *sec)
{
	struct ks_page *base = (struct ks_page *)sec->base;
	size_t pfn = sec->first_pfn;

	ks_lock(&z->lock);
	ks_list_add_tail(&sec->link, &z->sections);
	/* the blocks below the first max-order boundary go on the lists; the
	 * rest wait for populate_locked */
	while (pfn & ((1ul << KS_MAX_ORDER) - 1)) {
		unsigned order = (unsigned)__builtin_ctzl(pfn);
		area_add(z, base + pfn, order, KS_PF_CLEAN | KS_PF_PURGED, 0);
		pfn += 1ul << order;
	}
	sec->next_pfn = (unsigned)pfn;
	z->deferred_pages += KS_SECTION_PAGES - pfn;
	z->free_pages += KS_SECTION_PAGES - pfn;
	sec->free_pages += KS_SECTION_PAGES - pfn;
	z->managed_pages += KS_SECTION_PAGES - sec->first_pfn;
	set_wmarks(z);
	ks_unlock(&z->lock);
}

/* Oldest dirty block freed at or before CUTOFF, from the tails of the free
 * lists (area_add puts fresh blocks at the heads).  Caller holds z->lock. */
static struct ks_page *oldest_dirty(struct ks_zone *z, uint64_t cutoff,
				    unsigned *order)
{
	for (int o = KS_MAX_ORDER; o >= 0; o--) {
		for (unsigned t = 0; t < KS_NR_MT; t++) {
			struct ks_list *head = &z->free_area[t][o][0];
			struct ks_page *pg;
			if (ks_list_empty(head))
				continue;
			pg = ks_list_entry(head->prev, struct ks_page, lru);
			if (pg->free_stamp <= cutoff) {
				*order = (unsigned)o;
				return pg;
			}
		}
	}
	return NULL;
}

static size_t purge_zone(struct ks_zone *z, uint64_t cutoff, size_t keep, bool lazy)
{
	size_t purged = 0, done;
	struct ks_page *pg;
	unsigned order;

	ks_lock(&z->lock);
	while (z->dirty_pages > keep && (pg = oldest_dirty(z, cutoff, &order))) {
		uint64_t stamp = pg->free_stamp;
		area_del(z, pg, order);
		ks_unlock(&z->lock);       /* madvise outside the lock */
		done = ks__os_purge(ks_page_address(pg), KS_PAGE_SIZE << order, lazy);
		purged += done;
		/* the block's tail descriptors read as zero (KS_PG_NONE) after
		 * a purge, which is what they must say: give their pages back
		 * too; the head's own descriptor page stays */
		if (!lazy)
			ks__os_purge(pg + 1, ((1ul << order) - 1) * sizeof(*pg), false);
		ks_lock(&z->lock);
		/* clean only if every byte went back: with OS pages larger
		 * than kslab's, a small block may not be purgeable at all */
		free_locked(z, pg, order, KS_PF_PURGED |
			    (!lazy && done == (KS_PAGE_SIZE << order) ? KS_PF_CLEAN : 0),
			    stamp);
	}
	z->purged_bytes += purged;
	ks_unlock(&z->lock);
	return purged;
}

size_t ks__buddy_purge(uint64_t cutoff_ms, size_t keep_pages, bool lazy)
{
	size_t purged = 0;
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		purged += purge_zone(&ks__zones[z], cutoff_ms, keep_pages, lazy);
	return purged;
}

size_t ks__buddy_free_bytes(void)
{
	size_t pages = 0;
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		pages += __atomic_load_n(&ks__zones[z].free_pages, __ATOMIC_RELAXED);
	return pages * KS_PAGE_SIZE;
}

/* The free list of type T and order O: every block aligned, marked, of
 * its list's order and type, not mergeable with a free buddy, its last
 * page naming its head (free_before). */
static int check_list(struct ks_zone *z, unsigned t, unsigned o, size_t *n,
		      size_t *free_pages, size_t *dirty)
{
	struct ks_list *pos;
	size_t nt = 0;
	int broken = 0;

	for (unsigned p = 0; p < 2; p++)
	ks_list_for_each(pos, &z->free_area[t][o][p]) {
		struct ks_page *pg = ks_list_entry(pos, struct ks_page, lru);
		size_t pfn = ks_page_pfn(pg);
		if (!(pg->flags & KS_PF_PURGED) != !p)
			broken++;          /* on the wrong residency list */
		struct ks_page *buddy = pg - pfn + (pfn ^ (1ul << o));
		*free_pages += 1ul << o;
		if (!(pg->flags & KS_PF_PURGED))
			*dirty += 1ul << o;
		if (pg->kind != KS_PG_BUDDY || pg->order != o || pg->mt != t)
			broken++;
		if ((pfn & ((1ul << o) - 1)) || pfn < KS_SECTION_RESERVED)
			broken++;
		if (o < KS_MAX_ORDER && buddy->kind == KS_PG_BUDDY && buddy->order == o)
			broken++;          /* should have merged */
		if (o < KS_MAX_ORDER && pg[(1ul << o) - 1].head_delta != (1ul << o) - 1)
			broken++;
		for (size_t i = 1; i < (1ul << o); i++)
			if (pg[i].kind == KS_PG_BUDDY)
				broken++;
		nt++;
	}
	if (nt != z->nr_free_mt[t][o])
		broken++;
	*n += nt;
	return broken;
}

/* The lists, and the counters adding up per zone and per section. */
static int check_zone(struct ks_zone *z)
{
	int broken = 0;
	size_t free_pages = 0, dirty = 0, sec_free = 0, deferred = 0;
	struct ks_list *pos;

	ks_lock(&z->lock);
	for (unsigned o = 0; o < KS_NR_ORDERS; o++) {
		size_t n = 0;
		for (unsigned t = 0; t < KS_NR_MT; t++)
			broken += check_list(z, t, o, &n, &free_pages, &dirty);
		if (n != z->nr_free[o])
			broken++;
	}
	ks_list_for_each(pos, &z->sections) {
		struct ks_section *sec = ks_list_entry(pos, struct ks_section, link);
		sec_free += sec->free_pages;
		deferred += KS_SECTION_PAGES - sec->next_pfn;
		if (sec->next_pfn & ((1ul << KS_MAX_ORDER) - 1))
			broken++;
	}
	if (free_pages + z->deferred_pages != z->free_pages || dirty != z->dirty_pages ||
	    sec_free != z->free_pages || deferred != z->deferred_pages ||
	    z->free_pages > z->managed_pages)
		broken++;
	ks_unlock(&z->lock);
	return broken;
}

int ks__buddy_check(void)
{
	int broken = 0;
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		broken += check_zone(&ks__zones[z]);
	return broken;
}

void ks__buddy_lock_all(void)
{
	for (unsigned z = 0; z < KS_NR_ZONES; z++)    /* rank 9, then 10 */
		ks_lock(&ks__zones[z].grow_lock);
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		ks_lock(&ks__zones[z].lock);
}

void ks__buddy_unlock_all(bool child)
{
	for (unsigned z = 0; z < KS_NR_ZONES; z++) {
		ks_lock_after_fork(&ks__zones[z].lock, child);
		ks_lock_after_fork(&ks__zones[z].grow_lock, child);
	}
}

/* Take the single page PG out of the free block that holds it, giving the
 * rest of the block back as smaller blocks.  False if PG is not free.
 * Caller holds z->lock. */
static bool claim_locked(struct ks_zone *z, struct ks_page *pg)
{
	struct ks_page *base = (struct ks_page *)ks_section_base(pg);
	size_t pfn = ks_page_pfn(pg), hp = 0;
	struct ks_page *head = NULL;
	unsigned order;
	uint8_t flags;
	uint64_t stamp;

	while (pfn >= ks_page_section(pg)->next_pfn)   /* not on a list yet */
		populate_locked(z, ks_page_section(pg), KS_MT_LARGE);
	for (order = 0; order < KS_NR_ORDERS; order++) {
		hp = pfn & ~((1ul << order) - 1);
		if (base[hp].kind == KS_PG_BUDDY && base[hp].order >= order) {
			head = base + hp;
			break;
		}
	}
	if (!head || pfn < KS_SECTION_RESERVED)
		return false;
	order = head->order;
	flags = head->flags;
	stamp = head->free_stamp;
	area_del(z, head, order);
	while (order > 0) {           /* keep the half that holds pfn */
		order--;
		if (pfn >= hp + (1ul << order)) {
			area_add(z, base + hp, order, flags, stamp);
			hp += 1ul << order;
		} else {
			area_add(z, base + hp + (1ul << order), order, flags, stamp);
		}
	}
	pg->flags = 0;
	pg->kind = KS_PG_NONE;
	return true;
}


void ks__buddy_free_range(struct ks_page *pg, size_t nr, bool fresh)
{
	struct ks_zone *z = &ks__zones[ks_page_section(pg)->zone];
	uint64_t now = ks__clock_ms();

	ks_lock(&z->lock);
	free_range_locked(z, pg, nr, fresh ? KS_PF_CLEAN | KS_PF_PURGED : 0, now);
	ks_unlock(&z->lock);
}

bool ks__buddy_claim_range(struct ks_page *first, size_t nr)
{
	struct ks_zone *z = &ks__zones[ks_page_section(first)->zone];
	size_t got = 0;

	ks_lock(&z->lock);
	while (got < nr && claim_locked(z, first + got))
		got++;
	if (got < nr && got)          /* not all free: give back what was taken */
		free_range_locked(z, first, got, 0, ks__clock_ms());
	ks_unlock(&z->lock);
	return got == nr;
}
