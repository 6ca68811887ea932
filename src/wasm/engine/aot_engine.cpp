// The ahead-of-time engine (see aot_engine.hpp): the wasm-rt.h runtime, the imports compiled code
// calls, loading a compiled object, and translating a module to C.
#include "aot_engine.hpp"

#include <dlfcn.h>
#include <wabt/apply-names.h>
#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader.h>
#include <wabt/c-writer.h>
#include <wabt/feature.h>
#include <wabt/generate-names.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>
#include <wasm-rt.h>

#include <algorithm>
#include <chrono>
#include <csetjmp>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <new>
#include <optional>
#include <sstream>
#include <type_traits>
#include <utility>
#include <vector>

#include "aot_units.hpp"
#include "engine_support.hpp"
#include "host_calls.hpp"

namespace traverse::wasm_internal {
namespace {

namespace wi = wabt::interp;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

constexpr u64 kPageSize = 65536;

// --- one run's state, seen by the runtime and the imports --------------------------------------

// Why compiled code stopped, beyond wasm_rt_trap's reason.
enum class StopCause : std::uint8_t { None, HostCall, MemoryLimit, OutOfMemory };

struct AotRun {
  HostCallState calls;
  const EngineLimits* limits = nullptr;
  wasm_rt_memory_t* memory = nullptr;  // the exported memory, or null
  std::jmp_buf trap_target;
  StopCause cause = StopCause::None;
};

// The run on this thread (compiled code calls back into the runtime on the thread that runs it).
thread_local AotRun* t_run = nullptr;

// Registered function types: index = the type's id (call_indirect compares ids).
std::vector<std::vector<wasm_rt_type_t>>& func_types() {
  static std::vector<std::vector<wasm_rt_type_t>> types;
  return types;
}

[[noreturn]] void stop_run(StopCause cause) {
  t_run->cause = cause;
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}

const char* trap_message(int reason) {
  switch (reason) {
    case WASM_RT_TRAP_OOB:
      return "out of bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW:
      return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO:
      return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION:
      return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE:
      return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT:
      return "indirect call signature mismatch or undefined table element";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION:
      return "uncaught exception";
    case WASM_RT_TRAP_EXHAUSTION:
      return "call stack exhausted";
    default:
      return "unknown trap";
  }
}

// Runs an import. No C++ object with a destructor is alive when this longjmps (stop_run is
// called after the result and its strings are gone): compiled code has no unwind tables, and a
// C++ exception never crosses it either.
u32 host_call(HostFn fn, u64 a0 = 0, u64 a1 = 0, u64 a2 = 0, u64 a3 = 0) {
  AotRun* run = t_run;
  bool stop = false;
  bool failed = false;
  u32 value = 0;
  try {
    const u64 args[4] = {a0, a1, a2, a3};
    GuestMemory memory;
    if (run->memory != nullptr) {
      memory = GuestMemory{run->memory->data, run->memory->size, true};
    }
    const HostCallResult result = call_host(fn, run->calls, memory, args);
    stop = result.stop;
    value = result.value;
  } catch (...) {
    failed = true;
  }
  if (failed) {
    stop_run(StopCause::OutOfMemory);
  }
  if (stop) {
    stop_run(StopCause::HostCall);
  }
  return value;
}

// wasm-rt.h's two table kinds (funcref, externref) share one implementation.
template <typename Table>
void allocate_table(Table* table, u32 elements, u32 max_elements) {
  using Element = std::remove_pointer_t<decltype(table->data)>;
  table->max_size = std::min(max_elements, t_run->limits->max_table_elements);
  table->size = 0;
  table->data = nullptr;
  if (elements > table->max_size) {
    stop_run(StopCause::OutOfMemory);
  }
  if (elements > 0) {
    table->data = static_cast<Element*>(std::calloc(elements, sizeof(Element)));
    if (table->data == nullptr) {
      stop_run(StopCause::OutOfMemory);
    }
  }
  table->size = elements;
}

template <typename Table>
void free_table(Table* table) {
  std::free(table->data);
  table->data = nullptr;
  table->size = 0;
}

// table.grow past the cap fails (returns -1) as in the interpreter, whose table maxima are capped.
template <typename Table, typename Element>
u32 grow_table(Table* table, u32 delta, Element init) {
  const u32 old_size = table->size;
  const u64 new_size = u64{old_size} + delta;
  if (new_size > table->max_size) {
    return UINT32_MAX;
  }
  if (delta == 0) {
    return old_size;
  }
  auto* data = static_cast<Element*>(std::realloc(table->data, new_size * sizeof(Element)));
  if (data == nullptr) {
    return UINT32_MAX;
  }
  for (u64 i = old_size; i < new_size; ++i) {
    data[i] = init;
  }
  table->data = data;
  table->size = static_cast<u32>(new_size);
  return old_size;
}

}  // namespace
}  // namespace traverse::wasm_internal

