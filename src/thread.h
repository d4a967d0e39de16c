/* SPDX-License-Identifier: BSD-2-Clause */
/* thread.h - the per-thread state (thread.c); its types are in magazine.h. */
#ifndef KS_THREAD_H
#define KS_THREAD_H
#include "magazine.h"

/* Every thread's own state, under ks__threads_lock (rank 2). */
extern struct ks_list ks__threads;
extern ks_lock_t ks__threads_lock;

void ks__thread_init(void);
/* The calling thread's state, built on first use; NULL when the thread is
 * exiting or no memory is left (callers then use the slab layer). */
struct ks_tcache *ks__thread_get(void);
/* The cpu cache of C in TC, growing TC's array for a new cache id; NULL if
 * there is none to be had. */
struct ks_cpu_cache *ks__thread_cpu_cache(struct ks_tcache *tc, struct ks_cache *c);
/* True for a thread's own state, false for the shared empty and dead ones. */
bool ks__thread_is_own(const struct ks_tcache *tc);
/* The malloc tick of TC's thread: counts it, and at the first one chooses
 * the thread's node again, now that its creator may have gone. */
void ks__thread_tick(struct ks_tcache *tc);
void ks__thread_set_key(pthread_key_t key);
size_t ks__thread_count(void);
/* The calling thread is exiting: from now on it has no state of its own. */
void ks__thread_exiting(void);
/* Free TC, whose magazines have gone back (magazine.c). */
void ks__thread_free(struct ks_tcache *tc);
/* Fork child: renew the list's lock (the forking thread held it), and
 * give the surviving thread's state its new tid. */
void ks__thread_fork_child(void);
#endif
