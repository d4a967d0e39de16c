// SPDX-License-Identifier: BSD-2-Clause
/*
 * debug.c - slub_debug for user space: poisoning, red zones, double and
 * invalid free detection, and the one misuse reporter.
 *
 * Debug caches (KS_CACHE_POISON or KS_CACHE_RED_ZONE, or every kmalloc
 * cache under KSLAB_OPTIONS=debug) leave the fast path entirely: they have
 * no magazines, so every allocation and free comes through the slab
 * layer's _debug functions, which call in here under the cache lock.
 *
 * A debug slot is laid out as
 *
 *     [left red zone][object ........][right red zone][free ptr][track]
 *
 * The red zones are KS_RED_ACTIVE bytes; so is the part of the object past
 * the size the caller asked for (kmalloc(40) from kmalloc-48 has 8 bytes of
 * red zone inside the object, as SLUB's kmalloc redzoning does), which the
 * track word records with the object's state (allocated or free).  A free
 * object of a POISON cache is filled with KS_POISON_FREE and ends with
 * KS_POISON_END (unless a constructor owns its bytes); the next allocation
 * of the slot checks the poison, so a write after free is caught there.
 *
 * The lock witness (--enable-debug builds only; internal.h's ks_lock calls
 * it): each thread counts the locks it holds of every rank of internal.h's
 * lock order, and taking a lock of rank R while one of a higher rank is
 * held panics, naming both, before the deadlock it could cause.
 *
 * Reporting follows libumem's umem_error: one enum of errors, one fixed
 * sentence per error, written with write(2) (never stdio, which may
 * allocate), one line naming the pointer and the cache, then abort().
 *
 * Owner tracking (track, and debug, log and leaks, which imply it) is
 * SLUB's SLAB_STORE_USER: a TRACK slot's metadata also holds the caller
 * that last allocated it and the one that last freed it, with their
 * threads.  The caller is the return address into the program, which the
 * public entry points note in ks__tls_caller (the malloc and free fast
 * paths jump to their slow paths, so the return address there is still
 * the program's); a report about the slot names both, so that a double
 * free says where the block was freed first.  log=N keeps the last N
 * operations (allocations, frees, reallocs of every size) in a ring of
 * its own mapping, written without a lock (a sequence number taken with
 * one atomic add places each entry); a report lists the pointer's last
 * operations found there.  leaks walks the TRACK caches' slabs at exit
 * and sums what is still allocated by allocating caller.  Callers are
 * printed with dladdr's symbol and object, which allocate nothing.
 */
#include "debug.h"
#include "slab.h"
#include "options.h"
#include "os.h"
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char *const err_text[KS_NR_ERRS] = {
	[KS_ERR_DOUBLE_FREE] = "double free",
	[KS_ERR_INVALID_FREE] = "invalid free",
	[KS_ERR_RED_ZONE] = "red zone overwritten",
	[KS_ERR_USE_AFTER_FREE] = "use after free",
};

__thread const void *ks__tls_caller __attribute__((tls_model("initial-exec")));
bool ks__debug_tracking;
static __thread pid_t tls_tid __attribute__((tls_model("initial-exec")));

struct track {
	const void *alloc_caller, *free_caller;
	uint32_t alloc_tid, free_tid;
};
_Static_assert(sizeof(struct track) == KS_TRACK_BYTES, "the TRACK metadata");

struct log_entry {
	const void *ptr, *caller;
	uint64_t size_op;            /* size << 8 | enum ks_log_op */
	uint32_t tid;
	uint32_t seq;                /* its number + 1, written last (0: none) */
};

static struct log_entry *log_ring;
static unsigned long log_n;
static uint64_t log_seq;

static uint32_t my_tid(void)
{
	if (ks_unlikely(!tls_tid))
		tls_tid = (pid_t)syscall(SYS_gettid);
	return (uint32_t)tls_tid;
}

void ks__debug_fork_child(void)
{
	tls_tid = 0;
}

bool ks__on_memcheck;

