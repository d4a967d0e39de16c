/* SPDX-License-Identifier: BSD-2-Clause */
/* arena.h - sections, page descriptors and virt_to_page (see arena.c). */
#ifndef KS_ARENA_H
#define KS_ARENA_H
#include "internal.h"

/* What a page is used for (ks_page.kind). */
enum ks_page_kind {
	KS_PG_NONE = 0,   /* inside a free block, not its head */
	KS_PG_BUDDY,      /* head of a free block on a free_area list */
	KS_PG_RESERVED,   /* kslab's own (meta.c), or a hole never handed out;
	                     the section's descriptors and header read NONE */
	KS_PG_SLAB,       /* a page of a slab (head_delta leads to its head) */
	KS_PG_PAGES,      /* page API block: head of ks_alloc_pages memory */
	KS_PG_LARGE,      /* a large malloc block (kmalloc page path) */
	KS_PG_TAIL,       /* a later page of a ks_alloc_pages block (exact and
	                     LARGE blocks leave their tails unwritten) */
	KS_PG_SPAN,       /* head of a free span of large-block pages (buddy.c) */
};

/* ks_page.flags */
#define KS_PF_CLEAN   0x01  /* every byte of the free block reads as zero
                               (fresh from mmap or purged) */
#define KS_PF_PURGED  0x02  /* free block handed back to the OS */

/* The page descriptor, 64 bytes (1.6% of a 4 KiB page, paid only for pages
 * in use): a power of two, so virt_to_page() is a mask and one shift, and
 * each descriptor sits on one cache line of its own. */
struct ks_page {
	struct ks_list lru;          /* free_area list, or the cache's slab list */
	union {
		struct ks_slab_cache *cache; /* slab pages: the owning cache, on every page */
		const void *caller;  /* LARGE head under owner tracking: who
		                        allocated it (kmalloc.c) */
	};
	union {
		void *freelist;      /* slab head: first free object */
		size_t nr_pages;     /* LARGE/PAGES head: pages in the block */
		uint64_t free_stamp; /* BUDDY, SPAN head: ms clock when it was freed */
	};
	uint32_t head_delta;         /* pages back to the head page (0: a head) */
	uint16_t inuse;              /* slab head: objects allocated */
	uint16_t s_off;              /* slab head: offset of object 0 (colour) */
	uint8_t kind;                /* enum ks_page_kind */
	uint8_t order;               /* block order (BUDDY, SLAB, PAGES, LARGE) */
	uint8_t flags;               /* KS_PF_* */
	uint8_t node;                /* slab pages: the slab's node (slab.c), every page */
	uint16_t cc_off;             /* slab pages of a kmalloc cache: the byte
	                                offset of its cpu cache in a thread's
	                                state ((class + 1) * 32); 0 on every
	                                other page, so fresh descriptors are
	                                safe: offset 0 is a slot always full */
	uint8_t pb_type;             /* first page of a pageblock: its type */
	uint8_t mt;                  /* BUDDY head: the type list it is on */
	uint16_t carved;             /* slab head: objects handed out at least
	                                once (slab.c, lazy carving) */
	union {
		uint32_t purged;     /* slab head: its OS pages given back to
		                        the OS while it is partial, a bit each
		                        (slab.c, idle slabs) */
		uint32_t requested;  /* LARGE head under KSLAB_OPTIONS=redzone:
		                        the bytes asked for (kmalloc.c) */
		uint32_t span_len;   /* SPAN head: pages in the free span */
	};
	union {
		uint32_t touched;    /* slab head: the slab epoch of its last
		                        allocation or free */
		uint32_t span_dirty; /* SPAN head: its pages not purged */
	};
	uint32_t scanned;            /* slab head: the epoch it was last looked
	                                at for pages to give back */
};

struct ks_section {
	struct ks_list link;         /* the zone's list of sections */
	uintptr_t base;
	unsigned zone;
	unsigned first_pfn;          /* first page not reserved */
	unsigned next_pfn;           /* first page not yet on a free list
	                                (buddy.c, deferred population) */
	size_t free_pages;           /* maintained by the buddy layer */
};

