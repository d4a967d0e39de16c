/* SPDX-License-Identifier: BSD-2-Clause */
/* init.h - boot, thread attach, fork (init.c). */
#ifndef KS_INIT_H
#define KS_INIT_H
#include "internal.h"

extern int ks__boot_state;          /* 0 cold, 2 core up, 3 all up */
void ks__boot_slow(void);
static inline void ks_boot(void)
{
	if (ks_unlikely(__atomic_load_n(&ks__boot_state, __ATOMIC_ACQUIRE) < 2))
		ks__boot_slow();
}
#endif
