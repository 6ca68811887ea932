// libFuzzer target: the sandbox worker protocol's decoders (src/wasm/protocol.hpp), as the worker
// (decode_execute) and the host (decode_result) apply them to a message payload.
#include <cstdint>

#include "fuzz_support.hpp"
#include "protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace traverse::wasm_internal;
  const std::string_view payload = traverse::fuzz::as_text(data, size);
  {
    MessageReader reader(payload);
    ExecuteRequest request;
    (void)reader.u8();
    (void)decode_execute(reader, &request);
  }
  {
    MessageReader reader(payload);
    ExecuteResult result;
    (void)reader.u8();
    (void)decode_result(reader, &result);
  }
  return 0;
}
