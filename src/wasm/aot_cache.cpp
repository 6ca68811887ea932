// Compiled objects of the ahead-of-time tier on the host side (see aot_cache.hpp).
#include "aot_cache.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "engine/aot_engine.hpp"
#include "engine/aot_units.hpp"
#include "traverse/support/digest.hpp"

namespace traverse::wasm_internal {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kTrailerMagic = "TRAVERSE-AOT-1 ";
// "\n" + magic + key (64) + " " + object sha256 (64) + "\n"
constexpr std::size_t kTrailerBytes = 1 + kTrailerMagic.size() + 64 + 1 + 64 + 1;
constexpr const char* kWasmRtHeader = "/usr/include/wasm-rt.h";
constexpr std::size_t kLogHeadBytes = 600;
constexpr std::chrono::hours kStaleTemporaryAge{1};

std::expected<std::string, std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(std::string(std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

bool is_executable_file(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// The compiler's first lines (the first error says most; a crash's first line names it).
std::string head_of(const std::string& text) {
  std::string out;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < text.size() && lines < 4; ++lines) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    if (!out.empty()) {
      out += " | ";
    }
    out += text.substr(at, end - at);
    at = end + 1;
  }
  if (out.size() > kLogHeadBytes) {
    out = out.substr(0, kLogHeadBytes) + "...";
  }
  return out;
}

std::vector<std::string> compile_environment(const fs::path& temporary) {
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C",
                                  "TMPDIR=" + temporary.string()};
  // The worker executable is built with the host's sanitizers; keep their options.
  for (std::string& entry : sanitizer_environment()) {
    env.push_back(std::move(entry));
  }
  return env;
}

// Deletes least recently used objects until the cache fits `max_bytes` (never `keep`), and
// temporary folders abandoned by crashed processes.
void evict(const fs::path& dir, std::uint64_t max_bytes, const fs::path& keep) {
  struct Entry {
    fs::path path;
    fs::file_time_type time;
    std::uint64_t size;
  };
  std::vector<Entry> entries;
  std::uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    std::error_code item_ec;
    const fs::path& path = item.path();
    const std::string name = path.filename().string();
    const auto time = item.last_write_time(item_ec);
    if (item_ec) {
      continue;
    }
    if (name.starts_with(".tmp-") && now - time > kStaleTemporaryAge) {
      fs::remove_all(path, item_ec);
      continue;
    }
    if (!name.ends_with(".so") || !item.is_regular_file(item_ec)) {
      continue;
    }
    const auto size = static_cast<std::uint64_t>(item.file_size(item_ec));
    if (item_ec) {
      continue;
    }
    entries.push_back({path, time, size});
    total += size;
  }
  if (total <= max_bytes) {
    return;
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.time < b.time; });
  for (const Entry& entry : entries) {
    if (total <= max_bytes) {
      break;
    }
    if (entry.path == keep) {
      continue;
    }
    std::error_code remove_ec;
    if (fs::remove(entry.path, remove_ec)) {
      total -= entry.size;
    }
  }
}

std::atomic<std::uint64_t> g_temporary_counter{0};

}  // namespace

std::string AotError::to_string() const {
  std::string_view kind;
  switch (kind_) {
    case AotErrorKind::NoCompiler:
      kind = "NoCompiler";
      break;
    case AotErrorKind::CacheUnusable:
      kind = "CacheUnusable";
      break;
    case AotErrorKind::InvalidModule:
      kind = "InvalidModule";
      break;
    case AotErrorKind::CompileFailed:
      kind = "CompileFailed";
      break;
    case AotErrorKind::Timeout:
      kind = "Timeout";
      break;
  }
  return std::string(kind) + ": " + message_;
}

std::expected<fs::path, AotError> resolve_c_compiler(const fs::path& configured) {
  const auto usable = [](const fs::path& path,
                         const std::string& source) -> std::expected<fs::path, AotError> {
    if (path.empty() || !is_executable_file(path)) {
      return std::unexpected(
          AotError(AotErrorKind::NoCompiler,
                   "no C compiler: " + source + " \"" + path.string() + "\" is not an executable"));
    }
    std::error_code ec;
    fs::path absolute = fs::absolute(path, ec);
    return ec ? path : absolute;
  };
  if (!configured.empty()) {
    return usable(configured, "the configured compiler");
  }
  if (const char* env = std::getenv("TRAVERSE_AOT_CC"); env != nullptr) {
    return usable(env, "$TRAVERSE_AOT_CC");
  }
  const char* path_env = std::getenv("PATH");
  std::string_view path_list = path_env != nullptr ? path_env : "/usr/bin:/bin";
  while (true) {
    const std::size_t colon = path_list.find(':');
    const std::string_view dir = path_list.substr(0, colon);
    if (!dir.empty()) {
      const fs::path candidate = fs::path(dir) / "cc";
      if (is_executable_file(candidate)) {
        return usable(candidate, "cc");
      }
    }
    if (colon == std::string_view::npos) {
      break;
    }
    path_list.remove_prefix(colon + 1);
  }
  return std::unexpected(AotError(AotErrorKind::NoCompiler, "no C compiler: no `cc` on $PATH"));
}

