#!/usr/bin/env bash
# hearth's requests/s as a share of nginx's, the two in alternation against one mock upstream:
# each of PAIRS lines is one wrk run through each (which goes first alternates), with the
# ratio; the last line is the median ratio. run.sh measures each path once, minutes apart, and
# this host's speed drifts by tens of percent over minutes; pairs a few seconds apart share it.
# Even so, medians of 9-11 pairs moved by 0.13 between runs here: rank two hearth builds with
# ab.sh, which pits them against each other.
# Usage: bench/gateway/vs_nginx.sh [PAIRS=5] [DURATION_S=6]   (STREAM=1: streamed; HEARTH: binary)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
pairs="${1:-5}" dur="${2:-6}"
source "$root/bench/lib.sh"

mock_port=$(free_port); nginx_port=$(free_port); hearth_port=$(free_port)
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
nginx_proxy_config "$nginx_port" "$mock_port" "$tmp/nginx" 2
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' & pids+=($!)
mock_proxy_config "$hearth_port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth.yaml"
"${HEARTH:-$root/build/hearth}" serve --config "$tmp/hearth.yaml" 2>/dev/null & pids+=($!)
for port in "$mock_port" "$nginx_port" "$hearth_port"; do wait_port "$port"; done

rps() {  # port
  STREAM="${STREAM:-0}" wrk -t2 -c32 -d"${dur}s" -s "$root/bench/gateway/post.lua" \
    "http://127.0.0.1:$1/v1/chat/completions" | awk '/Requests\/sec/ {print $2}'
}

for i in $(seq "$pairs"); do
  if [ $((i % 2)) = 1 ]; then nginx=$(rps "$nginx_port"); hearth=$(rps "$hearth_port")
  else hearth=$(rps "$hearth_port"); nginx=$(rps "$nginx_port"); fi
  ratio=$(awk -v h="$hearth" -v n="$nginx" 'BEGIN {printf "%.3f", h / n}')
  echo "nginx $nginx requests/s, hearth $hearth requests/s: ${ratio}x"
  echo "$ratio" >> "$tmp/ratios"
done
echo "median: $(sort -n "$tmp/ratios" | awk '{r[NR] = $1} END {print r[int((NR + 1) / 2)]}')x nginx's requests/s" \
  "(${STREAM:+streamed, }$pairs pairs of ${dur} s)"
