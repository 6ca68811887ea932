// src/wasm/aot_cache.hpp — compiled objects of the ahead-of-time tier, on the host side
// (internal).
//
// An AotCompiler finds the C compiler once, then for each module (by SHA-256) returns a verified
// compiled object from the cache folder or builds one. Building never happens in the host
// process: the worker executable's compile mode translates the module to C and becomes the C
// compiler, in its own process group, with an address-space and CPU limit, and is killed when
// the wall-clock timeout passes. The host never loads the object; it only checks its trailer.
//
// Cache entries are `<key>.so`, where key = SHA-256 of (module digest, compiler identity — its
// resolved path, size and modification time —, compiler flags, the wasm-rt.h header's digest,
// the runtime ABI version). Each file is the ELF object followed by a trailer
// "TRAVERSE-AOT-1 <key> <sha256 of the object>\n": a truncated, corrupted or foreign file is
// rejected, deleted and rebuilt. Files are written to a private temporary folder and renamed
// into place, so many processes may share the cache. Past `max_bytes` the least recently used
// entries (by modification time, refreshed on use) are deleted.
//
// Thread safety: safe for concurrent use (compiles of different modules run in parallel; callers
// that want one compile per module serialise per module themselves).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace traverse::wasm_internal {

enum class AotErrorKind : std::uint8_t {
  NoCompiler,     // no usable C compiler (or no wasm-rt.h)
  CacheUnusable,  // the cache folder cannot be created or written
  InvalidModule,  // the module does not decode or validate (the interpreter reports it)
  CompileFailed,  // translation or the C compiler failed
  Timeout,        // the compile ran past its wall-clock limit
};

class AotError {
 public:
  AotError(AotErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}
  [[nodiscard]] AotErrorKind kind() const { return kind_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] std::string to_string() const;

 private:
  AotErrorKind kind_;
  std::string message_;
};

struct AotSettings {
  std::filesystem::path worker;  // the worker executable (its compile mode)
  std::filesystem::path cache_dir;
  std::uint64_t max_cache_bytes = 512U * 1024U * 1024U;
  std::chrono::milliseconds compile_timeout{120'000};
  std::uint64_t compile_memory_bytes = 0;
  std::filesystem::path c_compiler;  // resolved (see resolve_c_compiler)
};

struct AotObject {
  std::filesystem::path path;
  std::string key;
  bool compiled = false;           // built by this call (false: reused from the cache)
  std::uint64_t compile_ns = 0;    // when compiled
  std::uint64_t object_bytes = 0;  // the ELF object without the trailer
};

// The configured compiler, else $TRAVERSE_AOT_CC (when set), else `cc` on $PATH, as an absolute
// executable path. NoCompiler says what was tried.
[[nodiscard]] std::expected<std::filesystem::path, AotError> resolve_c_compiler(
    const std::filesystem::path& configured);

// The configured folder, else $TRAVERSE_AOT_CACHE_DIR, $XDG_CACHE_HOME/traverse/aot,
// $HOME/.cache/traverse/aot (empty when none can be formed).
[[nodiscard]] std::filesystem::path resolve_aot_cache_dir(const std::filesystem::path& configured);

class AotCompiler {
 public:
  // Fixes the compiler identity (NoCompiler when the compiler or wasm-rt.h is missing).
  [[nodiscard]] static std::expected<AotCompiler, AotError> create(AotSettings settings);

  // The verified object for the module with SHA-256 `digest` and `bytes`, compiled when the
  // cache has none (or a rejected one).
  [[nodiscard]] std::expected<AotObject, AotError> object_for(std::string_view digest,
                                                              std::string_view bytes) const;

  // The cache key of a module.
  [[nodiscard]] std::string key_for(std::string_view digest) const;
  [[nodiscard]] const AotSettings& settings() const { return settings_; }

 private:
  AotCompiler(AotSettings settings, std::string identity)
      : settings_(std::move(settings)), identity_(std::move(identity)) {}

  AotSettings settings_;
  std::string identity_;  // everything in the key except the module digest
};

// Checks a cache file: the trailer names `key` and the object's SHA-256 matches. Returns the
// object's size, or why the file is rejected.
[[nodiscard]] std::expected<std::uint64_t, std::string> verify_aot_object(
    const std::filesystem::path& path, std::string_view key);

}  // namespace traverse::wasm_internal