// --- wasm-rt.h, as compiled code calls it ------------------------------------------------------

using traverse::wasm_internal::AotRun;
using traverse::wasm_internal::host_call;
using traverse::wasm_internal::HostFn;
using traverse::wasm_internal::StopCause;
using traverse::wasm_internal::t_run;

extern "C" {

uint32_t wasm_rt_call_stack_depth = 0;

void wasm_rt_init(void) {}
bool wasm_rt_is_initialized(void) {
  return true;
}
void wasm_rt_free(void) {}

void wasm_rt_trap(wasm_rt_trap_t reason) {
  std::longjmp(t_run->trap_target, reason == WASM_RT_TRAP_NONE ? -1 : static_cast<int>(reason));
}

const char* wasm_rt_strerror(wasm_rt_trap_t reason) {
  return traverse::wasm_internal::trap_message(reason);
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  std::vector<wasm_rt_type_t> signature;
  signature.push_back(static_cast<wasm_rt_type_t>(params));  // (params, results) split
  va_list types;
  va_start(types, results);
  for (uint32_t i = 0; i < params + results; ++i) {
    signature.push_back(static_cast<wasm_rt_type_t>(va_arg(types, int)));
  }
  va_end(types);
  auto& registered = traverse::wasm_internal::func_types();
  for (std::size_t i = 0; i < registered.size(); ++i) {
    if (registered[i] == signature) {
      return static_cast<uint32_t>(i);
    }
  }
  registered.push_back(std::move(signature));
  return static_cast<uint32_t>(registered.size() - 1);
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  const uint64_t limit_pages = t_run->limits->max_memory_bytes / traverse::wasm_internal::kPageSize;
  memory->data = nullptr;
  memory->pages = 0;
  memory->size = 0;
  memory->max_pages = static_cast<uint32_t>(std::min<uint64_t>(max_pages, limit_pages));
  if (initial_pages > memory->max_pages) {
    traverse::wasm_internal::stop_run(StopCause::MemoryLimit);
  }
  const uint64_t bytes = uint64_t{initial_pages} * traverse::wasm_internal::kPageSize;
  if (bytes > 0) {
    memory->data = static_cast<uint8_t*>(std::calloc(1, bytes));
    if (memory->data == nullptr) {
      traverse::wasm_internal::stop_run(StopCause::OutOfMemory);
    }
  }
  memory->pages = initial_pages;
  memory->size = static_cast<uint32_t>(std::min<uint64_t>(bytes, UINT32_MAX));
}

// A grow the limits refuse stops the guest with MemoryLimit, as the interpreter's rewritten
// memory.grow does (the reference runs guests with "trap on grow failure").
uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  const uint32_t old_pages = memory->pages;
  if (delta == 0) {
    return old_pages;
  }
  const uint64_t new_pages = uint64_t{old_pages} + delta;
  if (new_pages > memory->max_pages) {
    traverse::wasm_internal::stop_run(StopCause::MemoryLimit);
  }
  const uint64_t new_bytes = new_pages * traverse::wasm_internal::kPageSize;
  auto* data = static_cast<uint8_t*>(std::realloc(memory->data, new_bytes));
  if (data == nullptr) {
    traverse::wasm_internal::stop_run(StopCause::MemoryLimit);
  }
  const uint64_t old_bytes = uint64_t{old_pages} * traverse::wasm_internal::kPageSize;
  std::memset(data + old_bytes, 0, new_bytes - old_bytes);
  memory->data = data;
  memory->pages = static_cast<uint32_t>(new_pages);
  memory->size = static_cast<uint32_t>(std::min<uint64_t>(new_bytes, UINT32_MAX));
  return old_pages;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  std::free(memory->data);
  memory->data = nullptr;
  memory->size = 0;
  memory->pages = 0;
}

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t* table, uint32_t elements,
                                    uint32_t max_elements) {
  traverse::wasm_internal::allocate_table(table, elements, max_elements);
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t* table) {
  traverse::wasm_internal::free_table(table);
}