#define KS_SECTION_RESERVED \
	((KS_SECTION_PAGES * sizeof(struct ks_page) + sizeof(struct ks_section) + \
	  KS_PAGE_SIZE - 1) / KS_PAGE_SIZE)

#define KS_NR_SECTION_SLOTS (1ul << (KS_VA_BITS - KS_SECTION_SHIFT))
extern ks_hidden uint8_t ks__section_map[KS_NR_SECTION_SLOTS];

/* Is P inside a section of kslab's?  O(1): one byte of a static map (a
 * byte, not a bit, saves free() two instructions; the map is 4 MiB of BSS
 * of which only the page or two covering kslab's sections is touched). */
static inline bool ks_is_ours(const void *p)
{
	uintptr_t s = (uintptr_t)p >> KS_SECTION_SHIFT;
	if (ks_unlikely(s >= KS_NR_SECTION_SLOTS))
		return false;
	return ks__section_map[s] != 0;
}

/* The heap window (arena.c): one aligned range of address space, reserved
 * at the first section, out of which sections are carved.  free()'s fast
 * path asks one question of a pointer, "inside the window, and 16-byte
 * aligned?", as a single mask and compare: the mask keeps the bits above
 * the window's size and the low four, the base is the window's start.
 * Until there is a window, and if there can be none, mask 15 and base 16,
 * which no pointer matches, and every free takes the slow path (which
 * finds sections anywhere through ks__section_map).  The two words are
 * written so that no mix of old and new values matches a pointer outside. */
extern ks_hidden uintptr_t ks__window_mask, ks__window_base;

/* (Two hidden variables, not a struct: each is then the operand of its
 * own instruction, and the test is four instructions.) */
static inline bool ks_in_heap_window(const void *p)
{
	return ((uintptr_t)p & ks__window_mask) == ks__window_base;
}

static inline uintptr_t ks_section_base(const void *p)
{
	return (uintptr_t)p & ~(KS_SECTION_SIZE - 1);
}

/* virt_to_page: a mask, a subtraction, a shift. */
static inline struct ks_page *ks_virt_to_page(const void *p)
{
	uintptr_t base = ks_section_base(p);
	return (struct ks_page *)base + (((uintptr_t)p - base) >> KS_PAGE_SHIFT);
}

static inline struct ks_section *ks_page_section(const struct ks_page *pg)
{
	uintptr_t base = ks_section_base(pg);
	return (struct ks_section *)(base + KS_SECTION_PAGES * sizeof(struct ks_page));
}

static inline size_t ks_page_pfn(const struct ks_page *pg)
{
	return (size_t)(pg - (struct ks_page *)ks_section_base(pg));
}

static inline void *ks_page_address(const struct ks_page *pg)
{
	return (void *)(ks_section_base(pg) + (ks_page_pfn(pg) << KS_PAGE_SHIFT));
}

static inline struct ks_page *ks_page_head(struct ks_page *pg)
{
	return pg - pg->head_delta;
}

/* Map a new section for ZONE (below 4 GiB when DMA32).  NULL: ENOMEM. */
struct ks_section *ks__arena_grow(unsigned zone, bool below_4g);
/* A mapping outside the sections failed: if an address-space limit was set
 * since the window was reserved, close the window and give its uncarved
 * rest back.  True if that freed address space (try again).  Caller holds
 * the normal zone's grow_lock (ks__pages_space_short). */
bool ks__arena_window_yield(void);
size_t ks__arena_mapped(void);
/* The heap window's size (0 if there is none, or it was closed) and, in
 * *CARVED, the bytes of it mapped as sections. */
size_t ks__arena_window(size_t *carved);
size_t ks__arena_nr_sections(void);
int ks__arena_check(void);
/* Call FN with the base of every section, in address order. */
void ks__arena_for_each(void (*fn)(uintptr_t base, void *arg), void *arg);
#endif
