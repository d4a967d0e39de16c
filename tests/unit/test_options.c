// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_options.c - KSLAB_OPTIONS parsing: flags, flags with =0/=1, numbers,
 * the purge choice, debug implying poison and red zones, and unknown or
 * malformed words ignored with one line on stderr each, changing nothing;
 * "help" printing every option with its default.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "options.h"

static void t_flags_and_values(void)
{
	struct ks_options before = ks__opt;
	ks__options_parse("stats,verbose,decay_ms=250,purge=free,magazines=0,thp,nodes=3");
	CHECK(ks__opt.stats);
	CHECK(ks__opt.verbose);
	CHECK_EQ(ks__opt.decay_ms, 250);
	CHECK(ks__opt.purge_lazy);
	CHECK(!ks__opt.magazines);
	CHECK(ks__opt.thp);
	CHECK_EQ(ks__opt.nodes, 3);
	CHECK(!ks__opt.debug);
	ks__options_parse("purge=dontneed,stats=0,thp=0");
	CHECK(!ks__opt.thp);
	CHECK(!ks__opt.purge_lazy);
	CHECK(!ks__opt.stats);
	ks__opt = before;
}

static void t_debug_implies(void)
{
	ks__options_parse("debug");
	CHECK(ks__opt.debug && ks__opt.poison && ks__opt.redzone);
}

static void ignore_bad(void *arg)
{
	(void)arg;
	ks__options_parse("nosuchthing,decay_ms=abc,stats=2,purge=maybe,,verbose");
	/* the good word still took, the bad ones changed nothing */
	if (!ks__opt.verbose || ks__opt.decay_ms != 1000 || ks__opt.stats || ks__opt.purge_lazy)
		_exit(3);
	_exit(0);
}

static void t_bad_words(void)
{
	static struct harness_child ch;
	REQUIRE(harness_run_child(ignore_bad, NULL, 60, &ch));
	CHECK(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0);
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: ignoring 'nosuchthing'") != NULL);
	CHECK(strstr(ch.out, "ignoring 'decay_ms=abc'") != NULL);
	CHECK(strstr(ch.out, "ignoring 'stats=2'") != NULL);
	CHECK(strstr(ch.out, "ignoring 'purge=maybe'") != NULL);
	CHECK(strstr(ch.out, "verbose") == NULL);
}

static void run_help(void *arg)
{
	(void)arg;
	ks__options_parse("stats,help,decay_ms=7");
	/* help changes nothing else: the words around it still took */
	_exit(ks__opt.stats && ks__opt.decay_ms == 7 ? 0 : 3);
}

static void t_help(void)
{
	static struct harness_child ch;
	REQUIRE(harness_run_child(run_help, NULL, 60, &ch));
	CHECK(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0);
	CHECK(strstr(ch.out, "KSLAB_OPTIONS is a comma-separated list") != NULL);
	/* every option, with its default (not the value given beside help) */
	CHECK(strstr(ch.out, "  decay_ms   number  1000      how long free memory") != NULL);
	CHECK(strstr(ch.out, "  stats      flag    0 ") != NULL);
	CHECK(strstr(ch.out, "  magazines  flag    1 ") != NULL);
	CHECK(strstr(ch.out, "  purge      word    dontneed  ") != NULL);
	const char *names[] = { "debug", "poison", "redzone", "verbose", "thp", "nodes" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char want[32];
		snprintf(want, sizeof(want), "\n  %s ", names[i]);
		CHECK_MSG(strstr(ch.out, want) != NULL, "help lists %s", names[i]);
	}
	CHECK(strstr(ch.out, "ignoring") == NULL);
}

static const struct harness_case cases[] = {
	{ "help", t_help },
	{ "flags_and_values", t_flags_and_values },
	{ "debug_implies", t_debug_implies },
	{ "bad_words", t_bad_words },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
