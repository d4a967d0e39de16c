// SPDX-License-Identifier: BSD-2-Clause
/*
 * magazine.c - per-thread magazines and per-cache depots: the per-CPU
 * layer of the kernel's SLAB, as Bonwick and Adams built it for libumem
 * ("Magazines and Vmem", USENIX 2001).
 *
 * 1. Overview.  A magazine is an array of pointers to free objects of one
 *    cache.  Every thread holds, per cache, a loaded and a previous
 *    magazine (struct ks_cpu_cache): allocation pops from loaded, free
 *    pushes onto it, and neither takes a lock or an atomic: the fast path
 *    is in fastpath.h.  When loaded is empty (on alloc) or full (on free)
 *    and previous is the opposite, the two are swapped, so a thread that
 *    alternates allocs and frees around a magazine boundary does not
 *    thrash.  Only when both are unsuitable does the thread go to the
 *    cache's depot, under its lock, to exchange a magazine for a full or
 *    an empty one.  Only when the depot has none does it reach the slab
 *    layer, for a whole batch at once.
 *
 * 2. Cross-thread frees.  A thread frees into its own magazines whatever
 *    thread allocated the object; full magazines reach the depot and from
 *    there any thread that allocates.  There is no global lock on the way,
 *    only the cache's depot lock, taken once per magazine of objects.
 *
 * 3. Magazine size.  Small objects get deeper magazines (64 rounds up to
 *    256 B, down to 4, the smallest magazine, above 8 KiB).  Each failed trylock of a depot
 *    lock counts as contention; past a threshold the depot doubles the size
 *    of the magazines it makes from then on (up to 256, or 1 MiB of
 *    objects for big ones), as the paper does,
 *    so contended caches go to the depot less often.  Magazines carry their
 *    capacity, so old and new sizes mix freely.
 *
 * 4. Memory held.  A cache's depots keep at most about 32 KiB of objects
 *    between them (at least one magazine, shared out among the nodes, so
 *    a node's share of a cache of big objects may be none); beyond that a
 *    thread's full magazine is flushed to the slab layer in one bulk free.
 *    An exiting thread's magazines go to the depots under the same caps,
 *    and a new thread's first magazines come from the depots' empty ones:
 *    a program that runs thousands of short threads hands magazines and
 *    objects from one to the next instead of refilling from the slabs each
 *    time, and keeps no more than the caps allow.  Every trade with a depot
 *    respects them, empties included.  malloc_trim and ks_cache_shrink
 *    drain depots completely.  And the depots are reaped as the paper's
 *    working-set algorithm does: each depot remembers the fewest full (and
 *    empty) magazines it held since the last reap; that many were not
 *    needed all interval, so the reap (every quarter decay time, from the
 *    malloc tick) flushes them, and the empty slabs of the cache go back to
 *    the page allocator.
 *
 * 5. Thread state.  The cpu caches live in the thread's ks_tcache, which
 *    thread.c makes on a thread's first slow-path call and finds through
 *    one TLS pointer.  At thread exit (ks__mag_thread_exit, the pthread key
 *    destructor) and in a fork child (for the threads that did not survive)
 *    this file gives every magazine of the state back to the depots, and
 *    thread.c frees the state.  Before a thread has a state, and after it
 *    exits, its cpu caches are the shared empty ones: every alloc and free
 *    fails the fast path's tests and comes here, and goes to the slabs.
 *
 * 6. Nodes.  A cache has a depot per slab node (slab.c, 7.), and a thread
 *    trades with its own node's depot when it allocates.  A full magazine
 *    goes to the depot of the node its first object's slab belongs to: a
 *    thread's own objects stay in its node, and objects that one thread
 *    allocated and another freed go back to a depot the allocating thread
 *    takes from, so a producer/consumer pair still trades whole magazines.
 *    Objects never reach a thread of another node through a depot except
 *    where the program itself passed them across.
 *
 * 7. Fork.  The child gives back the magazines of the threads that did
 *    not survive, reading their cpu caches as the fork left them, at any
 *    instruction.  So no magazine may be reachable from a cpu cache and
 *    from a depot at once, and no object from a magazine and a slab: a
 *    push writes the slot before it moves the cursor (ks_cc_push), a
 *    trade with the depot updates the cpu cache before it drops the depot
 *    lock (which fork_prepare takes), a drain clears the cpu cache before
 *    it hands the magazines over, and a flush zeroes the rounds before it
 *    frees the objects.  A swap of the two magazines moves three cursors
 *    and a pointer with no lock, so the child's drain gives back only a
 *    loaded magazine whose cursors agree, and the previous one only if it
 *    is another.  A thread stopped in between leaves the child a magazine
 *    or a few objects that nothing references: leaked, never handed out
 *    twice.
 *
 * 8. Locking (internal.h's lock order).  ks__threads_lock (thread.c),
 *    then caches_lock, then a depot's lock; a magazine moves to or from
 *    the slab layer, and a depot is made (meta.c), with no depot lock
 *    held; every depot lock is taken at once only by ks__mag_lock_all
 *    (fork).
 */
