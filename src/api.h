/* SPDX-License-Identifier: BSD-2-Clause */
/* api.h - what api.c offers the libc interface above it. */
#ifndef KS_API_H
#define KS_API_H
#include "internal.h"

/* Give back everything kslab caches and holds free: the depots, the
 * debug quarantine, empty slabs, idle slab pages, free pages, lazy
 * vmalloc areas (malloc_trim, and KS_GFP_NOFAIL's retries).  Returns the
 * bytes or pages given back, 0 if there was nothing. */
size_t ks__trim(void);
#endif
