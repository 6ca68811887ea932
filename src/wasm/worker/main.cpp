// traverse-wasm-worker — the sandbox process that runs WebAssembly guests for WasmExecutor.
//
// Started by the host with posix_spawn; talks over the socket on `--fd` (protocol.hpp). It keeps
// decoded modules in a bounded FIFO cache keyed by SHA-256 digest (as the reference: insertion
// order, not LRU) and runs every request in fresh guest state. It locks itself down before
// serving (sandbox.hpp): inherited file descriptors closed, no core dumps, few open files, an
// address-space limit (`--address-space`, skipped in sanitizer builds, whose shadow memory needs
// a large address space), no new privileges, SIGKILL when the host (`--parent`) dies, and a
// seccomp-bpf allow list. An alarm a little after each request's deadline is the last backstop.
// It exits on EOF.
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "child_process.hpp"
#include "cpu_load.hpp"
#include "engine/aot_engine.hpp"
#include "engine/aot_units.hpp"
#include "engine/engine.hpp"
#include "module_bounds.hpp"
#include "protocol.hpp"
#include "sandbox.hpp"
#include "spin_wait.hpp"

namespace {

using traverse::wasm_internal::cpu_relax;
using traverse::wasm_internal::ExecuteRequest;
using traverse::wasm_internal::ExecuteResult;
using traverse::wasm_internal::LoadedModule;
using traverse::wasm_internal::MessageReader;
using traverse::wasm_internal::MessageType;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif

constexpr std::size_t kServiceStackBytes = 64U * 1024U * 1024U;
constexpr std::uint64_t kAlarmGraceMs = 2000;

// Open files a worker may hold: stdio, its socket, and a few for the C and sanitizer runtimes.
constexpr std::uint64_t kMaxOpenFiles = 16;

struct Options {
  // Serving an ahead-of-time compiled module: its object (loaded before the seccomp filter is
  // installed), the key it must carry and the digest of the only module it serves.
  std::string aot_object;
  std::string aot_key;
  std::string aot_digest;
  // Compile mode (`--aot-compile=DIR`): translate DIR/module.wasm to C, then become the C
  // compiler building DIR/module.so under the memory and CPU limits given.
  std::string aot_compile_dir;
  std::string aot_cc;
  std::uint64_t aot_memory_bytes = 0;
  std::uint64_t aot_cpu_seconds = 0;
  int fd = 3;
  std::size_t cache_entries = 64;
  std::uint64_t address_space_bytes = 0;
  pid_t parent = 0;  // the host; 0: not given (the worker does not watch its parent)
};

template <typename T>
bool parse_number(std::string_view text, T* out) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), *out);
  return result.ec == std::errc{} && result.ptr == text.data() + text.size();
}

bool parse_options(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value_of = [&](std::string_view prefix, std::string_view* value) {
      if (arg.substr(0, prefix.size()) != prefix) {
        return false;
      }
      *value = arg.substr(prefix.size());
      return true;
    };
    std::string_view value;
    if (value_of("--fd=", &value)) {
      if (!parse_number(value, &options->fd))
        return false;
    } else if (value_of("--cache-entries=", &value)) {
      if (!parse_number(value, &options->cache_entries))
        return false;
    } else if (value_of("--address-space=", &value)) {
      if (!parse_number(value, &options->address_space_bytes))
        return false;
    } else if (value_of("--aot-object=", &value)) {
      options->aot_object = std::string(value);
    } else if (value_of("--aot-key=", &value)) {
      options->aot_key = std::string(value);
    } else if (value_of("--aot-digest=", &value)) {
      options->aot_digest = std::string(value);
    } else if (value_of("--aot-compile=", &value)) {
      options->aot_compile_dir = std::string(value);
    } else if (value_of("--aot-cc=", &value)) {
      options->aot_cc = std::string(value);
    } else if (value_of("--aot-memory=", &value)) {
      if (!parse_number(value, &options->aot_memory_bytes))
        return false;
    } else if (value_of("--aot-cpu-seconds=", &value)) {
      if (!parse_number(value, &options->aot_cpu_seconds))
        return false;
    } else if (value_of("--parent=", &value)) {
      if (!parse_number(value, &options->parent) || options->parent <= 0)
        return false;
    } else {
      return false;
    }
  }
  options->cache_entries = std::max<std::size_t>(options->cache_entries, 1);
  if (!options->aot_compile_dir.empty())
    return !options->aot_key.empty() && !options->aot_cc.empty();
  if (options->aot_object.empty() != options->aot_key.empty() ||
      options->aot_object.empty() != options->aot_digest.empty())
    return false;
  return options->fd >= 0;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t sent = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(sent));
  }
  return true;
}

