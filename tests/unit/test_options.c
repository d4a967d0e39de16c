// SPDX-License-Identifier: BSD-2-Clause
/*
 * test_options.c - KSLAB_OPTIONS parsing: flags, flags with =0/=1, numbers,
 * the purge choice, debug implying poison and red zones, unknown or
 * malformed words ignored with one line on stderr each (naming the options,
 * or what the option takes), changing nothing; numbers clamped with a line;
 * "help" printing every option with its default.
 */
#include "../harness/harness.h"
#include "internal.h"
#include "options.h"

static void t_flags_and_values(void)
{
	struct ks_options before = ks__opt;
	ks__options_parse("stats,verbose,decay_ms=250,purge=free,magazines=0,thp,nodes=3");
	CHECK_EQ(ks__opt.stats, KS_STATS_TEXT);
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
	ks__options_parse("stats=json,stats_file=/tmp/r.%p.json");
	CHECK_EQ(ks__opt.stats, KS_STATS_JSON);
	CHECK_STREQ(ks__opt.stats_file, "/tmp/r.%p.json");
	char spelled[400];
	ks__options_format(spelled, sizeof(spelled));
	CHECK(strstr(spelled, "stats=json,stats_file=/tmp/r.%p.json,debug=0,") == spelled);
	ks__options_parse("stats=text");
	CHECK_EQ(ks__opt.stats, KS_STATS_TEXT);
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
	ks__options_parse("nosuchthing,decay_ms=abc,stats=2,thp=2,purge=maybe,,verbose");
	/* the good word still took, the bad ones changed nothing */
	if (!ks__opt.verbose || ks__opt.decay_ms != 1000 || ks__opt.stats || ks__opt.purge_lazy ||
	    ks__opt.thp)
		_exit(3);
	_exit(0);
}

static void t_bad_words(void)
{
	static struct harness_child ch;
	REQUIRE(harness_run_child(ignore_bad, NULL, 60, &ch));
	CHECK(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0);
	/* an unknown word names the options; a bad value, what its option takes */
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: ignoring 'nosuchthing': no such option "
			     "(options: stats stats_file debug poison redzone strict track log leaks verbose "
			     "magazines thp live "
			     "decay_ms nodes purge help)\n") != NULL);
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: ignoring 'decay_ms=abc': decay_ms takes "
			     "a number from 0 to 3600000\n") != NULL);
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: ignoring 'stats=2': stats takes 0, 1, "
			     "text or json\n") != NULL);
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: ignoring 'thp=2': thp takes 0 or 1 "
			     "(or the name alone for 1)\n") != NULL);
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: ignoring 'purge=maybe': purge takes "
			     "dontneed or free\n") != NULL);
	CHECK(strstr(ch.out, "'verbose'") == NULL);
}

static void clamp_big(void *arg)
{
	(void)arg;
	ks__options_parse("nodes=100,decay_ms=99999999999");
	_exit(ks__opt.nodes == KS_MAX_NODES && ks__opt.decay_ms == 3600000 ? 0 : 3);
}

/* A number above its option's maximum is clamped, and the line says so. */
static void t_clamped(void)
{
	static struct harness_child ch;
	REQUIRE(harness_run_child(clamp_big, NULL, 60, &ch));
	CHECK(WIFEXITED(ch.status) && WEXITSTATUS(ch.status) == 0);
	CHECK(strstr(ch.out, "kslab: KSLAB_OPTIONS: nodes=100 is above its maximum: using 8\n")
	      != NULL);
	CHECK(strstr(ch.out, "decay_ms=99999999999 is above its maximum: using 3600000\n")
	      != NULL);
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
	CHECK(strstr(ch.out, "  stats      word    0 ") != NULL);
	CHECK(strstr(ch.out, "  stats_file path    -         ") != NULL);
	CHECK(strstr(ch.out, "  magazines  flag    1 ") != NULL);
	CHECK(strstr(ch.out, "  purge      word    dontneed  ") != NULL);
	const char *names[] = { "debug", "poison", "redzone", "strict", "verbose", "thp", "nodes" };
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
	{ "clamped", t_clamped },
};

int main(int argc, char **argv)
{
	return harness_main(argc, argv, cases, HARNESS_NCASES(cases));
}
