// SPDX-License-Identifier: BSD-2-Clause
/*
 * api.c - the kernel-style interface of include/kslab.h: object caches,
 * pages, kmalloc and vmalloc, introspection.
 *
 * Each function is the public face of one layer: it boots kslab if this is
 * the process's first call, checks its arguments (NULL with errno, or a
 * misuse report for a pointer that is not what it claims to be) and calls
 * down.  ks_cache_alloc and ks_cache_free go through the per-thread
 * magazines like malloc does; a cache created with KS_CACHE_POISON or
 * KS_CACHE_RED_ZONE has none and goes to the slab layer's debug paths.
 */
#include "init.h"
#include "arena.h"
#include "buddy.h"
#include "page_alloc.h"
#include "slab.h"
#include "magazine.h"
#include "kmalloc.h"
#include "vmalloc.h"
#include "reserve.h"
#include "debug.h"
#include "options.h"
#include "api.h"
#include <errno.h>
#include <sched.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

ks_export const char *ks_version(void)
{
	return KSLAB_VERSION;
}

/* ---- trimming, and KS_GFP_NOFAIL -------------------------------------- */

size_t ks__trim(void)
{
	size_t released = 0;
	struct ks_list *pos;

	ks__mag_drain_depots();
	ks__slab_quarantine_flush(NULL);
	ks__kmalloc_quarantine_flush();
	ks_lock(&ks__slab_caches_lock);
	ks_list_for_each(pos, &ks__slab_caches)
		released += ks__slab_shrink(ks_list_entry(pos, struct ks_slab_cache, link));
	ks_unlock(&ks__slab_caches_lock);
	released += ks__slab_purge_idle(true);
	released += ks__buddy_purge(UINT64_MAX, 0, false);
	released += ks__vmalloc_trim();
	return released;
}

/* After a failed allocation: true if GFP asks that it never fail, once
 * kslab has given back what it caches and paused (1 ms, doubling to
 * 100 ms: another thread may free, or the OS find memory), so that the
 * caller tries again. */
static bool nofail_retry(ks_gfp_t gfp, unsigned *round)
{
	unsigned ms = *round < 7 ? 1u << *round : 100;
	struct timespec ts = { 0, (long)ms * 1000000L };

	if (!(gfp & KS_GFP_NOFAIL) || (gfp & KS_GFP_ATOMIC))
		return false;
	if (*round == 0 || *round % 8 == 0)
		ks__trim();
	(*round)++;
	nanosleep(&ts, NULL);
	return true;
}

/* ---- object caches ------------------------------------------------------ */

ks_export ks_cache_t *ks_cache_create(const char *name, size_t size, size_t align,
				      unsigned long flags, void (*ctor)(void *))
{
	struct ks_cache *c;

	ks_boot();
	if (!name || (align && !ks_is_pow2(align)) ||
	    (flags & ~(KS_CACHE_HWCACHE_ALIGN | KS_CACHE_POISON | KS_CACHE_RED_ZONE |
		       KS_CACHE_PANIC | KS_CACHE_DMA32 | KS_CACHE_NOMAGAZINE))) {
		errno = EINVAL;
		goto fail;
	}
	if (ks__on_memcheck)             /* free pointers outside the objects */
		flags |= KS_CACHE_TRACK;
	if ((c = ks__mag_cache_new(name, size, align, flags, ctor)) != NULL)
		return c;
fail:
	if (flags & KS_CACHE_PANIC) {
		ks__dprintf(2, "kslab: cannot create cache %s\n", name ? name : "(null)");
		abort();
	}
	return NULL;
}

ks_export void *ks_cache_zalloc(ks_cache_t *c, ks_gfp_t gfp)
{
	return ks_cache_alloc(c, gfp | KS_GFP_ZERO);
}

/* KS_GFP_ATOMIC: an object of C from the thread's reserve, constructed
 * (its previous contents are anyone's). */
