/* SPDX-License-Identifier: BSD-2-Clause */
/* slab.h - slab caches: objects of one size carved from page blocks. */
#ifndef KS_SLAB_H
#define KS_SLAB_H
#include "internal.h"
#include "meta.h"
#include "arena.h"

#define KS_CACHE_TRACK    0x20000000ul /* debug: each slot records its last
                                          allocating and freeing caller */
#define KS_CACHE_DEBUG_FLAGS (KS_CACHE_POISON | KS_CACHE_RED_ZONE | KS_CACHE_TRACK)
#define KS_CACHE_INTERNAL 0x80000000ul /* kslab's own: never freed by free() */
#define KS_CACHE_FREE_KEY 0x40000000ul /* kmalloc: the free key at offset 0,
                                          the free pointer after it */
#define KS_CACHE_NAME_MAX 32
#define KS_SLAB_MAX_ORDER 6            /* 256 KiB: kmalloc-49152 loses 6% */

#define KS_PARTIAL_BUCKETS 4         /* partial lists by quarter of fullness */

/* One node's share of a cache: the kernel's kmem_cache_node.  A slab
 * belongs to one node for its life (ks_page.node); threads allocate from
 * their own node's slabs and free to the object's.  Node 0's is part of
 * the cache; the others are made when a thread of their node first uses
 * the cache (meta.c). */
struct ks_slab_node {
	ks_lock_t *lock;             /* the lists, the counters, colour_next:
	                                in the lock pool (meta.h), or own_lock */
	/* slabs with free and used objects, by fullness: partial[b] holds
	 * slabs with inuse in [b, b+1) quarters of objs_per_slab */
	struct ks_list partial[KS_PARTIAL_BUCKETS];
	struct ks_list full;
	struct ks_list empty;
	size_t nr_partial, nr_full, nr_empty;
	size_t active_objs;          /* objects handed out (to magazines too) */
	size_t peak_objs;            /* the most active_objs has been */
	unsigned colour_next;
	unsigned id;                 /* its index in the cache's node[] */
	/* slabs cut from one page block and not yet used, in address order
	 * (slab.c, 10.): the next is run, then run + 2^order, ... */
	struct ks_page *run;
	unsigned run_left;
	uint32_t run_epoch;          /* slab_epoch when the run was last used */
	/* statistics, under lock */
	uint64_t nr_grow, nr_shrink, nr_slab_allocs, nr_slab_frees;
	ks_lock_t own_lock;
} __attribute__((aligned(KS_CACHE_LINE)));

struct ks_slab_cache {
	/* geometry, fixed at init */
	size_t object_size;          /* what the creator asked for */
	size_t size;                 /* stride between objects */
	size_t align;
	size_t offset;               /* object start within its slot */
	size_t fp_offset;            /* free pointer within its slot */
	size_t meta_offset;          /* debug: free pointer + track word */
	unsigned order, objs_per_slab;
	uint64_t size_magic;         /* ceil(2^40 / size): an offset in a slab
	                                over size is (off * size_magic) >> 40 */
	unsigned quarter[KS_PARTIAL_BUCKETS];  /* inuse where bucket b starts */
	unsigned colour_count, colour_step;
	unsigned long flags;
	bool debug;                  /* POISON or RED_ZONE: the _debug paths */
	uint16_t cc_off;             /* cpu cache offset (0: none), copied
	                                into every slab page for free() */
	ks_gfp_t gfp;                /* zone flags for its pages */
	void (*ctor)(void *);
	size_t max_empty;            /* empty slabs kept per node */
	struct ks_list link;         /* all caches, for slabinfo */
	void *owner;                 /* the layer above's object, opaque here */
	char name[KS_CACHE_NAME_MAX];
	/* the nodes, NULL until used ([0] is node0, always there); read
	 * without a lock: a node, once published, stays until fini */
	struct ks_slab_node *node[KS_MAX_NODES];
	struct ks_slab_node node0;
};

/* Totals over a cache's nodes, each read under its lock. */
struct ks_slab_totals {
	size_t nr_partial, nr_full, nr_empty, active_objs;
	size_t peak_objs;            /* the nodes' peaks, added up */
	size_t run_pages;            /* kept for the next slabs (slab.c, 10.) */
	uint64_t nr_grow, nr_shrink, nr_slab_allocs, nr_slab_frees;
};