constexpr std::size_t kReceiveBufferBytes = 64U * 1024U;

std::int64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

// How long a worker polls its socket without sleeping after answering, when the host asked for
// it (Execute's spin flag: the CPUs were not contended): a host that calls again soon (a loop of
// calls, a workflow's next step) finds it awake. Waking a sleeping CPU costs tens of
// microseconds on a paravirtualised machine, more than a short call; the bound keeps an idle
// worker's cost small.
constexpr std::int64_t kSpinAfterAnswerNs = 200'000;

// Reads one framed message into `buffer` (reused between calls); `*payload` points into it.
// One message is in flight at a time, so a message that fits the buffer takes one recv. Until
// `spin_until_ns` (CLOCK_MONOTONIC) the first read does not block but polls.
// 1: a payload; 0: clean EOF; -1: error, EOF mid-message or a malformed frame.
int read_message(int fd, std::string* buffer, std::string_view* payload,
                 std::int64_t spin_until_ns = 0) {
  if (buffer->size() != kReceiveBufferBytes) {
    buffer->resize(kReceiveBufferBytes);
    buffer->shrink_to_fit();  // a large module once must not pin its memory
  }
  std::size_t done = 0;
  std::size_t wanted = 4;
  while (done < wanted) {
    const std::size_t limit = wanted == 4 ? buffer->size() : wanted;
    const bool spin = done == 0 && spin_until_ns != 0;
    const ssize_t got = recv(fd, buffer->data() + done, limit - done, spin ? MSG_DONTWAIT : 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      if (spin && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        cpu_relax();
        if (monotonic_ns() >= spin_until_ns)
          spin_until_ns = 0;
        continue;
      }
      return -1;
    }
    if (got == 0)
      return done == 0 ? 0 : -1;
    done += static_cast<std::size_t>(got);
    if (wanted == 4 && done >= 4) {
      const std::uint32_t length = traverse::wasm_internal::frame_length(
          reinterpret_cast<const unsigned char*>(buffer->data()));
      if (length == 0 || length > traverse::wasm_internal::kMaxMessageBytes)
        return -1;
      wanted = std::size_t{length} + 4;
      if (done > wanted)
        return -1;
      if (wanted > buffer->size())
        buffer->resize(wanted);
    }
  }
  *payload = std::string_view(*buffer).substr(4, wanted - 4);
  return 1;
}

// The last backstop, should the host fail to enforce a request's deadline: SIGALRM ends the
// worker a little after it. The host kills and replaces a worker whose deadline passed, so this
// timer costs no system call per request in the steady state: a request stores its expiry (the
// clock is read through the vDSO) and arms the timer only when it is not armed; a firing timer
// re-arms itself for the running request's expiry, or disarms itself (`armed` false) when no
// request runs. Ends the worker (SIGALRM's default action) when a request outlived its expiry.
std::atomic<std::int64_t> g_request_expiry_ns{0};  // 0: no request running
std::atomic<bool> g_watchdog_armed{false};

void set_timer_ns(std::int64_t ns) {
  itimerval timer{};
  const std::int64_t us = std::max<std::int64_t>(ns / 1000, 1);
  timer.it_value.tv_sec = static_cast<time_t>(us / 1'000'000);
  timer.it_value.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  setitimer(ITIMER_REAL, &timer, nullptr);
}

void on_watchdog(int) {
  const int saved_errno = errno;
  // Disarmed first, then the expiry read: a request that starts meanwhile either sees `armed`
  // false and arms the timer itself, or its expiry is seen here and the timer re-armed.
  g_watchdog_armed.store(false);
  const std::int64_t expiry = g_request_expiry_ns.load();
  if (expiry != 0) {
    const std::int64_t now = monotonic_ns();
    if (now >= expiry) {
      signal(SIGALRM, SIG_DFL);
      raise(SIGALRM);  // delivered when this handler returns: the worker ends
    } else {
      g_watchdog_armed.store(true);
      set_timer_ns(expiry - now);
    }
  }
  errno = saved_errno;
}

void begin_request(std::uint64_t deadline_ms) {
  const auto budget_ns = static_cast<std::int64_t>(
      std::min<std::uint64_t>(deadline_ms + kAlarmGraceMs, 365ULL * 24 * 3600 * 1000) * 1'000'000);
  g_request_expiry_ns.store(monotonic_ns() + budget_ns);
  if (!g_watchdog_armed.exchange(true))
    set_timer_ns(budget_ns);
}

