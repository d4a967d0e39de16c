// SPDX-License-Identifier: BSD-2-Clause
/*
 * page_alloc.c - the page API: alloc_pages, __get_free_pages,
 * get_zeroed_page, alloc_pages_exact, in user space.
 *
 * gfp -> zonelist.  KS_GFP_DMA32 asks for ZONE_DMA32 alone.  Everything
 * else takes ZONE_NORMAL, and falls back to DMA32 only under pressure:
 * when NORMAL has no free block and cannot grow (the OS refused a new
 * section), as the kernel's zonelist fallback does.  Low memory is scarce
 * (and MAP_32BIT gives only 2 GiB of it), so it is not spent while the
 * rest of the address space is there.
 *
 * Growing.  A zone with no block of the order asked for maps one more
 * section (arena.c) and gives it to the buddy allocator.  grow_lock makes
 * one thread do it while the others wait and then retry, so a burst of
 * misses maps one section, not one per thread.  KS_GFP_NOWAIT never grows.
 *
 * The reserve.  Allocations without KS_GFP_HIGH grow the zone rather than
 * take it below its min watermark, so a KS_GFP_HIGH caller finds pages
 * when the OS has none left to give.
 *
 * Exact blocks.  alloc_pages_exact takes the power-of-two block and frees
 * the tail at once, as a run of the largest aligned blocks that fit, so 5
 * pages cost 5 pages.  The same frees let a large malloc block shrink in
 * place, and grow in place when the pages after it are free.
 *
 * Zeroing.  KS_GFP_ZERO clears only blocks whose head is not KS_PF_CLEAN:
 * fresh sections and purged blocks read as zero already.
 *
 * Decay.  Free blocks go back to the OS once they have been free for
 * decay_ms (KSLAB_OPTIONS, default 1000), oldest first, leaving each
 * zone's high watermark of free pages warm.  No thread of its own does
 * it: ks__pages_decay runs from the malloc slow path every
 * KS_TICK_PERIOD allocations of a thread and from every page free, reads
 * a coarse clock, and purges at most every decay_ms / 4; one thread
 * purges at a time, the others go on.  A dirty limit (see dirty_limit)
 * bounds how much free memory may wait for the decay at all.
 */
#include "page_alloc.h"
#include "arena.h"
#include "os.h"
#include "options.h"
#include "debug.h"
#include <errno.h>
#include <string.h>

/* Map one more section into Z and take the block from it, unless another
 * thread grew the zone while this one waited for grow_lock. */
static struct ks_page *zone_grow_alloc(struct ks_zone *z, unsigned order, unsigned mt,
				       size_t keep, bool unaligned, unsigned up_to)
{
	struct ks_section *sec;
	struct ks_page *pg;

	ks_lock(&z->grow_lock);
	pg = ks__buddy_alloc(z, order, mt, keep, unaligned, up_to);
	if (!pg) {
		sec = ks__arena_grow(z->id, z->id == KS_ZONE_DMA32);
		if (sec) {
			ks__buddy_add_section(&ks__zones[sec->zone], sec);
			pg = ks__buddy_alloc(z, order, mt, keep, unaligned, up_to);
		}
	}
	ks_unlock(&z->grow_lock);
	return pg;
}

/* A block of 2^ORDER pages of which the first KEEP are kept, or of up
 * to 2^UP_TO pages (buddy.c). */
static struct ks_page *zone_alloc(struct ks_zone *z, ks_gfp_t gfp, unsigned order,
				  size_t keep, unsigned up_to)
{
	bool low = z->free_pages < z->wmark[KS_WMARK_MIN] + (1ul << order);
	unsigned mt = (gfp & KS__GFP_LARGE) ? KS_MT_LARGE : KS_MT_SLAB;
	bool unaligned = (gfp & KS__GFP_UNALIGNED) != 0;
	struct ks_page *pg = NULL;

	/* below the min watermark only KS_GFP_HIGH (or NOWAIT, which cannot
	 * grow) takes from what is there; the rest grow the zone first */
	if (!low || (gfp & (KS_GFP_HIGH | KS_GFP_NOWAIT)))
		pg = ks__buddy_alloc(z, order, mt, keep, unaligned, up_to);
	if (pg || (gfp & KS_GFP_NOWAIT))
		return pg;
	pg = zone_grow_alloc(z, order, mt, keep, unaligned, up_to);
	if (!pg && low)              /* the OS said no: the reserve it is */
		pg = ks__buddy_alloc(z, order, mt, keep, unaligned, up_to);
	return pg;
}

