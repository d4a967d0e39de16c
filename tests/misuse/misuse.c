// SPDX-License-Identifier: BSD-2-Clause
/*
 * misuse.c - every misuse kslab can detect, one at a time.  Each case
 * corrupts exactly one thing in a child process and asserts that the child
 * dies by SIGABRT having written exactly one line to stderr:
 *
 *     kslab: <what>: pointer 0x<hex>, cache <name>
 *
 * <what> one of "double free", "invalid free", "red zone overwritten",
 * "use after free"; the pointer the one the test misused; the cache the one
 * it belongs to ("none" for memory kslab never gave out).
 *
 * Built three times from this source: misuse runs under KSLAB_OPTIONS=debug
 * (poison, red zones, double and invalid free checks on all kmalloc caches);
 * misuse-nodebug (MISUSE_NODEBUG) runs without options, where the "is this
 * ours" check on free must still catch a stack address, the alignment
 * check a pointer into an object (p + 8), and the free key
 * (fastpath.h) every double free glibc's tcache catches: immediate,
 * interleaved with other frees, delayed past many other allocations,
 * after the block was handed out again, and after it went back to its
 * slab, and one more glibc misses: a second free by another thread while
 * the first sits in the first thread's magazine; while blocks freed
 * without ever being written raise nothing.  misuse-strict (MISUSE_STRICT)
 * runs under KSLAB_OPTIONS=strict, where every free of a small block is
 * checked: the same cases, and a pointer into an object that is 16-byte
 * aligned (p + 16), which the default lets through.  The program
 * re-executes itself with the environment it needs, since kslab reads its
 * options when it boots.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "kslab.h"
#include "../harness/harness.h"

/* What a child tells the parent before it misbehaves. */
struct shared {
	uintptr_t ptr;           /* the pointer the case misuses */
	char cache[2][40];       /* acceptable cache names ("" if unused) */
	size_t kmalloc_lo, kmalloc_hi; /* or any kmalloc-N, lo <= N <= hi */
};
static struct shared *sh;

static void *volatile sink;   /* keeps the compiler from reasoning */

static void expect_line_arg(void (*fn)(void *), void *arg, const char *what)
{
	struct harness_child ch;
	char how[64];

	memset(sh, 0, sizeof(*sh));
	if (!harness_run_child(fn, arg, 60, &ch))
		HARD_ERROR("cannot run the child");
	CHECK_MSG(ch.aborted, "%s: child should die by SIGABRT but %s", what,
	          harness_child_end(&ch, how, sizeof(how)));
	CHECK_MSG(harness_count_lines(ch.out) == 1,
	          "%s: want exactly one line on stderr, got %zu", what,
	          harness_count_lines(ch.out));

	/* kslab: <what>: pointer 0x<hex>, cache <name>\n */
	char prefix[64];
	const char *s = ch.out;
	snprintf(prefix, sizeof(prefix), "kslab: %s: pointer 0x", what);
	bool ok = strncmp(s, prefix, strlen(prefix)) == 0;
	uintptr_t ptr = 0;
	char name[64] = "";
	if (ok) {
		char *end;

		s += strlen(prefix);
		ptr = (uintptr_t)strtoull(s, &end, 16);
		ok = end != s && strncmp(end, ", cache ", 8) == 0;
		if (ok) {
			size_t len = strcspn(end + 8, "\n");

			ok = len > 0 && len < sizeof(name);
			if (ok) {
				memcpy(name, end + 8, len);
				name[len] = '\0';
			}
		}
	}
	CHECK_MSG(ok, "%s: the line is not \"kslab: %s: pointer 0x<hex>, "
	          "cache <name>\"", what, what);
	if (ok) {
		CHECK_MSG(ptr == sh->ptr, "%s: reported pointer %#jx, the test "
		          "misused %#jx", what, (uintmax_t)ptr,
		          (uintmax_t)sh->ptr);
		bool name_ok = (sh->cache[0][0] && !strcmp(name, sh->cache[0])) ||
		               (sh->cache[1][0] && !strcmp(name, sh->cache[1]));
		if (sh->kmalloc_hi && strncmp(name, "kmalloc-", 8) == 0) {
			char *end;
			unsigned long n = strtoul(name + 8, &end, 10);

			name_ok |= *end == '\0' && n >= sh->kmalloc_lo &&
			           n <= sh->kmalloc_hi;
		}
		if (sh->kmalloc_hi)
			CHECK_MSG(name_ok, "%s: cache \"%s\", want kmalloc-N with "
			          "%zu <= N <= %zu", what, name, sh->kmalloc_lo,
			          sh->kmalloc_hi);
		else
			CHECK_MSG(name_ok, "%s: cache \"%s\", want \"%s\"%s%s%s",
			          what, name, sh->cache[0],
			          sh->cache[1][0] ? " or \"" : "", sh->cache[1],
			          sh->cache[1][0] ? "\"" : "");
	}
	if (harness_failures)
		fprintf(stderr, "--- child's stderr ---\n%s--- end ---\n", ch.out);
	else
		harness_note("ok: %.*s", (int)strcspn(ch.out, "\n"), ch.out);
}

