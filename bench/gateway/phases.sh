#!/usr/bin/env bash
# Where nginx's and hearth's time goes on a streamed request, split at its system calls:
# request read -> upstream write, the wait for the mock's answer, answer read -> first write
# to the client (bench/gateway/phases.py). Records each proxy's raw_syscalls tracepoints with
# perf (as root, or with perf_event_paranoid allowing it) while ttfb_keepalive.py asks it ROUNDS
# times on a kept-alive connection; NEW_CONNECTIONS=N instead sends N sequential curl requests,
# each on a new connection. The tracing slows every system call: compare the two proxies, not
# these figures with untraced ones.
# Usage: bench/gateway/phases.sh [ROUNDS=1000]   (HEARTH: another hearth binary)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-1000}"
source "$root/bench/lib.sh"
command -v perf >/dev/null || { echo "needs perf (Debian: linux-perf)" >&2; exit 1; }

mock_port=$(free_port); nginx_port=$(free_port); hearth_port=$(free_port)
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
wait_port "$mock_port"
mock_proxy_config "$hearth_port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth.yaml"
"${HEARTH:-$root/build/hearth}" serve --config "$tmp/hearth.yaml" 2>/dev/null & hearth_pid=$!; pids+=($!)
# One nginx process, so that one pid holds all its work.
nginx_proxy_config "$nginx_port" "$mock_port" "$tmp/nginx" single
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' & nginx_pid=$!; pids+=($!)
wait_port "$hearth_port"; wait_port "$nginx_port"

load() {  # port
  if [ -n "${NEW_CONNECTIONS:-}" ]; then
    new_connections "$NEW_CONNECTIONS" "http://127.0.0.1:$1/v1/chat/completions"
  else
    "$root/bench/gateway/ttfb_keepalive.py" "$rounds" "$1" >/dev/null
  fi
}

for proxy in nginx:$nginx_pid:$nginx_port hearth:$hearth_pid:$hearth_port; do
  IFS=: read -r name pid port <<<"$proxy"
  perf record -q -e raw_syscalls:sys_enter,raw_syscalls:sys_exit -p "$pid" -o "$tmp/$name.data" \
    2>/dev/null & recorder=$!
  sleep 1  # perf attaches
  load "$port"
  kill -INT "$recorder"; wait "$recorder" || true
  perf script -i "$tmp/$name.data" -F tid,time,event,trace --ns 2>/dev/null > "$tmp/$name.txt"
  echo "$name:"
  "$root/bench/gateway/phases.py" "$tmp/$name.txt"
done
