/* SPDX-License-Identifier: BSD-2-Clause */
/* magazine.h - per-thread magazines and per-cache depots (magazine.c). */
#ifndef KS_MAGAZINE_H
#define KS_MAGAZINE_H
#include "internal.h"
#include "slab.h"

struct ks_mag {
	struct ks_mag *next;         /* depot stack link */
	uint32_t rounds;             /* objects held (valid while not loaded) */
	uint32_t size;               /* capacity */
	void *round[];
};

/* One thread's cache of one ks_cache: kernel SLAB's array_cache, with
 * Bonwick's loaded and previous magazines.  The loaded magazine is held as
 * three cursors into its round array, so a pop is "cursor == base?" and a
 * load, a push "cursor == limit?" and a store; 32 bytes, a shift to index.
 * All NULL (ks__tcache_empty, or magazines off): both tests fail. */
struct ks_cpu_cache {
	void **cursor;               /* next free slot of the loaded magazine */
	void **base;                 /* loaded->round; NULL: no magazines */
	void **limit;                /* loaded->round + loaded->size */
	struct ks_mag *prev;         /* prev->rounds is 0 or prev->size */
};

static inline struct ks_mag *ks_cc_loaded(const struct ks_cpu_cache *cc)
{
	return ks_container_of(cc->base, struct ks_mag, round);
}

static inline uint32_t ks_cc_rounds(const struct ks_cpu_cache *cc)
{
	return (uint32_t)(cc->cursor - cc->base);
}

/* Put OBJ in the free slot CUR of CC's loaded magazine (CUR is cc->cursor,
 * below cc->limit): the one push of every path.  The slot is written before
 * the cursor moves past it, and the compiler may not swap the two stores
 * (it would: they cannot alias), because a fork child reads a vanished
 * thread's cursor as the fork left it (magazine.c, "Fork"): a cursor moved
 * first would give back whatever the slot held before, an object in use or
 * one of another cache that had the magazine earlier. */
static inline void ks_cc_push(struct ks_cpu_cache *cc, void **cur, void *obj)
{
	*cur = obj;
	ks_barrier();
	cc->cursor = cur + 1;
}

/* A stack of magazines in a depot (magazine.c's mag_push, mag_pop). */
struct ks_mag_stack {
	struct ks_mag *top;
	size_t nr;
	size_t min;                  /* lowest nr since the last reap */
	size_t rounds;               /* objects in its magazines */
};

struct ks_depot {
	ks_lock_t *lock;             /* in the lock pool (meta.h), or own_lock */
	struct ks_mag_stack full;    /* magazines with objects */
	struct ks_mag_stack empty;
	size_t max_full;             /* each stack's cap; beyond it, magazines
	                                go to the slabs (or are freed) */
	unsigned magsize;            /* capacity of magazines made from now on */
	unsigned magsize_max;        /* what contention may grow it to */
	unsigned contention;         /* failed trylocks since the last resize */
	uint64_t nr_swaps;           /* statistics, under lock */
	ks_lock_t own_lock;
} __attribute__((aligned(KS_CACHE_LINE)));

struct ks_cache {
	struct ks_slab_cache sc;     /* first: the slab layer's part */
	uint32_t id;                 /* slot in every thread's cpu caches */
	bool magazines;              /* false for debug caches and magazines=0 */
	unsigned magsize;            /* a new depot's first magazine size */
	size_t node_max_full;        /* each depot's cap of full magazines */
	struct ks_list depot_link;   /* all ks_caches (magazine.c) */
	/* a depot per slab node, NULL until a thread of it trades ([0] is
	 * depot0, always there); published like the slab nodes */
	struct ks_depot *depot[KS_MAX_NODES];
	struct ks_depot depot0;
};

#define KS_MAX_CACHE_IDS 4096

#define KS_TICK_PERIOD 256             /* mallocs between housekeeping (128: a
                                          third of an instruction more a pair) */
#define KS_BIG_CLASS 60                /* kmalloc-36864, the first above 32 KiB */
#define KS_TCACHE_SIZES (KS_SMALL_MAX + 1)  /* entries of ks_tcache.cc_off8 */
/* What a new thread's cc_off8 starts as (kmalloc fills it at boot). */
extern uint8_t ks__cc_off_template[KS_TCACHE_SIZES];

struct ks_tcache {
	/* kmalloc caches: class k at cc[k + 1].  cc[0] never holds a
	 * magazine: free() indexes by the page's cc_off (class + 1, or 0 for
	 * pages of no kmalloc class) and the push into cc[0] simply fails
	 * into the slow path, so the fast path needs no "has a slot?" test */
	struct ks_cpu_cache cc[1 + KS_NR_CLASSES];
	/* for each size 0..1 KiB, the byte offset in cc[] of its class, in
	 * units of 8 (classes up to 1 KiB: at most 20 * 32 / 8 = 80, a
	 * byte): kmalloc's table,
	 * copied into every thread so that the malloc fast path finds it
	 * beside its magazines, indexed by the size itself (no rounding) and
	 * scaled by the addressing mode, with no address of its own to load;
	 * all zero (cc[0], always empty) in the shared empty and dead states */
	uint8_t cc_off8[KS_TCACHE_SIZES];
	int64_t tick;                /* counts mallocs down to housekeeping */
	uint64_t freed_once;         /* kmalloc classes this thread has freed */
	struct ks_cpu_cache *ext;    /* other caches, by id - KS_NR_CLASSES */
	size_t nr_ext;
	struct ks_list link;         /* all thread caches */
	pid_t tid;
	unsigned node;               /* its slab node (ks__tls_node) */
	uint64_t ticks;              /* housekeeping ticks so far (owner writes) */
	uint64_t ticks_seen;         /* ticks when a node was last chosen */
	uint64_t idle_ms;            /* when to look for idle magazines next */
	void **idle_seen[KS_NR_CLASSES - KS_BIG_CLASS];  /* big classes' cursors
	                                then (kmalloc.c, ks__kmalloc_trim) */
};

