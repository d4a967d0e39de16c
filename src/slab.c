// SPDX-License-Identifier: BSD-2-Clause
/*
 * slab.c - object caches: the kernel's kmem_cache, in the SLUB manner.
 *
 * 1. Overview.  A cache hands out objects of one size.  It takes blocks of
 *    2^order pages (slabs) from the page allocator and carves them into
 *    objects; free objects of a slab are chained through a free pointer
 *    stored inside them (SLUB's embedded freelist), so a slab has no header
 *    of its own: its head page descriptor holds the freelist, the count of
 *    objects in use and the colour offset, and every page of the slab names
 *    the cache, so that free() finds the cache from any object with
 *    virt_to_page() alone.
 *
 * 2. Lists.  A slab is on exactly one of the cache's lists: full (no free
 *    object), partial, or empty (no object in use).  Allocation takes from
 *    a partial slab first, then an empty one, and only then grows; a slab
 *    that becomes empty is kept (up to max_empty of them) and beyond that
 *    goes back to the page allocator.  ks_cache_shrink returns every empty
 *    slab.  The partial slabs are kept in four lists by how full they are
 *    (by quarters), and allocation takes from the fullest: the objects of
 *    a long-lived program cluster in few slabs, and the emptiest slabs get
 *    the chance to empty and go back (the kernel's SLUB sorts partial
 *    slabs only when shrinking; a bucket move is O(1), so we keep them
 *    sorted all the time).
 *
 * 3. Geometry.  The stride (size) is the object size rounded up to the
 *    alignment, plus room for the free pointer when a constructor or
 *    poisoning must find the object's bytes intact.  The slab order is the
 *    smallest (up to KS_SLAB_MAX_ORDER) that wastes at most an eighth of
 *    the slab, as calculate_order() does; power-of-two sizes up to the slab
 *    size waste nothing, and so are naturally aligned (the kernel's
 *    kmalloc guarantee, which memalign uses).
 *
 * 4. Colouring.  What is left over at the end of a slab is spent moving the
 *    first object by a cache line per slab, cycling through colour_count + 1
 *    offsets, so that objects of the same index in different slabs do not
 *    all fall on the same cache sets (Bonwick 1994).
 *
 * 5. Debugging.  A cache with POISON or RED_ZONE uses the _debug functions,
 *    chosen by sc->debug, and never the bulk paths that feed magazines.
 *    Its slot is [left red zone][object][right red zone][free pointer,
 *    track word]; debug.c fills and checks the patterns and owns the
 *    report.
 *
 * 6. Locking (the order is internal.h's table).  A node's lock guards its
 *    lists, counters and colour_next, and nothing is nested under it but
 *    the OS (the idle-slab purge madvises under it): a new slab's pages are
 *    taken, and an empty slab's given back, with it dropped, so it never
 *    nests with the page allocator's locks, and no other node's lock is
 *    taken under it (a bulk free of objects of several nodes takes each
 *    node's lock in turn).  The magazine layer takes it with no depot lock
 *    held.  ks__slab_caches_lock guards the list of all caches and comes
 *    before any node's lock (malloc_trim and the idle-slab purge walk the
 *    list and lock, or try-lock, the nodes).
 *
 * 7. Nodes.  A cache's lists are split into nodes, as the kernel splits
 *    them per NUMA node (kmem_cache_node), and for the reason jemalloc has
 *    arenas: two threads that take objects from one slab end up writing
 *    the same cache lines (Hoard's passive false sharing), and once the
 *    slabs mix their objects every tag a thread writes can cost a
 *    coherence miss.  There is one node per CPU the process may use (at
 *    most KS_MAX_NODES; KSLAB_OPTIONS=nodes=N sets it), every thread is
 *    given one (magazine.c: the node with the fewest busy threads, when
 *    it starts and again at its first malloc tick), allocation
 *    takes from the calling thread's node, and a slab stays in the node
 *    that grew it, so an object freed by any thread goes back to its own
 *    slab's node.  Threads of different nodes never share a slab; with as
 *    many nodes as CPUs, no two threads running at once need to.  Node 0
 *    is part of the cache; another node of a cache is made the first time
 *    a thread of that node allocates from it, from a small pool of
 *    metadata blocks (meta.c), so a single-threaded program, or a
 *    cache only one thread uses, pays nothing for the other nodes.
 *
 * 8. Lazy carving.  A new slab's objects are not chained at once: writing
 *    a free pointer into every object touches, and so faults in, every
 *    page of the slab at the moment it is mapped, which cost a Python
 *    program 18% of its time and twice glibc's page faults.  The head
 *    counts the objects carved so far (carved); an allocation takes the
 *    freelist first, which holds only objects that were handed out and
 *    came back, and else carves the next object, as mimalloc extends a
 *    fresh page's free list a few objects at a time.  A slab's pages are
 *    touched when its objects are.  Caches with a constructor or debug
 *    patterns carve the whole slab when it is made (the constructor runs
 *    once per object then, as the API promises).
 *
 * 9. Idle slabs.  A heap that frees most of its objects at random keeps a
 *    few in almost every slab, and the slabs stay partial: the kernel's
 *    SLUB keeps them whole, glibc can reuse the gaps for any size.  Here
 *    the decay tick (ks__slab_purge_idle), and every 64 MiB of new slabs,
 *    looks at the emptiest slabs (the empty list and the two emptiest
 *    quarters) that no allocation or free touched for a tick, a few
 *    hundred per node each time (a slab looked at moves to its list's
 *    tail), and gives back the OS pages on which every object is free.
 *    Their objects leave the freelist (a page given back reads as zero,
 *    and the free pointers with it) and the slab's purged
 *    mask, a bit per OS page, remembers them; when the slab has no other
 *    free object, take_locked takes the lowest such page back and chains
 *    its objects again.  Caches with a constructor or debugging are left
 *    alone (their free objects hold state), and so are caches of one-page
 *    slabs (a partial one has a live object on its only page; walking
 *    their thousands of slabs would find nothing).  malloc_trim does every
 *    slab of the others.
 *
 * 10. Runs.  The slabs a cache grows one after another are its objects
 *    in the order the program made them, and the program walks them in
 *    that order again (a garbage collector's list of every object, a
 *    tree built in one go).  Taken one at a time from the buddy
 *    allocator, a cache's slabs end up interleaved with every other
 *    cache's, a page here and a page there, so such a walk touches a new
 *    page table line and a new TLB entry every page.  So once a node has
 *    grown KS_RUN_AFTER slabs, a new slab comes with the rest of the
 *    block it was cut from: when the buddy allocator would split a larger
 *    block for it, it hands over up to KS_RUN_ORDER (32 KiB) of it
 *    (ks__pages_alloc_batch), and the node keeps the slabs it did not use
 *    yet as its run, to grow from in address order.  A free page of the
 *    heap (a hole) is still used first, as a single slab.  Python with
 *    PYTHONMALLOC=malloc ran 7% faster for it (its collector walks every
 *    object it tracks), with the same faults and RSS everywhere else
 *    (bench/RESULTS.md).  A run holds at most 7 slabs' pages, never used;
 *    it goes back to the page allocator with ks_cache_shrink, malloc_trim,
 *    or when no slab was taken from it for two decay ticks.
 */
