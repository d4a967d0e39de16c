/* SPDX-License-Identifier: BSD-2-Clause */
/* buddy.h - zones and the binary buddy allocator (see buddy.c). */
#ifndef KS_BUDDY_H
#define KS_BUDDY_H
#include "internal.h"
#include "arena.h"

enum { KS_ZONE_DMA32, KS_ZONE_NORMAL, KS_NR_ZONES };
/* Page grouping (the kernel's migrate types): slab pages and large blocks
 * are kept apart in pageblocks of their own, so that long-lived slabs do
 * not pepper the regions that large blocks need whole. */
enum { KS_MT_SLAB, KS_MT_LARGE, KS_NR_MT };
#define KS_PAGEBLOCK_ORDER 9              /* 2 MiB of kslab pages */
#define KS_SPAN_EXACT 64                  /* spans up to this many pages have
                                             a list per length */
#define KS_SPAN_BINS 128                  /* and eight per doubling above */
enum { KS_WMARK_MIN, KS_WMARK_LOW, KS_WMARK_HIGH, KS_NR_WMARKS };

struct ks_zone {
	ks_lock_t lock;                       /* free_area, counters, sections */
	const char *name;
	unsigned id;
	/* free blocks by type and order, the resident ([0], newest first)
	 * apart from the purged ([1]): allocation takes resident memory
	 * first, and the purge finds the oldest resident block in O(1) */
	struct ks_list free_area[KS_NR_MT][KS_NR_ORDERS][2];
	size_t nr_free[KS_NR_ORDERS];         /* blocks of each order, all types */
	size_t nr_free_mt[KS_NR_MT][KS_NR_ORDERS];
	uint64_t nr_steal;                    /* fallbacks to the other type */
	size_t free_pages;                    /* pages in free blocks */
	size_t deferred_pages;                /* of those, not yet on a list */
	size_t dirty_pages;                   /* free pages not yet purged */
	size_t managed_pages;                 /* pages of its sections */
	size_t wmark[KS_NR_WMARKS];
	/* free spans of large-block pages by length (buddy.c, "spans"),
	 * resident ([0], newest first) apart from purged, and a bit per
	 * non-empty list */
	struct ks_list spans[KS_SPAN_BINS][2];
	uint64_t span_bits[2][KS_SPAN_BINS / 64];
	size_t nr_spans, span_pages;
	uint64_t span_oldest;                 /* no dirty span's list ends in
	                                         one freed before this */
	struct ks_list sections;
	ks_lock_t grow_lock;                  /* one grower at a time */
	uint64_t purged_bytes;                /* handed back over the life */
};

extern struct ks_zone ks__zones[KS_NR_ZONES];

void ks__buddy_init(void);
/* Take a block of 2^order pages for pages of type MT (falling back to the
 * other type's blocks); NULL if the zone has none.  Only its first KEEP
 * pages are kept (an exact block), the rest go back in the same visit;
 * when UNALIGNED, an exact block may be any run of KEEP free pages.
 * The head's flags carry KS_PF_CLEAN when every byte of the block reads
 * as zero.  UP_TO above ORDER lets a whole block (not an exact one) come
 * out larger, up to 2^up_to pages, when a larger one would be split for
 * it: its head's order says how large. */
struct ks_page *ks__buddy_alloc(struct ks_zone *z, unsigned order, unsigned mt,
				size_t keep, bool unaligned, unsigned up_to);
/* Give back a block (head page, order); DIRTY unless the caller knows it
 * is still zero.  Coalesces with free buddies. */
void ks__buddy_free(struct ks_page *pg, unsigned order);
/* Give a new section's pages to its zone. */
void ks__buddy_add_section(struct ks_zone *z, struct ks_section *sec);
/* Purge dirty free blocks freed at or before CUTOFF_MS (UINT64_MAX: all),
 * keeping KEEP_PAGES dirty pages warm per zone.  Returns bytes purged. */
size_t ks__buddy_purge(uint64_t cutoff_ms, size_t keep_pages, bool lazy);
size_t ks__buddy_free_bytes(void);
/* Take the NR pages from FIRST (one section) out of the free blocks that
 * hold them, if every one is free; false, and nothing taken, if not. */
bool ks__buddy_claim_range(struct ks_page *first, size_t nr);
/* Give back the pages [PG, PG + NR) of one section, as the aligned blocks
 * they split into, under one lock: dirty, or, if FRESH (mapped anew, no
 * memory behind them), clean and purged. */
void ks__buddy_free_range(struct ks_page *pg, size_t nr, bool fresh);
int ks__buddy_check(void);
/* The lock order's zone part, for fork. */
void ks__buddy_lock_all(void);
void ks__buddy_unlock_all(bool child);
#endif
