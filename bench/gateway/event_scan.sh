#!/usr/bin/env bash
# Instructions hearth's event scanner takes per stream (bench/gateway/event_scan.cpp), counted by
# callgrind: a run of STREAMS streams less a run of none, divided by STREAMS. For the mock's
# 8-event stream and for a 52-event stream shaped as OpenAI's.
# Usage: bench/gateway/event_scan.sh [BUILD_DIR=build]   (after `ninja -C BUILD_DIR hearth_bench_event_scan`)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
harness="${1:-$root/build}/bench/hearth_bench_event_scan"
refs() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$harness" "$@" 2>&1 | awk '/refs/ {gsub(",", "", $4); print $4}'; }
for stream in mock:200000 openai:20000; do
  name="${stream%%:*}" streams="${stream##*:}"
  echo "$name: $(( ($(refs "$name" "$streams") - $(refs "$name" 0)) / streams )) instructions per stream"
done