#include "slab.h"
#include "meta.h"
#include "page_alloc.h"
#include "debug.h"
#include "os.h"
#include "options.h"
#include <errno.h>
#include <string.h>

struct ks_list ks__slab_caches = KS_LIST_INIT(ks__slab_caches);
ks_lock_t ks__slab_caches_lock = KS_LOCK_INIT(KS_LR_SLAB_CACHES);
unsigned ks__nr_nodes = 1;
__thread unsigned ks__tls_node __attribute__((tls_model("initial-exec")));
static uint32_t slab_epoch = 2;      /* ticks of ks__slab_purge_idle (9.) */

#define KS_RUN_ORDER 3        /* a run is cut from a block of up to 32 KiB */
#define KS_RUN_AFTER 8        /* slabs a node grows before it takes runs */
static void count_growth(unsigned order);

void ks__slab_init_nodes(unsigned n)
{
	ks__nr_nodes = n < 1 ? 1 : n > KS_MAX_NODES ? KS_MAX_NODES : n;
}

static void node_init(struct ks_slab_node *nd, unsigned id)
{
	memset(nd, 0, sizeof(*nd));
	nd->lock = ks__lock_get(&nd->own_lock, KS_LR_NODE);
	for (unsigned b = 0; b < KS_PARTIAL_BUCKETS; b++)
		ks_list_init(&nd->partial[b]);
	ks_list_init(&nd->full);
	ks_list_init(&nd->empty);
	nd->id = id;
}

_Static_assert(sizeof(struct ks_slab_node) <= KS_META_SIZE, "slab node too big");

static void node_init_meta(void *block, void *sc, unsigned n)
{
	(void)sc;
	node_init(block, n);
}

/* Node N of SC, made now (NULL if there is no memory for it). */
static ks_noinline struct ks_slab_node *node_create(struct ks_slab_cache *sc, unsigned n)
{
	return ks__meta_get((ks_meta_slot *)&sc->node[n], node_init_meta, sc, n);
}

/* The calling thread's node of SC (node 0 if its own cannot be made). */
static inline struct ks_slab_node *this_node(struct ks_slab_cache *sc)
{
	unsigned n = ks__tls_node < ks__nr_nodes ? ks__tls_node : 0;
	struct ks_slab_node *nd = __atomic_load_n(&sc->node[n], __ATOMIC_ACQUIRE);

	if (ks_unlikely(!nd) && !(nd = node_create(sc, n)))
		nd = sc->node[0];
	return nd;
}

/* The node of slab page PG (made when the slab was). */
static inline struct ks_slab_node *node_of(struct ks_slab_cache *sc,
					   const struct ks_page *pg)
{
	return __atomic_load_n(&sc->node[pg->node], __ATOMIC_ACQUIRE);
}

/* Node I of SC, or NULL if no thread of it has used SC. */
static inline struct ks_slab_node *node_if(struct ks_slab_cache *sc, unsigned i)
{
	return __atomic_load_n(&sc->node[i], __ATOMIC_ACQUIRE);
}

/* ---- geometry ----------------------------------------------------------- */

static void choose_order(struct ks_slab_cache *sc)
{
	unsigned best = KS_SLAB_MAX_ORDER;
	size_t best_waste = SIZE_MAX;

	for (unsigned order = 0; order <= KS_SLAB_MAX_ORDER; order++) {
		size_t slab = KS_PAGE_SIZE << order;
		size_t n = slab / sc->size, waste;
		if (n == 0)
			continue;
		if (n > UINT16_MAX)
			n = UINT16_MAX;
		waste = slab - n * sc->size;
		if (waste * 8 <= slab) {
			best = order;
			break;
		}
		if (waste * (KS_PAGE_SIZE << best) < best_waste * slab) {
			best = order;          /* compare waste fractions */
			best_waste = waste;
		}
	}
	sc->order = best;
	/* exact for every offset of a slab of at most 1 MiB: off * (the
	 * magic's excess over 2^40 / size) stays below 2^40 */
	_Static_assert((KS_PAGE_SIZE << KS_SLAB_MAX_ORDER) <= (1ul << 20),
		       "size_magic needs slabs of at most 1 MiB");
	sc->size_magic = ((1ull << 40) + sc->size - 1) / sc->size;
	sc->objs_per_slab = (unsigned)((KS_PAGE_SIZE << best) / sc->size);
	if (sc->objs_per_slab > UINT16_MAX)
		sc->objs_per_slab = UINT16_MAX;
}

static void set_layout(struct ks_slab_cache *sc)
{
	size_t align = sc->align, obj = ks_align_up(sc->object_size, 8);

	if (sc->debug) {
		size_t rz = (sc->flags & KS_CACHE_RED_ZONE) ? (align > 16 ? align : 16) : 0;
		size_t right = (sc->flags & KS_CACHE_RED_ZONE) ? 16 : 0;
		sc->offset = rz;
		sc->meta_offset = rz + obj + right;
		sc->fp_offset = sc->meta_offset;
		sc->size = ks_align_up(sc->meta_offset + 16 +
				       ((sc->flags & KS_CACHE_TRACK) ? KS_TRACK_BYTES : 0), align);
	} else if (sc->ctor) {
		sc->offset = 0;
		sc->fp_offset = obj;
		sc->size = ks_align_up(obj + sizeof(void *), align);
	} else {
		/* a kmalloc cache keeps the free key (fastpath.h) in the first
		 * word of a free object, so its free pointer is the second */
		sc->offset = 0;
		sc->fp_offset = (sc->flags & KS_CACHE_FREE_KEY) && obj >= 16 ? 8 : 0;
		sc->size = ks_align_up(obj ? obj : sizeof(void *), align);
	}
	choose_order(sc);
	sc->colour_step = align > KS_CACHE_LINE ? (unsigned)align : KS_CACHE_LINE;
	sc->colour_count = (unsigned)(((KS_PAGE_SIZE << sc->order) -
				       sc->objs_per_slab * sc->size) / sc->colour_step);
	for (unsigned b = 0; b < KS_PARTIAL_BUCKETS; b++)
		sc->quarter[b] = (unsigned)((size_t)sc->objs_per_slab * b / KS_PARTIAL_BUCKETS);
}

