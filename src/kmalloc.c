// SPDX-License-Identifier: BSD-2-Clause
/*
 * kmalloc.c - size classes over the slab layer, and the routing of every
 * malloc-family block by size: slab class, page path, or vmalloc.
 *
 * Classes.  68 caches, kmalloc-16 to kmalloc-65536: 16-byte steps up to
 * 128 B, then four classes per doubling to 1 KiB (160, 192, 224, 256, 320,
 * ...), then eight (1152, 1280, ..., 2048, 2304, ...), so an allocation
 * wastes at most 25% of what it asked for, and above 1 KiB at most 12.5%.
 * Sizes up to 1 KiB find their class by one table load; larger ones by a
 * count of leading zeros.  Power-of-two classes have no colour and no
 * leftover, so their objects are naturally aligned: memalign serves
 * alignments up to 64 KiB from them.
 *
 * Why classes reach 64 KiB, not 8 KiB as the kernel's kmalloc slabs do:
 * blocks of 32-64 KiB are common in real heaps (buffers, hash tables, a
 * page cache's pages), freed and asked for again at a high rate.  From the
 * page path each costs a visit to the zone lock and a search of the free
 * lists for a run of pages, whose descriptors are cold (mixed-heap churn
 * spent 7% of its time there); from a class, a thread's magazine serves
 * it.  The magazines of these classes are the smallest there are (4
 * objects) and grow under contention to 1 MiB of objects at most
 * (magazine.c); a thread gives back those it stops using (ks__kmalloc_trim);
 * their slabs hold 1 to 7 objects, so freed blocks go back to the page
 * allocator with their slab.  Why not further, as tcmalloc's classes go to
 * 256 KiB: a slab is a power-of-two block, and above 64 KiB few class sizes
 * fill one well (an 88 KiB class loses 31% of its slab at every order up
 * to 256 KiB, on top of the class's rounding), where the page path's
 * exact blocks lose less than a page; classes to 128 KiB took a further
 * 10% off alloc-test's time but nothing off churn's.
 *
 * Page path.  Above 64 KiB and up to 4 MiB a block is whole pages from the
 * page allocator, exact (the tail of the power-of-two block is freed at
 * once); its head descriptor says KS_PG_LARGE and holds the page count, so
 * free needs no header.  realloc shrinks such a block in place and grows
 * it in place when the pages after it are free.
 *
 * vmalloc path.  Above 4 MiB, a mapping of its own (vmalloc.c).
 *
 * KS_GFP_DMA32.  The kmalloc caches take NORMAL memory.  A DMA32 request
 * up to 64 KiB goes to the class's dma-kmalloc cache, as in the kernel: a
 * cache of the same size whose slabs come from ZONE_DMA32, made at its
 * first use (published with a compare-and-swap, so that no lock guards
 * it: the loser of a race destroys its copy), with magazines like any
 * object cache, so that free() takes its objects back; larger DMA32
 * requests take whole DMA32 pages.
 *
 * free.  The fast path (fastpath.h) handles an object of a kmalloc cache
 * whose thread magazine has room.  Everything else comes to ks__kfree:
 * full magazines, page-path blocks, vmalloc blocks, objects of debug
 * caches, and pointers kslab never gave, which are reported.
 */
#include "kmalloc.h"
#include "fastpath.h"
#include "page_alloc.h"
#include "vmalloc.h"
#include "reserve.h"
#include "debug.h"
#include "options.h"
#include "os.h"
#include "stats.h"
#include <errno.h>
#include <string.h>

struct ks_cache ks__kmalloc_caches[KS_NR_CLASSES];
static struct ks_cache *dma_caches[KS_NR_CLASSES];     /* made at first use */
static unsigned long kmalloc_flags;                    /* of every class */
static size_t large_pages, large_count;   /* page-path blocks, atomics */

const uint8_t ks__small_class[KS_SMALL_MAX / 16 + 1] = {
	0, 0, 1, 2, 3, 4, 5, 6, 7,        /* 0..128 by 16 */
	8, 8, 9, 9, 10, 10, 11, 11,       /* ..256 by 32 */
	12, 12, 12, 12, 13, 13, 13, 13,   /* ..512 by 64 */
	14, 14, 14, 14, 15, 15, 15, 15,
	16, 16, 16, 16, 16, 16, 16, 16,   /* ..1024 by 128 */
	17, 17, 17, 17, 17, 17, 17, 17,
	18, 18, 18, 18, 18, 18, 18, 18,
	19, 19, 19, 19, 19, 19, 19, 19,
};

