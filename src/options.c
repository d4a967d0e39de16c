// SPDX-License-Identifier: BSD-2-Clause
/*
 * options.c - KSLAB_OPTIONS: one table that is both the parser's input and
 * the documentation (libumem's envvar.c, mimalloc's options.c).
 *
 * The string is a comma-separated list of words, each a flag ("stats") or
 * a key=value pair ("decay_ms=500"); flags also take =0 or =1.  It is read
 * once at boot with getenv, which does not allocate, and parsed in place
 * without malloc or stdio.  A word that names no option, or gives an
 * option a value it does not take, gets one line on stderr (naming the
 * options, or the values the option takes) and is otherwise ignored: a
 * typo must not change how the program runs.  A number above its option's
 * maximum is clamped, and says so.  Set-user-ID and set-group-ID programs
 * do not read the variable at all (init.c reads it with secure_getenv), so
 * that a user cannot make a privileged program write reports.  The
 * word "help" prints the table, each option with its kind, its default
 * and its line of documentation, to stderr, and the program runs on.
 */
#include "options.h"
#include <limits.h>
#include <string.h>

struct ks_options ks__opt = {
	.magazines = true,
	.live = true,
	.thp = false,
	.decay_ms = 1000,
};

enum opt_kind { OPT_FLAG, OPT_ULONG, OPT_PURGE, OPT_STATS, OPT_PATH };

static const struct opt_desc {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	const char *doc;
	unsigned long max;           /* OPT_ULONG: larger values are clamped */
} opt_table[] = {
	{ "stats", OPT_STATS, offsetof(struct ks_options, stats),
	  "at exit, a report: text (stats or stats=1) or json (stats=json)", 0 },
	{ "stats_file", OPT_PATH, offsetof(struct ks_options, stats_file),
	  "write the report to this file (%p: the pid; -: stderr)", 0 },
	{ "debug", OPT_FLAG, offsetof(struct ks_options, debug),
	  "poison, red zones, double and invalid free checks on every kmalloc cache", 0 },
	{ "poison", OPT_FLAG, offsetof(struct ks_options, poison),
	  "poison free objects of every kmalloc cache", 0 },
	{ "redzone", OPT_FLAG, offsetof(struct ks_options, redzone),
	  "red zones around objects of every kmalloc cache", 0 },
	{ "strict", OPT_FLAG, offsetof(struct ks_options, strict),
	  "every free of a small block takes the checked way (a pointer into the "
	  "middle of an object is reported); frees cost more", 0 },
	{ "track", OPT_FLAG, offsetof(struct ks_options, track),
	  "record who allocated and who freed each block (its caller and "
	  "thread); misuse reports name them", 0 },
	{ "log", OPT_ULONG, offsetof(struct ks_options, log),
	  "keep the last N allocations and frees (implies track); a misuse "
	  "report lists the pointer's", 1ul << 20 },
	{ "leaks", OPT_FLAG, offsetof(struct ks_options, leaks),
	  "at exit, the blocks still allocated, grouped by the caller that "
	  "allocated them (implies track)", 0 },
	{ "verbose", OPT_FLAG, offsetof(struct ks_options, verbose),
	  "report allocation failures on stderr", 0 },
	{ "magazines", OPT_FLAG, offsetof(struct ks_options, magazines),
	  "per-thread magazines (magazines=0 sends everything to the slabs)", 0 },
	{ "thp", OPT_FLAG, offsetof(struct ks_options, thp),
	  "transparent huge pages for a heap past 64 MiB and for buffers realloc "
	  "grows past 32 MiB (off by default)", 0 },
	{ "live", OPT_FLAG, offsetof(struct ks_options, live),
	  "publish the caches for kslab info and kslab top (a memfd)", 0 },
	{ "decay_ms", OPT_ULONG, offsetof(struct ks_options, decay_ms),
	  "how long free memory stays before it goes back to the OS (ms)", 3600000 },
	{ "nodes", OPT_ULONG, offsetof(struct ks_options, nodes),
	  "slab nodes, each with its own slabs and depots (0: one per CPU)", KS_MAX_NODES },
	{ "purge", OPT_PURGE, offsetof(struct ks_options, purge_lazy),
	  "dontneed (default) or free: the madvise used to give memory back", 0 },
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
	case OPT_STATS: {
		static const char *const names[] = { "0", "text", "json" };
		ks__snprintf(buf, len, "%s", names[*(const unsigned *)field % 3]);
		break;
	}
	case OPT_PATH:
		ks__snprintf(buf, len, "%s", *field ? field : "-");
		break;
	}
}

