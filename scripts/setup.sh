#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and running Traverse C++ needs.
# Idempotent: when everything is already installed it prints one line and changes nothing.
# Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git  # toolchain
  nlohmann-json3-dev      # JSON value type
  wabt                    # WebAssembly interpreter (libwabt.a) and wat2wasm for test modules
  libssl-dev              # SHA-256 (libcrypto)
  libsqlite3-dev          # durable trace store
  libjemalloc-dev         # the allocator of the traverse command (release builds; see README)
  libcli11-dev            # the traverse command line
  libseccomp-dev          # seccomp-bpf filter of the WebAssembly sandbox worker
  libboost-dev            # `traverse serve`: Boost.Beast/Asio (header-only), in src/service only
  libnats-dev             # the official NATS C client: module `cluster` (remote execution, `traverse node`)
  nats-server             # the cluster tests (label `cluster`) start a real server on 127.0.0.1
  curl wrk python3-websockets  # `traverse serve` integration tests (HTTP, WebSocket) and bench
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and benchmarks
  gnuplot-nox jq          # bench/report.sh: the plots of docs/performance.md, benchmark JSON
  clang lld wasi-libc libclang-rt-14-dev-wasm32  # building the example .wasm modules from C
  llvm-14                 # llvm-ar: archives the wasm32 guest SDK library (libtraverse_guest.a)
  clang-format clang-tidy # formatting and lint checks
  clang-16 libclang-rt-16-dev  # the fuzz preset: libFuzzer with ASan + UBSan (scripts/fuzz.sh)
  nodejs                  # runs the web console's browser test (tests/browser, puppeteer-core)
  chromium                # the browser the console test drives headless (never downloaded by npm)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
