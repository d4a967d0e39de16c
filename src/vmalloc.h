/* vmalloc.h - blocks with their own mapping (vmalloc.c). */
#ifndef KS_VMALLOC_H
#define KS_VMALLOC_H
#include "internal.h"

/* A block of SIZE bytes aligned to ALIGN with its own mapping; its bytes
 * read as zero.  NULL with errno ENOMEM. */
void *ks__vmalloc_alloc(size_t size, size_t align);
/* Free P if it is a vmalloc block; false if it is not one. */
bool ks__vmalloc_free(void *p);
/* Usable bytes of P, 0 if P is not a vmalloc block. */
size_t ks__vmalloc_usable(const void *p);
/* Resize in place or by mremap; NULL (errno ENOMEM, P intact) on failure. */
void *ks__vmalloc_realloc(void *p, size_t size);
size_t ks__vmalloc_mapped(void);
size_t ks__vmalloc_count(void);
int ks__vmalloc_check(void);
void ks__vmalloc_lock(void);
void ks__vmalloc_unlock(bool child);
#endif
