# Shared by the bench/*/ scripts (source it after `set -euo pipefail`): a scratch folder $tmp
# and the array $pids, both cleaned up on exit, two port helpers, and processes' CPU time.
tmp="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# A TCP port on 127.0.0.1 that is free now.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits up to 10 s for something to listen on 127.0.0.1:$1.
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# CPU time (user + system, in clock ticks) of processes and all their threads. CPU per
# request is steadier than requests/s when the machine is shared, and it is what decides
# throughput when the proxy is what saturates the cores. USER_ONLY=1 counts user time only:
# the kernel's share of proxying is about the same for any proxy, the user share is its own.
cpu_ticks() {
  local p stats=()
  for p in "$@"; do stats+=(/proc/"$p"/task/*/stat); done
  sum_ticks "${stats[@]}"
}

# The same for the threads of process $1 whose name starts with $2 (hearth names its I/O
# threads hearth-io-N, the engine's hearth-engine and hearth-compute).
cpu_ticks_named() {
  local task stats=()
  for task in /proc/"$1"/task/*; do
    [[ "$(cat "$task/comm" 2>/dev/null)" == "$2"* ]] && stats+=("$task/stat")
  done
  sum_ticks "${stats[@]}"
}

# Ticks this VM's CPUs waited while the hypervisor ran something else (steal time, all CPUs).
# A run that loses speed with steal rising lost it to the host, not to what it measures.
steal_ticks() { awk '$1 == "cpu" {print $9}' /proc/stat; }

# user + system (USER_ONLY=1: user) ticks summed over /proc/…/stat files (a thread gone
# meanwhile counts 0).
sum_ticks() {
  local total=0 stat fields='$14 + $15'
  [ "${USER_ONLY:-0}" = 1 ] && fields='$14'
  for stat in "$@"; do total=$((total + $(awk "{print $fields}" "$stat" 2>/dev/null || echo 0))); done
  echo "$total"
}

# The streamed chat request the first-byte and new-connection measurements send.
streamed_request='{"model":"bench","messages":[{"role":"user","content":"hi"}],"stream":true}'

# $1 sequential streamed requests to URL $2, each on a new connection.
new_connections() {
  local i
  for i in $(seq "$1"); do
    curl -sf -o /dev/null -H 'Content-Type: application/json' -d "$streamed_request" "$2"
  done
}

# The median time to first byte of a streamed request to each URL given, in ms, one line per
# URL in their order, over $TTFB_REQUESTS (default 200) rounds of sequential curl requests, each
# on a new connection. A round asks every URL once, so that the host's drift over the minute
# this takes falls on all of them alike (measured one after the other, medians of the same
# path moved by 0.1 ms from run to run), and each round starts one URL further on, because
# where a path comes in the round was seen to move its median by 0.02-0.03 ms.
ttfb_medians() {
  local urls=("$@") i k n rounds="${TTFB_REQUESTS:-200}"
  for i in $(seq "$rounds"); do
    for k in $(seq 0 $(($# - 1))); do
      n=$(((i + k) % $# + 1))
      curl -s -o /dev/null -w "$n %{time_starttransfer}\n" -H 'Content-Type: application/json' \
        -H 'Authorization: Bearer bench' -d "$streamed_request" "${urls[n - 1]}"
    done
  done | sort -k1,1n -k2,2n | awk -v rounds="$rounds" '
    {t[$1, ++count[$1]] = $2; if ($1 > paths) paths = $1}
    END {for (p = 1; p <= paths; ++p) printf "%.3f\n", t[p, int((count[p] + 1) / 2)] * 1000}'
}

# The config of a hearth on 127.0.0.1:$1 (2 workers, auth and access log off) whose model
# `bench` routes to the mock upstream on port $2; $3 is its cache section.
mock_proxy_config() {
  cat <<CONF
server: {listen: 127.0.0.1:$1, workers: 2}
auth: {enabled: false}
upstreams:
  - {name: mock, kind: openai, base_url: "http://127.0.0.1:$2/v1", zone: on_prem}
models:
  - {name: bench, routes: [mock:mock]}
log: {level: warn, access_log: off}
$3
CONF
}

# Writes the config of nginx as a plain keep-alive reverse proxy on 127.0.0.1:$1 to the mock
# upstream on port $2, into the folder $3 (its logs and pid go there too), with $4 worker
# processes; "single" instead runs one process without a master (for valgrind).
nginx_proxy_config() {
  local workers="$4" extra=""
  if [ "$workers" = single ]; then workers=1; extra="master_process off;"; fi
  mkdir -p "$3/logs"
  cat > "$3/nginx.conf" <<CONF
$extra
worker_processes $workers;
pid $3/nginx.pid;
error_log $3/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  upstream mock { server 127.0.0.1:$2; keepalive 128; }
  server {
    listen 127.0.0.1:$1;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
CONF
}
