#!/usr/bin/env bash
# The main job: sets everything up, builds the `release` preset, and runs the expedition example
# end to end — the plan-expedition workflow over the five WebAssembly capabilities, each step
# placed, run in the sandbox, traced (SQLite, .traverse/traces.db) and its events published.
# It prints the plan, the 5-row step table, the published events and where the trace is;
# afterwards `build/release/bin/traverse trace list` shows the 5 step traces and the run.
# Extra arguments go to `traverse workflow run` (e.g. --json, --trace-db FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target traverse_cli traverse_wasm_worker
traverse=build/release/bin/traverse
packages=()
for manifest in examples/expedition/capabilities/*/package.json; do
  packages+=(--package "$manifest")
done
"$traverse" workflow run examples/expedition/bundle.json plan-expedition@1.0.0 \
  --input examples/expedition/inputs/plan-expedition.json "${packages[@]}" "$@"
