#!/usr/bin/env bash
# Throughput and latency of `traverse serve`'s HTTP path, measured with wrk (Debian `wrk`):
#   1. GET /healthz — the floor: the transport alone;
#   2. POST /v1/capabilities/execute of a native echo capability — the full path (parse, route,
#      TraverseRuntime::submit_document: resolve, validate, the native pool, trace to memory,
#      respond) — against bench/serve_echo_server (the service embedding a runtime);
#   3. POST /v1/capabilities/execute of a WebAssembly capability (the expedition's
#      capture-expedition-objective, C compiled to wasm32) — against the real `traverse serve`
#      with the expedition bundle and packages: sandboxed worker processes, traces in SQLite.
# All in the same run; the ratios are what to compare across machines. Keep-alive, 32
# connections, 2 wrk threads, DURATION seconds each.
# Usage: bench/serve_bench.sh [DURATION_S] (default 5). Uses the `release` build.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-5}"
cmake --preset release >/dev/null
cmake --build --preset release --target serve_echo_server traverse_cli >/dev/null
echo_server=build/release/bench/serve_echo_server
traverse=build/release/bin/traverse

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# start NAME COMMAND...: runs a server, waits (bounded) for the URL it prints, sets $url.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.url" 2>"$work/$name.err" &
  pids+=($!)
  for _ in $(seq 1 300); do
    [ -s "$work/$name.url" ] && break
    sleep 0.1
  done
  url=$(head -n1 "$work/$name.url")
  [ -n "$url" ] || { echo "$name did not start: $(cat "$work/$name.err")" >&2; exit 1; }
}

start echo "$echo_server"
echo_url=$url
packages=()
for manifest in examples/expedition/capabilities/*/package.json; do
  packages+=(--package "$manifest")
done
# The access log goes to a file nobody reads while measuring (one line per request).
start wasm "$traverse" serve --bundle examples/expedition/bundle.json "${packages[@]}" \
  --listen 127.0.0.1:0 --trace-db "$work/traces.db"
wasm_url=$url

request() {  # capability id, input JSON
  printf '%s' '{"kind":"runtime_request","schema_version":"1.0.0","request_id":"bench",'\
'"intent":{"capability_id":"'"$1"'","capability_version":"1.0.0"},"input":'"$2"','\
'"lookup":{"scope":"prefer_private","allow_ambiguity":false},'\
'"context":{"requested_target":"local"},"governing_spec":"006-runtime-request-execution"}'
}
native_body=$(request bench.serve.echo '{"message":"hello"}')
wasm_body=$(request expedition.planning.capture-expedition-objective \
  '{"objective":"Summit Mont Blanc","region":"Mont Blanc massif","start_date":"2027-07-14","duration_days":4}')

for name in native wasm; do
  body_var="${name}_body"
  cat >"$work/$name.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '${!body_var}'
LUA
done

# Sanity: each execute request completes.
check() {  # base URL, body
  local status
  status=$(curl -s -o "$work/one.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$2" "$1/v1/capabilities/execute")
  [ "$status" = 200 ] || { echo "execute answered $status: $(cat "$work/one.json")" >&2; exit 1; }
  grep -q '"status":"completed"' "$work/one.json" ||
    { echo "execute did not complete: $(cat "$work/one.json")" >&2; exit 1; }
}
check "$echo_url" "$native_body"
check "$wasm_url" "$wasm_body"

run() {  # name, wrk args...
  local name=$1
  shift
  wrk -t2 -c32 -d"${duration}s" --latency "$@" >"$work/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/$name.txt")
  printf '%-16s %12s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" \
    "${non2xx:+(non-2xx: $non2xx)}"
  echo "$rps" >"$work/$name.rps"
}

echo "traverse serve bench: wrk -t2 -c32 -d${duration}s, keep-alive, $(nproc) cores"
echo "load before: $(uptime)"
run healthz "$echo_url/healthz"
run execute-native -s "$work/native.lua" "$echo_url/v1/capabilities/execute"
run execute-wasm -s "$work/wasm.lua" "$wasm_url/v1/capabilities/execute"
echo "load after:  $(uptime)"
awk -v n="$(cat "$work/execute-native.rps")" -v w="$(cat "$work/execute-wasm.rps")" \
  -v h="$(cat "$work/healthz.rps")" \
  'BEGIN { printf "native / healthz: %.0f%%   wasm / healthz: %.0f%%   wasm / native: %.0f%%\n",
           100 * n / h, 100 * w / h, 100 * w / n }'