void wasm_rt_allocate_externref_table(wasm_rt_externref_table_t* table, uint32_t elements,
                                      uint32_t max_elements) {
  traverse::wasm_internal::allocate_table(table, elements, max_elements);
}

void wasm_rt_free_externref_table(wasm_rt_externref_table_t* table) {
  traverse::wasm_internal::free_table(table);
}

uint32_t wasm_rt_grow_funcref_table(wasm_rt_funcref_table_t* table, uint32_t delta,
                                    wasm_rt_funcref_t init) {
  return traverse::wasm_internal::grow_table(table, delta, init);
}

uint32_t wasm_rt_grow_externref_table(wasm_rt_externref_table_t* table, uint32_t delta,
                                      wasm_rt_externref_t init) {
  return traverse::wasm_internal::grow_table(table, delta, init);
}

// --- the imports (wasm2c's names: Z_<module>Z_<name>; the instance argument is unused) ---------

#define TRAVERSE_AOT_IMPORT(module, name) Z_##module##Z_##name

uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, args_get)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::ArgsGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, args_sizes_get)(void*, uint32_t a,
                                                                     uint32_t b) {
  return host_call(HostFn::ArgsSizesGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, environ_get)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::EnvironGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, environ_sizes_get)(void*, uint32_t a,
                                                                        uint32_t b) {
  return host_call(HostFn::EnvironSizesGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, clock_res_get)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::ClockResGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, clock_time_get)(void*, uint32_t a, uint64_t b,
                                                                     uint32_t c) {
  return host_call(HostFn::ClockTimeGet, a, b, c);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_close)(void*, uint32_t a) {
  return host_call(HostFn::FdClose, a);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_fdstat_get)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::FdFdstatGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_prestat_get)(void*, uint32_t a,
                                                                     uint32_t b) {
  return host_call(HostFn::FdPrestatGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_prestat_dir_name)(void*, uint32_t a,
                                                                          uint32_t b, uint32_t c) {
  return host_call(HostFn::FdPrestatDirName, a, b, c);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_read)(void*, uint32_t a, uint32_t b,
                                                              uint32_t c, uint32_t d) {
  return host_call(HostFn::FdRead, a, b, c, d);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_seek)(void*, uint32_t a, uint64_t b,
                                                              uint32_t c, uint32_t d) {
  return host_call(HostFn::FdSeek, a, b, c, d);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, fd_write)(void*, uint32_t a, uint32_t b,
                                                               uint32_t c, uint32_t d) {
  return host_call(HostFn::FdWrite, a, b, c, d);
}
void TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, proc_exit)(void*, uint32_t a) {
  (void)host_call(HostFn::ProcExit, a);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, random_get)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::RandomGet, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(wasi_snapshot_preview1, sched_yield)(void*) {
  return host_call(HostFn::SchedYield);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, emit_event)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::EmitEvent, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, capability_id)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::CapabilityId, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, capability_version)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::CapabilityVersion, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, execution_id)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::ExecutionId, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, trace_context)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::TraceContext, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, runtime_config)(void*, uint32_t a, uint32_t b) {
  return host_call(HostFn::RuntimeConfig, a, b);
}
uint32_t TRAVERSE_AOT_IMPORT(traverse_host, connector_invoke)(void*, uint32_t a, uint32_t b,
                                                              uint32_t c, uint32_t d) {
  return host_call(HostFn::ConnectorInvoke, a, b, c, d);
}

}  // extern "C"

