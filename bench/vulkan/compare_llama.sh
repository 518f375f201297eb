#!/usr/bin/env bash
# The Vulkan backend against llama.cpp's, on the same device and model: llama-bench of a
# llama.cpp built with -DGGML_VULKAN=ON, then hearth_bench_engine with kernels=vulkan,
# interleaved, REPS (default 3) repetitions each, 512-token prefill and 128-token decode (from
# an empty context, as llama-bench's tg test does).
#   LLAMA_BENCH=/path/to/vulkan/llama-bench bench/vulkan/compare_llama.sh MODEL...
# Without LLAMA_BENCH only hearth runs (lavapipe, say, where only correctness counts).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: compare_llama.sh MODEL..." >&2; exit 2; }
hearth=${HEARTH_BENCH:-build/bench/engine/hearth_bench_engine}
reps=${REPS:-3}
n_prompt=${N_PROMPT:-512}
n_gen=${N_GEN:-128}
for model in "$@"; do
  echo "== $(basename "$model")"
  if [ -n "${LLAMA_BENCH:-}" ]; then
    "$LLAMA_BENCH" -m "$model" -ngl 99 -p "$n_prompt" -n "$n_gen" -r "$reps" -o json 2>/dev/null | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    name = "pp" if r["n_prompt"] else "tg"
    print("llama.cpp %s %.1f tok/s [%.1f-%.1f] on %s" % (name, r["avg_ts"], min(r["samples_ts"]),
          max(r["samples_ts"]), r.get("gpu_info", "?")))'
  fi
  # llama-bench decodes its tg tokens from an empty context; so does hearth's second run, after
  # a one-token prompt (its first run's decode would follow the whole prompt).
  pp=$("$hearth" "$model" 1 "$n_prompt" 1 "$reps" float f16 vulkan)
  tg=$("$hearth" "$model" 1 1 "$n_gen" "$reps" float f16 vulkan)
  printf '%s\n%s\n' "$pp" "$tg" | python3 -c '
import json, sys
pp, tg = (json.loads(line) for line in sys.stdin)
print("hearth    pp %.1f tok/s [%.1f-%.1f]  tg %.1f tok/s [%.1f-%.1f] on %s" % (
    pp["prefill_tokens_per_s_median"], pp["prefill_min"], pp["prefill_max"],
    tg["decode_tokens_per_s_median"], tg["decode_min"], tg["decode_max"], tg["kernels"]))'
done