int ks__slab_cache_init(struct ks_slab_cache *sc, const char *name, size_t size,
			size_t align, unsigned long flags, void (*ctor)(void *))
{
	size_t n;

	if (align == 0)
		align = size >= KS_MIN_ALIGN ? KS_MIN_ALIGN : 8;
	if (!ks_is_pow2(align) || align > (KS_PAGE_SIZE << KS_SLAB_MAX_ORDER) ||
	    size == 0 || size > (KS_PAGE_SIZE << KS_SLAB_MAX_ORDER) / 2 + 1) {
		errno = EINVAL;
		return -1;
	}
	if (align < 8)
		align = 8;
	if ((flags & KS_CACHE_HWCACHE_ALIGN) && align < KS_CACHE_LINE)
		align = KS_CACHE_LINE;    /* every object on its own lines */
	memset(sc, 0, sizeof(*sc));
	node_init(&sc->node0, 0);
	sc->node[0] = &sc->node0;
	ks_list_init(&sc->link);
	sc->object_size = size;
	sc->align = align;
	sc->flags = flags;
	sc->ctor = ctor;
	sc->debug = (flags & KS_CACHE_DEBUG_FLAGS) != 0;
	sc->cc_off = 0;
	sc->gfp = (flags & KS_CACHE_DMA32) ? KS_GFP_DMA32 : 0;
	sc->max_empty = 1;
	for (n = 0; name && name[n] && n < KS_CACHE_NAME_MAX - 1; n++)
		sc->name[n] = name[n];
	sc->name[n] = '\0';
	set_layout(sc);
	if (sc->size > (KS_PAGE_SIZE << KS_SLAB_MAX_ORDER)) {
		ks__lock_put(sc->node0.lock);
		errno = EINVAL;
		return -1;
	}
	ks_lock(&ks__slab_caches_lock);
	ks_list_add_tail(&sc->link, &ks__slab_caches);
	ks_unlock(&ks__slab_caches_lock);
	return 0;
}

/* ---- slabs -------------------------------------------------------------- */

static inline void **free_ptr(const struct ks_slab_cache *sc, void *slot)
{
	return (void **)((char *)slot + sc->fp_offset);
}

static inline char *slab_base(const struct ks_page *head)
{
	return (char *)ks_page_address(head) + head->s_off;
}

/* The pages of a new slab for ND: the next of ND's run, or a block from
 * the page allocator, with what is left of a batch kept as the run (10.).
 * Called without ND's lock. */
static struct ks_page *slab_pages(struct ks_slab_cache *sc, struct ks_slab_node *nd,
				  ks_gfp_t gfp)
{
	struct ks_page *pg = NULL;
	size_t spare;
	bool batch;

	gfp = (gfp & ~KS_GFP_ZERO) | sc->gfp;
	ks_lock(nd->lock);
	if (nd->run_left) {
		pg = nd->run;
		nd->run += 1ul << sc->order;
		nd->run_left--;
		nd->run_epoch = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
	}
	batch = sc->order < KS_RUN_ORDER && nd->nr_grow >= KS_RUN_AFTER;
	ks_unlock(nd->lock);
	if (pg)
		return pg;
	if (!batch)
		return ks__pages_alloc(gfp, sc->order);
	pg = ks__pages_alloc_batch(gfp, sc->order, KS_RUN_ORDER);
	if (!pg || pg->order == sc->order)
		return pg;
	spare = (1ul << (pg->order - sc->order)) - 1;
	ks_lock(nd->lock);
	if (!nd->run_left) {
		nd->run = pg + (1ul << sc->order);
		nd->run_left = (unsigned)spare;
		nd->run_epoch = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
		spare = 0;
	}
	ks_unlock(nd->lock);
	if (spare)                     /* another thread's batch made the run */
		ks__pages_free_run(pg + (1ul << sc->order), spare << sc->order);
	return pg;
}

/* Map a new slab for node ND (its objects carved lazily, or, for a cache
 * with a constructor or debugging, all at once); NULL with errno
 * ENOMEM.  Called without ND's lock. */
static struct ks_page *slab_grow(struct ks_slab_cache *sc, struct ks_slab_node *nd,
				 ks_gfp_t gfp)
{
	struct ks_page *head = slab_pages(sc, nd, gfp);
	unsigned colour;
	char *base, *slot;

	if (!head)
		return NULL;
	count_growth(sc->order);
	ks_lock(nd->lock);
	colour = nd->colour_next;
	nd->colour_next = colour >= sc->colour_count ? 0 : colour + 1;
	nd->nr_grow++;
	ks_unlock(nd->lock);

	for (size_t i = 0; i < (1ul << sc->order); i++) {
		head[i].kind = KS_PG_SLAB;
		head[i].cache = sc;
		head[i].cc_off = sc->cc_off;
		head[i].node = (uint8_t)nd->id;
		head[i].head_delta = (uint32_t)i;
	}
	head->order = (uint8_t)sc->order;
	head->inuse = 0;
	head->s_off = (uint16_t)(colour * sc->colour_step);
	head->freelist = NULL;
	head->carved = 0;
	head->purged = 0;
	head->touched = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
	head->scanned = 0;
	if (!sc->ctor && !sc->debug)   /* carved as it is used: see take_locked */
		return head;
	base = slab_base(head);
	head->carved = (uint16_t)sc->objs_per_slab;
	for (unsigned i = 0; i < sc->objs_per_slab; i++) {
		slot = base + (size_t)i * sc->size;
		if (sc->debug)
			ks__debug_init_slot(sc, slot);
		if (sc->ctor)
			sc->ctor(slot + sc->offset);
		*free_ptr(sc, slot) = i + 1 < sc->objs_per_slab ? slot + sc->size : NULL;
	}
	head->freelist = base;
	return head;
}

static void slab_release(struct ks_slab_cache *sc, struct ks_page *head)
{
	for (size_t i = 0; i < (1ul << sc->order); i++) {
		head[i].kind = KS_PG_NONE;
		head[i].cache = NULL;
		head[i].cc_off = 0;       /* free() must not see a slot here */
		head[i].node = 0;
		head[i].head_delta = 0;
	}
	head->freelist = NULL;
	head->purged = 0;
	ks__pages_free(head, sc->order);
}

/* Move an empty slab off ND's lists if it keeps enough of them.  Returns
 * the slab to free after unlocking, or NULL.  Caller holds ND's lock. */
