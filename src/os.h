/* SPDX-License-Identifier: BSD-2-Clause */
/* os.h - the only door to the kernel's memory calls (see os.c). */
#ifndef KS_OS_H
#define KS_OS_H
#include "internal.h"

extern size_t ks__os_page_size;

void ks__os_init(void);
/* Map LEN bytes aligned to ALIGN (a power of two >= the OS page); when
 * BELOW_4G, every byte lies below 4 GiB.  NULL with errno ENOMEM. */
void *ks__os_map(size_t len, size_t align, bool below_4g);
void ks__os_unmap(void *addr, size_t len);
/* LEN bytes of address space that no access may touch (PROT_NONE, no
 * memory behind it); NULL if the kernel says no. */
void *ks__os_map_none(size_t len);
/* LEN bytes of address space aligned to ALIGN, reserved and inaccessible
 * (PROT_NONE): the heap window (arena.c); NULL if the kernel says no.
 * ks__os_commit makes LEN bytes at ADDR inside one readable and writable
 * (MAP_FIXED, as ks__os_map's own mappings are: no swap reserved); false
 * with errno ENOMEM if the kernel says no. */
void *ks__os_reserve(size_t len, size_t align);
bool ks__os_commit(void *addr, size_t len);
/* The address-space limit (RLIMIT_AS) in bytes; SIZE_MAX if none. */
size_t ks__os_space_limit(void);
/* Make [ADDR, ADDR + LEN) inaccessible, or accessible again. */
void ks__os_protect(void *addr, size_t len, bool access);
/* Resize a mapping, moving it if it must; NULL (errno set) on failure. */
void *ks__os_remap(void *addr, size_t old_len, size_t new_len, bool may_move);
/* Hand pages back to the OS; the range is shrunk to whole OS pages.
 * Returns the bytes actually purged. */
size_t ks__os_purge(void *addr, size_t len, bool lazy);
/* A memory file of LEN bytes (memfd_create, close-on-exec, its descriptor
 * moved above the low numbers programs use) mapped shared and writable:
 * the mapping, with *FD its descriptor; NULL if the kernel has no memfd. */
void *ks__os_map_memfd(const char *name, size_t len, int *fd);
void ks__os_unmap_memfd(void *addr, size_t len, int fd);
/* Ask for transparent huge pages on a range (where THP is "madvise"). */
void ks__os_hugepage(void *addr, size_t len);
/* True if at least three quarters of the OS pages of [ADDR, ADDR + LEN)
 * are resident (at most the first 256 pages are looked at: mincore). */
bool ks__os_mostly_resident(const void *addr, size_t len);
/* CPUs this process may run on (its affinity mask), at least 1. */
unsigned ks__os_nr_cpus(void);
/* What kslab asked of the kernel, for the statistics (relaxed atomics):
 * the mmap, munmap, mremap and madvise calls, the bytes purged, and the
 * bytes mapped now and at most. */
struct ks_os_counts {
	uint64_t mmap, munmap, mremap, madvise, purged_bytes;
	uint64_t mapped, mapped_peak;
};
extern struct ks_os_counts ks__os_counts;
/* Minor page faults of this process so far (getrusage). */
long ks__os_minflt(void);
/* Resident bytes of this process from /proc/self/statm, 0 if unknown. */
size_t ks__os_rss(void);
/* Milliseconds of a coarse monotonic clock (no system call). */
uint64_t ks__clock_ms(void);
#endif