/* ------------------------------------------------------------------------
 * The children
 * ------------------------------------------------------------------------ */
/* Free P, which the report must name with cache CACHE. */
static void free_expecting(void *p, const char *cache)
{
	sink = p;
	sh->ptr = (uintptr_t)sink;
	strcpy(sh->cache[0], cache);
	free(sink);
}

static void c_double_free(void *arg)
{
	char *p = malloc(40);

	(void)arg;
	memset(p, 1, 40);
	sh->ptr = (uintptr_t)p;
	sh->kmalloc_lo = 40;
	sh->kmalloc_hi = 64;
	free(p);
	sink = p;
	free(sink);
}

static void expect_line(void (*fn)(void *), const char *what)
{
	expect_line_arg(fn, NULL, what);
}

/* The double frees of glibc's tests, each with its block of 40 bytes; a
 * neighbour stays allocated, so that the block's slab stays a slab (a
 * free into a page given back is reported too, as an invalid free). */
static char *double_free_start(void)
{
	char *p;

	sink = malloc(40);
	memset(sink, 9, 40);
	p = malloc(40);

	memset(p, 1, 40);
	sh->ptr = (uintptr_t)p;
	sh->kmalloc_lo = 40;
	sh->kmalloc_hi = 64;
	return p;
}

/* realloc of a freed block frees it a second time */
static void c_realloc_freed(void *arg)
{
	char *p = double_free_start();

	(void)arg;
	free(p);
	sink = p;
	sink = realloc(sink, 100);
}

static void c_double_free_interleaved(void *arg)
{
	char *p = double_free_start(), *q = malloc(40);

	(void)arg;
	memset(q, 2, 40);
	free(p);
	free(q);
	sink = p;
	free(sink);
}

static void c_double_free_delayed(void *arg)
{
	char *p = double_free_start();
	void *other[300];

	(void)arg;
	free(p);
	for (int i = 0; i < 300; i++)            /* past a magazine's depth */
		memset(other[i] = malloc(40), 3, 40);
	for (int i = 0; i < 300; i++)
		free(other[i]);
	sink = p;
	free(sink);
}

static void c_double_free_after_reuse(void *arg)
{
	char *p = double_free_start(), *q;

	(void)arg;
	free(p);
	q = malloc(40);                          /* p's block, handed out again */
	memset(q, 4, 40);
	sink = p;
	free(sink);                              /* frees q's block: legal-looking */
	sh->ptr = (uintptr_t)q;
	free(q);                                 /* and now twice */
}

static void c_double_free_in_slab(void *arg)
{
	char *p = double_free_start();
	void *other[3000];

	(void)arg;
	free(p);
	for (int i = 0; i < 3000; i++)
		memset(other[i] = malloc(40), 5, 40);
	for (int i = 0; i < 3000; i++)
		free(other[i]);
	malloc_trim(0);                          /* every magazine back to the slabs */
	sink = p;
	free(sink);
}

