#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# sqlite.sh - sqlite3 building and querying an indexed table, for
# bench/compare.sh.  Modelled on sqlite's own speedtest1 (inserts, indexed
# lookups, range scans, GROUP BY, updates, deletes), shrunk to about a
# second.  The database is in memory, so sqlite's page cache and every row
# it builds come from malloc.  The preload (KSB_PRELOAD) goes to sqlite3
# only; the query results are checked against the values they must have,
# and any difference exits 1.
#
# usage: KSB_PRELOAD=/path/lib.so sqlite.sh [rows]
set -euo pipefail

rows=${1:-300000}
sqlite=${SQLITE3:-sqlite3}
command -v "$sqlite" >/dev/null || { echo "sqlite.sh: sqlite3 not found" >&2; exit 1; }

sql=$(cat <<SQL
PRAGMA cache_size = -65536;
CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, name TEXT, payload TEXT);
WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < $rows)
INSERT INTO t SELECT x, (x * 7919) % 100003, 'name-' || ((x * 104729) % 50021),
                     printf('%0*d', 20 + x % 200, x) FROM seq;
CREATE INDEX t_k ON t(k);
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(k), sum(length(payload)) FROM t;
SELECT count(*), sum(id) FROM t WHERE k BETWEEN 1000 AND 20000;
SELECT count(*) FROM (SELECT name, count(*) c FROM t GROUP BY name HAVING c > 3);
SELECT sum(a.id + b.id) FROM t a JOIN t b ON a.k = b.k WHERE a.id < 5000;
UPDATE t SET payload = payload || payload WHERE id % 10 = 0;
DELETE FROM t WHERE id % 7 = 0;
SELECT count(*), sum(length(payload)) FROM t;
SELECT name FROM t WHERE name >= 'name-4' ORDER BY name, id LIMIT 1 OFFSET 1000;
SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY k DESC, id LIMIT 5);
SQL
)

if [ -n "${KSB_PRELOAD:-}" ]; then
	out=$(LD_PRELOAD=$KSB_PRELOAD "$sqlite" -bail :memory: "$sql")
else
	out=$("$sqlite" -bail :memory: "$sql")
fi
echo "$out"
if [ "$rows" = 300000 ]; then
	want=$(cat <<'WANT'
300000|15000235069|35850000
57003|8550359586
50021
1574729991
257143|33685739
name-40172
52685,152688,252691,5367,105370
WANT
)
	if [ "$out" != "$want" ]; then
		echo "sqlite.sh: results differ from the expected ones:" >&2
		diff <(echo "$want") <(echo "$out") >&2 || true
		exit 1
	fi
	echo "METRIC sqlite.results_ok 1 bool"
fi