static struct ks_page *trim_empty_locked(struct ks_slab_cache *sc,
					 struct ks_slab_node *nd)
{
	struct ks_page *head;

	if (nd->nr_empty <= sc->max_empty)
		return NULL;
	head = ks_list_entry(nd->empty.prev, struct ks_page, lru);
	ks_list_del(&head->lru);
	nd->nr_empty--;
	nd->nr_shrink++;
	return head;
}

/* The partial bucket of a slab with INUSE objects (0 < inuse < objs). */
static inline unsigned bucket_of(const struct ks_slab_cache *sc, unsigned inuse)
{
	return (inuse >= sc->quarter[1]) + (inuse >= sc->quarter[2]) +
	       (inuse >= sc->quarter[3]);
}

/* Put HEAD, off every list, on the list of ND its inuse count calls for. */
static void file_slab(struct ks_slab_cache *sc, struct ks_slab_node *nd,
		      struct ks_page *head)
{
	if (head->inuse == 0) {
		ks_list_add(&head->lru, &nd->empty);
		nd->nr_empty++;
	} else if (head->inuse == sc->objs_per_slab) {
		ks_list_add(&head->lru, &nd->full);
		nd->nr_full++;
	} else {
		ks_list_add(&head->lru, &nd->partial[bucket_of(sc, head->inuse)]);
		nd->nr_partial++;
	}
}

/* Take HEAD off its list, whose kind its inuse count tells. */
static void unfile_slab(struct ks_slab_cache *sc, struct ks_slab_node *nd,
			struct ks_page *head)
{
	ks_list_del(&head->lru);
	if (head->inuse == 0)
		nd->nr_empty--;
	else if (head->inuse == sc->objs_per_slab)
		nd->nr_full--;
	else
		nd->nr_partial--;
}

/* Move HEAD, whose inuse count went from BEFORE to its present value, to
 * the list that count calls for, if that is another list. */
static void refile_slab(struct ks_slab_cache *sc, struct ks_slab_node *nd,
			struct ks_page *head, unsigned before)
{
	unsigned now = head->inuse;

	if (before != 0 && now != 0 && before != sc->objs_per_slab &&
	    now != sc->objs_per_slab && bucket_of(sc, before) == bucket_of(sc, now))
		return;
	head->inuse = (uint16_t)before;
	unfile_slab(sc, nd, head);
	head->inuse = (uint16_t)now;
	file_slab(sc, nd, head);
}

/* The slab to allocate from: the fullest partial one, else an empty one. */
static struct ks_page *pick_slab(struct ks_slab_node *nd)
{
	for (int b = KS_PARTIAL_BUCKETS - 1; b >= 0; b--)
		if (!ks_list_empty(&nd->partial[b]))
			return ks_list_entry(nd->partial[b].next, struct ks_page, lru);
	if (!ks_list_empty(&nd->empty))
		return ks_list_entry(nd->empty.next, struct ks_page, lru);
	return NULL;
}

/* ---- idle slabs: their free pages go back (9. in the essay) ------------ */

/* The OS pages of HEAD that object I overlaps, as a mask. */
static uint32_t obj_pages(const struct ks_slab_cache *sc, const struct ks_page *head,
			  size_t i)
{
	size_t start = head->s_off + i * sc->size, end = start + sc->size - 1;
	unsigned lo = (unsigned)(start / ks__os_page_size), hi = (unsigned)(end / ks__os_page_size);

	return (hi >= 31 ? ~0u : (2u << hi) - 1) & ~((1u << lo) - 1);
}

/* Chain the objects on OS page BIT of HEAD that are on no other given-back
 * page (all of them are free: nothing can take an object while it is off
 * the freelist).  Caller holds the node's lock. */
static void link_page_locked(struct ks_slab_cache *sc, struct ks_page *head, unsigned bit)
{
	size_t pstart = (size_t)bit * ks__os_page_size, pend = pstart + ks__os_page_size;
	size_t first = pstart > head->s_off ? (pstart - head->s_off) / sc->size : 0;
	char *base = slab_base(head);

	for (size_t i = first; i < head->carved && head->s_off + i * sc->size < pend; i++) {
		if (obj_pages(sc, head, i) & head->purged)
			continue;
		*free_ptr(sc, base + i * sc->size) = head->freelist;
		head->freelist = base + i * sc->size;
	}
}

/* A free object of HEAD, whose freelist is empty and every object carved:
 * take back given-back pages until one has an object.  Caller holds the
 * node's lock; HEAD has a free object (it is partial or empty). */
static void *unpurge_locked(struct ks_slab_cache *sc, struct ks_page *head)
{
	void *slot;

	while (!head->freelist) {
		unsigned bit;
		KS_BUG_ON(!head->purged);
		bit = (unsigned)__builtin_ctz(head->purged);
		head->purged &= ~(1u << bit);
		link_page_locked(sc, head, bit);
	}
	slot = head->freelist;
	head->freelist = *free_ptr(sc, slot);
	return slot;
}

#define PURGE_MAX_OBJS 8192          /* a bitmap of free objects on the stack */

/* Give back the OS pages of HEAD on which every object is free: their
 * objects leave the freelist (a page given back reads as zero, free
 * pointers included) and come back, page by page, when the slab has
 * nothing else to hand out.  Returns the pages given back.  Caller holds
 * the node's lock (the madvise runs under it: nothing may take an object
 * of such a page until it is gone). */
static size_t purge_slab_locked(struct ks_slab_cache *sc, struct ks_page *head)
{
	uint64_t free_map[PURGE_MAX_OBJS / 64] = { 0 };
	size_t npages = (KS_PAGE_SIZE << sc->order) / ks__os_page_size, done = 0;
	uint32_t busy = head->purged, fresh;
	char *base = slab_base(head), *page = ks_page_address(head);
	void **link;

	if (npages < 1 || npages > 32 || sc->objs_per_slab > PURGE_MAX_OBJS)
		return 0;
	for (char *slot = head->freelist; slot; slot = *free_ptr(sc, slot)) {
		size_t i = (size_t)(slot - base) / sc->size;
		free_map[i / 64] |= 1ull << (i % 64);
	}
	for (size_t i = 0; i < sc->objs_per_slab; i++)
		if (i >= head->carved || (!(free_map[i / 64] & (1ull << (i % 64))) &&
					  !(obj_pages(sc, head, i) & head->purged)))
			busy |= obj_pages(sc, head, i);       /* in use, or never carved */
	fresh = ~busy & (npages == 32 ? ~0u : (1u << npages) - 1);
	if (!fresh)
		return 0;
	head->purged |= fresh;
	for (link = &head->freelist; *link;) {     /* unchain their objects */
		size_t i = (size_t)((char *)*link - base) / sc->size;
		if (obj_pages(sc, head, i) & head->purged)
			*link = *free_ptr(sc, *link);
		else
			link = free_ptr(sc, *link);
	}
	while (fresh) {                          /* one madvise per run */
		unsigned lo = (unsigned)__builtin_ctz(fresh), hi = lo;
		while (hi + 1 < 32 && (fresh & (1u << (hi + 1))))
			hi++;
		done += ks__os_purge(page + lo * ks__os_page_size,
				     (hi - lo + 1) * ks__os_page_size, ks__opt.purge_lazy);
		fresh &= ~((hi == 31 ? ~0u : (2u << hi) - 1) & ~((1u << lo) - 1));
	}
	return done / ks__os_page_size;
}

