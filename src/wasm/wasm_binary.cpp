// The import-section reader and ABI check (see wasm_binary.hpp).
#include "wasm_binary.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "module_bounds.hpp"

namespace traverse::wasm_internal {
namespace {

constexpr std::uint8_t kImportSection = 2;
constexpr std::uint8_t kLastKnownSection = 13;  // tag (exception handling)

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  [[nodiscard]] std::size_t offset() const { return offset_; }
  [[nodiscard]] bool at_end() const { return offset_ == bytes_.size(); }
  [[nodiscard]] std::size_t remaining() const { return bytes_.size() - offset_; }

  std::optional<std::uint8_t> byte() {
    if (offset_ >= bytes_.size())
      return std::nullopt;
    return static_cast<std::uint8_t>(bytes_[offset_++]);
  }

  // Unsigned LEB128 of at most 32 bits (5 bytes).
  std::optional<std::uint32_t> u32() {
    std::uint32_t value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      const auto b = byte();
      if (!b)
        return std::nullopt;
      if (shift == 28 && (*b & 0x70U) != 0)
        return std::nullopt;  // more than 32 bits
      value |= static_cast<std::uint32_t>(*b & 0x7FU) << shift;
      if ((*b & 0x80U) == 0)
        return value;
    }
    return std::nullopt;
  }

  // Unsigned LEB128 of at most 64 bits (limits of memory64), value discarded.
  bool skip_u64() {
    for (int i = 0; i < 10; ++i) {
      const auto b = byte();
      if (!b)
        return false;
      if ((*b & 0x80U) == 0)
        return true;
    }
    return false;
  }

  std::optional<std::string_view> name() {
    const auto length = u32();
    if (!length || *length > remaining())
      return std::nullopt;
    const std::string_view text = bytes_.substr(offset_, *length);
    offset_ += *length;
    return text;
  }

  bool skip(std::size_t count) {
    if (count > remaining())
      return false;
    offset_ += count;
    return true;
  }

 private:
  std::string_view bytes_;
  std::size_t offset_ = 0;
};

std::string at(std::string_view what, std::size_t offset) {
  return std::string(what) + " at offset " + std::to_string(offset);
}

bool skip_limits(Reader& in) {
  const auto flags = in.byte();
  if (!flags || *flags > 7)
    return false;
  const bool is64 = (*flags & 4U) != 0;
  const auto skip_value = [&] { return is64 ? in.skip_u64() : in.u32().has_value(); };
  if (!skip_value())
    return false;
  return (*flags & 1U) == 0 || skip_value();
}

std::expected<std::vector<WasmImport>, std::string> read_import_section(std::string_view section,
                                                                        std::size_t base) {
  Reader in(section);
  std::vector<WasmImport> imports;
  const auto count = in.u32();
  if (!count)
    return std::unexpected(at("malformed import count", base));
  for (std::uint32_t i = 0; i < *count; ++i) {
    const std::size_t entry = base + in.offset();
    const auto module = in.name();
    const auto name = module ? in.name() : std::nullopt;
    const auto kind = name ? in.byte() : std::nullopt;
    if (!kind)
      return std::unexpected(at("truncated import entry", entry));
    bool ok = false;
    switch (*kind) {
      case 0:  // function: type index
        ok = in.u32().has_value();
        break;
      case 1:  // table: reference type + limits
        ok = in.byte().has_value() && skip_limits(in);
        break;
      case 2:  // memory: limits
        ok = skip_limits(in);
        break;
      case 3:  // global: value type + mutability
        ok = in.byte().has_value() && in.byte().has_value();
        break;
      case 4:  // tag: attribute + type index
        ok = in.byte().has_value() && in.u32().has_value();
        break;
      default:
        return std::unexpected(at("invalid import kind " + std::to_string(*kind), entry));
    }
    if (!ok)
      return std::unexpected(at("truncated import entry", entry));
    imports.push_back(WasmImport{std::string(*module), std::string(*name)});
  }
  if (!in.at_end()) {
    return std::unexpected(at("import section has trailing bytes", base + in.offset()));
  }
  return imports;
}

}  // namespace

std::expected<std::vector<WasmImport>, std::string> read_wasm_imports(std::string_view bytes) {
  constexpr std::string_view kMagic("\0asm", 4);
  if (bytes.size() < 8 || bytes.substr(0, 4) != kMagic) {
    return std::unexpected(at("bad magic number (expected \\0asm)", 0));
  }
  if (bytes.substr(4, 4) != std::string_view("\x01\x00\x00\x00", 4)) {
    return std::unexpected(at("unsupported binary version (expected 1)", 4));
  }
  if (std::string error; !check_module_bounds(bytes, &error)) {
    return std::unexpected(std::move(error));
  }
  Reader in(bytes);
  (void)in.skip(8);
  std::vector<WasmImport> imports;
  bool seen_imports = false;
  while (!in.at_end()) {
    const std::size_t start = in.offset();
    const auto id = in.byte();
    const auto size = in.u32();
    if (!id || !size)
      return std::unexpected(at("truncated section header", start));
    if (*id > kLastKnownSection) {
      return std::unexpected(at("unknown section id " + std::to_string(*id), start));
    }
    if (*size > in.remaining()) {
      return std::unexpected(at("section " + std::to_string(*id) + " extends past the end", start));
    }
    const std::size_t body = in.offset();
    if (*id == kImportSection) {
      if (seen_imports)
        return std::unexpected(at("duplicate import section", start));
      seen_imports = true;
      auto read = read_import_section(bytes.substr(body, *size), body);
      if (!read)
        return std::unexpected(std::move(read.error()));
      imports = std::move(*read);
    }
    (void)in.skip(*size);
  }
  return imports;
}

std::expected<std::vector<WasmImport>, ExecutorError> check_host_abi(
    std::vector<WasmImport> imports, std::string_view abi_version) {
  const auto supported = supported_host_abi_versions();
  if (std::find(supported.begin(), supported.end(), abi_version) == supported.end()) {
    return std::unexpected(ExecutorError::unsupported_abi_version(std::string(abi_version)));
  }
  std::sort(imports.begin(), imports.end());
  for (const WasmImport& import : imports) {
    if (!is_allowed_host_import(import.module, import.name)) {
      return std::unexpected(ExecutorError::unauthorized_host_import(std::string(abi_version),
                                                                     import.module, import.name));
    }
  }
  return imports;
}

}  // namespace traverse::wasm_internal
