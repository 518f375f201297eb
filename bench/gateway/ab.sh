#!/usr/bin/env bash
# Two hearth binaries in alternation, each proxying the same wrk load to the mock upstream as
# bench/gateway/run.sh does: requests/s and hearth's CPU per request, one line a run. The host's
# speed drifts by tens of percent over minutes, so builds compare only in such pairs.
# TTFB=1 measures instead what each adds to a streamed request's first byte over the direct
# path: both builds run at once, and each of PAIRS lines gives medians over 200 rounds of
# sequential curl requests (direct, old, new in turn, each on a new connection), then medians
# over 2000 rounds on kept-alive connections (bench/gateway/ttfb_keepalive.py).
# Usage: bench/gateway/ab.sh OLD_HEARTH NEW_HEARTH [PAIRS=3] [DURATION_S=8]   (STREAM=1: streamed)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
old="$1" new="$2" pairs="${3:-3}" dur="${4:-8}"
source "$root/bench/lib.sh"

mock_port=$(free_port)
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
wait_port "$mock_port"

one_run() {  # binary
  local port pid before after requests
  port=$(free_port)
  mock_proxy_config "$port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth.yaml"
  "$1" serve --config "$tmp/hearth.yaml" 2>/dev/null & pid=$!
  wait_port "$port"
  before=$(cpu_ticks "$pid")
  STREAM="${STREAM:-0}" wrk -t2 -c32 -d"${dur}s" -s "$root/bench/gateway/post.lua" \
    "http://127.0.0.1:$port/v1/chat/completions" > "$tmp/wrk.txt"
  after=$(cpu_ticks "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  echo "$1: $(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt") requests/s," \
    "$(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests )) µs CPU per request"
}

# "direct D ms; OLD +X ms; NEW +Y ms" from the three medians (direct, old, new).
over_direct() {
  awk -v d="$1" -v a="$2" -v b="$3" -v old="$old" -v new="$new" \
    'BEGIN {printf "direct %s ms; %s +%.3f ms; %s +%.3f ms", d, old, a - d, new, b - d}'
}

# Both builds at once, and the direct path, asked in turn request by request.
ttfb_runs() {
  local ports=() started=() binary port pid through
  for binary in "$old" "$new"; do
    port=$(free_port)
    mock_proxy_config "$port" "$mock_port" "cache: {backend: off}" > "$tmp/hearth-$port.yaml"
    "$binary" serve --config "$tmp/hearth-$port.yaml" 2>/dev/null & pid=$!; pids+=($pid)
    ports+=("$port"); started+=("$pid")
  done
  for port in "${ports[@]}"; do wait_port "$port"; done
  for _ in $(seq "$pairs"); do
    mapfile -t through < <(ttfb_medians "http://127.0.0.1:$mock_port/v1/chat/completions" \
      "http://127.0.0.1:${ports[0]}/v1/chat/completions" "http://127.0.0.1:${ports[1]}/v1/chat/completions")
    echo "first byte $(over_direct "${through[@]}")"
    mapfile -t through < <("$root/bench/gateway/ttfb_keepalive.py" 2000 "$mock_port" "${ports[@]}")
    echo "  on kept-alive connections: $(over_direct "${through[@]}")"
  done
  kill "${started[@]}"
}
if [ "${TTFB:-0}" = 1 ]; then ttfb_runs; exit 0; fi

# Pairs take turns at which build runs first: on this host the second run of a pair was seen
# to lose 1-5 µs per request to the first, whichever build it was.
for i in $(seq "$pairs"); do
  if [ $((i % 2)) = 1 ]; then one_run "$old"; one_run "$new"; else one_run "$new"; one_run "$old"; fi
done
