/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.h - statistics and reports (stats.c). */
#ifndef KS_STATS_H
#define KS_STATS_H
#include "internal.h"
void ks__stats_print(int fd, bool with_slabinfo);
/* Fill the live view's page (live.h) with a snapshot: totals, zones and
 * a row per cache. */
struct ks_live_header;
void ks__stats_live(struct ks_live_header *h);
/* The same report as one JSON object (KSLAB_OPTIONS=stats=json). */
void ks__stats_json(int fd);
void ks__buddyinfo(int fd);
/* malloc_info's XML, in glibc's elements, a line at a time to EMIT. */
void ks__malloc_info(void (*emit)(const char *line, void *arg), void *arg);
/* Page-path blocks of kmalloc (kmalloc.c). */
void ks__large_stats(size_t *bytes, size_t *count);
#endif