void ks__debug_init(void)
{
#ifdef HAVE_VALGRIND_MEMCHECK_H
	char probe = 0, vbits;

	/* memcheck answers this request; other tools (callgrind measures the
	 * fast path) and no valgrind at all answer 0 */
	if (RUNNING_ON_VALGRIND && VALGRIND_GET_VBITS(&probe, &vbits, 1) == 1) {
		ks__on_memcheck = true;
		ks__opt.poison = ks__opt.redzone = ks__opt.debug = false;  /* memcheck's job */
	}
#endif
	ks__debug_tracking = ks__opt.track;
	if (ks__opt.log) {
		log_ring = ks__os_map(ks__opt.log * sizeof(*log_ring), 0, false);
		log_n = log_ring ? ks__opt.log : 0;
	}
}

void ks__debug_log(enum ks_log_op op, const void *p, size_t size)
{
	struct log_entry *e;
	uint64_t seq;

	if (!log_n)
		return;
	seq = __atomic_fetch_add(&log_seq, 1, __ATOMIC_RELAXED);
	e = &log_ring[seq % log_n];
	__atomic_store_n(&e->seq, 0, __ATOMIC_RELAXED);
	e->ptr = p;
	e->caller = ks__tls_caller;
	e->size_op = (uint64_t)size << 8 | op;
	e->tid = my_tid();
	__atomic_store_n(&e->seq, (uint32_t)(seq + 1), __ATOMIC_RELEASE);
}

/* "CALLER (symbol+off in object)" into BUF. */
static void describe_caller(char *buf, size_t len, const void *caller)
{
	Dl_info info;

	if (!caller) {
		ks__snprintf(buf, len, "an unknown caller");
	} else if (dladdr(caller, &info) && info.dli_sname && info.dli_saddr) {
		ks__snprintf(buf, len, "%p (%s+0x%lx in %s)", caller, info.dli_sname,
			     (unsigned long)((const char *)caller - (const char *)info.dli_saddr),
			     info.dli_fname ? info.dli_fname : "?");
	} else if (info.dli_fname && info.dli_fbase) {
		ks__snprintf(buf, len, "%p (%s+0x%lx)", caller, info.dli_fname,
			     (unsigned long)((const char *)caller - (const char *)info.dli_fbase));
	} else {
		ks__snprintf(buf, len, "%p", caller);
	}
}

/* The log's entries for PTR, newest first, at most 8. */
static void report_history(const void *ptr)
{
	static const char *const op_text[] = { "?", "allocated", "freed", "reallocated" };
	uint64_t last = __atomic_load_n(&log_seq, __ATOMIC_ACQUIRE);
	unsigned shown = 0;
	char who[256];

	for (uint64_t i = 0; i < log_n && i < last && shown < 8; i++) {
		const struct log_entry *e = &log_ring[(last - 1 - i) % log_n];
		if (e->ptr != ptr || !__atomic_load_n(&e->seq, __ATOMIC_ACQUIRE))
			continue;
		describe_caller(who, sizeof(who), e->caller);
		ks__dprintf(2, "kslab:   operation %lu: %s (%lu bytes) by %s, thread %u\n",
			    (unsigned long)e->seq, op_text[(e->size_op & 0xff) % 4],
			    (unsigned long)(e->size_op >> 8), who, e->tid);
		shown++;
	}
	if (log_n && !shown)
		ks__dprintf(2, "kslab:   none of the last %lu operations was on %p\n",
			    log_n, ptr);
}

void ks__report(enum ks_err err, const void *ptr, const char *cache)
{
	ks__dprintf(2, "kslab: %s: pointer %p, cache %s\n", err_text[err], ptr,
		    cache ? cache : "none");
	report_history(ptr);
	abort();
}

static __thread uint8_t locks_held[KS_NR_LOCK_RANKS]
	__attribute__((tls_model("initial-exec")));

void ks__witness_lock(unsigned rank, bool tried)
{
	char what[96];

	KS_BUG_ON(rank == 0 || rank >= KS_NR_LOCK_RANKS);
	for (unsigned r = rank + 1; !tried && r < KS_NR_LOCK_RANKS; r++) {
		if (locks_held[r]) {
			ks__snprintf(what, sizeof(what), "lock order: rank %u taken "
				     "while rank %u is held (internal.h)", rank, r);
			ks__panic(__FILE__, __LINE__, what);
		}
	}
	locks_held[rank]++;
}