#include "thread.h"
#include "reserve.h"
#include "debug.h"
#include "options.h"
#include <errno.h>
#include <string.h>

#define MAG_MIN_SHIFT 2                       /* 4 rounds */
#define MAG_MAX_SHIFT 8                       /* 256 rounds */
#define NR_MAG_CACHES (MAG_MAX_SHIFT - MAG_MIN_SHIFT + 1)
#define CONTENTION_GROW 32

static struct ks_slab_cache mag_caches[NR_MAG_CACHES];
static struct ks_slab_cache cache_cache;     /* the kmem_cache cache */
static struct ks_list caches = KS_LIST_INIT(caches);
static ks_lock_t caches_lock = KS_LOCK_INIT(KS_LR_CACHES);
static uint64_t id_bits[KS_MAX_CACHE_IDS / 64];

void ks__mag_init(void)
{
	char name[KS_CACHE_NAME_MAX];
	for (unsigned i = 0; i < NR_MAG_CACHES; i++) {
		size_t cap = 1ul << (i + MAG_MIN_SHIFT);
		ks__snprintf(name, sizeof(name), "ks_magazine_%zu", cap);
		ks__slab_cache_init(&mag_caches[i], name,
				    sizeof(struct ks_mag) + cap * sizeof(void *), KS_CACHE_LINE,
				    KS_CACHE_INTERNAL, NULL);
	}
	ks__thread_init();
	ks__slab_cache_init(&cache_cache, "ks_cache", sizeof(struct ks_cache),
			    KS_CACHE_LINE, KS_CACHE_INTERNAL, NULL);
	for (unsigned i = 0; i < KS_NR_CLASSES; i++)
		id_bits[i / 64] |= 1ul << (i % 64);
}

/* An object cache of ks_cache_create (and the dma-kmalloc caches): its
 * storage comes from cache_cache, set up at boot with the other internal
 * caches so that no lock guards a first use (a fork in the middle of one
 * would leave it held), then its slab layer and its depot. */
struct ks_cache *ks__mag_cache_new(const char *name, size_t size, size_t align,
				   unsigned long flags, void (*ctor)(void *))
{
	struct ks_cache *c = ks__slab_alloc(&cache_cache, KS_GFP_ZERO);

	if (!c)
		return NULL;
	if (ks__slab_cache_init(&c->sc, name, size, align, flags, ctor) != 0) {
		ks__slab_free(&cache_cache, c);
		return NULL;
	}
	if (ks__mag_cache_init(c, -1) != 0) {
		ks__slab_cache_fini(&c->sc);
		ks__slab_free(&cache_cache, c);
		return NULL;
	}
	return c;
}

/* ... and its end, once it holds no object: off the magazine layer's list
 * first (the reaper and malloc_trim walk it and shrink each cache's
 * slabs, whose nodes go next), then the slab layer, then the storage. */
void ks__mag_cache_delete(struct ks_cache *c)
{
	ks__mag_cache_fini(c);
	ks__slab_cache_fini(&c->sc);
	ks__slab_free(&cache_cache, c);
}

/* ---- magazines ---------------------------------------------------------- */

static struct ks_mag *mag_new(unsigned size)
{
	unsigned shift = ks_log2_ceil(size);
	struct ks_mag *m;

	if (shift < MAG_MIN_SHIFT)
		shift = MAG_MIN_SHIFT;
	if (shift > MAG_MAX_SHIFT)
		shift = MAG_MAX_SHIFT;
	m = ks__slab_alloc(&mag_caches[shift - MAG_MIN_SHIFT], KS_GFP_HIGH);
	if (m) {
		m->next = NULL;
		m->rounds = 0;
		m->size = 1u << shift;
	}
	return m;
}

static void mag_delete(struct ks_mag *m)
{
	ks__slab_free(&mag_caches[ks_log2_floor(m->size) - MAG_MIN_SHIFT], m);
}

/* Return a magazine's objects to the slab layer. */
static void mag_flush(struct ks_cache *c, struct ks_mag *m)
{
	uint32_t n = m->rounds;

	m->rounds = 0;         /* first: a fork child must not free them again */
	if (n)
		ks__slab_free_bulk(&c->sc, n, m->round);
}

static unsigned initial_magsize(size_t size)
{
	if (size <= 256)
		return 64;
	if (size <= 1024)
		return 32;
	if (size <= 4096)
		return 16;
	if (size <= 8192)
		return 8;
	return 4;                      /* the smallest magazine there is */
}

/* How deep contention may make a magazine of SIZE-byte objects: 256
 * rounds, or MAG_BYTES_MAX of objects for big ones (never below the first
 * size, INITIAL): every thread holds two magazines of each class, and 256
 * objects of 64 KiB would be 16 MiB a magazine. */
