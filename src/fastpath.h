/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fastpath.h - THE fast path: malloc and free that hit the calling
 * thread's loaded magazine.  Everything else is behind one cold call.
 *
 * malloc(size <= 1 KiB): the TLS pointer, a countdown (every
 * KS_TICK_PERIOD mallocs the slow path does housekeeping: the decay of free
 * memory back to the OS needs a clock, and reading one here would cost
 * more than the rest together), a table load for the class, the cpu
 * cache's cursor, a compare with its base, a store, a load.  free(p): the
 * section map test ("is it ours"), the page descriptor by arithmetic,
 * its magazine slot, the cursor against the limit, two stores.
 * No lock, no atomic, no statistics, no debug check: debug caches have no
 * magazine slot (cc_off 0, cursors NULL) and so always take the slow path.
 * A thread's first call finds ks__tcache_empty, whose magazines are empty
 * and of capacity 0, and falls into the slow path, which builds its state;
 * there is no "initialised?" branch here.  A miss first tries the swap
 * with the previous magazine (ks__malloc_swap, ks__free_swap: a call and
 * a dozen instructions, where the whole ladder from ks__malloc_slow
 * re-derives the class, the cache and the thread state), so a burst of a
 * magazine's depth (64 mallocs, then their frees) stays cheap.  Budget:
 * about 20 instructions each, measured with bench/callgrind.sh.
 */
#ifndef KS_FASTPATH_H
#define KS_FASTPATH_H
#include "internal.h"
#include "arena.h"
#include "kmalloc.h"

void *ks__malloc_slow(size_t size) ks_noinline;
void ks__free_slow(void *p) ks_noinline;
/* The loaded magazine is empty (full): swap in the previous one, or go on
 * down the ladder (malloc.c). */
void *ks__malloc_swap(size_t size, struct ks_cpu_cache *cc) ks_noinline;
void ks__free_swap(struct ks_cpu_cache *cc, void *p) ks_noinline;

static inline void *ks_malloc_fast(size_t size)
{
	struct ks_tcache *tc = ks__tls_tcache;
	size_t off;

	if (ks_likely(size <= KS_SMALL_MAX))
		off = tc->cc_off[(size + 15) >> 4];
	else if (size <= KS_SLAB_MAX)
		off = (ks_size_class(size) + 1) * sizeof(struct ks_cpu_cache);
	else
		return ks__malloc_slow(size);
	if (ks_likely(--tc->tick >= 0)) {
		struct ks_cpu_cache *cc = (struct ks_cpu_cache *)((char *)tc->cc + off);
		void **cur = cc->cursor;
		if (ks_likely(cur != cc->base)) {
			cc->cursor = --cur;
			return *cur;
		}
		return ks__malloc_swap(size, cc);
	}
	return ks__malloc_slow(size);
}

static inline void ks_free_fast(void *p)
{
	if (ks_likely(ks_is_ours_fast(p))) {
		/* &cc[class + 1]; 0 (not a kmalloc slab) is cc[0], always full */
		size_t off = ks_virt_to_page(p)->cc_off;
		struct ks_cpu_cache *cc =
			(struct ks_cpu_cache *)((char *)ks__tls_tcache->cc + off);
		void **cur = cc->cursor;
		if (ks_likely(cur != cc->limit)) {
			*cur = p;
			cc->cursor = cur + 1;
			return;
		}
		ks__free_swap(cc, p);
		return;
	}
	ks__free_slow(p);
}

/* C++ sized delete: SIZE names the class, no descriptor read (new.cc). */
static inline void ks_free_sized_fast(void *p, size_t size)
{
	if (ks_likely(size <= KS_SLAB_MAX && p)) {
		struct ks_cpu_cache *cc = &ks__tls_tcache->cc[ks_size_class(size) + 1];
		void **cur = cc->cursor;
		if (ks_likely(cur != cc->limit)) {
			*cur = p;
			cc->cursor = cur + 1;
			return;
		}
	}
	ks_free_fast(p);
}
#endif