static void *cache_alloc_atomic(struct ks_cache *c, ks_gfp_t gfp)
{
	void *obj = ks__reserve_alloc(c->sc.object_size, c->sc.align);

	if (obj && (gfp & KS_GFP_ZERO))
		memset(obj, 0, c->sc.object_size);
	else if (obj && c->sc.ctor)
		c->sc.ctor(obj);
	return obj;
}

ks_export void *ks_cache_alloc(ks_cache_t *c, ks_gfp_t gfp)
{
	struct ks_cpu_cache *cc;
	void *obj;

	if (!c) {
		errno = EINVAL;
		return NULL;
	}
	/* the fast path of fastpath.h, for a cache named by the caller (an
	 * ATOMIC request must not even read the thread's magazines) */
	if (ks_likely(!(gfp & (KS_GFP_ZERO | KS_GFP_ATOMIC)))) {
		cc = ks_cpu_cache_of(ks__tls_tcache, c);
		if (ks_likely(cc && cc->cursor != cc->base))
			return *--cc->cursor;
	} else if (gfp & KS_GFP_ATOMIC) {
		return cache_alloc_atomic(c, gfp);
	}
	for (unsigned round = 0;;) {
		obj = c->sc.debug ? ks__slab_alloc_debug(&c->sc, gfp, c->sc.object_size)
				  : ks__mag_alloc_slow(c, gfp);
		if (obj || !nofail_retry(gfp, &round))
			break;
	}
	if (!obj)
		errno = ENOMEM;
	return obj;
}

ks_export void ks_cache_free(ks_cache_t *c, void *obj)
{
	struct ks_cpu_cache *cc;

	if (!obj)
		return;
	if (!c || !ks_is_ours(obj) || ks_virt_to_page(obj)->kind != KS_PG_SLAB ||
	    ks_virt_to_page(obj)->cache != &c->sc) {
		if (c && !ks_is_ours(obj) && ks__reserve_free(obj))
			return;                      /* a KS_GFP_ATOMIC object */
		ks__report(KS_ERR_INVALID_FREE, obj, c ? c->sc.name : NULL);
	}
	cc = ks_cpu_cache_of(ks__tls_tcache, c);
	if (ks_likely(cc && cc->cursor != cc->limit)) {
		ks_cc_push(cc, cc->cursor, obj);
		return;
	}
	if (c->sc.debug)
		ks__slab_free_debug(&c->sc, obj);
	else
		ks__mag_free_slow(c, obj);
}

ks_export size_t ks_cache_shrink(ks_cache_t *c)
{
	if (!c)
		return 0;
	ks__mag_drain(c);
	return ks__slab_shrink(&c->sc);
}

ks_export int ks_cache_destroy(ks_cache_t *c)
{
	size_t live;

	if (!c)
		return 0;
	ks__mag_drain_all_threads(c);
	live = ks__slab_cache_busy(&c->sc);
	if (live) {
		ks__dprintf(2, "kslab: cache %s destroyed with %zu objects allocated\n",
			    c->sc.name, live);
		errno = EBUSY;
		return -1;
	}
	ks__mag_cache_delete(c);
	return 0;
}

ks_export size_t ks_cache_object_size(const ks_cache_t *c)
{
	return c ? c->sc.object_size : 0;
}

ks_export const char *ks_cache_name(const ks_cache_t *c)
{
	return c ? c->sc.name : NULL;
}

/* ---- pages -------------------------------------------------------------- */

ks_export size_t ks_page_size(void)
{
	return KS_PAGE_SIZE;
}

