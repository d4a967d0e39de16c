// SPDX-License-Identifier: BSD-2-Clause
/*
 * format.c - the bottom of the tree: text output that never allocates.
 *
 * Every layer reports something (a misuse, a broken invariant, an option
 * it cannot parse, a table of statistics), and none may call stdio, whose
 * buffers come from malloc: inside malloc that recurses, and after a
 * corruption it would run on the very heap that is broken.  So this file
 * holds a small printf of its own and the write(2) loop behind it, and
 * calls nothing of kslab's: every other file may call down into it, and
 * it sits below os.c in the layer table of internal.h (mimalloc keeps its
 * _mi_vsnprintf apart in libc.c for the same reason).
 *
 * ks__snprintf formats into a caller's buffer a subset of printf: flags
 * '-' and '0', a width, a precision for %s (also '*'), and the
 * conversions d i u x s c p % with the l and z modifiers; an unknown
 * conversion ends the output there.  It returns the length the whole
 * text would have had, as snprintf does.  ks__dprintf formats into 512
 * bytes on the stack, writes them with ks__write_all (which retries
 * EINTR and short writes) and leaves errno as it found it, so a report in
 * the middle of malloc does not change what malloc's caller sees.
 * ks__panic is KS_BUG_ON's end: one line naming the file, the line and
 * the broken condition, then abort().
 */
#include "internal.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, char c)
{
	if (o->pos + 1 < o->len)
		o->buf[o->pos] = c;
	o->pos++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width, bool left,
		       char pad)
{
	size_t w = width > 0 ? (size_t)width : 0;
	if (!left)
		for (size_t i = n; i < w; i++)
			put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		for (size_t i = n; i < w; i++)
			put(o, ' ');
}

static size_t utoa(char *tmp, unsigned long v, unsigned base)
{
	size_t n = 0;
	char rev[24];
	do {
		rev[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	for (size_t i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	return n;
}

static void vformat(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		bool left = false, is_long = false;
		char pad = ' ', tmp[24];
		int width = 0, prec = -1;
		unsigned long u;
		long d;
		size_t n;

		if (*fmt != '%') {
			put(o, *fmt);
			continue;
		}
		fmt++;
		for (; *fmt == '-' || *fmt == '0'; fmt++) {
			if (*fmt == '-')
				left = true;
			else
				pad = '0';
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				for (prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++)
					prec = prec * 10 + (*fmt - '0');
			}
		}
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			is_long = true;
		switch (*fmt) {
		case 'd': case 'i':
			d = is_long ? va_arg(ap, long) : va_arg(ap, int);
			u = d < 0 ? (unsigned long)-d : (unsigned long)d;
			tmp[0] = '-';
			n = utoa(tmp + (d < 0), u, 10) + (d < 0);
			put_padded(o, tmp, n, width, left, pad);
			break;
		case 'u': case 'x':
			u = is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			n = utoa(tmp, u, *fmt == 'x' ? 16 : 10);
			put_padded(o, tmp, n, width, left, pad);
			break;
		case 'p':
			tmp[0] = '0';
			tmp[1] = 'x';
			n = utoa(tmp + 2, (unsigned long)va_arg(ap, void *), 16) + 2;
			put_padded(o, tmp, n, width, left, pad);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			n = strlen(s);
			if (prec >= 0 && (size_t)prec < n)
				n = (size_t)prec;
			put_padded(o, s, n, width, left, ' ');
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(o, tmp, 1, width, left, ' ');
			break;
		case '%':
			put(o, '%');
			break;
		default:
			return;
		}
	}
}

int ks__snprintf(char *buf, size_t len, const char *fmt, ...)
{
	struct out o = { buf, len, 0 };
	va_list ap;

	va_start(ap, fmt);
	vformat(&o, fmt, ap);
	va_end(ap);
	if (len)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return (int)o.pos;
}

void ks__write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void ks__dprintf(int fd, const char *fmt, ...)
{
	char buf[512];
	struct out o = { buf, sizeof(buf), 0 };
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vformat(&o, fmt, ap);
	va_end(ap);
	ks__write_all(fd, buf, o.pos < sizeof(buf) ? o.pos : sizeof(buf) - 1);
	errno = saved;
}

void ks__panic(const char *file, int line, const char *what)
{
	ks__dprintf(2, "kslab: internal error at %s:%d: %s\n", file, line, what);
	abort();
}
