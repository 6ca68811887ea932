// The wabt interpreter engine: decode/validate (cached by the caller), fresh store per run,
// WASI preview1 (in-memory stdio, no files/network/args/env) and the traverse_host ABI 1.0.0.
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/feature.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/interp/interp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "engine.hpp"
#include "engine_support.hpp"
#include "grow_rewrite.hpp"
#include "host_calls.hpp"

namespace traverse::wasm_internal {
namespace {

namespace wi = wabt::interp;
using wabt::Type;
using wi::u32;
using wi::u64;
using wi::u8;

constexpr u64 kPageSize = 65536;

class InterpModule final : public LoadedModule {
 public:
  wi::ModuleDesc desc;
  std::vector<int> import_bindings;       // index into host_functions(), one per import
  std::optional<std::string> link_error;  // why the imports cannot be bound (reported per run)
  long memory_export = -1;                // index into desc.exports of the exported "memory"
  long entry_export = -1;                 // index into desc.exports of `_start` (or "")
  long grow_flag_global = -1;             // the rewrite's flag global, -1 when not rewritten
};

// Everything one run's host functions share. Lives on the run's stack.
struct RunState {
  const InterpModule* module = nullptr;
  HostCallState calls;
};

// A view of the calling instance's exported memory, re-read on every host call (memory.grow
// moves the buffer).
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

// Converts the interpreter's calling convention to call_host and back.
wabt::Result dispatch(const HostFnSpec& spec, RunState& state, wi::Thread& thread,
                      const wi::Values& params, wi::Values& results, wi::Trap::Ptr* out_trap) {
  std::uint64_t args[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < params.size() && i < 4; ++i) {
    args[i] = spec.params[i] == Type::I64 ? params[i].Get<u64>() : params[i].Get<u32>();
  }
  const HostCallResult result =
      call_host(spec.fn, state.calls, guest_memory(thread, *state.module), args);
  if (result.stop) {
    *out_trap = wi::Trap::New(thread.store(), result.stop_message);
    return wabt::Result::Error;
  }
  if (!spec.results.empty()) {
    results.resize(1);
    results[0] = wi::Value::Make(result.value);
  }
  return wabt::Result::Ok;
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
                                          wabt_read_options(features_), &errors, &module->desc))) {
      *error = format_wabt_errors(errors);
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
                                            rewrite.bytes.size(), wabt_read_options(features_),
                                            &errors, &rewritten))) {
        *error = "memory.grow rewrite produced an invalid module: " + format_wabt_errors(errors);
        return nullptr;
      }
      module->desc = std::move(rewritten);
      module->grow_flag_global = static_cast<long>(rewrite.flag_global);
    }
    module->link_error = link_imports(module->desc.imports, &module->import_bindings);
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
    if (auto refused = apply_declared_limits(&desc, limits)) {
      report.status = refused->first;
      report.message = std::move(refused->second);
      return report;
    }

    wi::Store store(features_);
    wi::Module::Ptr instance_module = wi::Module::New(store, std::move(desc));
    RunState state;
    state.module = &module;
    state.calls.context = &context;
    state.calls.limits = &limits;
    state.calls.stdin_bytes = stdin_bytes;
    state.calls.report = &report;

    if (module.link_error) {
      report.status = RunStatus::LinkFailed;
      report.message = *module.link_error;
      return report;
    }
    wi::RefVec imports;
    const auto& specs = host_functions();
    for (const int binding : module.import_bindings) {
      const HostFnSpec* spec = &specs[static_cast<std::size_t>(binding)];
      RunState* shared = &state;
      wi::HostFunc::Ptr host =
          wi::HostFunc::New(store, wi::FuncType(spec->params, spec->results),
                            [shared, spec](wi::Thread& thread, const wi::Values& params,
                                           wi::Values& results, wi::Trap::Ptr* out_trap) {
                              return dispatch(*spec, *shared, thread, params, results, out_trap);
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
    if (classify_host_stop(state.calls, report)) {
      return;
    }
    if (instance != nullptr && state.module->grow_flag_global >= 0) {
      const wi::RefVec& globals = (*instance)->globals();
      const auto index = static_cast<std::size_t>(state.module->grow_flag_global);
      if (index < globals.size()) {
        wi::Global::Ptr flag = (*instance).store()->UnsafeGet<wi::Global>(globals[index]);
        if (flag->Get().Get<u32>() != 0) {
          report->status = RunStatus::MemoryLimit;
          report->message = memory_grow_limit_message(*state.calls.limits);
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
                                        wabt_read_options(features), &errors, &desc))) {
    *error = format_wabt_errors(errors);
    return false;
  }
  return true;
}

}  // namespace traverse::wasm_internal