void end_request() {
  g_request_expiry_ns.store(0);
}

// Decoded modules by digest; FIFO eviction at `capacity` entries.
class ModuleCache {
 public:
  explicit ModuleCache(std::size_t capacity) : capacity_(capacity) {}

  [[nodiscard]] std::shared_ptr<const LoadedModule> find(const std::string& digest) const {
    for (const auto& [key, module] : entries_) {
      if (key == digest)
        return module;
    }
    return nullptr;
  }

  void insert(std::string digest, std::shared_ptr<const LoadedModule> module) {
    while (entries_.size() >= capacity_)
      entries_.pop_front();
    entries_.emplace_back(std::move(digest), std::move(module));
  }

 private:
  std::size_t capacity_;
  std::deque<std::pair<std::string, std::shared_ptr<const LoadedModule>>> entries_;
};

// The request loop. Returns the process exit status.
int serve(const Options& options) {
  const int fd = options.fd;
  if (!write_all(fd, traverse::wasm_internal::encode_hello(static_cast<std::uint64_t>(getpid())))) {
    return 3;
  }
  std::unique_ptr<traverse::wasm_internal::Engine> engine;
  if (options.aot_object.empty()) {
    engine = traverse::wasm_internal::make_interpreter_engine();
  } else {
    // Compiled code is mapped now, before the filter: afterwards no file can be opened or mapped
    // executable.
    std::string error;
    engine = traverse::wasm_internal::load_aot_engine(options.aot_object, options.aot_key, &error);
    if (!engine) {
      std::fprintf(stderr, "traverse-wasm-worker: %s\n", error.c_str());
      return 5;
    }
  }
  // Everything that needs more than request serving is set up: from here on the seccomp filter
  // allows only what serving needs. A worker that cannot lock itself down does not serve.
  if (const std::string error = traverse::wasm_internal::install_worker_seccomp_filter();
      !error.empty()) {
    std::fprintf(stderr, "traverse-wasm-worker: cannot install the seccomp filter: %s\n",
                 error.c_str());
    return 4;
  }
  ModuleCache cache(options.cache_entries);
  std::string buffer;
  std::string_view payload;
  std::int64_t spin_until_ns = 0;
  for (;;) {
    const int status = read_message(fd, &buffer, &payload, spin_until_ns);
    if (status == 0)
      return 0;  // the host closed the socket: done
    if (status < 0)
      return 3;
    MessageReader reader(payload);
    ExecuteRequest request;
    if (static_cast<MessageType>(reader.u8()) != MessageType::Execute ||
        !traverse::wasm_internal::decode_execute(reader, &request)) {
      return 3;
    }
    begin_request(request.deadline_ms);
#ifdef TRAVERSE_WASM_WORKER_SECCOMP_PROBE
    // Test build only (a separate executable, never installed; absent from the real worker):
    // proves the filter is active in the serving loop with a forbidden system call.
    if (request.context.capability_id == "test.sandbox.forbidden-syscall") {
      syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);  // killed here by SIGSYS
    }
#endif

    ExecuteResult result;
    if (!options.aot_digest.empty() && request.digest != options.aot_digest) {
      // A compiled worker runs its own module only; the host never routes another one here.
      result.loaded = false;
      result.load_error = "this sandbox worker runs the compiled module " + options.aot_digest;
      end_request();
      if (!write_all(fd, traverse::wasm_internal::encode_result(result)))
        return 3;
      continue;
    }
    std::shared_ptr<const LoadedModule> module = cache.find(request.digest);
    result.cache_hit = module != nullptr;
    if (!module) {
      if (!write_all(fd, traverse::wasm_internal::encode_need_module(request.digest)))
        return 3;
      if (read_message(fd, &buffer, &payload) != 1)
        return 3;
      MessageReader module_reader(payload);
      if (static_cast<MessageType>(module_reader.u8()) != MessageType::Module)
        return 3;
      const std::string digest = module_reader.str();
      const std::string bytes = module_reader.str();
      if (!module_reader.ok() || !module_reader.at_end() || digest != request.digest)
        return 3;
      const auto decode_start = std::chrono::steady_clock::now();
      std::string error;
      // Counts bounded by the module's bytes before any engine allocates from them.
      if (traverse::wasm_internal::check_module_bounds(bytes, &error))
        module = engine->load(bytes, &error);
      result.decode_ns =
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now() - decode_start)
                                         .count());
      if (module) {
        cache.insert(request.digest, module);
      } else {
        result.loaded = false;
        result.load_error = std::move(error);
      }
    }
    if (module) {
      // An allocation the limits did not foresee fails this run with a typed status, not the
      // worker with an abort.
      try {
        result.report = engine->run(*module, request.stdin_bytes, request.context, request.limits);
      } catch (const std::bad_alloc&) {
        result.report = traverse::wasm_internal::RunReport{};
        result.report.status = traverse::wasm_internal::RunStatus::EngineFailed;
        result.report.message = "out of memory while running the module";
      }
    }
    end_request();
    if (!write_all(fd, traverse::wasm_internal::encode_result(result)))
      return 3;
    spin_until_ns = request.spin_after_answer ? monotonic_ns() + kSpinAfterAnswerNs : 0;
  }
}

