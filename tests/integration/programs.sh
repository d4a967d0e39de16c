#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# programs.sh - run a real program with and without kslab preloaded and
# compare what it prints, byte for byte.
#
#   programs.sh NAME      NAME: python3 sqlite3 perl bash git gcc
#
# Each workload runs three times in a fresh directory of the same path, as a
# bash script (so bash and every tool the script starts run preloaded too):
#   1. plain, without LD_PRELOAD                      -> reference
#   2. LD_PRELOAD=libkslab.so                         -> stdout, stderr and
#                                                        exit status equal
#   3. LD_PRELOAD=libkslab.so KSLAB_OPTIONS=stats     -> stdout and exit
#      status equal; stderr must hold kslab's statistics report (a line
#      starting with "kslab"), proving the preload took effect; with the
#      report lines taken out it is shown if it differs (not compared: every
#      process the script starts prints its own report).
# Exit 77 only if the program is not installed; 99 if the library is missing.
# The library: $KSLAB_PRELOAD_LIB, else ./.libs/libkslab.so (the top build
# directory, where make check runs).

name=$1
lib=${KSLAB_PRELOAD_LIB:-$(pwd)/.libs/libkslab.so}

if [ -z "$name" ]; then
	echo "usage: programs.sh NAME" >&2
	exit 99
fi
if [ ! -f "$lib" ]; then
	echo "ERROR: $lib not found (build the library first)" >&2
	exit 99
