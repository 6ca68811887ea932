#!/usr/bin/env bash
# bench/report.sh — runs the executor, runtime, workflow and WebAssembly benchmarks and
# `traverse run --repeat`, and rewrites the generated section of docs/performance.md (between the
# `<!-- bench/report.sh: begin -->` and `<!-- bench/report.sh: end -->` lines; appended when
# missing; every other section is left as it is) with tables and gnuplot SVG plots written to
# docs/performance/:
#   executor-round-trip.svg   pool vs rayon: one caller's round trip
#   executor-throughput.svg   pool vs rayon: calls/s by caller count
#   wasm-per-call.svg         one WebAssembly call (assess-expedition-conditions) by tier
#   run-latency.svg           `traverse run --repeat` latency percentiles by concurrency (AOT tier)
# and the machine it ran on (CPU, cores, load average before and after).
#
# Usage: bench/report.sh [--quick] [--no-build] [--build-dir DIR] [--out FILE]
#   --quick      short runs (about a minute in all; the numbers are noisier)
#   --no-build   use the benchmarks already built in the build folder
#   --build-dir  the release build folder (default: <repo>/build/release, the `release` preset)
#   --out        the Markdown file to update (default: <repo>/docs/performance.md)
# Environment: RAYON_BASELINE_DIR, the Rust baseline (default: ../shared/baselines/rayon-executor
# next to the repository; skipped with a note when absent or when cargo is missing).
# Needs: gnuplot (Debian gnuplot-nox), jq.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$repo/build/release"
out="$repo/docs/performance.md"
quick=0
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --no-build) build=0; shift ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--quick] [--no-build] [--build-dir DIR] [--out FILE]" >&2; exit 2 ;;
  esac
done
for tool in gnuplot jq; do
  command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 1; }
done
plots="$(dirname "$out")/performance"
mkdir -p "$plots"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log() { echo "== $*" >&2; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- build ----------------------------------------------------------------------------------------
if [[ "$build" == 1 ]]; then
  log "building the benchmarks (release, $build_dir)"
  if [[ "$build_dir" == "$repo/build/release" ]]; then
    cmake --preset release >/dev/null
  else
    cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$build_dir" --target executor_bench runtime_bench workflow_bench wasm_bench \
    traverse_cli traverse_wasm_worker >&2
fi
bench="$build_dir/bench"
traverse="$build_dir/bin/traverse"
for program in "$bench/executor_bench" "$bench/runtime_bench" "$bench/workflow_bench" \
  "$bench/wasm_bench" "$traverse"; do
  [[ -x "$program" ]] || { echo "error: $program is not built" >&2; exit 1; }
done

if [[ "$quick" == 1 ]]; then
  min_time=0.05; quick_flag=(--quick); repeat=300; wasm_reps=(--benchmark_min_time=0.2)
else
  min_time=0.5; quick_flag=(); repeat=2000; wasm_reps=()
fi

# ---- executor: pool vs rayon ---------------------------------------------------------------------
log "executor_bench --rayon-compare"
pool_json="$("$bench/executor_bench" --rayon-compare "${quick_flag[@]}" 2>/dev/null | tail -n 1)"
rayon_json=""
baseline_dir="${RAYON_BASELINE_DIR:-$repo/../shared/baselines/rayon-executor}"
if [[ -f "$baseline_dir/Cargo.toml" ]] && command -v cargo >/dev/null; then
  log "rayon baseline ($baseline_dir)"
  rayon_target="$build_dir/rayon-target"
  if (cd "$baseline_dir" && CARGO_TARGET_DIR="$rayon_target" cargo build --release --locked \
    --quiet) >&2; then
    rayon_json="$("$rayon_target/release/rayon-baseline" "${quick_flag[@]}" 2>/dev/null |
      tail -n 1)"
  fi
fi
num() { jq -r "$2 // empty" <<<"$1" 2>/dev/null || true; }  # num <json> <jq path>

{
  echo "callers pool rayon"
  for n in 1 2 4 8; do
    echo "$n $(num "$pool_json" ".install_${n}callers_ops_per_s") \
$(if [[ -n "$rayon_json" && ( $n == 1 || $n == 8 ) ]]; then
      if [[ $n == 1 ]]; then
        jq -r '1e9 / .install_1caller_ns' <<<"$rayon_json"
      else
        num "$rayon_json" '.install_8callers_ops_per_s'
      fi
    else echo NaN; fi)"
  done
} >"$work/throughput.dat"