struct ServiceThread {
  Options options;
  int exit_status = 3;
};

void* service_main(void* arg) {
  auto* service = static_cast<ServiceThread*>(arg);
  service->exit_status = serve(service->options);
  return nullptr;
}

}  // namespace

// The C compiler's arguments for building `output` from `inputs` (sources or objects).
static std::vector<std::string> compiler_args(const std::string& cc, bool compile, bool link,
                                              const std::string& output,
                                              const std::vector<std::string>& inputs) {
  std::vector<std::string> args = {cc};
  if (compile) {
    for (const char* flag : traverse::wasm_internal::kAotCompilerFlags)
      args.emplace_back(flag);
  }
  if (link) {
    for (const char* flag : traverse::wasm_internal::kAotLinkFlags)
      args.emplace_back(flag);
  } else {
    args.emplace_back("-c");
  }
  args.emplace_back("-o");
  args.push_back(output);
  args.insert(args.end(), inputs.begin(), inputs.end());
  return args;
}

// How many compiler processes run at once: one per CPU this process may run on that is idle
// now, at least one. On a busy machine parallel compilers gain no wall time and cost CPU time:
// on a shared 2-core machine at load average 24 an expedition module took 1.9 s of CPU and 6 s
// of wall time as two units against 1.1 s and 4 s as one. Idle by the instantaneous count of
// runnable threads (other than this one), the least of a few samples 1 ms apart: one sample
// also counts whatever is runnable for an instant (the host that just started this process),
// and on an idle machine one compile in five then ran as one unit, 1.1 s instead of 0.9 s. By
// the 1-minute load average when the count is unreadable.
static std::size_t compile_parallelism() {
  const int cpus = traverse::wasm_internal::usable_cpus();
  constexpr int kSamples = 5;
  int running = -1;
  for (int sample = 0; sample < kSamples; ++sample) {
    if (sample > 0) {
      const timespec pause{0, 1'000'000};
      nanosleep(&pause, nullptr);
    }
    const int now = traverse::wasm_internal::runnable_threads_now();
    if (now > 0 && (running < 0 || now < running))
      running = now;
    if (running == 1)
      break;  // only this thread: every other CPU is idle
  }
  double busy = 0;
  if (running > 0) {
    busy = running - 1;
  } else if (getloadavg(&busy, 1) != 1) {
    busy = 0;
  }
  const double idle = std::ceil(static_cast<double>(cpus) - busy);
  return idle < 1 ? 1 : std::min(static_cast<std::size_t>(idle), static_cast<std::size_t>(cpus));
}