#define MAG_BYTES_MAX (1u << 20)
static unsigned mag_bytes_cap(size_t size, unsigned initial)
{
	size_t cap = MAG_BYTES_MAX / size;

	if (cap > (1u << MAG_MAX_SHIFT))
		cap = 1u << MAG_MAX_SHIFT;
	return cap > initial ? (unsigned)cap : initial;
}

static void depot_init(struct ks_cache *c, struct ks_depot *d)
{
	memset(d, 0, sizeof(*d));
	d->lock = ks__lock_get(&d->own_lock, KS_LR_DEPOT);
	d->magsize = c->magsize;
	d->magsize_max = mag_bytes_cap(c->sc.size, c->magsize);
	d->max_full = c->node_max_full;
}

static void depot_init_meta(void *block, void *c, unsigned n)
{
	(void)n;
	depot_init(c, block);
}

_Static_assert(sizeof(struct ks_depot) <= KS_META_SIZE, "depot too big");

/* Node N's depot of C, made now if no thread of N has traded yet (node
 * 0's if there is no memory for it).  Called with no depot lock held. */
static struct ks_depot *depot_of(struct ks_cache *c, unsigned n)
{
	struct ks_depot *d = __atomic_load_n(&c->depot[n], __ATOMIC_ACQUIRE);

	if (ks_likely(d))
		return d;
	d = ks__meta_get((ks_meta_slot *)&c->depot[n], depot_init_meta, c, n);
	return d ? d : c->depot[0];
}

/* Node I's depot of C, or NULL if it has none. */
static inline struct ks_depot *depot_if(struct ks_cache *c, unsigned i)
{
	return __atomic_load_n(&c->depot[i], __ATOMIC_ACQUIRE);
}

/* The depot a magazine of objects goes to: its first object's node's. */
static struct ks_depot *home_depot(struct ks_cache *c, const struct ks_mag *m)
{
	return depot_of(c, ks_virt_to_page(m->round[0])->node);
}

int ks__mag_cache_init(struct ks_cache *c, int id)
{
	/* the depots together hold about 32 KiB of objects (at least one
	 * magazine, at most 64), shared out among the nodes: a node's share
	 * may be 0, and its full magazines of big objects then go straight
	 * back to their slabs */
	size_t max_full;

	c->magsize = initial_magsize(c->sc.size);
	max_full = (32u << 10) / ((size_t)c->magsize * c->sc.size);
	max_full = max_full < 1 ? 1 : max_full > 64 ? 64 : max_full;
	c->node_max_full = max_full / ks__nr_nodes;
	memset(c->depot, 0, sizeof(c->depot));
	depot_init(c, &c->depot0);
	c->depot[0] = &c->depot0;
	c->magazines = !c->sc.debug && ks__opt.magazines &&
		       !(c->sc.flags & KS_CACHE_NOMAGAZINE);
	ks_lock(&caches_lock);
	if (id < 0) {
		for (id = KS_NR_CLASSES; id < KS_MAX_CACHE_IDS; id++)
			if (!(id_bits[id / 64] & (1ul << (id % 64))))
				break;
		if (id == KS_MAX_CACHE_IDS) {
			ks_unlock(&caches_lock);
			ks__lock_put(c->depot0.lock);
			errno = ENOMEM;
			return -1;
		}
		id_bits[id / 64] |= 1ul << (id % 64);
	}
	c->id = (uint32_t)id;
	ks_list_add_tail(&c->depot_link, &caches);
	ks_unlock(&caches_lock);
	/* a kmalloc cache's pages name its cpu cache, so that free() pushes
	 * straight onto it; under strict they name none, and every free()
	 * goes the checked way (ks__kfree) to the same magazines */
	c->sc.cc_off = (c->magazines && id < KS_NR_CLASSES && !ks__opt.strict) ?
		       (uint16_t)((id + 1) * sizeof(struct ks_cpu_cache)) : 0;
	c->sc.owner = c;
	return 0;
}

/* ---- loading a magazine, depot stacks ------------------------------------ */

/* Make M (with its rounds) the loaded magazine of CC; unload() is its
 * converse: the loaded magazine, with the cursor written out into its
 * rounds.  Between them they are the only code that moves a magazine in
 * or out of the three cursors. */
static void set_loaded(struct ks_cpu_cache *cc, struct ks_mag *m)
{
	cc->base = m->round;
	cc->cursor = m->round + m->rounds;
	cc->limit = m->round + m->size;
}

static struct ks_mag *unload(struct ks_cpu_cache *cc)
{
	struct ks_mag *m = ks_cc_loaded(cc);

	m->rounds = ks_cc_rounds(cc);
	return m;
}

/* Push M on stack ST of depot D if it has room (max_full); false if not.
 * Caller holds d->lock. */
