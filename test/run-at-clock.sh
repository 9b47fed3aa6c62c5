#!/usr/bin/env bash
# Runs the test suite as if the clock said another time, optionally with busy CPU loops beside it.
#
#   bash test/run-at-clock.sh '2026-12-02 00:05 UTC'            # just after midnight
#   bash test/run-at-clock.sh '2026-12-02 23:58 UTC' --busy 2   # with two cores kept busy
#   bash test/run-at-clock.sh now --busy 2 -- test/ui            # extra arguments go to vitest
#
# libfaketime (Debian: apt-get install faketime) moves the clock of the test runner and of every
# process it starts (servers, services, transport workers) by one offset, so they agree with each
# other. The product reads time from Node only: no query or migration uses the stores' clocks.
# PostgreSQL, Redis and Chromium keep the real clock, because under libfaketime PostgreSQL's
# timeouts never fire, Redis hangs and Chromium does not start.
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
[ -n "$libfaketime" ] || { echo "libfaketime is missing: apt-get install faketime" >&2; exit 1; }

offset=0
[ "$target" = now ] || offset=$(($(date -d "$target" +%s) - $(date +%s)))

work=$(mktemp -d /tmp/platform-logs-clock.XXXXXX)
busy_pids=()
cleanup() {
  for pid in "${busy_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 "$busy"); do
  (while :; do :; done) &
  busy_pids+=($!)
done

printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$@"\n' "${CHROMIUM_PATH:-/usr/bin/chromium}" > "$work/chromium"
chmod +x "$work/chromium"

# an offset, not a fixed time, so that every process started later agrees; timers keep the real pace
if [ "$offset" -lt 0 ]; then FAKETIME=$offset; else FAKETIME="+$offset"; fi
export LD_PRELOAD=$libfaketime FAKETIME DONT_FAKE_MONOTONIC=1 FAKETIME_SKIP_CMDS=postgres,initdb,pg_ctl,redis-server
export CHROMIUM_PATH=$work/chromium
echo "clock: $(date -u '+%Y-%m-%d %H:%M:%S UTC') (offset ${offset} s); busy loops: ${busy}"
npx vitest run "$@"