_Static_assert(KS_TCACHE_SIZES == KS_SMALL_MAX + 1, "the fast path's size table");
_Static_assert(KS_SMALL_CLASSES * sizeof(struct ks_cpu_cache) / 8 <= UINT8_MAX,
	       "a small class's cpu cache offset / 8 fits the fast path's byte");
_Static_assert((KS_NR_CLASSES + 1) * sizeof(struct ks_cpu_cache) <= UINT16_MAX,
	       "every class's cpu cache offset fits a page's cc_off");

void ks__kmalloc_init(void)
{
	unsigned long flags = 0;
	char name[KS_CACHE_NAME_MAX];

	if (ks__opt.poison)
		flags |= KS_CACHE_POISON;
	if (ks__opt.redzone)
		flags |= KS_CACHE_RED_ZONE;
	if (ks__opt.track || ks__on_memcheck)
		flags |= KS_CACHE_TRACK;
	if (!flags)
		flags = KS_CACHE_FREE_KEY;
	kmalloc_flags = flags;
	for (unsigned i = 0; i < KS_NR_CLASSES; i++) {
		struct ks_cache *c = &ks__kmalloc_caches[i];
		size_t size = ks_class_size(i);
		ks__snprintf(name, sizeof(name), "kmalloc-%zu", size);
		KS_BUG_ON(ks__slab_cache_init(&c->sc, name, size, KS_MIN_ALIGN, flags, NULL));
		KS_BUG_ON(ks__mag_cache_init(c, (int)i));
		c->sc.max_empty = size >= 4096 ? 1 : 2;
		KS_ASSERT(ks_size_class(size) == i);
	}
	KS_ASSERT(ks__small_class[KS_SMALL_MAX / 16] + 1u == KS_SMALL_CLASSES);
	KS_ASSERT(ks_size_class(32768) + 1 == KS_BIG_CLASS);
	for (unsigned size = 0; size < KS_TCACHE_SIZES; size++)
		ks__cc_off_template[size] = (uint8_t)((ks__small_class[(size + 15) >> 4] + 1u) *
						      sizeof(struct ks_cpu_cache) / 8);
}

/* A thread keeps up to two magazines of every class, and for the classes
 * above 32 KiB that is up to half a MiB each (2 MiB once contention has
 * deepened them): a thread that stopped using a big class gives its
 * magazines back when a look, a decay period after the last, finds the
 * class's loaded magazine where that one left it (the depots' caps and
 * reaps then send the objects to their slabs, and empty slabs to the page
 * allocator).  From every 32nd of the thread's housekeeping ticks (8192
 * mallocs: a look costs a clock read and 200 instructions); the small
 * classes' magazines are not worth the look. */
void ks__kmalloc_trim(struct ks_tcache *tc)
{
	uint64_t now = ks__clock_ms();

	if (now < tc->idle_ms)
		return;
	tc->idle_ms = now + ks__opt.decay_ms;
	for (unsigned i = KS_BIG_CLASS; i < KS_NR_CLASSES; i++)
		ks__mag_drain_idle(&ks__kmalloc_caches[i], tc, &tc->idle_seen[i - KS_BIG_CLASS]);
}

void ks__large_stats(size_t *bytes, size_t *count)
{
	*bytes = __atomic_load_n(&large_pages, __ATOMIC_RELAXED) * KS_PAGE_SIZE;
	*count = __atomic_load_n(&large_count, __ATOMIC_RELAXED);
}

/* Under KSLAB_OPTIONS=redzone (and debug) a page-path block gets red
 * zones on both sides: the block starts KS_LARGE_HEAD bytes into its first
 * page (or as many as its alignment asks, below a page; s_off in the head
 * descriptor), at least KS_LARGE_RZ bytes more are taken after it, and
 * everything before the block and past the request to the end of the
 * last page is filled with KS_RED_ACTIVE.  The request is kept in the head
 * descriptor, and the free checks both fills, so an overflow or an
 * underflow of 1 or 32 bytes is reported as the slab caches' are.  A
 * vmalloc-path block (above 4 MiB) gets the same zones inside its mapping
 * (vm_rz_*), its request in the first word of its head zone. */
