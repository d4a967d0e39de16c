/* SPDX-License-Identifier: BSD-2-Clause */
/* page_alloc.h - the page API over the zones (see page_alloc.c). */
#ifndef KS_PAGE_ALLOC_H
#define KS_PAGE_ALLOC_H
#include "internal.h"
#include "buddy.h"

/* Internal gfp bit: a large block (the LARGE page group, see buddy.c);
 * slabs and small page-API blocks go without it. */
#define KS__GFP_LARGE 0x8000u
/* Internal gfp bit: an exact block that need not be aligned beyond a
 * page, so it may be any run of free pages (buddy.c, runs). */
#define KS__GFP_UNALIGNED 0x4000u

/* A block of 2^order pages: head descriptor, kind still KS_PG_NONE for the
 * caller to set.  Zeroed when gfp has KS_GFP_ZERO.  NULL: errno ENOMEM. */
struct ks_page *ks__pages_alloc(ks_gfp_t gfp, unsigned order);
/* A batch: 2^order pages or, when a larger block would be split for them
 * anyway, that block up to 2^up_to pages (the smallest free block that
 * holds 2^order, so that the holes of a heap are used before a fresh
 * block is cut).  The head's order says how many pages came; the caller
 * may use them as separate blocks of ORDER and free them one by one
 * (the kernel's rmqueue_bulk, for the per-cpu lists). */
struct ks_page *ks__pages_alloc_batch(ks_gfp_t gfp, unsigned order, unsigned up_to);
/* A mapping of kslab's outside the zones (vmalloc) failed for want of
 * address space: true if the heap window gave some back (arena.c). */
bool ks__pages_space_short(void);
void ks__pages_free(struct ks_page *pg, unsigned order);
/* NR pages aligned to 2^align_order pages; the rest of the power-of-two
 * block goes straight back.  Every page but the head is marked TAIL of
 * KIND; the head gets KIND and nr_pages. */
struct ks_page *ks__pages_alloc_exact(ks_gfp_t gfp, size_t nr, unsigned align_order,
				      uint8_t kind);
void ks__pages_free_exact(struct ks_page *pg, size_t nr);
/* Give back NR pages from PG on that no descriptor marks as in use: the
 * unused part of a batch. */
void ks__pages_free_run(struct ks_page *pg, size_t nr);
/* Shrink an exact block in place to NR pages (NR <= its nr_pages). */
void ks__pages_shrink_exact(struct ks_page *pg, size_t nr);
/* The pages of the exact block PG (NR of them) were moved out of their
 * section with mremap (a page-path block that realloc makes a vmalloc
 * one): map fresh pages in their place and give them back, clean.  False
 * if the kernel would not map them: they stay out of use, reserved. */
bool ks__pages_free_moved(struct ks_page *pg, size_t nr);
/* Grow an exact block in place to NR pages if the pages after it are free;
 * false if they are not. */
bool ks__pages_grow_exact(struct ks_page *pg, size_t nr);
/* Housekeeping: purge free blocks idle past the decay time; cheap when it
 * is not yet due (one coarse clock read).  True when it ran a pass (every
 * quarter decay time), which is when the layers above reap too. */
bool ks__pages_decay(void);
void ks__pages_fork_child(void);
#endif
