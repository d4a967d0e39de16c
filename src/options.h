/* SPDX-License-Identifier: BSD-2-Clause */
/* options.h - KSLAB_OPTIONS (options.c). */
#ifndef KS_OPTIONS_H
#define KS_OPTIONS_H
#include "internal.h"

enum ks_stats_format { KS_STATS_OFF, KS_STATS_TEXT, KS_STATS_JSON };

#define KS_STATS_FILE_MAX 256

struct ks_options {
	unsigned stats;      /* enum ks_stats_format: the report at exit */
	char stats_file[KS_STATS_FILE_MAX];  /* where it goes ("": stderr);
	                        %p is the process id */
	bool debug;          /* poison + red zones on every kmalloc cache */
	bool poison;
	bool redzone;
	bool strict;          /* every free of a small block checked */
	bool track;          /* the callers of each object's alloc and free */
	bool leaks;          /* at exit, what is still allocated, by caller */
	unsigned long log;   /* operations kept for misuse reports (0: none) */
	bool verbose;        /* report allocation failures */
	bool magazines;      /* per-thread caches */
	bool purge_lazy;     /* MADV_FREE instead of MADV_DONTNEED */
	bool thp;            /* huge pages for big heaps and growing buffers */
	bool live;           /* the live view's shared page (live.c) */
	unsigned long decay_ms;
	unsigned long nodes;  /* slab nodes; 0: one per CPU */
};

extern struct ks_options ks__opt;
/* Parse a KSLAB_OPTIONS string; unknown words get one warning line. */
void ks__options_parse(const char *s);
/* The options in effect as KSLAB_OPTIONS would spell them, into BUF. */
void ks__options_format(char *buf, size_t len);
#endif
