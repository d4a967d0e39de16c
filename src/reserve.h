/* SPDX-License-Identifier: BSD-2-Clause */
/* reserve.h - the per-thread reserves of KS_GFP_ATOMIC (reserve.c). */
#ifndef KS_RESERVE_H
#define KS_RESERVE_H
#include "internal.h"

/* Largest block a reserve holds. */
#define KS_RESERVE_MAX 4096

/* A block of at least SIZE bytes aligned to ALIGN from the calling
 * thread's reserve: async-signal-safe, never a lock.  NULL (errno ENOMEM)
 * when the reserve has no such slot free or cannot be mapped. */
void *ks__reserve_alloc(size_t size, size_t align);
/* Give back P if it is a reserve block (from any thread or handler); false
 * if P is in no reserve.  A pointer inside a reserve that is not a taken
 * slot is reported. */
bool ks__reserve_free(void *p);
/* The slot size of the reserve block P, 0 if P is none. */
size_t ks__reserve_usable(const void *p);
/* The calling thread ends: its reserve goes to the next thread that needs
 * one. */
void ks__reserve_thread_exit(void);

struct ks_reserve_stats {
	size_t reserves, in_use, bytes_in_use;
	uint64_t allocs, fails;
};
void ks__reserve_stats(struct ks_reserve_stats *st);
#endif
