// WasmExecutor: host-side validation and the sandbox worker pool (see wasm_executor.hpp).
#include "traverse/wasm/wasm_executor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <stop_token>
#include <system_error>
#include <thread>
#include <utility>

#include "aot_cache.hpp"
#include "protocol.hpp"
#include "traverse/json/parse.hpp"
#include "traverse/json/value.hpp"
#include "traverse/support/digest.hpp"
#include "traverse/wasm/host_abi.hpp"
#include "wasm_binary.hpp"
#include "worker_process.hpp"

namespace traverse {
namespace {

using Clock = std::chrono::steady_clock;
using wasm_internal::ExecuteResult;
using wasm_internal::MessageReader;
using wasm_internal::MessageType;
using wasm_internal::RunStatus;
using wasm_internal::WorkerProcess;

constexpr std::chrono::milliseconds kShutdownGrace{2000};
constexpr std::chrono::milliseconds kReapGrace{2000};
constexpr std::size_t kMaxStdoutInError = 1024;
// Host-side verified module bytes kept at most (besides the entry count).
constexpr std::uint64_t kModuleStoreBytes = 256U * 1024U * 1024U;

std::uint64_t ns_between(Clock::time_point from, Clock::time_point to) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
  return ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
}

// --- configuration checks ---------------------------------------------------------------------

template <typename T>
std::optional<std::string> out_of_range(std::string_view name, T value, T min, T max,
                                        std::string_view unit = {}) {
  if (value >= min && value <= max)
    return std::nullopt;
  return "invalid WasmExecutorConfig: " + std::string(name) + " is " + std::to_string(value) +
         std::string(unit) + "; expected " + std::to_string(min) + std::string(unit) +
         " ..= " + std::to_string(max) + std::string(unit);
}

std::optional<std::string> check_limits(const WasmExecutionLimits& limits,
                                        const std::string& where) {
  using std::chrono::milliseconds;
  if (auto e = out_of_range<long long>(where + ".deadline", limits.deadline.count(), 1, 3'600'000,
                                       " ms"))
    return e;
  if (auto e = out_of_range<std::uint64_t>(where + ".max_memory_bytes", limits.max_memory_bytes,
                                           65536, std::uint64_t{4} << 30))
    return e;
  if (auto e = out_of_range<std::uint32_t>(where + ".max_table_elements", limits.max_table_elements,
                                           0, 10'000'000))
    return e;
  if (auto e = out_of_range<std::uint64_t>(where + ".max_stdout_bytes", limits.max_stdout_bytes, 0,
                                           std::uint64_t{64} << 20))
    return e;
  if (auto e = out_of_range<std::uint64_t>(where + ".stderr_tail_bytes", limits.stderr_tail_bytes,
                                           0, std::uint64_t{1} << 20))
    return e;
  return out_of_range<std::uint32_t>(where + ".max_events", limits.max_events, 0, 65536);
}

std::optional<std::string> check_config(const WasmExecutorConfig& config) {
  if (auto e = check_limits(config.default_limits, "default_limits"))
    return e;
  for (const auto& [capability_id, limits] : config.capability_limits) {
    if (auto e = check_limits(limits, "capability_limits[" + capability_id + "]"))
      return e;
  }
  if (auto e = out_of_range<std::size_t>("worker_count", config.worker_count, 1, 64))
    return e;
  if (auto e = out_of_range<std::size_t>("max_queued_calls", config.max_queued_calls, 0, 65536))
    return e;
  if (auto e = out_of_range<long long>("queue_timeout", config.queue_timeout.count(), 1, 3'600'000,
                                       " ms"))
    return e;
  if (auto e =
          out_of_range<std::size_t>("module_cache_entries", config.module_cache_entries, 0, 4096))
    return e;
  if (auto e = out_of_range<std::uint64_t>("max_module_bytes", config.max_module_bytes, 8,
                                           std::uint64_t{128} << 20))
    return e;
  if (config.worker_address_space_bytes != 0) {
    if (auto e = out_of_range<std::uint64_t>("worker_address_space_bytes",
                                             config.worker_address_space_bytes,
                                             std::uint64_t{64} << 20, std::uint64_t{1} << 40))
      return e;
  }
  if (auto e = out_of_range<std::uint64_t>("aot_cache_max_bytes", config.aot_cache_max_bytes,
                                           std::uint64_t{1} << 20, std::uint64_t{1} << 40))
    return e;
  if (auto e = out_of_range<long long>("aot_compile_timeout", config.aot_compile_timeout.count(),
                                       100, 3'600'000, " ms"))
    return e;
  if (config.aot_compile_memory_bytes != 0) {
    if (auto e =
            out_of_range<std::uint64_t>("aot_compile_memory_bytes", config.aot_compile_memory_bytes,
                                        std::uint64_t{64} << 20, std::uint64_t{1} << 40))
      return e;
  }
  return out_of_range<long long>("worker_start_timeout", config.worker_start_timeout.count(), 1,
                                 600'000, " ms");
}

// The tier: the configured one, else $TRAVERSE_WASM_TIER, else Auto. An unknown name is an error.
std::expected<WasmTier, std::string> resolve_tier(const WasmExecutorConfig& config) {
  if (config.tier)
    return *config.tier;
  const char* env = std::getenv(kWasmTierEnvironmentVariable);
  if (env == nullptr || *env == '\0')
    return WasmTier::Auto;
  if (auto tier = parse_wasm_tier(env))
    return *tier;
  return std::unexpected(std::string("$") + kWasmTierEnvironmentVariable + " is \"" + env +
                         "\"; expected auto, aot or interpreter");
}

// --- reading the module -----------------------------------------------------------------------

// What stat(2) says about a module file; a change means the file was replaced or written.
struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  off_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

FileIdentity identity_of(const struct stat& info) {
  const auto ns = [](const timespec& t) {
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  };
  return FileIdentity{info.st_dev, info.st_ino, info.st_size, ns(info.st_mtim), ns(info.st_ctim)};
}

struct ReadModule {
  std::string bytes;
  FileIdentity identity;  // taken before reading: a write during the read changes it
};

std::expected<ReadModule, ExecutorError> read_module(const std::string& path,
                                                     std::uint64_t max_bytes) {
  const auto failed = [&](const std::string& why) {
    return std::unexpected(ExecutorError::binary_load_failed("cannot read " + path + ": " + why));
  };
  const auto too_large = [&](std::uint64_t size) {
    return std::unexpected(ExecutorError::binary_load_failed(
        path + " is " + std::to_string(size) + " bytes; the largest module accepted is " +
        std::to_string(max_bytes) + " bytes (WasmExecutorConfig::max_module_bytes)"));
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return failed(std::system_category().message(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return failed(std::system_category().message(error));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return failed(S_ISDIR(info.st_mode) ? std::system_category().message(EISDIR)
                                        : std::string("not a regular file"));
  }
  if (static_cast<std::uint64_t>(info.st_size) > max_bytes) {
    ::close(fd);
    return too_large(static_cast<std::uint64_t>(info.st_size));
  }
  std::string bytes(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  for (;;) {
    if (done == bytes.size())
      bytes.resize(done + 4096);  // the file may have grown
    const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return failed(std::system_category().message(error));
    }
    if (got == 0)
      break;
    done += static_cast<std::size_t>(got);
    if (done > max_bytes) {
      ::close(fd);
      return too_large(done);
    }
  }
  ::close(fd);
  bytes.resize(done);
  return ReadModule{std::move(bytes), identity_of(info)};
}

// --- verified modules -------------------------------------------------------------------------

// A module file as read once: its bytes are the only bytes that ever run for that file version,
// and its SHA-256 is what every call's checksum is compared with. Immutable after creation
// except for the memoised import checks (guarded by `mutex`). Shared with in-flight calls.
struct VerifiedModule {
  std::string path;
  FileIdentity identity;
  std::string digest;
  std::string bytes;

  mutable std::mutex mutex;
  // The import section, read on first use (after a checksum check passed).
  mutable std::optional<std::expected<std::vector<WasmImport>, std::string>> imports;
  // ABI check results by ABI version (a capability names at most a few).
  mutable std::vector<std::pair<std::string, std::optional<ExecutorError>>> abi_checks;

  // The ahead-of-time object for these bytes, resolved once (compiled or found in the cache);
  // callers of one module wait for its single compile.
  mutable std::mutex aot_mutex;
  mutable std::optional<std::expected<wasm_internal::AotObject, wasm_internal::AotError>> aot;

  // The import whitelist check for `abi`, computed once per version.
  std::optional<ExecutorError> check_imports(std::string_view abi) const {
    std::lock_guard lock(mutex);
    for (const auto& [version, error] : abi_checks) {
      if (version == abi)
        return error;
    }
    if (!imports)
      imports = wasm_internal::read_wasm_imports(bytes);
    std::optional<ExecutorError> error;
    if (!*imports) {
      error = ExecutorError::malformed_wasm_artifact("module compile: " + imports->error());
    } else if (auto checked = wasm_internal::check_host_abi(**imports, abi); !checked) {
      error = std::move(checked.error());
    }
    if (abi_checks.size() < 8)
      abi_checks.emplace_back(std::string(abi), error);
    return error;
  }
};

// Verified modules by path, bounded by entry count and total bytes (FIFO eviction; an evicted
// module stays alive for the calls using it). A call stats the file (no read, no hash): an
// unchanged file uses the bytes read before; a changed one is read and hashed again, so a file
// replaced on disk is never run unverified and a checksum mismatch is reported, not ignored.
class ModuleStore {
 public:
  ModuleStore(std::size_t max_entries, std::uint64_t max_total_bytes)
      : max_entries_(std::max<std::size_t>(max_entries, 1)), max_total_bytes_(max_total_bytes) {}

  std::expected<std::shared_ptr<const VerifiedModule>, ExecutorError> get(
      const std::string& path, std::uint64_t max_module_bytes, std::atomic<std::uint64_t>& reads) {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode)) {
      const FileIdentity identity = identity_of(info);
      std::lock_guard lock(mutex_);
      for (const auto& entry : entries_) {
        if (entry->path == path && entry->identity == identity)
          return entry;
      }
    }
    // First use, or the file changed: read and hash it (read_module reports why it cannot).
    reads.fetch_add(1, std::memory_order_relaxed);
    auto read = read_module(path, max_module_bytes);
    if (!read)
      return std::unexpected(std::move(read.error()));
    auto module = std::make_shared<VerifiedModule>();
    module->path = path;
    module->identity = read->identity;
    module->digest = sha256_hex(read->bytes);
    module->bytes = std::move(read->bytes);
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& entry) {
      if (entry->path != path)
        return false;
      total_bytes_ -= entry->bytes.size();
      return true;
    });
    while (!entries_.empty() && (entries_.size() >= max_entries_ ||
                                 total_bytes_ + module->bytes.size() > max_total_bytes_)) {
      total_bytes_ -= entries_.front()->bytes.size();
      entries_.erase(entries_.begin());
    }
    total_bytes_ += module->bytes.size();
    entries_.push_back(module);
    return module;
  }

