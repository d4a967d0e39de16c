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
 * Bonwick's loaded and previous magazines.  24 bytes. */
struct ks_cpu_cache {
	uint32_t rounds;             /* objects in loaded */
	uint32_t magsize;            /* loaded->size; 0: no magazines here */
	struct ks_mag *loaded;
	struct ks_mag *prev;         /* prev->rounds is 0 or prev->size */
};

struct ks_depot {
	ks_lock_t lock;
	struct ks_mag *full;         /* magazines with objects */
	struct ks_mag *empty;
	size_t nr_full, nr_empty;
	size_t max_full;             /* beyond this, magazines go to the slabs */
	size_t min_full, min_empty;  /* lowest counts since the last reap */
	unsigned magsize;            /* capacity of magazines made from now on */
	unsigned contention;         /* failed trylocks since the last resize */
	uint64_t nr_swaps;           /* statistics, under lock */
};

struct ks_cache {
	struct ks_slab_cache sc;     /* first: the slab layer's part */
	struct ks_depot depot;
	uint32_t id;                 /* slot in every thread's cpu caches */
	bool magazines;              /* false for debug caches and magazines=0 */
	struct ks_list depot_link;   /* all ks_caches (magazine.c) */
};

#define KS_MAX_CACHE_IDS 4096

#define KS_TICK_PERIOD 128             /* mallocs between housekeeping */

struct ks_tcache {
	struct ks_cpu_cache cc[KS_NR_CLASSES];  /* kmalloc caches by class */
	int64_t tick;                /* counts mallocs down to housekeeping */
	struct ks_cpu_cache *ext;    /* other caches, by id - KS_NR_CLASSES */
	size_t nr_ext;
	struct ks_list link;         /* all thread caches */
	pid_t tid;
};

extern struct ks_tcache ks_tcache_empty;
extern __thread struct ks_tcache *ks_tls_tcache
	__attribute__((tls_model("initial-exec")));

void ks__mag_init(void);
/* Set up C's depot; ID 0..KS_NR_CLASSES-1 for kmalloc caches, or -1 to take
 * a free id. */
int ks__mag_cache_init(struct ks_cache *c, int id);
void *ks__mag_alloc_slow(struct ks_cache *c, ks_gfp_t gfp);
void ks__mag_free_slow(struct ks_cache *c, void *obj);
/* Drain the calling thread's magazines of C and C's depot. */
size_t ks__mag_drain(struct ks_cache *c);
/* Give every magazine of every other thread of C back (cache destroy). */
void ks__mag_drain_all_threads(struct ks_cache *c);
void ks__mag_cache_fini(struct ks_cache *c);
/* Thread exit: the caller's magazines go back to the depots. */
void ks__mag_thread_exit(void *tcache);
void ks__mag_set_thread_key(pthread_key_t key);
size_t ks__mag_nr_threads(void);
size_t ks__mag_drain_depots(void);
/* Working-set reap: flush what every depot held unused since last time. */
void ks__mag_reap(void);
void ks__mag_lock_all(void);
void ks__mag_unlock_all(bool child);
/* Every ks_cache, for shrink and slabinfo: the kmalloc ones and others. */
struct ks_cache *ks__mag_cache_of(struct ks_slab_cache *sc);
#endif
