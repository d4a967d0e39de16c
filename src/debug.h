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

/* One line on stderr naming the pointer and the cache, then abort().
 * Under KSLAB_OPTIONS=log, the pointer's last operations follow it. */
void ks__report(enum ks_err err, const void *ptr, const char *cache) ks_cold
	__attribute__((noreturn));

/* Memcheck.  Under valgrind's memcheck (found at boot) every block kslab
 * hands out is described to it as a heap block (client requests), so
 * memcheck's leak, use-after-free and uninitialised-read reports cover
 * kslab's malloc and object caches: the caches then keep their free
 * pointers outside the objects (the debug layout), blocks are copied
 * rather than resized in place, and pages the page allocator hands out
 * are made addressable again.  Elsewhere these are a load and a branch on
 * the slow paths only. */
extern bool ks__on_memcheck;
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#define ks_vg_alloc(p, n, zeroed) ks_vg_alloc_in((p), (n), (n), (zeroed))
/* ... a block of N bytes in a slot of ROOM: the rest of the slot is
 * made inaccessible, so that memcheck sees an overflow into it */
#define ks_vg_alloc_in(p, n, room, zeroed)                                   \
	do {                                                                 \
		if (ks_unlikely(ks__on_memcheck)) {                          \
			VALGRIND_MALLOCLIKE_BLOCK((p), (n), 0, (zeroed));    \
			if ((room) > (n))                                    \
				(void)VALGRIND_MAKE_MEM_NOACCESS(            \
					(char *)(p) + (n), (room) - (n));    \
		}                                                            \
	} while (0)
#define ks_vg_free(p)                                                        \
	do {                                                                 \
		if (ks_unlikely(ks__on_memcheck))                            \
			VALGRIND_FREELIKE_BLOCK((p), 0);                     \
	} while (0)
/* memory kslab takes back for itself: accessible, as it is */
#define ks_vg_addressable(p, n)                                              \
	do {                                                                 \
		if (ks_unlikely(ks__on_memcheck))                            \
			(void)VALGRIND_MAKE_MEM_DEFINED((p), (n));           \
	} while (0)
#else
#define ks_vg_alloc(p, n, zeroed) do { (void)(p); } while (0)
#define ks_vg_alloc_in(p, n, room, zeroed) do { (void)(p); } while (0)
#define ks_vg_free(p) do { (void)(p); } while (0)
#define ks_vg_addressable(p, n) do { (void)(p); } while (0)
#endif

/* Owner tracking (KSLAB_OPTIONS=track, log, leaks, debug).  The public
 * entry points note their caller (the return address into the program)
 * in a thread variable before they go down; the debug paths read it. */
#define KS_TRACK_BYTES 24     /* a TRACK slot's alloc caller, free caller,
                                 and both threads */
extern __thread const void *ks__tls_caller __attribute__((tls_model("initial-exec")));
#define ks_note_caller()                                                     \
	do {                                                                 \
		if (ks_unlikely(ks__debug_tracking))                         \
			ks__tls_caller = __builtin_return_address(0);        \
	} while (0)
extern bool ks__debug_tracking;
enum ks_log_op { KS_LOG_ALLOC = 1, KS_LOG_FREE, KS_LOG_REALLOC };
/* Set up tracking and the log as the options say (at boot). */
void ks__debug_init(void);
/* A fork child: the thread ids it cached are its parent's. */
void ks__debug_fork_child(void);
/* Record an operation on P in the log (cheap when there is none). */
void ks__debug_log(enum ks_log_op op, const void *p, size_t size);
/* Leaks: note the live slot SLOT of SC; print the table (and empty it). */
void ks__debug_leak_note(struct ks_slab_cache *sc, const void *slot);
void ks__debug_leak_note_block(const void *caller, size_t bytes);
void ks__debug_leak_print(int fd);
/* Zero-size blocks under redzone: each a distinct address in a region no
 * access may touch, so that reading or writing one faults at once.
 * alloc returns NULL when there is no such region (the caller falls
 * back); free gives back P if it is one (a second free is reported) and
 * says whether it was; is_zero says whether P is a live one. */
void *ks__debug_zero_alloc(void);
bool ks__debug_zero_free(const void *p);
bool ks__debug_is_zero(const void *p);
/* The caller recorded with a live TRACK slot (NULL if none). */
const void *ks__debug_alloc_caller(struct ks_slab_cache *sc, const void *slot);
/* Are the red zones around a block of SIZE bytes at BASE + HEAD intact:
 * [BASE + FROM, BASE + HEAD) before it, and after it up to BASE + END? */
bool ks__debug_zones_intact(const void *base, size_t from, size_t head, size_t size,
			    size_t end);
void ks__debug_init_slot(struct ks_slab_cache *sc, void *slot);
void ks__debug_on_alloc(struct ks_slab_cache *sc, void *slot, size_t req);
/* A free slot still as free() left it (its poison intact): else a
 * use-after-free report.  The quarantine checks each slot it lets go. */
void ks__debug_check_free(struct ks_slab_cache *sc, void *slot);
void ks__debug_on_free(struct ks_slab_cache *sc, void *slot, const void *obj);
size_t ks__debug_requested(struct ks_slab_cache *sc, const void *slot);
#endif
