// SPDX-License-Identifier: BSD-2-Clause
/*
 * reserve.c - KS_GFP_ATOMIC: memory that a signal handler may take.
 *
 * The kernel serves GFP_ATOMIC with interrupts off, from per-CPU lists and
 * the zones' min reserve: it never sleeps and never waits for a lock that
 * the code it interrupted may hold.  A signal handler is user space's
 * interrupt, and worse placed: it may stop its own thread inside malloc
 * between a magazine cursor's load and its store, or with a zone lock
 * held.  So an ATOMIC request touches nothing that the ordinary paths
 * touch.  It takes a block from the calling thread's reserve: a region of
 * fixed slots, mapped for the thread by its first ATOMIC request (mmap is
 * async-signal-safe), whose only shared state is one bitmap word per slot
 * size, changed by compare-and-swap alone.  A handler that interrupts
 * another ATOMIC allocation on the same thread, or another thread freeing
 * a block that this thread's handler took, can only race on those words,
 * and a compare-and-swap settles that.  Nothing here locks, and nothing
 * here allocates.
 *
 * Layout.  A reserve is 64 KiB aligned to 64 KiB: a header page (the
 * bitmaps, counters and the link), then 64 slots of 64 B, 32 of 256 B, 16
 * of 1 KiB and 8 of 4 KiB, each slot aligned to its size.  A request takes
 * the smallest free slot that holds its size and alignment; up to 4 KiB,
 * 120 blocks in all per thread, as the kernel's atomic reserves are small
 * and meant to be given back soon.  When they are gone the request fails.
 *
 * Registry.  Every reserve ever mapped is on one list, only ever pushed
 * (so a walk needs no lock and meets no freed node).  free() reaches it
 * for a pointer that is in no section of kslab's; it walks the list to
 * find the reserve (one per thread that ever made an ATOMIC request).  A
 * thread that ends leaves its reserve on the list without an owner; the
 * next thread that needs one adopts it (a compare-and-swap on its owner
 * word), with whatever blocks of it are still out.
 */
#include "reserve.h"
#include "debug.h"
#include "os.h"
#include <errno.h>
#include <string.h>

enum {
	RESERVE_SIZE = 64 << 10,
	NR_SIZES = 4,
};

struct ks_reserve {
	struct ks_reserve *next;        /* the registry, pushed only */
	int owner;                      /* 1 while a thread holds it */
	uint64_t used[NR_SIZES];        /* a bit per slot taken */
	uint64_t allocs, fails;         /* relaxed counters */
};

/* Slot size, number of slots, offset of the first: each size's slots
 * follow the last size's, and every offset is a multiple of its size. */
static const struct { uint32_t size, nr, offset; } slot_sizes[NR_SIZES] = {
	{ 64, 64, 4096 },
	{ 256, 32, 8192 },
	{ 1024, 16, 16384 },
	{ 4096, 8, 32768 },
};

static struct ks_reserve *registry;
static __thread struct ks_reserve *tls_reserve
	__attribute__((tls_model("initial-exec")));

static uint64_t all_slots(unsigned k)
{
	return slot_sizes[k].nr == 64 ? ~0ull : (1ull << slot_sizes[k].nr) - 1;
}

/* An unowned reserve of the registry, now ours; else a new one. */
static struct ks_reserve *reserve_get(void)
{
	struct ks_reserve *r;

