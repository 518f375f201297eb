#!/usr/bin/env bash
# Where a proxied request's CPU goes on this host, for nginx and for hearth in alternation:
# the proxy's user and system time, the mock's, and wrk's, each per request. On 2 cores all
# four share the CPUs, so requests/s follow the sum; this tells which part differs between the
# two proxies (run.sh gives the proxy's own share only).
# Usage: bench/gateway/cpu_split.sh [PAIRS=3] [DURATION_S=5]   (STREAM=1: streamed; HEARTH: binary)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pairs="${1:-3}" dur="${2:-5}"
source "$root/bench/lib.sh"

mock_port=$(free_port); nginx_port=$(free_port); hearth_port=$(free_port)
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & mock_pid=$!; pids+=($!)
nginx_proxy_config "$nginx_port" "$mock_port" "$tmp/nginx" 2
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' & nginx_pid=$!; pids+=($!)
mock_proxy_config "$hearth_port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth.yaml"
"${HEARTH:-$root/build/hearth}" serve --config "$tmp/hearth.yaml" 2>/dev/null & hearth_pid=$!; pids+=($!)
for port in "$mock_port" "$nginx_port" "$hearth_port"; do wait_port "$port"; done
sleep 0.5  # nginx's workers start
nginx_pids=("$nginx_pid" $(pgrep -P "$nginx_pid"))

# One wrk run through the proxy on port $2 (processes $3...): a line of µs per request.
measure() {  # name port pids...
  local name="$1" port="$2"; shift 2
  local user0 all0 mock0 user1 all1 mock1 requests
  user0=$(USER_ONLY=1 cpu_ticks "$@"); all0=$(cpu_ticks "$@"); mock0=$(cpu_ticks "$mock_pid")
  # bash's `time` gives wrk's user and system seconds.
  { TIMEFORMAT='%U %S'; time STREAM="${STREAM:-0}" wrk -t2 -c32 -d"${dur}s" \
      -s "$root/bench/gateway/post.lua" "http://127.0.0.1:$port/v1/chat/completions" \
      > "$tmp/wrk.txt"; } 2> "$tmp/wrk-time"
  user1=$(USER_ONLY=1 cpu_ticks "$@"); all1=$(cpu_ticks "$@"); mock1=$(cpu_ticks "$mock_pid")
  requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  read -r wrk_user wrk_sys < "$tmp/wrk-time"
  # Clock ticks are 10 ms; wrk's times are in seconds.
  awk -v n="$requests" -v u=$((user1 - user0)) -v a=$((all1 - all0)) -v m=$((mock1 - mock0)) \
    -v wu="$wrk_user" -v ws="$wrk_sys" 'BEGIN {
      tick = 1e4 / n
      printf "%d %.1f %.1f %.1f %.1f %.1f %.1f\n", n, u * tick, (a - u) * tick, m * tick,
        wu * 1e6 / n, ws * 1e6 / n, a * tick + m * tick + (wu + ws) * 1e6 / n
    }' | tee -a "$tmp/$name.runs" | show "$name"
}

# A line of measure's figures, labelled.
show() {  # name
  awk -v name="$1" '{printf "%-6s %7d requests: proxy user %.1f sys %.1f, mock %.1f, wrk user %.1f sys %.1f, all %.1f µs\n",
    name, $1, $2, $3, $4, $5, $6, $7}'
}

# The median of each column over the runs of proxy $1 (the lower middle one of an even count).
medians() {  # name
  local column values=()
  for column in 1 2 3 4 5 6 7; do
    values+=("$(cut -d' ' -f"$column" "$tmp/$1.runs" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')")
  done
  echo "${values[*]}" | show "$1"
}

for i in $(seq "$pairs"); do
  if [ $((i % 2)) = 1 ]; then
    measure nginx "$nginx_port" "${nginx_pids[@]}"; measure hearth "$hearth_port" "$hearth_pid"
  else
    measure hearth "$hearth_port" "$hearth_pid"; measure nginx "$nginx_port" "${nginx_pids[@]}"
  fi
done
echo "medians over $pairs runs each:"
medians nginx
medians hearth
paste -d' ' "$tmp/nginx.runs" "$tmp/hearth.runs" | awk '{print $8 / $1}' | sort -n |
  awk '{r[NR] = $1} END {printf "hearth/nginx requests, median of the pairs: %.3f\n", r[int((NR + 1) / 2)]}'