namespace traverse::wasm_internal {
namespace {

// --- the engine -------------------------------------------------------------------------------

// The object's fixed-ABI wrapper (see translate_to_aot_c).
struct AotEntryPoints {
  std::size_t (*instance_size)() = nullptr;
  void (*init_module)() = nullptr;
  void (*instantiate)(void*, void*) = nullptr;
  void (*free_instance)(void*) = nullptr;
  wasm_rt_memory_t* (*memory)(void*) = nullptr;
  void (*start)(void*) = nullptr;  // null: no `_start` (or "") export of type () -> ()
};

class AotModule final : public LoadedModule {
 public:
  wi::ModuleDesc desc;  // declared memories/tables, for the limit checks
  std::optional<std::string> link_error;
};

// Instance storage that outlives every longjmp of a run (freed by the caller's scope).
struct InstanceBuffer {
  void* data = nullptr;
  ~InstanceBuffer() { std::free(data); }
};

class AotEngine final : public Engine {
 public:
  // The object (dlopen handle) stays loaded for the life of the worker.
  explicit AotEngine(AotEntryPoints entry) : entry_(entry) {}

  std::shared_ptr<const LoadedModule> load(std::string_view bytes, std::string* error) override {
    wabt::Errors errors;
    auto module = std::make_shared<AotModule>();
    const wabt::ReadBinaryOptions options = wabt_read_options(features_);
    if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", bytes.data(), bytes.size(), options,
                                          &errors, &module->desc))) {
      *error = format_wabt_errors(errors);
      return nullptr;
    }
    std::vector<int> bindings;
    module->link_error = link_imports(module->desc.imports, &bindings);
    return module;
  }

  RunReport run(const LoadedModule& loaded, std::string_view stdin_bytes,
                const GuestContext& context, const EngineLimits& limits) override {
    const auto& module = static_cast<const AotModule&>(loaded);
    RunReport report;
    const auto instantiate_start = std::chrono::steady_clock::now();
    wi::ModuleDesc checked;
    checked.memories = module.desc.memories;
    checked.tables = module.desc.tables;
    if (auto refused = apply_declared_limits(&checked, limits)) {
      report.status = refused->first;
      report.message = std::move(refused->second);
      return report;
    }
    if (module.link_error) {
      report.status = RunStatus::LinkFailed;
      report.message = *module.link_error;
      return report;
    }

    InstanceBuffer instance;
    instance.data = std::calloc(1, entry_.instance_size());
    if (instance.data == nullptr) {
      report.status = RunStatus::EngineFailed;
      report.message = "out of memory while instantiating the module";
      return report;
    }
    AotRun run;
    run.calls.context = &context;
    run.calls.limits = &limits;
    run.calls.stdin_bytes = stdin_bytes;
    run.calls.report = &report;
    run.limits = &limits;
    run.memory = entry_.memory(instance.data);
    execute(&run, instance.data, &report, instantiate_start);
    entry_.free_instance(instance.data);
    return report;
  }

 private:
  // Everything between setjmp and the last possible longjmp lives here, with no C++ object
  // whose destructor a longjmp would skip.
  void execute(AotRun* run, void* instance, RunReport* report,
               std::chrono::steady_clock::time_point instantiate_start) {
    t_run = run;
    wasm_rt_call_stack_depth = 0;
    volatile bool instantiated = false;
    volatile std::chrono::steady_clock::time_point::rep run_start = 0;
    const int trapped = setjmp(run->trap_target);
    if (trapped == 0) {
      entry_.instantiate(instance, run);
      instantiated = true;
      report->instantiate_ns = elapsed_ns(instantiate_start);
      if (entry_.start != nullptr) {
        run_start = std::chrono::steady_clock::now().time_since_epoch().count();
        entry_.start(instance);
      }
    }
    t_run = nullptr;
    if (!instantiated) {
      report->instantiate_ns = elapsed_ns(instantiate_start);
    } else if (run_start != 0) {
      const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
      report->run_ns = static_cast<std::uint64_t>(now - run_start);
    }
    if (trapped != 0) {
      classify(*run, trapped, report);
      return;
    }
    if (entry_.start == nullptr) {
      report->status = RunStatus::NoEntryPoint;
      report->message =
          "module exports no `_start` function of type () -> () (not a wasm32-wasip1 command)";
    }
  }

  static void classify(const AotRun& run, int reason, RunReport* report) {
    switch (run.cause) {
      case StopCause::HostCall:
        if (classify_host_stop(run.calls, report)) {
          return;
        }
        break;
      case StopCause::MemoryLimit:
        report->status = RunStatus::MemoryLimit;
        report->message = memory_grow_limit_message(*run.limits);
        return;
      case StopCause::OutOfMemory:
        report->status = RunStatus::EngineFailed;
        report->message = "out of memory while running the module";
        return;
      case StopCause::None:
        break;
    }
    report->status = RunStatus::Trapped;
    report->message = trap_message(reason);
  }

  AotEntryPoints entry_;
  wabt::Features features_;
};

