#!/bin/sh
# idle-rss.sh BINARY [SECONDS...]: RSS of an idle Hanbox on an empty SQLite
# store after its first start (which creates the first admin: one argon2id
# hash) and one login (another), sampled from /proc/PID/status at the given
# seconds after the login (default 4 20 60). Loopback only; the data
# directory is a fresh temp dir, removed at the end. Prints one line:
#   start=<kB before login> t4=<kB> t20=<kB> t60=<kB> heap=<MiB in use at the end>
set -e
bin=${1:?usage: idle-rss.sh BINARY [SECONDS...]}; shift
[ $# -gt 0 ] || set -- 4 20 60
d=$(mktemp -d); port=$((30000 + $$ % 20000))
HANBOX_DATA=$d HANBOX_ADDR=127.0.0.1:$port HANBOX_LOG_LEVEL=error HANBOX_ADMIN_EMAIL=admin@example.com \
  HANBOX_ADMIN_PASSWORD='correct horse battery' "$bin" serve & pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$d"' EXIT
until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
out="start=$(rss)"
curl -sf -o /dev/null -H 'Content-Type: application/json' \
  -d '{"email":"admin@example.com","password":"correct horse battery"}' "http://127.0.0.1:$port/api/v1/auth/login"
t0=$(date +%s)
for s in "$@"; do
  while [ $(( $(date +%s) - t0 )) -lt "$s" ]; do sleep 0.2; done
  out="$out t$s=$(rss)"
done
heap=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '/^go_memstats_heap_inuse_bytes/ {printf "%.1f", $2/1048576}')
echo "$out heap=${heap}MiB"
