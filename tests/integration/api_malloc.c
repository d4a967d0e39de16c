// SPDX-License-Identifier: BSD-2-Clause
/*
 * api_malloc.c - the libc allocation interface, against glibc 2.36's
 * semantics and errno.  Public API and libc only.
 *
 * Built twice: linked with libkslab.la (api_malloc) and linked with glibc
 * only, run with libkslab.so preloaded (api_malloc-preload).  Compiled by
 * hand without kslab it must pass on glibc: every expectation here is what
 * glibc 2.36 does, except free_sized/free_aligned_sized (C23; glibc 2.36
 * lacks them), which are reached through weak references and skipped when
 * absent.
 */
#include <malloc.h>
#include <stdlib.h>

#include "kslab.h"
#include "../harness/harness.h"

/* C23, absent from glibc 2.36's headers and library. */
void free_sized(void *ptr, size_t size) __attribute__((weak));
void free_aligned_sized(void *ptr, size_t align, size_t size)
	__attribute__((weak));

/* glibc's internal aliases, which some programs call directly. */
extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

/* Sizes are passed through a volatile so the compiler neither warns about
 * nor folds the impossible requests. */
static volatile size_t vsize;
static size_t sz(size_t n) { vsize = n; return vsize; }

/* Hide a pointer from the compiler's use-after-realloc analysis: after a
 * realloc that fails the old block is still the caller's. */
static void *hide(void *p)
{
	__asm__ volatile("" : "+r"(p));
	return p;
}

static size_t os_page(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static unsigned char pat(size_t i, unsigned seed)
{
	return (unsigned char)((i * 131u + seed * 7u + (i >> 8)) ^ 0x5a);
}

static void fill(void *p, size_t n, unsigned seed)
{
	unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		c[i] = pat(i, seed);
}

/* Index of the first byte that differs from the pattern, or N. */
static size_t verify(const void *p, size_t n, unsigned seed)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != pat(i, seed))
			return i;
	return n;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