 private:
  std::size_t max_entries_;
  std::uint64_t max_total_bytes_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<const VerifiedModule>> entries_;  // oldest first
  std::uint64_t total_bytes_ = 0;
};

// Printable, bounded text for error messages: invalid UTF-8 bytes become U+FFFD.
std::string lossy(std::string_view bytes, std::size_t limit) {
  std::string out;
  std::size_t i = 0;
  while (i < bytes.size() && out.size() < limit) {
    const auto lead = static_cast<unsigned char>(bytes[i]);
    std::size_t length = lead < 0x80           ? 1
                         : (lead >> 5) == 0x6  ? 2
                         : (lead >> 4) == 0xE  ? 3
                         : (lead >> 3) == 0x1E ? 4
                                               : 0;
    bool valid = length > 0 && i + length <= bytes.size();
    for (std::size_t k = 1; valid && k < length; ++k) {
      valid = (static_cast<unsigned char>(bytes[i + k]) & 0xC0U) == 0x80U;
    }
    if (valid) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  if (i < bytes.size())
    out += "...";
  return out;
}

std::string stderr_suffix(const std::string& tail) {
  return tail.empty() ? std::string("; stderr is empty")
                      : "; stderr tail: \"" + lossy(tail, tail.size()) + "\"";
}

bool is_trap(RunStatus status) {
  switch (status) {
    case RunStatus::Trapped:
    case RunStatus::MemoryLimit:
    case RunStatus::TableLimit:
    case RunStatus::StdoutLimit:
    case RunStatus::EventLimit:
      return true;
    default:
      return false;
  }
}

struct Counters {
  std::atomic<std::uint64_t> executions{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> worker_deaths{0};
  std::atomic<std::uint64_t> workers_spawned{0};
  std::atomic<std::uint64_t> workers_replaced{0};
  std::atomic<std::uint64_t> workers_recycled{0};
  std::atomic<std::uint64_t> overloaded{0};
  std::atomic<std::uint64_t> module_cache_hits{0};
  std::atomic<std::uint64_t> module_cache_misses{0};
  std::atomic<std::uint64_t> module_file_reads{0};
  std::atomic<std::uint64_t> spawn_ns{0};
  std::atomic<std::uint64_t> ipc_ns{0};
  std::atomic<std::uint64_t> decode_ns{0};
  std::atomic<std::uint64_t> instantiate_ns{0};
  std::atomic<std::uint64_t> run_ns{0};
  std::atomic<std::uint64_t> json_ns{0};
  std::atomic<std::uint64_t> aot_executions{0};
  std::atomic<std::uint64_t> aot_compiles{0};
  std::atomic<std::uint64_t> aot_object_reuses{0};
  std::atomic<std::uint64_t> aot_fallbacks{0};
  std::atomic<std::uint64_t> aot_compile_ns{0};
  std::atomic<std::uint64_t> workers_switched{0};
};

void add(std::atomic<std::uint64_t>& counter, std::uint64_t value) {
  counter.fetch_add(value, std::memory_order_relaxed);
}

}  // namespace

// --- locating the worker ----------------------------------------------------------------------

std::string_view to_string(WasmWorkerErrorKind kind) {
  switch (kind) {
    case WasmWorkerErrorKind::ConfiguredPathUnusable:
      return "ConfiguredPathUnusable";
    case WasmWorkerErrorKind::EnvironmentPathUnusable:
      return "EnvironmentPathUnusable";
    case WasmWorkerErrorKind::NotFound:
      return "NotFound";
  }
  return "Unknown";
}

std::string WasmWorkerError::message() const {
  const auto tried = [&](std::string_view source) {
    const Attempt& attempt = attempts_.front();
    return "sandbox worker " + attempt.path + " (" + std::string(source) +
           ") cannot be used: " + attempt.reason;
  };
  switch (kind_) {
    case WasmWorkerErrorKind::ConfiguredPathUnusable:
      if (!attempts_.empty())
        return tried("WasmExecutorConfig::worker_path");
      break;
    case WasmWorkerErrorKind::EnvironmentPathUnusable:
      if (!attempts_.empty())
        return tried("$TRAVERSE_WASM_WORKER");
      break;
    case WasmWorkerErrorKind::NotFound:
      break;
  }
  std::string text = "traverse-wasm-worker not found; looked in: ";
  for (std::size_t i = 0; i < attempts_.size(); ++i) {
    text += (i == 0 ? "" : ", ") + attempts_[i].path + " (" + attempts_[i].reason + ")";
  }
  return text + " (set WasmExecutorConfig::worker_path or $TRAVERSE_WASM_WORKER)";
}

std::string WasmWorkerError::to_string() const {
  return std::string(traverse::to_string(kind_)) + ": " + message();
}

namespace {

// Why `path` cannot be used as the worker executable, or "" when it can.
std::string unusable_because(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return std::system_category().message(errno);
  if (S_ISDIR(info.st_mode))
    return std::system_category().message(EISDIR);
  if (!S_ISREG(info.st_mode))
    return "not a regular file";
  if (::access(path.c_str(), X_OK) != 0)
    return "not executable (" + std::system_category().message(errno) + ")";
  return {};
}

}  // namespace

std::expected<std::filesystem::path, WasmWorkerError> find_wasm_worker(
    const std::filesystem::path& configured) {
  using Attempt = WasmWorkerError::Attempt;
  if (!configured.empty()) {
    std::string why = unusable_because(configured);
    if (why.empty())
      return configured;
    return std::unexpected(WasmWorkerError(WasmWorkerErrorKind::ConfiguredPathUnusable,
                                           {Attempt{configured.string(), std::move(why)}}));
  }
  if (const char* env = std::getenv("TRAVERSE_WASM_WORKER"); env != nullptr && *env != '\0') {
    const std::filesystem::path from_env(env);
    std::string why = unusable_because(from_env);
    if (why.empty())
      return from_env;
    return std::unexpected(WasmWorkerError(WasmWorkerErrorKind::EnvironmentPathUnusable,
                                           {Attempt{from_env.string(), std::move(why)}}));
  }
  std::vector<std::filesystem::path> candidates;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(self.parent_path() / "traverse-wasm-worker");
    candidates.push_back(self.parent_path().parent_path() / "libexec" / "traverse" /
                         "traverse-wasm-worker");
  }
#ifdef TRAVERSE_WASM_WORKER_BUILD_PATH
  candidates.emplace_back(TRAVERSE_WASM_WORKER_BUILD_PATH);
#endif
#ifdef TRAVERSE_WASM_WORKER_INSTALL_PATH
  candidates.emplace_back(TRAVERSE_WASM_WORKER_INSTALL_PATH);
#endif
  std::vector<Attempt> attempts;
  for (const auto& candidate : candidates) {
    std::string why = unusable_because(candidate);
    if (why.empty())
      return candidate;
    attempts.push_back(Attempt{candidate.string(), std::move(why)});
  }
  return std::unexpected(WasmWorkerError(WasmWorkerErrorKind::NotFound, std::move(attempts)));
}

