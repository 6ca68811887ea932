// The host functions every engine binds its guests' imports to (see host_calls.hpp).
#include "host_calls.hpp"

#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace traverse::wasm_internal {
namespace {

namespace wi = wabt::interp;
using wabt::Type;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

constexpr u64 kPageSize = 65536;
constexpr std::size_t kMaxTables = 8;            // as the reference's store limits
constexpr std::size_t kMaxPayloadBytes = 65536;  // emit_event / connector_invoke
constexpr int kMaxJsonDepth = 256;

// WASI preview1 errno values.
enum WasiErrno : u32 {
  kSuccess = 0,
  kBadf = 8,
  kFault = 21,
  kInval = 28,
  kIo = 29,
  kSpipe = 70,
};

// Host ABI return codes (docs/wasm-capabilities-in-c.md, section 5; D4).
constexpr std::int32_t kInvalid = -1;
constexpr std::int32_t kUndeclared = -2;
constexpr std::int32_t kNotSubscribable = -3;
constexpr std::int32_t kUnbound = -2;
constexpr std::int32_t kBufferTooSmall = -5;

constexpr const char* kWasi = "wasi_snapshot_preview1";
constexpr const char* kHost = "traverse_host";

HostCallResult value(u32 result) {
  HostCallResult out;
  out.value = result;
  return out;
}

HostCallResult signed_value(std::int32_t result) {
  return value(static_cast<u32>(result));
}

HostCallResult stop(std::string message) {
  HostCallResult out;
  out.stop = true;
  out.stop_message = std::move(message);
  return out;
}

std::string describe_types(const wi::ValueTypes& types) {
  std::string out = "(";
  for (std::size_t i = 0; i < types.size(); ++i) {
    out += (i == 0 ? "" : ", ") + wi::GetName(types[i]);
  }
  return out + ")";
}

std::string describe_signature(const wi::ValueTypes& params, const wi::ValueTypes& results) {
  return describe_types(params) + " -> " + describe_types(results);
}

// Whether `text` nests arrays/objects deeper than kMaxJsonDepth (checked before parsing so that
// nothing downstream recurses deeply).
bool json_too_deep(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return true;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

// The JSON object the guest passed at [ptr, ptr + len) (non-negative, checked by the caller);
// nullopt when it is out of bounds, nested too deep, not JSON or not an object.
std::optional<nlohmann::json> guest_json_object(const GuestMemory& memory, std::int32_t ptr,
                                                std::int32_t len) {
  if (!memory.in_bounds(static_cast<u64>(ptr), static_cast<u64>(len))) {
    return std::nullopt;
  }
  const std::string_view text(reinterpret_cast<const char*>(memory.data + ptr),
                              static_cast<std::size_t>(len));
  if (json_too_deep(text)) {
    return std::nullopt;
  }
  nlohmann::json parsed = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return std::nullopt;
  }
  return parsed;
}

void append_stderr(HostCallState& state, const std::uint8_t* data, u64 length) {
  std::string& tail = state.report->stderr_tail;
  const u64 keep = state.limits->stderr_tail_bytes;
  if (keep == 0) {
    return;
  }
  if (length >= keep) {
    tail.assign(reinterpret_cast<const char*>(data + (length - keep)), keep);
    return;
  }
  tail.append(reinterpret_cast<const char*>(data), length);
  if (tail.size() > keep) {
    tail.erase(0, tail.size() - keep);
  }
}

// --- WASI preview1 --------------------------------------------------------------------------

// The iovec walk fd_write and fd_read share (args: fd, iovs, iovs_len, result pointer): checks
// the array and the result pointer, calls `transfer(buf, len, &stopped)` for each bounds-checked
// buffer, which returns how many bytes it moved (or sets `stopped` to end the call with it), and
// stores the total. A buffer moved only in part ends the walk.
template <typename Transfer>
HostCallResult transfer_iovecs(const GuestMemory& memory, const u64* args, Transfer&& transfer) {
  const u64 iovs = args[1];
  const u64 iovs_len = args[2];
  const u64 done_ptr = args[3];
  if (!memory.in_bounds(iovs, iovs_len * 8) || !memory.in_bounds(done_ptr, 4)) {
    return value(kFault);
  }
  u64 total = 0;
  for (u64 i = 0; i < iovs_len; ++i) {
    const u64 buf = memory.load_u32(iovs + i * 8);
    const u64 len = memory.load_u32(iovs + i * 8 + 4);
    if (!memory.in_bounds(buf, len)) {
      return value(kFault);
    }
    std::optional<HostCallResult> stopped;
    const u64 moved = transfer(buf, len, &stopped);
    if (stopped) {
      return std::move(*stopped);
    }
    total += moved;
    if (moved < len) {
      break;
    }
  }
  memory.store_u32(done_ptr, static_cast<u32>(total));
  return value(kSuccess);
}

HostCallResult wasi_fd_write(HostCallState& state, const GuestMemory& memory, const u64* args) {
  const u64 fd = args[0];
  if (fd != 1 && fd != 2) {
    return value(kBadf);
  }
  return transfer_iovecs(
      memory, args, [&](u64 buf, u64 len, std::optional<HostCallResult>* stopped) -> u64 {
        if (fd == 2) {
          append_stderr(state, memory.data + buf, len);
          return len;
        }
        std::string& out = state.report->stdout_data;
        if (len > state.limits->max_stdout_bytes - out.size()) {
          state.stop_status = RunStatus::StdoutLimit;
          state.stop_message = "guest wrote more than " +
                               std::to_string(state.limits->max_stdout_bytes) + " bytes to stdout";
          *stopped = stop(state.stop_message);
          return 0;
        }
        out.append(reinterpret_cast<const char*>(memory.data + buf), len);
        return len;
      });
}

HostCallResult wasi_fd_read(HostCallState& state, const GuestMemory& memory, const u64* args) {
  const u64 fd = args[0];
  if (fd != 0) {
    return value(kBadf);
  }
  return transfer_iovecs(memory, args, [&](u64 buf, u64 len, std::optional<HostCallResult>*) {
    const std::size_t available = state.stdin_bytes.size() - state.stdin_offset;
    const auto count = static_cast<std::size_t>(std::min<u64>(len, available));
    if (count > 0) {
      std::memcpy(memory.data + buf, state.stdin_bytes.data() + state.stdin_offset, count);
      state.stdin_offset += count;
    }
    return u64{count};
  });
}

// args_sizes_get / environ_sizes_get: zero entries, zero bytes.
HostCallResult wasi_sizes_get(const GuestMemory& memory, const u64* args) {
  const u64 count_ptr = args[0];
  const u64 size_ptr = args[1];
  if (!memory.in_bounds(count_ptr, 4) || !memory.in_bounds(size_ptr, 4)) {
    return value(kFault);
  }
  memory.store_u32(count_ptr, 0);
  memory.store_u32(size_ptr, 0);
  return value(kSuccess);
}

bool clock_for(u64 id, clockid_t* clock) {
  switch (id) {
    case 0:
      *clock = CLOCK_REALTIME;
      return true;
    case 1:
      *clock = CLOCK_MONOTONIC;
      return true;
    case 2:
      *clock = CLOCK_PROCESS_CPUTIME_ID;
      return true;
    case 3:
      *clock = CLOCK_THREAD_CPUTIME_ID;
      return true;
    default:
      return false;
  }
}

HostCallResult wasi_clock(const GuestMemory& memory, const u64* args, bool resolution) {
  clockid_t clock{};
  if (!clock_for(args[0], &clock)) {
    return value(kInval);
  }
  const u64 out_ptr = resolution ? args[1] : args[2];
  if (!memory.in_bounds(out_ptr, 8)) {
    return value(kFault);
  }
  timespec ts{};
  if ((resolution ? clock_getres(clock, &ts) : clock_gettime(clock, &ts)) != 0) {
    return value(kIo);
  }
  memory.store_u64(out_ptr,
                   static_cast<u64>(ts.tv_sec) * 1000000000U + static_cast<u64>(ts.tv_nsec));
  return value(kSuccess);
}

HostCallResult wasi_fd_fdstat_get(const GuestMemory& memory, const u64* args) {
  const u64 fd = args[0];
  const u64 out_ptr = args[1];
  if (fd > 2) {
    return value(kBadf);
  }
  if (!memory.in_bounds(out_ptr, 24)) {
    return value(kFault);
  }
  constexpr u64 kRightFdRead = u64{1} << 1;
  constexpr u64 kRightFdWrite = u64{1} << 6;
  constexpr u64 kRightPollFdReadwrite = u64{1} << 27;
  std::memset(memory.data + out_ptr, 0, 24);  // filetype unknown (a pipe), no flags
  memory.store_u64(out_ptr + 8, (fd == 0 ? kRightFdRead : kRightFdWrite) | kRightPollFdReadwrite);
  return value(kSuccess);
}

HostCallResult wasi_random_get(const GuestMemory& memory, const u64* args) {
  const u64 buf = args[0];
  const u64 len = args[1];
  if (!memory.in_bounds(buf, len)) {
    return value(kFault);
  }
  u64 filled = 0;
  while (filled < len) {
    const ssize_t got =
        getrandom(memory.data + buf + filled, static_cast<std::size_t>(len - filled), 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return value(kIo);
    }
    filled += static_cast<u64>(got);
  }
  return value(kSuccess);
}

// --- traverse_host ----------------------------------------------------------------------------

std::int32_t as_s32(u64 arg) {
  return static_cast<std::int32_t>(static_cast<u32>(arg));
}

HostCallResult host_emit_event(HostCallState& state, const GuestMemory& memory, const u64* args) {
  // Checks in the reference's order.
  if (!state.context->subscribable) {
    return signed_value(kNotSubscribable);
  }
  const std::int32_t ptr = as_s32(args[0]);
  const std::int32_t len = as_s32(args[1]);
  if (ptr < 0 || len < 0 || static_cast<std::size_t>(len) > kMaxPayloadBytes) {
    return signed_value(kInvalid);
  }
  const std::optional<nlohmann::json> parsed = guest_json_object(memory, ptr, len);
  if (!parsed) {
    return signed_value(kInvalid);
  }
  const nlohmann::json& request = *parsed;
  const auto event_id = request.find("event_id");
  const auto version = request.find("version");
  if (event_id == request.end() || !event_id->is_string() || version == request.end() ||
      !version->is_string()) {
    return signed_value(kInvalid);
  }
  const std::string& id_text = event_id->get_ref<const std::string&>();
  const std::string& version_text = version->get_ref<const std::string&>();
  const bool declared =
      std::any_of(state.context->emits.begin(), state.context->emits.end(),
                  [&](const auto& e) { return e.first == id_text && e.second == version_text; });
  if (!declared) {
    return signed_value(kUndeclared);
  }
  std::vector<GuestEvent>& events = state.report->events;
  if (events.size() >= state.limits->max_events) {
    state.stop_status = RunStatus::EventLimit;
    state.stop_message =
        "guest emitted more than " + std::to_string(state.limits->max_events) + " events";
    return stop(state.stop_message);
  }
  const auto payload = request.find("payload");
  events.push_back(GuestEvent{id_text, version_text,
                              payload == request.end() ? std::string("{}") : payload->dump()});
  return signed_value(0);
}

HostCallResult host_query(const GuestMemory& memory, const u64* args, const std::string& text) {
  const std::int32_t ptr = as_s32(args[0]);
  const std::int32_t cap = as_s32(args[1]);
  if (ptr < 0 || cap < 0) {
    return signed_value(kInvalid);
  }
  if (!memory.in_bounds(static_cast<u64>(ptr), static_cast<u64>(cap))) {
    return signed_value(kInvalid);
  }
  if (text.size() > static_cast<std::size_t>(cap)) {
    return signed_value(kBufferTooSmall);
  }
  std::memcpy(memory.data + ptr, text.data(), text.size());
  return signed_value(static_cast<std::int32_t>(text.size()));
}

// No connector context exists on the execute() path: a well-formed request is "unbound" (-2),
// as in the reference.
HostCallResult host_connector_invoke(const GuestMemory& memory, const u64* args) {
  const std::int32_t req_ptr = as_s32(args[0]);
  const std::int32_t req_len = as_s32(args[1]);
  const std::int32_t resp_ptr = as_s32(args[2]);
  const std::int32_t resp_cap = as_s32(args[3]);
  if (req_ptr < 0 || req_len < 0 || resp_ptr < 0 || resp_cap < 0 ||
      static_cast<std::size_t>(req_len) > kMaxPayloadBytes ||
      static_cast<std::size_t>(resp_cap) > kMaxPayloadBytes) {
    return signed_value(kInvalid);
  }
  const std::optional<nlohmann::json> parsed = guest_json_object(memory, req_ptr, req_len);
  if (!parsed) {
    return signed_value(kInvalid);
  }
  const nlohmann::json& request = *parsed;
  const auto non_empty_string = [&](const char* key) {
    const auto it = request.find(key);
    return it != request.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
  };
  if (!non_empty_string("abi_version") || request["abi_version"] != "1.0.0" ||
      !non_empty_string("connector_id") || !non_empty_string("operation") ||
      !request.contains("payload")) {
    return signed_value(kInvalid);
  }
  return signed_value(kUnbound);
}

}  // namespace