static bool mag_push(struct ks_depot *d, struct ks_mag_stack *st, struct ks_mag *m)
{
	if (st->nr >= d->max_full)
		return false;
	m->next = st->top;
	st->top = m;
	st->nr++;
	st->rounds += m->rounds;
	return true;
}

/* Pop stack ST (NULL if it is empty), keeping its low-water mark for the
 * reap.  Caller holds the depot's lock. */
static struct ks_mag *mag_pop(struct ks_mag_stack *st)
{
	struct ks_mag *m = st->top;

	if (!m)
		return NULL;
	st->top = m->next;
	st->rounds -= m->rounds;
	if (--st->nr < st->min)
		st->min = st->nr;
	return m;
}

/* Put M into a depot of C: objects to their home depot's full stack if
 * there is room, else to the slabs; an empty one to the empty stack of
 * node NODE's (or freed if it holds as many as the full stack may). */
static void depot_put(struct ks_cache *c, struct ks_mag *m, unsigned node)
{
	struct ks_depot *d = m->rounds ? home_depot(c, m) : depot_of(c, node);

	KS_ASSERT(m->rounds <= m->size);
	ks_lock(d->lock);
	if (mag_push(d, m->rounds ? &d->full : &d->empty, m))
		m = NULL;
	ks_unlock(d->lock);
	if (m) {
		mag_flush(c, m);
		mag_delete(m);
	}
}

/* Lock the depot, noting contention; grow the magazine size when it is
 * contended often. */
static void depot_lock(struct ks_depot *d)
{
	if (ks_likely(ks_trylock(d->lock)))
		return;
	ks_lock(d->lock);
	if (++d->contention >= CONTENTION_GROW && d->magsize * 2 <= d->magsize_max) {
		d->magsize *= 2;
		d->contention = 0;
	}
}

/* Give the magazines of a cpu cache of a thread of NODE back to the
 * depots (within their caps). */
static void cpu_cache_drain(struct ks_cache *c, struct ks_cpu_cache *cc, unsigned node)
{
	struct ks_mag *loaded, *prev;
	bool whole;

	if (!cc || !cc->base)
		return;
	/* a thread the fork stopped inside a swap leaves the cursors half
	 * moved, or both pointers on one magazine: give back only what is
	 * whole, once (see "Fork" at the top) */
	loaded = ks_cc_loaded(cc);
	prev = cc->prev;
	whole = cc->cursor >= cc->base && cc->cursor <= cc->limit &&
		cc->limit == cc->base + loaded->size;
	if (whole)
		loaded->rounds = ks_cc_rounds(cc);
	memset(cc, 0, sizeof(*cc));    /* first: see "Fork" at the top */
	if (whole)
		depot_put(c, loaded, node);
	if (prev && prev != loaded && prev->rounds <= prev->size)
		depot_put(c, prev, node);
}

/* Give every magazine of TC back to the depots. */
static void tcache_drain(struct ks_tcache *tc)
{
	struct ks_list *pos;

	ks_lock(&caches_lock);
	ks_list_for_each(pos, &caches) {
		struct ks_cache *c = ks_list_entry(pos, struct ks_cache, depot_link);
		cpu_cache_drain(c, ks_cpu_cache_of(tc, c), tc->node);
	}
	ks_unlock(&caches_lock);
}

/* ... and free TC. */
static void tcache_release(struct ks_tcache *tc)
{
	tcache_drain(tc);
	ks__thread_free(tc);
}

void ks__mag_thread_exit(void *arg)
{
	ks__thread_exiting();
	ks__reserve_thread_exit();
	if (arg)
		tcache_release(arg);
}

/* ---- the slow paths ----------------------------------------------------- */

/* An empty magazine: one node NODE's depot holds, or a new one. */
static struct ks_mag *mag_get_empty(struct ks_cache *c, unsigned node)
{
	struct ks_depot *d = depot_of(c, node);
	struct ks_mag *m;

	ks_lock(d->lock);
	m = mag_pop(&d->empty);
	ks_unlock(d->lock);
	if (m) {
		m->rounds = 0;
		return m;
	}
	return mag_new(d->magsize);
}

/* Give CC its first pair of magazines (the depot's empty ones first, so a
 * program that starts thread after thread reuses them); false if there is
 * no memory. */
static bool cpu_cache_load(struct ks_cache *c, struct ks_cpu_cache *cc, unsigned node)
{
	struct ks_mag *a = mag_get_empty(c, node), *b;

	if (!a)
		return false;
	b = mag_get_empty(c, node);
	if (!b) {
		depot_put(c, a, node);
		return false;
	}
	set_loaded(cc, a);
	cc->prev = b;
	return true;
}

static void swap_loaded(struct ks_cpu_cache *cc)
{
	struct ks_mag *m = unload(cc);

	ks_barrier();                  /* m's rounds before m is prev: "Fork" */
	set_loaded(cc, cc->prev);
	cc->prev = m;
}

