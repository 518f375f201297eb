#!/usr/bin/env bash
# The local node under load, end to end:
#  1. the scheduler alone (hearth_bench_local): aggregate tokens/s and time to first token at
#     1, 4, 8 and 16 busy streams on the 135M-shape model;
#  2. the gateway's proxy throughput (wrk → hearth → mock upstream) with the engine idle and
#     with it serving 8 streaming requests over HTTP the whole time, alternately;
#  3. time to first token of closed-loop streamed requests under a latency budget
#     (TTFT_BUDGET_MS, CLIENTS, PROMPT_WORDS, THINK_MS), by the route that served them, and
#     how the local first tokens compared with admission's projections.
# Usage: bench/local/run.sh [MODEL] [WRK_SECONDS]. Prints Markdown tables. SWEEP=0 skips part 1;
# PAIRS sets part 2's idle/busy pairs; HEARTH runs another hearth binary in parts 2 and 3.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:-${HEARTH_TEST_MODELS:-$root/../shared/models}/synth-smollm2-135m-shape-Q8_0.gguf}"
dur="${2:-10}"
source "$root/bench/lib.sh"

echo "model: $(basename "$model"); $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
single=""
[ "${SWEEP:-1}" = 0 ] || echo '| streams | requests | tokens/s (all streams) | × one stream | TTFT p50 | TTFT p99 |'
[ "${SWEEP:-1}" = 0 ] || echo '|---|---|---|---|---|---|'
for n in $([ "${SWEEP:-1}" = 0 ] || echo 1 4 8 16); do
  line=$("$root/build/bench/local/hearth_bench_local" "$model" "$n" $((n * 3)) 32 64 2 64)
  tps=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['tokens_per_s'])" "$line")
  p50=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['ttft_p50_ms'])" "$line")
  p99=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['ttft_p99_ms'])" "$line")
  [ -z "$single" ] && single="$tps"
  ratio=$(python3 -c "print(f'{$tps / $single:.2f}')")
  echo "| $n | $((n * 3)) | $tps | $ratio | $p50 ms | $p99 ms |"
done

# The gateway in front of a mock upstream, with the local model beside it.
mock_port=$(free_port)
"$root/build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
wait_port "$mock_port"
# A gateway on a fresh $hearth_port with the model as local `big` (TTFT budget $1 ms) and
# the models map given as $2; returns once the model is ready.
start_hearth() {
  hearth_port=$(free_port)
  cat > "$tmp/hearth.yaml" <<CONF
server: {listen: 127.0.0.1:$hearth_port, workers: 2}
auth: {enabled: false}
cache: {backend: off}
upstreams:
  - {name: mock, kind: openai, base_url: "http://127.0.0.1:$mock_port/v1", zone: on_prem}
local:
  memory_budget: 1GiB
  latency_budget: {ttft_ms: $1}
  threads: 2
  models: [{name: big, path: "$model", context: 512, slots: 8}]
models: $2
log: {level: warn, access_log: off}
CONF
  "${HEARTH:-$root/build/hearth}" serve --config "$tmp/hearth.yaml" 2>"$tmp/hearth.log" & hearth_pid=$!; pids+=($hearth_pid)
  wait_port "$hearth_port"
  for _ in $(seq 600); do
    curl -s "127.0.0.1:$hearth_port/readyz" | grep -q '"state":"ready"' && break
    sleep 0.1
  done
}
start_hearth 60000 "[{name: bench, routes: [mock:mock]}, {name: big, routes: [local:big]}]"