fs::path resolve_aot_cache_dir(const fs::path& configured) {
  if (!configured.empty()) {
    return configured;
  }
  if (const char* env = std::getenv("TRAVERSE_AOT_CACHE_DIR"); env != nullptr && *env != '\0') {
    return env;
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "traverse" / "aot";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    return fs::path(home) / ".cache" / "traverse" / "aot";
  }
  return {};
}

std::expected<AotCompiler, AotError> AotCompiler::create(AotSettings settings) {
  if (settings.cache_dir.empty()) {
    return std::unexpected(AotError(AotErrorKind::CacheUnusable,
                                    "no cache folder: set $TRAVERSE_AOT_CACHE_DIR, "
                                    "$XDG_CACHE_HOME or $HOME"));
  }
  std::error_code ec;
  const fs::path compiler = fs::canonical(settings.c_compiler, ec);
  struct stat info {};
  if (ec || ::stat(compiler.c_str(), &info) != 0) {
    return std::unexpected(AotError(
        AotErrorKind::NoCompiler, "no C compiler: cannot resolve " + settings.c_compiler.string()));
  }
  auto header = read_file(kWasmRtHeader);
  if (!header) {
    return std::unexpected(AotError(AotErrorKind::NoCompiler,
                                    std::string("no ") + kWasmRtHeader + " (" + header.error() +
                                        "): install wabt's development files"));
  }
  std::string identity = "traverse-aot\n";
  identity += "abi " + std::to_string(kAotAbiVersion) + "\n";
  identity += "cc " + compiler.string() + " " + std::to_string(info.st_size) + " " +
              std::to_string(info.st_mtim.tv_sec) + "." + std::to_string(info.st_mtim.tv_nsec) +
              "\n";
  identity += "flags";
  for (const char* flag : kAotCompilerFlags) {
    identity += std::string(" ") + flag;
  }
  identity += "\nlink";
  for (const char* flag : kAotLinkFlags) {
    identity += std::string(" ") + flag;
  }
  identity += "\nunits " + std::to_string(kAotUnitsVersion) + " max " +
              std::to_string(kAotMaxUnits) + " min " + std::to_string(kAotMinUnitBytes);
  identity += "\nwasm-rt.h " + sha256_hex(*header) + "\n";
  return AotCompiler(std::move(settings), std::move(identity));
}

std::string AotCompiler::key_for(std::string_view digest) const {
  return sha256_hex(identity_ + "module " + std::string(digest) + "\n");
}

std::expected<std::uint64_t, std::string> verify_aot_object(const fs::path& path,
                                                            std::string_view key) {
  auto bytes = read_file(path);
  if (!bytes) {
    return std::unexpected("unreadable: " + bytes.error());
  }
  if (bytes->size() <= kTrailerBytes) {
    return std::unexpected(std::string("too short to hold an object and its trailer"));
  }
  const std::string_view all(*bytes);
  const std::string_view trailer = all.substr(all.size() - kTrailerBytes);
  if (trailer.substr(1, kTrailerMagic.size()) != kTrailerMagic) {
    return std::unexpected(std::string("no Traverse AOT trailer"));
  }
  const std::string_view named_key = trailer.substr(1 + kTrailerMagic.size(), 64);
  if (named_key != key) {
    return std::unexpected("compiled for another key (" + std::string(named_key) + ")");
  }
  const std::string_view object = all.substr(0, all.size() - kTrailerBytes);
  const std::string_view named_digest = trailer.substr(1 + kTrailerMagic.size() + 65, 64);
  if (sha256_hex(object) != named_digest) {
    return std::unexpected(std::string("the object does not match its recorded SHA-256"));
  }
  return static_cast<std::uint64_t>(object.size());
}