void *ks__mag_pop_prev(struct ks_cpu_cache *cc)
{
	if (!cc->base || !cc->prev->rounds)
		return NULL;
	swap_loaded(cc);
	return *--cc->cursor;
}

bool ks__mag_push_prev(struct ks_cpu_cache *cc, void *obj)
{
	if (!cc->base || cc->prev->rounds)
		return false;
	swap_loaded(cc);
	ks_cc_push(cc, cc->cursor, obj);
	return true;
}

/* The rungs of the allocation ladder, after the loaded magazine (fast
 * path) came up empty. */
void *ks__mag_alloc_slow(struct ks_cache *c, ks_gfp_t gfp)
{
	struct ks_tcache *tc;
	struct ks_cpu_cache *cc;
	struct ks_depot *d;
	struct ks_mag *full;
	size_t got;
	void *obj;

	if (!c->magazines || !(tc = ks__thread_get()) ||
	    !(cc = ks__thread_cpu_cache(tc, c)))
		return ks__slab_alloc(&c->sc, gfp);
	if (cc->cursor != cc->base)           /* custom caches get here first */
		goto pop;
	if (!cc->base && !cpu_cache_load(c, cc, tc->node))
		return ks__slab_alloc(&c->sc, gfp);
	/* 1. the previous magazine is full: swap (the fast path tried this
	 *    already, but custom caches and a thread's first magazines come
	 *    here directly) */
	if ((obj = ks__mag_pop_prev(cc)) != NULL)
		goto zero;
	/* 2. our node's depot has a full magazine: trade our empty previous
	 *    for it (kept by the depot if it has room for empties, freed if
	 *    not) */
	d = depot_of(c, tc->node);
	depot_lock(d);
	if ((full = mag_pop(&d->full)) != NULL) {
		struct ks_mag *spare = cc->prev;
		if (mag_push(d, &d->empty, spare))
			spare = NULL;
		if (ks_config_stats)
			d->nr_swaps++;
		cc->prev = unload(cc);         /* under the lock: see "Fork" */
		set_loaded(cc, full);
		ks_unlock(d->lock);
		if (spare)
			mag_delete(spare);
		goto pop;
	}
	ks_unlock(d->lock);
	/* 3. fill the loaded magazine from the slab layer, half of it */
	got = ks__slab_alloc_bulk(&c->sc, gfp, (size_t)(cc->limit - cc->base + 1) / 2,
				  cc->base);
	if (!got)
		return NULL;
	/* pops take the top first: put the lowest address there, so that a
	 * program gets its new objects in address order, as a list or a
	 * tree it builds is then laid out for the prefetcher */
	for (size_t i = 0, j = got - 1; i < j; i++, j--) {
		void *t = cc->base[i];
		cc->base[i] = cc->base[j];
		cc->base[j] = t;
	}
	cc->cursor = cc->base + got;
pop:
	obj = *--cc->cursor;
zero:
	if (gfp & KS_GFP_ZERO)
		memset(obj, 0, c->sc.object_size);
	return obj;
}

/* The rungs of the free ladder, after the loaded magazine came up full. */
void ks__mag_free_slow(struct ks_cache *c, void *obj)
{
	struct ks_tcache *tc;
	struct ks_cpu_cache *cc;
	struct ks_depot *d;
	struct ks_mag *empty;

	if (!c->magazines || !(tc = ks__thread_get()) ||
	    !(cc = ks__thread_cpu_cache(tc, c))) {
		ks__slab_free(&c->sc, obj);
		return;
	}
	if (!cc->base) {
		/* A thread's first free of a class goes straight back to its
		 * slab, and magazines come with its second: an object some
		 * other thread carved (next to that thread's live objects) is
		 * not handed out again here at once, so threads do not end up
		 * writing one cache line (Hoard's passive false sharing).  The
		 * classes past the 64 that freed_once holds (52 KiB and up)
		 * share no line but at their ends and load magazines at once. */
		uint64_t bit = c->id < 64 ? 1ull << c->id : 0;
		if ((bit && !(tc->freed_once & bit)) || !cpu_cache_load(c, cc, tc->node)) {
			tc->freed_once |= bit;
			ks__slab_free(&c->sc, obj);
			return;
		}
	}
	if (cc->cursor != cc->limit)          /* custom caches get here first */
		goto push;
	/* 1. the previous magazine is empty: swap */
	if (ks__mag_push_prev(cc, obj))
		return;
	/* 2. the home depot of its objects has room: trade our full previous
	 *    for an empty one */
	d = home_depot(c, cc->prev);
	depot_lock(d);
	if (d->full.nr < d->max_full &&
	    ((empty = mag_pop(&d->empty)) != NULL || (empty = mag_new(d->magsize)) != NULL)) {
		mag_push(d, &d->full, cc->prev);
		if (ks_config_stats)
			d->nr_swaps++;
		cc->prev = unload(cc);         /* under the lock: see "Fork" */
		empty->rounds = 0;
		set_loaded(cc, empty);
		ks_unlock(d->lock);
		goto push;
	}
	ks_unlock(d->lock);
	/* 3. the depot is full: the previous magazine's objects go to the
	 *    slabs, and it becomes the loaded one */
	mag_flush(c, cc->prev);
	swap_loaded(cc);
push:
	ks_cc_push(cc, cc->cursor, obj);
}

