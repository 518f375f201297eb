#!/usr/bin/env bash
# User-space instructions per proxied request, for hearth and for nginx, counted by valgrind's
# callgrind over the same wrk load as run.sh (a warm-up, then the counted run). Unlike CPU time
# on a shared host, the count is the same from run to run within about 1 %, so it can judge a
# change of a few percent. It leaves out the kernel's work, which is about equal for the two.
# Usage: bench/gateway/instructions.sh [HEARTH=build/hearth] [SECONDS=5]   (STREAM=1: streamed)
# NEW_CONNECTIONS=N counts instead N sequential curl requests of a streamed completion, each on
# a new connection (as ttfb_medians in bench/lib.sh asks): what a request costs with the
# connection's accept, set-up and close, and with cold caches.
# PROFILES=DIR keeps the two profiles there (DIR/hearth.callgrind, DIR/nginx.callgrind) for
# `callgrind_annotate --inclusive=yes FILE`, where a request's instructions are split by function.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
hearth="${1:-$root/build/hearth}" dur="${2:-5}"
source "$root/bench/lib.sh"
command -v valgrind >/dev/null || { echo "needs valgrind (make deps installs it)" >&2; exit 1; }

mock_port=$(free_port)
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
wait_port "$mock_port"

# Starts `$@` under callgrind with counting off, loads it, counts one run; prints the count.
count() {  # name port command...
  local name="$1" port="$2" pid requests total; shift 2
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$tmp/callgrind.out" \
    "$@" 2>"$tmp/valgrind.log" & pid=$!
  for _ in $(seq 150); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.2; done
  local url="http://127.0.0.1:$port/v1/chat/completions"
  if [ -n "${NEW_CONNECTIONS:-}" ]; then
    new_connections 20 "$url"
    callgrind_control -i on "$pid" >/dev/null 2>&1
    new_connections "$NEW_CONNECTIONS" "$url"
    requests=$NEW_CONNECTIONS
  else
    local load=(wrk -t1 -c4 -s "$root/bench/gateway/post.lua" "$url")
    STREAM="${STREAM:-0}" "${load[@]}" -d2s >/dev/null
    callgrind_control -i on "$pid" >/dev/null 2>&1
    STREAM="${STREAM:-0}" "${load[@]}" -d"${dur}s" >"$tmp/wrk.txt"
    requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  fi
  callgrind_control -i off "$pid" >/dev/null 2>&1
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  [ -z "${PROFILES:-}" ] || { mkdir -p "$PROFILES"; cp "$tmp/callgrind.out" "$PROFILES/$name.callgrind"; }
  total=$(callgrind_annotate "$tmp/callgrind.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
  echo "$((total / requests)) instructions per request ($requests requests)"
}

hearth_port=$(free_port)
mock_proxy_config "$hearth_port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth.yaml"
echo "hearth: $(count hearth "$hearth_port" "$hearth" serve --config "$tmp/hearth.yaml")"

# nginx as in run.sh, but one process, so that valgrind sees the worker.
nginx_port=$(free_port)
nginx_proxy_config "$nginx_port" "$mock_port" "$tmp/nginx" single
echo "nginx: $(count nginx "$nginx_port" nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;')"
