// SPDX-License-Identifier: BSD-2-Clause
/*
 * new.cc - C++ operator new and delete in all their forms, over kslab.
 *
 * new is malloc (or the aligned path for the align_val_t forms); when it
 * fails it calls the installed new_handler and tries again, and throws
 * std::bad_alloc when there is none, as [new.delete.single] says; the
 * nothrow forms return NULL instead.  delete is free, and so is sized
 * delete: the size it passes is not trusted to name the block's class,
 * since deleting a derived object through a base pointer whose destructor
 * is not virtual passes the base's size, and an allocator that believed
 * it would hand the block out again as a smaller one.  (The page
 * descriptor free() reads costs a few instructions more than the size's
 * class would; glibc and mimalloc ignore the size too.)
 *
 * No libstdc++ at link time.  This file is built with -fno-exceptions and
 * the library is linked as C, so preloading kslab into a C program does
 * not drag in libstdc++ (1.4 MiB of RSS at start).  The two things new
 * needs from the C++ runtime, std::get_new_handler and the throw of
 * std::bad_alloc, are weak references: a program that calls operator new
 * has libstdc++ loaded, and they resolve to it.  One corner is lost: a
 * new_handler that throws, called from a nothrow new, terminates instead
 * of making that new return NULL.
 */
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <malloc.h>
#include <new>

extern "C" void ks__free_sized(void *p, std::size_t size);

namespace std {
new_handler get_new_handler() noexcept __attribute__((weak));
[[noreturn]] void __throw_bad_alloc() __attribute__((weak));
}

#define KS_EXPORT __attribute__((visibility("default")))

static void *new_slow(std::size_t size, std::size_t align, bool nothrow)
{
	for (;;) {
		void *p = align ? aligned_alloc(align, size) : malloc(size);
		if (p)
			return p;
		std::new_handler handler = std::get_new_handler ? std::get_new_handler() : nullptr;
		if (!handler) {
			if (nothrow)
				return nullptr;
			if (std::__throw_bad_alloc)
				std::__throw_bad_alloc();
			std::abort();          /* no C++ runtime: nothing to throw */
		}
		handler();
	}
}

static inline void *new_plain(std::size_t size, bool nothrow)
{
	void *p = malloc(size);
	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_slow(size, 0, nothrow);
}

static inline void *new_aligned(std::size_t size, std::align_val_t al, bool nothrow)
{
	void *p = aligned_alloc(static_cast<std::size_t>(al), size);
	if (__builtin_expect(p != nullptr, 1))
		return p;
	return new_slow(size, static_cast<std::size_t>(al), nothrow);
}

KS_EXPORT void *operator new(std::size_t n) { return new_plain(n, false); }
KS_EXPORT void *operator new[](std::size_t n) { return new_plain(n, false); }
KS_EXPORT void *operator new(std::size_t n, const std::nothrow_t &) noexcept
{
	return new_plain(n, true);
}
KS_EXPORT void *operator new[](std::size_t n, const std::nothrow_t &) noexcept
{
	return new_plain(n, true);
}
KS_EXPORT void *operator new(std::size_t n, std::align_val_t al) { return new_aligned(n, al, false); }
KS_EXPORT void *operator new[](std::size_t n, std::align_val_t al) { return new_aligned(n, al, false); }
KS_EXPORT void *operator new(std::size_t n, std::align_val_t al, const std::nothrow_t &) noexcept
{
	return new_aligned(n, al, true);
}
KS_EXPORT void *operator new[](std::size_t n, std::align_val_t al, const std::nothrow_t &) noexcept
{
	return new_aligned(n, al, true);
}

KS_EXPORT void operator delete(void *p) noexcept { free(p); }
KS_EXPORT void operator delete[](void *p) noexcept { free(p); }
KS_EXPORT void operator delete(void *p, std::size_t n) noexcept { ks__free_sized(p, n); }
KS_EXPORT void operator delete[](void *p, std::size_t n) noexcept { ks__free_sized(p, n); }
KS_EXPORT void operator delete(void *p, const std::nothrow_t &) noexcept { free(p); }
KS_EXPORT void operator delete[](void *p, const std::nothrow_t &) noexcept { free(p); }
KS_EXPORT void operator delete(void *p, std::align_val_t) noexcept { free(p); }
KS_EXPORT void operator delete[](void *p, std::align_val_t) noexcept { free(p); }
KS_EXPORT void operator delete(void *p, std::size_t, std::align_val_t) noexcept { free(p); }
KS_EXPORT void operator delete[](void *p, std::size_t, std::align_val_t) noexcept { free(p); }
KS_EXPORT void operator delete(void *p, std::align_val_t, const std::nothrow_t &) noexcept { free(p); }
KS_EXPORT void operator delete[](void *p, std::align_val_t, const std::nothrow_t &) noexcept { free(p); }