/* Look at ND's emptiest slabs, giving back the pages of those not touched
 * since the last tick but one and not looked at since.  Each list is
 * walked from its head, and a slab looked at goes to its tail, so that a
 * long list is covered over a few passes; BUDGET bounds the slabs whose
 * objects are counted.  Caller holds ND's lock. */
static size_t purge_node_locked(struct ks_slab_cache *sc, struct ks_slab_node *nd,
				bool all, unsigned *budget)
{
	struct ks_list *lists[] = { &nd->empty, &nd->partial[0], &nd->partial[1] };
	uint32_t epoch = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
	size_t pages = 0, visits = nd->nr_partial + nd->nr_empty;   /* once round */

	for (unsigned l = 0; l < KS_ARRAY_SIZE(lists); l++) {
		while (*budget && visits && !ks_list_empty(lists[l])) {
			struct ks_page *head = ks_list_entry(lists[l]->next, struct ks_page, lru);
			visits--;
			if (all || (head->touched + 2 <= epoch && head->scanned <= head->touched)) {
				--*budget;
				head->scanned = epoch;
				pages += purge_slab_locked(sc, head);
			}
			ks_list_del(&head->lru);
			ks_list_add_tail(&head->lru, lists[l]);
		}
	}
	return pages;
}

/* Give back the runs of SC's nodes that no slab was taken from for two
 * ticks (or every run, with ALL: ks_cache_shrink); with TRY, of the nodes
 * whose lock is free.  Returns the pages given back. */
static size_t drop_idle_runs(struct ks_slab_cache *sc, bool all, bool try)
{
	uint32_t epoch = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
	size_t pages = 0;

	for (unsigned i = 0; i < ks__nr_nodes; i++) {
		struct ks_slab_node *nd = node_if(sc, i);
		struct ks_page *run = NULL;
		size_t nr = 0;
		if (!nd || !__atomic_load_n(&nd->run_left, __ATOMIC_RELAXED))
			continue;
		if (try ? !ks_trylock(nd->lock) : (ks_lock(nd->lock), false))
			continue;
		if (all || nd->run_epoch + 2 <= epoch) {
			run = nd->run;
			nr = (size_t)nd->run_left << sc->order;
			nd->run = NULL;
			nd->run_left = 0;
		}
		ks_unlock(nd->lock);
		if (nr)
			ks__pages_free_run(run, nr);
		pages += nr;
	}
	return pages;
}

/* One pass over every cache; with TRY, only the locks that are free (the
 * pass from slab_grow, whose caller may hold a depot's lock). */
static size_t purge_idle(bool all, bool try)
{
	struct ks_list *pos;
	size_t pages = 0;

	if (try ? !ks_trylock(&ks__slab_caches_lock) : (ks_lock(&ks__slab_caches_lock), false))
		return 0;
	__atomic_add_fetch(&slab_epoch, 1, __ATOMIC_RELAXED);
	ks_list_for_each(pos, &ks__slab_caches) {
		struct ks_slab_cache *sc = ks_list_entry(pos, struct ks_slab_cache, link);
		pages += drop_idle_runs(sc, all, try);
		if (sc->debug || sc->ctor)      /* their free objects keep state */
			continue;
		if ((KS_PAGE_SIZE << sc->order) < 2 * ks__os_page_size)
			continue;               /* a live object holds its one page */
		for (unsigned i = 0; i < ks__nr_nodes; i++) {
			struct ks_slab_node *nd = node_if(sc, i);
			unsigned budget = all ? UINT32_MAX : 256;
			if (!nd)
				continue;
			if (try ? !ks_trylock(nd->lock) : (ks_lock(nd->lock), false))
				continue;
			pages += purge_node_locked(sc, nd, all, &budget);
			ks_unlock(nd->lock);
		}
	}
	ks_unlock(&ks__slab_caches_lock);
	return pages;
}

size_t ks__slab_purge_idle(bool all)
{
	return purge_idle(all, false);
}

/* Every KS_PURGE_GROWTH pages of new slabs is a tick too: a program that
 * moves from one size band to the next in less than a decay time leaves
 * the last band's slabs idle, and they are looked at while the new band
 * grows rather than after it has. */
#define KS_PURGE_GROWTH (16384ul)    /* pages: 64 MiB */

static void count_growth(unsigned order)
{
	static size_t grown;
	size_t before = __atomic_fetch_add(&grown, 1ul << order, __ATOMIC_RELAXED);

	if ((before ^ (before + (1ul << order))) >= KS_PURGE_GROWTH)
		purge_idle(false, true);
}

/* Take up to N slots of one slab of ND (the one pick_slab chooses) into
 * SLOTS, moving the slab between lists once; returns how many, 0 if ND
 * has no slab with a free slot.  Caller holds ND's lock. */
static size_t take_locked(struct ks_slab_cache *sc, struct ks_slab_node *nd, size_t n,
			  void **slots)
{
	struct ks_page *head = pick_slab(nd);
	unsigned before;
	size_t got = 0;

	if (!head)
		return 0;
	before = head->inuse;
	if (n > sc->objs_per_slab - before)
		n = sc->objs_per_slab - before;
	for (; got < n; got++) {
		void *slot = head->freelist;
		if (slot)
			head->freelist = *free_ptr(sc, slot);
		else if (head->carved < sc->objs_per_slab)   /* never handed out */
			slot = slab_base(head) + (size_t)head->carved++ * sc->size;
		else                   /* on pages given back: take one back */
			slot = unpurge_locked(sc, head);
		slots[got] = slot;
	}
	head->touched = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
	head->inuse = (uint16_t)(before + got);
	nd->active_objs += got;
	if (nd->active_objs > nd->peak_objs)
		nd->peak_objs = nd->active_objs;
	if (ks_config_stats)
		nd->nr_slab_allocs += got;
	refile_slab(sc, nd, head, before);
	return got;
}

