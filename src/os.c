// SPDX-License-Identifier: BSD-2-Clause
/*
 * os.c - the arch layer: the only file that calls mmap, munmap, mremap,
 * madvise and sysconf.
 *
 * Everything above sees memory as kslab pages inside sections; this file
 * turns requests for aligned ranges into mappings.  An aligned mapping is
 * made the portable way: map the length plus the alignment and trim both
 * ends, after first trying a hint at the address just below the previous
 * aligned mapping (the kernel lays mappings out top-down, so that spot is
 * usually free and aligned: most sections cost one mmap and no trim).
 * Mappings that need no more than OS-page alignment (vmalloc blocks) take
 * no hint at all: the kernel puts them where a later mremap can most
 * likely grow them in place.  Under a tight RLIMIT_AS the over-map is what fails
 * first, so a failed over-map is retried as an exact map at a few hinted
 * addresses before giving up with ENOMEM.
 *
 * Memory below 4 GiB (ZONE_DMA32) comes from MAP_32BIT where x86-64 offers
 * it and otherwise from hints walked down from 4 GiB with
 * MAP_FIXED_NOREPLACE, so an existing mapping is never clobbered.
 *
 * Purging is madvise: MADV_DONTNEED by default (the pages read back as zero
 * at once, which the page descriptors record as "clean"), MADV_FREE when the
 * options ask (cheaper, but RSS falls only under pressure).  The ranges are
 * shrunk to whole OS pages: with 64 KiB OS pages a 4 KiB kslab page cannot
 * be purged alone, and that is fine.
 *
 * errno: callers see ENOMEM for every mapping failure, as malloc must.
 */
#include "os.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

size_t ks__os_page_size = 4096;
static uintptr_t next_hint;        /* racy by design: only a hint */

void ks__os_init(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	if (ps > 0)
		ks__os_page_size = (size_t)ps;
}

static void *map_at(void *hint, size_t len, int extra)
{
	void *p = mmap(hint, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Trim [p, p+total) down to the ALIGN-aligned LEN bytes inside it. */
static void *trim(char *p, size_t total, size_t len, size_t align)
{
	char *a = (char *)ks_align_up((uintptr_t)p, align);
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + total)
		munmap(a + len, (size_t)(p + total - (a + len)));
	return a;
}

static void *map_high(size_t len, size_t align)
{
	uintptr_t hint = __atomic_load_n(&next_hint, __ATOMIC_RELAXED);
	char *p;

	if (align <= ks__os_page_size)
		return map_at(NULL, len, 0);
	if (hint && (p = map_at((void *)hint, len, 0)) != NULL) {
		if (((uintptr_t)p & (align - 1)) == 0)
			goto done;
		munmap(p, len);
	}
	p = map_at(NULL, len + align, 0);
	if (p) {
		p = trim(p, len + align, len, align);
		goto done;
	}
	p = map_at(NULL, len, 0);        /* tight address-space limit */
	if (p && ((uintptr_t)p & (align - 1)) == 0)
		goto done;
	if (p)
		munmap(p, len);
	return NULL;
done:
	if ((uintptr_t)p > len)
		__atomic_store_n(&next_hint, (uintptr_t)p - len, __ATOMIC_RELAXED);
	return p;
}

static void *map_low(size_t len, size_t align)
{
	const uintptr_t top = 1ul << 32;
	char *p;
#if defined(__x86_64__) && HAVE_DECL_MAP_32BIT
	p = map_at(NULL, len + align, MAP_32BIT);
	if (p && (uintptr_t)p + len + align <= top)
		return trim(p, len + align, len, align);
	if (p)
		munmap(p, len + align);
#endif
#if HAVE_DECL_MAP_FIXED_NOREPLACE
	const int fixed = MAP_FIXED_NOREPLACE;
#else
	const int fixed = 0;
#endif
	for (uintptr_t a = top - len; a >= (1ul << 28) && a < top; a -= align) {
		a = ks_align_down(a, align);
		p = map_at((void *)a, len, fixed);
		if (p == (char *)a)
			return p;
		if (p)
			munmap(p, len);
	}
	return NULL;
}

struct ks_os_counts ks__os_counts;

#define COUNT(what, n) __atomic_add_fetch(&ks__os_counts.what, (n), __ATOMIC_RELAXED)

/* The bytes mapped changed by DELTA (two's complement for a decrease). */
static void count_mapped(uint64_t delta)
{
	uint64_t now = COUNT(mapped, delta);
	uint64_t peak = __atomic_load_n(&ks__os_counts.mapped_peak, __ATOMIC_RELAXED);

	while (now > peak && !__atomic_compare_exchange_n(&ks__os_counts.mapped_peak, &peak,
							  now, true, __ATOMIC_RELAXED,
							  __ATOMIC_RELAXED))
		;
}

void *ks__os_map(size_t len, size_t align, bool below_4g)
{
	void *p;

	if (align < ks__os_page_size)
		align = ks__os_page_size;
	len = ks_align_up(len, ks__os_page_size);
	if (len == 0 || len + align < len) {
		errno = ENOMEM;
		return NULL;
	}
	COUNT(mmap, 1);
	p = below_4g ? map_low(len, align) : map_high(len, align);
	if (!p)
		errno = ENOMEM;
	else
		count_mapped(len);
	return p;
}

void *ks__os_reserve(size_t len, size_t align)
{
	char *p = ks__os_map_none(len + align);

	return p ? trim(p, len + align, len, align) : NULL;
}

bool ks__os_commit(void *addr, size_t len)
{
	COUNT(mmap, 1);
	if (map_at(addr, len, MAP_FIXED) != addr) {
		errno = ENOMEM;
		return false;
	}
	count_mapped(len);
	return true;
}

size_t ks__os_space_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > SIZE_MAX)
		return SIZE_MAX;
	return (size_t)rl.rlim_cur;
}

