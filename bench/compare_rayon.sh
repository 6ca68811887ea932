#!/usr/bin/env bash
# bench/compare_rayon.sh — ThreadPoolExecutor against the Rust reference mechanism (rayon).
#
# Builds the Rust baseline (../shared/baselines/rayon-executor relative to the repository,
# offline, from Debian's crate sources) and this repository's executor_bench (Release), then runs
# them alternately for 3 rounds, each in the baseline's measurement method, and prints the ratios
# of the medians. The last line is exactly:
#   single-caller latency ratio pool/rayon = X; 8-caller throughput ratio pool/rayon = Y
# (X < 1: the pool's round trip is faster; Y > 1: the pool serves more calls per second).
#
# Usage: bench/compare_rayon.sh [--quick] [--rounds N] [--build-dir DIR]
#   --quick       the baseline's quick mode (~2 s per program and round instead of ~14 s)
#   --build-dir   where to build (default: <repo>/build/compare-rayon); the Rust target directory
#                 goes inside it
# Environment: RAYON_BASELINE_DIR overrides the baseline's location; TRAVERSE_BUILD_JOBS the
# build parallelism (default: all CPUs).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo/build/compare-rayon"
rounds=3
quick=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=(--quick); shift ;;
    --rounds) rounds="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    *) echo "usage: $0 [--quick] [--rounds N] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
baseline_dir="${RAYON_BASELINE_DIR:-$repo/../shared/baselines/rayon-executor}"
if [[ ! -f "$baseline_dir/Cargo.toml" ]]; then
  echo "error: rayon baseline not found at $baseline_dir (set RAYON_BASELINE_DIR)" >&2
  exit 1
fi
baseline_dir="$(cd "$baseline_dir" && pwd)"

# ---- the Rust baseline: offline build against /usr/share/cargo/registry ----------------------------
apt_install() {  # apt_install <package>...: as root or through sudo; refreshes the index once
  local sudo_cmd=()
  [[ "$(id -u)" != 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y "$@" >&2 ||
    { "${sudo_cmd[@]}" apt-get update >&2 && "${sudo_cmd[@]}" apt-get install -y "$@" >&2; }
}
if [[ ! -d /usr/share/cargo/registry/rayon-1.6.1 || ! -d /usr/share/cargo/registry/serde_json-1.0.87 ]]; then
  echo "== installing Debian's rayon and serde_json crate sources" >&2
  apt_install librust-rayon-dev librust-serde-json-dev
fi
if ! command -v cargo >/dev/null; then
  echo "== installing cargo" >&2
  apt_install cargo
fi
mkdir -p "$build_dir"
rust_target="$build_dir/rayon-target"
echo "== building the rayon baseline ($baseline_dir)" >&2
# Run from the baseline's directory so that its .cargo/config.toml (offline, Debian registry)
# applies; the target directory is ours, so a read-only checkout works.
(cd "$baseline_dir" && CARGO_TARGET_DIR="$rust_target" cargo build --release --locked --quiet) >&2
rayon_bin="$rust_target/release/rayon-baseline"

# ---- the C++ benchmark ------------------------------------------------------------------------------
echo "== building executor_bench (Release, $build_dir)" >&2
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRAVERSE_SANITIZE= \
  -DTRAVERSE_BUILD_BENCH=ON -DTRAVERSE_BUILD_TESTS=OFF -DTRAVERSE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build_dir" --target executor_bench --parallel "${TRAVERSE_BUILD_JOBS:-$(nproc)}" >&2
pool_bin="$build_dir/bench/executor_bench"

# ---- alternate runs ---------------------------------------------------------------------------------
field() {  # field <json line> <key> → the number
  sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" <<<"$1"
}
median() {  # median of the arguments
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
rayon_1=(); rayon_8=(); pool_1=(); pool_8=()
for ((round = 1; round <= rounds; round++)); do
  r="$("$rayon_bin" "${quick[@]}" 2>/dev/null | tail -n 1)"
  p="$("$pool_bin" --rayon-compare "${quick[@]}" 2>/dev/null | tail -n 1)"
  rayon_1+=("$(field "$r" install_1caller_ns)"); rayon_8+=("$(field "$r" install_8callers_ops_per_s)")
  pool_1+=("$(field "$p" install_1caller_ns)"); pool_8+=("$(field "$p" install_8callers_ops_per_s)")
  printf 'round %d: rayon 1-caller %.1f ns, 8 callers %.0f calls/s | pool 1-caller %.1f ns, 8 callers %.0f calls/s\n' \
    "$round" "${rayon_1[-1]}" "${rayon_8[-1]}" "${pool_1[-1]}" "${pool_8[-1]}"
done
r1="$(median "${rayon_1[@]}")"; r8="$(median "${rayon_8[@]}")"
p1="$(median "${pool_1[@]}")"; p8="$(median "${pool_8[@]}")"
printf 'medians: rayon 1-caller %.1f ns, 8 callers %.0f calls/s | pool 1-caller %.1f ns, 8 callers %.0f calls/s\n' \
  "$r1" "$r8" "$p1" "$p8"
awk -v p1="$p1" -v r1="$r1" -v p8="$p8" -v r8="$r8" 'BEGIN {
  printf "single-caller latency ratio pool/rayon = %.3f; 8-caller throughput ratio pool/rayon = %.2f\n", p1 / r1, p8 / r8
}'