void ks__witness_unlock(unsigned rank)
{
	if (locks_held[rank])
		locks_held[rank]--;
}

static inline uint64_t *track_word(struct ks_slab_cache *sc, const void *slot)
{
	return (uint64_t *)((char *)slot + sc->meta_offset + sizeof(void *));
}

static inline struct track *track_of(struct ks_slab_cache *sc, const void *slot)
{
	return (struct track *)((char *)slot + sc->meta_offset + 16);
}

/* A misuse of the object at OBJ in SLOT: the line, then (TRACK caches)
 * who last allocated and freed it, then the log's history. */
static ks_cold __attribute__((noreturn))
void report_slot(enum ks_err err, struct ks_slab_cache *sc, const void *slot, const void *obj)
{
	char who[256];

	ks__dprintf(2, "kslab: %s: pointer %p, cache %s\n", err_text[err], obj, sc->name);
	if (sc->flags & KS_CACHE_TRACK) {
		const struct track *t = track_of(sc, slot);
		if (t->alloc_caller || t->alloc_tid) {
			describe_caller(who, sizeof(who), t->alloc_caller);
			ks__dprintf(2, "kslab:   last allocated by %s, thread %u\n", who,
				    t->alloc_tid);
		}
		if (t->free_caller || t->free_tid) {
			describe_caller(who, sizeof(who), t->free_caller);
			ks__dprintf(2, "kslab:   last freed by %s, thread %u\n", who,
				    t->free_tid);
		}
	}
	report_history(obj);
	abort();
}

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

bool ks__debug_zones_intact(const void *base, size_t from, size_t head, size_t size,
			    size_t end)
{
	const unsigned char *b = base;

	return all_bytes(b + from, head - from, KS_RED_ACTIVE) &&
	       all_bytes(b + head + size, end - head - size, KS_RED_ACTIVE);
}

static size_t object_area(struct ks_slab_cache *sc)
{
	return sc->meta_offset - sc->offset -
	       ((sc->flags & KS_CACHE_RED_ZONE) ? 16 : 0);
}

static bool poisons(struct ks_slab_cache *sc)
{
	return (sc->flags & KS_CACHE_POISON) && !sc->ctor;
}

static void poison_object(struct ks_slab_cache *sc, unsigned char *obj)
{
	size_t n = object_area(sc);
	memset(obj, KS_POISON_FREE, n - 1);
	obj[n - 1] = KS_POISON_END;
}

void ks__debug_init_slot(struct ks_slab_cache *sc, void *slot)
{
	unsigned char *s = slot;
	if (sc->flags & KS_CACHE_RED_ZONE) {
		memset(s, KS_RED_ACTIVE, sc->offset);
		memset(s + sc->meta_offset - 16, KS_RED_ACTIVE, 16);
	}
	if (poisons(sc))
		poison_object(sc, s + sc->offset);
	*track_word(sc, slot) = KS_TRACK_FREE;
	if (sc->flags & KS_CACHE_TRACK)
		memset(track_of(sc, slot), 0, sizeof(struct track));
}

void ks__debug_check_free(struct ks_slab_cache *sc, void *slot)
{
	unsigned char *obj = (unsigned char *)slot + sc->offset;
	size_t n = object_area(sc);

	if ((*track_word(sc, slot) & 0xff) != KS_TRACK_FREE)
		report_slot(KS_ERR_USE_AFTER_FREE, sc, slot, obj);
	if (poisons(sc) && (!all_bytes(obj, n - 1, KS_POISON_FREE) ||
			    obj[n - 1] != KS_POISON_END))
		report_slot(KS_ERR_USE_AFTER_FREE, sc, slot, obj);
}

void ks__debug_on_alloc(struct ks_slab_cache *sc, void *slot, size_t req)
{
	unsigned char *obj = (unsigned char *)slot + sc->offset;
	size_t n = object_area(sc);

	ks__debug_check_free(sc, slot);
	if (sc->flags & KS_CACHE_RED_ZONE)
		memset(obj + req, KS_RED_ACTIVE, n - req);
	*track_word(sc, slot) = ((uint64_t)req << 8) | KS_TRACK_ALLOC;
	/* the free pointer is dead now: a stale one would make the next
	 * object look reachable to memcheck's leak check */
	*(void **)((char *)slot + sc->meta_offset) = NULL;
	if (sc->flags & KS_CACHE_TRACK) {
		struct track *t = track_of(sc, slot);
		t->alloc_caller = ks__tls_caller;
		t->alloc_tid = my_tid();
	}
	ks__debug_log(KS_LOG_ALLOC, obj, req);
}