namespace {

class UnavailableWasmExecutor final : public CapabilityExecutor {
 public:
  explicit UnavailableWasmExecutor(WasmWorkerError why) : why_(std::move(why)) {}

  [[nodiscard]] std::expected<ExecutorOutput, ExecutorError> execute(
      const ExecutorCapability& capability, const Value& /*input*/,
      ExecutionContext& /*context*/) const override {
    if (capability.artifact_type != ArtifactType::Wasm)
      return std::unexpected(ExecutorError::unsupported_artifact_type());
    return std::unexpected(ExecutorError::runtime_setup_failed(
        "no sandbox worker for WebAssembly: " + why_.message()));
  }

  [[nodiscard]] ExecutorCompletion submit(const ExecutorCapability& capability, const Value& input,
                                          ExecutionContext& context) const override {
    return ExecutorCompletion::fulfilled(execute(capability, input, context));
  }

 private:
  WasmWorkerError why_;
};

}  // namespace

std::shared_ptr<const CapabilityExecutor> make_unavailable_wasm_executor(WasmWorkerError why) {
  return std::make_shared<UnavailableWasmExecutor>(std::move(why));
}

// --- starting workers -------------------------------------------------------------------------

// Starts worker processes from one thread that lives as long as the executor. A worker asks the
// kernel for SIGKILL when the thread that started it exits (PR_SET_PDEATHSIG follows threads,
// not processes); started from a short-lived caller thread, it would die under a later caller.
// Only the fork/exec happens here; callers wait for the worker's Hello themselves.
class Spawner {
 public:
  using Started = std::expected<std::unique_ptr<WorkerProcess>, std::string>;