#define KS_LARGE_RZ 32
#define KS_LARGE_HEAD 64

static bool large_redzone(void)
{
	return ks__opt.redzone;
}

/* The head red zone a block aligned to ALIGN can have (0: none). */
static size_t head_zone(size_t align)
{
	if (!large_redzone())
		return 0;
	return align <= KS_LARGE_HEAD ? KS_LARGE_HEAD : align < KS_PAGE_SIZE ? align : 0;
}

static void *large_alloc(size_t size, unsigned align_order, size_t head, ks_gfp_t gfp)
{
	size_t want = large_redzone() && size + head + KS_LARGE_RZ <= KS_PAGE_PATH_MAX ?
		      size + head + KS_LARGE_RZ : size;   /* no room: no zones */
	size_t nr = (want + KS_PAGE_SIZE - 1) >> KS_PAGE_SHIFT;
	struct ks_page *pg = ks__pages_alloc_exact(gfp, nr, align_order, KS_PG_LARGE);
	char *p;

	if (!pg)
		return NULL;
	__atomic_add_fetch(&large_pages, nr, __ATOMIC_RELAXED);
	__atomic_add_fetch(&large_count, 1, __ATOMIC_RELAXED);
	p = ks_page_address(pg);
	pg->s_off = 0;
	if (ks__debug_tracking)
		pg->caller = ks__tls_caller;
	ks_vg_alloc_in(p, size, nr << KS_PAGE_SHIFT, gfp & KS_GFP_ZERO);
	if (large_redzone()) {
		if (want == size)
			head = 0;
		pg->s_off = (uint16_t)head;
		pg->requested = (uint32_t)size;
		memset(p, KS_RED_ACTIVE, head);
		memset(p + head + size, KS_RED_ACTIVE, (nr << KS_PAGE_SHIFT) - head - size);
	}
	return p + pg->s_off;
}

/* The red zones around a page-path block still as large_alloc left them. */
static void large_check(struct ks_page *pg)
{
	const unsigned char *base = ks_page_address(pg);

	if (!ks__debug_zones_intact(base, 0, pg->s_off, pg->requested,
				    pg->nr_pages << KS_PAGE_SHIFT))
		ks__report(KS_ERR_RED_ZONE, base + pg->s_off, NULL);
}

/* vmalloc-path red zones: [request][RED ... to KS_LARGE_HEAD] block [RED
 * to the end of the mapping].  The block of a mapping at BASE. */
static void *vm_rz_alloc(size_t size, bool zero)
{
	size_t len = size + KS_LARGE_HEAD + KS_LARGE_RZ;
	unsigned char *base;

	if (len < size || !(base = ks__vmalloc_alloc(len, 0, zero)))
		return NULL;
	len = ks__vmalloc_usable(base);
	memcpy(base, &size, sizeof(size));
	memset(base + sizeof(size), KS_RED_ACTIVE, KS_LARGE_HEAD - sizeof(size));
	memset(base + KS_LARGE_HEAD + size, KS_RED_ACTIVE, len - KS_LARGE_HEAD - size);
	return base + KS_LARGE_HEAD;
}

/* The mapping of P if P is a red-zoned vmalloc block, else NULL; its
 * request in *SIZE. */
static unsigned char *vm_rz_base(const void *p, size_t *size)
{
	unsigned char *base = (unsigned char *)p - KS_LARGE_HEAD;
	size_t len;

	if (!large_redzone() || (uintptr_t)p % ks__os_page_size != KS_LARGE_HEAD ||
	    !(len = ks__vmalloc_usable(base)))
		return NULL;
	memcpy(size, base, sizeof(*size));
	if (*size > len - KS_LARGE_HEAD)      /* the request's word is damaged */
		ks__report(KS_ERR_RED_ZONE, p, NULL);
	return base;
}