// --- translation ------------------------------------------------------------------------------

constexpr const char* kModuleName = "m";
constexpr const char* kInstanceType = "Z_m_instance_t";

// The symbol declared on the line after `/* export: 'name' */` in the generated header, when
// that line matches `prefix SYMBOL(suffix`.
std::string exported_symbol(const std::string& header, const std::string& export_name,
                            const std::string& prefix, const std::string& suffix) {
  const std::string marker = "/* export: '" + export_name + "' */\n";
  const std::size_t at = header.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  const std::size_t line_start = at + marker.size();
  const std::size_t line_end = header.find('\n', line_start);
  const std::string line = header.substr(line_start, line_end - line_start);
  if (line.compare(0, prefix.size(), prefix) != 0) {
    return {};
  }
  const std::size_t open = line.find('(');
  if (open == std::string::npos || line.substr(open + 1) != suffix) {
    return {};
  }
  return line.substr(prefix.size(), open - prefix.size());
}

}  // namespace

bool translate_to_aot_c(std::string_view bytes, const std::string& key, const std::string& dir,
                        std::size_t max_units, std::vector<std::string>* sources,
                        std::string* error) {
  wabt::Features features;
  wabt::Errors errors;
  wabt::Module module;
  const wabt::ReadBinaryOptions options = wabt_read_options(features);
  wabt::Result result =
      wabt::ReadBinaryIr("module.wasm", bytes.data(), bytes.size(), options, &errors, &module);
  if (wabt::Succeeded(result)) {
    result = wabt::ValidateModule(&module, &errors, wabt::ValidateOptions(features));
  }
  if (wabt::Succeeded(result)) {
    result = wabt::GenerateNames(&module);
  }
  if (wabt::Succeeded(result)) {
    result = wabt::ApplyNames(&module);
  }
  if (wabt::Failed(result)) {
    *error = format_wabt_errors(errors);
    return false;
  }
  wabt::MemoryStream c_stream;
  wabt::MemoryStream h_stream;
  const std::string header_name = "module.h";
  const std::string h_path = dir + "/" + header_name;
  wabt::WriteCOptions write_options;
  write_options.module_name = kModuleName;
  if (wabt::Failed(
          wabt::WriteC(&c_stream, &h_stream, header_name.c_str(), &module, write_options))) {
    *error = "the C writer failed";
    return false;
  }
  const auto& h_data = h_stream.output_buffer().data;
  const std::string header(h_data.begin(), h_data.end());

  // The wrapper: a fixed ABI over wasm2c's mangled names.
  const std::string instance = std::string(kInstanceType);
  const std::string instantiate_prefix = std::string("void Z_") + kModuleName + "_instantiate(";
  const std::size_t inst_at = header.find(instantiate_prefix);
  if (inst_at == std::string::npos) {
    *error = "the C writer's header declares no instantiate function";
    return false;
  }
  const std::string inst_line =
      header.substr(inst_at, header.find('\n', inst_at) - inst_at);  // one declaration
  std::vector<std::string> import_types;  // "struct Z_..._instance_t*" per import module
  for (std::size_t pos = inst_line.find("struct "); pos != std::string::npos;
       pos = inst_line.find("struct ", pos + 1)) {
    const std::size_t end = inst_line.find('*', pos);
    import_types.push_back(inst_line.substr(pos, end + 1 - pos));
  }
  std::string start = exported_symbol(header, "_start", "void ", instance + "*);");
  if (start.empty()) {
    start = exported_symbol(header, "", "void ", instance + "*);");
  }
  const std::string memory =
      exported_symbol(header, "memory", "wasm_rt_memory_t* ", instance + "* instance);");

  std::ostringstream wrapper;
  wrapper << "\n/* Traverse AOT wrapper, ABI " << kAotAbiVersion << " */\n"
          << "const char traverse_aot_key[] = \"" << key << "\";\n"
          << "const unsigned traverse_aot_abi = " << kAotAbiVersion << "u;\n"
          << "size_t traverse_aot_instance_size(void) { return sizeof(" << instance << "); }\n"
          << "void traverse_aot_init_module(void) { Z_" << kModuleName << "_init_module(); }\n"
          << "void traverse_aot_instantiate(void* instance, void* host) {\n  Z_" << kModuleName
          << "_instantiate((" << instance << "*)instance";
  for (const std::string& type : import_types) {
    wrapper << ", (" << type << ")host";
  }
  wrapper << ");\n}\n"
          << "void traverse_aot_free(void* instance) { Z_" << kModuleName << "_free((" << instance
          << "*)instance); }\n"
          << "wasm_rt_memory_t* traverse_aot_memory(void* instance) { ";
  if (memory.empty()) {
    wrapper << "(void)instance; return NULL; }\n";
  } else {
    wrapper << "return " << memory << "((" << instance << "*)instance); }\n";
  }
  wrapper << "const int traverse_aot_has_start = " << (start.empty() ? 0 : 1) << ";\n"
          << "void traverse_aot_start(void* instance) { ";
  if (start.empty()) {
    wrapper << "(void)instance; }\n";
  } else {
    wrapper << start << "((" << instance << "*)instance); }\n";
  }

  const auto& c_data = c_stream.output_buffer().data;
  std::string c_text(c_data.begin(), c_data.end());
  c_text += wrapper.str();
  std::vector<std::string> units = split_aot_c(c_text, max_units);
  c_text.clear();
  c_text.shrink_to_fit();

  std::ofstream h_file(h_path, std::ios::binary | std::ios::trunc);
  h_file.write(header.data(), static_cast<std::streamsize>(header.size()));
  h_file.close();
  if (!h_file) {
    *error = "cannot write the generated C sources";
    return false;
  }
  sources->clear();
  for (std::size_t i = 0; i < units.size(); ++i) {
    const std::string c_path = dir + "/module_" + std::to_string(i) + ".c";
    std::ofstream c_file(c_path, std::ios::binary | std::ios::trunc);
    c_file.write(units[i].data(), static_cast<std::streamsize>(units[i].size()));
    c_file.close();
    if (!c_file) {
      *error = "cannot write the generated C sources";
      return false;
    }
    sources->push_back(c_path);
  }
  return true;
}

