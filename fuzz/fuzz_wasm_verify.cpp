// libFuzzer target: the host-side .wasm decoder and ABI check (`traverse wasm verify`) on
// arbitrary bytes.
#include <cstdint>

#include "fuzz_support.hpp"
#include "traverse/wasm/host_abi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)traverse::verify_wasm_host_abi(traverse::fuzz::as_text(data, size));
  return 0;
}
