// SPDX-License-Identifier: BSD-2-Clause
/*
 * meta.c - the metadata pool: the blocks a cache's per-node parts live in.
 *
 * A cache has a part per node (a slab node in slab.c, a depot in
 * magazine.c), and node 0's is built into the cache, so a program with one
 * thread, or a cache one thread uses, pays for no other.  The others are
 * made when a thread of their node first uses the cache, inside malloc:
 * they cannot come from malloc, and a slab cache of them would need nodes
 * of its own.  So they come from here, as the kernel's early boot
 * structures come from memblock: fixed blocks of KS_META_SIZE bytes,
 * cache-line aligned, from a static pool of 64 (enough for the caches a
 * program makes at start-up, before any page exists), then from whole
 * pages taken from the page allocator and kept for good (marked RESERVED,
 * so that free() refuses a pointer into them).  A block freed with its
 * cache goes on a free list and is reused; pages never go back.
 *
 * Publication.  ks__meta_get makes the block a slot (node[n], depot[n])
 * points to, fills it with the owner's INIT under meta_lock and stores the
 * pointer with release, so readers load the slot with acquire and take no
 * lock; two threads that race to make the same node get the same block.
 * meta_lock is rank 5 of internal.h's lock order: it is taken with no
 * depot, node or zone lock held, and takes the zone's locks under it when
 * the pool needs a page.
 *
 * The lock pool.  fork_prepare takes the lock of every slab node and depot
 * and the fork handlers release them, in the parent and in the child: a
 * write to the page of each lock right after the fork, when every page is
 * shared copy-on-write, so a page fault in each process for each page that
 * holds one.  Kept inside their nodes and depots, the locks of the kmalloc
 * caches alone were spread over thirteen pages; a fork cost sixty page
 * faults where glibc's costs eighteen.  So the locks of nodes and depots
 * live here, one to a cache line (no two caches' locks share one), side by
 * side in a static array of which only the slots used are ever touched: a
 * few pages hold the locks of every cache a program has.  A slot is taken
 * and given back with no lock (a stack of free slots under a 64-bit word
 * with a generation, so that a slot popped and pushed again in between
 * fails the compare-and-swap); when the array is used up, a node or depot
 * keeps its lock inside itself, as before.
 */
#include "meta.h"
#include "page_alloc.h"
#include <string.h>

static ks_lock_t meta_lock = KS_LOCK_INIT(KS_LR_META);

union meta_block {
	union meta_block *next;      /* on the free list */
	char bytes[KS_META_SIZE];
} __attribute__((aligned(KS_CACHE_LINE)));

static union meta_block meta_pool[64];   /* first, before any page: boot */
static size_t meta_pool_used;
static union meta_block *meta_free;

/* A zeroed block: the free list's first, the static pool's next, or a
 * new page's first (the rest of the page goes on the free list).  Caller
 * holds meta_lock. */
static void *meta_alloc(void)
{
	union meta_block *b = meta_free;

	if (!b && meta_pool_used < KS_ARRAY_SIZE(meta_pool))
		b = &meta_pool[meta_pool_used++];
	else if (!b) {
		struct ks_page *pg = ks__pages_alloc(KS_GFP_HIGH, 0);
		if (!pg)
			return NULL;
		pg->kind = KS_PG_RESERVED;   /* kslab's own, for good: free() refuses it */
		b = ks_page_address(pg);
		for (size_t i = 1; i < KS_PAGE_SIZE / sizeof(*b); i++) {
			b[i].next = meta_free;
			meta_free = &b[i];
		}
	} else {
		meta_free = b->next;
	}
	memset(b, 0, sizeof(*b));
	return b;
}

void ks__meta_put_nodes(ks_meta_slot *slots)
{
	ks_lock(&meta_lock);
	for (unsigned i = 1; i < KS_MAX_NODES; i++) {
		union meta_block *b = slots[i];
		if (b) {
			b->next = meta_free;
			meta_free = b;
		}
		slots[i] = NULL;
	}
	ks_unlock(&meta_lock);
}

void *ks__meta_get(ks_meta_slot *slot, void (*init)(void *block, void *arg, unsigned n),
		   void *arg, unsigned n)
{
	void *b;

	ks_lock(&meta_lock);
	b = *slot;
	if (!b && (b = meta_alloc()) != NULL) {
		init(b, arg, n);
		__atomic_store_n(slot, b, __ATOMIC_RELEASE);
	}
	ks_unlock(&meta_lock);
	return b;
}

void ks__meta_lock_all(void)
{
	ks_lock(&meta_lock);
}

void ks__meta_unlock_all(bool child)
{
	ks_lock_after_fork(&meta_lock, child);
}

/* ---- the lock pool -------------------------------------------------------- */

union lock_slot {
	ks_lock_t lock;
	uint32_t next;               /* on the free stack: the next slot + 1 */
} __attribute__((aligned(KS_CACHE_LINE)));

static union lock_slot lock_pool[KS_LOCK_POOL];
static uint32_t lock_pool_used;      /* slots ever handed out */
static uint64_t lock_pool_free;      /* generation << 32 | top slot + 1 */

ks_lock_t *ks__lock_get(ks_lock_t *own, unsigned rank)
{
	uint64_t top = __atomic_load_n(&lock_pool_free, __ATOMIC_ACQUIRE), next;
	union lock_slot *s = NULL;
	uint32_t i;

	while ((uint32_t)top) {
		s = &lock_pool[(uint32_t)top - 1];
		next = ((top >> 32) + 1) << 32 |
		       __atomic_load_n(&s->next, __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&lock_pool_free, &top, next, false,
						__ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			break;
		s = NULL;
	}
	/* a fresh slot; once they are all out, the counter stays about there
	 * (never wraps around to slots in use) */
	if (!s && __atomic_load_n(&lock_pool_used, __ATOMIC_RELAXED) < KS_LOCK_POOL &&
	    (i = __atomic_fetch_add(&lock_pool_used, 1, __ATOMIC_RELAXED)) < KS_LOCK_POOL)
		s = &lock_pool[i];
	if (!s) {
		ks_lock_init(own, rank);
		return own;
	}
	ks_lock_init(&s->lock, rank);
	return &s->lock;
}

void ks__lock_put(ks_lock_t *l)
{
	union lock_slot *s = (union lock_slot *)l;
	uint64_t top, next;

	if (s < lock_pool || s >= lock_pool + KS_LOCK_POOL)
		return;                      /* the owner's own */
	top = __atomic_load_n(&lock_pool_free, __ATOMIC_RELAXED);
	do {
		__atomic_store_n(&s->next, (uint32_t)top, __ATOMIC_RELAXED);
		next = ((top >> 32) + 1) << 32 | (uint32_t)(s - lock_pool + 1);
	} while (!__atomic_compare_exchange_n(&lock_pool_free, &top, next, false,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
}
