#!/usr/bin/env bash
# The main job: sets everything up, builds the `release` preset, and runs the expedition example
# end to end — the plan-expedition workflow over the five WebAssembly capabilities, each step
# placed, run in the sandbox, traced (SQLite, .traverse/traces.db) and its events published.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target traverse_cli traverse-wasm-worker
traverse=build/release/bin/traverse
packages=()
for manifest in examples/expedition/capabilities/*/package.json; do
  packages+=(--package "$manifest")
done
"$traverse" workflow run examples/expedition/bundle.json plan-expedition@1.0.0 \
  --input examples/expedition/inputs/plan-expedition.json "${packages[@]}" "$@"
echo
echo "Traces: $traverse trace list    (stored in .traverse/traces.db)"
