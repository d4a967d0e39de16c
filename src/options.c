// SPDX-License-Identifier: BSD-2-Clause
/*
 * options.c - KSLAB_OPTIONS: one table that is both the parser's input and
 * the documentation (libumem's envvar.c, mimalloc's options.c).
 *
 * The string is a comma-separated list of words, each a flag ("stats") or
 * a key=value pair ("decay_ms=500"); flags also take =0 or =1.  It is read
 * once at boot with getenv, which does not allocate, and parsed in place
 * without malloc or stdio.  An unknown word gets one line on stderr and is
 * otherwise ignored: a typo must not change how the program runs.  The
 * word "help" prints the table, each option with its kind, its default
 * and its line of documentation, to stderr, and the program runs on.
 */
#include "options.h"
#include <string.h>

struct ks_options ks__opt = {
	.magazines = true,
	.thp = false,
	.decay_ms = 1000,
};

enum opt_kind { OPT_FLAG, OPT_ULONG, OPT_PURGE };

static const struct opt_desc {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	const char *doc;
} opt_table[] = {
	{ "stats", OPT_FLAG, offsetof(struct ks_options, stats),
	  "print statistics and a slabinfo table to stderr at exit" },
	{ "debug", OPT_FLAG, offsetof(struct ks_options, debug),
	  "poison, red zones, double and invalid free checks on every kmalloc cache" },
	{ "poison", OPT_FLAG, offsetof(struct ks_options, poison),
	  "poison free objects of every kmalloc cache" },
	{ "redzone", OPT_FLAG, offsetof(struct ks_options, redzone),
	  "red zones around objects of every kmalloc cache" },
	{ "verbose", OPT_FLAG, offsetof(struct ks_options, verbose),
	  "report allocation failures on stderr" },
	{ "magazines", OPT_FLAG, offsetof(struct ks_options, magazines),
	  "per-thread magazines (magazines=0 sends everything to the slabs)" },
	{ "thp", OPT_FLAG, offsetof(struct ks_options, thp),
	  "transparent huge pages for a heap past 64 MiB and for buffers realloc "
	  "grows past 32 MiB (off by default)" },
	{ "decay_ms", OPT_ULONG, offsetof(struct ks_options, decay_ms),
	  "how long free memory stays before it goes back to the OS" },
	{ "nodes", OPT_ULONG, offsetof(struct ks_options, nodes),
	  "slab nodes, each with its own slabs and depots (default: one per CPU, at most 8)" },
	{ "purge", OPT_PURGE, offsetof(struct ks_options, purge_lazy),
	  "dontneed (default) or free: the madvise used to give memory back" },
};

static void print_value(const struct opt_desc *o, const struct ks_options *from,
			char *buf, size_t len)
{
	const char *field = (const char *)from + o->offset;

	switch (o->kind) {
	case OPT_FLAG:
		ks__snprintf(buf, len, "%d", *(const bool *)field);
		break;
	case OPT_ULONG:
		ks__snprintf(buf, len, "%lu", *(const unsigned long *)field);
		break;
	case OPT_PURGE:
		ks__snprintf(buf, len, "%s", *(const bool *)field ? "free" : "dontneed");
		break;
	}
}

/* KSLAB_OPTIONS=help: the table, with the defaults in DEFAULTS. */
static void print_help(const struct ks_options *defaults)
{
	static const char *const kind_text[] = {
		[OPT_FLAG] = "flag", [OPT_ULONG] = "number", [OPT_PURGE] = "word",
	};
	char val[24];

	ks__dprintf(2, "kslab %s: KSLAB_OPTIONS is a comma-separated list of these "
		    "(a flag alone means =1):\n", KSLAB_VERSION);
	ks__dprintf(2, "  %-10s %-7s %-9s %s\n", "option", "kind", "default", "meaning");
	for (size_t i = 0; i < KS_ARRAY_SIZE(opt_table); i++) {
		const struct opt_desc *o = &opt_table[i];
		print_value(o, defaults, val, sizeof(val));
		ks__dprintf(2, "  %-10s %-7s %-9s %s\n", o->name, kind_text[o->kind], val,
			    o->doc);
	}
}

static bool word_is(const char *w, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(w, name, len) == 0;
}

static bool parse_ulong(const char *s, size_t len, unsigned long *out)
{
	unsigned long v = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return true;
}

static bool apply(const struct opt_desc *o, const char *val, size_t vlen)
{
	char *field = (char *)&ks__opt + o->offset;
	unsigned long v = 1;

	switch (o->kind) {
	case OPT_FLAG:
		if (val && (!parse_ulong(val, vlen, &v) || v > 1))
			return false;
		*(bool *)field = v != 0;
		return true;
	case OPT_ULONG:
		if (!val || !parse_ulong(val, vlen, &v))
			return false;
		*(unsigned long *)field = v;
		return true;
	case OPT_PURGE:
		if (val && word_is(val, vlen, "free"))
			*(bool *)field = true;
		else if (val && word_is(val, vlen, "dontneed"))
			*(bool *)field = false;
		else
			return false;
		return true;
	}
	return false;
}

static void parse_word(const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t klen = eq ? (size_t)(eq - w) : len;

	for (size_t i = 0; i < KS_ARRAY_SIZE(opt_table); i++) {
		if (!word_is(w, klen, opt_table[i].name))
			continue;
		if (apply(&opt_table[i], eq ? eq + 1 : NULL, eq ? len - klen - 1 : 0))
			return;
		break;
	}
	ks__dprintf(2, "kslab: KSLAB_OPTIONS: ignoring '%.*s'\n", (int)len, w);
}

void ks__options_parse(const char *s)
{
	const struct ks_options defaults = ks__opt;
	bool help = false;

	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (word_is(s, len, "help"))
			help = true;
		else if (len)
			parse_word(s, len);
		s = end ? end + 1 : NULL;
	}
	if (help)
		print_help(&defaults);
	if (ks__opt.debug)
		ks__opt.poison = ks__opt.redzone = true;
}
