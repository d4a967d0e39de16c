#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# redis.sh - redis-server under the allocator being measured, driven by
# redis-benchmark over loopback, for bench/compare.sh.  The workload of
# mimalloc-bench's "redis" case: SET/GET/LPUSH/LPOP/HSET with 256-byte
# values over a 100k keyspace, a bounded number of requests, pipelined.
#
# The preload (KSB_PRELOAD) goes to redis-server only.  The server listens
# on 127.0.0.1 on a non-default port, persists nothing, and is stopped by
# its PID: SIGTERM, then SIGKILL if it lingers, on every exit path (trap).
# Checks: the server answers PING, the benchmark exits 0, a key written
# before the run reads back intact after it, and DBSIZE is non-zero.
# Prints the server's peak RSS (VmHWM) as a METRIC.
#
# usage: KSB_PRELOAD=/path/lib.so redis.sh [requests] [port]
set -euo pipefail

requests=${1:-200000}
# below Linux's ephemeral ports (32768 up): a port in that range may be
# held by a connection of the previous run, still in TIME_WAIT
port=${2:-$((20000 + $$ % 12000))}
for p in redis-server redis-benchmark redis-cli; do
	command -v $p >/dev/null || { echo "redis.sh: $p not found" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ksb-redis.XXXXXX")
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

start_server() {
	LD_PRELOAD=${KSB_PRELOAD:-} redis-server --port "$port" --bind 127.0.0.1 \
		--save '' --appendonly no --daemonize no --dir "$dir" \
		--logfile "$dir/redis.log" --protected-mode yes &
	pid=$!
}

cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
start_server
for _ in $(seq 100); do
	[ "$(cli ping 2>/dev/null || true)" = PONG ] && break
	if ! kill -0 "$pid" 2>/dev/null; then
		# someone else holds the port: take the next one (a few times)
		if grep -q "Address already in use" "$dir/redis.log" && [ "${tries:=0}" -lt 5 ]; then
			tries=$((tries + 1)) port=$((port + 1))
			start_server
			continue
		fi
		echo "redis.sh: redis-server died at start" >&2
		cat "$dir/redis.log" >&2
		exit 1
	fi
	sleep 0.05
done
[ "$(cli ping 2>/dev/null || true)" = PONG ] || { echo "redis.sh: redis-server does not answer" >&2; exit 1; }

canary=$(head -c 3000 /dev/zero | tr '\0' 'k')
cli set ksb:canary "$canary" >/dev/null
# -q still draws a progress line with carriage returns: keep the summaries.
timeout 60 redis-benchmark -h 127.0.0.1 -p "$port" -q -n "$requests" -r 100000 -d 256 -P 16 -c 20 \
	-t set,get,lpush,lpop,hset | tr '\r' '\n' | grep 'requests per second'
[ "$(cli get ksb:canary)" = "$canary" ] || { echo "redis.sh: the canary key changed" >&2; exit 1; }
n=$(cli dbsize)
[ "$n" -gt 1000 ] || { echo "redis.sh: dbsize $n after the benchmark" >&2; exit 1; }
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
echo "redis.sh: $n keys, server VmHWM ${hwm} kB"
echo "METRIC redis.server_hwm $((hwm / 1024)) MiB"
kill -0 "$pid" 2>/dev/null || { echo "redis.sh: redis-server died" >&2; exit 1; }
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
# redis-server exits 0 on SIGTERM; anything else (a crash) is a failure.
[ "$status" = 0 ] || { echo "redis.sh: redis-server exited with status $status" >&2; exit 1; }