# ---- runtime and workflow ------------------------------------------------------------------------
gbench() {  # gbench <program> <out.json> [args...]: Google Benchmark JSON
  local program="$1" json="$2"
  shift 2
  log "$(basename "$program")"
  "$program" --benchmark_min_time="$min_time" --benchmark_format=json "$@" >"$json" 2>/dev/null
}
gbench "$bench/runtime_bench" "$work/runtime.json"
gbench "$bench/workflow_bench" "$work/workflow.json"
table() {  # table <benchmark json>: one Markdown row per benchmark
  jq -r '.benchmarks[] | select(.run_type != "aggregate") |
    "| `\(.name)` | \(.real_time * 100 | round / 100) \(.time_unit) | " +
    (if .items_per_second then "\(.items_per_second | round) /s" else "" end) + " |"' "$1"
}

# ---- WebAssembly per call --------------------------------------------------------------------------
log "wasm_bench"
"$bench/wasm_bench" "${wasm_reps[@]}" >"$work/wasm.txt" 2>/dev/null
# Its summary: "  <name>   <p50> / <p90>   x<ratio>   (<n> calls)" after "per call of ...".
awk '/^per call of/ { on = 1; next }
     on && /\//  { line = $0; sub(/^ +/, "", line); split(line, parts, /  +/);
                   name = parts[1]; rest = substr(line, length(name) + 1);
                   n = split(rest, f, /[ \/]+/); p50 = ""; p90 = "";
                   for (i = 1; i <= n; ++i) if (f[i] ~ /^[0-9.]+$/) { if (p50 == "") p50 = f[i]; else if (p90 == "") p90 = f[i]; }
                   if (p50 != "") { gsub(/ /, "_", name); print name, p50, p90 } }' \
  "$work/wasm.txt" >"$work/wasm.dat"

# ---- traverse run --repeat: latency by concurrency -----------------------------------------------
log "traverse run --repeat $repeat (capture-expedition-objective, AOT tier)"
examples="$repo/examples/expedition"
cat >"$work/request.json" <<'EOF'
{"kind":"runtime_request","schema_version":"1.0.0","request_id":"report",
 "intent":{"capability_id":"expedition.planning.capture-expedition-objective","capability_version":"1.0.0"},
 "input":{"objective":"Summit Mont Blanc by the Gouter route","region":"Mont Blanc massif","start_date":"2027-07-14","duration_days":4},
 "lookup":{"scope":"prefer_private","allow_ambiguity":false},"context":{"requested_target":"local"},
 "governing_spec":"006-runtime-request-execution"}
EOF
export TRAVERSE_AOT_CACHE_DIR="$work/aot"
echo "concurrency p50 p90 p99 throughput" >"$work/run.dat"
run_tier() {  # run_tier <tier> <concurrency> → the JSON report
  "$traverse" run "$examples/bundle.json" "$work/request.json" --packages "$examples/capabilities" \
    --trace-db "$work/traces-$1-$2.db" --repeat "$repeat" --concurrency "$2" --json \
    --wasm-tier "$1" 2>/dev/null
}
run_tier aot 1 >/dev/null  # compiles the module once (not measured)
for c in 1 2 4 8; do
  r="$(run_tier aot "$c")"
  echo "$c $(jq -r '"\(.latency_ms.p50) \(.latency_ms.p90) \(.latency_ms.p99) \(.throughput_per_second)"' <<<"$r")" \
    >>"$work/run.dat"
done
interp_run="$(run_tier interpreter 1)"
aot_tp1="$(awk '$1 == 1 { print $5 }' "$work/run.dat")"
interp_tp1="$(jq -r '.throughput_per_second' <<<"$interp_run")"

load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- plots ------------------------------------------------------------------------------------------
log "plots ($plots)"
plot() {  # plot <svg> <gnuplot commands>
  gnuplot -e "set terminal svg size 640,360 dynamic font 'sans,11' background rgb 'white';
set output '$1'; set termoption noenhanced; set grid; set key top left; $2"
}
pool_1=$(num "$pool_json" .install_1caller_ns)
rayon_1=$(num "$rayon_json" .install_1caller_ns)
printf 'pool %s\nrayon %s\n' "${pool_1:-NaN}" "${rayon_1:-NaN}" >"$work/roundtrip.dat"
plot "$plots/executor-round-trip.svg" "set title 'Executor round trip, one caller (lower is better)';
set ylabel 'ns per call'; set style fill solid 0.6; set boxwidth 0.5; set yrange [0:*];
plot '$work/roundtrip.dat' using 0:2:xtic(1) with boxes notitle"
plot "$plots/executor-throughput.svg" "set title 'Executor throughput by caller count (higher is better)';
set xlabel 'callers'; set ylabel 'calls/s'; set logscale x 2; set yrange [0:*];
plot '$work/throughput.dat' using 1:2 with linespoints title 'ThreadPoolExecutor',
     '' using 1:3 with points pt 7 ps 1.5 title 'rayon baseline'"
