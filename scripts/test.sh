#!/usr/bin/env bash
# Sets everything up, builds the `dev` preset (ASan + UBSan) and runs the default test run
# (ctest labels `unit` and `integration`; `stress` is excluded — run it with scripts/stress.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset dev >/dev/null
cmake --build --preset dev
ctest --preset dev -j "$(nproc)" "$@"
