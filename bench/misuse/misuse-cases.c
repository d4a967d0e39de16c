// SPDX-License-Identifier: BSD-2-Clause
/*
 * misuse-cases.c - one heap misuse per run, for bench/misuse/matrix.sh,
 * which counts how many of them each allocator (and each kslab option)
 * catches.  A case is caught if the program does not reach its end: an
 * abort with a report, or a fault where the bad access happens.
 *
 *   misuse-cases LIST            the case names, one per line
 *   misuse-cases CASE            run one; exits 0 if nothing stopped it
 *
 * Each sized case runs at 8 B, 4 KiB and 256 KiB (the suffix -8, -4k,
 * -256k), the sizes of a small class, a page and the page path.  The
 * misuses are those of the classic suites: double frees (immediate,
 * interleaved with other frees, delayed past many other operations, the
 * second by another thread), frees of a pointer inside a block (8 bytes
 * in), overflows and underflows of 1 and 32 bytes and of 1 MiB, writes
 * and reads after free, realloc of a freed block; and, unsized, frees of
 * stack, global and mmap'd addresses and of (void *)1, reads and writes
 * of zero-size blocks, and the free of a pointer 16 bytes into a 64-byte
 * block (aligned as any block is).  Every access goes through a
 * volatile pointer, so the compiler cannot drop it.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static void *volatile sink;
static volatile unsigned char vsink;
static char global_buf[64];

static unsigned char *get(size_t n)
{
	unsigned char *p = malloc(n);

	if (!p)
		exit(3);
	memset(p, 0x41, n);
	sink = p;
	return p;
}

/* Other blocks of every size come and go, so a freed block is not at the
 * top of anything when the misuse happens. */
static void churn(void)
{
	void *keep[64];

	for (int r = 0; r < 40; r++) {
		for (int i = 0; i < 64; i++)
			keep[i] = malloc((size_t)(16 << (i % 12)));
		for (int i = 0; i < 64; i++)
			free(keep[i]);
	}
}

static void *free_it(void *p)
{
	free(p);
	return NULL;
}

static void run(const char *what, size_t n)
{
	volatile unsigned char *volatile p = get(n);

	if (!strcmp(what, "double-free")) {
		free((void *)p);
		free((void *)p);
	} else if (!strcmp(what, "double-free-interleaved")) {
		unsigned char *q = get(n);
		free((void *)p);
		free(q);
		free((void *)p);
	} else if (!strcmp(what, "double-free-delayed")) {
		free((void *)p);
		churn();
		free((void *)p);
	} else if (!strcmp(what, "double-free-threads")) {
		pthread_t t;
		free((void *)p);         /* stays in this thread's cache */
		if (pthread_create(&t, NULL, free_it, (void *)p) || pthread_join(t, NULL))
			exit(3);
		free(get(n));            /* both copies handed out ... */
		free(get(n));
	} else if (!strcmp(what, "free-interior")) {
		free((void *)(p + 8));
	} else if (!strcmp(what, "overflow-1")) {
		p[n] = 0x42;
		free((void *)p);
	} else if (!strcmp(what, "overflow-32")) {
		for (int i = 0; i < 32; i++)
			p[n + i] = 0x42;
		free((void *)p);
	} else if (!strcmp(what, "overflow-1m")) {
		for (size_t i = 0; i < (1u << 20); i++)
			p[n + i] = 0x42;
		free((void *)p);
		churn();
	} else if (!strcmp(what, "underflow-1")) {
		p[-1] = 0x42;
		free((void *)p);
	} else if (!strcmp(what, "underflow-32")) {
		for (int i = 1; i <= 32; i++)
			p[-i] = 0x42;
		free((void *)p);
	} else if (!strcmp(what, "write-after-free")) {
		free((void *)p);
		p[n / 2] = 0x42;
		churn();
		for (int i = 0; i < 1000; i++)
			free(get(n));
	} else if (!strcmp(what, "read-after-free")) {
		free((void *)p);
		churn();
		vsink = p[n / 2];     /* caught only if the read faults */
	} else if (!strcmp(what, "realloc-freed")) {
		free((void *)p);
		sink = realloc((void *)p, n * 2);
	} else {
		fprintf(stderr, "misuse-cases: no case %s\n", what);
		exit(2);
	}
}

static const char *const sized[] = {
	"double-free", "double-free-interleaved", "double-free-delayed",
	"double-free-threads", "free-interior", "overflow-1", "overflow-32", "overflow-1m",
	"underflow-1", "underflow-32", "write-after-free", "read-after-free",
	"realloc-freed",
};
static const char *const plain[] = {
	"free-stack", "free-global", "free-mmap", "zero-read", "zero-write",
	"free-one", "free-interior-16",
};
static const struct { const char *name; size_t n; } sizes[] = {
	{ "8", 8 }, { "4k", 4096 }, { "256k", 256 << 10 },
};

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "LIST";
	char buf[64];

	if (!strcmp(c, "LIST")) {
		for (size_t i = 0; i < sizeof(sized) / sizeof(sized[0]); i++)
			for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
				printf("%s-%s\n", sized[i], sizes[s].name);
		for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
			printf("%s\n", plain[i]);
		return 0;
	}
	if (!strcmp(c, "free-stack")) {
		free(buf);
	} else if (!strcmp(c, "free-global")) {
		free(global_buf);
	} else if (!strcmp(c, "free-mmap")) {
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		free(m);
	} else if (!strcmp(c, "zero-read")) {
		volatile unsigned char *volatile z = malloc(0);
		vsink = z[0];
		free((void *)z);
	} else if (!strcmp(c, "zero-write")) {
		volatile unsigned char *volatile z = malloc(0);
		z[0] = 1;
		churn();
		free((void *)z);
	} else if (!strcmp(c, "free-one")) {
		free((void *)1);
	} else if (!strcmp(c, "free-interior-16")) {
		unsigned char *p = get(64);   /* 16 bytes in: aligned as a block */
		free(p + 16);
		churn();
		free(p);
	} else {
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t len = strlen(sizes[s].name), cl = strlen(c);
			if (cl > len + 1 && c[cl - len - 1] == '-' &&
			    !strcmp(c + cl - len, sizes[s].name)) {
				memcpy(buf, c, cl - len - 1);
				buf[cl - len - 1] = '\0';
				run(buf, sizes[s].n);
				return 0;
			}
		}
		fprintf(stderr, "misuse-cases: no case %s\n", c);
		return 2;
	}
	return 0;
}