/* The first free by one thread, which keeps the block in its magazine
 * and lives on; the second by another thread, whose own magazines and the
 * depots do not have it (glibc hands such a block out twice). */
static void *free_in_thread(void *p)
{
	free(p);
	return NULL;
}

static void c_double_free_other_thread(void *arg)
{
	char *p = double_free_start();
	pthread_t t;

	(void)arg;
	free(p);                                 /* into this thread's magazine */
	sink = p;
	if (pthread_create(&t, NULL, free_in_thread, sink))
		_exit(3);
	pthread_join(t, NULL);
	_exit(5);                                /* not caught */
}

static void c_free_stack(void *arg)
{
	char buf[64];

	(void)arg;
	memset(buf, 0, sizeof(buf));
	free_expecting(buf + 16, "none");
}

static void c_free_interior(void *arg)
{
	char *p = malloc(64);

	(void)arg;
	memset(p, 1, 64);
	free_expecting(p + 8, "kmalloc-64");
}

/* p + 16: aligned as every object start is, so only a check of the
 * slab's geometry tells (debug and strict; the default's fast path does
 * not look). */
static void c_free_interior_16(void *arg)
{
	char *p = malloc(64);

	(void)arg;
	memset(p, 1, 64);
	free_expecting(p + 16, "kmalloc-64");
}

/* A page inside a large (page path) block, fresh or reused: its
 * descriptor is not the block's head, and free() says so. */
static void c_free_large_interior(void *arg)
{
	char *p = malloc(256 << 10);
	char *q;

	(void)arg;
	memset(p, 1, 256 << 10);
	free(p);
	q = malloc(200 << 10);         /* likely the same pages, tails stale */
	memset(q, 2, 200 << 10);
	free_expecting(q + (64 << 10), "none");
}

static void c_redzone(void *arg)
{
	char *p = malloc(40);

	(void)arg;
	memset(p, 1, 40);
	sh->ptr = (uintptr_t)p;
	sh->kmalloc_lo = 40;
	sh->kmalloc_hi = 64;
	sink = p;
	((char *)sink)[40] = 'x';          /* one byte past the end */
	free(p);
}

/* Page-path and vmalloc-path blocks have red zones before and after the
 * bytes asked for under debug: overflows and underflows of 1 and 32
 * bytes at 140000 B, 192 KiB, 5 MiB and 8 MiB. */
static void large_damage(size_t n, long by)
{
	char *p = malloc(n);

	memset(p, 1, n);
	sh->ptr = (uintptr_t)p;
	strcpy(sh->cache[0], "none");
	sink = p;
	if (by > 0)
		memset((char *)sink + n, 'x', (size_t)by);
	else
		memset((char *)sink + by, 'x', (size_t)-by);
	free(p);
}

static void large_overflow(size_t n, size_t by)
{
	large_damage(n, (long)by);
}

static void c_large_underflow_1(void *arg) { (void)arg; large_damage(140000, -1); }
static void c_large_underflow_32(void *arg) { (void)arg; large_damage(196608, -32); }
static void c_vmalloc_overflow_1(void *arg) { (void)arg; large_damage(5 << 20, 1); }
static void c_vmalloc_overflow_32(void *arg) { (void)arg; large_damage(8 << 20, 32); }
static void c_vmalloc_underflow_1(void *arg) { (void)arg; large_damage(5 << 20, -1); }
static void c_vmalloc_underflow_32(void *arg) { (void)arg; large_damage(8 << 20, -32); }

static void c_large_overflow_1(void *arg)
{
	(void)arg;
	large_overflow(140000, 1);
}

static void c_large_overflow_32(void *arg)
{
	(void)arg;
	large_overflow(196608, 32);
}