/* Put the N slots SLOTS[i] - sc->offset, all of slab HEAD of node ND,
 * back on it, moving the slab between lists once; returns a slab to
 * release, or NULL.  Caller holds ND's lock. */
static struct ks_page *put_locked(struct ks_slab_cache *sc, struct ks_slab_node *nd,
				  struct ks_page *head, void *const *slots, size_t n)
{
	unsigned before = head->inuse;

	KS_ASSERT(head->kind == KS_PG_SLAB && head->cache == sc && before >= n);
	for (size_t i = 0; i < n; i++) {
		void *slot = (char *)slots[i] - sc->offset;
		*free_ptr(sc, slot) = head->freelist;
		head->freelist = slot;
	}
	head->touched = __atomic_load_n(&slab_epoch, __ATOMIC_RELAXED);
	nd->active_objs -= n;
	if (ks_config_stats)
		nd->nr_slab_frees += n;
	head->inuse = (uint16_t)(before - n);
	refile_slab(sc, nd, head, before);
	return head->inuse == 0 ? trim_empty_locked(sc, nd) : NULL;
}

/* Add a freshly grown slab to ND's empty list.  Caller holds ND's lock. */
static void add_new_locked(struct ks_slab_node *nd, struct ks_page *head)
{
	ks_list_add(&head->lru, &nd->empty);
	nd->nr_empty++;
}

/* Take up to N slots of ND into SLOTS, growing ND by a slab when it has
 * none; returns how many, fewer than N only when there was no memory, and
 * then with ND unlocked.  Caller holds ND's lock, which this may drop. */
static size_t take_or_grow_locked(struct ks_slab_cache *sc, struct ks_slab_node *nd,
				  ks_gfp_t gfp, size_t n, void **slots)
{
	size_t got = 0;

	while (got < n) {
		size_t k = take_locked(sc, nd, n - got, slots + got);
		struct ks_page *head;
		got += k;
		if (k)
			continue;
		ks_unlock(nd->lock);
		head = slab_grow(sc, nd, gfp);
		if (!head)
			return got;
		ks_lock(nd->lock);
		add_new_locked(nd, head);
	}
	return got;
}

size_t ks__slab_alloc_bulk(struct ks_slab_cache *sc, ks_gfp_t gfp, size_t n, void **objs)
{
	struct ks_slab_node *nd = this_node(sc);
	size_t got;

	ks_lock(nd->lock);
	got = take_or_grow_locked(sc, nd, gfp, n, objs);
	if (got == n)
		ks_unlock(nd->lock);
	for (size_t i = 0; sc->offset && i < got; i++)
		objs[i] = (char *)objs[i] + sc->offset;
	return got;
}

static inline struct ks_page *slab_of(const struct ks_slab_cache *sc, void *obj)
{
	return ks_page_head(ks_virt_to_page((char *)obj - sc->offset));
}

bool ks__slab_is_free(struct ks_slab_cache *sc, void *obj)
{
	struct ks_page *head = slab_of(sc, obj);
	struct ks_slab_node *nd = node_of(sc, head);
	size_t i = (size_t)((char *)obj - sc->offset - slab_base(head)) / sc->size, n = 0;
	bool found = false;

	ks_lock(nd->lock);
	if (i >= head->carved)                         /* never handed out */
		found = true;
	for (char *slot = head->freelist; slot && !found && n++ < sc->objs_per_slab;
	     slot = *free_ptr(sc, slot))
		found = slot + sc->offset == (char *)obj;
	ks_unlock(nd->lock);
	return found;
}

void ks__slab_free_bulk(struct ks_slab_cache *sc, size_t n, void **objs)
{
	struct ks_page *release[8];
	struct ks_slab_node *nd = NULL;
	size_t nr_release = 0, run;

	for (size_t i = 0; i < n; i += run) {
		struct ks_page *head = slab_of(sc, objs[i]), *empty;
		struct ks_slab_node *home = node_of(sc, head);
		for (run = 1; i + run < n && slab_of(sc, objs[i + run]) == head; run++)
			;                      /* a run of one slab's objects */
		if (home != nd) {              /* objects of another node */
			if (nd)
				ks_unlock(nd->lock);
			nd = home;
			ks_lock(nd->lock);
		}
		empty = put_locked(sc, nd, head, objs + i, run);
		if (empty && nr_release < KS_ARRAY_SIZE(release))
			release[nr_release++] = empty;
		else if (empty)                         /* keep it after all */
			add_new_locked(nd, empty);
	}
	if (nd)
		ks_unlock(nd->lock);
	while (nr_release)
		slab_release(sc, release[--nr_release]);
}

void *ks__slab_alloc(struct ks_slab_cache *sc, ks_gfp_t gfp)
{
	void *obj;

	if (sc->debug)
		return ks__slab_alloc_debug(sc, gfp, sc->object_size);
	if (ks__slab_alloc_bulk(sc, gfp, 1, &obj) != 1)
		return NULL;
	if (gfp & KS_GFP_ZERO)
		memset(obj, 0, sc->object_size);
	return obj;
}

void ks__slab_free(struct ks_slab_cache *sc, void *obj)
{
	if (sc->debug)
		ks__slab_free_debug(sc, obj);
	else
		ks__slab_free_bulk(sc, 1, &obj);
}

/* ---- debug caches ------------------------------------------------------- */

void *ks__slab_alloc_debug(struct ks_slab_cache *sc, ks_gfp_t gfp, size_t req)
{
	struct ks_slab_node *nd = this_node(sc);
	void *slot;

	ks_lock(nd->lock);
	if (!take_or_grow_locked(sc, nd, gfp, 1, &slot))
		return NULL;
	ks__debug_on_alloc(sc, slot, req);  /* reports and aborts on damage */
	ks_unlock(nd->lock);
	ks_vg_alloc_in((char *)slot + sc->offset, req, sc->meta_offset - sc->offset,
		       (gfp & KS_GFP_ZERO) || sc->ctor);
	if (gfp & KS_GFP_ZERO)
		memset((char *)slot + sc->offset, 0, req);
	return (char *)slot + sc->offset;
}