/* How many nodes the caches use (1 until ks__slab_init_nodes), and the
 * calling thread's node: numa_node_id() of the kernel.  magazine.c sets
 * it when it gives a thread its state; threads without one use node 0. */
extern unsigned ks__nr_nodes;
extern __thread unsigned ks__tls_node __attribute__((tls_model("initial-exec")));
/* Set the number of nodes (clamped to 1..KS_MAX_NODES), before any cache
 * exists. */
void ks__slab_init_nodes(unsigned n);


int ks__slab_cache_init(struct ks_slab_cache *sc, const char *name, size_t size,
			size_t align, unsigned long flags, void (*ctor)(void *));
/* The number of objects of SC still allocated (its quarantine emptied
 * first); ks__slab_cache_fini tears down a cache for which it is 0. */
size_t ks__slab_cache_busy(struct ks_slab_cache *sc);
/* KSLAB_OPTIONS=leaks: note every allocated object of the TRACK caches. */
void ks__slab_leaks(void);
void ks__slab_cache_fini(struct ks_slab_cache *sc);
void *ks__slab_alloc(struct ks_slab_cache *sc, ks_gfp_t gfp);
void ks__slab_free(struct ks_slab_cache *sc, void *obj);
/* Allocate up to N objects into OBJS; returns how many (0: errno ENOMEM). */
size_t ks__slab_alloc_bulk(struct ks_slab_cache *sc, ks_gfp_t gfp, size_t n, void **objs);
void ks__slab_free_bulk(struct ks_slab_cache *sc, size_t n, void **objs);
/* Debug caches: REQ is the size the caller will use (red zone beyond it). */
void *ks__slab_alloc_debug(struct ks_slab_cache *sc, ks_gfp_t gfp, size_t req);
void ks__slab_free_debug(struct ks_slab_cache *sc, void *obj);
size_t ks__slab_shrink(struct ks_slab_cache *sc);
/* Give back the free OS pages of idle partial slabs (all slabs if ALL),
 * every cache; called from the decay tick and malloc_trim.  Returns the
 * OS pages given back. */
size_t ks__slab_purge_idle(bool all);
/* The slot P falls in, or NULL if P is not the start of an object. */
void *ks__slab_object_start(struct ks_slab_cache *sc, const void *p);

/* The same for a P whose page PG is known to be a slab page of SC: the
 * slab's start from PG's distance to its head, the object's index by a
 * multiply (size_magic), no division; inline for KSLAB_OPTIONS=strict,
 * where every free() asks it. */
static inline char *ks_slab_slot_of(const struct ks_slab_cache *sc,
				    const struct ks_page *pg, const void *p)
{
	const struct ks_page *head = pg - pg->head_delta;
	char *base = (char *)((uintptr_t)p & ~(uintptr_t)(KS_PAGE_SIZE - 1)) -
		     ((size_t)pg->head_delta << KS_PAGE_SHIFT) + head->s_off;
	size_t off = (size_t)((const char *)p - base) - sc->offset, idx;

	if ((const char *)p < base + sc->offset)
		return NULL;
	idx = (off * sc->size_magic) >> 40;
	return idx * sc->size == off && idx < sc->objs_per_slab ? base + off : NULL;
}
/* Debug caches: give the quarantined objects of SC (of every cache if
 * NULL) back to their slabs; the quarantine's fork lock. */
void ks__slab_quarantine_flush(struct ks_slab_cache *sc);
void ks__slab_quarantine_lock(void);
void ks__slab_quarantine_unlock(bool child);
/* Is OBJ, an object of SC, free in its slab (on its free list, or never
 * handed out)?  Takes the node's lock. */
bool ks__slab_is_free(struct ks_slab_cache *sc, void *obj);
/* Usable size of an object (debug caches: the size requested). */
size_t ks__slab_usable(struct ks_slab_cache *sc, const void *obj);
int ks__slab_check(struct ks_slab_cache *sc);
void ks__slab_totals(struct ks_slab_cache *sc, struct ks_slab_totals *t);
/* Fork: take every node lock of every cache (after ks__slab_caches_lock),
 * and release or (CHILD) re-initialise them. */
void ks__slab_lock_all(void);
void ks__slab_unlock_all(bool child);

/* All caches, for slabinfo and fork. */
extern struct ks_list ks__slab_caches;
extern ks_lock_t ks__slab_caches_lock;

#endif