static void c_use_after_free(void *arg)
{
	char *p = malloc(100);

	(void)arg;
	memset(p, 1, 100);
	sh->ptr = (uintptr_t)p;
	sh->kmalloc_lo = 100;
	sh->kmalloc_hi = 128;
	free(p);
	sink = p;
	((char *)sink)[50] = 'x';          /* write into the freed block */
	/* go on allocating and freeing until kslab finds the poison broken:
	 * when the block leaves the quarantine, or is handed out again */
	for (int i = 0; i < 200000; i++) {
		sink = malloc(100);
		if (i % 2)
			free(sink);
	}
}

static HARNESS_UNUSED void c_cross_cache(void *arg)
{
	ks_cache_t *a = ks_cache_create("misuse-a", 96, 0, 0, NULL);
	ks_cache_t *b = ks_cache_create("misuse-b", 96, 0, 0, NULL);
	void *o;

	(void)arg;
	if (!a || !b)
		_exit(3);
	o = ks_cache_alloc(a, KS_GFP_KERNEL);
	if (!o)
		_exit(4);
	sh->ptr = (uintptr_t)o;
	strcpy(sh->cache[0], "misuse-a");
	strcpy(sh->cache[1], "misuse-b");
	ks_cache_free(b, o);
}

/* ------------------------------------------------------------------------
 * The cases
 * ------------------------------------------------------------------------ */
static HARNESS_UNUSED void t_double_free(void) { expect_line(c_double_free, "double free"); }
static HARNESS_UNUSED void t_realloc_freed(void) { expect_line(c_realloc_freed, "double free"); }
static HARNESS_UNUSED void t_free_stack(void) { expect_line(c_free_stack, "invalid free"); }
static HARNESS_UNUSED void t_free_interior(void)
{
	expect_line(c_free_interior, "invalid free");
}
static HARNESS_UNUSED void t_free_interior_16(void)
{
	expect_line(c_free_interior_16, "invalid free");
}
static HARNESS_UNUSED void t_free_large_interior(void)
{
	expect_line(c_free_large_interior, "invalid free");
}
static HARNESS_UNUSED void t_redzone(void)
{
	expect_line(c_redzone, "red zone overwritten");
}
static HARNESS_UNUSED void t_double_free_interleaved(void)
{
	expect_line(c_double_free_interleaved, "double free");
}
static HARNESS_UNUSED void t_double_free_delayed(void)
{
	expect_line(c_double_free_delayed, "double free");
}
static HARNESS_UNUSED void t_double_free_after_reuse(void)
{
	expect_line(c_double_free_after_reuse, "double free");
}
static HARNESS_UNUSED void t_double_free_in_slab(void)
{
	expect_line(c_double_free_in_slab, "double free");
}
static HARNESS_UNUSED void t_double_free_other_thread(void)
{
	expect_line(c_double_free_other_thread, "double free");
}

/* Blocks of every small size, freed without ever being written (the
 * free key must not be mistaken for a free object's), reused and freed
 * again: no report. */
static void c_unwritten(void *arg)
{
	(void)arg;
	for (int round = 0; round < 50; round++) {
		void *p[200];
		for (int i = 0; i < 200; i++)
			p[i] = malloc((size_t)(1 + (i * 37 + round) % 2000));
		for (int i = 0; i < 200; i++)
			free(p[i]);
	}
}

static HARNESS_UNUSED void t_unwritten(void)
{
	struct harness_child ch;
	char how[64];

	if (!harness_run_child(c_unwritten, NULL, 60, &ch))
		HARD_ERROR("cannot run the child");
	CHECK_MSG(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0,
	          "blocks freed unwritten %s", harness_child_end(&ch, how, sizeof(how)));
	CHECK_MSG(ch.len == 0, "blocks freed unwritten wrote to stderr: %s", ch.out);
}

static HARNESS_UNUSED void t_use_after_free(void)
{
	expect_line(c_use_after_free, "use after free");
}
static HARNESS_UNUSED void t_large_overflow_1(void)
{
	expect_line(c_large_overflow_1, "red zone overwritten");
}
static HARNESS_UNUSED void t_large_overflow_32(void)
{
	expect_line(c_large_overflow_32, "red zone overwritten");
}
static HARNESS_UNUSED void t_large_underflows(void)
{
	expect_line(c_large_underflow_1, "red zone overwritten");
	expect_line(c_large_underflow_32, "red zone overwritten");
}
/* Zero-size blocks under debug: distinct addresses where any access
 * faults; a second free is a double free. */
