// The wabt interpreter engine: decode/validate (cached by the caller), fresh store per run,
// WASI preview1 (in-memory stdio, no files/network/args/env) and the traverse_host ABI 1.0.0.
#include <sys/random.h>
#include <time.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "engine.hpp"
#include "grow_rewrite.hpp"

namespace traverse::wasm_internal {
namespace {

namespace wi = wabt::interp;
using wabt::Type;
using wi::u32;
using wi::u64;
using wi::u8;

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

enum class HostFn : std::uint8_t {
  ArgsGet,
  ArgsSizesGet,
  EnvironGet,
  EnvironSizesGet,
  ClockResGet,
  ClockTimeGet,
  FdClose,
  FdFdstatGet,
  FdPrestatGet,
  FdPrestatDirName,
  FdRead,
  FdSeek,
  FdWrite,
  ProcExit,
  RandomGet,
  SchedYield,
  EmitEvent,
  CapabilityId,
  CapabilityVersion,
  ExecutionId,
  TraceContext,
  RuntimeConfig,
  ConnectorInvoke,
};

struct HostFnSpec {
  const char* module;
  const char* name;
  HostFn fn;
  wi::ValueTypes params;
  wi::ValueTypes results;
};

constexpr const char* kWasi = "wasi_snapshot_preview1";
constexpr const char* kHost = "traverse_host";

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

std::uint64_t elapsed_ns(std::chrono::steady_clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

std::string format_errors(const wabt::Errors& errors) {
  std::string out;
  for (const wabt::Error& error : errors) {
    if (!out.empty()) {
      out += "; ";
    }
    out += "at offset " + std::to_string(error.loc.offset) + ": " + error.message;
  }
  return out.empty() ? std::string("invalid module") : out;
}

wabt::ReadBinaryOptions read_options(const wabt::Features& features) {
  return wabt::ReadBinaryOptions(features, nullptr, /*read_debug_names=*/false,
                                 /*stop_on_first_error=*/true,
                                 /*fail_on_custom_section_error=*/false);
}

class InterpModule final : public LoadedModule {
 public:
  wi::ModuleDesc desc;
  std::vector<int> import_bindings;  // index into host_functions(), -1 when unknown
  long memory_export = -1;           // index into desc.exports of the exported "memory"
  long entry_export = -1;            // index into desc.exports of `_start` (or "")
  long grow_flag_global = -1;        // the rewrite's flag global, -1 when not rewritten
};

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

// Everything one run's host functions share. Lives on the run's stack.
struct RunState {
  const InterpModule* module = nullptr;
  const GuestContext* context = nullptr;
  const EngineLimits* limits = nullptr;
  std::string_view stdin_bytes;
  std::size_t stdin_offset = 0;
  RunReport* report = nullptr;
  // Set by a host function that stops the guest on purpose.
  bool exited = false;
  std::int32_t exit_code = 0;
  RunStatus stop_status = RunStatus::Returned;  // a limit hit inside a host function
  std::string stop_message;
};

// A view of the calling instance's exported memory, re-read on every host call (memory.grow
// moves the buffer).
struct GuestMemory {
  u8* data = nullptr;
  u64 size = 0;
  bool present = false;

  [[nodiscard]] bool in_bounds(u64 offset, u64 length) const {
    return present && offset <= size && length <= size - offset;
  }
  [[nodiscard]] u32 load_u32(u64 offset) const {
    u32 value = 0;
    std::memcpy(&value, data + offset, sizeof value);
    return value;
  }
  void store_u32(u64 offset, u32 value) const { std::memcpy(data + offset, &value, sizeof value); }
  void store_u64(u64 offset, u64 value) const { std::memcpy(data + offset, &value, sizeof value); }
};

GuestMemory guest_memory(wi::Thread& thread, const InterpModule& module) {
  if (module.memory_export < 0) {
    return {};
  }
  wi::Instance* instance = thread.GetCallerInstance();
  if (instance == nullptr) {
    return {};
  }
  const wi::RefVec& exports = instance->exports();
  const auto index = static_cast<std::size_t>(module.memory_export);
  if (index >= exports.size()) {
    return {};
  }
  wi::Memory::Ptr memory = thread.store().UnsafeGet<wi::Memory>(exports[index]);
  return GuestMemory{memory->UnsafeData(), memory->ByteSize(), true};
}

wabt::Result stop_guest(wi::Thread& thread, wi::Trap::Ptr* out_trap, const std::string& message) {
  *out_trap = wi::Trap::New(thread.store(), message);
  return wabt::Result::Error;
}

void set_result(wi::Values& results, u32 value) {
  results.resize(1);
  results[0] = wi::Value::Make(value);
}

void set_result_signed(wi::Values& results, std::int32_t value) {
  results.resize(1);
  results[0] = wi::Value::Make(static_cast<wi::s32>(value));
}

void append_stderr(RunState& state, const u8* data, u64 length) {
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

wabt::Result wasi_fd_write(RunState& state, wi::Thread& thread, const wi::Values& params,
                           wi::Values& results, wi::Trap::Ptr* out_trap) {
  const u32 fd = params[0].Get<u32>();
  const u64 iovs = params[1].Get<u32>();
  const u64 iovs_len = params[2].Get<u32>();
  const u64 nwritten_ptr = params[3].Get<u32>();
  if (fd != 1 && fd != 2) {
    set_result(results, kBadf);
    return wabt::Result::Ok;
  }
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(iovs, iovs_len * 8) || !memory.in_bounds(nwritten_ptr, 4)) {
    set_result(results, kFault);
    return wabt::Result::Ok;
  }
  u64 total = 0;
  for (u64 i = 0; i < iovs_len; ++i) {
    const u64 buf = memory.load_u32(iovs + i * 8);
    const u64 len = memory.load_u32(iovs + i * 8 + 4);
    if (!memory.in_bounds(buf, len)) {
      set_result(results, kFault);
      return wabt::Result::Ok;
    }
    if (fd == 1) {
      std::string& out = state.report->stdout_data;
      if (len > state.limits->max_stdout_bytes - out.size()) {
        state.stop_status = RunStatus::StdoutLimit;
        state.stop_message = "guest wrote more than " +
                             std::to_string(state.limits->max_stdout_bytes) + " bytes to stdout";
        return stop_guest(thread, out_trap, state.stop_message);
      }
      out.append(reinterpret_cast<const char*>(memory.data + buf), len);
    } else {
      append_stderr(state, memory.data + buf, len);
    }
    total += len;
  }
  memory.store_u32(nwritten_ptr, static_cast<u32>(total));
  set_result(results, kSuccess);
  return wabt::Result::Ok;
}

void wasi_fd_read(RunState& state, wi::Thread& thread, const wi::Values& params,
                  wi::Values& results) {
  const u32 fd = params[0].Get<u32>();
  const u64 iovs = params[1].Get<u32>();
  const u64 iovs_len = params[2].Get<u32>();
  const u64 nread_ptr = params[3].Get<u32>();
  if (fd != 0) {
    set_result(results, kBadf);
    return;
  }
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(iovs, iovs_len * 8) || !memory.in_bounds(nread_ptr, 4)) {
    set_result(results, kFault);
    return;
  }
  u64 total = 0;
  for (u64 i = 0; i < iovs_len; ++i) {
    const u64 buf = memory.load_u32(iovs + i * 8);
    const u64 len = memory.load_u32(iovs + i * 8 + 4);
    if (!memory.in_bounds(buf, len)) {
      set_result(results, kFault);
      return;
    }
    const std::size_t available = state.stdin_bytes.size() - state.stdin_offset;
    const std::size_t count = static_cast<std::size_t>(std::min<u64>(len, available));
    if (count > 0) {
      std::memcpy(memory.data + buf, state.stdin_bytes.data() + state.stdin_offset, count);
      state.stdin_offset += count;
      total += count;
    }
    if (count < len) {
      break;
    }
  }
  memory.store_u32(nread_ptr, static_cast<u32>(total));
  set_result(results, kSuccess);
}

// args_sizes_get / environ_sizes_get: zero entries, zero bytes.
void wasi_sizes_get(RunState& state, wi::Thread& thread, const wi::Values& params,
                    wi::Values& results) {
  const GuestMemory memory = guest_memory(thread, *state.module);
  const u64 count_ptr = params[0].Get<u32>();
  const u64 size_ptr = params[1].Get<u32>();
  if (!memory.in_bounds(count_ptr, 4) || !memory.in_bounds(size_ptr, 4)) {
    set_result(results, kFault);
    return;
  }
  memory.store_u32(count_ptr, 0);
  memory.store_u32(size_ptr, 0);
  set_result(results, kSuccess);
}

bool clock_for(u32 id, clockid_t* clock) {
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

void wasi_clock(RunState& state, wi::Thread& thread, const wi::Values& params, wi::Values& results,
                bool resolution) {
  clockid_t clock{};
  if (!clock_for(params[0].Get<u32>(), &clock)) {
    set_result(results, kInval);
    return;
  }
  const u64 out_ptr = resolution ? params[1].Get<u32>() : params[2].Get<u32>();
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(out_ptr, 8)) {
    set_result(results, kFault);
    return;
  }
  timespec ts{};
  if ((resolution ? clock_getres(clock, &ts) : clock_gettime(clock, &ts)) != 0) {
    set_result(results, kIo);
    return;
  }
  memory.store_u64(out_ptr,
                   static_cast<u64>(ts.tv_sec) * 1000000000U + static_cast<u64>(ts.tv_nsec));
  set_result(results, kSuccess);
}

void wasi_fd_fdstat_get(RunState& state, wi::Thread& thread, const wi::Values& params,
                        wi::Values& results) {
  const u32 fd = params[0].Get<u32>();
  const u64 out_ptr = params[1].Get<u32>();
  if (fd > 2) {
    set_result(results, kBadf);
    return;
  }
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(out_ptr, 24)) {
    set_result(results, kFault);
    return;
  }
  constexpr u64 kRightFdRead = u64{1} << 1;
  constexpr u64 kRightFdWrite = u64{1} << 6;
  constexpr u64 kRightPollFdReadwrite = u64{1} << 27;
  std::memset(memory.data + out_ptr, 0, 24);  // filetype unknown (a pipe), no flags
  memory.store_u64(out_ptr + 8, (fd == 0 ? kRightFdRead : kRightFdWrite) | kRightPollFdReadwrite);
  set_result(results, kSuccess);
}

void wasi_random_get(RunState& state, wi::Thread& thread, const wi::Values& params,
                     wi::Values& results) {
  const u64 buf = params[0].Get<u32>();
  const u64 len = params[1].Get<u32>();
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(buf, len)) {
    set_result(results, kFault);
    return;
  }
  u64 filled = 0;
  while (filled < len) {
    const ssize_t got =
        getrandom(memory.data + buf + filled, static_cast<std::size_t>(len - filled), 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      set_result(results, kIo);
      return;
    }
    filled += static_cast<u64>(got);
  }
  set_result(results, kSuccess);
}

