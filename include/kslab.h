/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * kslab.h - the public interface of kslab, the Linux kernel's memory manager
 * brought to user space as a malloc replacement.
 *
 * A program gets kslab's malloc, free, calloc, realloc and the rest of the
 * libc allocation interface just by linking with -lkslab or preloading
 * libkslab.so; it needs this header only for what libc does not have: object
 * caches, the page allocator, kmalloc with gfp-style flags, vmalloc and
 * slabinfo-style introspection.  Every name here starts with ks_ or KS_.
 */
#ifndef KSLAB_H
#define KSLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Version
 * ------------------------------------------------------------------------ */
#define KSLAB_VERSION_MAJOR 0
#define KSLAB_VERSION_MINOR 1
#define KSLAB_VERSION_PATCH 0
#define KSLAB_VERSION "0.1.0"

/* The version of the library actually loaded, as "MAJOR.MINOR.PATCH". */
const char *ks_version(void);

/* ------------------------------------------------------------------------
 * Allocation flags (the kernel's gfp_t)
 * ------------------------------------------------------------------------ */
typedef unsigned int ks_gfp_t;

#define KS_GFP_KERNEL  0x00u  /* ordinary allocation: may map memory */
#define KS_GFP_ZERO    0x01u  /* return zeroed memory (__GFP_ZERO) */
#define KS_GFP_DMA32   0x02u  /* memory below 4 GiB (ZONE_DMA32) */
#define KS_GFP_NOWAIT  0x04u  /* never map new memory from the OS: serve
                                 from what kslab holds, or fail */
#define KS_GFP_HIGH    0x08u  /* may dip into the zone's min reserve */
#define KS_GFP_NOWARN  0x10u  /* a failure prints nothing, even under
                                 KSLAB_OPTIONS=verbose */
#define KS_GFP_NOFAIL  0x20u  /* never NULL: what cannot be had now is
                                 retried, after kslab gives back what it
                                 caches, until it can (__GFP_NOFAIL); only
                                 a request no memory could ever satisfy
                                 (beyond the largest order or PTRDIFF_MAX)
                                 still fails */
#define KS_GFP_ATOMIC  0x40u  /* safe in a signal handler, even one that
                                 interrupted kslab on the same thread: a
                                 block of at most 4 KiB from the thread's
                                 reserve, never a lock (GFP_ATOMIC); NULL
                                 when the reserve is spent.  For ks_kmalloc,
                                 ks_kzalloc, ks_kcalloc, ks_cache_alloc,
                                 ks_pool_alloc and order-0 ks_alloc_pages;
                                 ks_kfree, free, ks_cache_free and
                                 ks_free_pages of such a block are safe
                                 there too */

/* ------------------------------------------------------------------------
 * Object caches (kmem_cache)
 * ------------------------------------------------------------------------ */
typedef struct ks_cache ks_cache_t;

#define KS_CACHE_HWCACHE_ALIGN 0x0001ul /* align objects to a cache line */
#define KS_CACHE_POISON        0x0002ul /* fill free objects with 0x6b,
                                           check on allocation */
#define KS_CACHE_RED_ZONE      0x0004ul /* guard words on each side of an
                                           object, checked on free */
#define KS_CACHE_PANIC         0x0008ul /* abort if the cache cannot be
                                           created */
#define KS_CACHE_DMA32         0x0010ul /* slabs from ZONE_DMA32 */
#define KS_CACHE_NOMAGAZINE    0x0020ul /* no per-thread magazines: every
                                           alloc and free goes to the slabs */

/* Create a cache of objects of SIZE bytes aligned to ALIGN (0 for the
 * natural alignment, at least 16 bytes when the size allows).  CTOR, if not
 * NULL, runs once on every object when its slab is created, not on every
 * allocation: a freed object must be returned in its constructed state.
 * NAME is copied (up to 31 characters).  Returns NULL with errno set
 * (EINVAL, ENOMEM) or aborts under KS_CACHE_PANIC. */
ks_cache_t *ks_cache_create(const char *name, size_t size, size_t align,
                            unsigned long flags, void (*ctor)(void *obj));
void *ks_cache_alloc(ks_cache_t *cache, ks_gfp_t gfp);
/* ks_cache_alloc with KS_GFP_ZERO (the kernel's kmem_cache_zalloc). */
void *ks_cache_zalloc(ks_cache_t *cache, ks_gfp_t gfp);
void ks_cache_free(ks_cache_t *cache, void *obj);
/* Return the cache's empty slabs (and cached magazines) to the page
 * allocator.  Returns the number of kslab pages released. */
size_t ks_cache_shrink(ks_cache_t *cache);
/* Destroy an empty cache.  A cache that still has objects allocated is
 * reported on stderr (name and count) and left in place: returns -1 with
 * errno EBUSY; 0 on success. */
int ks_cache_destroy(ks_cache_t *cache);
size_t ks_cache_object_size(const ks_cache_t *cache);
const char *ks_cache_name(const ks_cache_t *cache);