/* ---- draining ----------------------------------------------------------- */

/* Take up to N magazines off stack ST, as a list. */
static struct ks_mag *pop_n(struct ks_mag_stack *st, size_t n)
{
	struct ks_mag *taken = NULL, *m;

	while (n-- && (m = mag_pop(st)) != NULL) {
		m->next = taken;
		taken = m;
	}
	return taken;
}

/* Flush up to NFULL full and free up to NEMPTY empty magazines of depot
 * D of C (SIZE_MAX: all); the reap's minimums restart from what is left.
 * Returns the objects given back to the slabs. */
static size_t depot_release(struct ks_cache *c, struct ks_depot *d, size_t nfull,
			    size_t nempty)
{
	struct ks_mag *full, *empty;
	size_t n = 0;

	ks_lock(d->lock);
	full = pop_n(&d->full, nfull);
	empty = pop_n(&d->empty, nempty);
	d->full.min = d->full.nr;
	d->empty.min = d->empty.nr;
	ks_unlock(d->lock);
	while (full) {
		struct ks_mag *m = full;
		full = m->next;
		n += m->rounds;
		mag_flush(c, m);
		mag_delete(m);
	}
	while (empty) {
		struct ks_mag *m = empty;
		empty = m->next;
		mag_delete(m);
	}
	return n;
}

static size_t depots_release_all(struct ks_cache *c)
{
	size_t n = 0;

	for (unsigned i = 0; i < ks__nr_nodes; i++)
		if (depot_if(c, i))
			n += depot_release(c, depot_if(c, i), SIZE_MAX, SIZE_MAX);
	return n;
}

size_t ks__mag_drain(struct ks_cache *c)
{
	/* the empty and dead states have no magazines: nothing to drain */
	cpu_cache_drain(c, ks_cpu_cache_of(ks__tls_tcache, c), ks__tls_tcache->node);
	return depots_release_all(c);
}

size_t ks__mag_depot_full(struct ks_cache *c, unsigned *magsize)
{
	size_t n = 0;

	/* read without the locks: a depot lock under the slab cache's
	 * would invert the lock order, and a count one off does no harm */
	*magsize = __atomic_load_n(&c->depot0.magsize, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < ks__nr_nodes; i++)
		if (depot_if(c, i))
			n += __atomic_load_n(&depot_if(c, i)->full.nr, __ATOMIC_RELAXED);
	return n;
}

/* ---- is an object free? (the double-free check) -------------------------- */

/* Is OBJ among the first ROUNDS objects of M?  Also asked of a magazine
 * another thread holds, read behind its owner's back: each field is
 * loaded once and bounded before it is used, so a magazine swapped or
 * drained meanwhile gives a stale answer, never a wild read (a magazine
 * is a slab object of kslab's own, and slab memory stays mapped). */
static bool mag_has(const struct ks_mag *m, size_t rounds, const void *obj)
{
	size_t size = m ? __atomic_load_n(&m->size, __ATOMIC_RELAXED) : 0;

	if (rounds > size || size > (1u << MAG_MAX_SHIFT))
		return false;
	for (size_t i = 0; i < rounds; i++)
		if (__atomic_load_n(&m->round[i], __ATOMIC_RELAXED) == obj)
			return true;
	return false;
}

/* Is OBJ in CC's loaded or previous magazine?  CC may be another
 * thread's (see mag_has). */
static bool cc_has(const struct ks_cpu_cache *cc, const void *obj)
{
	void **base = __atomic_load_n(&cc->base, __ATOMIC_RELAXED);
	void **cur = __atomic_load_n(&cc->cursor, __ATOMIC_RELAXED);
	struct ks_mag *prev = __atomic_load_n(&cc->prev, __ATOMIC_RELAXED);

	if (!base)
		return false;
	return (cur >= base && mag_has(ks_container_of(base, struct ks_mag, round),
				       (size_t)(cur - base), obj)) ||
	       (prev && mag_has(prev, __atomic_load_n(&prev->rounds, __ATOMIC_RELAXED), obj));
}

/* Is OBJ in the magazines of C that another thread has loaded?  A double
 * free whose first free went to that thread's magazine finds the free key
 * and nothing in the freeing thread's own.  A stale "yes" would take an
 * object that holds the key while live: malloc clears it.  Under
 * ks__threads_lock, so no thread's state goes away meanwhile. */