// --- traverse_host ----------------------------------------------------------------------------

wabt::Result host_emit_event(RunState& state, wi::Thread& thread, const wi::Values& params,
                             wi::Values& results, wi::Trap::Ptr* out_trap) {
  // Checks in the reference's order.
  if (!state.context->subscribable) {
    set_result_signed(results, kNotSubscribable);
    return wabt::Result::Ok;
  }
  const std::int32_t ptr = params[0].Get<wi::s32>();
  const std::int32_t len = params[1].Get<wi::s32>();
  if (ptr < 0 || len < 0 || static_cast<std::size_t>(len) > kMaxPayloadBytes) {
    set_result_signed(results, kInvalid);
    return wabt::Result::Ok;
  }
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(static_cast<u64>(ptr), static_cast<u64>(len))) {
    set_result_signed(results, kInvalid);
    return wabt::Result::Ok;
  }
  const std::string_view text(reinterpret_cast<const char*>(memory.data + ptr),
                              static_cast<std::size_t>(len));
  if (json_too_deep(text)) {
    set_result_signed(results, kInvalid);
    return wabt::Result::Ok;
  }
  const nlohmann::json request = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (request.is_discarded() || !request.is_object()) {
    set_result_signed(results, kInvalid);
    return wabt::Result::Ok;
  }
  const auto event_id = request.find("event_id");
  const auto version = request.find("version");
  if (event_id == request.end() || !event_id->is_string() || version == request.end() ||
      !version->is_string()) {
    set_result_signed(results, kInvalid);
    return wabt::Result::Ok;
  }
  const std::string& id_text = event_id->get_ref<const std::string&>();
  const std::string& version_text = version->get_ref<const std::string&>();
  const bool declared =
      std::any_of(state.context->emits.begin(), state.context->emits.end(),
                  [&](const auto& e) { return e.first == id_text && e.second == version_text; });
  if (!declared) {
    set_result_signed(results, kUndeclared);
    return wabt::Result::Ok;
  }
  std::vector<GuestEvent>& events = state.report->events;
  if (events.size() >= state.limits->max_events) {
    state.stop_status = RunStatus::EventLimit;
    state.stop_message =
        "guest emitted more than " + std::to_string(state.limits->max_events) + " events";
    return stop_guest(thread, out_trap, state.stop_message);
  }
  const auto payload = request.find("payload");
  events.push_back(GuestEvent{id_text, version_text,
                              payload == request.end() ? std::string("{}") : payload->dump()});
  set_result_signed(results, 0);
  return wabt::Result::Ok;
}

