// src/wasm/protocol.hpp — the messages between WasmExecutor and traverse-wasm-worker (internal).
//
// Transport: one AF_UNIX stream socket per worker. Every message is framed as a little-endian
// u32 payload length followed by the payload; the payload's first byte is the MessageType.
// Fields are u8/u32/u64 little-endian integers and length-prefixed (u32) byte strings.
//
//   worker → host  Hello      {protocol version, pid}                       once, at start
//   host → worker  Execute    {digest, stdin, limits, guest context, deadline, spin?}
//   worker → host  NeedModule {digest}                      when the digest is not cached
//   host → worker  Module     {digest, wasm bytes}
//   worker → host  Result     {load ok?, load error, cache hit, decode ns, RunReport}
//
// One Execute is in flight per worker at a time. A worker exits on EOF.
// Thread safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>

#include "engine/engine.hpp"

namespace traverse::wasm_internal {

inline constexpr std::uint32_t kProtocolVersion = 2;
// Largest payload either side accepts (a module of up to 128 MiB plus its framing).
inline constexpr std::uint32_t kMaxMessageBytes = 129U * 1024U * 1024U;

enum class MessageType : std::uint8_t {
  Hello = 1,
  Execute = 2,
  NeedModule = 3,
  Module = 4,
  Result = 5,
};

class MessageWriter {
 public:
  explicit MessageWriter(MessageType type) : buffer_(4, '\0') {
    u8(static_cast<std::uint8_t>(type));
  }
  // Writes into `reuse` (cleared; its capacity is kept, so a caller that hands the same buffer
  // back every call allocates nothing once it is large enough).
  MessageWriter(MessageType type, std::string&& reuse) : buffer_(std::move(reuse)) {
    buffer_.assign(4, '\0');
    u8(static_cast<std::uint8_t>(type));
  }

  void u8(std::uint8_t value) { buffer_.push_back(static_cast<char>(value)); }
  void u32(std::uint32_t value) { append_le(value); }
  void u64(std::uint64_t value) { append_le(value); }
  void i32(std::int32_t value) { append_le(static_cast<std::uint32_t>(value)); }
  void str(std::string_view value) {
    u32(static_cast<std::uint32_t>(value.size()));
    buffer_.append(value.data(), value.size());
  }

  // The framed message (length prefix + payload).
  [[nodiscard]] std::string finish() && {
    const auto length = static_cast<std::uint32_t>(buffer_.size() - 4);
    for (int i = 0; i < 4; ++i) {
      buffer_[static_cast<std::size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xFFU);
    }
    return std::move(buffer_);
  }

 private:
  template <typename T>
  void append_le(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      buffer_.push_back(static_cast<char>((value >> (8 * i)) & 0xFFU));
    }
  }

  std::string buffer_;
};

// Reads fields from one payload. A read past the end yields zero values and clears ok().
class MessageReader {
 public:
  explicit MessageReader(std::string_view payload) : data_(payload) {}

  [[nodiscard]] std::uint8_t u8() { return read_le<std::uint8_t>(); }
  [[nodiscard]] std::uint32_t u32() { return read_le<std::uint32_t>(); }
  [[nodiscard]] std::uint64_t u64() { return read_le<std::uint64_t>(); }
  [[nodiscard]] std::int32_t i32() { return static_cast<std::int32_t>(read_le<std::uint32_t>()); }
  [[nodiscard]] std::string str() {
    const std::uint32_t length = u32();
    if (!ok_ || length > data_.size() - offset_) {
      ok_ = false;
      return {};
    }
    std::string value(data_.substr(offset_, length));
    offset_ += length;
    return value;
  }

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool at_end() const { return offset_ == data_.size(); }

 private:
  template <typename T>
  T read_le() {
    if (!ok_ || sizeof(T) > data_.size() - offset_) {
      ok_ = false;
      return T{};
    }
    T value{};
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value = static_cast<T>(
          value | (static_cast<T>(static_cast<unsigned char>(data_[offset_ + i])) << (8 * i)));
    }
    offset_ += sizeof(T);
    return value;
  }

  std::string_view data_;
  std::size_t offset_ = 0;
  bool ok_ = true;
};

// Reads the u32 little-endian length prefix.
[[nodiscard]] inline std::uint32_t frame_length(const unsigned char header[4]) {
  return static_cast<std::uint32_t>(header[0]) | (static_cast<std::uint32_t>(header[1]) << 8) |
         (static_cast<std::uint32_t>(header[2]) << 16) |
         (static_cast<std::uint32_t>(header[3]) << 24);
}

struct ExecuteRequest {
  std::string digest;  // SHA-256 hex of the module bytes: the worker's cache key
  std::string stdin_bytes;
  EngineLimits limits;
  GuestContext context;
  std::uint64_t deadline_ms = 0;   // the worker's own backstop (it exits a little after this)
  bool spin_after_answer = false;  // poll briefly for the next request before sleeping
};

struct ExecuteResult {
  bool loaded = true;  // false: the module failed to decode/validate (load_error says why)
  std::string load_error;
  bool cache_hit = false;
  std::uint64_t decode_ns = 0;
  RunReport report;
};

[[nodiscard]] inline std::string encode_hello(std::uint64_t pid) {
  MessageWriter writer(MessageType::Hello);
  writer.u32(kProtocolVersion);
  writer.u64(pid);
  return std::move(writer).finish();
}

