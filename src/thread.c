// SPDX-License-Identifier: BSD-2-Clause
/*
 * thread.c - the per-thread state: the per-CPU area of user space.
 *
 * The kernel finds its per-CPU data through a segment register; a thread
 * finds its ks_tcache through one initial-exec TLS pointer,
 * ks__tls_tcache, which the malloc fast path reads first.  The state holds
 * the thread's cpu caches (a loaded and a previous magazine per cache:
 * the kmalloc classes' in the state itself, other caches' in a page array
 * grown as caches appear), a copy of kmalloc's size-to-class table, the
 * housekeeping tick and the thread's slab node.  This file makes and
 * finds it; magazine.c fills and drains its magazines.
 *
 * States.  A thread starts on ks__tcache_empty, a shared state whose cpu
 * caches are all NULL, so its first malloc and free fail the fast path's
 * tests and come to ks__thread_get, which makes the thread's own (from the
 * "ks_thread_cache" slab cache, never malloc) and registers it with the
 * pthread key whose destructor (magazine.c's ks__mag_thread_exit) gives
 * its magazines back.  An exiting thread is switched to tcache_dead, which
 * looks the same to the fast path but is never replaced: a destructor of
 * another library that mallocs after ours ran goes straight to the slabs
 * instead of building a state nobody would free.
 *
 * Nodes.  Each thread gets a slab node (slab.c, 7.): the one with the
 * fewest busy threads, when it starts and again at its first housekeeping
 * tick (its creator may have gone by then).  A thread is busy if it
 * ticked since the last choice, or has not ticked yet.
 *
 * The list of states (ks__threads, under ks__threads_lock, rank 2 of
 * internal.h's lock order) serves the node choice, a cache's destruction
 * (every thread's magazines of it go back) and the fork child (the states
 * of the threads that did not survive the fork are given back).
 */
#include "thread.h"
#include "page_alloc.h"
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

struct ks_tcache ks__tcache_empty;
static struct ks_tcache tcache_dead;
uint8_t ks__cc_off_template[KS_TCACHE_SIZES];
__thread struct ks_tcache *ks__tls_tcache
	__attribute__((tls_model("initial-exec"))) = &ks__tcache_empty;

struct ks_list ks__threads = KS_LIST_INIT(ks__threads);
ks_lock_t ks__threads_lock = KS_LOCK_INIT(KS_LR_THREADS);
static size_t nr_threads;
static struct ks_slab_cache tcache_cache;
static pthread_key_t thread_key;
static bool have_key;

void ks__thread_init(void)
{
	ks__slab_cache_init(&tcache_cache, "ks_thread_cache", sizeof(struct ks_tcache),
			    KS_CACHE_LINE, KS_CACHE_INTERNAL, NULL);
}

/* The node with the fewest busy threads other than SELF (ties: SELF's
 * own, then the lowest).  A thread is busy if it ticked since the last
 * choice or has not ticked yet (it has only just started): a main thread
 * that only waits for its workers does not hold a node, and neither does
 * a thread that is about to exit.  Caller holds
 * ks__threads_lock. */
static unsigned pick_node(struct ks_tcache *self)
{
	unsigned busy[KS_MAX_NODES] = { 0 }, best = self->node;
	struct ks_list *pos;

	ks_list_for_each(pos, &ks__threads) {
		struct ks_tcache *tc = ks_list_entry(pos, struct ks_tcache, link);
		uint64_t ticks = __atomic_load_n(&tc->ticks, __ATOMIC_RELAXED);
		if (tc != self && (ticks != tc->ticks_seen || ticks == 0))
			busy[tc->node]++;
		tc->ticks_seen = ticks;
	}
	for (unsigned i = 0; i < ks__nr_nodes; i++)
		if (busy[i] < busy[best])
			best = i;
	return best;
}

void ks__thread_tick(struct ks_tcache *tc)
{
	if (tc == &ks__tcache_empty || tc == &tcache_dead)
		return;                /* shared states: not a thread's own */
	__atomic_store_n(&tc->ticks, tc->ticks + 1, __ATOMIC_RELAXED);
	if (tc->ticks != 1 || ks__nr_nodes == 1)
		return;
	ks_lock(&ks__threads_lock);
	tc->node = pick_node(tc);
	ks_unlock(&ks__threads_lock);
	ks__tls_node = tc->node;
}

static struct ks_tcache *tcache_create(void)
{
	struct ks_tcache *tc = ks__slab_alloc(&tcache_cache, KS_GFP_ZERO);

