#!/usr/bin/env bash
# Cache benchmark, in one run on this machine (loopback only, bounded in time): cache-hit
# requests/s and latency through hearth with the Redis backend, next to redis-benchmark GET
# on the same Redis (values the size of a hearth entry), hearth with the in-process backend,
# and hearth proxying the same request to the gateway bench's mock upstream (cache off).
# Throughput with CONNECTIONS clients, then latency with one client. Prints Markdown.
# Usage: bench/cache/run.sh [DURATION_S] [CONNECTIONS]    (BUILD_DIR, default build/)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
dur="${1:-10}"
conns="${2:-32}"
out="$root/bench/cache/out"
mkdir -p "$out"
source "$root/bench/lib.sh"

redis_port=$(free_port); mock_port=$(free_port)
redis_hearth=$(free_port); memory_hearth=$(free_port); proxy_hearth=$(free_port)

# Redis (persistence off) and the mock upstream.
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  --logfile "$tmp/redis.log" & pids+=($!)
"$build/bench/hearth_bench_mock_upstream" "$mock_port" 1 & pids+=($!)
wait_port "$redis_port"; wait_port "$mock_port"

# Three hearths (2 workers each, auth and access log off); only one is loaded at a time.
start_hearth() {  # port cache-section
  mock_proxy_config "$1" "$mock_port" "$2" > "$tmp/hearth-$1.yaml"
  "$build/hearth" serve --config "$tmp/hearth-$1.yaml" 2>"$out/hearth-$1.log" & pids+=($!)
  wait_port "$1"
}
start_hearth "$redis_hearth" "cache: {backend: redis, redis: {url: \"redis://127.0.0.1:$redis_port/0\", timeout_ms: 20, pool_size: 2}}"
start_hearth "$memory_hearth" "cache: {backend: memory}"
start_hearth "$proxy_hearth" "cache: {backend: off}"

# Warm the two caches with the benchmark's request (the body post.lua sends) and check.
body=$(python3 -c 'f="The quick brown fox jumps over the lazy dog. "*19; print("{\"model\":\"bench\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"" + f + "\"}],\"temperature\":0}", end="")')
cache_header() {  # port [stream]
  local b="$body"; [ "${2:-0}" = 1 ] && b="${body%\}},\"stream\":true}"
  curl -s -o /dev/null -D - -H 'Content-Type: application/json' -d "$b" \
    "http://127.0.0.1:$1/v1/chat/completions" | awk -F': ' 'tolower($1)=="x-hearth-cache" {gsub("\r",""); print $2}'
}
for port in "$redis_hearth" "$memory_hearth"; do
  for _ in $(seq 50); do [ "$(cache_header "$port")" = hit ] && break; sleep 0.05; done
  [ "$(cache_header "$port")" = hit ] || { echo "hearth on $port does not hit its cache" >&2; exit 1; }
  [ "$(cache_header "$port" 1)" = hit ] || { echo "hearth on $port does not hit for streams" >&2; exit 1; }
done
key=$(redis-cli -p "$redis_port" --raw KEYS 'hearth:v1:*' | head -1)
entry_bytes=$(redis-cli -p "$redis_port" STRLEN "$key")

run_wrk() {  # name url stream threads connections
  local name="$1" url="$2" stream="$3" threads="$4" c="$5"
  STREAM="$stream" wrk -t"$threads" -c"$c" -d"${dur}s" --latency -s "$root/bench/gateway/post.lua" "$url" \
    > "$out/wrk-$name.txt" 2>&1
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk-$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/wrk-$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$out/wrk-$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $4}' "$out/wrk-$name.txt")
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

run_redis_benchmark() {  # name clients requests
  # GET of a value the size of the hearth entry (redis-benchmark SETs it first).
  redis-benchmark -p "$redis_port" -t set,get -d "$entry_bytes" -c "$2" -n "$3" --csv \
    > "$out/redis-benchmark-$1.csv" 2>&1
  awk -F'","' -v name="$1" '$1 ~ /GET/ {gsub("\"","",$0); split($0, f, ","); \
    printf "| %s | %.0f | %sms | %sms | 0 |\n", name, f[2], f[5], f[7]}' "$out/redis-benchmark-$1.csv"
}

hits_before=$(curl -s "http://127.0.0.1:$redis_hearth/metrics" | awk '$1=="hearth_cache_hits_total" {print $2}')

echo "wrk: ${dur}s, 2 threads, ~1 KB chat body (bench/gateway/post.lua); hearth: 2 workers; $(nproc) cores"
echo "cache entry: $entry_bytes bytes in Redis; redis-benchmark: GET of a $entry_bytes-byte value"
echo
echo "Throughput, $conns connections:"
echo
echo '| path | requests/s | p50 | p99 | non-2xx |'
echo '|---|---|---|---|---|'
run_redis_benchmark "redis-benchmark GET ($conns clients)" "$conns" 400000
run_wrk "hearth hit, Redis" "http://127.0.0.1:$redis_hearth/v1/chat/completions" 0 2 "$conns"
run_wrk "hearth hit, Redis (stream)" "http://127.0.0.1:$redis_hearth/v1/chat/completions" 1 2 "$conns"
run_wrk "hearth hit, in-process" "http://127.0.0.1:$memory_hearth/v1/chat/completions" 0 2 "$conns"
run_wrk "hearth → mock (cache off)" "http://127.0.0.1:$proxy_hearth/v1/chat/completions" 0 2 "$conns"
echo
echo "Latency, one connection:"
echo
echo '| path | requests/s | p50 | p99 | non-2xx |'
echo '|---|---|---|---|---|'
run_redis_benchmark "redis-benchmark GET (1 client)" 1 40000
run_wrk "hearth hit, Redis (1 conn)" "http://127.0.0.1:$redis_hearth/v1/chat/completions" 0 1 1
run_wrk "hearth hit, in-process (1 conn)" "http://127.0.0.1:$memory_hearth/v1/chat/completions" 0 1 1
run_wrk "hearth → mock (1 conn)" "http://127.0.0.1:$proxy_hearth/v1/chat/completions" 0 1 1

metrics=$(curl -s "http://127.0.0.1:$redis_hearth/metrics")
hits=$(awk '$1=="hearth_cache_hits_total" {print $2}' <<<"$metrics")
echo
echo "Redis-backed hearth during the run: $(awk -v a="$hits" -v b="$hits_before" 'BEGIN {printf "%d", a-b}') hits," \
  "bypasses: $(awk '/^hearth_cache_bypasses_total/ {s+=$2} END {print s+0}' <<<"$metrics")," \
  "errors: $(awk '/^hearth_cache_errors_total/ {s+=$2; k=$1; sub(/.*kind="/,"",k); sub(/".*/,"",k); d=d sep k "=" $2; sep=", "} \
             END {print s+0 (d ? " (" d ")" : "")}' <<<"$metrics")"