  Spawner() : thread_([this](std::stop_token stop) { loop(stop); }) {}
  ~Spawner() {
    thread_.request_stop();
    wake_.notify_all();
  }
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;

  Started start(const wasm_internal::WorkerSpawnOptions& options) {
    std::packaged_task<Started()> task([&options] { return WorkerProcess::start(options); });
    std::future<Started> started = task.get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return started.get();
  }

 private:
  void loop(const std::stop_token& stop) {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, stop, [&] { return !tasks_.empty(); });
      if (tasks_.empty())
        return;  // stop requested (no caller can be waiting: the executor is being destroyed)
      std::packaged_task<Started()> task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::packaged_task<Started()>> tasks_;  // at most one per worker slot
  std::jthread thread_;                              // last: stopped and joined first
};

// --- the pool ---------------------------------------------------------------------------------

struct WasmExecutor::Impl {
  WasmExecutorConfig config;
  std::filesystem::path worker_path;
  wasm_internal::WorkerSpawnOptions spawn_options;
  WasmTier tier = WasmTier::Auto;  // resolved; Auto without a compiler became Interpreter
  std::optional<wasm_internal::AotCompiler> aot;  // set when the tier may compile
  Counters counters;
  ModuleStore modules;
  Spawner spawner;

  // State below is protected by mutex.
  mutable std::mutex mutex;
  std::condition_variable available;
  // Free slots; a null entry is a slot whose process must be (re)started by its next user.
  std::vector<std::unique_ptr<WorkerProcess>> idle;
  std::size_t waiting = 0;
  std::vector<int> live_pids;

  // A slot checked out by one call; returned to `idle` (with or without a process) on scope exit.
  class Lease {
   public:
    Lease(Impl* owner, std::unique_ptr<WorkerProcess> worker)
        : owner_(owner), worker_(std::move(worker)) {}
    Lease(Lease&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)),
          worker_(std::move(other.worker_)),
          in_flight_(std::exchange(other.in_flight_, false)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (owner_ == nullptr) {
        return;
      }
      // A worker left mid-request (an exception escaped between send and result) must not serve
      // anyone else: its next message would answer the wrong call.
      if (in_flight_) {
        discard();
      }
      owner_->release(std::move(worker_));
    }
    [[nodiscard]] WorkerProcess* worker() const { return worker_.get(); }
    void set(std::unique_ptr<WorkerProcess> worker) { worker_ = std::move(worker); }
    void set_in_flight(bool in_flight) { in_flight_ = in_flight; }
    // Kills and reaps the process; the slot stays empty until its next user.
    std::string discard() {
      in_flight_ = false;
      if (!worker_) {
        return {};
      }
      const int pid = worker_->pid();
      std::string how = worker_->kill_and_reap();
      worker_.reset();
      owner_->forget_pid(pid);
      return how;
    }
    // After the socket closed: reaps the process (bounded wait) and says how it ended.
    std::string discard_after_close() {
      in_flight_ = false;
      const int pid = worker_->pid();
      std::string how = worker_->reap_after_close(kReapGrace);
      worker_.reset();
      owner_->forget_pid(pid);
      return how;
    }

