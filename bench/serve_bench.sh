#!/usr/bin/env bash
# Throughput and latency of `traverse serve`'s HTTP path, measured with wrk (Debian `wrk`):
#   1. GET /healthz — the floor: the transport alone;
#   2. POST /v1/capabilities/execute of a native echo capability — the full path (parse, route,
#      worker pool, runtime: resolve, validate, execute, trace to memory, respond).
# Both against the same server (bench/serve_echo_server) in the same run; the ratio is what to
# compare across machines. Keep-alive, 32 connections, 2 wrk threads, DURATION seconds each.
# Usage: bench/serve_bench.sh [DURATION_S] (default 10). Uses the `release` build.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
cmake --preset release >/dev/null
cmake --build --preset release --target serve_echo_server >/dev/null
server=build/release/bench/serve_echo_server

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$server" >"$work/url" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do
  [ -s "$work/url" ] && break
  sleep 0.1
done
url=$(head -n1 "$work/url")
[ -n "$url" ] || { echo "serve_echo_server did not start: $(cat "$work/err")" >&2; exit 1; }

body='{"kind":"runtime_request","schema_version":"1.0.0","request_id":"bench",'\
'"intent":{"capability_id":"bench.serve.echo","capability_version":"1.0.0"},'\
'"input":{"message":"hello"},"lookup":{"scope":"public_only","allow_ambiguity":false},'\
'"context":{"requested_target":"local"},"governing_spec":"006-runtime-request-execution"}'
cat >"$work/execute.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA

# Sanity: the execute request completes.
status=$(curl -s -o "$work/one.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "$body" "$url/v1/capabilities/execute")
[ "$status" = 200 ] || { echo "execute answered $status: $(cat "$work/one.json")" >&2; exit 1; }

run() {  # name, wrk args...
  local name=$1
  shift
  wrk -t2 -c32 -d"${duration}s" --latency "$@" >"$work/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/$name.txt")
  printf '%-10s %12s req/s   p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" \
    "${non2xx:+(non-2xx: $non2xx)}"
  echo "$rps" >"$work/${name//[^a-z]/_}.rps"
}

echo "traverse serve bench: wrk -t2 -c32 -d${duration}s, keep-alive, $(nproc) cores"
run healthz "$url/healthz"
run execute -s "$work/execute.lua" "$url/v1/capabilities/execute"
awk -v a="$(cat "$work/execute.rps")" -v b="$(cat "$work/healthz.rps")" \
  'BEGIN { printf "execute / healthz: %.0f%%\n", 100 * a / b }'