void host_query(RunState& state, wi::Thread& thread, const wi::Values& params, wi::Values& results,
                const std::string& value) {
  const std::int32_t ptr = params[0].Get<wi::s32>();
  const std::int32_t cap = params[1].Get<wi::s32>();
  if (ptr < 0 || cap < 0) {
    set_result_signed(results, kInvalid);
    return;
  }
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(static_cast<u64>(ptr), static_cast<u64>(cap))) {
    set_result_signed(results, kInvalid);
    return;
  }
  if (value.size() > static_cast<std::size_t>(cap)) {
    set_result_signed(results, kBufferTooSmall);
    return;
  }
  std::memcpy(memory.data + ptr, value.data(), value.size());
  set_result_signed(results, static_cast<std::int32_t>(value.size()));
}

// No connector context exists on the execute() path: a well-formed request is "unbound" (-2),
// as in the reference.
void host_connector_invoke(RunState& state, wi::Thread& thread, const wi::Values& params,
                           wi::Values& results) {
  const std::int32_t req_ptr = params[0].Get<wi::s32>();
  const std::int32_t req_len = params[1].Get<wi::s32>();
  const std::int32_t resp_ptr = params[2].Get<wi::s32>();
  const std::int32_t resp_cap = params[3].Get<wi::s32>();
  if (req_ptr < 0 || req_len < 0 || resp_ptr < 0 || resp_cap < 0 ||
      static_cast<std::size_t>(req_len) > kMaxPayloadBytes ||
      static_cast<std::size_t>(resp_cap) > kMaxPayloadBytes) {
    set_result_signed(results, kInvalid);
    return;
  }
  const GuestMemory memory = guest_memory(thread, *state.module);
  if (!memory.in_bounds(static_cast<u64>(req_ptr), static_cast<u64>(req_len))) {
    set_result_signed(results, kInvalid);
    return;
  }
  const std::string_view text(reinterpret_cast<const char*>(memory.data + req_ptr),
                              static_cast<std::size_t>(req_len));
  if (json_too_deep(text)) {
    set_result_signed(results, kInvalid);
    return;
  }
  const nlohmann::json request = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  const auto non_empty_string = [&](const char* key) {
    const auto it = request.find(key);
    return it != request.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
  };
  if (request.is_discarded() || !request.is_object() || !non_empty_string("abi_version") ||
      request["abi_version"] != "1.0.0" || !non_empty_string("connector_id") ||
      !non_empty_string("operation") || !request.contains("payload")) {
    set_result_signed(results, kInvalid);
    return;
  }
  set_result_signed(results, kUnbound);
}