/* 2^ORDER pages from NORMAL or DMA32, of which the first KEEP are kept;
 * or, UP_TO above ORDER, a block of up to 2^UP_TO pages. */
static struct ks_page *pages_alloc(ks_gfp_t gfp, unsigned order, size_t keep,
				   unsigned up_to)
{
	struct ks_page *pg = NULL;

	if (order > KS_MAX_ORDER) {
		errno = ENOMEM;
		return NULL;
	}
	if (!(gfp & KS_GFP_DMA32))
		pg = zone_alloc(&ks__zones[KS_ZONE_NORMAL], gfp, order, keep, up_to);
	if (!pg)                       /* DMA32 asked for, or NORMAL exhausted */
		pg = zone_alloc(&ks__zones[KS_ZONE_DMA32], gfp, order, keep, up_to);
	if (!pg) {
		errno = ENOMEM;
		return NULL;
	}
	if (pg->order > order)         /* a batch */
		keep = 1ul << pg->order;
	ks_vg_addressable(ks_page_address(pg), KS_PAGE_SIZE * keep);
	if ((gfp & KS_GFP_ZERO) && !(pg->flags & KS_PF_CLEAN))
		memset(ks_page_address(pg), 0, KS_PAGE_SIZE * keep);
	pg->flags = 0;                 /* in use: no longer known to be zero */
	return pg;
}

bool ks__pages_space_short(void)
{
	struct ks_zone *z = &ks__zones[KS_ZONE_NORMAL];
	bool freed;

	ks_lock(&z->grow_lock);            /* the window's state is its grower's */
	freed = ks__arena_window_yield();
	ks_unlock(&z->grow_lock);
	return freed;
}

struct ks_page *ks__pages_alloc(ks_gfp_t gfp, unsigned order)
{
	return pages_alloc(gfp, order, 1ul << order, order);
}

struct ks_page *ks__pages_alloc_batch(ks_gfp_t gfp, unsigned order, unsigned up_to)
{
	return pages_alloc(gfp, order, 1ul << order, up_to);
}

static void dirty_limit(void);

void ks__pages_free(struct ks_page *pg, unsigned order)
{
	pg->kind = KS_PG_NONE;
	pg->cache = NULL;
	pg->cc_off = 0;
	pg->flags = 0;
	ks__buddy_free(pg, order);
	if (!ks__pages_decay())
		dirty_limit();
}

static int purging;            /* one purger at a time */

#define DIRTY_LIMIT_FLOOR (16384ul)   /* pages: 64 MiB */

/* Free memory never stays resident for long beyond what the program has
 * in use or a quarter of what the zones manage, whichever is less (and at
 * least 64 MiB), whatever the decay time says.  Past that
 * limit the oldest free blocks go back at once, down to three quarters of
 * it (the hysteresis: one purge buys room for many frees), but only those
 * that have been free for a quarter of the decay time: a heap of mixed
 * sizes always has holes between its live blocks, and a block freed a
 * moment ago is the one the next malloc takes, so purging it only buys a
 * fault per page (bench/workloads/mixed-heap -m churn took 16x glibc's
 * faults when any block could go).  When the program has plainly shrunk
 * (a quarter less in use than at the most since the last purge, or free
 * memory past twice the limit and twice what is in use: a large heap freed
 * with a scattered few objects kept), blocks of any age go.  Free memory
 * past twice the limit alone is no sign of it: a churning heap of mixed
 * sizes holds more free memory than a quarter of its sections between its
 * live blocks (mixed-heap churn: 157 MiB free beside 116 MiB in use, in
 * 314 MiB), and purging it whatever its age cost a fifth of its faults. */
static void dirty_limit(void)
{
	static size_t used_high;       /* the most in use since the last purge */
	size_t used = 0, dirty = 0, managed = 0, limit;
	uint64_t cutoff;
	bool shrunk;

	for (unsigned z = 0; z < KS_NR_ZONES; z++) {
		struct ks_zone *zn = &ks__zones[z];
		size_t m = __atomic_load_n(&zn->managed_pages, __ATOMIC_RELAXED);
		managed += m;
		used += m - __atomic_load_n(&zn->free_pages, __ATOMIC_RELAXED);
		dirty += __atomic_load_n(&zn->dirty_pages, __ATOMIC_RELAXED);
	}
	limit = used < managed / 4 ? used : managed / 4;
	if (limit < DIRTY_LIMIT_FLOOR)
		limit = DIRTY_LIMIT_FLOOR;
	if (used > __atomic_load_n(&used_high, __ATOMIC_RELAXED))
		__atomic_store_n(&used_high, used, __ATOMIC_RELAXED);
	if (dirty <= limit || __atomic_exchange_n(&purging, 1, __ATOMIC_ACQUIRE))
		return;
	shrunk = used < used_high - used_high / 4 ||
		 (dirty > 2 * limit && dirty > 2 * used);
	cutoff = shrunk ? UINT64_MAX : ks__clock_ms() - ks__opt.decay_ms / 4;
	ks__buddy_purge(cutoff, limit / 4 * 3, ks__opt.purge_lazy);
	__atomic_store_n(&used_high, used, __ATOMIC_RELAXED);
	__atomic_store_n(&purging, 0, __ATOMIC_RELEASE);
}