	for (r = __atomic_load_n(&registry, __ATOMIC_ACQUIRE); r; r = r->next) {
		int free_owner = 0;
		if (__atomic_compare_exchange_n(&r->owner, &free_owner, 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return r;
	}
	if (!ks__os_page_size)                  /* before the boot: nothing */
		return NULL;
	r = ks__os_map(RESERVE_SIZE, RESERVE_SIZE, false);
	if (!r)
		return NULL;
	r->owner = 1;
	r->next = __atomic_load_n(&registry, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&registry, &r->next, r, true,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	return r;
}

/* The calling thread's reserve, made or adopted on first use.  A nested
 * handler may do the same between our get and our store: the loser gives
 * its reserve up again. */
static struct ks_reserve *reserve_mine(void)
{
	struct ks_reserve *r = tls_reserve, *none = NULL;

	if (ks_likely(r != NULL))
		return r;
	if (!(r = reserve_get()))
		return NULL;
	if (__atomic_compare_exchange_n(&tls_reserve, &none, r, false,
					__ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return r;
	__atomic_store_n(&r->owner, 0, __ATOMIC_RELEASE);
	return none;
}

void *ks__reserve_alloc(size_t size, size_t align)
{
	struct ks_reserve *r = reserve_mine();
	size_t need = size > align ? size : align;

	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned k = 0; k < NR_SIZES; k++) {
		int bit;

		if (slot_sizes[k].size < need ||
		    (bit = ks_bit_take(&r->used[k], all_slots(k))) < 0)
			continue;
		__atomic_add_fetch(&r->allocs, 1, __ATOMIC_RELAXED);
		return (char *)r + slot_sizes[k].offset + (size_t)bit * slot_sizes[k].size;
	}
	__atomic_add_fetch(&r->fails, 1, __ATOMIC_RELAXED);
	errno = ENOMEM;
	return NULL;
}

/* The reserve that holds P, or NULL. */
static struct ks_reserve *reserve_of(const void *p)
{
	uintptr_t base = (uintptr_t)p & ~(uintptr_t)(RESERVE_SIZE - 1);

	for (struct ks_reserve *r = __atomic_load_n(&registry, __ATOMIC_ACQUIRE); r;
	     r = r->next)
		if ((uintptr_t)r == base)
			return r;
	return NULL;
}

/* P's slot size in *K and slot number in *BIT; false if P is in the header
 * or not at a slot's start. */
static bool slot_of(const struct ks_reserve *r, const void *p, unsigned *k, unsigned *bit)
{
	size_t off = (size_t)((const char *)p - (const char *)r);

	for (unsigned i = NR_SIZES; i-- > 0;)
		if (off >= slot_sizes[i].offset) {
			off -= slot_sizes[i].offset;
			*k = i;
			*bit = (unsigned)(off / slot_sizes[i].size);
			return off % slot_sizes[i].size == 0;
		}
	return false;
}

bool ks__reserve_free(void *p)
{
	struct ks_reserve *r = reserve_of(p);
	unsigned k, bit;

	if (!r)
		return false;
	if (!slot_of(r, p, &k, &bit))
		ks__report(KS_ERR_INVALID_FREE, p, "atomic-reserve");
	if (!ks_bit_give(&r->used[k], bit))
		ks__report(KS_ERR_DOUBLE_FREE, p, "atomic-reserve");
	return true;
}

size_t ks__reserve_usable(const void *p)
{
	struct ks_reserve *r = reserve_of(p);
	unsigned k, bit;

	if (!r || !slot_of(r, p, &k, &bit) ||
	    !(__atomic_load_n(&r->used[k], __ATOMIC_RELAXED) & (1ull << bit)))
		return 0;
	return slot_sizes[k].size;
}

void ks__reserve_thread_exit(void)
{
	struct ks_reserve *r = tls_reserve;

	if (r) {
		tls_reserve = NULL;
		__atomic_store_n(&r->owner, 0, __ATOMIC_RELEASE);
	}
}

void ks__reserve_stats(struct ks_reserve_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (struct ks_reserve *r = __atomic_load_n(&registry, __ATOMIC_ACQUIRE); r;
	     r = r->next) {
		st->reserves++;
		st->allocs += __atomic_load_n(&r->allocs, __ATOMIC_RELAXED);
		st->fails += __atomic_load_n(&r->fails, __ATOMIC_RELAXED);
		for (unsigned k = 0; k < NR_SIZES; k++) {
			uint64_t used = __atomic_load_n(&r->used[k], __ATOMIC_RELAXED);
			st->in_use += (size_t)__builtin_popcountll(used);
			st->bytes_in_use += (size_t)__builtin_popcountll(used) * slot_sizes[k].size;
		}
	}
}
