#!/usr/bin/env bash
# The command line contract: --help, a bad config → FILE:LINE:COL and exit 1, a taken port →
# one clear line and exit 1, SIGTERM → drain and exit 0. Usage: cli_test.sh PATH/TO/hearth
set -uo pipefail
hearth="$1"
source "$(dirname "$0")/lib.sh"

"$hearth" --help > "$tmp/help.txt" 2>&1
check "--help exits 0" $?
grep -q "serve" "$tmp/help.txt"; check "--help lists serve" $?

printf 'server:\n  listen: 127.0.0.1:0\n  header_timeout: soon\n' > "$tmp/bad.yaml"
"$hearth" serve --config "$tmp/bad.yaml" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "bad config exits 1" $(( $? == 1 ? 0 : 1 ))
grep -q "^$tmp/bad.yaml:3:19: server.header_timeout: invalid duration" "$tmp/err.txt"
check "bad config error names FILE:LINE:COL" $?

"$hearth" serve --config "$tmp/missing.yaml" 2> "$tmp/err.txt"
check "missing config exits 1" $(( $? == 1 ? 0 : 1 ))
grep -q "missing.yaml:1:1: cannot open the file" "$tmp/err.txt"; check "missing config is named" $?

port=$(free_port)
printf 'server: {listen: 127.0.0.1:%s, drain_timeout: 2s}\nauth: {enabled: false}\nlog: {access_log: off}\n' "$port" > "$tmp/ok.yaml"
"$hearth" serve --config "$tmp/ok.yaml" 2> "$tmp/serve.log" &
pid=$!
up=1
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && { up=0; break; }; sleep 0.05; done
check "serve answers /healthz" $up

"$hearth" serve --config "$tmp/ok.yaml" 2> "$tmp/taken.log"
check "a taken port exits 1" $(( $? == 1 ? 0 : 1 ))

ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
check "readyz is 503 with no model configured" $([ "$ready" = 503 ]; echo $?)

kill -TERM "$pid"
wait "$pid"
check "SIGTERM exits 0" $?
grep -q '"event":"stopped"' "$tmp/serve.log"; check "stop is logged" $?

finish