plot "$plots/wasm-per-call.svg" "set title 'One WebAssembly call, assess-expedition-conditions (p50, log scale)';
set ylabel 'microseconds'; set logscale y; set style fill solid 0.6; set boxwidth 0.5;
set xtics rotate by -20; plot '$work/wasm.dat' using 0:2:xtic(stringcolumn(1)) with boxes notitle"
plot "$plots/run-latency.svg" "set title 'traverse run --repeat $repeat, one WebAssembly capability (AOT tier)';
set xlabel 'concurrency (threads)'; set ylabel 'latency, ms'; set logscale x 2; set yrange [0:*];
plot '$work/run.dat' using 1:2 with linespoints title 'p50', '' using 1:3 with linespoints title 'p90',
     '' using 1:4 with linespoints title 'p99'"

# ---- the generated section ----------------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
rel="$(realpath --relative-to="$(dirname "$out")" "$plots")"
{
  echo "<!-- bench/report.sh: begin (generated: edit bench/report.sh, not this section) -->"
  echo "## Measured by bench/report.sh"
  echo
  echo "$(date -u +%Y-%m-%d), ${cpu:-unknown CPU}, $(nproc) cores, $(uname -sr); load average"
  echo "$load_before before and $load_after after the run$([[ $quick == 1 ]] && echo ' (--quick: short runs)'). Compare ratios from one run,"
  echo "not absolute numbers across runs: the machine may be shared."
  echo
  echo "### Executor: ThreadPoolExecutor vs the rayon baseline"
  echo
  echo "![round trip]($rel/executor-round-trip.svg) ![throughput]($rel/executor-throughput.svg)"
  echo
  echo "| | pool | rayon |"
  echo "|---|---|---|"
  ns() { [[ -n "$1" ]] && printf '%.0f ns' "$1" || echo "not run"; }
  echo "| one caller's round trip | $(ns "$pool_1") | $(ns "$rayon_1") |"
  while read -r n p r; do
    [[ "$n" == callers ]] && continue
    echo "| $n caller(s), calls/s | ${p%.*} | $([[ $r == NaN ]] && echo '' || echo "${r%.*}") |"
  done <"$work/throughput.dat"
  echo
  echo "### Runtime (\`bench/runtime_bench.cpp\`)"
  echo
  echo "| benchmark | time | throughput |"
  echo "|---|---|---|"
  table "$work/runtime.json"
  echo
  echo "### Workflows (\`bench/workflow_bench.cpp\`)"
  echo
  echo "| benchmark | time | throughput |"
  echo "|---|---|---|"
  table "$work/workflow.json"
  echo
  echo "### WebAssembly: one call by tier (\`bench/wasm_bench.cpp\`)"
  echo
  echo "![per call]($rel/wasm-per-call.svg)"
  echo
  echo "| | p50 µs | p90 µs |"
  echo "|---|---|---|"
  while read -r name p50 p90; do
    echo "| ${name//_/ } | $p50 | $p90 |"
  done <"$work/wasm.dat"
  echo
  grep -E '^ *(worker RSS|AOT tier vs)' "$work/wasm.txt" | sed 's/^ */- /' || true
  echo
  echo "Compiling each expedition module once (translation and the C compiler, into an empty cache):"
  echo
  echo "| module | wasm → object | wall time |"
  echo "|---|---|---|"
  awk '/^AOT compile per module/ { on = 1; next } on && NF == 0 { on = 0 }
       on && $3 == "->" { print "| " $1 " | " $2 " → " $4 " bytes | " $6 " ms |" }' "$work/wasm.txt"
  echo
  echo "### \`traverse run --repeat $repeat\`: one WebAssembly capability"
  echo
  echo "\`expedition.planning.capture-expedition-objective\`, SQLite traces, AOT tier (object cached)."
  echo "One thread: ${aot_tp1%.*} runs/s compiled, ${interp_tp1%.*} runs/s interpreted."
  echo
  echo "![latency]($rel/run-latency.svg)"
  echo
  echo "| concurrency | p50 ms | p90 ms | p99 ms | runs/s |"
  echo "|---|---|---|---|---|"
  while read -r c p50 p90 p99 tp; do
    [[ "$c" == concurrency ]] && continue
    echo "| $c | $p50 | $p90 | $p99 | ${tp%.*} |"
  done <"$work/run.dat"
  echo "<!-- bench/report.sh: end -->"
} >"$work/section.md"

# Replace the section in place (or append it), leaving the rest of the file untouched.
if grep -q '^<!-- bench/report.sh: begin' "$out" 2>/dev/null; then
  awk -v section="$work/section.md" '
    /^<!-- bench\/report.sh: begin/ { while ((getline line < section) > 0) print line; skip = 1; next }
    /^<!-- bench\/report.sh: end/   { skip = 0; next }
    !skip { print }' "$out" >"$work/out.md"
else
  { cat "$out"; echo; cat "$work/section.md"; } >"$work/out.md"
fi
cp "$work/out.md" "$out"
log "wrote $out"
