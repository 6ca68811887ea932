#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang-16, ASan + UBSan) and runs each for
# SECONDS (default 60) from seed corpora made of the examples and the tests' data.
#
#   bash scripts/fuzz.sh [SECONDS]                        build, seed, run every target
#   bash scripts/fuzz.sh --run-one EXE CORPUS_ROOT SECONDS  seed and run one built target
#                                                         (what `ctest --preset fuzz` calls)
#
# Corpora grow under build/fuzz/fuzz/corpus/<target>/; a crash, leak, sanitizer report or
# timeout stops that target, leaves its input in build/fuzz/fuzz/crashes/ and fails the script.
# Turn any such input into a regression test (tests/unit/...) with the input inlined.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Seeds for one target into DIR (idempotent).
seed() {
  local name=$1 dir=$2 ex=examples/expedition
  mkdir -p "$dir"
  case $name in
    fuzz_json_parse)
      find examples tests/data -name '*.json' -size -64k | while read -r f; do
        cp "$f" "$dir/$(printf '%s' "$f" | tr '/' '_')"
      done ;;
    fuzz_load_contract) cp -t "$dir" $ex/contracts/*.json ;;
    fuzz_load_event_contract) cp -t "$dir" $ex/events/*.json ;;
    fuzz_load_workflow) cp -t "$dir" $ex/workflows/*.json ;;
    fuzz_load_bundle) cp -t "$dir" $ex/bundle.json ;;
    fuzz_load_package)
      for p in $ex/capabilities/*/package.json; do cp "$p" "$dir/$(basename "$(dirname "$p")").json"; done ;;
    fuzz_load_request) cp -t "$dir" $ex/requests/*.json ;;
    fuzz_schema)
      python3 - "$dir" $ex/contracts/*.json <<'PY'
import json, sys, os
out = sys.argv[1]
folder = 'examples/expedition/inputs'
inputs = [json.load(open(os.path.join(folder, f))) for f in sorted(os.listdir(folder))]
for i, path in enumerate(sys.argv[2:]):
    contract = json.load(open(path))
    for key in ('inputs', 'outputs'):
        schema = contract.get(key, {}).get('schema')
        if schema is None:
            continue
        instance = inputs[i % len(inputs)] if inputs else {}
        with open(os.path.join(out, f'{os.path.basename(path)}.{key}.json'), 'w') as f:
            json.dump({'schema': schema, 'instance': instance}, f)
PY
      ;;
    fuzz_wasm_verify)
      find examples -name '*.wasm' | while read -r f; do
        cp "$f" "$dir/$(printf '%s' "$f" | tr '/' '_')"
      done
      for wat in tests/data/wasm/*.wat; do
        wat2wasm --no-check "$wat" -o "$dir/$(basename "$wat" .wat).wasm" 2>/dev/null || true
      done ;;
    fuzz_worker_protocol)
      printf '\x01' > "$dir/execute-type-only"
      printf '\x03' > "$dir/result-type-only" ;;
  esac
}

# Runs one target for SECONDS; prints its executions per second.
run_one() {
  local exe=$1 corpus_root=$2 seconds=$3 name
  name=$(basename "$exe")
  local seeds=$corpus_root/../seeds/$name corpus=$corpus_root/$name
  local crashes=$corpus_root/../crashes
  mkdir -p "$corpus" "$crashes"
  seed "$name" "$seeds"
  local log
  log=$(mktemp)
  local status=0
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$exe" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2560 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crashes/$name-" "$corpus" "$seeds" >"$log" 2>&1 ||
    status=$?
  local execs rate
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log"
    echo "FUZZ FAILED: $name (exit $status) after $execs executions; input in $crashes/"
    rm -f "$log"
    return 1
  fi
  echo "fuzz ok: $name  ${seconds}s  $execs executions  $rate exec/s  corpus $(ls "$corpus" | wc -l) files"
  rm -f "$log"
}

if [ "${1:-}" = "--run-one" ]; then
  run_one "$2" "$3" "$4"
  exit $?
fi

seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
failed=0
for exe in build/fuzz/fuzz/fuzz_*; do
  [ -x "$exe" ] || continue
  run_one "$root/$exe" "$root/build/fuzz/fuzz/corpus" "$seconds" || failed=$((failed + 1))
done
[ "$failed" -eq 0 ] || { echo "$failed fuzz target(s) failed"; exit 1; }