static void c_zero_read(void *arg)
{
	char *volatile p = malloc(0);

	(void)arg;
	sink = p;
	sh->ptr = (uintptr_t)p[0];         /* faults here */
}

static void c_zero_double_free(void *arg)
{
	void *volatile p = malloc(0);

	(void)arg;
	sh->ptr = (uintptr_t)p;
	strcpy(sh->cache[0], "zero-size");
	free(p);
	free(p);
}

static HARNESS_UNUSED void t_zero_size(void)
{
	struct harness_child ch;
	char how[64];
	void *volatile a = malloc(0), *volatile b = malloc(0), *volatile c = calloc(0, 4);

	CHECK(a && b && c && a != b && b != c && a != c);
	CHECK_EQ(malloc_usable_size(a), 0);
	a = realloc(a, 24);                /* grows from empty, as vectors do */
	REQUIRE(a != NULL);
	memset(a, 1, 24);
	free(a);
	free(b);
	free(c);
	if (!harness_run_child(c_zero_read, NULL, 60, &ch))
		HARD_ERROR("cannot run the child");
	CHECK_MSG(WIFSIGNALED(ch.status) && WTERMSIG(ch.status) == SIGSEGV,
	          "a read of a zero-size block should fault but %s",
	          harness_child_end(&ch, how, sizeof(how)));
	expect_line(c_zero_double_free, "double free");
}

/* Freed page-path and vmalloc blocks are inaccessible for a while under
 * debug: a write after free faults, a second free is reported. */
static void c_large_write_after_free(void *arg)
{
	size_t n = (size_t)(uintptr_t)arg;
	char *volatile p = malloc(n);

	memset(p, 1, n);
	free(p);
	p[n / 2] = 'x';                    /* faults here */
}

static void c_large_double_free(void *arg)
{
	size_t n = (size_t)(uintptr_t)arg;
	void *volatile p = malloc(n);

	sh->ptr = (uintptr_t)p;
	strcpy(sh->cache[0], "none");
	free(p);
	free(p);
}

static HARNESS_UNUSED void t_large_after_free(void)
{
	static const size_t sizes[] = { 140000, 256 << 10, 6 << 20 };
	struct harness_child ch;
	char how[64];

	for (size_t i = 0; i < 3; i++) {
		if (!harness_run_child(c_large_write_after_free, (void *)(uintptr_t)sizes[i],
		                       60, &ch))
			HARD_ERROR("cannot run the child");
		CHECK_MSG(WIFSIGNALED(ch.status) && WTERMSIG(ch.status) == SIGSEGV,
		          "a write into a freed block of %zu should fault but %s", sizes[i],
		          harness_child_end(&ch, how, sizeof(how)));
	}
	expect_line_arg(c_large_double_free, (void *)(uintptr_t)(256 << 10), "double free");
	expect_line_arg(c_large_double_free, (void *)(uintptr_t)(6 << 20), "double free");
}

static HARNESS_UNUSED void t_vmalloc_redzones(void)
{
	expect_line(c_vmalloc_overflow_1, "red zone overwritten");
	expect_line(c_vmalloc_overflow_32, "red zone overwritten");
	expect_line(c_vmalloc_underflow_1, "red zone overwritten");
	expect_line(c_vmalloc_underflow_32, "red zone overwritten");
}
static HARNESS_UNUSED void t_cross_cache(void) { expect_line(c_cross_cache, "invalid free"); }

