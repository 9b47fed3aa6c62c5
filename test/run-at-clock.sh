#!/usr/bin/env bash
# Runs the test suite as if the clock said another time, optionally with busy CPU loops beside it.
#
#   bash test/run-at-clock.sh '2026-12-02 00:05 UTC'            # just after midnight
#   bash test/run-at-clock.sh '2026-12-02 23:58 UTC' --busy 2   # with two cores kept busy
#   bash test/run-at-clock.sh now --busy 2 -- test/ui            # extra arguments go to vitest
#
# libfaketime (Debian: apt-get install faketime) shifts the clock of a PostgreSQL of its own on
# a spare port and of the test runner and everything it starts, all by the same offset, so
# their clocks agree as on a real machine. Redis (its own too, on a spare port) keeps the real
# clock: it hangs under libfaketime, and only its stream ids and expiry times read the clock.
# The stores of the machine are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
  echo "usage: bash test/run-at-clock.sh <time, as date -d reads it, or now> [--busy N] [-- vitest arguments]" >&2
  exit 2
fi
target=$1
shift
busy=0
while [ $# -gt 0 ]; do
  case $1 in
    --busy) busy=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

libfaketime=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n1 || true)
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
[ -n "$libfaketime" ] || { echo "libfaketime is missing: apt-get install faketime" >&2; exit 1; }
[ -n "$pg_bin" ] || { echo "PostgreSQL's server binaries are missing (/usr/lib/postgresql/*/bin)" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is missing" >&2; exit 1; }

offset=0
[ "$target" = now ] || offset=$(($(date -d "$target" +%s) - $(date +%s)))

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
pg_port=$(free_port)
redis_port=$(free_port)
work=$(mktemp -d /tmp/platform-logs-clock.XXXXXX)
chmod 755 "$work"
busy_pids=()

cleanup() {
  for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  LD_PRELOAD='' redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- env LD_PRELOAD="${LD_PRELOAD:-}" FAKETIME="${FAKETIME:-}" DONT_FAKE_MONOTONIC=1 "$@"; else "$@"; fi
}
[ "$(id -u)" != 0 ] || chown postgres "$work"

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --dir "$work" --logfile "$work/redis.log"
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# an offset, not a fixed time, so every process started later agrees; timers keep the real pace
if [ "$offset" -lt 0 ]; then FAKETIME=$offset; else FAKETIME="+$offset"; fi
export LD_PRELOAD=$libfaketime FAKETIME DONT_FAKE_MONOTONIC=1
echo "clock: $(date -u '+%Y-%m-%d %H:%M:%S UTC') (offset ${offset} s); PostgreSQL on ${pg_port}, Redis on ${redis_port}; busy loops: ${busy}"

as_postgres "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust >/dev/null
as_postgres "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
  -o "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null

for _ in $(seq 1 "$busy"); do
  (while :; do :; done) &
  busy_pids+=($!)
done

DATABASE_URL="postgres://postgres@127.0.0.1:${pg_port}/postgres" REDIS_URL="redis://127.0.0.1:${redis_port}" \
  npx vitest run "$@"
