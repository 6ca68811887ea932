// `traverse wasm ...`: WebAssembly modules against the Traverse host ABI
// (docs/wasm-capabilities-in-c.md, D4).
#include <memory>
#include <string>
#include <vector>

#include "cli_support.hpp"
#include "commands.hpp"
#include "traverse/wasm/host_abi.hpp"

namespace traverse::cli {
namespace {

struct VerifyOptions {
  std::vector<std::string> files;
  std::string abi_version = std::string(kHostAbiVersion);
  bool json = false;
};

void verify(const VerifyOptions& options, CliContext& context) {
  Value files = Value::array();
  bool any_invalid = false;
  bool any_unreadable = false;
  for (const auto& file : options.files) {
    const auto report = verify_wasm_host_abi_file(file, options.abi_version);
    Value entry{{"file", file}, {"valid", report.has_value()}};
    if (report) {
      Value imports = Value::array();
      for (const auto& import : report->imports) {
        imports.push_back(Value{{"module", import.module}, {"name", import.name}});
      }
      entry["abi_version"] = report->abi_version;
      entry["imports"] = std::move(imports);
      if (!options.json) {
        context.line(escape_terminal_text(file) + ": ABI " + report->abi_version +
                     " import whitelist " + context.paint_out("passed", Style::Green) + " (" +
                     std::to_string(report->imports.size()) + " imports)");
        if (context.verbose()) {
          for (const auto& import : report->imports) {
            context.line("  - " + escape_terminal_text(import.module + "::" + import.name));
          }
        }
      }
    } else {
      const ExecutorError& error = report.error();
      if (error.kind() == ExecutorErrorClass::BinaryLoadFailed) {
        any_unreadable = true;
      } else {
        any_invalid = true;
      }
      entry["error"] = Value{{"class", error.class_name()}, {"message", error.message()}};
      if (!error.first().empty()) {
        entry["error"]["module"] = error.first();
        entry["error"]["name"] = error.second();
      }
      context.error_line(file + ": " + error.message());
    }
    files.push_back(std::move(entry));
  }
  // An unreadable file wins: the check could not even be done.
  const ExitCode code = any_unreadable ? ExitCode::IoError
                        : any_invalid  ? ExitCode::ValidationFailed
                                       : ExitCode::Ok;
  if (options.json) {
    context.json(Value{{"valid", code == ExitCode::Ok},
                       {"exit_code", static_cast<int>(code)},
                       {"files", std::move(files)}});
  }
  context.finish(code);
}

}  // namespace

void add_wasm_commands(CLI::App& app, CliContext& context) {
  CLI::App* wasm = app.add_subcommand("wasm", "Check WebAssembly capability modules");
  wasm->require_subcommand(1);

  auto options = std::make_shared<VerifyOptions>();
  CLI::App* verify_cmd = wasm->add_subcommand(
      "verify",
      "Decode each .wasm module and check its imports against the Traverse host ABI whitelist "
      "(wasi_snapshot_preview1 stdio/clock/random and traverse_host functions). Prints '<file>: "
      "ABI 1.0.0 import whitelist passed (N imports)' per valid module and '<file>: <error>' on "
      "stderr otherwise (malformed_wasm_artifact, unsupported_abi_version, "
      "unauthorized_host_import naming the first offending import). Exit 0 when all pass, 2 "
      "when any fails, 4 when a file cannot be read.");
  verify_cmd->add_option("files", options->files, "WebAssembly modules (.wasm)")->required();
  verify_cmd
      ->add_option("--abi", options->abi_version,
                   "Host ABI version to check against (supported: 1.0.0)")
      ->capture_default_str()
      ->type_name("VERSION");
  verify_cmd->add_flag("--json", options->json,
                       "Print one JSON report {valid, exit_code, files[{file, valid, abi_version, "
                       "imports, error}]} instead of text");
  verify_cmd->callback([options, &context] { verify(*options, context); });
}

}  // namespace traverse::cli
