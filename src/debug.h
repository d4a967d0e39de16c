/* SPDX-License-Identifier: BSD-2-Clause */
/* debug.h - poison, red zones, misuse detection and the one reporter. */
#ifndef KS_DEBUG_H
#define KS_DEBUG_H
#include "internal.h"

struct ks_slab_cache;

enum ks_err {
	KS_ERR_DOUBLE_FREE,
	KS_ERR_INVALID_FREE,
	KS_ERR_RED_ZONE,
	KS_ERR_USE_AFTER_FREE,
	KS_NR_ERRS
};

#define KS_POISON_FREE   0x6b   /* a free object's bytes (POISON_FREE) */
#define KS_POISON_END    0xa5   /* its last byte (POISON_END) */
#define KS_RED_ACTIVE    0xbb   /* red zone bytes (SLUB_RED_ACTIVE) */
#define KS_TRACK_ALLOC   0xa1   /* track word state: allocated */
#define KS_TRACK_FREE    0xf7   /* track word state: free */

/* One line on stderr naming the pointer and the cache, then abort(). */
void ks__report(enum ks_err err, const void *ptr, const char *cache) ks_cold
	__attribute__((noreturn));
void ks__debug_init_slot(struct ks_slab_cache *sc, void *slot);
void ks__debug_on_alloc(struct ks_slab_cache *sc, void *slot, size_t req);
/* A free slot still as free() left it (its poison intact): else a
 * use-after-free report.  The quarantine checks each slot it lets go. */
void ks__debug_check_free(struct ks_slab_cache *sc, void *slot);
void ks__debug_on_free(struct ks_slab_cache *sc, void *slot, const void *obj);
size_t ks__debug_requested(struct ks_slab_cache *sc, const void *slot);
#endif
