/* SPDX-License-Identifier: BSD-2-Clause */
/* vmalloc.h - blocks with their own mapping (vmalloc.c). */
#ifndef KS_VMALLOC_H
#define KS_VMALLOC_H
#include "internal.h"

/* A block of SIZE bytes aligned to ALIGN with its own mapping (a lazy
 * area's, see vmalloc.c); its bytes read as zero if ZERO.  NULL with errno
 * ENOMEM. */
void *ks__vmalloc_alloc(size_t size, size_t align, bool zero);
/* Free P if it is a vmalloc block; false if it is not one. */
bool ks__vmalloc_free(void *p);
/* Usable bytes of P, 0 if P is not a vmalloc block. */
size_t ks__vmalloc_usable(const void *p);
/* Resize in place or by mremap; NULL (errno ENOMEM, P intact) on failure. */
void *ks__vmalloc_realloc(void *p, size_t size);
/* Make the OLD_LEN bytes at P, pages of a section (a page-path block
 * that realloc grows past the page path), a block of SIZE bytes with a
 * mapping of its own, with headroom: mremap moves the pages out, nothing
 * is copied, and the caller maps fresh pages into the hole.  NULL, P
 * untouched, if the kernel will not. */
void *ks__vmalloc_adopt(void *p, size_t old_len, size_t size);
/* Unmap the lazy areas past the decay time (cheap when there are none). */
void ks__vmalloc_decay(void);
/* Unmap every lazy area; returns the bytes unmapped. */
size_t ks__vmalloc_trim(void);
/* Bytes of live blocks, and of lazy areas. */
size_t ks__vmalloc_mapped(void);
size_t ks__vmalloc_lazy(void);
size_t ks__vmalloc_count(void);
int ks__vmalloc_check(void);
/* KSLAB_OPTIONS=leaks: note every live block with the caller that mapped it. */
void ks__vmalloc_leaks(void);
void ks__vmalloc_lock(void);
void ks__vmalloc_unlock(bool child);
#endif