ks_export void *ks_alloc_pages(ks_gfp_t gfp, unsigned int order)
{
	struct ks_page *pg;
	void *p;

	if (ks_unlikely(gfp & KS_GFP_ATOMIC)) {
		if (order != 0) {
			errno = ENOMEM;
			return NULL;
		}
		p = ks__reserve_alloc(KS_PAGE_SIZE, KS_PAGE_SIZE);
		if (p && (gfp & KS_GFP_ZERO))
			memset(p, 0, KS_PAGE_SIZE);
		return p;
	}
	ks_boot();
	for (unsigned round = 0;;) {
		pg = ks__pages_alloc(gfp | (order >= 3 ? KS__GFP_LARGE : 0), order);
		if (pg || order > KS_MAX_ORDER || !nofail_retry(gfp, &round))
			break;
	}
	if (!pg)
		return NULL;
	pg->kind = KS_PG_PAGES;
	pg->nr_pages = 1ul << order;
	for (size_t i = 1; i < (1ul << order); i++) {
		pg[i].kind = KS_PG_TAIL;
		pg[i].head_delta = (uint32_t)i;
	}
	return ks_page_address(pg);
}

/* The head descriptor of a page-API block at ADDR, or a report. */
static struct ks_page *pages_head(void *addr, size_t nr)
{
	struct ks_page *pg;

	if (!ks_is_ours(addr) || ((uintptr_t)addr & (KS_PAGE_SIZE - 1)))
		ks__report(KS_ERR_INVALID_FREE, addr, NULL);
	pg = ks_virt_to_page(addr);
	if (pg->kind != KS_PG_PAGES || pg->nr_pages != nr)
		ks__report(pg->kind == KS_PG_BUDDY || pg->kind == KS_PG_SPAN ?
			   KS_ERR_DOUBLE_FREE : KS_ERR_INVALID_FREE,
			   addr, NULL);
	return pg;
}

ks_export void ks_free_pages(void *addr, unsigned int order)
{
	if (!addr)
		return;
	if (order == 0 && !ks_is_ours(addr) && ks__reserve_free(addr))
		return;                              /* a KS_GFP_ATOMIC page */
	if (order > KS_MAX_ORDER)
		ks__report(KS_ERR_INVALID_FREE, addr, NULL);
	ks__pages_free(pages_head(addr, 1ul << order), order);
}

ks_export void *ks_get_free_page(ks_gfp_t gfp)
{
	return ks_alloc_pages(gfp, 0);
}

ks_export void *ks_get_zeroed_page(ks_gfp_t gfp)
{
	return ks_alloc_pages(gfp | KS_GFP_ZERO, 0);
}

ks_export void ks_free_page(void *addr)
{
	ks_free_pages(addr, 0);
}

ks_export void *ks_alloc_pages_exact(size_t size, ks_gfp_t gfp)
{
	size_t nr = (size + KS_PAGE_SIZE - 1) >> KS_PAGE_SHIFT;
	struct ks_page *pg;

	ks_boot();
	if (size == 0 || nr > (1ul << KS_MAX_ORDER)) {
		errno = size ? ENOMEM : EINVAL;
		return NULL;
	}
	for (unsigned round = 0;;) {
		pg = ks__pages_alloc_exact(gfp, nr, 0, KS_PG_PAGES);
		if (pg || !nofail_retry(gfp, &round))
			break;
	}
	return pg ? ks_page_address(pg) : NULL;
}

ks_export void ks_free_pages_exact(void *addr, size_t size)
{
	size_t nr = (size + KS_PAGE_SIZE - 1) >> KS_PAGE_SHIFT;

	if (!addr)
		return;
	ks__pages_free_exact(pages_head(addr, nr), nr);
}

/* ---- kmalloc and vmalloc ------------------------------------------------ */

ks_export void *ks_kmalloc(size_t size, ks_gfp_t gfp)
{
	void *p;

	if (!(gfp & KS_GFP_ATOMIC))          /* a handler: nothing that locks */
		ks_boot();
	for (unsigned round = 0;;) {
		p = ks__kmalloc(size, gfp);
		if (p || size > PTRDIFF_MAX || !nofail_retry(gfp, &round))
			break;
	}
	if (p && (gfp & KS_GFP_ZERO) && size <= KS_SLAB_MAX)
		memset(p, 0, size);
	return p;
}