wabt::Result dispatch(HostFn fn, RunState& state, wi::Thread& thread, const wi::Values& params,
                      wi::Values& results, wi::Trap::Ptr* out_trap) {
  switch (fn) {
    case HostFn::ArgsGet:
    case HostFn::EnvironGet:
      set_result(results, kSuccess);  // nothing to write: zero entries
      return wabt::Result::Ok;
    case HostFn::ArgsSizesGet:
    case HostFn::EnvironSizesGet:
      wasi_sizes_get(state, thread, params, results);
      return wabt::Result::Ok;
    case HostFn::ClockResGet:
      wasi_clock(state, thread, params, results, /*resolution=*/true);
      return wabt::Result::Ok;
    case HostFn::ClockTimeGet:
      wasi_clock(state, thread, params, results, /*resolution=*/false);
      return wabt::Result::Ok;
    case HostFn::FdClose:
      set_result(results, params[0].Get<u32>() <= 2 ? kSuccess : kBadf);
      return wabt::Result::Ok;
    case HostFn::FdFdstatGet:
      wasi_fd_fdstat_get(state, thread, params, results);
      return wabt::Result::Ok;
    case HostFn::FdPrestatGet:
    case HostFn::FdPrestatDirName:
      set_result(results, kBadf);  // no preopened directories
      return wabt::Result::Ok;
    case HostFn::FdRead:
      wasi_fd_read(state, thread, params, results);
      return wabt::Result::Ok;
    case HostFn::FdSeek:
      set_result(results, params[0].Get<u32>() <= 2 ? kSpipe : kBadf);
      return wabt::Result::Ok;
    case HostFn::FdWrite:
      return wasi_fd_write(state, thread, params, results, out_trap);
    case HostFn::ProcExit:
      state.exited = true;
      state.exit_code = params[0].Get<wi::s32>();
      return stop_guest(thread, out_trap, "proc_exit(" + std::to_string(state.exit_code) + ")");
    case HostFn::RandomGet:
      wasi_random_get(state, thread, params, results);
      return wabt::Result::Ok;
    case HostFn::SchedYield:
      set_result(results, kSuccess);
      return wabt::Result::Ok;
    case HostFn::EmitEvent:
      return host_emit_event(state, thread, params, results, out_trap);
    case HostFn::CapabilityId:
      host_query(state, thread, params, results, state.context->capability_id);
      return wabt::Result::Ok;
    case HostFn::CapabilityVersion:
      host_query(state, thread, params, results, state.context->capability_version);
      return wabt::Result::Ok;
    case HostFn::ExecutionId:
      host_query(state, thread, params, results, state.context->execution_id);
      return wabt::Result::Ok;
    case HostFn::TraceContext:
      host_query(state, thread, params, results, state.context->trace_context);
      return wabt::Result::Ok;
    case HostFn::RuntimeConfig:
      host_query(state, thread, params, results, state.context->runtime_config);
      return wabt::Result::Ok;
    case HostFn::ConnectorInvoke:
      host_connector_invoke(state, thread, params, results);
      return wabt::Result::Ok;
  }
  return stop_guest(thread, out_trap, "unknown host function");
}