   private:
    Impl* owner_;
    std::unique_ptr<WorkerProcess> worker_;
    bool in_flight_ = false;
  };

  explicit Impl(WasmExecutorConfig cfg, std::filesystem::path path)
      : config(std::move(cfg)),
        worker_path(std::move(path)),
        modules(config.module_cache_entries,
                std::max<std::uint64_t>(kModuleStoreBytes, config.max_module_bytes)) {
    spawn_options.executable = worker_path;
    spawn_options.cache_entries = std::max<std::size_t>(config.module_cache_entries, 1);
    spawn_options.address_space_bytes = config.worker_address_space_bytes;
    spawn_options.start_timeout = config.worker_start_timeout;
    idle.resize(config.worker_count);
  }

  ~Impl() {
    std::vector<std::unique_ptr<WorkerProcess>> workers;
    {
      std::lock_guard lock(mutex);
      workers = std::move(idle);
      idle.clear();
    }
    for (auto& worker : workers) {
      if (worker)
        worker->begin_shutdown();
    }
    const auto deadline = Clock::now() + kShutdownGrace;
    for (auto& worker : workers) {
      if (worker)
        worker->finish_shutdown(deadline);
    }
  }

  void forget_pid(int pid) {
    std::lock_guard lock(mutex);
    std::erase(live_pids, pid);
  }

  void warn(const std::string& message) const {
    if (config.on_warning) {
      config.on_warning(message);
    } else {
      std::fprintf(stderr, "traverse: warning: %s\n", message.c_str());
    }
  }

  // Sets up the tier: finds the compiler for Aot/Auto. Auto without one: the interpreter, with
  // one warning. Aot without one: an error.
  std::expected<void, std::string> setup_tier() {
    auto resolved = resolve_tier(config);
    if (!resolved)
      return std::unexpected(std::move(resolved.error()));
    tier = *resolved;
    if (tier == WasmTier::Interpreter)
      return {};
    auto created = [&]() -> std::expected<wasm_internal::AotCompiler, wasm_internal::AotError> {
      auto compiler = wasm_internal::resolve_c_compiler(config.c_compiler);
      if (!compiler)
        return std::unexpected(std::move(compiler.error()));
      wasm_internal::AotSettings settings;
      settings.worker = worker_path;
      settings.cache_dir = wasm_internal::resolve_aot_cache_dir(config.aot_cache_dir);
      settings.max_cache_bytes = config.aot_cache_max_bytes;
      settings.compile_timeout = config.aot_compile_timeout;
      settings.compile_memory_bytes = config.aot_compile_memory_bytes;
      settings.c_compiler = std::move(*compiler);
      return wasm_internal::AotCompiler::create(std::move(settings));
    }();
    if (created) {
      aot.emplace(std::move(*created));
      return {};
    }
    if (tier == WasmTier::Aot) {
      return std::unexpected("the ahead-of-time WebAssembly tier is unavailable: " +
                             created.error().message());
    }
    warn("WebAssembly runs in the interpreter: the ahead-of-time tier is unavailable (" +
         created.error().message() + ")");
    tier = WasmTier::Interpreter;
    return {};
  }

  // The compiled object for `module` (memoised per module version), or why there is none.
  const std::expected<wasm_internal::AotObject, wasm_internal::AotError>& aot_object(
      const VerifiedModule& module) {
    std::lock_guard lock(module.aot_mutex);
    if (!module.aot) {
      module.aot = aot->object_for(module.digest, module.bytes);
      if (*module.aot) {
        if ((*module.aot)->compiled) {
          add(counters.aot_compiles, 1);
          add(counters.aot_compile_ns, (*module.aot)->compile_ns);
        } else {
          add(counters.aot_object_reuses, 1);
        }
      } else {
        // A module the compiler cannot build runs in the interpreter (either tier), with one
        // warning; a malformed one is reported by the interpreter worker as such.
        add(counters.aot_fallbacks, 1);
        if (module.aot->error().kind() != wasm_internal::AotErrorKind::InvalidModule)
          warn("WebAssembly module " + module.path +
               " runs in the interpreter: " + module.aot->error().message());
      }
    }
    return *module.aot;
  }

  std::expected<std::unique_ptr<WorkerProcess>, std::string> spawn_worker(
      const wasm_internal::WorkerSpawnOptions& options) {
    const auto start = Clock::now();
    auto worker = spawner.start(options);
    if (!worker)
      return worker;
    if (auto ready = (*worker)->await_ready(options); !ready)
      return std::unexpected(std::move(ready.error()));
    add(counters.workers_spawned, 1);
    add(counters.spawn_ns, ns_between(start, Clock::now()));
    std::lock_guard lock(mutex);
    live_pids.push_back((*worker)->pid());
    return worker;
  }

  std::expected<void, std::string> prestart() {
    std::vector<std::unique_ptr<WorkerProcess>> started;
    for (std::size_t i = 0; i < config.worker_count; ++i) {
      auto worker = spawn_worker(spawn_options);
      if (!worker)
        return std::unexpected(worker.error());
      started.push_back(std::move(*worker));
    }
    std::lock_guard lock(mutex);
    idle = std::move(started);
    return {};
  }

  void release(std::unique_ptr<WorkerProcess> worker) {
    {
      std::lock_guard lock(mutex);
      idle.push_back(std::move(worker));
    }
    available.notify_one();
  }

  // A worker for `options` (an interpreter worker, or one compiled module's): an idle one
  // started with the same key, else a free slot (an empty one first; else the idle worker of
  // another module that waited longest is stopped for it).
  std::expected<Lease, ExecutorError> acquire(const wasm_internal::WorkerSpawnOptions& options) {
    std::unique_lock lock(mutex);
    if (idle.empty()) {
      if (waiting >= config.max_queued_calls) {
        add(counters.overloaded, 1);
        return std::unexpected(ExecutorError::overloaded(
            "all " + std::to_string(config.worker_count) + " sandbox workers are busy and " +
            std::to_string(waiting) + " calls are already queued (max_queued_calls " +
            std::to_string(config.max_queued_calls) + ")"));
      }
      ++waiting;
      const bool got =
          available.wait_for(lock, config.queue_timeout, [&] { return !idle.empty(); });
      --waiting;
      if (!got) {
        return std::unexpected(ExecutorError::timeout("no sandbox worker became free within " +
                                                      std::to_string(config.queue_timeout.count()) +
                                                      " ms (queue_timeout); nothing ran"));
      }
    }
    std::size_t chosen = idle.size();
    for (std::size_t i = idle.size(); i-- > 0;) {
      if (idle[i] && idle[i]->aot_key() == options.aot_key) {
        chosen = i;
        break;
      }
    }
    if (chosen == idle.size()) {
      for (std::size_t i = idle.size(); i-- > 0;) {
        if (!idle[i]) {
          chosen = i;
          break;
        }
      }
    }
    if (chosen == idle.size())
      chosen = 0;  // the longest idle worker of another module
    std::unique_ptr<WorkerProcess> worker = std::move(idle[chosen]);
    idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(chosen));
    lock.unlock();
    Lease lease(this, std::move(worker));
    if (lease.worker() != nullptr && lease.worker()->aot_key() != options.aot_key) {
      add(counters.workers_switched, 1);
      lease.discard();
    }
    if (lease.worker() != nullptr && !lease.worker()->idle_and_alive()) {
      // Died while idle (killed from outside): no call was affected.
      add(counters.workers_replaced, 1);
      lease.discard_after_close();
    }
    if (lease.worker() == nullptr) {
      auto spawned = spawn_worker(options);
      if (!spawned) {
        return std::unexpected(ExecutorError::runtime_setup_failed(
            "no sandbox worker could start: " + spawned.error()));
      }
      lease.set(std::move(*spawned));
    }
    return lease;
  }

  const WasmExecutionLimits& limits_for(std::string_view capability_id) const {
    const auto it = config.capability_limits.find(capability_id);
    return it == config.capability_limits.end() ? config.default_limits : it->second;
  }

  // Sends the request, serves module requests and waits for the result. On any failure the
  // worker is discarded and the error says why. An exception from on_dispatch is reported as
  // `*hook_error` once the worker has answered (the worker is never abandoned mid-call).
  std::expected<ExecuteResult, ExecutorError> exchange(Lease& lease, std::string_view request,
                                                       const VerifiedModule& module,
                                                       Clock::time_point deadline,
                                                       const std::string& capability_id,
                                                       const WasmExecutionLimits& limits, bool spin,
                                                       std::optional<std::string>* hook_error) {
    WorkerProcess& worker = *lease.worker();
    const auto fail = [&](WorkerProcess::Io io,
                          std::string_view detail) -> std::unexpected<ExecutorError> {
      add(counters.workers_replaced, 1);
      if (io == WorkerProcess::Io::Timeout) {
        add(counters.timeouts, 1);
        lease.discard();
        return std::unexpected(ExecutorError::timeout(
            "capability " + capability_id + " did not finish within its deadline of " +
            std::to_string(limits.deadline.count()) +
            " ms; its sandbox worker was stopped and will be replaced"));
      }
      if (io == WorkerProcess::Io::Closed) {
        add(counters.worker_deaths, 1);
        return std::unexpected(
            ExecutorError::execution_failed("sandbox worker died: " + lease.discard_after_close()));
      }
      lease.discard();
      return std::unexpected(
          ExecutorError::execution_failed("sandbox worker protocol error: " + std::string(detail)));
    };

    lease.set_in_flight(true);
    WorkerProcess::Io io = worker.send(request, deadline);
    if (io != WorkerProcess::Io::Ok)
      return fail(io, "cannot send the request");
    if (config.on_dispatch) {
      try {
        config.on_dispatch(worker.pid());
      } catch (const std::exception& e) {
        *hook_error = std::string("WasmExecutorConfig::on_dispatch threw: ") + e.what();
      } catch (...) {
        *hook_error = "WasmExecutorConfig::on_dispatch threw a non-standard exception";
      }
    }
    std::string_view payload;
    for (;;) {
      io = worker.receive(&payload, deadline, spin);
      if (io != WorkerProcess::Io::Ok)
        return fail(io, "unreadable message");
      MessageReader reader(payload);
      const auto type = static_cast<MessageType>(reader.u8());
      if (type == MessageType::NeedModule) {
        const std::string wanted = reader.str();
        if (!reader.ok() || !reader.at_end() || wanted != module.digest) {
          return fail(WorkerProcess::Io::ProtocolError, "the worker asked for another module");
        }
        io = worker.send(wasm_internal::encode_module(module.digest, module.bytes), deadline);
        if (io != WorkerProcess::Io::Ok)
          return fail(io, "cannot send the module");
        continue;
      }
      ExecuteResult result;
      if (type != MessageType::Result || !wasm_internal::decode_result(reader, &result)) {
        return fail(WorkerProcess::Io::ProtocolError, "malformed result message");
      }
      lease.set_in_flight(false);
      return result;
    }
  }

  std::expected<ExecutorOutput, ExecutorError> execute(const ExecutorCapability& capability,
                                                       const Value& input,
                                                       ExecutionContext& context) {
    if (capability.artifact_type != ArtifactType::Wasm) {
      return std::unexpected(ExecutorError::unsupported_artifact_type());
    }
    if (!capability.wasm_binary_path || capability.wasm_binary_path->empty()) {
      return std::unexpected(ExecutorError::binary_load_failed("no wasm_binary_path set"));
    }
    // The bytes read and hashed once (re-read only when the file changed on disk); these exact
    // bytes are what the worker runs.
    auto verified = modules.get(*capability.wasm_binary_path, config.max_module_bytes,
                                counters.module_file_reads);
    if (!verified)
      return std::unexpected(std::move(verified.error()));
    const VerifiedModule& module = **verified;

    // Checksum before anything is decoded or sent to a worker (D10).
    if (capability.wasm_checksum) {
      std::string_view expected = *capability.wasm_checksum;
      if (expected.starts_with("sha256:"))
        expected.remove_prefix(7);
      if (expected != module.digest) {
        return std::unexpected(
            ExecutorError::checksum_mismatch(std::string(expected), module.digest));
      }
    }
    // ABI and imports before any guest code runs (the host ABI check); full validation happens in
    // the worker.
    const std::string_view abi = capability.host_abi_version
                                     ? std::string_view(*capability.host_abi_version)
                                     : kHostAbiVersion;
    if (auto refused = module.check_imports(abi))
      return std::unexpected(std::move(*refused));

    // The tier: a compiled worker for this module when the tier compiles and the compile
    // succeeded (or was cached); otherwise an interpreter worker.
    const wasm_internal::WorkerSpawnOptions* worker_options = &spawn_options;
    wasm_internal::WorkerSpawnOptions aot_options;
    if (aot) {
      const auto& object = aot_object(module);
      if (object) {
        aot_options = spawn_options;
        aot_options.aot_object = object->path.string();
        aot_options.aot_key = object->key;
        aot_options.aot_digest = module.digest;
        worker_options = &aot_options;
      }
    }

    const WasmExecutionLimits& limits = limits_for(capability.capability_id);
    const auto json_start = Clock::now();
    const std::string stdin_bytes = canonical_dump(input);
    const std::string runtime_config = canonical_dump(context.runtime_config());
    wasm_internal::ExecuteFields fields;
    fields.digest = module.digest;
    fields.stdin_bytes = stdin_bytes;
    fields.limits.max_memory_bytes = limits.max_memory_bytes;
    fields.limits.max_table_elements = limits.max_table_elements;
    fields.limits.max_stdout_bytes = limits.max_stdout_bytes;
    fields.limits.stderr_tail_bytes = limits.stderr_tail_bytes;
    fields.limits.max_events = limits.max_events;
    fields.capability_id = capability.capability_id;
    fields.capability_version = capability.capability_version;
    const std::string& execution_id = context.execution_id();
    const std::string& trace_id = context.trace_id();
    fields.execution_id = execution_id;
    fields.trace_context = trace_id;
    fields.runtime_config = runtime_config;
    fields.subscribable = capability.service_type == ServiceType::Subscribable;
    fields.deadline_ms = static_cast<std::uint64_t>(limits.deadline.count());
    // With a CPU idle, the host polls for the answer and the worker for the next request for a
    // short while instead of sleeping: waking a sleeping CPU costs more than a fast call.
    const bool spin = wasm_internal::cpu_idle_now();
    fields.spin_after_answer = spin;
    std::uint64_t json_ns = ns_between(json_start, Clock::now());

    ExecuteResult result;
    std::optional<std::string> hook_error;
    {
      auto lease = acquire(*worker_options);
      if (!lease)
        return std::unexpected(std::move(lease.error()));
      WorkerProcess& worker = *lease->worker();
      worker.count_execution();
      add(counters.executions, 1);
      if (!worker_options->aot_key.empty())
        add(counters.aot_executions, 1);
      // Encoded into the worker's own buffer: no allocation once it has grown to size.
      const auto encode_start = Clock::now();
      std::string message =
          wasm_internal::encode_execute_into(worker.take_scratch(), fields, capability.emits);
      json_ns += ns_between(encode_start, Clock::now());
      const auto started = Clock::now();
      auto exchanged = exchange(*lease, message, module, started + limits.deadline,
                                capability.capability_id, limits, spin, &hook_error);
      if (lease->worker() != nullptr)
        lease->worker()->give_scratch(std::move(message));
      if (!exchanged)
        return std::unexpected(std::move(exchanged.error()));
      result = std::move(*exchanged);

      const std::uint64_t worker_ns =
          result.decode_ns + result.report.instantiate_ns + result.report.run_ns;
      const std::uint64_t round_trip = ns_between(started, Clock::now());
      add(counters.ipc_ns, round_trip > worker_ns ? round_trip - worker_ns : 0);
      add(counters.decode_ns, result.decode_ns);
      add(counters.instantiate_ns, result.report.instantiate_ns);
      add(counters.run_ns, result.report.run_ns);
      add(result.cache_hit ? counters.module_cache_hits : counters.module_cache_misses, 1);

      if (result.loaded && is_trap(result.report.status) && config.replace_worker_after_trap) {
        add(counters.workers_replaced, 1);
        lease->discard();
      } else if (config.recycle_after_executions != 0 &&
                 lease->worker()->executions() >= config.recycle_after_executions) {
        add(counters.workers_recycled, 1);
        lease->discard();
      }
    }  // the worker is free again; the rest is host-side work

    add(counters.json_ns, json_ns);
    if (hook_error) {
      // The hook is the caller's code: its failure is the call's failure, never dropped.
      return std::unexpected(
          ExecutorError::execution_failed(*hook_error + "; the call's result was discarded"));
    }
    return to_output(result, context);
  }

  std::expected<ExecutorOutput, ExecutorError> to_output(const ExecuteResult& result,
                                                         ExecutionContext& context) {
    if (!result.loaded) {
      return std::unexpected(
          ExecutorError::malformed_wasm_artifact("module compile: " + result.load_error));
    }
    const wasm_internal::RunReport& report = result.report;
    switch (report.status) {
      case RunStatus::Returned:
        break;
      case RunStatus::Exited:
        if (report.exit_code == 0)
          break;  // D3: proc_exit(0) is success
        return std::unexpected(ExecutorError::execution_failed(
            "wasm guest exited with exit status " + std::to_string(report.exit_code) +
            stderr_suffix(report.stderr_tail)));
      case RunStatus::Trapped:
        return std::unexpected(ExecutorError::execution_failed("wasm trap: " + report.message +
                                                               stderr_suffix(report.stderr_tail)));
      case RunStatus::MemoryLimit:
      case RunStatus::TableLimit:
      case RunStatus::StdoutLimit:
      case RunStatus::EventLimit:
        return std::unexpected(ExecutorError::resource_exhausted(report.message));
      case RunStatus::LinkFailed:
        return std::unexpected(
            ExecutorError::runtime_setup_failed("module link: " + report.message));
      case RunStatus::NoEntryPoint:
      case RunStatus::EngineFailed:
        return std::unexpected(ExecutorError::runtime_setup_failed(report.message));
    }

    const auto json_start = Clock::now();
    auto value = parse_json(report.stdout_data);
    if (!value) {
      add(counters.json_ns, ns_between(json_start, Clock::now()));
      const std::string shown =
          report.stdout_data.empty()
              ? std::string("stdout is empty")
              : "stdout: \"" + lossy(report.stdout_data, kMaxStdoutInError) + "\"";
      return std::unexpected(ExecutorError::output_deserialization_failed(
          "guest stdout is not exactly one JSON value (" + value.error().message() + "); " +
          shown));
    }
    ExecutorOutput output;
    output.value = std::move(*value);
    for (const wasm_internal::GuestEvent& event : report.events) {
      auto payload = parse_json(event.payload_json);
      if (!payload) {
        return std::unexpected(ExecutorError::execution_failed(
            "sandbox worker returned an unreadable payload for event " + event.event_id));
      }
      auto emitted = context.emit(event.event_id, event.version, std::move(*payload));
      if (!emitted) {
        return std::unexpected(ExecutorError::execution_failed(
            "the host refused event " + event.event_id + "@" + event.version +
            " from the sandbox: " + std::string(to_string(emitted.error()))));
      }
      output.emitted_events.push_back(std::move(*emitted));
    }
    add(counters.json_ns, ns_between(json_start, Clock::now()));
    return output;
  }
};

