#!/usr/bin/env bash
# Side-by-side, interleaved: llama.cpp's llama-bench and hearth_bench_engine on one model, for
# each thread count given, with the load average before each pair.
#   LLAMA_BENCH=/path/to/llama-bench HEARTH_BENCH=build/bench/engine/hearth_bench_engine \
#     bench/engine/compare_llama.sh MODEL THREADS...
# REPS (default 3) sets the repetitions of both; tiny models want more (their runs take
# milliseconds, so one descheduling moves a short run's mean).
set -euo pipefail
model=${1:?usage: compare_llama.sh MODEL THREADS...}
shift
llama=${LLAMA_BENCH:?set LLAMA_BENCH to the llama-bench binary of llama.cpp}
hearth=${HEARTH_BENCH:-build/bench/engine/hearth_bench_engine}
reps=${REPS:-3}
for t in "$@"; do
  echo "== threads $t, load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$llama" -m "$model" -t "$t" -p 64 -n 64 -r "$reps" -o json 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    name = "pp64" if r["n_prompt"] else "tg64"
    print("llama.cpp %s %.1f [%.1f-%.1f]" % (name, r["avg_ts"], min(r["samples_ts"]), max(r["samples_ts"])))'
  "$hearth" "$model" "$t" 64 64 "$reps" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
print("hearth    pp64 %.1f [%.1f-%.1f]  tg64 %.1f [%.1f-%.1f]  peak rss %.1f MiB" % (
    d["prefill_tokens_per_s_median"], d["prefill_min"], d["prefill_max"],
    d["decode_tokens_per_s_median"], d["decode_min"], d["decode_max"], d["peak_rss_bytes"] / 2**20))'
done
