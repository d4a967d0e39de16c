/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wl.h - the little every bench/workloads program shares: a clock, RSS from
 * /proc/self/statm, a fast private PRNG, tagged blocks that prove the
 * allocator did not hand the same memory out twice, and the one way a
 * workload reports a result or a failure.
 *
 * Conventions (bench/compare.sh relies on them):
 *   - every workload takes its sizes, thread count and iterations as
 *     options and has defaults sized for about a second on a 2-core machine;
 *   - it checks its own results and exits 1 (through wl_fail) when a block's
 *     contents are not what it wrote, 2 on a usage error;
 *   - it prints any number worth comparing as a line
 *         METRIC <name> <value> <unit>
 *     which the driver collects into the "reported metrics" table.
 *
 * Header-only (static functions) so each workload is one translation unit.
 */
#ifndef KSLAB_BENCH_WL_H
#define KSLAB_BENCH_WL_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#define WL_UNUSED __attribute__((unused))

static WL_UNUSED void wl_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static WL_UNUSED void wl_usage(const char *usage)
{
	fprintf(stderr, "usage: %s\n", usage);
	exit(2);
}

/* Parse a non-negative count with an optional k/m/g suffix (powers of 2). */
static WL_UNUSED uint64_t wl_num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s) {
		fprintf(stderr, "bad number: %s\n", s);
		exit(2);
	}
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end) {
		fprintf(stderr, "bad number: %s\n", s);
		exit(2);
	}
	return v;
}

static WL_UNUSED double wl_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static WL_UNUSED void wl_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Resident set size in bytes, from /proc/self/statm (second field). Uses
 * read(2) on a stack buffer so it allocates nothing itself. */
static WL_UNUSED size_t wl_rss(void)
{
	char buf[128];
	ssize_t n;
	unsigned long size = 0, res = 0;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%lu %lu", &size, &res) != 2)
		return 0;
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static WL_UNUSED void wl_metric(const char *name, double value, const char *unit)
{
	printf("METRIC %s %.6g %s\n", name, value, unit);
}

/* xorshift64*: private per-thread random numbers, no locks, no libc state. */
typedef struct { uint64_t s; } wl_rng;

static WL_UNUSED void wl_rng_seed(wl_rng *r, uint64_t seed)
{
	r->s = seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
	if (!r->s)
		r->s = 1;
}

static inline uint64_t wl_rand(wl_rng *r)
{
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [lo, hi]. */
static inline size_t wl_range(wl_rng *r, size_t lo, size_t hi)
{
	return lo + (size_t)(wl_rand(r) % (uint64_t)(hi - lo + 1));
}

/* A size skewed to small values, as real programs allocate: the exponent
 * is uniform, the mantissa uniform within it.  lo >= 1. */
static inline size_t wl_skewed(wl_rng *r, size_t lo, size_t hi)
{
	unsigned lb = 63 - (unsigned)__builtin_clzll(lo);
	unsigned hb = 63 - (unsigned)__builtin_clzll(hi);
	unsigned b = lb + (unsigned)(wl_rand(r) % (hb - lb + 1));
	size_t base = (size_t)1 << b;
	size_t s = base + (size_t)(wl_rand(r) % base);
	if (s < lo)
		s = lo;
	if (s > hi)
		s = hi;
	return s;
}

/*
 * Tagged blocks.  A block of SIZE >= 16 bytes gets a 64-bit tag in its first
 * and last 8 bytes, one of 8..15 bytes in its first 8, a smaller one a
 * repeated tag byte; the tag mixes the block's
 * size with a caller-chosen id, so a block handed out twice, overlapping
 * another live block, or shrunk by the allocator is caught when checked.
 */
static inline uint64_t wl_tag_of(uint64_t id, size_t size)
{
	uint64_t x = id * 0xD6E8FEB86659FD93ull ^ (uint64_t)size;
	return x ^ (x >> 29);
}

static inline void wl_tag(void *p, size_t size, uint64_t id)
{
	uint64_t t = wl_tag_of(id, size);
	if (size < 8) {
		memset(p, (int)(t & 0xff), size);
		return;
	}
	memcpy(p, &t, 8);
	if (size >= 16)
		memcpy((char *)p + size - 8, &t, 8);
}

static inline int wl_tag_ok(const void *p, size_t size, uint64_t id)
{
	uint64_t t = wl_tag_of(id, size), a, b;
	if (size < 8) {
		for (size_t i = 0; i < size; i++)
			if (((const unsigned char *)p)[i] != (unsigned char)(t & 0xff))
				return 0;
		return 1;
	}
	memcpy(&a, p, 8);
	if (size < 16)
		return a == t;
	memcpy(&b, (const char *)p + size - 8, 8);
	return a == t && b == t;
}

static inline void wl_check_tag(const void *p, size_t size, uint64_t id,
				const char *what)
{
	if (!wl_tag_ok(p, size, id))
		wl_fail("%s: block %p (size %zu, id %llu) was overwritten", what,
			p, size, (unsigned long long)id);
}

static WL_UNUSED void *wl_xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		wl_fail("malloc(%zu) returned NULL", n);
	return p;
}

static WL_UNUSED void *wl_xcalloc(size_t n, size_t m)
{
	void *p = calloc(n, m);
	if (!p)
		wl_fail("calloc(%zu, %zu) returned NULL", n, m);
	return p;
}

static WL_UNUSED void wl_start_threads(pthread_t *t, int n,
				       void *(*fn)(void *), void *args,
				       size_t argsize)
{
	for (int i = 0; i < n; i++) {
		int e = pthread_create(&t[i], NULL, fn, (char *)args + (size_t)i * argsize);
		if (e)
			wl_fail("pthread_create: %s", strerror(e));
	}
}

static WL_UNUSED void wl_join_threads(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Keep the compiler from dropping an allocation whose result looks unused. */
static inline void wl_escape(void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

/* A spin-wait hint. */
static inline void wl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

#endif /* KSLAB_BENCH_WL_H */