/* KSLAB_OPTIONS=help: the table, with the defaults in DEFAULTS. */
static void print_help(const struct ks_options *defaults)
{
	static const char *const kind_text[] = {
		[OPT_FLAG] = "flag", [OPT_ULONG] = "number", [OPT_PURGE] = "word",
		[OPT_STATS] = "word", [OPT_PATH] = "path",
	};
	char val[KS_STATS_FILE_MAX];

	ks__dprintf(2, "kslab %s: KSLAB_OPTIONS is a comma-separated list of these "
		    "(a flag alone means =1):\n", KSLAB_VERSION);
	ks__dprintf(2, "  %-10s %-7s %-9s %s\n", "option", "kind", "default", "meaning");
	for (size_t i = 0; i < KS_ARRAY_SIZE(opt_table); i++) {
		const struct opt_desc *o = &opt_table[i];
		print_value(o, defaults, val, sizeof(val));
		if (o->kind == OPT_ULONG)
			ks__dprintf(2, "  %-10s %-7s %-9s %s [0..%lu]\n", o->name,
				    kind_text[o->kind], val, o->doc, o->max);
		else
			ks__dprintf(2, "  %-10s %-7s %-9s %s\n", o->name, kind_text[o->kind],
				    val, o->doc);
	}
}

static bool word_is(const char *w, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(w, name, len) == 0;
}

/* A decimal number; one too big for unsigned long reads as ULONG_MAX (the
 * option's maximum then clamps it). */
static bool parse_ulong(const char *s, size_t len, unsigned long *out)
{
	unsigned long v = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9)
			return false;
		v = v > (ULONG_MAX - d) / 10 ? ULONG_MAX : v * 10 + d;
	}
	*out = v;
	return true;
}

/* Set option O from VAL (VLEN bytes; NULL if the word had no '='); false
 * if the value is not one O takes, and O is left alone. */
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
		if (v > o->max) {
			ks__dprintf(2, "kslab: KSLAB_OPTIONS: %s=%.*s is above its maximum: "
				    "using %lu\n", o->name, (int)vlen, val, o->max);
			v = o->max;
		}
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
	case OPT_STATS:
		if (!val || word_is(val, vlen, "1") || word_is(val, vlen, "text"))
			*(unsigned *)field = KS_STATS_TEXT;
		else if (word_is(val, vlen, "json"))
			*(unsigned *)field = KS_STATS_JSON;
		else if (word_is(val, vlen, "0"))
			*(unsigned *)field = KS_STATS_OFF;
		else
			return false;
		return true;
	case OPT_PATH:                 /* "-": standard error */
		if (!val || vlen == 0 || vlen >= KS_STATS_FILE_MAX)
			return false;
		memcpy(field, val, vlen);
		field[word_is(val, vlen, "-") ? 0 : vlen] = '\0';
		return true;
	}
	return false;
}

/* The one line for a value O does not take. */
static void bad_value(const struct opt_desc *o, const char *w, size_t len)
{
	char want[64];

	switch (o->kind) {
	case OPT_FLAG:
		ks__snprintf(want, sizeof(want), "0 or 1 (or the name alone for 1)");
		break;
	case OPT_ULONG:
		ks__snprintf(want, sizeof(want), "a number from 0 to %lu", o->max);
		break;
	case OPT_PURGE:
		ks__snprintf(want, sizeof(want), "dontneed or free");
		break;
	case OPT_STATS:
		ks__snprintf(want, sizeof(want), "0, 1, text or json");
		break;
	case OPT_PATH:
		ks__snprintf(want, sizeof(want), "a path of 1 to %d bytes", KS_STATS_FILE_MAX - 1);
		break;
	}
	ks__dprintf(2, "kslab: KSLAB_OPTIONS: ignoring '%.*s': %s takes %s\n", (int)len, w,
		    o->name, want);
}

/* The one line for a word that names no option, with the names there are. */
static void unknown_word(const char *w, size_t len)
{
	char names[160];
	int n = 0;

	for (size_t i = 0; i < KS_ARRAY_SIZE(opt_table); i++)
		n += ks__snprintf(names + n, sizeof(names) - (size_t)n, "%s ", opt_table[i].name);
	ks__dprintf(2, "kslab: KSLAB_OPTIONS: ignoring '%.*s': no such option (options: "
		    "%shelp)\n", (int)len, w, names);
}

static void parse_word(const char *w, size_t len)
{
	const char *eq = memchr(w, '=', len);
	size_t klen = eq ? (size_t)(eq - w) : len;

	for (size_t i = 0; i < KS_ARRAY_SIZE(opt_table); i++) {
		if (!word_is(w, klen, opt_table[i].name))
			continue;
		if (!apply(&opt_table[i], eq ? eq + 1 : NULL, eq ? len - klen - 1 : 0))
			bad_value(&opt_table[i], w, len);
		return;
	}
	unknown_word(w, len);
}

void ks__options_format(char *buf, size_t len)
{
	char val[KS_STATS_FILE_MAX];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < KS_ARRAY_SIZE(opt_table) && n < len; i++) {
		print_value(&opt_table[i], &ks__opt, val, sizeof(val));
		n += (size_t)ks__snprintf(buf + n, len - n, "%s%s=%s", i ? "," : "",
					  opt_table[i].name, val);
	}
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
	if (ks__opt.log || ks__opt.leaks)
		ks__opt.track = true;
}