/* ------------------------------------------------------------------------
 * Pages (alloc_pages and friends).  A kslab page is ks_page_size() bytes,
 * kslab's own unit, independent of the OS page size.
 * ------------------------------------------------------------------------ */
#define KS_MAX_ORDER 10  /* largest order ks_alloc_pages serves */

size_t ks_page_size(void);
void *ks_alloc_pages(ks_gfp_t gfp, unsigned int order);
void ks_free_pages(void *addr, unsigned int order);
void *ks_get_free_page(ks_gfp_t gfp);
void *ks_get_zeroed_page(ks_gfp_t gfp);
void ks_free_page(void *addr);
/* SIZE bytes rounded up to whole pages; the tail of the power-of-two block
 * is freed at once, so 5 pages cost 5 pages. */
void *ks_alloc_pages_exact(size_t size, ks_gfp_t gfp);
void ks_free_pages_exact(void *addr, size_t size);

/* ------------------------------------------------------------------------
 * kmalloc and vmalloc
 * ------------------------------------------------------------------------ */
void *ks_kmalloc(size_t size, ks_gfp_t gfp);
void *ks_kzalloc(size_t size, ks_gfp_t gfp);
void *ks_kcalloc(size_t n, size_t size, ks_gfp_t gfp);
void *ks_krealloc(void *ptr, size_t size, ks_gfp_t gfp);
void ks_kfree(void *ptr);
size_t ks_ksize(const void *ptr);

void *ks_vmalloc(size_t size);
void *ks_vzalloc(size_t size);
/* Resize a ks_vmalloc block, moving its pages with mremap (never a copy);
 * NULL with errno ENOMEM (PTR intact), NULL after freeing it for SIZE 0,
 * ks_vmalloc(SIZE) for a NULL PTR. */
void *ks_vrealloc(void *ptr, size_t size);
void ks_vfree(void *ptr);

/* ------------------------------------------------------------------------
 * Pools (the kernel's dma_pool): blocks of SIZE bytes, each aligned to
 * ALIGN (a power of two; 0: 16) and, if BOUNDARY is not 0 (a power of two,
 * at least the block), never crossing a multiple of BOUNDARY: O_DIRECT
 * buffers, ring descriptors, blocks a device reads in one burst.  A pool
 * is an object cache (its name shows in slabinfo); ks_pool_destroy with
 * blocks still out says so on stderr, returns -1 with errno EBUSY and
 * keeps the pool.
 * ------------------------------------------------------------------------ */
typedef struct ks_cache ks_pool_t;
ks_pool_t *ks_pool_create(const char *name, size_t size, size_t align, size_t boundary);
void *ks_pool_alloc(ks_pool_t *pool, ks_gfp_t gfp);
void ks_pool_free(ks_pool_t *pool, void *block);
int ks_pool_destroy(ks_pool_t *pool);

/* ------------------------------------------------------------------------
 * Per-CPU data (the kernel's alloc_percpu): one zeroed instance of SIZE
 * bytes per possible CPU, each aligned to ALIGN (at least a cache line)
 * and on cache lines of its own.  The value returned names CPU 0's
 * instance; ks_per_cpu_ptr gives any CPU's, ks_this_cpu_ptr the calling
 * thread's current CPU's (sched_getcpu, which glibc answers through rseq
 * where the kernel has it).  NULL with errno EINVAL (SIZE 0, ALIGN not a
 * power of two) or ENOMEM.
 * ------------------------------------------------------------------------ */
void *ks_alloc_percpu(size_t size, size_t align);
void ks_free_percpu(void *pcp);
void *ks_per_cpu_ptr(void *pcp, unsigned int cpu);
void *ks_this_cpu_ptr(void *pcp);
/* Instances there are (the possible CPUs). */
unsigned int ks_nr_cpu_ids(void);
/* The sum over every CPU's instance of the uint64_t at byte OFFSET (a
 * per-CPU counter's total; each is read once, without a lock). */
uint64_t ks_percpu_sum(void *pcp, size_t offset);

/* ------------------------------------------------------------------------
 * Introspection
 * ------------------------------------------------------------------------ */
struct ks_stats {
	size_t mapped;         /* bytes mapped from the OS (sections + large) */
	size_t page_free;      /* bytes free in the buddy allocator */
	size_t slab_bytes;     /* bytes in slabs of all caches, and in the
	                          pages they keep for their next slabs */
	size_t slab_active;    /* bytes of objects allocated from slabs */
	size_t large_bytes;    /* bytes in page-path and mmap-path blocks */
	size_t large_count;    /* number of such blocks */
	size_t metadata;       /* bytes of page descriptors and kslab's own
	                          structures */
	size_t nr_caches;      /* live caches, kmalloc ones included */
	size_t nr_threads;     /* threads with magazines */
};
int ks_stats_get(struct ks_stats *st);
/* Write a /proc/slabinfo-style table (version 2.1 columns) to FD. */
int ks_slabinfo(int fd);
/* Check every layer's invariants; returns the number found broken. */
int ks_check(void);

#ifdef __cplusplus
}
#endif
#endif /* KSLAB_H */