/* Sizes around every likely size-class and path edge. */
static const size_t sizes[] = {
	0, 1, 2, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 47, 48, 63, 64, 65,
	80, 96, 100, 112, 127, 128, 129, 160, 192, 200, 255, 256, 257, 320,
	384, 448, 511, 512, 513, 640, 768, 1000, 1023, 1024, 1025, 1536, 2047,
	2048, 2049, 3000, 4095, 4096, 4097, 6000, 8191, 8192, 8193, 12288,
	16383, 16384, 16385, 32767, 32768, 32769, 65535, 65536, 65537, 100000,
	131072, 262144, 262145, 524288, 1048575, 1048576, 1048577, 2097152,
	4194304 + 1, 16777216, 33554433,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void t_malloc_basic(void)
{
	void *a = malloc(0), *b = malloc(0);

	CHECK(a != NULL);
	CHECK(b != NULL);
	CHECK(a != b);
	free(a);
	free(b);
	free(NULL);

	for (size_t i = 0; i < NSIZES; i++) {
		size_t n = sizes[i];
		unsigned char *p = malloc(n);

		if (!CHECK_MSG(p != NULL, "malloc(%zu) failed: %s", n,
		               strerror(errno)))
			continue;
		CHECK_PTR_ALIGNED(p, n >= 16 ? 16 : 8);
		fill(p, n, (unsigned)i);
		CHECK_EQ(verify(p, n, (unsigned)i), n);
		free(p);
	}
	CHECK_KSLAB_CONSISTENT("malloc_basic");
}

/* Many blocks live at once: none overlaps another (patterns survive). */
static void t_malloc_many_live(void)
{
	enum { N = 60000 };
	static unsigned char *ptrs[N];
	static size_t lens[N];
	unsigned rng = 12345;

	for (size_t i = 0; i < N; i++) {
		rng = rng * 1103515245u + 12345u;
		lens[i] = (rng >> 16) % (i % 100 == 0 ? 20000 : 600);
		ptrs[i] = malloc(lens[i]);
		REQUIRE(ptrs[i] != NULL);
		fill(ptrs[i], lens[i], (unsigned)i);
	}
	for (size_t i = 0; i < N; i++)
		CHECK_EQ(verify(ptrs[i], lens[i], (unsigned)i), lens[i]);
	/* free every other block, refill the holes, check everything */
	for (size_t i = 0; i < N; i += 2)
		free(ptrs[i]);
	for (size_t i = 0; i < N; i += 2) {
		ptrs[i] = malloc(lens[i]);
		REQUIRE(ptrs[i] != NULL);
		fill(ptrs[i], lens[i], (unsigned)i + 7);
	}
	for (size_t i = 0; i < N; i++)
		CHECK_EQ(verify(ptrs[i], lens[i], (unsigned)i + (i % 2 ? 0 : 7)),
		         lens[i]);
	/* free in a scrambled order */
	for (size_t k = 0; k < N; k++)
		free(ptrs[(k * 7919) % N]);
	CHECK_KSLAB_CONSISTENT("many_live");
}

static void t_malloc_enomem(void)
{
	static const size_t bad[] = {
		SIZE_MAX, SIZE_MAX - 4096, (size_t)PTRDIFF_MAX + 1,
		(size_t)PTRDIFF_MAX, (size_t)1 << 62,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		void *p = malloc(sz(bad[i]));

		CHECK_MSG(p == NULL, "malloc(%#zx) = %p", bad[i], p);
		CHECK_EQ(errno, ENOMEM);
		free(p);
	}
	/* and the allocator still works */
	void *p = malloc(100);
	CHECK(p != NULL);
	free(p);
	CHECK_KSLAB_CONSISTENT("malloc_enomem");
}

static void t_calloc(void)
{
	void *z = calloc(0, 0);

	CHECK(z != NULL);
	free(z);
	for (size_t i = 0; i < NSIZES; i++) {
		size_t n = sizes[i];
		unsigned char *d = malloc(n);

		/* dirty memory of the same size first, so calloc cannot be
		 * lucky with fresh pages */
		REQUIRE(d != NULL);
		memset(d, 0xa5, n);
		free(d);
		unsigned char *p = calloc(1, n);
		if (!CHECK_MSG(p != NULL, "calloc(1, %zu) failed", n))
			continue;
		CHECK_MSG(all_zero(p, n), "calloc(1, %zu) not zeroed", n);
		free(p);
		p = calloc(n, 3);
		if (!CHECK_MSG(p != NULL, "calloc(%zu, 3) failed", n))
			continue;
		CHECK_MSG(all_zero(p, n * 3), "calloc(%zu, 3) not zeroed", n);
		free(p);
	}
	CHECK_KSLAB_CONSISTENT("calloc");
}

static void t_calloc_overflow(void)
{
	static const size_t pairs[][2] = {
		{ SIZE_MAX / 2, 3 },
		{ 3, SIZE_MAX / 2 },
		{ (size_t)1 << 32, (size_t)1 << 32 },
		{ SIZE_MAX, SIZE_MAX },
		{ SIZE_MAX, 2 },
		{ 65536, ((size_t)1 << 48) + 1 },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		errno = 0;
		void *p = calloc(sz(pairs[i][0]), sz(pairs[i][1]));

		CHECK_MSG(p == NULL, "calloc(%#zx, %#zx) = %p", pairs[i][0],
		          pairs[i][1], p);
		CHECK_EQ(errno, ENOMEM);
	}
	/* a product that fits is not an overflow */
	void *p = calloc(sz(1 << 20), 4);
	CHECK(p != NULL);
	free(p);
}

static void t_realloc_edges(void)
{
	/* realloc(NULL, n) is malloc(n) */
	unsigned char *p = realloc(NULL, 100);

	REQUIRE(p != NULL);
	fill(p, 100, 1);

	/* glibc 2.36: realloc(p, 0) frees P and returns NULL, errno kept */
	errno = 0;
	void *q = realloc(p, 0);
	CHECK(q == NULL);
	CHECK_EQ(errno, 0);
	free(q);

	/* realloc(NULL, 0) is malloc(0): a unique pointer */
	q = realloc(NULL, 0);
	CHECK(q != NULL);
	free(q);

	/* a failing realloc returns NULL with ENOMEM and keeps the block */
	p = malloc(1000);
	REQUIRE(p != NULL);
	fill(p, 1000, 2);
	errno = 0;
	q = realloc(hide(p), sz(SIZE_MAX - 100));
	CHECK(q == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(verify(p, 1000, 2), 1000);
	errno = 0;
	q = realloc(hide(p), sz((size_t)PTRDIFF_MAX + 1));
	CHECK(q == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(verify(p, 1000, 2), 1000);

	/* shrinking keeps the prefix; same size is harmless */
	p = realloc(p, 1000);
	REQUIRE(p != NULL);
	CHECK_EQ(verify(p, 1000, 2), 1000);
	p = realloc(p, 10);
	REQUIRE(p != NULL);
	CHECK_EQ(verify(p, 10, 2), 10);
	free(p);

	/* a large block shrunk to a small one and back */
	p = malloc(8u << 20);
	REQUIRE(p != NULL);
	fill(p, 8u << 20, 3);
	p = realloc(p, 33);
	REQUIRE(p != NULL);
	CHECK_EQ(verify(p, 33, 3), 33);
	p = realloc(p, 8u << 20);
	REQUIRE(p != NULL);
	CHECK_EQ(verify(p, 33, 3), 33);
	free(p);
	CHECK_KSLAB_CONSISTENT("realloc_edges");
}

static void t_reallocarray(void)
{
	unsigned char *p = reallocarray(NULL, 10, 10);

	REQUIRE(p != NULL);
	fill(p, 100, 4);
	p = reallocarray(p, 1000, 10);
	REQUIRE(p != NULL);
	CHECK_EQ(verify(p, 100, 4), 100);

	errno = 0;
	void *q = reallocarray(hide(p), sz(SIZE_MAX / 2), 3);
	CHECK(q == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(verify(p, 100, 4), 100);
	errno = 0;
	q = reallocarray(NULL, sz((size_t)1 << 33), sz((size_t)1 << 33));
	CHECK(q == NULL);
	CHECK_EQ(errno, ENOMEM);

	/* reallocarray(p, 0, n) is realloc(p, 0): frees, NULL (glibc) */
	errno = 0;
	q = reallocarray(p, 0, 3);
	CHECK(q == NULL);
	CHECK_EQ(errno, 0);
	CHECK_KSLAB_CONSISTENT("reallocarray");
}

static void t_memalign_edges(void)
{
	void *p;

	/* glibc rounds an alignment that is not a power of two up */
	p = memalign(sz(48), 100);
	CHECK(p != NULL);
	CHECK_PTR_ALIGNED(p, 64);
	free(p);
	p = memalign(sz(3), 10);
	CHECK(p != NULL);
	CHECK_PTR_ALIGNED(p, 4);
	free(p);
	p = memalign(sz(1000), 10);
	CHECK(p != NULL);
	CHECK_PTR_ALIGNED(p, 1024);
	free(p);
	/* alignment 0 is alignment 1 */
	p = memalign(sz(0), 10);
	CHECK(p != NULL);
	free(p);

	/* an alignment above SIZE_MAX/2 + 1 is EINVAL */
	errno = 0;
	p = memalign(sz(SIZE_MAX / 2 + 2), 10);
	CHECK(p == NULL);
	CHECK_EQ(errno, EINVAL);
	/* an impossible size is ENOMEM */
	errno = 0;
	p = memalign(16, sz(SIZE_MAX - 100));
	CHECK(p == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	p = memalign(4096, sz((size_t)PTRDIFF_MAX));
	CHECK(p == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_KSLAB_CONSISTENT("memalign_edges");
}

static void t_posix_memalign(void)
{
	static const size_t bad[] = {
		0, 1, 2, 3, 4, sizeof(void *) / 2, 24, 48, 100, 4095,
		(size_t)1 << 63 | 8,
	};
	void *sentinel = (void *)(uintptr_t)0x1234560;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *p = sentinel;
		int r;

		if (bad[i] >= sizeof(void *) && (bad[i] & (bad[i] - 1)) == 0)
			continue;
		errno = 4242;
		r = posix_memalign(&p, sz(bad[i]), 100);
		CHECK_MSG(r == EINVAL, "posix_memalign(align %zu) = %d, "
		          "want EINVAL", bad[i], r);
		CHECK_EQ(errno, 4242);        /* errno left alone */
		CHECK(p == sentinel);         /* *memptr left alone */
	}
	for (size_t a = sizeof(void *); a <= (1u << 20); a <<= 1) {
		void *p = NULL;

		errno = 4242;
		CHECK_EQ(posix_memalign(&p, a, 100), 0);
		CHECK_EQ(errno, 4242);
		CHECK(p != NULL);
		CHECK_PTR_ALIGNED(p, a);
		free(p);
	}
	/* size 0 succeeds with a freeable pointer */
	void *p = NULL;
	CHECK_EQ(posix_memalign(&p, 64, 0), 0);
	free(p);
	/* impossible size: ENOMEM returned */
	p = sentinel;
	CHECK_EQ(posix_memalign(&p, 64, sz(SIZE_MAX - 100)), ENOMEM);
	CHECK(p == sentinel);
	CHECK_KSLAB_CONSISTENT("posix_memalign");
}

static void t_aligned_alloc_edges(void)
{
	void *p = aligned_alloc(64, 100);    /* size need not be a multiple */

	CHECK(p != NULL);
	CHECK_PTR_ALIGNED(p, 64);
	free(p);
	/* An alignment that is not a power of two: glibc 2.36 rounds it up
	 * (it is memalign); C17 allows failing with EINVAL.  Accept both,
	 * never a misaligned block. */
	errno = 0;
	p = aligned_alloc(sz(48), 96);
	if (p)
		CHECK_PTR_ALIGNED(p, 64);
	else
		CHECK_EQ(errno, EINVAL);
	free(p);
	errno = 0;
	p = aligned_alloc(64, sz(SIZE_MAX - 100));
	CHECK(p == NULL);
	CHECK_EQ(errno, ENOMEM);
}

static void t_valloc_pvalloc(void)
{
	size_t pg = os_page();

	for (size_t i = 0; i < NSIZES; i++) {
		size_t n = sizes[i];
		unsigned char *p = valloc(n);

		if (CHECK_MSG(p != NULL, "valloc(%zu) failed", n)) {
			CHECK_PTR_ALIGNED(p, pg);
			CHECK_GE(malloc_usable_size(p), n);
			fill(p, n, 5);
			CHECK_EQ(verify(p, n, 5), n);
			free(p);
		}
		if (n == 0)
			continue;
		/* pvalloc rounds the size up to whole OS pages */
		p = pvalloc(n);
		if (CHECK_MSG(p != NULL, "pvalloc(%zu) failed", n)) {
			size_t want = (n + pg - 1) / pg * pg;

			CHECK_PTR_ALIGNED(p, pg);
			CHECK_GE(malloc_usable_size(p), want);
			fill(p, want, 6);
			CHECK_EQ(verify(p, want, 6), want);
			free(p);
		}
	}
	void *p = pvalloc(0);
	CHECK(p != NULL);
	CHECK_PTR_ALIGNED(p, pg);
	free(p);
	errno = 0;
	p = pvalloc(sz(SIZE_MAX - 10));
	CHECK(p == NULL);
	CHECK_EQ(errno, ENOMEM);
	errno = 0;
	p = valloc(sz(SIZE_MAX - 10));
	CHECK(p == NULL);
	CHECK_EQ(errno, ENOMEM);
	CHECK_KSLAB_CONSISTENT("valloc_pvalloc");
}

/* Usable size covers the request and all of it is the caller's: writing
 * it in full disturbs no neighbour. */
static void t_usable_size(void)
{
	enum { K = 8 };

	CHECK_EQ(malloc_usable_size(NULL), 0);
	for (size_t i = 0; i < NSIZES; i++) {
		unsigned char *p[K];
		size_t us[K];

		for (int k = 0; k < K; k++) {
			p[k] = malloc(sizes[i]);
			REQUIRE(p[k] != NULL);
			us[k] = malloc_usable_size(p[k]);
			CHECK_MSG(us[k] >= sizes[i],
			          "malloc_usable_size(malloc(%zu)) = %zu",
			          sizes[i], us[k]);
			fill(p[k], us[k], (unsigned)k);
		}
		for (int k = 0; k < K; k++) {
			CHECK_EQ(verify(p[k], us[k], (unsigned)k), us[k]);
			free(p[k]);
		}
	}
	/* the memalign family too */
	for (size_t a = 16; a <= 65536; a <<= 2) {
		unsigned char *p = memalign(a, 3 * a + 1);

		REQUIRE(p != NULL);
		size_t us = malloc_usable_size(p);
		CHECK_GE(us, 3 * a + 1);
		fill(p, us, 9);
		CHECK_EQ(verify(p, us, 9), us);
		free(p);
	}
	CHECK_KSLAB_CONSISTENT("usable_size");
}

static void t_free_sized(void)
{
	if (!free_sized || !free_aligned_sized)
		SKIP("free_sized/free_aligned_sized not provided (glibc %s)",
		     "2.36 lacks them");
	free_sized(NULL, 0);
	free_aligned_sized(NULL, 64, 0);
	for (size_t i = 0; i < NSIZES; i++) {
		void *p = malloc(sizes[i]);

		REQUIRE(p != NULL);
		free_sized(p, sizes[i]);
		p = calloc(1, sizes[i]);
		REQUIRE(p != NULL);
		free_sized(p, sizes[i]);
	}
	for (size_t a = 1; a <= (1u << 20); a <<= 1) {
		for (size_t k = 1; k <= 3; k++) {
			void *p = aligned_alloc(a, k * a);

			REQUIRE(p != NULL);
			CHECK_PTR_ALIGNED(p, a);
			free_aligned_sized(p, a, k * a);
		}
	}
	CHECK_KSLAB_CONSISTENT("free_sized");
}

static void t_malloc_trim(void)
{
	enum { N = 200000 };
	static void *ptrs[N];
	int r;

	for (size_t i = 0; i < N; i++) {
		ptrs[i] = malloc(i % 500 + 1);
		REQUIRE(ptrs[i] != NULL);
	}
	for (size_t i = 0; i < N; i++)
		if (i % 100)
			free(ptrs[i]);
	r = malloc_trim(0);
	CHECK(r == 0 || r == 1);
	r = malloc_trim(1u << 20);
	CHECK(r == 0 || r == 1);
	for (size_t i = 0; i < N; i += 100)
		free(ptrs[i]);
	r = malloc_trim(0);
	CHECK(r == 0 || r == 1);
	/* still works */
	void *p = malloc(1000);
	CHECK(p != NULL);
	free(p);
	CHECK_KSLAB_CONSISTENT("malloc_trim");
}

static void t_malloc_stats(void)
{
	struct harness_capture cap;
	void *p = malloc(1000);

	if (!harness_capture_begin(&cap))
		HARD_ERROR("cannot capture stderr");
	malloc_stats();
	harness_capture_end(&cap);
	free(p);
	CHECK_MSG(cap.len > 0, "malloc_stats() wrote nothing to stderr");
	harness_note("malloc_stats() wrote %zu bytes, starting: %.60s", cap.len,
	             cap.out);
}

/* A minimal well-formedness check: tags balance, one root element named
 * ROOT, nothing but whitespace outside it. */
static bool xml_balanced(const char *s, const char *root, char *why,
                         size_t whylen)
{
	char stack[64][64];
	int depth = 0;
	bool seen_root = false;

	while (*s) {
		if (*s != '<') {
			if (depth == 0 && !strchr(" \t\r\n", *s)) {
				snprintf(why, whylen, "text outside the root: %.20s", s);
				return false;
			}
			s++;
			continue;
		}
		const char *end = strchr(s, '>');
		if (!end) {
			snprintf(why, whylen, "unterminated tag: %.20s", s);
			return false;
		}
		if (s[1] == '?' || s[1] == '!') {        /* prolog, comment */
			s = end + 1;
			continue;
		}
		bool closing = s[1] == '/';
		bool selfclose = end[-1] == '/';
		const char *name = s + 1 + closing;
		size_t nlen = strcspn(name, " \t\r\n/>");
		if (nlen == 0 || nlen >= sizeof(stack[0])) {
			snprintf(why, whylen, "bad tag name: %.20s", s);
			return false;
		}
		if (closing) {
			if (depth == 0 || strlen(stack[depth - 1]) != nlen ||
			    strncmp(stack[depth - 1], name, nlen) != 0) {
				snprintf(why, whylen, "unbalanced </%.*s>",
				         (int)nlen, name);
				return false;
			}
			depth--;
		} else {
			if (depth == 0) {
				if (seen_root) {
					snprintf(why, whylen, "second root <%.*s>",
					         (int)nlen, name);
					return false;
				}
				seen_root = true;
				if (strlen(root) != nlen ||
				    strncmp(name, root, nlen) != 0) {
					snprintf(why, whylen, "root is <%.*s>, not <%s>",
					         (int)nlen, name, root);
					return false;
				}
			}
			if (!selfclose) {
				if (depth == 64) {
					snprintf(why, whylen, "nested too deep");
					return false;
				}
				memcpy(stack[depth], name, nlen);
				stack[depth][nlen] = '\0';
				depth++;
			}
		}
		s = end + 1;
	}
	if (depth) {
		snprintf(why, whylen, "<%s> not closed", stack[depth - 1]);
		return false;
	}
	if (!seen_root) {
		snprintf(why, whylen, "no root element");
		return false;
	}
	return true;
}

static void t_malloc_info(void)
{
	static char buf[1 << 16];
	char why[128] = "";
	void *p = malloc(100), *q = malloc(1 << 20), *big = malloc(8u << 20);
	FILE *f = tmpfile();
	size_t n;

	if (!f)
		HARD_ERROR("tmpfile");
	CHECK_EQ(malloc_info(0, f), 0);
	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	CHECK_MSG(n > 0, "malloc_info wrote nothing");
	CHECK_MSG(xml_balanced(buf, "malloc", why, sizeof(why)),
	          "malloc_info output is not well-formed: %s\n%s", why, buf);
	/* glibc's elements, which its parsers look for */
	static const char *const want[] = {
		"<malloc version=\"1\">", "<heap nr=\"0\">", "<sizes>", "</sizes>",
		"<total type=\"fast\" count=\"", "<total type=\"rest\" count=\"",
		"<total type=\"mmap\" count=\"", "<system type=\"current\" size=\"",
		"<system type=\"max\" size=\"", "<aspace type=\"total\" size=\"",
		"<aspace type=\"mprotect\" size=\"", "</heap>", "</malloc>",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_MSG(strstr(buf, want[i]) != NULL, "malloc_info lacks %s:\n%s", want[i], buf);
	/* the 8 MiB block is an mmap'd one, and the system holds at least it */
	const char *mm = strstr(buf, "<total type=\"mmap\" count=\""), *cur;
	if (mm)
		CHECK_MSG(strtoul(mm + strlen("<total type=\"mmap\" count=\""), NULL, 10) >= 1,
		          "no mmap'd block counted:\n%s", buf);
	cur = strstr(mm ? mm : buf, "<system type=\"current\" size=\"");
	if (cur)
		CHECK_GE(strtoul(cur + strlen("<system type=\"current\" size=\""), NULL, 10),
		         8ul << 20);
	/* options must be 0 */
	f = tmpfile();
	if (!f)
		HARD_ERROR("tmpfile");
	CHECK_EQ(malloc_info(1, f), EINVAL);
	fclose(f);
	free(p);
	free(q);
	free(big);
}

static void t_mallinfo2(void)
{
	enum { N = 10000, SZ = 100 };
	static void *ptrs[N];
	struct mallinfo2 a, b, c;

	a = mallinfo2();
	for (size_t i = 0; i < N; i++) {
		ptrs[i] = malloc(SZ);
		REQUIRE(ptrs[i] != NULL);
	}
	b = mallinfo2();
	/* the live bytes are accounted for, in the heap or mmapped blocks */
	CHECK_GE(b.uordblks + b.hblkhd, (size_t)N * SZ);
	CHECK_GE(b.uordblks + b.hblkhd, a.uordblks + a.hblkhd + (size_t)N * SZ);

	void *big = malloc(64u << 20);
	REQUIRE(big != NULL);
	c = mallinfo2();
	CHECK_GE(c.uordblks + c.hblkhd, b.uordblks + b.hblkhd + (64u << 20));
	free(big);
	for (size_t i = 0; i < N; i++)
		free(ptrs[i]);
	struct mallinfo2 d = mallinfo2();
	CHECK_LT(d.uordblks + d.hblkhd, c.uordblks + c.hblkhd);
	harness_note("mallinfo2: arena %zu uordblks %zu fordblks %zu hblkhd %zu",
	             d.arena, d.uordblks, d.fordblks, d.hblkhd);
}

static void t_mallopt(void)
{
	CHECK_EQ(mallopt(M_MMAP_THRESHOLD, 1 << 20), 1);
	CHECK_EQ(mallopt(M_TRIM_THRESHOLD, 1 << 20), 1);
	CHECK_EQ(mallopt(M_TOP_PAD, 1 << 16), 1);
	CHECK_EQ(mallopt(M_MMAP_MAX, 65536), 1);
	CHECK_EQ(mallopt(M_ARENA_MAX, 4), 1);
	/* unknown parameters are accepted (or refused) without harm */
	(void)mallopt(12345, 1);
	(void)mallopt(-100, 0);
	(void)mallopt(M_PERTURB, 0);
	for (size_t i = 0; i < NSIZES; i++) {
		void *p = malloc(sizes[i]);

		CHECK(p != NULL);
		free(p);
	}
	CHECK_KSLAB_CONSISTENT("mallopt");
}

/* glibc's __libc_* names reach the same allocator as the public ones. */
static void t_libc_aliases(void)
{
	void *p;

	p = __libc_malloc(100);
	REQUIRE(p != NULL);
	CHECK_GE(malloc_usable_size(p), 100);
	free(p);
	p = malloc(100);
	REQUIRE(p != NULL);
	__libc_free(p);
	p = __libc_calloc(10, 10);
	REQUIRE(p != NULL);
	CHECK(all_zero(p, 100));
	p = __libc_realloc(p, 5000);
	REQUIRE(p != NULL);
	CHECK(all_zero(p, 100));
	p = realloc(p, 100000);
	REQUIRE(p != NULL);
	__libc_free(p);
	p = __libc_memalign(4096, 100);
	REQUIRE(p != NULL);
	CHECK_PTR_ALIGNED(p, 4096);
	free(p);
	p = __libc_valloc(100);
	REQUIRE(p != NULL);
	CHECK_PTR_ALIGNED(p, os_page());
	free(p);
	p = __libc_pvalloc(100);
	REQUIRE(p != NULL);
	CHECK_PTR_ALIGNED(p, os_page());
	free(p);
	CHECK_KSLAB_CONSISTENT("libc_aliases");
}

static void t_kslab_present(void)
{
#ifdef KS_TEST_PRELOAD
	harness_require_preloaded();
#endif
	if (!harness_have_kslab())
		SKIP("not running on kslab");
	CHECK_STREQ(ks_version(), KSLAB_VERSION);
}

static const struct harness_case cases[] = {
	{ "kslab_present", t_kslab_present },
	{ "malloc_basic", t_malloc_basic },
	{ "malloc_many_live", t_malloc_many_live },
	{ "malloc_enomem", t_malloc_enomem },
	{ "calloc", t_calloc },
	{ "calloc_overflow", t_calloc_overflow },
	{ "realloc_edges", t_realloc_edges },
	{ "reallocarray", t_reallocarray },
	{ "memalign_edges", t_memalign_edges },
	{ "posix_memalign", t_posix_memalign },
	{ "aligned_alloc_edges", t_aligned_alloc_edges },
	{ "valloc_pvalloc", t_valloc_pvalloc },
	{ "usable_size", t_usable_size },
	{ "free_sized", t_free_sized },
	{ "malloc_trim", t_malloc_trim },
	{ "malloc_stats", t_malloc_stats },
	{ "malloc_info", t_malloc_info },
	{ "mallinfo2", t_mallinfo2 },
	{ "mallopt", t_mallopt },
	{ "libc_aliases", t_libc_aliases },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
