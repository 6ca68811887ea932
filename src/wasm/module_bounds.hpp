// src/wasm/module_bounds.hpp — a bounds pre-check of a wasm module's framing (internal), run
// before any decoder allocates memory from counts the module declares.
//
// A decoder that reserves or resizes from a declared count can be driven to allocate far more
// than the module's size (a 56-byte module declaring 0xFFFFFFF0 locals; a file of empty custom
// sections each costing the decoder an error record). This check walks the section framing and
// refuses, with the byte offset:
// - a section that extends past the end, an unknown section id, a non-custom section twice;
// - a custom section whose name does not fit in it;
// - a vector count larger than the bytes left in its section (every entry takes at least one
//   byte, so such a count is malformed);
// - a function body that declares more than kMaxFunctionLocals locals in total, or more local
//   declarations than its bytes can hold.
// After it passes, every count the module declares is bounded by its size, so decoding costs
// memory proportional to the module's size (itself capped by the reader, see
// WasmExecutorConfig::max_module_bytes).
//
// C++17 and header-only: the sandbox worker (C++17 engine code) runs the same check on every
// module it is sent, whatever engine decodes it.
//
// Thread safety: pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace traverse::wasm_internal {

// The most locals one function may declare (besides its parameters): the limit of the
// WebAssembly JS API's implementation limits, which every web engine enforces (50,000).
inline constexpr std::uint64_t kMaxFunctionLocals = 50'000;

namespace module_bounds_detail {

class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::size_t base) : bytes_(bytes), base_(base) {}

  std::size_t offset() const { return base_ + pos_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }
  bool at_end() const { return pos_ == bytes_.size(); }

  bool byte(std::uint8_t* out) {
    if (pos_ >= bytes_.size())
      return false;
    *out = static_cast<std::uint8_t>(bytes_[pos_++]);
    return true;
  }

  // Unsigned LEB128 of at most 32 bits (5 bytes).
  bool u32(std::uint32_t* out) {
    std::uint32_t value = 0;
    for (unsigned shift = 0; shift < 35; shift += 7) {
      std::uint8_t b = 0;
      if (!byte(&b))
        return false;
      if (shift == 28 && (b & 0x70U) != 0)
        return false;
      value |= static_cast<std::uint32_t>(b & 0x7FU) << shift;
      if ((b & 0x80U) == 0) {
        *out = value;
        return true;
      }
    }
    return false;
  }

  bool skip(std::size_t count) {
    if (count > remaining())
      return false;
    pos_ += count;
    return true;
  }

  std::string_view take(std::size_t count) {
    const std::string_view out = bytes_.substr(pos_, count);
    pos_ += count;
    return out;
  }

 private:
  std::string_view bytes_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

inline bool fail(std::string* error, const std::string& what, std::size_t offset) {
  *error = what + " at offset " + std::to_string(offset);
  return false;
}

// Sections whose body starts with a vector count: type, import, function, table, memory, global,
// export, element, code, data, tag.
inline bool starts_with_vector(std::uint8_t id) {
  return (id >= 1 && id <= 7) || id == 9 || id == 10 || id == 11 || id == 13;
}

inline bool check_code_section(ByteReader in, std::uint32_t count, std::string* error) {
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t entry = in.offset();
    std::uint32_t size = 0;
    if (!in.u32(&size) || size > in.remaining())
      return fail(error, "function body " + std::to_string(i) + " extends past its section", entry);
    ByteReader body(in.take(size), in.offset());
    std::uint32_t decls = 0;
    if (!body.u32(&decls))
      return fail(error, "truncated local declarations of function body " + std::to_string(i),
                  entry);
    // Each declaration is a count and a value type: at least two bytes.
    if (decls > body.remaining() / 2)
      return fail(error,
                  "function body " + std::to_string(i) + " declares " + std::to_string(decls) +
                      " local groups but has only " + std::to_string(body.remaining()) +
                      " bytes left",
                  entry);
    std::uint64_t locals = 0;
    for (std::uint32_t d = 0; d < decls; ++d) {
      std::uint32_t n = 0;
      std::uint8_t type = 0;
      if (!body.u32(&n) || !body.byte(&type))
        return fail(error, "truncated local declarations of function body " + std::to_string(i),
                    entry);
      locals += n;
      if (locals > kMaxFunctionLocals)
        return fail(error,
                    "function body " + std::to_string(i) + " declares more than " +
                        std::to_string(kMaxFunctionLocals) + " locals",
                    entry);
    }
  }
  if (!in.at_end())
    return fail(error, "code section has trailing bytes", in.offset());
  return true;
}

}  // namespace module_bounds_detail

// True when `bytes` passes the checks above; otherwise false with `*error` set to what is wrong
// and at which byte offset (e.g. "function body 0 declares more than 50000 locals at offset 23").
// Allocates nothing but the error text.
inline bool check_module_bounds(std::string_view bytes, std::string* error) {
  using module_bounds_detail::ByteReader;
  using module_bounds_detail::fail;
  if (bytes.size() < 8 || bytes.substr(0, 4) != std::string_view("\0asm", 4))
    return fail(error, "bad magic number (expected \\0asm)", 0);
  if (bytes.substr(4, 4) != std::string_view("\x01\x00\x00\x00", 4))
    return fail(error, "unsupported binary version (expected 1)", 4);
  ByteReader in(bytes.substr(8), 8);
  std::uint32_t seen = 0;  // bit i: non-custom section i already present
  while (!in.at_end()) {
    const std::size_t start = in.offset();
    std::uint8_t id = 0;
    std::uint32_t size = 0;
    if (!in.byte(&id) || !in.u32(&size))
      return fail(error, "truncated section header", start);
    if (id > 13)
      return fail(error, "unknown section id " + std::to_string(id), start);
    if (size > in.remaining())
      return fail(error, "section " + std::to_string(id) + " extends past the end", start);
    ByteReader section(in.take(size), in.offset());
    if (id == 0) {
      std::uint32_t name_length = 0;
      if (!section.u32(&name_length) || !section.skip(name_length))
        return fail(error, "custom section name extends past its section", start);
      continue;
    }
    if ((seen & (1U << id)) != 0)
      return fail(error, "duplicate section " + std::to_string(id), start);
    seen |= 1U << id;
    if (!module_bounds_detail::starts_with_vector(id))
      continue;
    std::uint32_t count = 0;
    if (!section.u32(&count))
      return fail(error, "truncated count of section " + std::to_string(id), start);
    if (count > section.remaining())
      return fail(error,
                  "section " + std::to_string(id) + " declares " + std::to_string(count) +
                      " entries but has only " + std::to_string(section.remaining()) +
                      " bytes left",
                  start);
    if (id == 10 && !module_bounds_detail::check_code_section(section, count, error))
      return false;
  }
  return true;
}

}  // namespace traverse::wasm_internal