void ks__os_protect(void *addr, size_t len, bool access)
{
	if (mprotect(addr, ks_align_up(len, ks__os_page_size),
		     access ? PROT_READ | PROT_WRITE : PROT_NONE) != 0)
		ks__panic(__FILE__, __LINE__, "mprotect of a quarantined block failed");
}

void *ks__os_map_none(size_t len)
{
	void *p;

	COUNT(mmap, 1);
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void ks__os_unmap(void *addr, size_t len)
{
	COUNT(munmap, 1);
	if (munmap(addr, ks_align_up(len, ks__os_page_size)) == 0)
		count_mapped(-(uint64_t)ks_align_up(len, ks__os_page_size));
}

void *ks__os_remap(void *addr, size_t old_len, size_t new_len, bool may_move)
{
	void *p;

	COUNT(mremap, 1);
	p = mremap(addr, ks_align_up(old_len, ks__os_page_size),
			 ks_align_up(new_len, ks__os_page_size),
			 may_move ? MREMAP_MAYMOVE : 0);
	if (p == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	count_mapped((uint64_t)ks_align_up(new_len, ks__os_page_size) -
		     (uint64_t)ks_align_up(old_len, ks__os_page_size));
	return p;
}

void *ks__os_map_memfd(const char *name, size_t len, int *fd)
{
	int f = memfd_create(name, MFD_CLOEXEC), high;
	void *p;

	if (f < 0)
		return NULL;
	high = fcntl(f, F_DUPFD_CLOEXEC, 100);   /* out of the way of 0..99 */
	if (high >= 0) {
		close(f);
		f = high;
	}
	if (ftruncate(f, (off_t)len) != 0) {
		close(f);
		return NULL;
	}
	COUNT(mmap, 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	if (p == MAP_FAILED) {
		close(f);
		return NULL;
	}
	*fd = f;
	return p;
}

void ks__os_unmap_memfd(void *addr, size_t len, int fd)
{
	COUNT(munmap, 1);
	munmap(addr, len);
	close(fd);
}

size_t ks__os_purge(void *addr, size_t len, bool lazy)
{
	uintptr_t start = ks_align_up((uintptr_t)addr, ks__os_page_size);
	uintptr_t end = ks_align_down((uintptr_t)addr + len, ks__os_page_size);
	int advice = MADV_DONTNEED;

	if (end <= start)
		return 0;
#if HAVE_DECL_MADV_FREE
	if (lazy)
		advice = MADV_FREE;
#else
	(void)lazy;
#endif
	COUNT(madvise, 1);
	if (madvise((void *)start, end - start, advice) != 0)
		return 0;
	COUNT(purged_bytes, end - start);
	return end - start;
}

void ks__os_hugepage(void *addr, size_t len)
{
#if HAVE_DECL_MADV_HUGEPAGE
	uintptr_t start = ks_align_up((uintptr_t)addr, ks__os_page_size);
	uintptr_t end = ks_align_down((uintptr_t)addr + len, ks__os_page_size);
	if (end > start) {
		COUNT(madvise, 1);
		madvise((void *)start, end - start, MADV_HUGEPAGE);
	}
#else
	(void)addr;
	(void)len;
#endif
}

/* A coarse monotonic clock in milliseconds: a vDSO read, no system call. */
uint64_t ks__clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool ks__os_mostly_resident(const void *addr, size_t len)
{
	unsigned char vec[256];
	uintptr_t start = ks_align_down((uintptr_t)addr, ks__os_page_size);
	size_t pages = (ks_align_up((uintptr_t)addr + len, ks__os_page_size) - start) /
		       ks__os_page_size, in = 0;

	if (pages > sizeof(vec))
		pages = sizeof(vec);
	if (pages == 0 || mincore((void *)start, pages * ks__os_page_size, vec) != 0)
		return false;
	for (size_t i = 0; i < pages; i++)
		in += vec[i] & 1;
	return in * 4 >= pages * 3;
}

long ks__os_minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

size_t ks__os_rss(void)
{
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t pages = 0;
	const char *s;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (s = buf; *s && *s != ' '; s++)
		;
	for (s++; *s >= '0' && *s <= '9'; s++)
		pages = pages * 10 + (size_t)(*s - '0');
	return pages * ks__os_page_size;
}

unsigned ks__os_nr_cpus(void)
{
	uint64_t mask[16];             /* 1024 CPUs, on the stack: no malloc */
	long len = syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	unsigned n = 0;

	for (long i = 0; i < len / (long)sizeof(mask[0]); i++)
		n += (unsigned)__builtin_popcountll(mask[i]);
	return n ? n : 1;
}
