#!/usr/bin/env bash
# hearth's requests/s as a share of nginx's, the two in alternation against one mock upstream:
# each of PAIRS lines is one wrk run through each (which goes first alternates), with the
# ratio; the last line is the median ratio. run.sh measures each path once, minutes apart, and
# this host's speed drifts by tens of percent over minutes; pairs a few seconds apart share it.
# Even so, medians of 9-11 pairs moved by 0.13 between runs here: rank two hearth builds with
# ab.sh, which pits them against each other.
# SPLIT=1 also splits each run's CPU per request between the proxy (user, system), the mock and
# wrk, and ends with each column's median per proxy: on 2 cores the four share the CPUs, so
# requests/s follow their sum, and this shows which part differs (run.sh gives the proxy's only).
# Usage: bench/gateway/vs_nginx.sh [PAIRS=5] [DURATION_S=6]   (STREAM=1: streamed; HEARTH: binary)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pairs="${1:-5}" dur="${2:-6}"
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
us_per_tick=$((1000000 / $(getconf CLK_TCK)))

# One wrk run through `name`'s proxy (processes $3...): prints its requests/s; with SPLIT=1,
# appends "requests user system mock wrk_user wrk_system all" (µs per request) to $tmp/name.split.
run() {  # name port pids...
  local name="$1" port="$2"; shift 2
  local user0 all0 mock0
  user0=$(USER_ONLY=1 cpu_ticks "$@"); all0=$(cpu_ticks "$@"); mock0=$(cpu_ticks "$mock_pid")
  # bash's `time` gives wrk's user and system seconds.
  { TIMEFORMAT='%U %S'; time STREAM="${STREAM:-0}" wrk -t2 -c32 -d"${dur}s" \
      -s "$root/bench/gateway/post.lua" "http://127.0.0.1:$port/v1/chat/completions" \
      > "$tmp/wrk.txt"; } 2> "$tmp/wrk-time"
  if [ "${SPLIT:-0}" = 1 ]; then
    read -r wrk_user wrk_sys < "$tmp/wrk-time"
    awk -v n="$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")" -v tick="$us_per_tick" \
      -v u=$(($(USER_ONLY=1 cpu_ticks "$@") - user0)) -v a=$(($(cpu_ticks "$@") - all0)) \
      -v m=$(($(cpu_ticks "$mock_pid") - mock0)) -v wu="$wrk_user" -v ws="$wrk_sys" 'BEGIN {
        t = tick / n; wu *= 1e6 / n; ws *= 1e6 / n
        printf "%d %.1f %.1f %.1f %.1f %.1f %.1f\n", n, u * t, (a - u) * t, m * t, wu, ws,
          a * t + m * t + wu + ws
      }' >> "$tmp/$name.split"
  fi
  awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt"
}

# Lines of `run`'s split figures on stdin, labelled with proxy $1.
label() {  # name
  awk -v name="$1" '{printf "  %-6s %7d requests: proxy user %.1f system %.1f, mock %.1f, wrk user %.1f system %.1f, all %.1f µs\n",
    name, $1, $2, $3, $4, $5, $6, $7}'
}

# The median of each column of file $1 (the lower middle one of an even count), as one line.
column_medians() {  # file
  local column values=()
  for column in 1 2 3 4 5 6 7; do
    values+=("$(cut -d' ' -f"$column" "$1" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')")
  done
  echo "${values[*]}"
}

for i in $(seq "$pairs"); do
  if [ $((i % 2)) = 1 ]; then
    nginx=$(run nginx "$nginx_port" "${nginx_pids[@]}"); hearth=$(run hearth "$hearth_port" "$hearth_pid")
  else
    hearth=$(run hearth "$hearth_port" "$hearth_pid"); nginx=$(run nginx "$nginx_port" "${nginx_pids[@]}")
  fi
  ratio=$(awk -v h="$hearth" -v n="$nginx" 'BEGIN {printf "%.3f", h / n}')
  echo "nginx $nginx requests/s, hearth $hearth requests/s: ${ratio}x"
  echo "$ratio" >> "$tmp/ratios"
  if [ "${SPLIT:-0}" = 1 ]; then
    tail -1 "$tmp/nginx.split" | label nginx; tail -1 "$tmp/hearth.split" | label hearth
  fi
done
echo "median: $(sort -n "$tmp/ratios" | awk '{r[NR] = $1} END {print r[int((NR + 1) / 2)]}')x nginx's requests/s" \
  "(${STREAM:+streamed, }$pairs pairs of ${dur} s)"
if [ "${SPLIT:-0}" = 1 ]; then
  echo "medians of the CPU split, µs per request:"
  column_medians "$tmp/nginx.split" | label nginx
  column_medians "$tmp/hearth.split" | label hearth
fi
