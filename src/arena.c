// SPDX-License-Identifier: BSD-2-Clause
/*
 * arena.c - sections: the user-space analog of sparsemem's mem_section.
 *
 * kslab's "physical memory" is a set of sections, each KS_SECTION_SIZE
 * (64 MiB) of address space mapped with MAP_NORESERVE and aligned to its
 * size.  The first KS_SECTION_RESERVED pages of a section hold its page
 * descriptor array (struct ks_page[KS_SECTION_PAGES], the section's mem_map)
 * and, right after it, the struct ks_section header.  Because the section
 * is aligned, virt_to_page() needs no lookup: mask the address down to the
 * section base, and the descriptor is base + ((p - base) >> PAGE_SHIFT)
 * (arena.h).  The descriptors cost 64 bytes a page (1.6%), and only those
 * of pages in use are ever touched, so an idle section costs one OS page of
 * RSS or so.
 *
 * "Is this pointer ours?" is one byte per section in ks__section_map, a
 * static map over the 48-bit user address space (4 MiB of BSS, touched
 * only where sections are).  free() tests it before it trusts a descriptor;
 * a pointer outside every section goes to the vmalloc table or is an
 * invalid free.
 *
 * The heap window.  The first section of the normal zone reserves 64 GiB
 * of address space aligned to its size (PROT_NONE: no memory, no swap
 * reserved; 16, 4 or 1 GiB or 256 MiB if the kernel says no, if the
 * address space is limited to less than eight times that, or if it is a
 * small one, under 64 times that), and sections are carved from it in
 * order, each mapped in place when the zone grows.  So free() can tell
 * kslab's objects by a mask and a compare
 * (ks_in_heap_window, arena.h) where the section map costs a shift, a
 * mask and a load; the same mask checks that the pointer is 16-byte
 * aligned, as every object free() takes is.  Sections beyond a full
 * window, and DMA32 ones, come from anywhere, as before: those are found
 * through the map, by the slow path.  An address-space limit set later in
 * the process (setrlimit) closes the window, so that the limit holds (see
 * window_carve and window_close); the sections already carved keep their
 * fast free.  A wild pointer into the uncarved part faults when free()
 * reads its descriptor; nothing of anyone else's can be mapped there.
 *
 * Huge pages.  With KSLAB_OPTIONS=thp, every section but the first asks
 * for transparent huge pages (MADV_HUGEPAGE, where THP is left to
 * madvise) on all but its first 2 MiB, which hold the descriptors: a
 * program whose heap outgrows 64 MiB faults it in 2 MiB at a time (a
 * 2M-entry Python dict: 0.39 s -> 0.35 s; mixed-heap churn 1.00 s ->
 * 0.89 s), while a small program keeps its small RSS.  It is off by
 * default: a purge of part of a huge page splits it, and a heap that frees
 * scattered pages paid 1.3x (frag) to 2x (mixed-heap bands) in five
 * interleaved runs on the 2-core VM we measure on, where a huge-page fault
 * on fresh memory is slow.
 *
 * Sections are never unmapped while the process lives (a descriptor of a
 * page that a stale pointer points into must stay readable); memory goes
 * back to the OS by purging free blocks inside them (buddy.c).
 *
 * Locking: none of its own.  A zone grows under its grow_lock (page_alloc.c),
 * and two zones may grow at once: each maps its own section, the section
 * count is an atomic add, and the map's byte for the section is stored
 * (release) before any page of it is handed out, never cleared, and read
 * without a lock.
 */
#include "arena.h"
#include "os.h"
#include "options.h"
#include <errno.h>
#include <string.h>

uint8_t ks__section_map[KS_NR_SECTION_SLOTS];
static size_t nr_sections;

/* The window: matches nothing until it exists (see arena.h). */
uintptr_t ks__window_mask = 15, ks__window_base = 16;
static struct {
	uintptr_t start;               /* 0: none yet */
	size_t len, next;              /* its size; the first byte not carved */
	size_t limit;                  /* RLIMIT_AS when it was reserved */
	bool off;                      /* none, ever again */
} window;                              /* the normal zone's grow_lock */