// --- WasmExecutor -----------------------------------------------------------------------------

std::expected<std::unique_ptr<WasmExecutor>, ExecutorError> WasmExecutor::create(
    WasmExecutorConfig config) {
  if (auto invalid = check_config(config)) {
    return std::unexpected(ExecutorError::runtime_setup_failed(*invalid));
  }
  auto path = find_wasm_worker(config.worker_path);
  if (!path)
    return std::unexpected(ExecutorError::runtime_setup_failed(path.error().message()));
  auto impl = std::make_unique<Impl>(std::move(config), std::move(*path));
  if (auto tier = impl->setup_tier(); !tier) {
    return std::unexpected(ExecutorError::runtime_setup_failed(tier.error()));
  }
  if (impl->config.prestart_workers) {
    if (auto started = impl->prestart(); !started) {
      return std::unexpected(ExecutorError::runtime_setup_failed(started.error()));
    }
  }
  return std::unique_ptr<WasmExecutor>(new WasmExecutor(std::move(impl)));
}

WasmExecutor::WasmExecutor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

WasmExecutor::~WasmExecutor() = default;

ExecutorCompletion WasmExecutor::submit(const ExecutorCapability& capability, const Value& input,
                                        ExecutionContext& context) const {
  return ExecutorCompletion::fulfilled(execute(capability, input, context));
}

