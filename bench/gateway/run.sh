#!/usr/bin/env bash
# Gateway benchmark: requests/s and latency of mock direct, nginx → mock and hearth → mock
# (non-stream and stream), time to first byte of a stream direct, through nginx and hearth (on
# new connections and on kept-alive ones), and hearth's RSS. All on this machine, loopback only,
# bounded in time. Prints a Markdown table.
# Usage: bench/gateway/run.sh [DURATION_S] [CONNECTIONS]   (HEARTH: another hearth binary)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dur="${1:-10}"
conns="${2:-32}"
out="$root/bench/gateway/out"
mkdir -p "$out"
source "$root/bench/lib.sh"

mock_port=$(free_port); nginx_port=$(free_port); hearth_port=$(free_port)

# The mock upstream.
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
wait_port "$mock_port"

# nginx as a plain keep-alive reverse proxy, two workers like hearth's two threads.
nginx_proxy_config "$nginx_port" "$mock_port" "$tmp/nginx" 2
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' & nginx_pid=$!; pids+=($nginx_pid)
wait_port "$nginx_port"

# hearth in front of the same mock.
# post.lua is deterministic: the cache is off to measure proxying, not cache hits.
mock_proxy_config "$hearth_port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth.yaml"
"${HEARTH:-$root/build/hearth}" serve --config "$tmp/hearth.yaml" 2>"$out/hearth.log" & hearth_pid=$!; pids+=($hearth_pid)
wait_port "$hearth_port"
idle_rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$hearth_pid/status)

run_wrk() {  # name url stream [pids whose CPU per request to report]
  local name="$1" url="$2" stream="$3"; shift 3
  local before after user_before user_after
  before=$(cpu_ticks "$@"); user_before=$(USER_ONLY=1 cpu_ticks "$@")
  STREAM="$stream" wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$root/bench/gateway/post.lua" "$url" \
    > "$out/wrk-$name.txt" 2>&1
  after=$(cpu_ticks "$@"); user_after=$(USER_ONLY=1 cpu_ticks "$@")
  local rps p50 p99 non2xx requests cpu="–"
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/wrk-$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$out/wrk-$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $4}' "$out/wrk-$name.txt")
  requests=$(awk '/requests in/ {print $1}' "$out/wrk-$name.txt")
  if [ $# -gt 0 ] && [ "${requests:-0}" -gt 0 ]; then
    cpu="$(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests )) µs ($(( (user_after - user_before) * 1000000 / $(getconf CLK_TCK) / requests )) user)"
  fi
  printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "$cpu"
}

echo "wrk: ${dur}s, $conns connections, 2 threads, ~1 KB chat body; $(nproc) cores"
echo
echo '| path | requests/s | p50 | p99 | non-2xx | proxy CPU per request (of it user) |'
echo '|---|---|---|---|---|---|'
run_wrk "mock direct" "http://127.0.0.1:$mock_port/v1/chat/completions" 0
nginx_pids=("$nginx_pid" $(pgrep -P "$nginx_pid"))
run_wrk "nginx → mock" "http://127.0.0.1:$nginx_port/v1/chat/completions" 0 "${nginx_pids[@]}"
run_wrk "hearth → mock" "http://127.0.0.1:$hearth_port/v1/chat/completions" 0 "$hearth_pid"
run_wrk "mock direct (stream)" "http://127.0.0.1:$mock_port/v1/chat/completions" 1
run_wrk "nginx → mock (stream)" "http://127.0.0.1:$nginx_port/v1/chat/completions" 1 "${nginx_pids[@]}"
run_wrk "hearth → mock (stream)" "http://127.0.0.1:$hearth_port/v1/chat/completions" 1 "$hearth_pid"
peak_rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$hearth_pid/status)
echo
before_nginx=$(cpu_ticks "${nginx_pids[@]}"); before_hearth=$(cpu_ticks "$hearth_pid")
mapfile -t ttfb < <(ttfb_medians "http://127.0.0.1:$mock_port/v1/chat/completions" \
  "http://127.0.0.1:$nginx_port/v1/chat/completions" "http://127.0.0.1:$hearth_port/v1/chat/completions")
requests=${TTFB_REQUESTS:-200}
nginx_cold_us=$(( ($(cpu_ticks "${nginx_pids[@]}") - before_nginx) * 1000000 / $(getconf CLK_TCK) / requests ))
hearth_cold_us=$(( ($(cpu_ticks "$hearth_pid") - before_hearth) * 1000000 / $(getconf CLK_TCK) / requests ))
direct_ttfb=${ttfb[0]} nginx_ttfb=${ttfb[1]} hearth_ttfb=${ttfb[2]}
echo "stream time to first byte (medians of ${requests} rounds of curl, the three paths in turn): direct ${direct_ttfb} ms, through nginx ${nginx_ttfb} ms, through hearth ${hearth_ttfb} ms"
# One request per new connection, a curl process between them: the proxies' caches are cold,
# and the CPU each spends on a request is what it adds to the time to first byte.
echo "proxy CPU per request during those runs: nginx ${nginx_cold_us} µs, hearth ${hearth_cold_us} µs"
# As an SDK's connection pool asks: each path over one kept-alive connection.
mapfile -t kept < <("$root/bench/gateway/ttfb_keepalive.py" 2000 "$mock_port" "$nginx_port" "$hearth_port")
echo "stream time to first byte on kept-alive connections (medians of 2000 rounds, the three paths in turn): direct ${kept[0]} ms, through nginx ${kept[1]} ms, through hearth ${kept[2]} ms"
echo "hearth RSS: idle $((idle_rss_kb / 1024)) MiB, peak $((peak_rss_kb / 1024)) MiB"
