/* SPDX-License-Identifier: BSD-2-Clause */
/* stats.h - statistics and reports (stats.c). */
#ifndef KS_STATS_H
#define KS_STATS_H
#include "internal.h"
void ks__stats_print(int fd, bool with_slabinfo);
void ks__buddyinfo(int fd);
/* Page-path blocks of kmalloc (kmalloc.c). */
void ks__large_stats(size_t *bytes, size_t *count);
#endif
