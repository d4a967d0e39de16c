// SPDX-License-Identifier: BSD-2-Clause
// cxx_new.cc - C++ operator new and delete over kslab: every form
// allocates through kslab (ks_ksize knows the block), aligned forms honour
// their alignment, sized delete returns objects that are reused (and a
// wrong size does no harm), failure
// throws std::bad_alloc (or returns NULL for nothrow) after calling the
// new_handler, and containers work.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>
#include <string>
#include <vector>
#include "kslab.h"

static int failures;
#define EXPECT(c) do { if (!(c)) { std::fprintf(stderr, "%s:%d: FAILED: %s\n", \
	__FILE__, __LINE__, #c); failures++; } } while (0)

struct alignas(256) Wide { char c[300]; };
static int handler_calls;
static void handler() { handler_calls++; std::set_new_handler(nullptr); }

int main()
{
	void *p = ::operator new(100);
	EXPECT(ks_ksize(p) >= 100);
	::operator delete(p, 100);
	void *q = ::operator new(100);
	const char *opts = std::getenv("KSLAB_OPTIONS");
	if (!opts || (!std::strstr(opts, "debug") && !std::strstr(opts, "poison") &&
		      !std::strstr(opts, "redzone")))
		EXPECT(q == p);         // sized delete went to the magazine (debug:
					// no magazines, and a quarantine)
	::operator delete(q);

	int *arr = new int[1000];
	EXPECT(ks_ksize(arr) >= 4000);
	delete[] arr;

	Wide *w = new Wide[3];
	EXPECT(reinterpret_cast<uintptr_t>(w) % 256 == 0);
	delete[] w;
	for (std::size_t al = 16; al <= (1u << 20); al <<= 1) {
		void *a = ::operator new(al + 8, std::align_val_t(al));
		EXPECT(reinterpret_cast<uintptr_t>(a) % al == 0);
		::operator delete(a, al + 8, std::align_val_t(al));
	}

	std::size_t huge = std::size_t(1) << 62;
	bool threw = false;
	std::set_new_handler(handler);
	try {
		void *h = ::operator new(huge);
		(void)h;
	} catch (const std::bad_alloc &) {
		threw = true;
	}
	EXPECT(threw);
	EXPECT(handler_calls == 1);
	EXPECT(::operator new(huge, std::nothrow) == nullptr);
	EXPECT(::operator new[](huge, std::align_val_t(64), std::nothrow) == nullptr);

	// Sized delete with the wrong size (a derived object deleted through
	// a base with no virtual destructor): harmless.  The 512-byte block
	// must not come back from a 32-byte new, and every later block must
	// be whole.
	{
		char *big = static_cast<char *>(::operator new(512));
		std::memset(big, 0x5a, 512);
		::operator delete(big, 32);
		for (int i = 0; i < 200; i++) {
			char *s = static_cast<char *>(::operator new(32));
			EXPECT(ks_ksize(s) >= 32);
			EXPECT(s != big);
			std::memset(s, i, 32);
			::operator delete(s, 32);
		}
		char *again = static_cast<char *>(::operator new(512));
		EXPECT(ks_ksize(again) >= 512);
		std::memset(again, 1, 512);
		::operator delete(again, 512);
		EXPECT(ks_check() == 0);
	}

	std::map<int, std::string> m;
	for (int i = 0; i < 100000; i++)
		m[i] = std::to_string(i) + "-value";
	std::vector<std::string> v;
	for (auto &kv : m)
		v.push_back(kv.second);
	EXPECT(v.size() == 100000 && v[99999] == "99999-value");
	m.clear();
	v.clear();
	v.shrink_to_fit();
	EXPECT(ks_check() == 0);
	std::printf("%s\n", failures ? "FAIL" : "PASS: cxx_new");
	return failures ? 1 : 0;
}
