#!/usr/bin/env bash
# Runs the stress tests (ctest label `stress`) on the `release` preset. Duration per long-running
# scenario: TRAVERSE_STRESS_SECONDS (default short; the reference soak is 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
ctest --preset stress "$@"
