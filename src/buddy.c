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
 * block) comes from the spans instead (see "spans" below): the free pages
 * of LARGE pageblocks kept as whole runs, which is what keeps a heap of
 * mixed large sizes from needing twice its live bytes, and its search and
 * merges cheap.  Freeing looks at the buddy, pfn ^ (1 <<
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
		for (unsigned b = 0; b < KS_SPAN_BINS; b++)
			for (unsigned p = 0; p < 2; p++)
				ks_list_init(&ks__zones[z].spans[b][p]);
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

static void span_free_locked(struct ks_zone *z, struct ks_page *pg, size_t nr,
			     uint8_t flags, uint64_t stamp);
static struct ks_page *span_steal(struct ks_zone *z, unsigned order);

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

/* The smallest free block of type MT and at least ORDER, resident (P 0)
 * or purged (1), from residency P_FROM to P_TO; NULL if there is none.
 * Splitting a larger block that is still resident costs nothing, taking
 * a purged one a page fault for every page.  Caller holds z->lock. */
static struct ks_page *own_block(struct ks_zone *z, unsigned order, unsigned mt,
				 unsigned p_from, unsigned p_to, unsigned *found)
{
	for (unsigned p = p_from; p <= p_to; p++) {
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
	if (mt == KS_MT_SLAB && (pg = span_steal(z, order)) != NULL) {
		z->nr_steal++;
		*found = order;
		return pg;
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

/* Free the pages [PG, PG + NR) of one section, with FLAGS (KS_PF_CLEAN,
 * KS_PF_PURGED): in a LARGE pageblock into the spans, else as the
 * aligned blocks they split into.  Caller holds z->lock. */
static void free_range_locked(struct ks_zone *z, struct ks_page *pg, size_t nr,
			      uint8_t flags, uint64_t stamp)
{
	if (pageblock_of(pg)->pb_type == KS_MT_LARGE) {
		pg->cache = NULL;
		pg->cc_off = 0;
		span_free_locked(z, pg, nr, flags, stamp);
		return;
	}
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

/* ---- spans: the free pages of large blocks, kept whole ----
 *
 * A large malloc block (up to KS_PAGE_PATH_MAX) is an exact run of pages,
 * not a power of two.  Kept as buddy blocks, its free pages would be
 * split into aligned pieces at every free and merged piece by piece, and
 * an allocation would have to rebuild a run from them, reading a cold
 * descriptor per piece: in a heap of mixed large sizes that search and
 * those merges were a tenth of the time.  So the free pages of LARGE
 * pageblocks are kept as spans, as tcmalloc's page heap keeps them: a
 * span is a maximal run of free pages, known by its head descriptor (kind
 * KS_PG_SPAN, span_len pages, flags, free_stamp) and by its last page,
 * whose head_delta leads back to the head.  Freeing a block looks at the
 * page before it (its head_delta, confirmed by the head it names: a stale
 * mark names no span of that length) and at the page after it, and merges
 * with the spans there: two descriptor reads, whatever the sizes.
 *
 * Spans sit on lists by length, one per length up to KS_SPAN_EXACT pages
 * and eight per doubling above, resident apart from purged, with a bit per
 * non-empty list: an allocation of NR pages looks at NR's own list (a few
 * spans of it, the first long enough wins) and else takes the newest span
 * of the next non-empty list, whose every span is long enough, and cuts
 * the block from its start; the rest stays a span.  Resident spans come
 * before resident buddy blocks of LARGE type, then purged spans, then
 * purged blocks and the fallback (ks__buddy_alloc).
 *
 * The buddy allocator keeps the whole blocks.  A span that comes to cover
 * an aligned max-order block gives it back to the buddy lists, where
 * slabs and aligned requests can take it; and the tail of a block taken
 * from the buddy lists for a large block becomes a span.  Spans age and
 * are purged as blocks are (purge_zone), and the slab fallback takes an
 * aligned block out of a span when no buddy block is left (span_steal).
 * A span counts its pages not yet purged (span_dirty): a purged span
 * merged with a dirty one counts only the dirty one's pages, and is as
 * old as its newest dirty part, so that neither the dirty limit nor the
 * decay takes pages given back already, or pages freed a moment ago, for
 * old dirty memory.  A piece cut from a mixed span gets a share. */

#define SPAN_TRIES 4               /* spans looked at in NR's own list */

static unsigned span_bin(size_t n)
{
	unsigned l, b;

	if (n <= KS_SPAN_EXACT)
		return (unsigned)n - 1;
	l = ks_log2_floor(n);      /* 8 lists per doubling: 3 bits below the top */
	b = KS_SPAN_EXACT + (l - 6) * 8 + (unsigned)((n >> (l - 3)) & 7);
	return b < KS_SPAN_BINS ? b : KS_SPAN_BINS - 1;
}

/* The first non-empty list of residency P from list B on, or -1. */
static int span_next_bin(const struct ks_zone *z, unsigned p, unsigned b)
{
	for (unsigned w = b / 64; w < KS_SPAN_BINS / 64; w++) {
		uint64_t m = z->span_bits[p][w];
		if (w == b / 64)
			m &= ~0ull << (b % 64);
		if (m)
			return (int)(w * 64 + (unsigned)__builtin_ctzll(m));
	}
	return -1;
}

/* Put the free span [PG, PG + NR) on its list: DIRTY of its pages not
 * purged (on the purged list if none), all reading as zero if CLEAN. */
static void span_add(struct ks_zone *z, struct ks_page *pg, size_t nr, size_t dirty,
		     bool clean, uint64_t stamp)
{
	unsigned p = dirty == 0, b = span_bin(nr);

	pg->kind = KS_PG_SPAN;
	pg->span_len = (uint32_t)nr;
	pg->span_dirty = (uint32_t)dirty;
	pg->flags = (uint8_t)((clean ? KS_PF_CLEAN : 0) | (p ? KS_PF_PURGED : 0));
	pg->free_stamp = stamp;
	pg->cache = NULL;
	pg->head_delta = 0;
	pg->cc_off = 0;
	pg[nr - 1].head_delta = (uint32_t)(nr - 1);    /* the way back */
	ks_list_add(&pg->lru, &z->spans[b][p]);
	z->span_bits[p][b / 64] |= 1ull << (b % 64);
	z->nr_spans++;
	z->span_pages += nr;
	z->free_pages += nr;
	z->dirty_pages += dirty;
	if (!p && stamp < z->span_oldest)
		z->span_oldest = stamp;
	ks_page_section(pg)->free_pages += nr;
}

static void span_del(struct ks_zone *z, struct ks_page *pg)
{
	size_t nr = pg->span_len;
	unsigned p = pg->span_dirty == 0, b = span_bin(nr);

	KS_ASSERT(pg->kind == KS_PG_SPAN);
	ks_list_del(&pg->lru);
	if (ks_list_empty(&z->spans[b][p]))
		z->span_bits[p][b / 64] &= ~(1ull << (b % 64));
	z->nr_spans--;
	z->span_pages -= nr;
	z->free_pages -= nr;
	z->dirty_pages -= pg->span_dirty;
	ks_page_section(pg)->free_pages -= nr;
	pg->kind = KS_PG_NONE;
}

/* The dirty pages a piece of N pages of a span of LEN with DIRTY gets
 * when it is cut: where they lie is not known, so a share, at least one
 * (a piece may hold dirty pages still: counting none would never purge
 * them). */
static size_t dirty_share(size_t dirty, size_t len, size_t n)
{
	size_t d;

	if (dirty == 0 || dirty == len)
		return dirty ? n : 0;
	d = dirty * n / len;
	return d ? d : 1;
}

/* The free span that ends where page PFN of BASE's section begins, or
 * NULL. */
static struct ks_page *span_before(struct ks_page *base, size_t pfn)
{
	struct ks_page *h;
	size_t d;

	if (pfn <= KS_SECTION_RESERVED)
		return NULL;
	d = base[pfn - 1].head_delta;
	if (d >= pfn)
		return NULL;
	h = base + pfn - 1 - d;
	return h->kind == KS_PG_SPAN && h->span_len == d + 1 ? h : NULL;
}

/* Put the free pages [PFN, END) of BASE's section, DIRTY of them not
 * purged, on the lists: the aligned max-order blocks among them as buddy
 * blocks, the rest as spans. */
static void span_place(struct ks_zone *z, struct ks_page *base, size_t pfn, size_t end,
		       size_t dirty, bool clean, uint64_t stamp)
{
	const size_t top = 1ul << KS_MAX_ORDER, len = end - pfn;
	size_t a = (pfn + top - 1) & ~(top - 1);

	if (a + top <= end) {
		size_t last = end & ~(top - 1);
		if (pfn < a)
			span_add(z, base + pfn, a - pfn, dirty_share(dirty, len, a - pfn),
				 clean, stamp);
		for (; a < last; a += top)
			area_add(z, base + a, KS_MAX_ORDER, (clean ? KS_PF_CLEAN : 0) |
				 (dirty_share(dirty, len, top) ? 0 : KS_PF_PURGED), stamp);
		pfn = last;
	}
	if (pfn < end)
		span_add(z, base + pfn, end - pfn, dirty_share(dirty, len, end - pfn),
			 clean, stamp);
}

/* Free the pages [PG, PG + NR) into the spans, merged with the spans
 * before and after them; the merged span is as old as its newest dirty
 * part.  Caller holds z->lock. */
static void span_free_locked(struct ks_zone *z, struct ks_page *pg, size_t nr,
			     uint8_t flags, uint64_t stamp)
{
	struct ks_page *base = (struct ks_page *)ks_section_base(pg), *h[2];
	size_t pfn = ks_page_pfn(pg), end = pfn + nr;
	size_t dirty = flags & KS_PF_PURGED ? 0 : nr;
	uint64_t newest = dirty ? stamp : 0;
	bool clean = flags & KS_PF_CLEAN;

	KS_BUG_ON(pg->kind == KS_PG_BUDDY || pg->kind == KS_PG_SPAN ||
		  pg->kind == KS_PG_RESERVED || pfn < KS_SECTION_RESERVED);
	pg->kind = KS_PG_NONE;
	h[0] = span_before(base, pfn);
	h[1] = end < KS_SECTION_PAGES && base[end].kind == KS_PG_SPAN ? base + end : NULL;
	for (unsigned i = 0; i < 2; i++) {
		if (!h[i])
			continue;
		clean = clean && (h[i]->flags & KS_PF_CLEAN);
		if (h[i]->span_dirty) {
			dirty += h[i]->span_dirty;
			newest = h[i]->free_stamp > newest ? h[i]->free_stamp : newest;
		}
		if (i == 0)
			pfn = ks_page_pfn(h[i]);
		else
			end += h[i]->span_len;
		span_del(z, h[i]);
	}
	span_place(z, base, pfn, end, dirty, clean, newest ? newest : stamp);
}

/* Take the first NR pages of span PG; the rest stays a span.  The head's
 * flags say KS_PF_CLEAN if the span was.  Caller holds z->lock. */
static struct ks_page *span_cut(struct ks_zone *z, struct ks_page *pg, size_t nr)
{
	size_t len = pg->span_len, dirty = pg->span_dirty;
	bool clean = pg->flags & KS_PF_CLEAN;
	uint64_t stamp = pg->free_stamp;

	span_del(z, pg);
	if (len > nr)
		span_add(z, pg + nr, len - nr, dirty_share(dirty, len, len - nr), clean, stamp);
	pg->flags = clean ? KS_PF_CLEAN : 0;
	return pg;
}

/* A span of at least NR pages of residency P, or NULL.  Caller holds
 * z->lock. */
static struct ks_page *span_find(struct ks_zone *z, size_t nr, unsigned p)
{
	unsigned b = span_bin(nr), tries = 0;
	struct ks_list *pos, *head = &z->spans[b][p];
	int next;

	if (b < KS_SPAN_EXACT && !ks_list_empty(head))
		return ks_list_entry(head->next, struct ks_page, lru);
	ks_list_for_each(pos, head) {      /* lengths from below NR to above */
		struct ks_page *pg = ks_list_entry(pos, struct ks_page, lru);
		if (pg->span_len >= nr)
			return pg;
		if (++tries == SPAN_TRIES)
			break;
	}
	if ((next = span_next_bin(z, p, b + 1)) < 0)
		return NULL;
	return ks_list_entry(z->spans[next][p].next, struct ks_page, lru);
}

/* For the slab fallback: an aligned block of ORDER cut out of a span, the
 * pages around it left spans; NULL if no span holds one.  Caller holds
 * z->lock. */
static struct ks_page *span_steal(struct ks_zone *z, unsigned order)
{
	size_t n = 1ul << order, need = 2 * n - 1;   /* holds an aligned block */
	struct ks_page *pg = NULL, *base;
	size_t pfn, end, a, len, dirty;
	bool clean;
	uint64_t stamp;

	for (unsigned p = 0; p < 2 && !pg; p++)
		pg = span_find(z, need, p);
	if (!pg)
		return NULL;
	base = pg - ks_page_pfn(pg);
	pfn = ks_page_pfn(pg);
	len = pg->span_len;
	end = pfn + len;
	a = (pfn + n - 1) & ~(n - 1);
	dirty = pg->span_dirty;
	clean = pg->flags & KS_PF_CLEAN;
	stamp = pg->free_stamp;
	span_del(z, pg);
	if (pfn < a)
		span_add(z, base + pfn, a - pfn, dirty_share(dirty, len, a - pfn), clean, stamp);
	if (a + n < end)
		span_add(z, base + a + n, end - a - n, dirty_share(dirty, len, end - a - n),
			 clean, stamp);
	/* the block goes on a buddy list for the caller to take */
	area_add(z, base + a, order, (clean ? KS_PF_CLEAN : 0) |
		 (dirty_share(dirty, len, n) ? 0 : KS_PF_PURGED), stamp);
	return base + a;
}

/* An exact block of NR pages with no alignment to keep: from a span,
 * else from a buddy block whose tail becomes a span; resident memory
 * before purged.  NULL leaves the fallback to the caller.  Caller holds
 * z->lock. */
static struct ks_page *exact_locked(struct ks_zone *z, size_t nr, unsigned order,
				    unsigned mt)
{
	struct ks_page *pg;
	unsigned o;

	for (unsigned p = 0; p < 2; p++) {
		if ((pg = span_find(z, nr, p)) != NULL)
			return span_cut(z, pg, nr);
		if ((pg = own_block(z, order, mt, p, p, &o)) != NULL) {
			uint8_t flags = pg->flags;
			area_del(z, pg, o);
			if (nr < (1ul << o))
				free_range_locked(z, pg + nr, (1ul << o) - nr, flags,
						  pg->free_stamp);
			pg->flags = flags & KS_PF_CLEAN;
			return pg;
		}
	}
	return NULL;
}

struct ks_page *ks__buddy_alloc(struct ks_zone *z, unsigned order, unsigned mt,
				size_t keep, bool unaligned, unsigned up_to)
{
	struct ks_page *pg = NULL;
	unsigned o = 0, cut;
	uint8_t flags;

	ks_lock(&z->lock);
	if (unaligned && keep > 1) {    /* own blocks looked at there too */
		if ((pg = exact_locked(z, keep, order, mt)) != NULL) {
			ks_unlock(&z->lock);
			pg->order = (uint8_t)order;
			pg->head_delta = 0;
			return pg;
		}
	} else {
		pg = own_block(z, order, mt, 0, 1, &o);
	}
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
	cut = unaligned ? o : order;    /* unaligned: the whole tail is one range */
	while (o > cut) {               /* expand(): halves go back down */
		o--;
		area_add(z, pg + (1ul << o), o, flags, pg->free_stamp);
	}
	if (keep < (1ul << cut))        /* an exact block: the tail goes back */
		free_range_locked(z, pg + keep, (1ul << cut) - keep, flags, pg->free_stamp);
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

/* The last non-empty list of residency P from list B down, or -1. */
static int span_prev_bin(const struct ks_zone *z, unsigned p, int b)
{
	for (int w = b / 64; b >= 0 && w >= 0; w--) {
		uint64_t m = z->span_bits[p][w];
		if (w == b / 64 && b % 64 != 63)
			m &= (1ull << (b % 64 + 1)) - 1;
		if (m)
			return w * 64 + 63 - __builtin_clzll(m);
	}
	return -1;
}

/* What to purge next: the largest dirty free block or span freed at or
 * before CUTOFF (taking the tail of each list, its oldest: area_add and
 * span_add put fresh ones at the heads); *ORDER is KS_NR_ORDERS for a
 * span.  Large first: they are the least likely to be wanted again at
 * once, and a purge of one is one system call for many pages.  Caller
 * holds z->lock. */
static struct ks_page *purge_candidate(struct ks_zone *z, uint64_t cutoff,
				       unsigned *order)
{
	struct ks_page *block = NULL;
	uint64_t oldest = UINT64_MAX;
	int o, b;

	for (o = KS_MAX_ORDER; o >= 0 && !block; o--) {
		for (unsigned t = 0; t < KS_NR_MT && !block; t++) {
			struct ks_list *head = &z->free_area[t][o][0];
			struct ks_page *pg;
			if (ks_list_empty(head))
				continue;
			pg = ks_list_entry(head->prev, struct ks_page, lru);
			if (pg->free_stamp <= cutoff) {
				*order = (unsigned)o;
				block = pg;
			}
		}
	}
	if (cutoff < z->span_oldest)       /* no dirty span is that old */
		return block;
	for (b = span_prev_bin(z, 0, KS_SPAN_BINS - 1); b >= 0; b = span_prev_bin(z, 0, b - 1)) {
		struct ks_page *pg = ks_list_entry(z->spans[b][0].prev, struct ks_page, lru);
		if (pg->free_stamp < oldest)
			oldest = pg->free_stamp;
		if (pg->free_stamp > cutoff)
			continue;
		if (block && (1ul << *order) >= pg->span_len)
			return block;
		*order = KS_NR_ORDERS;
		return pg;
	}
	z->span_oldest = oldest;           /* every list looked at */
	return block;
}

/* After a purge, the descriptors of a free run's pages but the head's
 * read as zero, which is what they must say (KS_PG_NONE): give their
 * pages back too, keeping the types of the pageblocks that start there
 * (a span's neighbours in those pageblocks are in use). */
static void purge_descriptors(struct ks_page *pg, size_t nr)
{
	uint8_t types[KS_SECTION_PAGES >> KS_PAGEBLOCK_ORDER];
	struct ks_page *base = pg - ks_page_pfn(pg);
	size_t first = (ks_page_pfn(pg) >> KS_PAGEBLOCK_ORDER) + 1;
	size_t last = (ks_page_pfn(pg) + nr - 1) >> KS_PAGEBLOCK_ORDER;

	for (size_t i = first; i <= last; i++)
		types[i - first] = base[i << KS_PAGEBLOCK_ORDER].pb_type;
	ks__os_purge(pg + 1, (nr - 1) * sizeof(*pg), false);
	for (size_t i = first; i <= last; i++)
		if (types[i - first])      /* a purged descriptor reads 0 */
			base[i << KS_PAGEBLOCK_ORDER].pb_type = types[i - first];
}

static size_t purge_zone(struct ks_zone *z, uint64_t cutoff, size_t keep, bool lazy)
{
	size_t purged = 0, done, nr, dirty;
	struct ks_page *pg;
	unsigned order;

	ks_lock(&z->lock);
	while (z->dirty_pages > keep && (pg = purge_candidate(z, cutoff, &order))) {
		uint64_t stamp = pg->free_stamp;
		bool span = order == KS_NR_ORDERS;
		nr = span ? pg->span_len : 1ul << order;
		dirty = span ? pg->span_dirty : nr;
		if (span)
			span_del(z, pg);
		else
			area_del(z, pg, order);
		ks_unlock(&z->lock);       /* madvise outside the lock */
		done = ks__os_purge(ks_page_address(pg), nr << KS_PAGE_SHIFT, lazy);
		/* a span's purged pages went back before: count the rest */
		purged += span && done > (dirty << KS_PAGE_SHIFT) ? dirty << KS_PAGE_SHIFT : done;
		if (!lazy)
			purge_descriptors(pg, nr);
		ks_lock(&z->lock);
		/* clean only if every byte went back: with OS pages larger
		 * than kslab's, a small block may not be purgeable at all */
		uint8_t flags = KS_PF_PURGED |
			(!lazy && done == (nr << KS_PAGE_SHIFT) ? KS_PF_CLEAN : 0);
		if (span)
			span_free_locked(z, pg, nr, flags, stamp);
		else
			free_locked(z, pg, order, flags, stamp);
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
 * its list's order and type, not mergeable with a free buddy. */
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

/* The spans: each on the list of its length and residency, its last page
 * naming its head, merged with its neighbours, holding no head of a free
 * block; the bits and the counters agreeing. */
static int check_spans(struct ks_zone *z, size_t *free_pages, size_t *dirty)
{
	size_t n = 0, pages = 0;
	int broken = 0;

	for (unsigned b = 0; b < KS_SPAN_BINS; b++)
	for (unsigned p = 0; p < 2; p++) {
		struct ks_list *pos, *head = &z->spans[b][p];
		if (!(z->span_bits[p][b / 64] & (1ull << (b % 64))) != ks_list_empty(head))
			broken++;
		ks_list_for_each(pos, head) {
			struct ks_page *pg = ks_list_entry(pos, struct ks_page, lru);
			struct ks_page *base = pg - ks_page_pfn(pg);
			size_t pfn = ks_page_pfn(pg), len = pg->span_len;
			if (pg->kind != KS_PG_SPAN || !len || span_bin(len) != b ||
			    !(pg->flags & KS_PF_PURGED) != !p || (pg->span_dirty == 0) != p ||
			    pg->span_dirty > len || pfn < KS_SECTION_RESERVED ||
			    pfn + len > KS_SECTION_PAGES || pg[len - 1].head_delta != len - 1)
				broken++;
			if (span_before(base, pfn) ||
			    (pfn + len < KS_SECTION_PAGES && base[pfn + len].kind == KS_PG_SPAN))
				broken++;          /* should have merged */
			for (size_t i = 1; i < len; i++)
				if (pg[i].kind == KS_PG_BUDDY || pg[i].kind == KS_PG_SPAN)
					broken++;
			n++;
			pages += len;
			*dirty += pg->span_dirty;
		}
	}
	if (n != z->nr_spans || pages != z->span_pages)
		broken++;
	*free_pages += pages;
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
	broken += check_spans(z, &free_pages, &dirty);
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
	while (got < nr) {
		struct ks_page *pg = first + got;
		if (pg->kind == KS_PG_SPAN) {    /* pages of a span: its first ones */
			size_t take = nr - got < pg->span_len ? nr - got : pg->span_len;
			span_cut(z, pg, take);
			got += take;
		} else if (claim_locked(z, pg)) {
			got++;
		} else {
			break;
		}
	}
	if (got < nr && got)          /* not all free: give back what was taken */
		free_range_locked(z, first, got, 0, ks__clock_ms());
	ks_unlock(&z->lock);
	return got == nr;
}