std::expected<ExecutorOutput, ExecutorError> WasmExecutor::execute(
    const ExecutorCapability& capability, const Value& input, ExecutionContext& context) const {
  return impl_->execute(capability, input, context);
}

const WasmExecutorConfig& WasmExecutor::config() const {
  return impl_->config;
}

const std::filesystem::path& WasmExecutor::worker_path() const {
  return impl_->worker_path;
}

std::vector<int> WasmExecutor::worker_pids() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->live_pids;
}

WasmExecutorStats WasmExecutor::stats() const {
  const Counters& c = impl_->counters;
  const auto get = [](const std::atomic<std::uint64_t>& v) {
    return v.load(std::memory_order_relaxed);
  };
  WasmExecutorStats stats;
  stats.executions = get(c.executions);
  stats.timeouts = get(c.timeouts);
  stats.worker_deaths = get(c.worker_deaths);
  stats.workers_spawned = get(c.workers_spawned);
  stats.workers_replaced = get(c.workers_replaced);
  stats.workers_recycled = get(c.workers_recycled);
  stats.overloaded = get(c.overloaded);
  stats.module_cache_hits = get(c.module_cache_hits);
  stats.module_cache_misses = get(c.module_cache_misses);
  stats.module_file_reads = get(c.module_file_reads);
  stats.spawn_ns = get(c.spawn_ns);
  stats.ipc_ns = get(c.ipc_ns);
  stats.decode_ns = get(c.decode_ns);
  stats.instantiate_ns = get(c.instantiate_ns);
  stats.run_ns = get(c.run_ns);
  stats.json_ns = get(c.json_ns);
  stats.aot_executions = get(c.aot_executions);
  stats.aot_compiles = get(c.aot_compiles);
  stats.aot_object_reuses = get(c.aot_object_reuses);
  stats.aot_fallbacks = get(c.aot_fallbacks);
  stats.aot_compile_ns = get(c.aot_compile_ns);
  stats.workers_switched = get(c.workers_switched);
  return stats;
}

