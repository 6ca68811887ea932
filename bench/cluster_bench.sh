#!/usr/bin/env bash
# bench/cluster_bench.sh — remote execution over NATS against the bare NATS round trip, in one run.
#
# Starts a nats-server on a free port of 127.0.0.1, runs bench/cluster_bench.cpp (Release) against
# it — a bare request/reply round trip (the floor), a trivial native capability run locally, and
# the same call placed on 1 node and on 2 nodes — and prints calls per second and p50/p99 per
# call, single caller and 8 callers. The last line is exactly:
#   remote p50 (1 node) = X us = R1 x bare round trip (B us); overhead over local = O1 x bare; 2 nodes: R2 x, O2 x
# where overhead over local = (remote p50 - local p50) / bare p50 (goal: <= 2).
#
# Usage: bench/cluster_bench.sh [--build-dir DIR] [--min-time SECONDS]
#   --build-dir   a configured Release build (default: <repo>/build/release); cluster_bench is
#                 built there first
#   --min-time    Google Benchmark's minimum time per benchmark (default 0.3: a short run)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo/build/release"
min_time=0.3
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--min-time SECONDS]" >&2; exit 2 ;;
  esac
done

server="$(command -v nats-server || true)"
for candidate in /usr/sbin/nats-server /usr/bin/nats-server; do
  [[ -z "$server" && -x "$candidate" ]] && server="$candidate"
done
if [[ -z "$server" ]]; then
  echo "error: nats-server is not installed (Debian package nats-server)" >&2
  exit 1
fi

cmake --build "$build_dir" --target cluster_bench >/dev/null
bench="$build_dir/bench/cluster_bench"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
work="$(mktemp -d)"
"$server" -a 127.0.0.1 -p "$port" >"$work/nats-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.05
done

TRAVERSE_BENCH_NATS="nats://127.0.0.1:$port" "$bench" --benchmark_min_time="$min_time" \
  --benchmark_out="$work/result.json" --benchmark_out_format=json

python3 - "$work/result.json" <<'PY'
import json, sys
runs = {b["name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
def get(name, threads, key):
    b = runs.get(f"{name}/real_time/threads:{threads}")
    return None if b is None or key not in b else b[key]
print()
print(f"{'benchmark':<22} {'threads':>7} {'calls/s':>10} {'p50 us':>9} {'p99 us':>9}")
for name in ["BM_BareNatsRoundTrip", "BM_EchoLocal", "BM_EchoRemote1Node", "BM_EchoRemote2Nodes"]:
    for threads in (1, 8):
        rate, p50, p99 = (get(name, threads, k) for k in ("items_per_second", "p50_us", "p99_us"))
        if rate is None:
            print(f"{name:<22} {threads:>7} {'skipped':>10}")
            continue
        print(f"{name:<22} {threads:>7} {rate:>10.0f} {p50:>9.1f} {p99:>9.1f}")
bare, local = get("BM_BareNatsRoundTrip", 1, "p50_us"), get("BM_EchoLocal", 1, "p50_us")
one, two = get("BM_EchoRemote1Node", 1, "p50_us"), get("BM_EchoRemote2Nodes", 1, "p50_us")
if None in (bare, local, one, two):
    sys.exit("error: a benchmark did not run")
print(f"remote p50 (1 node) = {one:.1f} us = {one / bare:.2f} x bare round trip ({bare:.1f} us); "
      f"overhead over local = {(one - local) / bare:.2f} x bare; "
      f"2 nodes: {two / bare:.2f} x, {(two - local) / bare:.2f} x")
PY
