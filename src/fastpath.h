/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fastpath.h - THE fast path: malloc and free that hit the calling
 * thread's loaded magazine.  Everything else is behind one cold call.
 *
 * malloc(size <= 1 KiB): the TLS pointer, a countdown (every
 * KS_TICK_PERIOD mallocs the slow path does housekeeping: the decay of free
 * memory back to the OS needs a clock, and reading one here would cost
 * more than the rest together; then it pops the same magazine with
 * ks_cc_pop), a table load for the class, the cpu
 * cache's cursor, a compare with its base, a store, a load.  free(p): the
 * heap window test (a mask and a compare: "inside kslab's window of
 * sections, and 16-byte aligned as every object is"), the page descriptor
 * by arithmetic, its magazine slot, the cursor against the limit, two
 * stores.
 * No lock, no atomic, no statistics, no debug check: debug caches have no
 * magazine slot (cc_off 0, cursors NULL) and so always take the slow path,
 * and under KSLAB_OPTIONS=strict no kmalloc page names its slot, so every
 * free goes to ks__free_swap, which checks the pointer against its slab's
 * geometry (ks__strict_cc) before it pushes it onto the same magazine.
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

/* The free key: the first four bytes of every object of a kmalloc cache
 * that free() takes back.  An object whose first word holds it is very
 * likely free already: ks__free_check then looks for it where free objects
 * are (every thread's magazines, the depots, its slab) and reports a double
 * free if it is there (glibc's tcache key, in a word the slab layer leaves
 * alone: its free pointer is the second word).  A live object that holds
 * the key by chance, or because the program never wrote its first word,
 * costs that search and is freed as usual, so malloc clears the key of
 * what it hands out: a program that frees a block it never wrote must not
 * pay the search each time.  Three instructions on free, one on malloc. */
#define KS_FREE_KEY 0xb5a7c3e1u
typedef uint32_t ks_free_key_t __attribute__((may_alias, aligned(4)));
void ks__free_check(void *p) ks_cold;
/* The fast path's way out when P holds the key: check, then free P the
 * slow way (a tail call, so that the fast path saves no registers). */
void ks__free_keyed(void *p) ks_cold;

static inline bool ks_free_keyed(const void *p)
{
	return ks_unlikely(*(const ks_free_key_t *)p == KS_FREE_KEY);
}

static inline void ks_free_mark(void *p)
{
	if (ks_free_keyed(p))
		ks__free_check(p);
	*(ks_free_key_t *)p = KS_FREE_KEY;
}
/* The loaded magazine is empty (full): swap in the previous one, or go on
 * down the ladder (malloc.c). */
void *ks__malloc_swap(size_t size, struct ks_cpu_cache *cc) ks_noinline;
void ks__free_swap(struct ks_cpu_cache *cc, void *p) ks_noinline;

/* The offset of the cpu cache of SIZE's class in a thread's cc[], in
 * units of 8, for SIZE above KS_SMALL_MAX and at most KS_SLAB_MAX (the
 * thread's cc_off8 table has the smaller sizes). */
static inline size_t ks_class_off8(size_t size)
{
	return (ks_size_class(size) + 1) * (sizeof(struct ks_cpu_cache) / 8);
}

static inline struct ks_cpu_cache *ks_off8_cc(struct ks_tcache *tc, size_t off8)
{
	return (struct ks_cpu_cache *)((char *)tc->cc + off8 * 8);
}

/* The top object of CC's loaded magazine, made live; NULL if it is empty. */
static inline void *ks_cc_pop(struct ks_cpu_cache *cc)
{
	void **cur = cc->cursor;
	void *p;

	if (ks_unlikely(cur == cc->base))
		return NULL;
	cc->cursor = --cur;
	p = *cur;
	*(ks_free_key_t *)p = 0;           /* live: no free key */
	return p;
}

static inline void *ks_malloc_fast(size_t size)
{
	struct ks_tcache *tc = ks__tls_tcache;
	size_t off8;

	if (ks_likely(size <= KS_SMALL_MAX))
		off8 = tc->cc_off8[size];
	else if (size <= KS_SLAB_MAX)
		off8 = ks_class_off8(size);
	else
		return ks__malloc_slow(size);
	if (ks_likely(--tc->tick >= 0)) {
		struct ks_cpu_cache *cc = ks_off8_cc(tc, off8);
		void *p = ks_cc_pop(cc);
		if (ks_likely(p != NULL))
			return p;
		return ks__malloc_swap(size, cc);
	}
	return ks__malloc_slow(size);
}

/* Push P on CC's loaded magazine with the free key in it (a block that
 * holds the key already goes the checking way); false if the magazine is
 * full.  The one push of both free paths. */
static inline bool ks_free_push(struct ks_cpu_cache *cc, void *p)
{
	void **cur = cc->cursor;

	if (ks_unlikely(cur == cc->limit))
		return false;
	if (ks_free_keyed(p)) {
		ks__free_keyed(p);
	} else {
		*(ks_free_key_t *)p = KS_FREE_KEY;
		ks_cc_push(cc, cur, p);
	}
	return true;
}

/* Every object free() may be given is 16-byte aligned (the classes are
 * multiples of 16, colour offsets too), so a pointer with any of the low
 * four bits set is not the start of one: the heap window's test sends it
 * to the slow path, which knows the slab's geometry and says so (an
 * interior pointer such as p + 8), or frees an object cache's object of a
 * smaller alignment. */
static inline void ks_free_fast(void *p)
{
	if (ks_likely(ks_in_heap_window(p))) {
		/* &cc[class + 1]; 0 (not a kmalloc slab) is cc[0], always full */
		size_t off = ks_virt_to_page(p)->cc_off;
		struct ks_cpu_cache *cc =
			(struct ks_cpu_cache *)((char *)ks__tls_tcache->cc + off);
		if (ks_likely(ks_free_push(cc, p)))
			return;
		ks__free_swap(cc, p);
		return;
	}
	ks__free_slow(p);
}

#endif