WasmTier WasmExecutor::tier() const {
  return impl_->tier;
}

std::expected<WasmAotCompileReport, ExecutorError> WasmExecutor::compile_ahead(
    const std::filesystem::path& wasm_path) const {
  if (!impl_->aot) {
    return std::unexpected(ExecutorError::runtime_setup_failed(
        "the ahead-of-time tier is not in use (tier " + std::string(to_string(impl_->tier)) + ")"));
  }
  auto verified = impl_->modules.get(wasm_path.string(), impl_->config.max_module_bytes,
                                     impl_->counters.module_file_reads);
  if (!verified)
    return std::unexpected(std::move(verified.error()));
  const VerifiedModule& module = **verified;
  std::string validation_error;
  if (!wasm_internal::validate_wasm(module.bytes, &validation_error)) {
    return std::unexpected(
        ExecutorError::malformed_wasm_artifact("module compile: " + validation_error));
  }
  std::lock_guard lock(module.aot_mutex);
  const bool memoised = module.aot.has_value();
  auto object = impl_->aot->object_for(module.digest, module.bytes);
  if (!object) {
    return std::unexpected(ExecutorError::runtime_setup_failed(
        "ahead-of-time compile of " + module.path + " failed: " + object.error().message()));
  }
  if (!memoised)
    module.aot = *object;
  WasmAotCompileReport report;
  report.module_path = wasm_path;
  report.module_sha256 = module.digest;
  report.object_path = object->path;
  report.compiled = object->compiled;
  report.compile_time = std::chrono::nanoseconds(object->compile_ns);
  report.object_bytes = object->object_bytes;
  return report;
}

}  // namespace traverse
