// `traverse package compile <manifest>`: compiles a capability package's WebAssembly module
// ahead of time into the AOT cache (docs/wasm-tiers.md), so its first run does not wait for
// the C compiler, and prints what it compiled and where.
#include <chrono>
#include <memory>
#include <string>

#include "cli_support.hpp"
#include "commands.hpp"
#include "traverse/contracts/capability_package.hpp"
#include "traverse/wasm/wasm_executor.hpp"

namespace traverse::cli {
namespace {

struct CompileOptions {
  std::string manifest;
  bool json = false;
};

void compile(const CompileOptions& options, CliContext& context) {
  auto package = load_capability_package(options.manifest);
  if (!package) {
    context.fail(CommandFailure{load_failure_code(package.error(), options.manifest),
                                std::move(package.error())},
                 options.json);
    return;
  }
  WasmExecutorConfig config;
  config.worker_count = 1;
  config.on_warning = [&context](std::string_view warning) {
    context.error_line("warning: " + std::string(warning));
  };
  auto executor = WasmExecutor::create(std::move(config));
  if (!executor) {
    context.fail(failure(ExitCode::ExecutionFailed, "RuntimeSetupFailed",
                         executor.error().message(), options.manifest),
                 options.json);
    return;
  }
  auto report = (*executor)->compile_ahead(package->binary_path);
  if (!report) {
    context.fail(failure(ExitCode::ExecutionFailed, std::string(report.error().class_name()),
                         report.error().message(), package->binary_path.string()),
                 options.json);
    return;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(report->compile_time);
  if (options.json) {
    context.json(Value{{"package_id", package->package_id},
                       {"capability_id", package->contract.id},
                       {"capability_version", package->contract.version},
                       {"binary", package->binary_path.string()},
                       {"binary_sha256", report->module_sha256},
                       {"object", report->object_path.string()},
                       {"object_bytes", static_cast<std::int64_t>(report->object_bytes)},
                       {"compiled", report->compiled},
                       {"compile_ms", static_cast<std::int64_t>(ms.count())}});
  } else {
    context.line("package_id: " + escape_terminal_text(package->package_id));
    context.line("capability: " +
                 escape_terminal_text(package->contract.id + "@" + package->contract.version));
    context.line("binary: " + escape_terminal_text(package->binary_path.string()) + " (sha256 " +
                 report->module_sha256 + ")");
    context.line("object: " + escape_terminal_text(report->object_path.string()) + " (" +
                 std::to_string(report->object_bytes) + " bytes)");
    context.line(report->compiled ? "compiled in " + std::to_string(ms.count()) + " ms"
                                  : std::string("already compiled (cached object verified)"));
  }
  context.finish(ExitCode::Ok);
}

}  // namespace

void add_package_compile_commands(CLI::App& package, CliContext& context) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* compile_cmd = package.add_subcommand(
      "compile",
      "Compile a capability package's WebAssembly module ahead of time (wabt's C writer and the "
      "system C compiler) into the AOT cache ($TRAVERSE_AOT_CACHE_DIR, else "
      "$XDG_CACHE_HOME/traverse/aot or ~/.cache/traverse/aot) and print the object's path. A "
      "cached object is verified and reused. Exit 1 when it cannot be compiled (or --wasm-tier "
      "interpreter), 2 when the package is invalid, 4 when the manifest cannot be read.");
  compile_cmd->add_option("manifest", options->manifest, "Package manifest (JSON)")->required();
  compile_cmd->add_flag("--json", options->json, "Print one JSON object instead of text");
  compile_cmd->callback([options, &context] { compile(*options, context); });
}

}  // namespace traverse::cli
