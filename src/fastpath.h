/*
 * fastpath.h - THE fast path: malloc and free that hit the calling
 * thread's loaded magazine.  Everything else is behind one cold call.
 *
 * malloc(size <= 1 KiB): the TLS pointer, a countdown (every
 * KS_TICK_PERIOD mallocs the slow path does housekeeping: the decay of free
 * memory back to the OS needs a clock, and reading one here would cost
 * more than the rest together), a table load for the class, the cpu
 * cache's round count, a test, a store, two loads.  free(p): the
 * section bitmap test ("is it ours"), the page descriptor by arithmetic,
 * its magazine slot, the round count against the capacity, two stores.
 * No lock, no atomic, no statistics, no debug check: debug caches have no
 * magazine slot (cpu_idx 0, magsize 0) and so always take the slow path.
 * A thread's first call finds ks_tcache_empty, whose magazines are empty
 * and of capacity 0, and falls into the slow path, which builds its state;
 * there is no "initialised?" branch here.  Budget: about 20 instructions
 * each, measured with bench/callgrind.sh.
 */
#ifndef KS_FASTPATH_H
#define KS_FASTPATH_H
#include "internal.h"
#include "arena.h"
#include "kmalloc.h"

void *ks__malloc_slow(size_t size) ks_noinline;
void ks__free_slow(void *p) ks_noinline;

static inline void *ks_malloc_fast(size_t size)
{
	struct ks_tcache *tc = ks_tls_tcache;

	if (ks_likely(size <= KS_SLAB_MAX) && ks_likely(--tc->tick >= 0)) {
		struct ks_cpu_cache *cc = &tc->cc[ks_size_class(size)];
		uint32_t n = cc->rounds;
		if (ks_likely(n != 0)) {
			cc->rounds = n - 1;
			return cc->loaded->round[n - 1];
		}
	}
	return ks__malloc_slow(size);
}

static inline void ks_free_fast(void *p)
{
	if (ks_likely(ks_is_ours(p))) {
		unsigned idx = ks_virt_to_page(p)->cpu_idx - 1u;  /* 0: none */
		if (ks_likely(idx < KS_NR_CLASSES)) {
			struct ks_cpu_cache *cc = &ks_tls_tcache->cc[idx];
			uint32_t n = cc->rounds;
			if (ks_likely(n < cc->magsize)) {
				cc->loaded->round[n] = p;
				cc->rounds = n + 1;
				return;
			}
		}
	}
	ks__free_slow(p);
}
/* C++ sized delete: SIZE names the class, no descriptor read (new.cc). */
static inline void ks_free_sized_fast(void *p, size_t size)
{
	if (ks_likely(size <= KS_SLAB_MAX && p)) {
		struct ks_cpu_cache *cc = &ks_tls_tcache->cc[ks_size_class(size)];
		uint32_t n = cc->rounds;
		if (ks_likely(n < cc->magsize)) {
			cc->loaded->round[n] = p;
			cc->rounds = n + 1;
			return;
		}
	}
	ks_free_fast(p);
}
#endif