std::expected<AotObject, AotError> AotCompiler::object_for(std::string_view digest,
                                                           std::string_view bytes) const {
  const fs::path& dir = settings_.cache_dir;
  AotObject object;
  object.key = key_for(digest);
  object.path = dir / (object.key + ".so");
  std::error_code ec;
  if (fs::exists(object.path, ec)) {
    if (auto size = verify_aot_object(object.path, object.key)) {
      object.object_bytes = *size;
      fs::last_write_time(object.path, fs::file_time_type::clock::now(), ec);  // recently used
      return object;
    }
    fs::remove(object.path, ec);  // rejected: rebuilt below
  }

  fs::create_directories(dir, ec);
  if (ec) {
    return std::unexpected(AotError(AotErrorKind::CacheUnusable,
                                    "cannot create " + dir.string() + ": " + ec.message()));
  }
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  const fs::path temporary =
      dir / (".tmp-" + object.key.substr(0, 16) + "-" + std::to_string(getpid()) + "-" +
             std::to_string(g_temporary_counter.fetch_add(1)));
  fs::create_directory(temporary, ec);
  if (ec) {
    return std::unexpected(AotError(AotErrorKind::CacheUnusable,
                                    "cannot create " + temporary.string() + ": " + ec.message()));
  }
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{temporary};

  {
    std::ofstream out(temporary / "module.wasm", std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      return std::unexpected(
          AotError(AotErrorKind::CacheUnusable, "cannot write into " + temporary.string()));
    }
  }

  const auto started = Clock::now();
  const auto cpu_seconds = std::max<long long>(
      1, std::chrono::ceil<std::chrono::seconds>(settings_.compile_timeout).count());
  std::vector<std::string> args = {
      settings_.worker.string(),
      "--aot-compile=" + temporary.string(),
      "--aot-key=" + object.key,
      "--aot-cc=" + settings_.c_compiler.string(),
      "--aot-memory=" + std::to_string(settings_.compile_memory_bytes),
      "--aot-cpu-seconds=" + std::to_string(cpu_seconds),
  };
  const std::string log = (temporary / "compile.log").string();
  ChildSpec spec;
  spec.executable = settings_.worker.string();
  spec.args = std::move(args);
  spec.env = compile_environment(temporary);
  spec.stdin_null = true;
  spec.stdout_path = log;
  spec.stderr_to_stdout = true;
  spec.own_process_group = true;  // its own group: a timeout kills the compiler too
  const auto pid = spawn_child(spec);
  if (!pid) {
    return std::unexpected(
        AotError(AotErrorKind::CompileFailed,
                 "cannot start " + settings_.worker.string() + ": " + pid.error().message()));
  }
  const std::optional<int> status =
      wait_child(*pid, started + settings_.compile_timeout, /*own_process_group=*/true);
  if (!status) {
    return std::unexpected(
        AotError(AotErrorKind::Timeout, "compiling the module took longer than " +
                                            std::to_string(settings_.compile_timeout.count()) +
                                            " ms; the compiler was stopped"));
  }
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    const std::string how = describe_wait_status(*status);
    auto output = read_file(log);
    // Exit status 6: the worker's compile mode could not decode, validate or translate it.
    const bool invalid = WIFEXITED(*status) && WEXITSTATUS(*status) == 6 && output &&
                         output->find("cannot translate") != std::string::npos;
    return std::unexpected(
        AotError(invalid ? AotErrorKind::InvalidModule : AotErrorKind::CompileFailed,
                 "the C compiler failed (" + how + ")" +
                     (output && !output->empty() ? ": " + head_of(*output) : std::string())));
  }
  auto compiled = read_file(temporary / "module.so");
  if (!compiled) {
    return std::unexpected(AotError(AotErrorKind::CompileFailed,
                                    "the C compiler wrote no object: " + compiled.error()));
  }
  object.object_bytes = compiled->size();
  const std::string object_digest = sha256_hex(*compiled);
  *compiled += "\n";
  *compiled += kTrailerMagic;
  *compiled += object.key + " " + object_digest + "\n";
  const fs::path staged = temporary / "final.so";
  {
    std::ofstream out(staged, std::ios::binary);
    out.write(compiled->data(), static_cast<std::streamsize>(compiled->size()));
    if (!out) {
      return std::unexpected(
          AotError(AotErrorKind::CacheUnusable, "cannot write " + staged.string()));
    }
  }
  fs::permissions(staged, fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec,
                  fs::perm_options::replace, ec);
  fs::rename(staged, object.path, ec);  // atomic: readers see the old file or the whole new one
  if (ec) {
    return std::unexpected(
        AotError(AotErrorKind::CacheUnusable,
                 "cannot rename into " + object.path.string() + ": " + ec.message()));
  }
  object.compiled = true;
  object.compile_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - started).count());
  evict(dir, settings_.max_cache_bytes, object.path);
  return object;
}

}  // namespace traverse::wasm_internal