// The fields of an Execute message, borrowed from the caller (no copies on the host's hot path).
struct ExecuteFields {
  std::string_view digest;
  std::string_view stdin_bytes;
  EngineLimits limits;
  std::string_view capability_id;
  std::string_view capability_version;
  std::string_view execution_id;
  std::string_view trace_context;
  std::string_view runtime_config;
  bool subscribable = false;
  std::uint64_t deadline_ms = 0;
  // A CPU is idle: the worker polls for the next request briefly before it sleeps (on a busy
  // machine it would take the CPU from others, the host among them).
  bool spin_after_answer = false;
};

// Encodes an Execute message into `buffer` (reused, see MessageWriter). `emits` is a range of
// elements with `event_id` and `version` members.
template <typename Emits>
[[nodiscard]] std::string encode_execute_into(std::string&& buffer, const ExecuteFields& fields,
                                              const Emits& emits) {
  MessageWriter writer(MessageType::Execute, std::move(buffer));
  writer.str(fields.digest);
  writer.str(fields.stdin_bytes);
  writer.u64(fields.limits.max_memory_bytes);
  writer.u32(fields.limits.max_table_elements);
  writer.u64(fields.limits.max_stdout_bytes);
  writer.u64(fields.limits.stderr_tail_bytes);
  writer.u32(fields.limits.max_events);
  writer.str(fields.capability_id);
  writer.str(fields.capability_version);
  writer.str(fields.execution_id);
  writer.str(fields.trace_context);
  writer.str(fields.runtime_config);
  writer.u8(fields.subscribable ? 1 : 0);
  writer.u32(static_cast<std::uint32_t>(std::size(emits)));
  for (const auto& emit : emits) {
    writer.str(emit.event_id);
    writer.str(emit.version);
  }
  writer.u64(fields.deadline_ms);
  writer.u8(fields.spin_after_answer ? 1 : 0);
  return std::move(writer).finish();
}

// `reader` is positioned after the type byte.
[[nodiscard]] inline bool decode_execute(MessageReader& reader, ExecuteRequest* request) {
  request->digest = reader.str();
  request->stdin_bytes = reader.str();
  request->limits.max_memory_bytes = reader.u64();
  request->limits.max_table_elements = reader.u32();
  request->limits.max_stdout_bytes = reader.u64();
  request->limits.stderr_tail_bytes = reader.u64();
  request->limits.max_events = reader.u32();
  request->context.capability_id = reader.str();
  request->context.capability_version = reader.str();
  request->context.execution_id = reader.str();
  request->context.trace_context = reader.str();
  request->context.runtime_config = reader.str();
  request->context.subscribable = reader.u8() != 0;
  const std::uint32_t emits = reader.u32();
  for (std::uint32_t i = 0; i < emits && reader.ok(); ++i) {
    std::string event_id = reader.str();
    std::string version = reader.str();
    request->context.emits.emplace_back(std::move(event_id), std::move(version));
  }
  request->deadline_ms = reader.u64();
  request->spin_after_answer = reader.u8() != 0;
  return reader.ok() && reader.at_end();
}

[[nodiscard]] inline std::string encode_need_module(std::string_view digest) {
  MessageWriter writer(MessageType::NeedModule);
  writer.str(digest);
  return std::move(writer).finish();
}

[[nodiscard]] inline std::string encode_module(std::string_view digest, std::string_view bytes) {
  MessageWriter writer(MessageType::Module);
  writer.str(digest);
  writer.str(bytes);
  return std::move(writer).finish();
}

[[nodiscard]] inline std::string encode_result(const ExecuteResult& result) {
  MessageWriter writer(MessageType::Result);
  writer.u8(result.loaded ? 1 : 0);
  writer.str(result.load_error);
  writer.u8(result.cache_hit ? 1 : 0);
  writer.u64(result.decode_ns);
  const RunReport& report = result.report;
  writer.u8(static_cast<std::uint8_t>(report.status));
  writer.i32(report.exit_code);
  writer.str(report.message);
  writer.str(report.stdout_data);
  writer.str(report.stderr_tail);
  writer.u32(static_cast<std::uint32_t>(report.events.size()));
  for (const GuestEvent& event : report.events) {
    writer.str(event.event_id);
    writer.str(event.version);
    writer.str(event.payload_json);
  }
  writer.u64(report.instantiate_ns);
  writer.u64(report.run_ns);
  return std::move(writer).finish();
}

[[nodiscard]] inline bool decode_result(MessageReader& reader, ExecuteResult* result) {
  result->loaded = reader.u8() != 0;
  result->load_error = reader.str();
  result->cache_hit = reader.u8() != 0;
  result->decode_ns = reader.u64();
  RunReport& report = result->report;
  const std::uint8_t status = reader.u8();
  if (status > static_cast<std::uint8_t>(RunStatus::EngineFailed)) {
    return false;
  }
  report.status = static_cast<RunStatus>(status);
  report.exit_code = reader.i32();
  report.message = reader.str();
  report.stdout_data = reader.str();
  report.stderr_tail = reader.str();
  const std::uint32_t events = reader.u32();
  for (std::uint32_t i = 0; i < events && reader.ok(); ++i) {
    GuestEvent event;
    event.event_id = reader.str();
    event.version = reader.str();
    event.payload_json = reader.str();
    report.events.push_back(std::move(event));
  }
  report.instantiate_ns = reader.u64();
  report.run_ns = reader.u64();
  return reader.ok() && reader.at_end();
}

}  // namespace traverse::wasm_internal