/* The shared state of a thread that has none of its own yet, and every
 * thread's pointer to its own (thread.c). */
extern struct ks_tcache ks__tcache_empty;

/* The calling thread's cpu cache of C, or NULL if it has none yet. */
static inline struct ks_cpu_cache *ks_cpu_cache_of(struct ks_tcache *tc,
						   const struct ks_cache *c)
{
	if (c->id < KS_NR_CLASSES)
		return &tc->cc[c->id + 1];
	if (c->id - KS_NR_CLASSES < tc->nr_ext)
		return &tc->ext[c->id - KS_NR_CLASSES];
	return NULL;
}
extern __thread struct ks_tcache *ks__tls_tcache
	__attribute__((tls_model("initial-exec")));

void ks__mag_init(void);
/* A whole object cache of the public API (storage, slab layer, depot;
 * NULL with errno set), and its end once it holds no object. */
struct ks_cache *ks__mag_cache_new(const char *name, size_t size, size_t align,
				   unsigned long flags, void (*ctor)(void *));
void ks__mag_cache_delete(struct ks_cache *c);
/* Set up C's depot; ID 0..KS_NR_CLASSES-1 for kmalloc caches, or -1 to take
 * a free id. */
int ks__mag_cache_init(struct ks_cache *c, int id);
/* The first rung of each ladder, taken straight from the fast path: the
 * previous magazine is full (pop) or empty (push): swap it in.  NULL or
 * false when it is not, or CC has no magazines. */
void *ks__mag_pop_prev(struct ks_cpu_cache *cc);
bool ks__mag_push_prev(struct ks_cpu_cache *cc, void *obj);
void *ks__mag_alloc_slow(struct ks_cache *c, ks_gfp_t gfp);
void ks__mag_free_slow(struct ks_cache *c, void *obj);
/* The calling thread's magazines of every cache go to the depots
 * (jemalloc's thread.tcache.flush). */
void ks__mag_drain_thread(void);
/* Drain the calling thread's magazines of C and C's depot. */
size_t ks__mag_drain(struct ks_cache *c);
/* Give every magazine of every other thread of C back (cache destroy). */
void ks__mag_drain_all_threads(struct ks_cache *c);
void ks__mag_cache_fini(struct ks_cache *c);
/* Full magazines in C's depots, and the size of the magazines they make. */
size_t ks__mag_depot_full(struct ks_cache *c, unsigned *magsize);
/* Every depot of C and the calling thread's magazines of it consistent:
 * stacks as long as their counts, within their caps, full magazines full
 * of C's objects and empty ones empty.  Returns the problems found. */
int ks__mag_check(struct ks_cache *c);
/* Is OBJ, an object of C, free: in this thread's magazines of C, in the
 * magazines other threads have loaded (read racily, under
 * ks__threads_lock), in C's depots, or in its slab? */
bool ks__mag_is_free(struct ks_cache *c, void *obj);
/* ks__mag_check of every cache with depots, each result passed through
 * REPORT(name, problems); returns the sum. */
int ks__mag_check_all(int (*report)(const char *cache, int broken));
/* Objects of C held in its depots and in the calling thread's magazines:
 * allocated in the slab layer's count, free to the program (statistics;
 * other threads' magazines are theirs to read). */
size_t ks__mag_cached(struct ks_cache *c);
/* Magazines traded with C's depots (statistics). */
uint64_t ks__mag_depot_swaps(struct ks_cache *c);
/* Thread exit: the caller's magazines go back to the depots. */
void ks__mag_thread_exit(void *tcache);
size_t ks__mag_drain_depots(void);
/* Working-set reap: flush what every depot held unused since last time. */
void ks__mag_reap(void);
/* Give back TC's magazines of C (to the depots, within their caps) if
 * its loaded one stands where *SEEN says, and holds objects: the thread
 * has not used C since *SEEN was noted.  Notes the cursor in *SEEN. */
void ks__mag_drain_idle(struct ks_cache *c, struct ks_tcache *tc, void ***seen);
void ks__mag_lock_all(void);
void ks__mag_unlock_all(bool child);
/* The ks_cache a slab cache belongs to; NULL for kslab's own caches
 * (magazines, thread state), which have no depot. */
struct ks_cache *ks__mag_cache_of(struct ks_slab_cache *sc);
#endif