void ks__debug_on_free(struct ks_slab_cache *sc, void *slot, const void *obj)
{
	uint64_t track = *track_word(sc, slot);
	unsigned char *s = slot;
	size_t req = (size_t)(track >> 8);

	if ((track & 0xff) == KS_TRACK_FREE)
		report_slot(KS_ERR_DOUBLE_FREE, sc, slot, obj);
	if ((track & 0xff) != KS_TRACK_ALLOC)
		report_slot(KS_ERR_INVALID_FREE, sc, slot, obj);
	if ((sc->flags & KS_CACHE_RED_ZONE) &&
	    !ks__debug_zones_intact(s, 0, sc->offset, req, sc->meta_offset))
		report_slot(KS_ERR_RED_ZONE, sc, slot, obj);
	if (poisons(sc))
		poison_object(sc, s + sc->offset);
	*track_word(sc, slot) = KS_TRACK_FREE;
	if (sc->flags & KS_CACHE_TRACK) {
		struct track *t = track_of(sc, slot);
		t->free_caller = ks__tls_caller;
		t->free_tid = my_tid();
	}
	ks__debug_log(KS_LOG_FREE, obj, req);
}

size_t ks__debug_requested(struct ks_slab_cache *sc, const void *slot)
{
	return (size_t)(*track_word(sc, slot) >> 8);
}

/* ---- leaks -------------------------------------------------------------- */

struct leak {
	const void *caller;
	size_t blocks, bytes;
};

enum { LEAK_SLOTS = 4096 };             /* callers told apart; the rest pool */
static struct leak *leaks;
static size_t leak_callers, leak_blocks, leak_bytes;

const void *ks__debug_alloc_caller(struct ks_slab_cache *sc, const void *slot)
{
	if (!(sc->flags & KS_CACHE_TRACK) || (*track_word(sc, slot) & 0xff) != KS_TRACK_ALLOC)
		return NULL;
	return track_of(sc, slot)->alloc_caller;
}

void ks__debug_leak_note_block(const void *caller, size_t bytes)
{
	size_t h;

	if (!leaks && !(leaks = ks__os_map(LEAK_SLOTS * sizeof(*leaks), 0, false)))
		return;
	leak_blocks++;
	leak_bytes += bytes;
	h = ((uintptr_t)caller * 0x9e3779b97f4a7c15ull) >> 52;    /* 12 bits */
	for (size_t i = 0; i < LEAK_SLOTS; i++) {
		struct leak *l = &leaks[(h + i) % LEAK_SLOTS];
		if (l->blocks && l->caller != caller)
			continue;
		if (!l->blocks) {
			if (leak_callers == LEAK_SLOTS - 1)
				continue;       /* keep the last slot for the rest */
			l->caller = caller;
			leak_callers++;
		}
		l->blocks++;
		l->bytes += bytes;
		return;
	}
}

void ks__debug_leak_note(struct ks_slab_cache *sc, const void *slot)
{
	if ((*track_word(sc, slot) & 0xff) == KS_TRACK_ALLOC)
		ks__debug_leak_note_block(ks__debug_alloc_caller(sc, slot),
					  ks__debug_requested(sc, slot));
}

/* The table, largest first (the 20 largest, then a line for the rest). */
void ks__debug_leak_print(int fd)
{
	size_t shown_bytes = 0, shown_blocks = 0;
	char who[256];

	ks__dprintf(fd, "kslab: leaks: %zu blocks, %zu bytes still allocated at exit "
		    "(allocating callers: %zu)\n", leak_blocks, leak_bytes, leak_callers);
	for (unsigned n = 0; leaks && n < 20; n++) {
		struct leak *best = NULL;
		for (size_t i = 0; i < LEAK_SLOTS; i++)
			if (leaks[i].blocks && (!best || leaks[i].bytes > best->bytes))
				best = &leaks[i];
		if (!best)
			break;
		describe_caller(who, sizeof(who), best->caller);
		ks__dprintf(fd, "kslab:   %zu bytes in %zu blocks allocated by %s\n",
			    best->bytes, best->blocks, who);
		shown_bytes += best->bytes;
		shown_blocks += best->blocks;
		best->blocks = 0;
	}
	if (shown_blocks < leak_blocks)
		ks__dprintf(fd, "kslab:   %zu bytes in %zu blocks from other callers\n",
			    leak_bytes - shown_bytes, leak_blocks - shown_blocks);
	if (leaks)
		ks__os_unmap(leaks, LEAK_SLOTS * sizeof(*leaks));
	leaks = NULL;
	leak_callers = leak_blocks = leak_bytes = 0;
}