// Compile mode: DIR/module.wasm → DIR/module_<i>.c (+ module.h) → the C compiler, which writes
// DIR/module.so: one source is compiled and linked by one compiler process this process becomes;
// several (aot_units.hpp) are compiled by concurrent compiler processes, then linked by the one
// this process becomes. The limits apply to this process and every compiler it starts; the host
// adds a wall-clock deadline and kills the process group after it.
int compile_main(const Options& options) {
  const std::string dir = options.aot_compile_dir;
  std::FILE* in = std::fopen((dir + "/module.wasm").c_str(), "rb");
  if (in == nullptr) {
    std::fprintf(stderr, "cannot read %s/module.wasm\n", dir.c_str());
    return 6;
  }
  std::string bytes;
  char chunk[65536];
  for (std::size_t got; (got = std::fread(chunk, 1, sizeof chunk, in)) > 0;)
    bytes.append(chunk, got);
  std::fclose(in);
  std::string error;
  std::vector<std::string> sources;
  const std::size_t max_units =
      std::min(compile_parallelism(), traverse::wasm_internal::kAotMaxUnits);
  if (!traverse::wasm_internal::check_module_bounds(bytes, &error) ||
      !traverse::wasm_internal::translate_to_aot_c(bytes, options.aot_key, dir, max_units, &sources,
                                                   &error)) {
    std::fprintf(stderr, "cannot translate the module to C: %s\n", error.c_str());
    return 6;
  }
  bytes.clear();
  bytes.shrink_to_fit();
  if (options.aot_memory_bytes != 0 && !kSanitizerBuild) {
    const rlimit memory{options.aot_memory_bytes, options.aot_memory_bytes};
    setrlimit(RLIMIT_AS, &memory);
  }
  if (options.aot_cpu_seconds != 0) {
    const rlimit cpu{options.aot_cpu_seconds, options.aot_cpu_seconds};
    setrlimit(RLIMIT_CPU, &cpu);
  }
  const rlimit no_core{0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  const std::string object = dir + "/module.so";
  std::vector<std::string> link_inputs = sources;
  if (sources.size() > 1) {
    std::vector<pid_t> compilers;
    int failed = 0;
    for (std::size_t i = 0; i < sources.size() && failed == 0; ++i) {
      link_inputs[i] = dir + "/module_" + std::to_string(i) + ".o";
      traverse::wasm_internal::ChildSpec spec;
      spec.executable = options.aot_cc;
      spec.args = compiler_args(options.aot_cc, true, false, link_inputs[i], {sources[i]});
      auto pid = traverse::wasm_internal::spawn_child(spec);
      if (!pid) {
        std::fprintf(stderr, "cannot run the C compiler %s: %s\n", options.aot_cc.c_str(),
                     pid.error().message().c_str());
        failed = 7;
        break;
      }
      compilers.push_back(*pid);
    }
    for (const pid_t pid : compilers) {
      const int status = traverse::wasm_internal::wait_child(pid);
      if (failed == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        std::fprintf(stderr, "the C compiler ended with %s\n",
                     traverse::wasm_internal::describe_wait_status(status).c_str());
        failed = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
      }
    }
    if (failed != 0)
      return failed;
  }
  std::vector<std::string> args =
      compiler_args(options.aot_cc, sources.size() == 1, true, object, link_inputs);
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  execv(options.aot_cc.c_str(), argv.data());
  std::fprintf(stderr, "cannot run the C compiler %s: %s\n", options.aot_cc.c_str(),
               std::strerror(errno));
  return 7;
}

int main(int argc, char** argv) {
  ServiceThread service;
  if (!parse_options(argc, argv, &service.options)) {
    std::fputs(
        "usage: traverse-wasm-worker [--fd=N] [--cache-entries=N] [--address-space=BYTES] "
        "[--parent=PID]\n"
        "(started by Traverse's WasmExecutor; not meant to be run by hand)\n",
        stderr);
    return 2;
  }
  if (!service.options.aot_compile_dir.empty())
    return compile_main(service.options);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction watchdog {};
  watchdog.sa_handler = on_watchdog;
  watchdog.sa_flags = SA_RESTART;
  sigemptyset(&watchdog.sa_mask);
  sigaction(SIGALRM, &watchdog, nullptr);
  if (chdir("/") != 0) {
    return 3;
  }
  // Keep only stdio and the socket: nothing else the host had open leaks into the sandbox.
  traverse::wasm_internal::close_inherited_fds(service.options.fd);
  if (const std::string error = traverse::wasm_internal::apply_worker_rlimits(
          service.options.address_space_bytes, kMaxOpenFiles);
      !error.empty()) {
    std::fprintf(stderr, "traverse-wasm-worker: %s\n", error.c_str());
    return 4;
  }
  // Die with the host: an orphaned worker must not spin on a guest or hold the host's pipes.
  if (service.options.parent > 0) {
    if (const std::string error = traverse::wasm_internal::die_with_parent(service.options.parent);
        !error.empty()) {
      std::fprintf(stderr, "traverse-wasm-worker: %s\n", error.c_str());
      return 4;
    }
  }

  // Guest code runs on a thread with a large, fixed stack: decoding deeply nested modules
  // recurses in wabt, and a stack overflow must cost only this worker.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kServiceStackBytes);
  pthread_t thread;
  if (pthread_create(&thread, &attr, service_main, &service) != 0) {
    pthread_attr_destroy(&attr);
    return 3;
  }
  pthread_attr_destroy(&attr);
  pthread_join(thread, nullptr);
  // Leave without exit-time hooks: under the seccomp filter they could not do their work (a
  // sanitizer's leak check starts a tracer process and ptraces; it would be killed and leave
  // this process spinning), and nothing needs flushing but stderr.
  std::fflush(stderr);
  _exit(service.exit_status);
}