fi
case $lib in
/*) ;;
*) lib=$(pwd)/$lib ;;
esac

need() {
	if ! command -v "$1" >/dev/null 2>&1; then
		echo "SKIP: $1 is not installed"
		exit 77
	fi
}

# ---------------------------------------------------------------------------
# The workloads: each prints deterministic output on stdout.
# ---------------------------------------------------------------------------
workload_python3() {
	# the real interpreter, not a pyenv or similar shim script
	py=$(python3 -c 'import sys; print(sys.executable)') || exit 99
	cat <<SCRIPT
"$py" -c '
d = {i: str(i) * 2 for i in range(1000000)}
s = 0
for k, v in d.items():
    s = (s * 31 + k + len(v)) % (1 << 61)
print(len(d), s)
import json, sqlite3
j = json.dumps({"k%d" % i: [i, str(i), {"x": i * 1.5}] for i in range(50000)},
               sort_keys=True)
o = json.loads(j)
print(len(j), sum(v[0] for v in o.values()), o["k777"])
con = sqlite3.connect(":memory:")
con.execute("create table t(a integer primary key, b text)")
con.executemany("insert into t values(?, ?)",
                ((i, "v%d" % (i * 7 % 100003)) for i in range(100000)))
con.execute("create index tb on t(b)")
print(con.execute("select count(*), sum(a), min(b), max(b) from t").fetchone())
print(con.execute("select a from t where b = ?", ("v700",)).fetchall())
l = sorted(str(x * 2654435761 % 1000003) for x in range(200000))
print(l[0], l[-1], l[100000], sum(map(len, l)))
'
SCRIPT
}

workload_sqlite3() {
	cat <<'SCRIPT'
sqlite3 :memory: <<'SQL'
create table t(id integer primary key, k integer, v text);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)
insert into t(k, v) select (x * 7919) % 1000, printf('row-%08d', x) from c;
create index t_k on t(k);
create index t_v on t(v);
select count(*), sum(k), min(v), max(v) from t;
select k, count(*), sum(id) from t where k between 10 and 15 group by k order by k;
select count(distinct k), avg(length(v)), total(id * k) from t;
select v from t where v > 'row-00099990' order by v;
delete from t where k % 3 = 0;
select count(*), sum(id) from t;
SQL
SCRIPT
}

workload_perl() {
	cat <<'SCRIPT'
perl -e '
my %h;
for my $i (1 .. 500000) { $h{"key$i"} = $i * 2; }
my ($s, $n) = (0, 0);
for my $k (sort keys %h) { $s = ($s * 33 + $h{$k} + length $k) % 1000000007; $n++; }
my @a = map { $_ * 3 } grep { $_ % 7 } 1 .. 200000;
my $str = join ",", @a[0 .. 999];
print "$n $s ", scalar(@a), " ", length($str), "\n";
'
SCRIPT
}

workload_bash() {
	cat <<'SCRIPT'
declare -a arr
s=""
for ((i = 0; i < 30000; i++)); do
	arr+=("item$i")
	s+="${i: -1}"
done
declare -A m
for ((i = 0; i < 20000; i++)); do
	m[k$i]=$((i * i))
done
t=0
for k in "${!m[@]}"; do
	t=$(( (t + ${m[$k]}) % 1000003 ))
done
unset 'arr[5]'
joined=$(printf '%s\n' "${arr[@]}" | sort | tail -n 3 | tr '\n' ' ')
echo "${#arr[@]} ${#s} ${arr[12345]} $t ${s:100:20} $joined"
SCRIPT
}

workload_git() {
	cat <<'SCRIPT'
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="K. Slab" GIT_AUTHOR_EMAIL=kslab@example.org
export GIT_COMMITTER_NAME="K. Slab" GIT_COMMITTER_EMAIL=kslab@example.org
git -c init.defaultBranch=main init -q repo || exit 1
cd repo || exit 1
for i in $(seq 1 25); do
	export GIT_AUTHOR_DATE="$((1577836800 + i * 3600)) +0000"
	export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"
	mkdir -p "dir$((i % 4))"
	seq "$i" $((i * 400)) > "dir$((i % 4))/file$i.txt"
	printf 'line %d\n' $(seq 1 $((i * 10))) > common.txt
	git add -A
	git commit -q -m "commit $i" -m "body of commit $i" || exit 1
done
git log --stat
git -c pack.threads=1 -c gc.auto=0 gc -q || exit 1
git count-objects -v | grep -v -e size -e garbage
git fsck --no-progress && echo "fsck ok"
git rev-parse HEAD
git log --oneline | wc -l
git show --stat HEAD~3 | tail -n 3
SCRIPT
}

workload_gcc() {
	cat <<'SCRIPT'
cat > prog.c <<'EOF_C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; unsigned long v; char name[24]; };

static int cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return x < y ? -1 : x > y;
}

int main(void)
{
	enum { N = 200000 };
	char *sieve = calloc(N, 1);
	unsigned long *v = malloc(N * sizeof(*v)), sum = 0;
	struct node *list = NULL;
	int primes = 0;

	for (int i = 2; i < N; i++) {
		if (sieve[i])
			continue;
		primes++;
		for (long j = 2L * i; j < N; j += i)
			sieve[j] = 1;
	}
	for (int i = 0; i < N; i++)
		v[i] = (unsigned long)i * 2654435761u % 1000003;
	qsort(v, N, sizeof(*v), cmp);
	for (int i = 0; i < 50000; i++) {
		struct node *n = malloc(sizeof(*n));
		n->next = list;
		n->v = v[i];
		snprintf(n->name, sizeof(n->name), "node-%d", i);
		list = n;
	}
	while (list) {
		struct node *n = list;
		sum += n->v + strlen(n->name);
		list = n->next;
		free(n);
	}
	printf("primes %d min %lu max %lu sum %lu\n", primes, v[0], v[N - 1], sum);
	free(v);
	free(sieve);
	return 0;
}
EOF_C
gcc -O2 -Wall -Wextra -o prog prog.c
echo "gcc exit $?"
./prog
echo "prog exit $?"
SCRIPT
}

case $name in
python3) need python3 ;;
sqlite3) need sqlite3 ;;
perl) need perl ;;
bash) need bash ;;
git) need git; need seq ;;
gcc) need gcc ;;
*)
	echo "ERROR: unknown program $name" >&2
	exit 99
	;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kslab-prog-$name.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
"workload_$name" > "$tmp/script.sh" || exit 99

# run TAG [VAR=VALUE...]: the workload in a fresh $tmp/work, output to
# $tmp/TAG.out, $tmp/TAG.err, exit status to $tmp/TAG.rc
run() {
	tag=$1
	shift
	rm -rf "$tmp/work" "$tmp/home"
	mkdir "$tmp/work" "$tmp/home"
	(
		cd "$tmp/work" || exit 99
		env -u LD_PRELOAD -u KSLAB_OPTIONS LC_ALL=C TZ=UTC \
		    HOME="$tmp/home" PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 \
		    "$@" bash "$tmp/script.sh" > "$tmp/$tag.out" 2> "$tmp/$tag.err"
		echo $? > "$tmp/$tag.rc"
	)
}

fail=0
report() {
	echo "FAIL: $name: $*"
	fail=1
}

run plain
run preload LD_PRELOAD="$lib"
run stats LD_PRELOAD="$lib" KSLAB_OPTIONS=stats

echo "== $name: reference output (exit $(cat "$tmp/plain.rc")):"
head -n 30 "$tmp/plain.out"
if [ "$(cat "$tmp/plain.rc")" != 0 ]; then
	echo "ERROR: the workload fails without kslab:"
	cat "$tmp/plain.err"
	exit 99
fi

for tag in preload stats; do
	if ! cmp -s "$tmp/plain.rc" "$tmp/$tag.rc"; then
		report "$tag run exited $(cat "$tmp/$tag.rc"), want $(cat "$tmp/plain.rc")"
	fi
	if ! cmp -s "$tmp/plain.out" "$tmp/$tag.out"; then
		report "$tag run: stdout differs"
		diff "$tmp/plain.out" "$tmp/$tag.out" | head -n 40
	fi
done
if ! cmp -s "$tmp/plain.err" "$tmp/preload.err"; then
	report "preload run: stderr differs"
	diff "$tmp/plain.err" "$tmp/preload.err" | head -n 40
fi
if ! grep -q '^kslab' "$tmp/stats.err"; then
	report "KSLAB_OPTIONS=stats: no kslab report on stderr (was the library preloaded?)"
	head -n 20 "$tmp/stats.err"
else
	nrep=$(grep -c '^kslab' "$tmp/stats.err")
	echo "== $name: KSLAB_OPTIONS=stats: $nrep report line(s) starting with 'kslab'; first report:"
	sed -n '/^kslab/,$p' "$tmp/stats.err" | head -n 25
fi

if [ $fail = 0 ]; then
	echo "PASS: $name: identical output with and without kslab preloaded"
	exit 0
fi
for tag in plain preload stats; do
	echo "--- $tag stderr (first 40 lines) ---"
	head -n 40 "$tmp/$tag.err"
done
exit 1