/* Under poison (and debug), a freed page-path or vmalloc block is made
 * inaccessible and waits out the next KS_LARGE_QUARANTINE such frees
 * before its memory goes back, so a read or write through a stale
 * pointer faults where it happens (the slab caches' poison can only tell
 * of a write, later).  The queue is a ring of tagged pointers (bit 0: a
 * vmalloc block), each slot taken with one atomic exchange: the block it
 * held is the taker's to give back. */
#define KS_LARGE_QUARANTINE 16
static uintptr_t large_quarantine[KS_LARGE_QUARANTINE];
static unsigned large_quarantine_next;

static bool large_quarantined(void)
{
	return ks__opt.poison;
}

static void large_free(struct ks_page *pg);
static void vm_release(uintptr_t tagged);

static void quarantine_release(uintptr_t tagged)
{
	if (tagged & 1) {
		vm_release(tagged);
	} else if (tagged) {
		struct ks_page *pg = ks_virt_to_page((void *)tagged);
		ks__os_protect(ks_page_address(pg), pg->nr_pages << KS_PAGE_SHIFT, true);
		large_free(pg);
	}
}

/* A second free (or a realloc) of P while it waits in the quarantine, of
 * either kind: reported before its inaccessible memory is touched. */
static void quarantine_check(const void *p)
{
	for (unsigned i = 0; i < KS_LARGE_QUARANTINE; i++)
		if ((__atomic_load_n(&large_quarantine[i], __ATOMIC_RELAXED) & ~(uintptr_t)1) ==
		    (uintptr_t)p)
			ks__report(KS_ERR_DOUBLE_FREE, p, NULL);
}

static void quarantine_put(uintptr_t tagged)
{
	unsigned slot = __atomic_fetch_add(&large_quarantine_next, 1, __ATOMIC_RELAXED);

	quarantine_release(__atomic_exchange_n(&large_quarantine[slot % KS_LARGE_QUARANTINE],
					       tagged, __ATOMIC_ACQ_REL));
}

void ks__kmalloc_quarantine_flush(void)
{
	for (unsigned i = 0; i < KS_LARGE_QUARANTINE; i++)
		quarantine_release(__atomic_exchange_n(&large_quarantine[i], 0,
						       __ATOMIC_ACQ_REL));
}

/* The mapping of vmalloc block P, red-zoned or not, and its length. */
static unsigned char *vm_mapping(void *p, size_t *len)
{
	unsigned char *base = (uintptr_t)p % ks__os_page_size == KS_LARGE_HEAD ?
			      (unsigned char *)p - KS_LARGE_HEAD : p;

	*len = ks__vmalloc_usable(base);
	return base;
}

static void vm_release(uintptr_t tagged)
{
	size_t len;
	unsigned char *base = vm_mapping((void *)(tagged & ~(uintptr_t)1), &len);

	ks__os_protect(base, len, true);
	ks__vmalloc_free(base);
}

/* Free vmalloc block P (checked if it is red-zoned); false if P is none. */
static bool vm_free(void *p)
{
	size_t size, len;
	unsigned char *base;

	if (large_quarantined())
		quarantine_check(p);
	if (ks__vmalloc_usable(p)) {
		base = p;
	} else if ((base = vm_rz_base(p, &size)) != NULL) {
		len = ks__vmalloc_usable(base);
		if (!ks__debug_zones_intact(base, sizeof(size), KS_LARGE_HEAD, size, len))
			ks__report(KS_ERR_RED_ZONE, p, NULL);
	} else {
		return false;
	}
	ks_vg_free(p);
	if (large_quarantined()) {
		ks__os_protect(base, ks__vmalloc_usable(base), false);
		quarantine_put((uintptr_t)p | 1);
	} else {
		ks__vmalloc_free(base);
	}
	return true;
}

static void large_free(struct ks_page *pg)
{
	size_t nr = pg->nr_pages;

	if (large_redzone())
		large_check(pg);
	ks_vg_free((char *)ks_page_address(pg) + pg->s_off);
	__atomic_sub_fetch(&large_pages, nr, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&large_count, 1, __ATOMIC_RELAXED);
	ks__pages_free_exact(pg, nr);
}

/* The dma-kmalloc cache of class CLS, made if it is the first call that
 * needs it; NULL if it cannot be made. */