static bool other_threads_have(struct ks_cache *c, const void *obj)
{
	struct ks_list *pos;
	bool found = false;

	ks_lock(&ks__threads_lock);
	ks_list_for_each(pos, &ks__threads) {
		struct ks_tcache *tc = ks_list_entry(pos, struct ks_tcache, link);
		struct ks_cpu_cache *cc;
		if (tc != ks__tls_tcache && (cc = ks_cpu_cache_of(tc, c)) != NULL &&
		    (found = cc_has(cc, obj)))
			break;
	}
	ks_unlock(&ks__threads_lock);
	return found;
}

bool ks__mag_is_free(struct ks_cache *c, void *obj)
{
	struct ks_cpu_cache *cc = ks_cpu_cache_of(ks__tls_tcache, c);

	if ((cc && cc_has(cc, obj)) || other_threads_have(c, obj))
		return true;
	for (unsigned i = 0; i < ks__nr_nodes; i++) {
		struct ks_depot *d = depot_if(c, i);
		bool found = false;
		if (!d)
			continue;
		ks_lock(d->lock);
		for (const struct ks_mag *m = d->full.top; m && !found; m = m->next)
			found = mag_has(m, m->rounds, obj);
		ks_unlock(d->lock);
		if (found)
			return true;
	}
	return ks__slab_is_free(&c->sc, obj);
}

/* ---- checking ------------------------------------------------------------ */

/* A magazine of C: its capacity one of the magazine sizes; with FULL, it
 * holds objects of C (a full stack also takes the part-filled magazines of
 * a drained thread), else none. */
static int check_mag(struct ks_cache *c, const struct ks_mag *m, bool full)
{
	int broken = 0;

	if (!ks_is_pow2(m->size) || m->size < (1u << MAG_MIN_SHIFT) ||
	    m->size > (1u << MAG_MAX_SHIFT))
		return 1;
	if (full ? m->rounds == 0 || m->rounds > m->size : m->rounds != 0)
		broken++;
	for (uint32_t i = 0; full && i < m->rounds; i++) {
		const void *obj = m->round[i];
		if (!ks_is_ours(obj) || ks_virt_to_page(obj)->cache != &c->sc)
			broken++;
	}
	return broken;
}

/* Stack ST of depot D: as long as its count, its low-water mark below it,
 * within the cap, each magazine well formed. */
static int check_stack(struct ks_cache *c, const struct ks_depot *d,
		       const struct ks_mag_stack *st, bool full)
{
	size_t n = 0, rounds = 0;
	int broken = 0;

	for (const struct ks_mag *m = st->top; m && n <= st->nr; m = m->next, n++) {
		broken += check_mag(c, m, full);
		rounds += m->rounds;
	}
	if (n != st->nr || st->min > st->nr || st->nr > d->max_full || rounds != st->rounds)
		broken++;
	return broken;
}

int ks__mag_check(struct ks_cache *c)
{
	struct ks_tcache *tc = ks__tls_tcache;
	struct ks_cpu_cache *cc = ks_cpu_cache_of(tc, c);
	int broken = 0;

	for (unsigned i = 0; i < ks__nr_nodes; i++) {
		struct ks_depot *d = depot_if(c, i);
		if (!d)
			continue;
		ks_lock(d->lock);
		broken += check_stack(c, d, &d->full, true) + check_stack(c, d, &d->empty, false);
		ks_unlock(d->lock);
	}
	/* the calling thread's pair: the only cpu caches it may read */
	if (cc && cc->base) {
		const struct ks_mag *m = ks_cc_loaded(cc);
		if (cc->limit != m->round + m->size || cc->cursor < cc->base ||
		    cc->cursor > cc->limit)
			broken++;
		for (void **p = cc->base; p < cc->cursor && p < cc->limit; p++)
			if (!ks_is_ours(*p) || ks_virt_to_page(*p)->cache != &c->sc)
				broken++;
		/* the previous magazine is all or nothing (the ladders swap it
		 * only then) */
		if (cc->prev->rounds != 0 && cc->prev->rounds != cc->prev->size)
			broken++;
		broken += check_mag(c, cc->prev, cc->prev->rounds != 0);
	}
	return broken;
}

int ks__mag_check_all(int (*report)(const char *cache, int broken))
{
	struct ks_list *pos;
	int broken = 0;

	ks_lock(&caches_lock);
	ks_list_for_each(pos, &caches) {
		struct ks_cache *c = ks_list_entry(pos, struct ks_cache, depot_link);
		broken += report(c->sc.name, ks__mag_check(c));
	}
	ks_unlock(&caches_lock);
	return broken;
}