proxy() {  # name → a Markdown row of wrk against the mock route; sets $rps
  # The I/O threads' CPU per request says whether the engine slows hearth's own proxying
  # (sharing caches and memory bandwidth), apart from what it takes from wrk and the mock.
  local before after requests engine_before engine_after steal_before steal_after
  before=$(cpu_ticks_named "$hearth_pid" hearth-io)
  engine_before=$(engine_ticks)
  steal_before=$(steal_ticks)
  STREAM=0 wrk -t2 -c32 -d"${dur}s" --latency -s "$root/bench/gateway/post.lua" \
    "http://127.0.0.1:$hearth_port/v1/chat/completions" > "$tmp/wrk.txt" 2>&1
  after=$(cpu_ticks_named "$hearth_pid" hearth-io)
  engine_after=$(engine_ticks)
  steal_after=$(steal_ticks)
  requests=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
  printf '| %s | %s | %s | %s | %s µs | %s | %s |\n' "$1" "$rps" \
    "$(awk '$1=="50%" {print $2}' "$tmp/wrk.txt")" "$(awk '$1=="99%" {print $2}' "$tmp/wrk.txt")" \
    "$(( (after - before) * 1000000 / $(getconf CLK_TCK) / requests ))" \
    "$(( (engine_after - engine_before) * 1000 / $(getconf CLK_TCK) )) ms" \
    "$(( (steal_after - steal_before) * 1000 / $(getconf CLK_TCK) )) ms"
}
engine_ticks() { echo $(( $(cpu_ticks_named "$hearth_pid" hearth-engine) + $(cpu_ticks_named "$hearth_pid" hearth-compute) )); }
completion_tokens() { curl -s "127.0.0.1:$hearth_port/metrics" | awk '/^hearth_local_tokens_total\{.*completion/ {print $2}'; }
# The host's speed drifts by more than the effect measured, so idle and busy alternate, PAIRS
# times (default 3), and each busy run is compared with the idle run just before it.
echo
echo '| proxy (wrk -c32 → hearth → mock) | requests/s | p50 | p99 | I/O threads CPU per request | engine CPU | host steal |'
echo '|---|---|---|---|---|---|---|'
kept=()
tokens=0
for _ in $(seq "${PAIRS:-3}"); do
  proxy "engine idle"; idle_rps="$rps"
  # Keep 8 local streams running for the whole busy measurement.
  loops=()
  for i in $(seq 8); do
    ( while :; do
        curl -s -o /dev/null "127.0.0.1:$hearth_port/v1/completions" -H 'content-type: application/json' \
          -d "{\"model\":\"big\",\"prompt\":\"stream $i\",\"max_tokens\":48,\"stream\":true}" || true
      done ) & pids+=($!); loops+=($!)
  done
  sleep 2
  before=$(completion_tokens)
  proxy "engine serving 8 streams"
  after=$(completion_tokens)
  tokens=$(python3 -c "print(int($tokens + $after - $before))")
  kept+=("$(python3 -c "print(f'{100 * $rps / $idle_rps:.1f}')")")
  # Stop the loops and their requests, so that the next idle run finds the engine idle.
  kill "${loops[@]}" 2>/dev/null || true
  pkill -f "127.0.0.1:$hearth_port/v1/completions" 2>/dev/null || true
  wait "${loops[@]}" 2>/dev/null || true
  sleep 1
done
echo
echo "busy requests/s as % of the idle run before: ${kept[*]} (median $(printf '%s\n' "${kept[@]}" | sort -n | awk '{a[NR]=$1} END {print NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'))"
echo "local tokens generated during the busy measurements: $tokens in $(( ${PAIRS:-3} * dur ))s"

# 3. The latency budget under overload: a gateway whose model `big` runs locally while its
# projected time to first token stays within TTFT_BUDGET_MS and bursts to the mock otherwise;
# CLIENTS closed-loop clients send streamed completions of ~PROMPT_WORDS words for 20 s, each
# pausing THINK_MS after every response.
kill "$hearth_pid" 2>/dev/null || true
wait "$hearth_pid" 2>/dev/null || true
budget="${TTFT_BUDGET_MS:-1000}"; clients="${CLIENTS:-16}"; words="${PROMPT_WORDS:-100}"; think="${THINK_MS:-250}"
start_hearth "$budget" "[{name: big, routes: [local:big, mock:mock]}]"
echo
echo "latency budget ${budget} ms, $clients clients, ~$words-word prompts, 32 tokens each, ${think} ms pauses, 20 s:"
echo
python3 "$root/bench/local/ttft_load.py" "$hearth_port" big "$clients" 20 "$words" 32 "$think" "$budget"
echo
# How the admitted requests' first tokens compared with admission's projections, and the
# factor admission multiplied projections by at the end.
curl -s "127.0.0.1:$hearth_port/metrics" | awk '
  /^hearth_local_ttft_over_projection_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); b = b sprintf(" <=%g: %d", le, $2) }
  /^hearth_local_ttft_factor/ { f = $2 }
  END { print "first token / projection, cumulative counts:" b; print "admission factor at the end: " f }'