// --- the engine -------------------------------------------------------------------------------

bool is_void_to_void(const wi::ExternType& type) {
  if (type.kind != wabt::ExternalKind::Func) {
    return false;
  }
  const auto& func = static_cast<const wi::FuncType&>(type);
  return func.params.empty() && func.results.empty();
}

class InterpreterEngine final : public Engine {
 public:
  std::shared_ptr<const LoadedModule> load(std::string_view bytes, std::string* error) override {
    wabt::Errors errors;
    auto module = std::make_shared<InterpModule>();
    if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", bytes.data(), bytes.size(),
                                          read_options(features_), &errors, &module->desc))) {
      *error = format_errors(errors);
      return nullptr;
    }
    GrowRewrite rewrite;
    if (!rewrite_memory_grow(bytes, &rewrite, error)) {
      return nullptr;
    }
    if (rewrite.rewritten) {
      wi::ModuleDesc rewritten;
      errors.clear();
      if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", rewrite.bytes.data(),
                                            rewrite.bytes.size(), read_options(features_), &errors,
                                            &rewritten))) {
        *error = "memory.grow rewrite produced an invalid module: " + format_errors(errors);
        return nullptr;
      }
      module->desc = std::move(rewritten);
      module->grow_flag_global = static_cast<long>(rewrite.flag_global);
    }
    const auto& specs = host_functions();
    for (const wi::ImportDesc& import : module->desc.imports) {
      int binding = -1;
      for (std::size_t i = 0; i < specs.size(); ++i) {
        if (import.type.module == specs[i].module && import.type.name == specs[i].name) {
          binding = static_cast<int>(i);
          break;
        }
      }
      module->import_bindings.push_back(binding);
    }
    for (std::size_t i = 0; i < module->desc.exports.size(); ++i) {
      const wi::ExportType& type = module->desc.exports[i].type;
      if (type.name == "memory" && type.type->kind == wabt::ExternalKind::Memory) {
        module->memory_export = static_cast<long>(i);
      }
      if (type.name == "_start" && is_void_to_void(*type.type)) {
        module->entry_export = static_cast<long>(i);
      }
    }
    if (module->entry_export < 0) {
      for (std::size_t i = 0; i < module->desc.exports.size(); ++i) {
        const wi::ExportType& type = module->desc.exports[i].type;
        if (type.name.empty() && is_void_to_void(*type.type)) {
          module->entry_export = static_cast<long>(i);
        }
      }
    }
    return module;
  }

  RunReport run(const LoadedModule& loaded, std::string_view stdin_bytes,
                const GuestContext& context, const EngineLimits& limits) override {
    const auto& module = static_cast<const InterpModule&>(loaded);
    RunReport report;
    const auto instantiate_start = std::chrono::steady_clock::now();

    wi::ModuleDesc desc = module.desc;  // each run instantiates its own copy
    const u64 max_pages = limits.max_memory_bytes / kPageSize;
    for (wi::MemoryDesc& memory : desc.memories) {
      wabt::Limits& memory_limits = memory.type.limits;
      if (memory_limits.initial > max_pages) {
        report.status = RunStatus::MemoryLimit;
        report.message = "module declares " + std::to_string(memory_limits.initial) +
                         " pages of initial linear memory; the limit is " +
                         std::to_string(max_pages) + " pages (" +
                         std::to_string(limits.max_memory_bytes) + " bytes)";
        return report;
      }
      if (!memory_limits.has_max || memory_limits.max > max_pages) {
        memory_limits.max = max_pages;
        memory_limits.has_max = true;
      }
    }
    if (desc.tables.size() > kMaxTables) {
      report.status = RunStatus::TableLimit;
      report.message = "module declares " + std::to_string(desc.tables.size()) +
                       " tables; the limit is " + std::to_string(kMaxTables);
      return report;
    }
    for (wi::TableDesc& table : desc.tables) {
      wabt::Limits& table_limits = table.type.limits;
      if (table_limits.initial > limits.max_table_elements) {
        report.status = RunStatus::TableLimit;
        report.message = "module declares a table of " + std::to_string(table_limits.initial) +
                         " elements; the limit is " + std::to_string(limits.max_table_elements);
        return report;
      }
      if (!table_limits.has_max || table_limits.max > limits.max_table_elements) {
        table_limits.max = limits.max_table_elements;
        table_limits.has_max = true;
      }
    }

    wi::Store store(features_);
    wi::Module::Ptr instance_module = wi::Module::New(store, std::move(desc));
    RunState state;
    state.module = &module;
    state.context = &context;
    state.limits = &limits;
    state.stdin_bytes = stdin_bytes;
    state.report = &report;

    wi::RefVec imports;
    const auto& specs = host_functions();
    const std::vector<wi::ImportDesc>& import_descs = instance_module->desc().imports;
    for (std::size_t i = 0; i < import_descs.size(); ++i) {
      const wi::ImportType& import = import_descs[i].type;
      const std::string where = import.module + "::" + import.name;
      const int binding = module.import_bindings[i];
      if (binding < 0) {
        report.status = RunStatus::LinkFailed;
        report.message = "unknown import " + where;
        return report;
      }
      const HostFnSpec& spec = specs[static_cast<std::size_t>(binding)];
      if (import.type->kind != wabt::ExternalKind::Func) {
        report.status = RunStatus::LinkFailed;
        report.message = "import " + where + " must be a function " +
                         describe_signature(spec.params, spec.results);
        return report;
      }
      const auto& wanted = static_cast<const wi::FuncType&>(*import.type);
      if (wanted.params != spec.params || wanted.results != spec.results) {
        report.status = RunStatus::LinkFailed;
        report.message = "import " + where + " has type " +
                         describe_signature(wanted.params, wanted.results) +
                         "; the host provides " + describe_signature(spec.params, spec.results);
        return report;
      }
      const HostFn fn = spec.fn;
      RunState* shared = &state;
      wi::HostFunc::Ptr host =
          wi::HostFunc::New(store, wi::FuncType(spec.params, spec.results),
                            [shared, fn](wi::Thread& thread, const wi::Values& params,
                                         wi::Values& results, wi::Trap::Ptr* out_trap) {
                              return dispatch(fn, *shared, thread, params, results, out_trap);
                            });
      imports.push_back(host.ref());
    }

    wi::Trap::Ptr trap;
    wi::Instance::Ptr instance =
        wi::Instance::Instantiate(store, instance_module.ref(), imports, &trap);
    report.instantiate_ns = elapsed_ns(instantiate_start);
    if (!instance || trap) {
      classify_failure(state, instance ? &instance : nullptr, trap, &report);
      return report;
    }
    if (module.entry_export < 0) {
      report.status = RunStatus::NoEntryPoint;
      report.message =
          "module exports no `_start` function of type () -> () (not a wasm32-wasip1 command)";
      return report;
    }

    const auto run_start = std::chrono::steady_clock::now();
    wi::Func::Ptr entry = store.UnsafeGet<wi::Func>(
        instance->exports()[static_cast<std::size_t>(module.entry_export)]);
    wi::Values params;
    wi::Values results;
    wi::Thread thread(store);
    const wabt::Result result = entry->Call(thread, params, results, &trap);
    report.run_ns = elapsed_ns(run_start);
    // wabt 1.0.32 reports a trap raised inside a call_indirect (e.g. "call stack exhausted")
    // through `trap` while returning Ok, so a set trap is a failure whatever the result says.
    if (wabt::Failed(result) || trap) {
      classify_failure(state, &instance, trap, &report);
    }
    return report;
  }

 private:
  static void classify_failure(const RunState& state, const wi::Instance::Ptr* instance,
                               const wi::Trap::Ptr& trap, RunReport* report) {
    if (state.exited) {
      report->status = RunStatus::Exited;
      report->exit_code = state.exit_code;
      report->message = "proc_exit(" + std::to_string(state.exit_code) + ")";
      return;
    }
    if (state.stop_status != RunStatus::Returned) {
      report->status = state.stop_status;
      report->message = state.stop_message;
      return;
    }
    if (instance != nullptr && state.module->grow_flag_global >= 0) {
      const wi::RefVec& globals = (*instance)->globals();
      const auto index = static_cast<std::size_t>(state.module->grow_flag_global);
      if (index < globals.size()) {
        wi::Global::Ptr flag = (*instance).store()->UnsafeGet<wi::Global>(globals[index]);
        if (flag->Get().Get<u32>() != 0) {
          report->status = RunStatus::MemoryLimit;
          report->message = "memory.grow past the limit of " +
                            std::to_string(state.limits->max_memory_bytes / kPageSize) +
                            " pages (" + std::to_string(state.limits->max_memory_bytes) +
                            " bytes of linear memory)";
          return;
        }
      }
    }
    report->status = RunStatus::Trapped;
    report->message = trap ? trap->message() : std::string("unknown trap");
  }

  wabt::Features features_;
};

}  // namespace

std::unique_ptr<Engine> make_interpreter_engine() {
  return std::make_unique<InterpreterEngine>();
}

bool validate_wasm(std::string_view bytes, std::string* error) {
  wabt::Features features;
  wabt::Errors errors;
  wi::ModuleDesc desc;
  if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", bytes.data(), bytes.size(),
                                        read_options(features), &errors, &desc))) {
    *error = format_errors(errors);
    return false;
  }
  return true;
}

}  // namespace traverse::wasm_internal