/* ---- the debug quarantine ------------------------------------------------
 *
 * A debug cache's freed object is poisoned and marked free at once, but it
 * goes back to its slab only after KS_QUARANTINE later frees of debug
 * objects: a program that writes through a stale pointer soon after the
 * free writes into an object nobody has yet, and the poison check when the
 * object leaves the quarantine (and again at its next allocation) finds
 * it, instead of the write landing in a live object handed out again at
 * once.  A double free of a quarantined
 * object is still one (its track word says free).  The ring is one for all
 * debug caches, under a lock nothing is taken under (rank 11); the object
 * it evicts goes to its slab after the lock is dropped.  A cache's objects
 * leave it when the cache is destroyed, and all of them at malloc_trim. */

#define KS_QUARANTINE 256

struct quarantined {
	struct ks_slab_cache *sc;
	void *obj;
};

static struct {
	ks_lock_t lock;
	unsigned next, n;
	struct quarantined q[KS_QUARANTINE];
} quarantine = { .lock = KS_LOCK_INIT(KS_LR_QUARANTINE) };

/* Give OBJ, an allocated object of SC, back to its slab. */
static void put_one(struct ks_slab_cache *sc, void *obj)
{
	struct ks_page *head = slab_of(sc, obj), *release;
	struct ks_slab_node *nd = node_of(sc, head);

	ks_lock(nd->lock);
	release = put_locked(sc, nd, head, &obj, 1);
	ks_unlock(nd->lock);
	if (release)
		slab_release(sc, release);
}

static void quarantine_add(struct ks_slab_cache *sc, void *obj)
{
	struct quarantined out = { NULL, NULL };

	ks_lock(&quarantine.lock);
	if (quarantine.n == KS_QUARANTINE)
		out = quarantine.q[quarantine.next];
	else
		quarantine.n++;
	quarantine.q[quarantine.next] = (struct quarantined){ sc, obj };
	quarantine.next = (quarantine.next + 1) % KS_QUARANTINE;
	ks_unlock(&quarantine.lock);
	if (out.obj) {
		ks__debug_check_free(out.sc, (char *)out.obj - out.sc->offset);
		put_one(out.sc, out.obj);
	}
}

void ks__slab_quarantine_flush(struct ks_slab_cache *sc)
{
	struct quarantined out[32];
	unsigned got;

	do {
		unsigned keep = 0, start, n;
		got = 0;
		ks_lock(&quarantine.lock);
		n = quarantine.n;
		start = (quarantine.next + KS_QUARANTINE - n) % KS_QUARANTINE;
		for (unsigned i = 0; i < n; i++) {  /* oldest first, kept in order */
			struct quarantined e = quarantine.q[(start + i) % KS_QUARANTINE];
			if ((!sc || e.sc == sc) && got < KS_ARRAY_SIZE(out))
				out[got++] = e;
			else
				quarantine.q[(start + keep++) % KS_QUARANTINE] = e;
		}
		quarantine.n = keep;
		quarantine.next = (start + keep) % KS_QUARANTINE;
		ks_unlock(&quarantine.lock);
		for (unsigned i = 0; i < got; i++) {
			ks__debug_check_free(out[i].sc, (char *)out[i].obj - out[i].sc->offset);
			put_one(out[i].sc, out[i].obj);
		}
	} while (got == KS_ARRAY_SIZE(out));
}

void ks__slab_quarantine_lock(void)
{
	ks_lock(&quarantine.lock);
}

void ks__slab_quarantine_unlock(bool child)
{
	ks_lock_after_fork(&quarantine.lock, child);
}

void ks__slab_free_debug(struct ks_slab_cache *sc, void *obj)
{
	void *slot = ks__slab_object_start(sc, obj);
	struct ks_slab_node *nd;

	if (!slot)
		ks__report(KS_ERR_INVALID_FREE, obj, sc->name);
	nd = node_of(sc, ks_virt_to_page(slot));
	ks_lock(nd->lock);
	ks__debug_on_free(sc, slot, obj);   /* reports and aborts on misuse */
	ks_unlock(nd->lock);
	ks_vg_free(obj);
	quarantine_add(sc, obj);
}

/* ---- queries ------------------------------------------------------------ */

void *ks__slab_object_start(struct ks_slab_cache *sc, const void *p)
{
	struct ks_page *pg = ks_virt_to_page(p);

	if (pg->kind != KS_PG_SLAB || pg->cache != sc)
		return NULL;
	return ks_slab_slot_of(sc, pg, p);
}

size_t ks__slab_usable(struct ks_slab_cache *sc, const void *obj)
{
	if (sc->debug)
		return ks__debug_requested(sc, (const char *)obj - sc->offset);
	return sc->object_size;
}

size_t ks__slab_shrink(struct ks_slab_cache *sc)
{
	struct ks_list doomed;
	size_t pages = drop_idle_runs(sc, true, false);

	ks_list_init(&doomed);
	for (unsigned i = 0; i < ks__nr_nodes; i++) {
		struct ks_slab_node *nd = node_if(sc, i);
		if (!nd)
			continue;
		ks_lock(nd->lock);
		while (!ks_list_empty(&nd->empty)) {
			struct ks_list *l = nd->empty.next;
			ks_list_del(l);
			ks_list_add(l, &doomed);
			nd->nr_empty--;
			nd->nr_shrink++;
		}
		ks_unlock(nd->lock);
	}
	while (!ks_list_empty(&doomed)) {
		struct ks_page *head = ks_list_entry(doomed.next, struct ks_page, lru);
		ks_list_del(&head->lru);
		slab_release(sc, head);
		pages += 1ul << sc->order;
	}
	return pages;
}

void ks__slab_totals(struct ks_slab_cache *sc, struct ks_slab_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < ks__nr_nodes; i++) {
		struct ks_slab_node *nd = node_if(sc, i);
		if (!nd)
			continue;
		ks_lock(nd->lock);
		t->nr_partial += nd->nr_partial;
		t->nr_full += nd->nr_full;
		t->nr_empty += nd->nr_empty;
		t->active_objs += nd->active_objs;
		t->peak_objs += nd->peak_objs;
		t->run_pages += (size_t)nd->run_left << sc->order;
		t->nr_grow += nd->nr_grow;
		t->nr_shrink += nd->nr_shrink;
		t->nr_slab_allocs += nd->nr_slab_allocs;
		t->nr_slab_frees += nd->nr_slab_frees;
		ks_unlock(nd->lock);
	}
}

size_t ks__slab_cache_busy(struct ks_slab_cache *sc)
{
	struct ks_slab_totals t;

	if (sc->debug)
		ks__slab_quarantine_flush(sc);
	ks__slab_totals(sc, &t);
	return t.active_objs;
}

