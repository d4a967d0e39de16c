/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * internal.h - what every layer of kslab shares: the glossary, the
 * configuration constants, locks, lists and assertions.
 *
 * Glossary
 * --------
 * OS page     the kernel's page, ks__os_page_size bytes, read at boot with
 *             sysconf (4 KiB on x86-64, 4, 16 or 64 KiB on aarch64).  It
 *             matters only where kslab talks to the OS: mmap lengths and
 *             madvise ranges are rounded to it.
 * page        kslab's own unit, KS_PAGE_SIZE (4 KiB) bytes, the analog of a
 *             physical page frame.  Every page has a descriptor, struct
 *             ks_page, and a page frame number (pfn) within its section.
 * section     a KS_SECTION_SIZE (64 MiB) mmap'd region aligned to its size;
 *             its first pages hold the descriptor array, so that
 *             virt_to_page() is a mask, a subtraction and a shift.  The
 *             analog of a sparsemem section with its mem_map.
 * zone        a set of sections that share buddy free lists: DMA32 (every
 *             address below 4 GiB) and NORMAL.
 * block       2^order contiguous pages, naturally aligned within its
 *             section; the buddy allocator's unit.
 * slab        a block carved into objects of one cache.
 * cache       a ks_cache: objects of one size, their slabs on full, partial
 *             and empty lists, and in front of them a depot of magazines.
 * magazine    an array of pointers to free objects of one cache; a thread
 *             holds a loaded and a previous magazine per cache (the per-CPU
 *             array_cache of the kernel's SLAB).
 * class       one of the kmalloc size classes, each served by a cache.
 * large block a malloc block above the largest class: whole pages from the
 *             page allocator, or above KS_PAGE_PATH_MAX its own mapping
 *             (the vmalloc path).
 *
 * Layers
 * ------
 * Calls go down only.  Each file (FILE.c, its header FILE.h) may call the
 * files listed after it and no other file of kslab's; a ks_[a-z] name used
 * inside the library is always the public API (internal globals and
 * functions are ks__), so only api and malloc, the top, use them.
 * tests/unit/layers.sh reads this table, checks that it has no cycle, and
 * fails on any call the objects' symbols show that it does not allow.
 *
 *   file        may call
 *   new         malloc
 *   jemalloc    malloc api init live stats kmalloc vmalloc magazine thread slab meta page_alloc buddy arena reserve debug options os format
 *   malloc      api init live stats kmalloc vmalloc magazine thread slab meta page_alloc buddy arena reserve debug options os format
 *   api         init live stats kmalloc vmalloc magazine thread slab meta page_alloc buddy arena reserve debug options os format
 *   init        live stats kmalloc vmalloc magazine thread slab meta page_alloc buddy arena reserve debug options os format
 *   live        stats options os format
 *   stats       kmalloc vmalloc magazine thread slab meta page_alloc buddy arena reserve debug options os format
 *   kmalloc     vmalloc magazine thread slab meta page_alloc buddy arena reserve debug options os format
 *   magazine    thread slab meta page_alloc buddy arena reserve debug options os format
 *   thread      slab page_alloc buddy arena debug options os format
 *   slab        meta page_alloc buddy arena debug options os format
 *   meta        page_alloc buddy arena debug options os format
 *   page_alloc  buddy arena debug options os format
 *   vmalloc     page_alloc debug options os format
 *   reserve     debug options os format
 *   buddy       arena debug options os format
 *   arena       debug options os format
 *   debug       options os format
 *   options     os format
 *   os          format
 *   format      -
 */
#ifndef KS_INTERNAL_H
#define KS_INTERNAL_H

#include "config.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "kslab.h"

/* ---- configuration ------------------------------------------------------ */
#define KS_PAGE_SHIFT     12
#define KS_PAGE_SIZE      (1ul << KS_PAGE_SHIFT)
#define KS_SECTION_SHIFT  26
#define KS_SECTION_SIZE   (1ul << KS_SECTION_SHIFT)
#define KS_SECTION_PAGES  (1ul << (KS_SECTION_SHIFT - KS_PAGE_SHIFT))
#define KS_NR_ORDERS      (KS_MAX_ORDER + 1)
#define KS_VA_BITS        48           /* user addresses kslab maps below */
#define KS_HUGE_SIZE      (2ul << 20)  /* a transparent huge page (PMD) */
#define KS_CACHE_LINE     64
#define KS_MIN_ALIGN      16           /* what malloc guarantees, as glibc */
#define KS_SLAB_MAX       65536        /* largest kmalloc class */
#define KS_SMALL_MAX      1024         /* sizes the fast path's table covers */
#define KS_PAGE_PATH_MAX  (KS_PAGE_SIZE << KS_MAX_ORDER) /* 4 MiB */
#define KS_NR_CLASSES     68           /* kmalloc classes 16 B .. 64 KiB */
#define KS_SMALL_CLASSES  20           /* of them, those up to KS_SMALL_MAX */
#define KS_MAX_NODES      8            /* slab nodes (slab.c, 7. Nodes) */

#ifdef KS_DEBUG
static const bool ks_config_debug = true;
#else
static const bool ks_config_debug = false;
#endif
#ifdef KS_STATS
static const bool ks_config_stats = true;
#else
static const bool ks_config_stats = false;
#endif

/* ---- compiler ----------------------------------------------------------- */
#define ks_likely(x)    __builtin_expect(!!(x), 1)
#define ks_unlikely(x)  __builtin_expect(!!(x), 0)
#define ks_noinline     __attribute__((noinline))
#define ks_cold         __attribute__((cold, noinline))
#define ks_export       __attribute__((visibility("default")))
/* Stores before it stay before it (no instruction): for what a fork child
 * reads of a thread the fork stopped anywhere (magazine.c, "Fork"). */
#define ks_barrier()    __asm__ volatile("" ::: "memory")
/* On the extern declaration of a variable the fast path reads: the
 * compiler then knows it is in this object and addresses it directly,
 * where -fvisibility=hidden alone (which applies to definitions) leaves a
 * load of its address from the GOT. */
#define ks_hidden       __attribute__((visibility("hidden")))
#define ks_container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))
#define ks_align_up(x, a)   (((x) + ((a) - 1)) & ~((uintptr_t)(a) - 1))
#define ks_align_down(x, a) ((x) & ~((uintptr_t)(a) - 1))
#define ks_is_pow2(x)       ((x) != 0 && ((x) & ((x) - 1)) == 0)
#define KS_ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))

static inline unsigned ks_log2_floor(size_t x)
{
	return 63u - (unsigned)__builtin_clzl(x);
}

static inline unsigned ks_log2_ceil(size_t x)
{
	return x <= 1 ? 0 : ks_log2_floor(x - 1) + 1;
}

/* Slots kept as bits of a word, taken and given back by atomic operations
 * alone, so that any thread, and a signal handler that interrupted its own
 * thread between two of them, may do either (reserve.c, debug.c's
 * zero-size blocks).  ks_bit_take sets a clear bit of those FULL covers and
 * returns its number, or -1 if there is none; ks_bit_give clears BIT and
 * says whether it was set (if not: a second free). */
static inline int ks_bit_take(uint64_t *word, uint64_t full)
{
	uint64_t used = __atomic_load_n(word, __ATOMIC_RELAXED);

	while (used != full) {
		unsigned bit = (unsigned)__builtin_ctzll(~used);
		if (__atomic_compare_exchange_n(word, &used, used | (1ull << bit), true,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return (int)bit;
	}
	return -1;
}

static inline bool ks_bit_give(uint64_t *word, unsigned bit)
{
	return __atomic_fetch_and(word, ~(1ull << bit), __ATOMIC_ACQ_REL) & (1ull << bit);
}

/* ---- assertions: three tiers -------------------------------------------
 * KS_BUG_ON    always on: a broken invariant that would corrupt memory
 * KS_ASSERT    on with --enable-debug, compiled (never run) otherwise
 * ks__*_check  the per-layer invariant walks the unit tests call
 */
void ks__panic(const char *file, int line, const char *what) ks_cold
	__attribute__((noreturn));
#define KS_BUG_ON(c) \
	do { if (ks_unlikely(c)) ks__panic(__FILE__, __LINE__, #c); } while (0)
#define KS_ASSERT(c) \
	do { if (ks_config_debug && ks_unlikely(!(c))) \
		ks__panic(__FILE__, __LINE__, #c); } while (0)

/* ---- locks: a pthread mutex (never allocates, fork handled in init.c) --
 *
 * Lock order.  Every lock of kslab, outermost first; a path may take a lock
 * only while it holds none of a higher number (several of one number nest
 * only in the fork handlers, in list order).  trylock may be used against
 * the order (it cannot deadlock: it fails instead).  init.c's fork_prepare
 * takes all of them in this order.  In --enable-debug builds every
 * ks_lock checks the order and panics on a violation (jemalloc's witness).
 *
 *   1 boot_lock            init.c       the core's one-time boot
 *   2 ks__threads_lock     thread.c     the list of thread states
 *   3 caches_lock          magazine.c   the list of caches with depots, ids
 *   4 depot->lock          magazine.c   one node's depot of one cache: its
 *                                       full and empty stacks, counts, minima
 *   5 meta_lock            meta.c       the metadata pool (nodes, depots)
 *   6 ks__slab_caches_lock slab.c       the list of slab caches
 *   7 node->lock           slab.c       one cache's slabs on one node: the
 *                                       lists, counters, colour
 *   8 vm_lock              vmalloc.c    the lazy areas and the block count
 *   9 zone->grow_lock      page_alloc.c one grower of a zone at a time
 *  10 zone->lock           buddy.c      a zone's free lists, counters and
 *                                       sections
 *  11 quarantine.lock      slab.c       debug caches' freed objects held
 *                                       back from reuse (a leaf: nothing
 *                                       is taken under it)
 *
 * Nestings that occur: fork_prepare takes them all; boot holds 1 over
 * everything it sets up; a thread's exit and cache destruction hold 2 or 3
 * while they take depot locks (4); the metadata pool takes pages under its
 * lock (5 -> 9 -> 10); malloc_trim and the idle-slab purge hold 6 over
 * node locks (7); a zone grows holding 9 while it takes 10.  Slabs and
 * magazines move between layers with their locks dropped.
 *
 * Adaptive mutexes: a contended lock spins a little before it sleeps.
 * Every critical section in kslab is short (a list splice, a magazine
 * swap, a buddy split), so the holder is usually done within the spin,
 * and the waiter saves two futex calls and a wake-up; a plain mutex went
 * to the kernel 38,000 times in alloc-test's 2-thread run. */
enum ks_lock_rank {
	KS_LR_BOOT = 1, KS_LR_THREADS, KS_LR_CACHES, KS_LR_DEPOT, KS_LR_META,
	KS_LR_SLAB_CACHES, KS_LR_NODE, KS_LR_VMALLOC, KS_LR_GROW, KS_LR_ZONE,
	KS_LR_QUARANTINE, KS_NR_LOCK_RANKS
};
typedef struct ks_lock {
	pthread_mutex_t m;
	unsigned rank;                 /* enum ks_lock_rank */
} ks_lock_t;
#define KS_LOCK_INIT(r) { PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP, (r) }

/* The witness (debug.c): taking RANK while a higher rank is held panics. */
void ks__witness_lock(unsigned rank, bool tried);
void ks__witness_unlock(unsigned rank);

static inline void ks_lock(ks_lock_t *l)
{
	if (ks_config_debug)
		ks__witness_lock(l->rank, false);
	pthread_mutex_lock(&l->m);
}
static inline bool ks_trylock(ks_lock_t *l)
{
	bool ok = pthread_mutex_trylock(&l->m) == 0;
	if (ks_config_debug && ok)
		ks__witness_lock(l->rank, true);
	return ok;
}
static inline void ks_unlock(ks_lock_t *l)
{
	if (ks_config_debug)
		ks__witness_unlock(l->rank);
	pthread_mutex_unlock(&l->m);
}
/* A fresh lock of RANK (dynamic structures, and the fork child). */
static inline void ks_lock_init(ks_lock_t *l, unsigned rank)
{
	static const pthread_mutex_t fresh = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
	l->m = fresh;
	l->rank = rank;
}
/* In the fork child: the lock the forking thread took in fork_prepare,
 * made new (the child's only thread is the one that held it). */
static inline void ks_lock_reinit(ks_lock_t *l)
{
	if (ks_config_debug)
		ks__witness_unlock(l->rank);
	ks_lock_init(l, l->rank);
}
/* The fork handlers' release of a lock fork_prepare took: unlocked in the
 * parent, made new in the child. */
static inline void ks_lock_after_fork(ks_lock_t *l, bool child)
{
	if (child)
		ks_lock_reinit(l);
	else
		ks_unlock(l);
}

/* ---- doubly linked circular lists (the kernel's list_head) ------------- */
struct ks_list {
	struct ks_list *next, *prev;
};
#define KS_LIST_INIT(name) { &(name), &(name) }
static inline void ks_list_init(struct ks_list *l) { l->next = l->prev = l; }
static inline bool ks_list_empty(const struct ks_list *l) { return l->next == l; }
static inline void ks_list_add(struct ks_list *n, struct ks_list *head)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}
static inline void ks_list_add_tail(struct ks_list *n, struct ks_list *head)
{
	ks_list_add(n, head->prev);
}
static inline void ks_list_del(struct ks_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}
#define ks_list_entry(p, type, member) ks_container_of(p, type, member)
#define ks_list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define ks_list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

/* ---- small helpers that never allocate --------------------------------- */
/* A formatter into a caller's buffer: %s %d %u %zu %lu %x %lx %p %c %%. */
int ks__snprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ks__write_all(int fd, const char *buf, size_t len);
void ks__dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* KS_INTERNAL_H */
