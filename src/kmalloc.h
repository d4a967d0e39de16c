/* SPDX-License-Identifier: BSD-2-Clause */
/* kmalloc.h - size classes and the kmalloc caches (kmalloc.c). */
#ifndef KS_KMALLOC_H
#define KS_KMALLOC_H
#include "internal.h"
#include "magazine.h"


extern struct ks_cache ks__kmalloc_caches[KS_NR_CLASSES];
extern const uint8_t ks__small_class[KS_SMALL_MAX / 16 + 1];

/* The class of SIZE (1..KS_SLAB_MAX): 16-byte steps to 128 B (classes
 * 0-7), four classes per doubling to 1 KiB (8-19, by table), eight per
 * doubling above (20-59): no allocation wastes more than 25%, and none
 * above 1 KiB more than 12.5% (programs like sqlite allocate just over a
 * power of two, 1 KiB + 8 or 4 KiB + 400, where a quarter step costs most). */
static inline unsigned ks_size_class(size_t size)
{
	if (size <= KS_SMALL_MAX)
		return ks__small_class[(size + 15) >> 4];
	size_t s = size - 1;
	unsigned lg = ks_log2_floor(s);
	return 20 + (lg - 10) * 8 + (unsigned)((s >> (lg - 3)) & 7);
}

static inline size_t ks_class_size(unsigned cls)
{
	if (cls < 8)
		return (size_t)(cls + 1) * 16;
	if (cls < 20) {
		unsigned k = cls - 8, lg = 7 + k / 4;
		return (size_t)(5 + k % 4) << (lg - 2);
	}
	unsigned k = cls - 20, lg = 10 + k / 8;
	return (size_t)(9 + k % 8) << (lg - 3);
}

void ks__kmalloc_init(void);
/* Housekeeping: give back the calling thread's idle magazines of the
 * classes above 32 KiB. */
void ks__kmalloc_trim(struct ks_tcache *tc);
void *ks__kmalloc(size_t size, ks_gfp_t gfp);
void *ks__kmalloc_aligned(size_t align, size_t size, ks_gfp_t gfp);
/* free() beyond the fast path: every kind of pointer, NULL included. */
void ks__kfree(void *p);
/* KSLAB_OPTIONS=leaks: note the live page-path and vmalloc blocks. */
void ks__kmalloc_leaks(void);
/* Give back the freed large blocks the poison quarantine holds. */
void ks__kmalloc_quarantine_flush(void);
/* KSLAB_OPTIONS=strict: the calling thread's cpu cache of the kmalloc
 * cache P is an object of, if P is the start of one (the fast path's
 * cpu cache for it); NULL for anything else, which ks__kfree takes. */
struct ks_cpu_cache *ks__strict_cc(void *p);
/* Usable bytes of P; 0 if kslab did not give P. */
size_t ks__ksize(const void *p);
void *ks__krealloc(void *p, size_t size, ks_gfp_t gfp);
/* The usable size ks__kmalloc_aligned(ALIGN, SIZE) would give (nallocx);
 * 0 if SIZE is too large to have one. */
size_t ks__kmalloc_size(size_t size, size_t align);
/* Frees that found the free key in their object and searched for it
 * (statistics: a double free, or a live object holding the key). */
extern uint64_t ks__free_checks;
#endif