static ks_noinline struct ks_cache *dma_cache(unsigned cls)
{
	struct ks_cache *c = __atomic_load_n(&dma_caches[cls], __ATOMIC_ACQUIRE);
	struct ks_cache *none = NULL;
	char name[KS_CACHE_NAME_MAX];

	if (ks_likely(c != NULL))
		return c;
	ks__snprintf(name, sizeof(name), "dma-kmalloc-%zu", ks_class_size(cls));
	if (!(c = ks__mag_cache_new(name, ks_class_size(cls), KS_MIN_ALIGN,
				    kmalloc_flags | KS_CACHE_DMA32, NULL)))
		return NULL;
	if (__atomic_compare_exchange_n(&dma_caches[cls], &none, c, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return c;
	ks__mag_cache_delete(c);           /* another thread made it first */
	return none;
}

/* An object of class CLS: of its kmalloc cache, or of its dma-kmalloc
 * cache for KS_GFP_DMA32. */
/* KSLAB_OPTIONS=leaks: the page-path blocks of the section at BASE, and
 * (once, from ks__kmalloc_leaks) the vmalloc path's. */
static void section_leaks(uintptr_t base, void *arg)
{
	struct ks_page *pg = (struct ks_page *)base;

	(void)arg;
	for (size_t pfn = KS_SECTION_RESERVED; pfn < KS_SECTION_PAGES;) {
		struct ks_page *p = &pg[pfn];
		if (p->kind == KS_PG_LARGE && p->head_delta == 0 && p->nr_pages) {
			ks__debug_leak_note_block(p->caller, large_redzone() ? p->requested :
						  p->nr_pages << KS_PAGE_SHIFT);
			pfn += p->nr_pages;
		} else {
			pfn++;
		}
	}
}

void ks__kmalloc_leaks(void)
{
	ks__kmalloc_quarantine_flush();      /* freed blocks are no leaks */
	ks__arena_for_each(section_leaks, NULL);
	ks__vmalloc_leaks();
}

static inline void *class_alloc(unsigned cls, size_t size, ks_gfp_t gfp)
{
	struct ks_cache *c = &ks__kmalloc_caches[cls];
	void *p;

	if (ks_unlikely(gfp & KS_GFP_DMA32) && !(c = dma_cache(cls)))
		return NULL;
	if (c->sc.debug)
		return ks__slab_alloc_debug(&c->sc, gfp, size);
	p = ks__mag_alloc_slow(c, gfp);
	if (p)
		*(ks_free_key_t *)p = 0;          /* live: no free key (fastpath.h) */
	return p;
}

static ks_noinline void *kmalloc_other(size_t size, ks_gfp_t gfp);

static ks_cold void *alloc_failed(size_t size, ks_gfp_t gfp)
{
	errno = ENOMEM;
	if (ks__opt.verbose && !(gfp & KS_GFP_NOWARN))
		ks__dprintf(2, "kslab: allocation of %zu bytes failed\n", size);
	return NULL;
}

void *ks__kmalloc(size_t size, ks_gfp_t gfp)
{
	void *p;

	/* the common case first: a class of the kmalloc caches */
	if (ks_likely(size - 1 < KS_SLAB_MAX && !(gfp & (KS_GFP_ATOMIC | KS_GFP_DMA32)))) {
		if ((p = class_alloc(ks_size_class(size), size, gfp)) != NULL)
			return p;
		return alloc_failed(size, gfp);
	}
	return kmalloc_other(size, gfp);
}

/* ... and the rest: zero bytes, KS_GFP_ATOMIC, DMA32, the page path and
 * the vmalloc path. */
static void *kmalloc_other(size_t size, ks_gfp_t gfp)
{
	void *p;

	if (ks_unlikely(gfp & KS_GFP_ATOMIC))
		return ks__reserve_alloc(size ? size : 1, KS_MIN_ALIGN);
	if (ks_unlikely(size == 0) && large_redzone() && (p = ks__debug_zero_alloc())) {
		ks__debug_log(KS_LOG_ALLOC, p, 0);
		return p;                /* any access faults (debug.c) */
	}
	if (size <= KS_SLAB_MAX)
		p = class_alloc(ks_size_class(size ? size : 1), size, gfp);
	else if (size <= KS_PAGE_PATH_MAX)
		p = large_alloc(size, 0, head_zone(KS_MIN_ALIGN), gfp);
	else if (gfp & KS_GFP_DMA32)
		p = NULL;
	else if (large_redzone())
		p = vm_rz_alloc(size, gfp & KS_GFP_ZERO);
	else if ((p = ks__vmalloc_alloc(size, 0, gfp & KS_GFP_ZERO)) != NULL)
		ks_vg_alloc(p, size, gfp & KS_GFP_ZERO);
	if (!p)
		return alloc_failed(size, gfp);
	if (size > KS_SLAB_MAX)              /* slab objects: debug.c logs them */
		ks__debug_log(KS_LOG_ALLOC, p, size);
	return p;
}

/* The smallest class whose objects are all ALIGN-aligned and hold NEED
 * bytes: objects of class C sit at slab + colour + i * C, with colours in
 * cache lines, so aligned if C is a multiple of ALIGN <= a line, or a
 * power of two (no colour, naturally aligned). */
static unsigned aligned_class(size_t need, size_t align)
{
	unsigned cls = ks_size_class(need);

	while (ks_class_size(cls) % align ||
	       (align > KS_CACHE_LINE && !ks_is_pow2(ks_class_size(cls))))
		cls++;
	return cls;
}

size_t ks__kmalloc_size(size_t size, size_t align)
{
	size_t need;

	if (!size)
		size = 1;
	need = size > align ? size : align;
	if (ks__kmalloc_caches[0].sc.debug) {
		if (align <= KS_MIN_ALIGN && size <= KS_SLAB_MAX)
			return size;   /* debug: the bytes asked for, red zone after */
	} else if (align <= KS_MIN_ALIGN && size <= KS_SLAB_MAX) {
		return ks_class_size(ks_size_class(size));
	} else if (need <= KS_SLAB_MAX) {
		return ks_class_size(aligned_class(need, align));
	}
	if (size <= KS_PAGE_PATH_MAX)
		return large_redzone() ? size : ks_align_up(size, KS_PAGE_SIZE);
	return size > SIZE_MAX - ks__os_page_size ? 0 : ks_align_up(size, ks__os_page_size);
}

void *ks__kmalloc_aligned(size_t align, size_t size, ks_gfp_t gfp)
{
	size_t need = size > align ? size : align;
	void *p = NULL;

	if (ks_unlikely(gfp & KS_GFP_ATOMIC))
		return ks__reserve_alloc(size ? size : 1, align);
	if (align <= KS_MIN_ALIGN)
		return ks__kmalloc(size, gfp);
	if (need <= KS_SLAB_MAX && !ks__kmalloc_caches[0].sc.debug) {
		p = class_alloc(aligned_class(need, align), size, gfp);
	} else if (size <= KS_PAGE_PATH_MAX && align <= KS_PAGE_PATH_MAX) {
		unsigned order = align > KS_PAGE_SIZE ?
				 ks_log2_ceil(align >> KS_PAGE_SHIFT) : 0;
		p = large_alloc(size ? size : 1, order, head_zone(align), gfp);
	} else if (align <= KS_LARGE_HEAD && large_redzone()) {
		p = vm_rz_alloc(size, gfp & KS_GFP_ZERO);
	} else if (!(gfp & KS_GFP_DMA32) &&
		   (p = ks__vmalloc_alloc(size ? size : 1, align, gfp & KS_GFP_ZERO)) != NULL) {
		ks_vg_alloc(p, size ? size : 1, gfp & KS_GFP_ZERO);
	}
	if (!p)
		errno = ENOMEM;
	else if (!ks_is_ours(p) || ks_virt_to_page(p)->kind != KS_PG_SLAB)
		ks__debug_log(KS_LOG_ALLOC, p, size);
	return p;
}

static ks_cold void invalid_free(const void *p, const char *cache)
{
	ks__report(KS_ERR_INVALID_FREE, p, cache);
}

uint64_t ks__free_checks;

/* The free key is in P's first word (fastpath.h): a double free if P is
 * free already where this thread can see, else a live object that holds
 * the key by chance, to be freed as usual. */
/* The kmalloc cache whose slab page PG is (the caches free() keys), or
 * NULL for any other page. */
static struct ks_slab_cache *keyed_cache(const struct ks_page *pg)
{
	return pg->kind == KS_PG_SLAB && (pg->cache->flags & KS_CACHE_FREE_KEY) ?
	       pg->cache : NULL;
}

void ks__free_check(void *p)
{
	struct ks_slab_cache *sc;

	if (!ks_is_ours(p) || !(sc = keyed_cache(ks_virt_to_page(p))))
		return;
	__atomic_add_fetch(&ks__free_checks, 1, __ATOMIC_RELAXED);
	if (!ks__slab_object_start(sc, p))
		invalid_free(p, sc->name);
	if (ks__mag_is_free(ks_container_of(sc, struct ks_cache, sc), p))
		ks__report(KS_ERR_DOUBLE_FREE, p, sc->name);
}

struct ks_cpu_cache *ks__strict_cc(void *p)
{
	struct ks_page *pg = ks_virt_to_page(p);  /* in the heap window */
	struct ks_slab_cache *sc = keyed_cache(pg);
	struct ks_cache *c;

	if (!sc || !ks_slab_slot_of(sc, pg, p))
		return NULL;
	c = ks_container_of(sc, struct ks_cache, sc);
	return c->id < KS_NR_CLASSES ? &ks__tls_tcache->cc[c->id + 1] : NULL;
}

void ks__kfree(void *p)
{
	struct ks_page *pg;

	if (!p)
		return;
	if (!ks_is_ours(p)) {
		/* the reserve first: its free takes no lock (a handler) */
		if (ks__reserve_free(p))
			return;
		ks__debug_log(KS_LOG_FREE, p, 0);
		if (ks__debug_zero_free(p))
			return;
		if (!vm_free(p))
			invalid_free(p, NULL);
		return;
	}
	pg = ks_virt_to_page(p);
	switch (pg->kind) {
	case KS_PG_SLAB: {
		struct ks_slab_cache *sc = pg->cache;
		if (sc->debug) {
			ks__slab_free_debug(sc, p);
		} else if (sc->flags & KS_CACHE_INTERNAL) {
			invalid_free(p, sc->name);
		} else {
			if (!ks__slab_object_start(sc, p))
				invalid_free(p, sc->name);
			if (sc->flags & KS_CACHE_FREE_KEY)
				ks_free_mark(p);
			ks__mag_free_slow(ks_container_of(sc, struct ks_cache, sc), p);
		}
		return;
	}
	case KS_PG_LARGE:
		if (pg->head_delta || (char *)ks_page_address(pg) + pg->s_off != p)
			invalid_free(p, NULL);
		ks__debug_log(KS_LOG_FREE, p, pg->nr_pages << KS_PAGE_SHIFT);
		if (large_quarantined()) {
			quarantine_check(p);
			if (large_redzone())
				large_check(pg);
			ks__os_protect(ks_page_address(pg), pg->nr_pages << KS_PAGE_SHIFT, false);
			quarantine_put((uintptr_t)p);
		} else {
			large_free(pg);
		}
		return;
	case KS_PG_BUDDY:              /* a page given back: freed before */
	case KS_PG_SPAN:
		ks__report(KS_ERR_DOUBLE_FREE, p, NULL);
	default:
		invalid_free(p, NULL);
	}
}

size_t ks__ksize(const void *p)
{
	struct ks_page *pg;

	if (!p)
		return 0;
	if (!ks_is_ours(p)) {
		size_t n = ks__reserve_usable(p);
		if (!n && !(n = ks__vmalloc_usable(p)) && vm_rz_base(p, &n))
			return n;
		return n;
	}
	pg = ks_virt_to_page(p);
	if (pg->kind == KS_PG_SLAB)
		return ks__slab_usable(pg->cache, p);
	if (pg->kind == KS_PG_LARGE && pg->head_delta == 0 &&
	    (char *)ks_page_address(pg) + pg->s_off == p)
		return large_redzone() ? pg->requested : pg->nr_pages << KS_PAGE_SHIFT;
	return 0;
}

/* Is P a block kslab handed out (its start), whatever its usable size?
 * Under debug a block of malloc(0) has none. */
static bool known_block(const void *p)
{
	struct ks_page *pg;

	if (!ks_is_ours(p)) {
		size_t n;
		return ks__reserve_usable(p) || ks__debug_is_zero(p) ||
		       ks__vmalloc_usable(p) || vm_rz_base(p, &n);
	}
	pg = ks_virt_to_page(p);
	if (pg->kind == KS_PG_SLAB)
		return !(pg->cache->flags & KS_CACHE_INTERNAL) &&
		       ks__slab_object_start(pg->cache, p) != NULL;
	return pg->kind == KS_PG_LARGE && pg->head_delta == 0 &&
	       (char *)ks_page_address(pg) + pg->s_off == p;
}

/* A page-path block that realloc grows past the page path: its pages
 * move to a mapping of their own (vmalloc.c), no byte copied; NULL if
 * they cannot (then realloc copies). */
static void *large_adopt(struct ks_page *pg, size_t size)
{
	size_t nr = pg->nr_pages;
	void *p = ks_page_address(pg), *q;

	/* not under red zones, the quarantine or valgrind, which watch the
	 * block's place; not from a huge-page section, whose fresh pages
	 * would lose the advice; not from DMA32, which a mapping of its own
	 * is not */
	if (large_redzone() || large_quarantined() || ks__on_memcheck || ks__opt.thp ||
	    ks_page_section(pg)->zone != KS_ZONE_NORMAL)
		return NULL;
	q = ks__vmalloc_adopt(p, nr << KS_PAGE_SHIFT, size);
	if (!q)
		return NULL;
	__atomic_sub_fetch(&large_pages, nr, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&large_count, 1, __ATOMIC_RELAXED);
	ks__pages_free_moved(pg, nr);
	ks__debug_log(KS_LOG_REALLOC, q, size);
	return q;
}

/* Resize a page-path block in place; false if it must move. */
static bool large_resize(struct ks_page *pg, size_t size)
{
	size_t nr = (size + KS_PAGE_SIZE - 1) >> KS_PAGE_SHIFT, old = pg->nr_pages;

	if (size <= KS_SLAB_MAX || size > KS_PAGE_PATH_MAX)
		return false;
	if (nr < old)
		ks__pages_shrink_exact(pg, nr);
	else if (nr > old && !ks__pages_grow_exact(pg, nr))
		return false;
	if (nr > old)
		__atomic_add_fetch(&large_pages, nr - old, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&large_pages, old - nr, __ATOMIC_RELAXED);
	return true;
}

void *ks__krealloc(void *p, size_t size, ks_gfp_t gfp)
{
	size_t old;
	void *q;

	if (!p)
		return ks__kmalloc(size, gfp);
	if (large_quarantined())
		quarantine_check(p);
	old = ks__ksize(p);
	if (old == 0 && !known_block(p))    /* 0 is also malloc(0) under debug */
		invalid_free(p, NULL);
	if (old && ks_is_ours(p) && ks_free_keyed(p))
		ks__free_check(p);      /* realloc frees it: a freed one is freed twice */
	if (ks_is_ours(p)) {
		struct ks_page *pg = ks_virt_to_page(p);
		if (pg->kind == KS_PG_SLAB && !pg->cache->debug &&
		    size <= old && size > old / 2)
			return p;
		if (pg->kind == KS_PG_LARGE && !large_redzone() && !ks__on_memcheck &&
		    large_resize(pg, size)) {
			ks__debug_log(KS_LOG_REALLOC, p, size);
			return p;
		}
		if (pg->kind == KS_PG_LARGE && size > KS_PAGE_PATH_MAX &&
		    (q = large_adopt(pg, size)) != NULL)
			return q;
	} else if (size > KS_PAGE_PATH_MAX && old && !ks__on_memcheck &&
		   old == ks__vmalloc_usable(p) &&
		   (q = ks__vmalloc_realloc(p, size))) {
		ks__debug_log(KS_LOG_REALLOC, q, size);
		return q;                  /* else mremap said no: copy */
	}
	q = ks__kmalloc(size, gfp);
	if (!q)
		return NULL;
	memcpy(q, p, old < size ? old : size);
	ks__kfree(p);
	return q;
}