const std::vector<HostFnSpec>& host_functions() {
  static const std::vector<HostFnSpec> specs = {
      {kWasi, "args_get", HostFn::ArgsGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "args_sizes_get", HostFn::ArgsSizesGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "environ_get", HostFn::EnvironGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "environ_sizes_get", HostFn::EnvironSizesGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "clock_res_get", HostFn::ClockResGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi,
       "clock_time_get",
       HostFn::ClockTimeGet,
       {Type::I32, Type::I64, Type::I32},
       {Type::I32}},
      {kWasi, "fd_close", HostFn::FdClose, {Type::I32}, {Type::I32}},
      {kWasi, "fd_fdstat_get", HostFn::FdFdstatGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "fd_prestat_get", HostFn::FdPrestatGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi,
       "fd_prestat_dir_name",
       HostFn::FdPrestatDirName,
       {Type::I32, Type::I32, Type::I32},
       {Type::I32}},
      {kWasi, "fd_read", HostFn::FdRead, {Type::I32, Type::I32, Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "fd_seek", HostFn::FdSeek, {Type::I32, Type::I64, Type::I32, Type::I32}, {Type::I32}},
      {kWasi,
       "fd_write",
       HostFn::FdWrite,
       {Type::I32, Type::I32, Type::I32, Type::I32},
       {Type::I32}},
      {kWasi, "proc_exit", HostFn::ProcExit, {Type::I32}, {}},
      {kWasi, "random_get", HostFn::RandomGet, {Type::I32, Type::I32}, {Type::I32}},
      {kWasi, "sched_yield", HostFn::SchedYield, {}, {Type::I32}},
      {kHost, "emit_event", HostFn::EmitEvent, {Type::I32, Type::I32}, {Type::I32}},
      {kHost, "capability_id", HostFn::CapabilityId, {Type::I32, Type::I32}, {Type::I32}},
      {kHost, "capability_version", HostFn::CapabilityVersion, {Type::I32, Type::I32}, {Type::I32}},
      {kHost, "execution_id", HostFn::ExecutionId, {Type::I32, Type::I32}, {Type::I32}},
      {kHost, "trace_context", HostFn::TraceContext, {Type::I32, Type::I32}, {Type::I32}},
      {kHost, "runtime_config", HostFn::RuntimeConfig, {Type::I32, Type::I32}, {Type::I32}},
      {kHost,
       "connector_invoke",
       HostFn::ConnectorInvoke,
       {Type::I32, Type::I32, Type::I32, Type::I32},
       {Type::I32}},
  };
  return specs;
}

int find_host_function(std::string_view module, std::string_view name) {
  const auto& specs = host_functions();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (module == specs[i].module && name == specs[i].name) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::optional<std::string> link_imports(const std::vector<wi::ImportDesc>& imports,
                                        std::vector<int>* bindings) {
  const auto& specs = host_functions();
  bindings->clear();
  for (const wi::ImportDesc& desc : imports) {
    const wi::ImportType& import = desc.type;
    const std::string where = import.module + "::" + import.name;
    const int binding = find_host_function(import.module, import.name);
    if (binding < 0) {
      return "unknown import " + where;
    }
    const HostFnSpec& spec = specs[static_cast<std::size_t>(binding)];
    if (import.type->kind != wabt::ExternalKind::Func) {
      return "import " + where + " must be a function " +
             describe_signature(spec.params, spec.results);
    }
    const auto& wanted = static_cast<const wi::FuncType&>(*import.type);
    if (wanted.params != spec.params || wanted.results != spec.results) {
      return "import " + where + " has type " + describe_signature(wanted.params, wanted.results) +
             "; the host provides " + describe_signature(spec.params, spec.results);
    }
    bindings->push_back(binding);
  }
  return std::nullopt;
}

std::optional<std::pair<RunStatus, std::string>> apply_declared_limits(wi::ModuleDesc* desc,
                                                                       const EngineLimits& limits) {
  const u64 max_pages = limits.max_memory_bytes / kPageSize;
  for (wi::MemoryDesc& memory : desc->memories) {
    wabt::Limits& memory_limits = memory.type.limits;
    if (memory_limits.initial > max_pages) {
      return std::make_pair(RunStatus::MemoryLimit,
                            "module declares " + std::to_string(memory_limits.initial) +
                                " pages of initial linear memory; the limit is " +
                                std::to_string(max_pages) + " pages (" +
                                std::to_string(limits.max_memory_bytes) + " bytes)");
    }
    if (!memory_limits.has_max || memory_limits.max > max_pages) {
      memory_limits.max = max_pages;
      memory_limits.has_max = true;
    }
  }
  if (desc->tables.size() > kMaxTables) {
    return std::make_pair(RunStatus::TableLimit,
                          "module declares " + std::to_string(desc->tables.size()) +
                              " tables; the limit is " + std::to_string(kMaxTables));
  }
  for (wi::TableDesc& table : desc->tables) {
    wabt::Limits& table_limits = table.type.limits;
    if (table_limits.initial > limits.max_table_elements) {
      return std::make_pair(RunStatus::TableLimit, "module declares a table of " +
                                                       std::to_string(table_limits.initial) +
                                                       " elements; the limit is " +
                                                       std::to_string(limits.max_table_elements));
    }
    if (!table_limits.has_max || table_limits.max > limits.max_table_elements) {
      table_limits.max = limits.max_table_elements;
      table_limits.has_max = true;
    }
  }
  return std::nullopt;
}

std::string memory_grow_limit_message(const EngineLimits& limits) {
  return "memory.grow past the limit of " + std::to_string(limits.max_memory_bytes / kPageSize) +
         " pages (" + std::to_string(limits.max_memory_bytes) + " bytes of linear memory)";
}

HostCallResult call_host(HostFn fn, HostCallState& state, const GuestMemory& memory,
                         const u64* args) {
  switch (fn) {
    case HostFn::ArgsGet:
    case HostFn::EnvironGet:
      return value(kSuccess);  // nothing to write: zero entries
    case HostFn::ArgsSizesGet:
    case HostFn::EnvironSizesGet:
      return wasi_sizes_get(memory, args);
    case HostFn::ClockResGet:
      return wasi_clock(memory, args, /*resolution=*/true);
    case HostFn::ClockTimeGet:
      return wasi_clock(memory, args, /*resolution=*/false);
    case HostFn::FdClose:
      return value(args[0] <= 2 ? kSuccess : kBadf);
    case HostFn::FdFdstatGet:
      return wasi_fd_fdstat_get(memory, args);
    case HostFn::FdPrestatGet:
    case HostFn::FdPrestatDirName:
      return value(kBadf);  // no preopened directories
    case HostFn::FdRead:
      return wasi_fd_read(state, memory, args);
    case HostFn::FdSeek:
      return value(args[0] <= 2 ? kSpipe : kBadf);
    case HostFn::FdWrite:
      return wasi_fd_write(state, memory, args);
    case HostFn::ProcExit:
      state.exited = true;
      state.exit_code = as_s32(args[0]);
      return stop("proc_exit(" + std::to_string(state.exit_code) + ")");
    case HostFn::RandomGet:
      return wasi_random_get(memory, args);
    case HostFn::SchedYield:
      return value(kSuccess);
    case HostFn::EmitEvent:
      return host_emit_event(state, memory, args);
    case HostFn::CapabilityId:
      return host_query(memory, args, state.context->capability_id);
    case HostFn::CapabilityVersion:
      return host_query(memory, args, state.context->capability_version);
    case HostFn::ExecutionId:
      return host_query(memory, args, state.context->execution_id);
    case HostFn::TraceContext:
      return host_query(memory, args, state.context->trace_context);
    case HostFn::RuntimeConfig:
      return host_query(memory, args, state.context->runtime_config);
    case HostFn::ConnectorInvoke:
      return host_connector_invoke(memory, args);
  }
  return stop("unknown host function");
}

bool classify_host_stop(const HostCallState& state, RunReport* report) {
  if (state.exited) {
    report->status = RunStatus::Exited;
    report->exit_code = state.exit_code;
    report->message = "proc_exit(" + std::to_string(state.exit_code) + ")";
    return true;
  }
  if (state.stop_status != RunStatus::Returned) {
    report->status = state.stop_status;
    report->message = state.stop_message;
    return true;
  }
  return false;
}

}  // namespace traverse::wasm_internal