size_t ks__mag_cached(struct ks_cache *c)
{
	struct ks_cpu_cache *cc = ks_cpu_cache_of(ks__tls_tcache, c);
	size_t n = 0;

	for (unsigned i = 0; i < ks__nr_nodes; i++)      /* unlocked, as above */
		if (depot_if(c, i))
			n += __atomic_load_n(&depot_if(c, i)->full.rounds, __ATOMIC_RELAXED);
	if (cc && cc->base)                              /* the caller's own */
		n += ks_cc_rounds(cc) + cc->prev->rounds;
	return n;
}

uint64_t ks__mag_depot_swaps(struct ks_cache *c)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < ks__nr_nodes; i++)      /* unlocked, as above */
		if (depot_if(c, i))
			n += __atomic_load_n(&depot_if(c, i)->nr_swaps, __ATOMIC_RELAXED);
	return n;
}

void ks__mag_drain_all_threads(struct ks_cache *c)
{
	struct ks_list *pos;

	ks_lock(&ks__threads_lock);
	ks_list_for_each(pos, &ks__threads) {
		struct ks_tcache *tc = ks_list_entry(pos, struct ks_tcache, link);
		cpu_cache_drain(c, ks_cpu_cache_of(tc, c), tc->node);
	}
	ks_unlock(&ks__threads_lock);
	depots_release_all(c);
}

void ks__mag_cache_fini(struct ks_cache *c)
{
	ks_lock(&caches_lock);
	ks_list_del(&c->depot_link);
	if (c->id >= KS_NR_CLASSES)
		id_bits[c->id / 64] &= ~(1ul << (c->id % 64));
	ks_unlock(&caches_lock);
	for (unsigned i = 0; i < KS_MAX_NODES; i++)
		if (c->depot[i])
			ks__lock_put(c->depot[i]->lock);
	ks__meta_put_nodes((ks_meta_slot *)c->depot);
}

struct ks_cache *ks__mag_cache_of(struct ks_slab_cache *sc)
{
	return sc->owner;
}

void ks__mag_drain_idle(struct ks_cache *c, struct ks_tcache *tc, void ***seen)
{
	struct ks_cpu_cache *cc = ks_cpu_cache_of(tc, c);
	bool idle = cc && cc->base && cc->cursor == *seen &&
		    (cc->cursor != cc->base || (cc->prev && cc->prev->rounds));

	if (idle)
		cpu_cache_drain(c, cc, tc->node);
	*seen = cc ? cc->cursor : NULL;
}

void ks__mag_drain_thread(void)
{
	tcache_drain(ks__tls_tcache);    /* the shared states have no magazines */
}

/* Drain every depot (malloc_trim); returns objects given back. */
size_t ks__mag_drain_depots(void)
{
	struct ks_list *pos;
	size_t n = 0;

	ks_lock(&caches_lock);
	ks_list_for_each(pos, &caches)
		n += ks__mag_drain(ks_list_entry(pos, struct ks_cache, depot_link));
	ks_unlock(&caches_lock);
	return n;
}

static void reap_cache(struct ks_cache *c)
{
	for (unsigned i = 0; i < ks__nr_nodes; i++) {
		struct ks_depot *d = depot_if(c, i);
		if (d)
			depot_release(c, d, d->full.min, d->empty.min);
	}
	ks__slab_shrink(&c->sc);
}

void ks__mag_reap(void)
{
	struct ks_list *pos;

	ks_lock(&caches_lock);
	ks_list_for_each(pos, &caches)
		reap_cache(ks_list_entry(pos, struct ks_cache, depot_link));
	ks_unlock(&caches_lock);
}

/* ---- fork --------------------------------------------------------------- */

void ks__mag_lock_all(void)
{
	struct ks_list *pos;

	ks_lock(&ks__threads_lock);
	ks_lock(&caches_lock);
	ks_list_for_each(pos, &caches) {
		struct ks_cache *c = ks_list_entry(pos, struct ks_cache, depot_link);
		for (unsigned i = 0; i < ks__nr_nodes; i++)
			if (c->depot[i])
				ks_lock(c->depot[i]->lock);
	}
}

/* In the child, the other threads are gone: their magazines go back to the
 * depots, so nothing they cached is lost. */
void ks__mag_unlock_all(bool child)
{
	struct ks_list *pos, *tmp;

	ks_list_for_each(pos, &caches) {
		struct ks_cache *c = ks_list_entry(pos, struct ks_cache, depot_link);
		for (unsigned i = 0; i < ks__nr_nodes; i++)
			if (c->depot[i])
				ks_lock_after_fork(c->depot[i]->lock, child);
	}
	ks_lock_after_fork(&caches_lock, child);
	if (!child) {
		ks_unlock(&ks__threads_lock);
		return;
	}
	ks__thread_fork_child();
	ks_list_for_each_safe(pos, tmp, &ks__threads) {
		struct ks_tcache *tc = ks_list_entry(pos, struct ks_tcache, link);
		if (tc != ks__tls_tcache)
			tcache_release(tc);
	}
}