/* The size of the user address space, roughly: the stack lies near its
 * top, so the power of two above a stack address (2^47 on x86-64 with
 * four-level page tables, 2^39 on an aarch64 kernel built with 39-bit
 * virtual addresses). */
static size_t user_space_size(void)
{
	uintptr_t top = (uintptr_t)__builtin_frame_address(0);

	return (size_t)1 << (ks_log2_floor(top) + 1);
}

/* Reserve the window: the largest of 64, 16, 4 and 1 GiB and 256 MiB the
 * kernel will give, and no more than an eighth of the address-space
 * limit LIMIT nor a 64th of the address space itself. */
static bool window_reserve(size_t limit)
{
	size_t space = user_space_size();

	for (unsigned shift = 36; shift >= 28; shift -= 2) {
		size_t len = (size_t)1 << shift;
		void *p;
		if (len > limit / 8 || len > space / 64 || !(p = ks__os_reserve(len, len)))
			continue;
		if ((uintptr_t)p + len > (1ul << KS_VA_BITS)) {
			ks__os_unmap(p, len);
			continue;
		}
		window.start = (uintptr_t)p;
		window.len = len;
		window.limit = limit;
		return true;
	}
	return false;
}

/* Stop carving.  Without GIVE_BACK the window stays reserved and the fast
 * test stands.  With it, the window shrinks to the smallest power of two
 * that holds the carved sections (its start is aligned to that too): the
 * mask narrows first, then the rest is unmapped, so no pointer of
 * anyone's that a later mapping puts there ever matches.  Nothing carved:
 * the fast test goes off and all of it goes back. */
static void window_close(bool give_back)
{
	size_t keep;

	window.off = true;
	if (!give_back)
		return;
	if (!window.next) {
		__atomic_store_n(&ks__window_mask, 15, __ATOMIC_RELEASE);
		__atomic_store_n(&ks__window_base, 16, __ATOMIC_RELEASE);
		ks__os_unmap((void *)window.start, window.len);
		window.start = window.len = 0;
		return;
	}
	keep = (size_t)1 << ks_log2_ceil(window.next);
	__atomic_store_n(&ks__window_mask, ~(keep - 1) | 15, __ATOMIC_RELEASE);
	if (keep < window.len)
		ks__os_unmap((void *)(window.start + keep), window.len - keep);
	window.len = keep;
}

/* An address-space limit LIMIT set (or lowered) since the window was
 * reserved closes it, since carving from the reservation would not count
 * against the limit: a limit below the window's size was set with no
 * thought of it, and gets the uncarved rest back; a larger one was most
 * likely reckoned from the process's size, reservation included
 * (hostile.c's address_limit test does so), and the reservation stays.
 * True if address space went back. */
static bool window_obey(size_t limit)
{
	size_t len = window.len;

	if (window.off || !window.start || limit >= window.limit)
		return false;
	window_close(limit < len);
	return limit < len;
}

/* The next section of the window, mapped; 0 if there is none to give.
 * The window's state is the normal zone's: only its grower, under the
 * zone's grow_lock, calls this, window_obey and window_open. */
static uintptr_t window_carve(void)
{
	size_t limit = ks__os_space_limit();
	uintptr_t base;

	if (!window.off && !window.start && !window_reserve(limit))
		window.off = true;
	window_obey(limit);
	if (window.off)
		return 0;
	base = window.start + window.next;
	if (window.next + KS_SECTION_SIZE > window.len ||
	    !ks__os_commit((void *)base, KS_SECTION_SIZE))
		return 0;
	window.next += KS_SECTION_SIZE;
	return base;
}

bool ks__arena_window_yield(void)
{
	return window_obey(ks__os_space_limit());
}

/* The fast test goes on once the section at BASE is ready to be used
 * (base first: a mask of 15 matches no base above 15). */
static void window_open(uintptr_t base)
{
	if (window.off || base < window.start || base >= window.start + window.len ||
	    ks__window_base == window.start)
		return;
	__atomic_store_n(&ks__window_base, window.start, __ATOMIC_RELEASE);
	__atomic_store_n(&ks__window_mask, ~(window.len - 1) | 15, __ATOMIC_RELEASE);
}