/* ---- zero-size blocks ---------------------------------------------------
 *
 * Under redzone, malloc(0) returns an address of its own in a 1 MiB
 * region mapped PROT_NONE, 16 bytes apart: it compares unequal to every
 * other block and frees like one, but any read or write of it faults
 * where it happens (Electric Fence's answer for zero-size blocks).  A
 * bitmap in its own mapping, changed by compare-and-swap, says which are
 * out; a second free of one is a double free. */

enum { ZERO_REGION = 1 << 20, ZERO_STEP = 16, ZERO_WORDS = ZERO_REGION / ZERO_STEP / 64 };

struct zero_region {
	char *base;                     /* the PROT_NONE region */
	unsigned hint;                  /* a word that had room */
	uint64_t used[ZERO_WORDS];      /* a bit per address handed out */
};

static struct zero_region *zero;    /* published once, by compare-and-swap */

static struct zero_region *zero_setup(void)
{
	struct zero_region *z = __atomic_load_n(&zero, __ATOMIC_ACQUIRE), *none = NULL;

	if (z)
		return z;
	if (!(z = ks__os_map(sizeof(*z), 0, false)))
		return NULL;
	if (!(z->base = ks__os_map_none(ZERO_REGION))) {
		ks__os_unmap(z, sizeof(*z));
		return NULL;
	}
	if (__atomic_compare_exchange_n(&zero, &none, z, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return z;
	ks__os_unmap(z->base, ZERO_REGION);     /* another thread made it first */
	ks__os_unmap(z, sizeof(*z));
	return none;
}

void *ks__debug_zero_alloc(void)
{
	struct zero_region *z = zero_setup();
	unsigned start;

	if (!z)
		return NULL;
	start = __atomic_load_n(&z->hint, __ATOMIC_RELAXED) % ZERO_WORDS;
	for (unsigned i = 0; i < ZERO_WORDS; i++) {
		unsigned w = (start + i) % ZERO_WORDS;
		int bit = ks_bit_take(&z->used[w], ~0ull);
		if (bit >= 0) {
			__atomic_store_n(&z->hint, w, __ATOMIC_RELAXED);
			return z->base + ((size_t)w * 64 + (unsigned)bit) * ZERO_STEP;
		}
	}
	return NULL;
}

/* P's word and bit if P is in the region (a report if it is not on a
 * block's address); NULL if it is not in it. */
static uint64_t *zero_slot(const void *p, unsigned *bit)
{
	struct zero_region *z = __atomic_load_n(&zero, __ATOMIC_ACQUIRE);
	size_t off;

	if (!z || (const char *)p < z->base || (const char *)p >= z->base + ZERO_REGION)
		return NULL;
	off = (size_t)((const char *)p - z->base);
	if (off % ZERO_STEP)
		ks__report(KS_ERR_INVALID_FREE, p, "zero-size");
	*bit = (unsigned)(off / ZERO_STEP % 64);
	return &z->used[off / ZERO_STEP / 64];
}

bool ks__debug_zero_free(const void *p)
{
	unsigned bit;
	uint64_t *word = zero_slot(p, &bit);

	if (!word)
		return false;
	if (!ks_bit_give(word, bit))
		ks__report(KS_ERR_DOUBLE_FREE, p, "zero-size");
	return true;
}

bool ks__debug_is_zero(const void *p)
{
	unsigned bit;
	uint64_t *word = zero_slot(p, &bit);

	return word && (__atomic_load_n(word, __ATOMIC_RELAXED) & (1ull << bit));
}
