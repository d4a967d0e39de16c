/* SPDX-License-Identifier: BSD-2-Clause */
/* meta.h - the metadata pool (meta.c). */
#ifndef KS_META_H
#define KS_META_H
#include "internal.h"

/* Per-node metadata (slab nodes, depots): zeroed, cache-line aligned
 * blocks of up to KS_META_SIZE bytes, from a static pool and then from
 * whole pages, never malloc; kept for reuse when freed (meta.c). */
#define KS_META_SIZE 256
/* The block *SLOT points to, or, if it is NULL, a new one filled by
 * INIT(block, ARG, N) and published to readers that load *SLOT with
 * acquire and take no lock; NULL if there is no memory.  SLOT is a
 * node[] or depot[] entry, whatever its pointer type. */
typedef void *ks_meta_slot __attribute__((may_alias));
void *ks__meta_get(ks_meta_slot *slot, void (*init)(void *block, void *arg, unsigned n),
		   void *arg, unsigned n);
/* Free the blocks of SLOTS[1..KS_MAX_NODES) (slot 0 is part of its owner)
 * and clear them, when their cache goes. */
void ks__meta_put_nodes(ks_meta_slot *slots);
/* The lock of a slab node or depot: a cache line of the lock pool, made
 * a fresh lock of RANK, where fork's handlers find it beside the others
 * (meta.c), or OWN, the owner's own, if the pool is used up.  Lock-free,
 * so it may be called under any lock.  ks__lock_put gives one back when
 * its owner goes (OWN is left alone). */
#define KS_LOCK_POOL 1024
ks_lock_t *ks__lock_get(ks_lock_t *own, unsigned rank);
void ks__lock_put(ks_lock_t *l);
/* Fork: take the pool's lock (rank 5), and release or renew it. */
void ks__meta_lock_all(void);
void ks__meta_unlock_all(bool child);
#endif