void ks__pages_fork_child(void)
{
	purging = 0;               /* the purger may not have survived */
}

bool ks__pages_decay(void)
{
	static uint64_t next_ms;
	uint64_t now = ks__clock_ms();
	size_t keep = 0;

	if (now < __atomic_load_n(&next_ms, __ATOMIC_RELAXED))
		return false;
	if (__atomic_exchange_n(&purging, 1, __ATOMIC_ACQUIRE))
		return false;
	__atomic_store_n(&next_ms, now + (ks__opt.decay_ms / 4 ? ks__opt.decay_ms / 4 : 1),
			 __ATOMIC_RELAXED);
	for (unsigned z = 0; z < KS_NR_ZONES; z++)
		keep = ks__zones[z].wmark[KS_WMARK_HIGH] > keep ?
		       ks__zones[z].wmark[KS_WMARK_HIGH] : keep;
	ks__buddy_purge(now > ks__opt.decay_ms ? now - ks__opt.decay_ms : 0, keep,
			ks__opt.purge_lazy);
	__atomic_store_n(&purging, 0, __ATOMIC_RELEASE);
	return true;
}

/* Free the pages [pfn, pfn + nr) of PG's section, as aligned blocks, in
 * one visit to the zone. */
static void free_range(struct ks_page *pg, size_t nr)
{
	ks__buddy_free_range(pg, nr, false);
	if (!ks__pages_decay())
		dirty_limit();
}

/* The tail descriptors of an exact block are not written: a page inside a
 * block that is not its head reads KS_PG_NONE (as every page in a free
 * block but its head does) or a TAIL left from an earlier block, and
 * free() and the page API refuse both; no tail of a live block can carry
 * a slab's cc_off, which slab_release clears.  Marking every tail cost a
 * cache line per page of each large malloc. */

struct ks_page *ks__pages_alloc_exact(ks_gfp_t gfp, size_t nr, unsigned align_order,
				      uint8_t kind)
{
	unsigned order = ks_log2_ceil(nr);
	struct ks_page *pg;

	if (align_order > order)
		order = align_order;
	if (align_order == 0)              /* no alignment beyond a page */
		gfp |= KS__GFP_UNALIGNED;
	pg = pages_alloc(gfp | KS__GFP_LARGE, order, nr, order);   /* the tail goes back there */
	if (!pg)
		return NULL;
	pg->kind = kind;
	pg->nr_pages = nr;
	pg->cache = NULL;
	return pg;
}

void ks__pages_free_run(struct ks_page *pg, size_t nr)
{
	free_range(pg, nr);
}

void ks__pages_free_exact(struct ks_page *pg, size_t nr)
{
	KS_ASSERT(pg->head_delta == 0 && pg->nr_pages == nr);
	ks__pages_free_run(pg, nr);
}

void ks__pages_shrink_exact(struct ks_page *pg, size_t nr)
{
	KS_BUG_ON(nr == 0 || nr > pg->nr_pages);
	if (nr < pg->nr_pages)
		free_range(pg + nr, pg->nr_pages - nr);
	pg->nr_pages = nr;
}

bool ks__pages_free_moved(struct ks_page *pg, size_t nr)
{
	KS_ASSERT(pg->head_delta == 0 && pg->nr_pages == nr);
	if (!ks__os_commit(ks_page_address(pg), nr << KS_PAGE_SHIFT)) {
		pg->kind = KS_PG_RESERVED;   /* a hole: never handed out again */
		return false;
	}
	ks__buddy_free_range(pg, nr, true);
	return true;
}

bool ks__pages_grow_exact(struct ks_page *pg, size_t nr)
{
	size_t have = pg->nr_pages;

	if (nr <= have)
		return true;
	if (ks_page_pfn(pg) + nr > KS_SECTION_PAGES)
		return false;
	if (!ks__buddy_claim_range(pg + have, nr - have))
		return false;
	pg->nr_pages = nr;
	return true;
}
