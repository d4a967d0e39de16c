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
 */
#include "debug.h"
#include "slab.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const err_text[KS_NR_ERRS] = {
	[KS_ERR_DOUBLE_FREE] = "double free",
	[KS_ERR_INVALID_FREE] = "invalid free",
	[KS_ERR_RED_ZONE] = "red zone overwritten",
	[KS_ERR_USE_AFTER_FREE] = "use after free",
};

void ks__report(enum ks_err err, const void *ptr, const char *cache)
{
	ks__dprintf(2, "kslab: %s: pointer %p, cache %s\n", err_text[err], ptr,
		    cache ? cache : "none");
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

static bool all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
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
}

void ks__debug_check_free(struct ks_slab_cache *sc, void *slot)
{
	unsigned char *obj = (unsigned char *)slot + sc->offset;
	size_t n = object_area(sc);

	if ((*track_word(sc, slot) & 0xff) != KS_TRACK_FREE)
		ks__report(KS_ERR_USE_AFTER_FREE, obj, sc->name);
	if (poisons(sc) && (!all_bytes(obj, n - 1, KS_POISON_FREE) ||
			    obj[n - 1] != KS_POISON_END))
		ks__report(KS_ERR_USE_AFTER_FREE, obj, sc->name);
}

void ks__debug_on_alloc(struct ks_slab_cache *sc, void *slot, size_t req)
{
	unsigned char *obj = (unsigned char *)slot + sc->offset;
	size_t n = object_area(sc);

	ks__debug_check_free(sc, slot);
	if (sc->flags & KS_CACHE_RED_ZONE)
		memset(obj + req, KS_RED_ACTIVE, n - req);
	*track_word(sc, slot) = ((uint64_t)req << 8) | KS_TRACK_ALLOC;
}

void ks__debug_on_free(struct ks_slab_cache *sc, void *slot, const void *obj)
{
	uint64_t track = *track_word(sc, slot);
	unsigned char *s = slot;
	size_t req = (size_t)(track >> 8);

	if ((track & 0xff) == KS_TRACK_FREE)
		ks__report(KS_ERR_DOUBLE_FREE, obj, sc->name);
	if ((track & 0xff) != KS_TRACK_ALLOC)
		ks__report(KS_ERR_INVALID_FREE, obj, sc->name);
	if ((sc->flags & KS_CACHE_RED_ZONE) &&
	    (!all_bytes(s, sc->offset, KS_RED_ACTIVE) ||
	     !all_bytes(s + sc->offset + req, sc->meta_offset - sc->offset - req,
			KS_RED_ACTIVE)))
		ks__report(KS_ERR_RED_ZONE, obj, sc->name);
	if (poisons(sc))
		poison_object(sc, s + sc->offset);
	*track_word(sc, slot) = KS_TRACK_FREE;
}

size_t ks__debug_requested(struct ks_slab_cache *sc, const void *slot)
{
	return (size_t)(*track_word(sc, slot) >> 8);
}