ks_export void *ks_kzalloc(size_t size, ks_gfp_t gfp)
{
	return ks_kmalloc(size, gfp | KS_GFP_ZERO);
}

ks_export void *ks_kcalloc(size_t n, size_t size, ks_gfp_t gfp)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	return ks_kzalloc(total, gfp);
}

ks_export void *ks_krealloc(void *p, size_t size, ks_gfp_t gfp)
{
	void *q;

	ks_boot();
	if (p && size == 0) {
		ks__kfree(p);
		return NULL;
	}
	for (unsigned round = 0;;) {
		q = ks__krealloc(p, size, gfp);
		if (q || size > PTRDIFF_MAX || !nofail_retry(gfp, &round))
			return q;
	}
}

ks_export void ks_kfree(void *p)
{
	ks__kfree(p);
}

ks_export size_t ks_ksize(const void *p)
{
	return ks__ksize(p);
}

ks_export void *ks_vmalloc(size_t size)
{
	ks_boot();
	return ks__vmalloc_alloc(size, 0, false);
}

ks_export void *ks_vzalloc(size_t size)
{
	ks_boot();
	return ks__vmalloc_alloc(size, 0, true);
}

ks_export void *ks_vrealloc(void *p, size_t size)
{
	if (!p)
		return ks_vmalloc(size);
	if (!ks__vmalloc_usable(p))
		ks__report(KS_ERR_INVALID_FREE, p, NULL);
	if (!size) {
		ks__vmalloc_free(p);
		return NULL;
	}
	return ks__vmalloc_realloc(p, size);
}

ks_export void ks_vfree(void *p)
{
	if (p && !ks__vmalloc_free(p))
		ks__report(KS_ERR_INVALID_FREE, p, NULL);
}

/* ---- pools ----------------------------------------------------------------
 *
 * A pool is an object cache whose stride keeps every block inside one
 * BOUNDARY-aligned window: with a boundary, the block size and alignment
 * both become the power of two that holds SIZE and ALIGN, so blocks sit at
 * multiples of it (a slab is page-aligned, and a cache aligned to a power
 * of two above a cache line colours in steps of it), and a multiple of a
 * power of two no larger than the boundary never straddles one. */

ks_export ks_pool_t *ks_pool_create(const char *name, size_t size, size_t align,
				    size_t boundary)
{
	if (!size || (align && !ks_is_pow2(align)) || (boundary && !ks_is_pow2(boundary))) {
		errno = EINVAL;
		return NULL;
	}
	if (align < KS_MIN_ALIGN)
		align = KS_MIN_ALIGN;
	if (boundary) {
		size_t p = (size_t)1 << ks_log2_ceil(size > align ? size : align);
		if (p > boundary || p > KS_PAGE_SIZE << KS_SLAB_MAX_ORDER) {
			errno = EINVAL;
			return NULL;
		}
		size = align = p;
	}
	return ks_cache_create(name, size, align, 0, NULL);
}

ks_export void *ks_pool_alloc(ks_pool_t *pool, ks_gfp_t gfp)
{
	return ks_cache_alloc(pool, gfp);
}

ks_export void ks_pool_free(ks_pool_t *pool, void *block)
{
	ks_cache_free(pool, block);
}

ks_export int ks_pool_destroy(ks_pool_t *pool)
{
	return ks_cache_destroy(pool);
}

/* ---- per-CPU data -------------------------------------------------------
 *
 * One block from kmalloc holds every CPU's instance, STRIDE bytes apart
 * (the size rounded up to the alignment, at least a cache line, so no two
 * CPUs share a line), after a header of one stride that records the
 * stride and the count; the handle is CPU 0's instance, so ks_per_cpu_ptr
 * is a multiply and an add. */

struct percpu_head {
	size_t stride;
	unsigned nr;
	uint32_t magic;
};

#define KS_PERCPU_MAGIC 0x70637075u

static unsigned nr_cpu_ids;