std::unique_ptr<Engine> load_aot_engine(const std::string& object_path, const std::string& key,
                                        std::string* error) {
  void* handle = dlopen(object_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    *error = std::string("cannot load ") + object_path + ": " + (why ? why : "unknown error");
    return nullptr;
  }
  const auto* embedded_key = static_cast<const char*>(dlsym(handle, "traverse_aot_key"));
  const auto* abi = static_cast<const unsigned*>(dlsym(handle, "traverse_aot_abi"));
  const auto* has_start = static_cast<const int*>(dlsym(handle, "traverse_aot_has_start"));
  if (embedded_key == nullptr || key != embedded_key || abi == nullptr || *abi != kAotAbiVersion ||
      has_start == nullptr) {
    *error = object_path + " is not the compiled object for key " + key;
    dlclose(handle);
    return nullptr;
  }
  AotEntryPoints entry;
  const auto resolve = [&](auto* target, const char* name) {
    *target = reinterpret_cast<std::remove_pointer_t<decltype(target)>>(dlsym(handle, name));
    return *target != nullptr;
  };
  void (*start)(void*) = nullptr;
  if (!resolve(&entry.instance_size, "traverse_aot_instance_size") ||
      !resolve(&entry.init_module, "traverse_aot_init_module") ||
      !resolve(&entry.instantiate, "traverse_aot_instantiate") ||
      !resolve(&entry.free_instance, "traverse_aot_free") ||
      !resolve(&entry.memory, "traverse_aot_memory") || !resolve(&start, "traverse_aot_start")) {
    *error = object_path + " lacks the traverse_aot_* entry points";
    dlclose(handle);
    return nullptr;
  }
  entry.start = *has_start != 0 ? start : nullptr;
  entry.init_module();
  return std::make_unique<AotEngine>(entry);
}

}  // namespace traverse::wasm_internal
