#!/usr/bin/env bash
# End to end: the official openai npm client talks to a real hearth binary, which talks to
# fake OpenAI and Anthropic upstreams served by the test itself. Usage: run.sh PATH/TO/hearth
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/node_modules/openai" ]; then
  echo "tests/e2e/node_modules is missing: run 'make e2e-deps' (npm ci in tests/e2e)" >&2
  exit 1
fi
HEARTH_BIN="$1" exec node --test --test-reporter=spec "$here/openai_sdk.test.mjs"