ks_export unsigned int ks_nr_cpu_ids(void)
{
	unsigned n = __atomic_load_n(&nr_cpu_ids, __ATOMIC_RELAXED);
	long c;

	if (!n) {
		c = sysconf(_SC_NPROCESSORS_CONF);
		n = c > 0 ? (unsigned)c : 1;
		__atomic_store_n(&nr_cpu_ids, n, __ATOMIC_RELAXED);
	}
	return n;
}

static struct percpu_head *percpu_head(void *pcp)
{
	struct percpu_head *h;

	if (!pcp)
		return NULL;
	h = (struct percpu_head *)((char *)pcp - sizeof(struct percpu_head));
	if (h->magic != KS_PERCPU_MAGIC)
		ks__report(KS_ERR_INVALID_FREE, pcp, NULL);
	return h;
}

ks_export void *ks_alloc_percpu(size_t size, size_t align)
{
	size_t stride, total;
	unsigned nr = ks_nr_cpu_ids();
	char *base;

	if (!size || (align && !ks_is_pow2(align))) {
		errno = EINVAL;
		return NULL;
	}
	if (align < KS_CACHE_LINE)
		align = KS_CACHE_LINE;
	stride = ks_align_up(size, align);
	if (stride < size || __builtin_mul_overflow(stride, (size_t)nr + 1, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	ks_boot();
	base = ks__kmalloc_aligned(align, total, KS_GFP_ZERO);
	if (!base)
		return NULL;
	base += stride;                          /* the header is the stride before */
	*(struct percpu_head *)(base - sizeof(struct percpu_head)) =
		(struct percpu_head){ stride, nr, KS_PERCPU_MAGIC };
	return base;
}

ks_export void ks_free_percpu(void *pcp)
{
	struct percpu_head *h = percpu_head(pcp);

	if (!h)
		return;
	h->magic = 0;
	ks__kfree((char *)pcp - h->stride);
}

ks_export void *ks_per_cpu_ptr(void *pcp, unsigned int cpu)
{
	struct percpu_head *h = percpu_head(pcp);

	if (!h || cpu >= h->nr)
		return NULL;
	return (char *)pcp + (size_t)cpu * h->stride;
}

ks_export void *ks_this_cpu_ptr(void *pcp)
{
	struct percpu_head *h = percpu_head(pcp);
	int cpu = sched_getcpu();

	if (!h)
		return NULL;
	return (char *)pcp + (size_t)((cpu < 0 ? 0u : (unsigned)cpu) % h->nr) * h->stride;
}

ks_export uint64_t ks_percpu_sum(void *pcp, size_t offset)
{
	struct percpu_head *h = percpu_head(pcp);
	uint64_t sum = 0;

	if (!h || offset + sizeof(uint64_t) > h->stride)
		return 0;
	for (unsigned cpu = 0; cpu < h->nr; cpu++)
		sum += __atomic_load_n((uint64_t *)((char *)pcp + cpu * h->stride + offset),
				       __ATOMIC_RELAXED);
	return sum;
}

/* ---- introspection ------------------------------------------------------ */

/* Under KSLAB_OPTIONS=verbose each broken layer is named on stderr. */
static int check_one(const char *what, int broken)
{
	if (broken && ks__opt.verbose)
		ks__dprintf(2, "kslab: check: %s: %d broken\n", what, broken);
	return broken;
}

ks_export int ks_check(void)
{
	struct ks_list *pos;
	int broken;

	ks_boot();
	broken = check_one("sections", ks__arena_check()) +
		 check_one("buddy", ks__buddy_check()) +
		 check_one("vmalloc", ks__vmalloc_check());
	broken += ks__mag_check_all(check_one);
	ks_lock(&ks__slab_caches_lock);
	ks_list_for_each(pos, &ks__slab_caches) {
		struct ks_slab_cache *sc = ks_list_entry(pos, struct ks_slab_cache, link);
		broken += check_one(sc->name, ks__slab_check(sc));
	}
	ks_unlock(&ks__slab_caches_lock);
	return broken;
}