	if (!tc)
		return NULL;
	tc->tid = (pid_t)syscall(SYS_gettid);
	tc->tick = KS_TICK_PERIOD;
	memcpy(tc->cc_off8, ks__cc_off_template, sizeof(tc->cc_off8));
	ks_lock(&ks__threads_lock);
	ks_list_add(&tc->link, &ks__threads);
	nr_threads++;
	tc->node = pick_node(tc);
	ks_unlock(&ks__threads_lock);
	ks__tls_node = tc->node;
	ks__tls_tcache = tc;
	if (have_key)
		pthread_setspecific(thread_key, tc);   /* may malloc: state is set */
	return tc;
}

void ks__thread_set_key(pthread_key_t key)
{
	thread_key = key;
	have_key = true;
	if (ks__tls_tcache != &ks__tcache_empty && ks__tls_tcache != &tcache_dead)
		pthread_setspecific(key, ks__tls_tcache);
}

size_t ks__thread_count(void)
{
	return __atomic_load_n(&nr_threads, __ATOMIC_RELAXED);
}

/* A thread's array of cpu caches of object caches (the kmalloc classes'
 * sit in the ks_tcache itself) is whole pages from the page allocator,
 * zeroed: NR_EXT entries take this many. */
static size_t ext_nr_pages(size_t nr_ext)
{
	return ks_align_up(nr_ext * sizeof(struct ks_cpu_cache), KS_PAGE_SIZE) >> KS_PAGE_SHIFT;
}

static void ext_free(struct ks_cpu_cache *ext, size_t nr_ext)
{
	if (nr_ext)
		ks__pages_free_exact(ks_virt_to_page(ext), ext_nr_pages(nr_ext));
}

/* TC's array grown to hold C's entry (rare: once per page of ids). */
static ks_noinline struct ks_cpu_cache *ext_grow(struct ks_tcache *tc, struct ks_cache *c)
{
	struct ks_cpu_cache *ext, *old;
	size_t old_n;
	size_t i = c->id - KS_NR_CLASSES, n;
	struct ks_page *pg;

	n = ks_align_up((i + 1) * sizeof(*ext), KS_PAGE_SIZE) / sizeof(*ext);
	if (ext_nr_pages(n) > (1ul << KS_MAX_ORDER))
		return NULL;
	pg = ks__pages_alloc_exact(KS_GFP_ZERO, ext_nr_pages(n), 0, KS_PG_PAGES);
	if (!pg)
		return NULL;
	ext = ks_page_address(pg);
	/* under the list's lock: a cache's destruction drains this thread's
	 * entry from another thread, and a fork child reads the array of a
	 * thread that did not survive; both hold it */
	ks_lock(&ks__threads_lock);
	old = tc->ext;
	old_n = tc->nr_ext;
	if (old_n)
		memcpy(ext, old, old_n * sizeof(*ext));
	tc->ext = ext;
	tc->nr_ext = n;
	ks_unlock(&ks__threads_lock);
	ext_free(old, old_n);
	return &tc->ext[i];
}

struct ks_cpu_cache *ks__thread_cpu_cache(struct ks_tcache *tc, struct ks_cache *c)
{
	struct ks_cpu_cache *cc = ks_cpu_cache_of(tc, c);

	return ks_likely(cc != NULL) ? cc : ext_grow(tc, c);
}

struct ks_tcache *ks__thread_get(void)
{
	struct ks_tcache *tc = ks__tls_tcache;
	if (tc == &tcache_dead)
		return NULL;
	if (tc == &ks__tcache_empty)
		tc = tcache_create();
	return tc;
}

void ks__thread_exiting(void)
{
	ks__tls_tcache = &tcache_dead;
}

bool ks__thread_is_own(const struct ks_tcache *tc)
{
	return tc != &ks__tcache_empty && tc != &tcache_dead;
}

/* Free TC once its magazines are gone: its cpu-cache array, its place on
 * the list, its storage. */
void ks__thread_free(struct ks_tcache *tc)
{
	ks_lock(&ks__threads_lock);    /* first: a fork child must not find it */
	ks_list_del(&tc->link);
	nr_threads--;
	ks_unlock(&ks__threads_lock);
	ext_free(tc->ext, tc->nr_ext);
	ks__slab_free(&tcache_cache, tc);
}

void ks__thread_fork_child(void)
{
	ks_lock_reinit(&ks__threads_lock);
	if (ks__thread_is_own(ks__tls_tcache))
		ks__tls_tcache->tid = (pid_t)syscall(SYS_gettid);
}