void ks__slab_cache_fini(struct ks_slab_cache *sc)
{
	ks__slab_shrink(sc);
	ks_lock(&ks__slab_caches_lock);
	ks_list_del(&sc->link);
	ks_unlock(&ks__slab_caches_lock);
	for (unsigned i = 0; i < KS_MAX_NODES; i++)
		if (sc->node[i])
			ks__lock_put(sc->node[i]->lock);
	ks__meta_put_nodes((ks_meta_slot *)sc->node);
}

/* ---- leaks -------------------------------------------------------------- */

static void slab_list_leaks(struct ks_slab_cache *sc, struct ks_list *list)
{
	struct ks_list *pos;

	ks_list_for_each(pos, list) {
		struct ks_page *head = ks_list_entry(pos, struct ks_page, lru);
		char *base = slab_base(head);
		for (unsigned i = 0; i < sc->objs_per_slab; i++)
			ks__debug_leak_note(sc, base + (size_t)i * sc->size);
	}
}

/* KSLAB_OPTIONS=leaks at exit: every allocated object of a TRACK cache
 * (its slabs with objects, under each node's lock) goes to debug.c's
 * table by the caller that allocated it. */
void ks__slab_leaks(void)
{
	struct ks_list *pos;

	ks_lock(&ks__slab_caches_lock);
	ks_list_for_each(pos, &ks__slab_caches) {
		struct ks_slab_cache *sc = ks_list_entry(pos, struct ks_slab_cache, link);
		if (!(sc->flags & KS_CACHE_TRACK))
			continue;
		for (unsigned n = 0; n < ks__nr_nodes; n++) {
			struct ks_slab_node *nd = node_if(sc, n);
			if (!nd)
				continue;
			ks_lock(nd->lock);
			slab_list_leaks(sc, &nd->full);
			for (unsigned b = 0; b < KS_PARTIAL_BUCKETS; b++)
				slab_list_leaks(sc, &nd->partial[b]);
			ks_unlock(nd->lock);
		}
	}
	ks_unlock(&ks__slab_caches_lock);
}

void ks__slab_lock_all(void)
{
	struct ks_list *pos;

	ks_list_for_each(pos, &ks__slab_caches) {
		struct ks_slab_cache *sc = ks_list_entry(pos, struct ks_slab_cache, link);
		for (unsigned i = 0; i < ks__nr_nodes; i++)
			if (sc->node[i])
				ks_lock(sc->node[i]->lock);
	}
}

void ks__slab_unlock_all(bool child)
{
	struct ks_list *pos;

	ks_list_for_each(pos, &ks__slab_caches) {
		struct ks_slab_cache *sc = ks_list_entry(pos, struct ks_slab_cache, link);
		for (unsigned i = 0; i < ks__nr_nodes; i++)
			if (sc->node[i])
				ks_lock_after_fork(sc->node[i]->lock, child);
	}
}

/* ---- invariants --------------------------------------------------------- */

static int check_slab(struct ks_slab_cache *sc, struct ks_slab_node *nd,
		      struct ks_page *head, int want, size_t *inuse)
{
	int broken = 0;
	size_t nfree = 0;
	char *base = slab_base(head);
	char *end = base + (size_t)sc->objs_per_slab * sc->size;

	if (head->kind != KS_PG_SLAB || head->cache != sc || head->head_delta ||
	    head->node != nd->id)
		broken++;
	for (size_t i = 1; i < (1ul << sc->order); i++)
		if (head[i].kind != KS_PG_SLAB || head[i].cache != sc ||
		    head[i].head_delta != i || head[i].node != head->node)
			broken++;
	if (head->s_off > sc->colour_count * sc->colour_step || head->s_off % sc->colour_step)
		broken++;
	end = base + (size_t)head->carved * sc->size;  /* free slots were carved */
	for (char *slot = head->freelist; slot; slot = *free_ptr(sc, slot)) {
		if (slot < base || slot >= end || (size_t)(slot - base) % sc->size ||
		    ++nfree > sc->objs_per_slab ||
		    (obj_pages(sc, head, (size_t)(slot - base) / sc->size) & head->purged)) {
			broken++;
			break;
		}
	}
	for (size_t i = 0; head->purged && i < head->carved; i++)
		nfree += (obj_pages(sc, head, i) & head->purged) != 0;  /* off the list */
	if (head->carved > sc->objs_per_slab ||
	    nfree + head->inuse + (sc->objs_per_slab - head->carved) != sc->objs_per_slab)
		broken++;
	if ((want == 0 && head->inuse != sc->objs_per_slab) ||
	    (want == 1 && (head->inuse == 0 || head->inuse == sc->objs_per_slab)) ||
	    (want == 2 && head->inuse != 0))
		broken++;
	*inuse += head->inuse;
	return broken;
}

static int check_node(struct ks_slab_cache *sc, struct ks_slab_node *nd)
{
	struct ks_list *lists[2 + KS_PARTIAL_BUCKETS] = { &nd->full, &nd->empty };
	size_t counts[3] = { 0, 0, 0 }, inuse = 0;
	struct ks_list *pos;
	int broken = 0;

	for (unsigned b = 0; b < KS_PARTIAL_BUCKETS; b++)
		lists[2 + b] = &nd->partial[b];
	ks_lock(nd->lock);
	for (unsigned l = 0; l < KS_ARRAY_SIZE(lists); l++) {
		int want = l == 0 ? 0 : l == 1 ? 2 : 1;   /* full, empty, partial */
		ks_list_for_each(pos, lists[l]) {
			struct ks_page *head = ks_list_entry(pos, struct ks_page, lru);
			counts[want]++;
			broken += check_slab(sc, nd, head, want, &inuse);
			if (want == 1 && bucket_of(sc, head->inuse) != l - 2)
				broken++;          /* in the wrong fullness bucket */
		}
	}
	if (counts[0] != nd->nr_full || counts[1] != nd->nr_partial ||
	    counts[2] != nd->nr_empty || inuse != nd->active_objs)
		broken++;
	for (size_t i = 0; i < ((size_t)nd->run_left << sc->order); i++)
		if (nd->run[i].kind != KS_PG_NONE &&  /* a run's pages are unused */
		    nd->run[i].kind != KS_PG_TAIL)    /* (a stale tail is, too) */
			broken++;
	if (nd->run_left && (nd->run_left + 1ul) << sc->order > 1ul << KS_RUN_ORDER)
		broken++;                     /* more than a batch's spare slabs */
	ks_unlock(nd->lock);
	return broken;
}

int ks__slab_check(struct ks_slab_cache *sc)
{
	int broken = 0;

	for (unsigned i = 0; i < ks__nr_nodes; i++)
		if (node_if(sc, i))
			broken += check_node(sc, node_if(sc, i));
	return broken;
}