/* Correct use under the same options aborts nothing and reports nothing. */
static void c_clean(void *arg)
{
	(void)arg;
	for (size_t n = 1; n < 70000; n = n * 3 / 2 + 1) {
		char *p = malloc(n);

		memset(p, 2, n);
		p = realloc(p, n + 7);
		memset(p, 3, n + 7);
		free(p);
		p = calloc(1, n);
		free(p);
		p = memalign(64, n);
		memset(p, 4, n);
		free(p);
	}
	/* the vmalloc path: grown, shrunk, aligned */
	for (size_t n = 5 << 20; n <= (9 << 20); n += 4 << 20) {
		char *p = malloc(n);

		memset(p, 5, n);
		p = realloc(p, n + 5000);
		memset(p, 6, n + 5000);
		p = realloc(p, n / 2);
		memset(p, 7, n / 2);
		free(p);
		p = memalign(4096, n);
		memset(p, 8, n);
		free(p);
		p = calloc(1, n);
		free(p);
	}
}

static HARNESS_UNUSED void t_clean(void)
{
	struct harness_child ch;
	char how[64];

	if (!harness_run_child(c_clean, NULL, 60, &ch))
		HARD_ERROR("cannot run the child");
	CHECK_MSG(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0,
	          "correct use %s", harness_child_end(&ch, how, sizeof(how)));
	CHECK_MSG(ch.len == 0, "correct use wrote to stderr: %s", ch.out);
}

static const struct harness_case cases[] = {
	{ "double_free", t_double_free },
	{ "realloc_freed", t_realloc_freed },
	{ "double_free_interleaved", t_double_free_interleaved },
	{ "double_free_delayed", t_double_free_delayed },
	{ "double_free_after_reuse", t_double_free_after_reuse },
	{ "double_free_in_slab", t_double_free_in_slab },
	{ "double_free_other_thread", t_double_free_other_thread },
	{ "unwritten", t_unwritten },
#if !defined(MISUSE_NODEBUG) && !defined(MISUSE_STRICT)
	{ "clean", t_clean },
	{ "free_stack", t_free_stack },
	{ "free_interior", t_free_interior },
	{ "free_interior_16", t_free_interior_16 },
	{ "free_large_interior", t_free_large_interior },
	{ "redzone", t_redzone },
	{ "large_overflow_1", t_large_overflow_1 },
	{ "large_overflow_32", t_large_overflow_32 },
	{ "large_underflows", t_large_underflows },
	{ "vmalloc_redzones", t_vmalloc_redzones },
	{ "zero_size", t_zero_size },
	{ "large_after_free", t_large_after_free },
	{ "use_after_free", t_use_after_free },
	{ "cross_cache", t_cross_cache },
#else
	{ "clean", t_clean },
	{ "free_stack", t_free_stack },
	{ "free_interior", t_free_interior },
	{ "free_large_interior", t_free_large_interior },
#endif
#ifdef MISUSE_STRICT
	{ "free_interior_16", t_free_interior_16 },
#endif
};

/* The KSLAB_OPTIONS each build runs under (NULL: none). */
#if defined(MISUSE_STRICT)
#define MISUSE_OPTIONS "strict"
#elif defined(MISUSE_NODEBUG)
#define MISUSE_OPTIONS NULL
#else
#define MISUSE_OPTIONS "debug"
#endif

int main(int argc, char **argv)
{
	const char *opt = getenv("KSLAB_OPTIONS"), *want = MISUSE_OPTIONS;
	bool right = want ? opt && strcmp(opt, want) == 0 : opt == NULL;

	if (!right && !getenv("KSLAB_MISUSE_REEXEC")) {
		if (want)
			setenv("KSLAB_OPTIONS", want, 1);
		else
			unsetenv("KSLAB_OPTIONS");
		setenv("KSLAB_MISUSE_REEXEC", "1", 1);
		execv("/proc/self/exe", argv);
		HARD_ERROR("cannot re-execute %s", argv[0]);
	}
	if (!right)
		HARD_ERROR("KSLAB_OPTIONS is \"%s\" after re-executing",
		           opt ? opt : "(unset)");
	harness_note("KSLAB_OPTIONS=%s", opt ? opt : "(unset)");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		HARD_ERROR("mmap");
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