struct ks_section *ks__arena_grow(unsigned zone, bool below_4g)
{
	struct ks_section *sec;
	uintptr_t base, s;

	_Static_assert(sizeof(struct ks_page) == 64, "page descriptor size");
	base = below_4g ? 0 : window_carve();
	if (!base)
		base = (uintptr_t)ks__os_map(KS_SECTION_SIZE, KS_SECTION_SIZE, below_4g);
	if (!base)
		return NULL;
	if (base + KS_SECTION_SIZE > (1ul << KS_VA_BITS)) {
		ks__os_unmap((void *)base, KS_SECTION_SIZE);
		errno = ENOMEM;
		return NULL;
	}
	/* The reserved pages' own descriptors stay as mmap gave them: zero,
	 * KS_PG_NONE, which free() and the page API refuse as they refuse
	 * any page that heads no block, and which no merge takes for a free
	 * buddy.  Marking them would make five descriptor pages resident in
	 * every process, for nothing. */
	sec = (struct ks_section *)(base + KS_SECTION_PAGES * sizeof(struct ks_page));
	sec->base = base;
	sec->zone = zone;
	sec->first_pfn = KS_SECTION_RESERVED;
	sec->next_pfn = KS_SECTION_RESERVED;
	sec->free_pages = 0;
	ks_list_init(&sec->link);

	/* a heap past its first section is a big one: huge pages, as the
	 * kernel maps its direct map (the descriptors' 2 MiB excepted, which
	 * are touched sparsely) */
	if (ks__opt.thp && __atomic_load_n(&nr_sections, __ATOMIC_RELAXED) > 0)
		ks__os_hugepage((void *)(base + KS_HUGE_SIZE), KS_SECTION_SIZE - KS_HUGE_SIZE);
	s = base >> KS_SECTION_SHIFT;
	__atomic_store_n(&ks__section_map[s], 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&nr_sections, 1, __ATOMIC_RELAXED);
	window_open(base);
	return sec;
}

size_t ks__arena_mapped(void)
{
	return __atomic_load_n(&nr_sections, __ATOMIC_RELAXED) * KS_SECTION_SIZE;
}

size_t ks__arena_window(size_t *carved)
{
	*carved = window.start ? window.next : 0;
	return window.start ? window.len : 0;
}

size_t ks__arena_nr_sections(void)
{
	return __atomic_load_n(&nr_sections, __ATOMIC_RELAXED);
}

/* Every set byte of the map must describe a section whose header points
 * back at it (read eight bytes at a time to skip the empty stretches). */
void ks__arena_for_each(void (*fn)(uintptr_t base, void *arg), void *arg)
{
	for (size_t w = 0; w < KS_NR_SECTION_SLOTS / 8; w++) {
		uint64_t bits;
		memcpy(&bits, &ks__section_map[w * 8], 8);
		if (!bits)
			continue;                 /* untouched pages read as zero */
		for (unsigned b = 0; b < 8; b++)
			if (ks__section_map[w * 8 + b])
				fn((uintptr_t)(w * 8 + b) << KS_SECTION_SHIFT, arg);
	}
}

struct arena_check {
	int broken;
	size_t found;
};

static void check_section(uintptr_t base, void *arg)
{
	struct arena_check *ac = arg;
	struct ks_section *sec = ks_page_section((struct ks_page *)base);

	ac->found++;
	if (sec->base != base || sec->first_pfn != KS_SECTION_RESERVED)
		ac->broken++;
	if (ks_virt_to_page((void *)(base + 5 * KS_PAGE_SIZE + 17)) !=
	    (struct ks_page *)base + 5)
		ac->broken++;
}

int ks__arena_check(void)
{
	struct arena_check ac = { 0, 0 };

	ks__arena_for_each(check_section, &ac);
	if (ac.found != ks__arena_nr_sections())
		ac.broken++;
	return ac.broken;
}
